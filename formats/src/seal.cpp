// Sealed session archives (seal.hpp): Argon2id + XChaCha20-Poly1305 secretstream (libsodium,
// https://doc.libsodium.org/secret-key_cryptography/secretstream and .../password_hashing).
#include "dyad/formats/seal.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "dyad/formats/error.hpp"
#include "dyad/formats/files.hpp"
#include "dyad/formats/session.hpp"

namespace dyad::formats {

namespace fs = std::filesystem;

namespace {

constexpr char kMagic[8] = {'D', 'Y', 'A', 'D', 'S', 'E', 'A', 'L'};
constexpr std::uint32_t kVersion = 1, kKdfArgon2id = 2;
constexpr std::size_t kHeaderBytes = 72;
constexpr std::size_t kBlock = 65536;
constexpr std::size_t kAbytes = crypto_secretstream_xchacha20poly1305_ABYTES;
constexpr std::size_t kMaxCipher = kBlock + kAbytes;
constexpr std::size_t kKeyBytes = crypto_secretstream_xchacha20poly1305_KEYBYTES;
static_assert(crypto_pwhash_SALTBYTES == 16);
static_assert(crypto_secretstream_xchacha20poly1305_HEADERBYTES == 24);

void init_sodium() {
  if (sodium_init() < 0) throw FormatError(ErrorKind::io, "libsodium cannot be initialised");
}

std::string errno_text() { return std::strerror(errno); }

void put_le(std::uint8_t* p, std::uint64_t v, int n) {
  for (int i = 0; i < n; ++i) p[i] = static_cast<std::uint8_t>(v >> (8 * i));
}
std::uint64_t get_le(const std::uint8_t* p, int n) {
  std::uint64_t v = 0;
  for (int i = n - 1; i >= 0; --i) v = v << 8 | p[i];
  return v;
}

/// A key wiped when it goes out of scope.
struct Key {
  unsigned char k[kKeyBytes];
  Key() { sodium_memzero(k, sizeof k); }
  ~Key() { sodium_memzero(k, sizeof k); }
  Key(const Key&) = delete;
  Key& operator=(const Key&) = delete;
};

void derive_key(Key& key, const std::string& passphrase, const std::uint8_t* salt, std::uint64_t ops, std::uint64_t mem,
                const std::string& label) {
  if (crypto_pwhash(key.k, sizeof key.k, passphrase.data(), passphrase.size(), salt, ops, static_cast<std::size_t>(mem),
                    crypto_pwhash_ALG_ARGON2ID13) != 0)
    throw FormatError(ErrorKind::io, label + ": not enough memory to derive the key (Argon2id with " + std::to_string(mem >> 20) + " MiB)");
}

void write_all(int fd, const std::uint8_t* p, std::size_t n, const fs::path& path) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      throw FormatError(ErrorKind::io, path.string() + ": write failed: " + errno_text() + (errno == ENOSPC ? " (disk full)" : ""));
    }
    p += w;
    n -= static_cast<std::size_t>(w);
  }
}

/// Reads up to n bytes; fewer only at the end of the file.
std::size_t read_up_to(int fd, std::uint8_t* p, std::size_t n, const fs::path& path) {
  std::size_t got = 0;
  while (got < n) {
    ssize_t r = ::read(fd, p + got, n - got);
    if (r < 0) {
      if (errno == EINTR) continue;
      throw FormatError(ErrorKind::io, path.string() + ": read failed: " + errno_text());
    }
    if (r == 0) break;
    got += static_cast<std::size_t>(r);
  }
  return got;
}

struct Fd {
  int fd = -1;
  explicit Fd(int f) : fd(f) {}
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
};

void sync_dir(const fs::path& dir) {
  int d = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (d >= 0) {
    ::fsync(d);
    ::close(d);
  }
}

/// Buffers plaintext into blocks, encrypts and writes them.
class BlockWriter {
 public:
  BlockWriter(int fd, const fs::path& path, const Key& key, std::uint8_t* header_ad) : fd_(fd), path_(path), ad_(header_ad) {
    std::uint8_t h[crypto_secretstream_xchacha20poly1305_HEADERBYTES];
    crypto_secretstream_xchacha20poly1305_init_push(&st_, h, key.k);
    std::memcpy(ad_ + 48, h, sizeof h);  // the header's last field
    write_all(fd_, ad_, kHeaderBytes, path_);
    crypto_generichash_init(&hash_, nullptr, 0, crypto_generichash_BYTES);
    buf_.reserve(kBlock);
  }
  ~BlockWriter() { sodium_memzero(&st_, sizeof st_); }
  void push(const std::uint8_t* p, std::size_t n) {
    crypto_generichash_update(&hash_, p, n);
    while (n > 0) {
      std::size_t take = std::min(n, kBlock - buf_.size());
      buf_.insert(buf_.end(), p, p + take);
      p += take;
      n -= take;
      if (buf_.size() == kBlock) emit(0);
    }
  }
  /// Encrypts what is left with the FINAL tag; returns the plaintext's hash.
  std::vector<std::uint8_t> finish() {
    emit(crypto_secretstream_xchacha20poly1305_TAG_FINAL);
    std::vector<std::uint8_t> h(crypto_generichash_BYTES);
    crypto_generichash_final(&hash_, h.data(), h.size());
    return h;
  }

 private:
  void emit(unsigned char tag) {
    std::vector<std::uint8_t> c(buf_.size() + kAbytes + 4);
    unsigned long long clen = 0;
    crypto_secretstream_xchacha20poly1305_push(&st_, c.data() + 4, &clen, buf_.data(), buf_.size(), first_ ? ad_ : nullptr,
                                               first_ ? kHeaderBytes : 0, tag);
    put_le(c.data(), clen, 4);
    write_all(fd_, c.data(), static_cast<std::size_t>(clen) + 4, path_);
    sodium_memzero(buf_.data(), buf_.size());
    buf_.clear();
    first_ = false;
  }
  int fd_;
  fs::path path_;
  std::uint8_t* ad_;
  crypto_secretstream_xchacha20poly1305_state st_{};
  crypto_generichash_state hash_{};
  std::vector<std::uint8_t> buf_;
  bool first_ = true;
};

struct Params {
  std::uint64_t ops, mem;
};
Params params_of(KdfStrength s) {
  switch (s) {
    case KdfStrength::interactive: return {crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE};
    case KdfStrength::sensitive: return {crypto_pwhash_OPSLIMIT_SENSITIVE, crypto_pwhash_MEMLIMIT_SENSITIVE};
    default: return {crypto_pwhash_OPSLIMIT_MODERATE, crypto_pwhash_MEMLIMIT_MODERATE};
  }
}

/// Reads and checks the header; derives the key.
void open_archive(int fd, const fs::path& path, const std::string& passphrase, std::uint8_t* header, Key& key) {
  const std::size_t got = read_up_to(fd, header, kHeaderBytes, path);
  const SealHeader h = parse_seal_header(std::span<const std::uint8_t>(header, got), path.string());
  derive_key(key, passphrase, h.salt.data(), h.opslimit, h.memlimit, path.string());
}

/// Decrypts the blocks after the header into `sink` (through an ArchiveEntryReader); returns the
/// plaintext's hash. Every failure names the archive and says nothing was written.
std::vector<std::uint8_t> decrypt_blocks(int fd, const fs::path& path, const std::uint8_t* header, const Key& key, ArchiveSink& sink,
                                         std::uint64_t file_size, const Progress& progress) {
  const std::string label = path.string();
  crypto_secretstream_xchacha20poly1305_state st{};
  if (crypto_secretstream_xchacha20poly1305_init_pull(&st, header + 48, key.k) != 0)
    throw FormatError(ErrorKind::malformed, label + ": byte 48: the stream header is invalid (damaged or tampered); nothing was written");
  crypto_generichash_state hash{};
  crypto_generichash_init(&hash, nullptr, 0, crypto_generichash_BYTES);
  ArchiveEntryReader reader(sink, label);
  std::vector<std::uint8_t> c(kMaxCipher), m(kBlock);
  std::uint64_t pos = kHeaderBytes;
  std::size_t block = 0;
  bool final = false;
  while (!final) {
    std::uint8_t lb[4];
    std::size_t got = read_up_to(fd, lb, 4, path);
    if (got < 4)
      throw FormatError(ErrorKind::malformed, label + ": truncated at byte " + std::to_string(pos + got) +
                                                  ": the archive ends before its final block; nothing was written");
    const auto len = static_cast<std::size_t>(get_le(lb, 4));
    if (len < kAbytes || len > kMaxCipher)
      throw FormatError(ErrorKind::malformed, label + ": byte " + std::to_string(pos) + ": block " + std::to_string(block + 1) +
                                                  " has an impossible length " + std::to_string(len) + " (damaged or tampered); nothing was written");
    got = read_up_to(fd, c.data(), len, path);
    if (got < len)
      throw FormatError(ErrorKind::malformed, label + ": truncated at byte " + std::to_string(pos + 4 + got) + " inside block " +
                                                  std::to_string(block + 1) + "; nothing was written");
    unsigned long long mlen = 0;
    unsigned char tag = 0;
    if (crypto_secretstream_xchacha20poly1305_pull(&st, m.data(), &mlen, &tag, c.data(), len, block == 0 ? header : nullptr,
                                                   block == 0 ? kHeaderBytes : 0) != 0) {
      sodium_memzero(&st, sizeof st);
      if (block == 0)
        throw FormatError(ErrorKind::malformed, label + ": wrong passphrase, or the archive is damaged (its first block does not "
                                                        "verify); nothing was written");
      throw FormatError(ErrorKind::malformed, label + ": byte " + std::to_string(pos) + ": block " + std::to_string(block + 1) +
                                                  " does not verify (damaged or tampered); nothing was written");
    }
    crypto_generichash_update(&hash, m.data(), static_cast<std::size_t>(mlen));
    reader.feed(std::span<const std::uint8_t>(m.data(), static_cast<std::size_t>(mlen)));
    sodium_memzero(m.data(), static_cast<std::size_t>(mlen));
    pos += 4 + len;
    ++block;
    final = tag == crypto_secretstream_xchacha20poly1305_TAG_FINAL;
    if (progress && file_size > 0) progress(static_cast<double>(pos) / static_cast<double>(file_size), "decrypting");
  }
  sodium_memzero(&st, sizeof st);
  std::uint8_t extra;
  if (read_up_to(fd, &extra, 1, path) != 0)
    throw FormatError(ErrorKind::malformed, label + ": byte " + std::to_string(pos) +
                                                ": data after the final block (tampered or two files joined); nothing was written");
  if (!reader.done())
    throw FormatError(ErrorKind::malformed, label + ": the entries end without their end mark; nothing was written");
  std::vector<std::uint8_t> h(crypto_generichash_BYTES);
  crypto_generichash_final(&hash, h.data(), h.size());
  return h;
}

/// Writes the entries into a folder (the temporary folder of unseal).
class FolderSink : public ArchiveSink {
 public:
  explicit FolderSink(fs::path root, SealReport& rep) : root_(std::move(root)), rep_(rep) {}
  ~FolderSink() override {
    if (fd_ >= 0) ::close(fd_);
  }
  void folder(const std::string& p) override {
    make_private_dir(root_ / p);
    ++rep_.folders;
  }
  void file_begin(const std::string& p, std::uint64_t) override {
    const fs::path path = root_ / p;
    make_private_dir(path.parent_path());
    fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd_ < 0) throw FormatError(ErrorKind::io, path.string() + ": cannot create: " + errno_text());
    path_ = path;
  }
  void file_data(std::span<const std::uint8_t> b) override {
    write_all(fd_, b.data(), b.size(), path_);
    rep_.bytes += b.size();
  }
  void file_end() override {
    if (::fsync(fd_) != 0) throw FormatError(ErrorKind::io, path_.string() + ": fsync failed: " + errno_text());
    ::close(fd_);
    fd_ = -1;
    ++rep_.files;
  }

 private:
  fs::path root_, path_;
  SealReport& rep_;
  int fd_ = -1;
};

/// Checks the structure only (seal's read-back).
class NullSink : public ArchiveSink {
 public:
  void folder(const std::string&) override {}
  void file_begin(const std::string&, std::uint64_t) override {}
  void file_data(std::span<const std::uint8_t>) override {}
  void file_end() override {}
};

/// Removes a folder or file when it goes out of scope unless released.
struct Cleanup {
  fs::path p;
  ~Cleanup() {
    if (!p.empty()) {
      std::error_code ec;
      fs::remove_all(p, ec);
    }
  }
};

void entry_header(BlockWriter& w, char type, const std::string& path) {
  std::uint8_t h[3];
  h[0] = static_cast<std::uint8_t>(type);
  put_le(h + 1, path.size(), 2);
  w.push(h, 3);
  w.push(reinterpret_cast<const std::uint8_t*>(path.data()), path.size());
}

}  // namespace

KdfStrength parse_kdf_strength(const std::string& s) {
  if (s == "interactive") return KdfStrength::interactive;
  if (s == "moderate") return KdfStrength::moderate;
  if (s == "sensitive") return KdfStrength::sensitive;
  throw std::invalid_argument("--kdf must be interactive, moderate or sensitive, found '" + s + "'");
}

SealHeader parse_seal_header(std::span<const std::uint8_t> bytes, const std::string& label) {
  if (bytes.size() < 8 || std::memcmp(bytes.data(), kMagic, 8) != 0)
    throw FormatError(ErrorKind::unrecognised, label + ": not a sealed dyad session (expected the magic 'DYADSEAL' at byte 0)");
  if (bytes.size() < kHeaderBytes)
    throw FormatError(ErrorKind::malformed, label + ": truncated inside its header (" + std::to_string(bytes.size()) +
                                                " of 72 bytes); nothing was written");
  const std::uint8_t* p = bytes.data();
  SealHeader h;
  h.version = static_cast<std::uint32_t>(get_le(p + 8, 4));
  h.kdf = static_cast<std::uint32_t>(get_le(p + 12, 4));
  h.opslimit = get_le(p + 16, 8);
  h.memlimit = get_le(p + 24, 8);
  std::memcpy(h.salt.data(), p + 32, h.salt.size());
  std::memcpy(h.stream_header.data(), p + 48, h.stream_header.size());
  if (h.version != kVersion)
    throw FormatError(ErrorKind::unsupported, label + ": archive version " + std::to_string(h.version) + " (this dyad reads version 1)");
  if (h.kdf != kKdfArgon2id || h.opslimit < crypto_pwhash_OPSLIMIT_MIN || h.opslimit > kMaxSealOpslimit ||
      h.memlimit < crypto_pwhash_MEMLIMIT_MIN || h.memlimit > kMaxSealMemlimit)
    throw FormatError(ErrorKind::malformed, label + ": byte 12: key derivation parameters out of range (damaged or tampered header); nothing was written");
  return h;
}

bool is_safe_archive_path(const std::string& p) {
  if (p.empty() || p.size() > 4096 || p.front() == '/' || p.find('\0') != std::string::npos || p.find('\\') != std::string::npos)
    return false;
  std::size_t start = 0;
  for (;;) {
    auto slash = p.find('/', start);
    std::string part = p.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    if (part.empty() || part == "." || part == "..") return false;
    if (slash == std::string::npos) return true;
    start = slash + 1;
  }
}

void ArchiveEntryReader::fail(const std::string& what) const {
  throw FormatError(ErrorKind::malformed, label_ + ": entry " + std::to_string(entries_ + 1) + ": " + what + "; nothing was written");
}

void ArchiveEntryReader::feed(std::span<const std::uint8_t> b) {
  while (!b.empty()) {
    if (state_ == State::done) fail("data after the end mark");
    if (state_ == State::data) {
      const auto take = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, b.size()));
      sink_.file_data(b.first(take));
      b = b.subspan(take);
      remaining_ -= take;
      if (remaining_ == 0) {
        sink_.file_end();
        ++entries_;
        state_ = State::type;
        need_ = 1;
      }
      continue;
    }
    const std::size_t take = std::min(need_ - field_.size(), b.size());
    field_.insert(field_.end(), b.begin(), b.begin() + static_cast<std::ptrdiff_t>(take));
    b = b.subspan(take);
    if (field_.size() < need_) continue;
    switch (state_) {
      case State::type:
        type_ = field_[0];
        if (type_ == 'E') {
          state_ = State::done;
          ++entries_;
          break;
        }
        if (type_ != 'D' && type_ != 'F') fail("unknown entry type " + std::to_string(type_));
        state_ = State::path_length;
        need_ = 2;
        break;
      case State::path_length: {
        const auto n = static_cast<std::size_t>(get_le(field_.data(), 2));
        if (n == 0 || n > 4096) fail("a path of " + std::to_string(n) + " bytes");
        state_ = State::path;
        need_ = n;
        break;
      }
      case State::path:
        path_.assign(field_.begin(), field_.end());
        if (!is_safe_archive_path(path_)) fail("unsafe path '" + path_.substr(0, 100) + "'");
        if (type_ == 'D') {
          sink_.folder(path_);
          ++entries_;
          state_ = State::type;
          need_ = 1;
        } else {
          state_ = State::size;
          need_ = 8;
        }
        break;
      case State::size:
        remaining_ = get_le(field_.data(), 8);
        sink_.file_begin(path_, remaining_);
        if (remaining_ == 0) {
          sink_.file_end();
          ++entries_;
          state_ = State::type;
          need_ = 1;
        } else {
          state_ = State::data;
        }
        break;
      default:
        break;
    }
    field_.clear();
  }
}

SealReport seal_session(const fs::path& dir, const fs::path& out, const std::string& passphrase, KdfStrength strength, bool force,
                        const Progress& progress) {
  init_sodium();
  if (passphrase.size() < 8) throw FormatError(ErrorKind::malformed, "seal: the passphrase must have at least 8 characters");
  Session s = Session::open(dir);
  if (s.manifest.status == "recording")
    throw FormatError(ErrorKind::malformed, (dir / "session.json").string() + ": status is 'recording': the session is not finished "
                                                                               "(run 'dyad recover' on it first)");
  std::error_code ec;
  refuse_existing(out, force);
  if (fs::is_directory(out, ec)) throw FormatError(ErrorKind::exists, out.string() + ": is a folder; give a file name for the archive");
  // What goes in: every folder and regular file, in a stable order; links are not followed.
  SealReport rep;
  std::vector<std::pair<std::string, bool>> entries;  // relative path, is folder
  std::uint64_t total = 0;
  for (auto it = fs::recursive_directory_iterator(dir, fs::directory_options::none); it != fs::recursive_directory_iterator(); ++it) {
    const auto st = it->symlink_status();
    const std::string rel = fs::relative(it->path(), dir).generic_string();
    if (fs::is_symlink(st) || !(fs::is_directory(st) || fs::is_regular_file(st))) {
      rep.skipped.push_back(rel);
      continue;
    }
    if (!is_safe_archive_path(rel)) throw FormatError(ErrorKind::unsupported, it->path().string() + ": a name that cannot be archived");
    entries.emplace_back(rel, fs::is_directory(st));
    if (!fs::is_directory(st)) total += fs::file_size(it->path());
  }
  std::sort(entries.begin(), entries.end());
  fs::path tmp = out;
  tmp += ".tmp-" + std::to_string(::getpid());
  Cleanup cleanup{tmp};
  Key key;
  std::uint8_t header[kHeaderBytes] = {};
  std::memcpy(header, kMagic, 8);
  const Params par = params_of(strength);
  put_le(header + 8, kVersion, 4);
  put_le(header + 12, kKdfArgon2id, 4);
  put_le(header + 16, par.ops, 8);
  put_le(header + 24, par.mem, 8);
  randombytes_buf(header + 32, crypto_pwhash_SALTBYTES);
  if (progress) progress(0, "deriving the key");
  derive_key(key, passphrase, header + 32, par.ops, par.mem, out.string());
  std::vector<std::uint8_t> hash;
  {
    Fd out_fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    if (out_fd.fd < 0) throw FormatError(ErrorKind::io, tmp.string() + ": cannot create: " + errno_text());
    BlockWriter w(out_fd.fd, tmp, key, header);
    std::vector<std::uint8_t> buf(kBlock);
    std::uint64_t done = 0;
    for (auto& [rel, is_dir] : entries) {
      if (is_dir) {
        entry_header(w, 'D', rel);
        ++rep.folders;
        continue;
      }
      const fs::path p = dir / rel;
      Fd in(::open(p.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
      if (in.fd < 0) throw FormatError(ErrorKind::io, p.string() + ": cannot be opened for reading: " + errno_text());
      struct stat st {};
      ::fstat(in.fd, &st);
      const auto size = static_cast<std::uint64_t>(st.st_size);
      entry_header(w, 'F', rel);
      std::uint8_t sz[8];
      put_le(sz, size, 8);
      w.push(sz, 8);
      std::uint64_t left = size;
      while (left > 0) {
        const std::size_t n = read_up_to(in.fd, buf.data(), static_cast<std::size_t>(std::min<std::uint64_t>(left, buf.size())), p);
        if (n == 0) throw FormatError(ErrorKind::io, p.string() + ": shrank while it was being sealed");
        w.push(buf.data(), n);
        left -= n;
        done += n;
        if (progress && total > 0) progress(0.05 + 0.6 * static_cast<double>(done) / static_cast<double>(total), "encrypting");
      }
      sodium_memzero(buf.data(), buf.size());
      ++rep.files;
      rep.bytes += size;
    }
    const std::uint8_t end[1] = {'E'};
    w.push(end, 1);
    hash = w.finish();
    if (::fsync(out_fd.fd) != 0) throw FormatError(ErrorKind::io, tmp.string() + ": fsync failed: " + errno_text());
  }
  // Read it back before it takes the name: every block must verify and give the same bytes.
  {
    Fd in(::open(tmp.c_str(), O_RDONLY | O_CLOEXEC));
    if (in.fd < 0) throw FormatError(ErrorKind::io, tmp.string() + ": cannot be read back: " + errno_text());
    std::uint8_t h2[kHeaderBytes];
    if (read_up_to(in.fd, h2, kHeaderBytes, tmp) != kHeaderBytes || std::memcmp(h2, header, kHeaderBytes) != 0)
      throw FormatError(ErrorKind::io, tmp.string() + ": the header did not read back as written");
    NullSink null;
    const auto size = fs::file_size(tmp);
    auto h = decrypt_blocks(in.fd, tmp, h2, key, null, size, [&](double f, const std::string&) {
      if (progress) progress(0.65 + 0.35 * f, "verifying");
    });
    if (h != hash) throw FormatError(ErrorKind::io, tmp.string() + ": the archive did not read back as written");
  }
  if (::rename(tmp.c_str(), out.c_str()) != 0) throw FormatError(ErrorKind::io, out.string() + ": cannot be created: " + errno_text());
  cleanup.p.clear();
  sync_dir(out.parent_path());
  return rep;
}

SealReport unseal_session(const fs::path& archive, const fs::path& out_dir, const std::string& passphrase, const Progress& progress) {
  init_sodium();
  std::error_code ec;
  if (fs::exists(out_dir, ec) && !(fs::is_directory(out_dir, ec) && fs::is_empty(out_dir, ec)))
    throw FormatError(ErrorKind::exists, out_dir.string() + ": already exists; unseal into a new folder");
  Fd in(::open(archive.c_str(), O_RDONLY | O_CLOEXEC));
  if (in.fd < 0) throw FormatError(ErrorKind::io, archive.string() + ": cannot be opened for reading: " + errno_text());
  std::uint8_t header[kHeaderBytes];
  Key key;
  open_archive(in.fd, archive, passphrase, header, key);
  fs::path parent = out_dir.has_parent_path() ? out_dir.parent_path() : fs::path(".");
  fs::path tmp = parent / ("." + out_dir.filename().string() + ".unseal-" + std::to_string(::getpid()) + ".tmp");
  Cleanup cleanup{tmp};
  fs::remove_all(tmp, ec);
  make_private_dir(tmp);
  SealReport rep;
  {
    FolderSink sink(tmp, rep);
    decrypt_blocks(in.fd, archive, header, key, sink, fs::file_size(archive), progress);
  }
  // The archive verified to its final block: only now does the folder take its name.
  if (fs::exists(out_dir, ec)) fs::remove(out_dir, ec);  // an empty folder
  if (::rename(tmp.c_str(), out_dir.c_str()) != 0) throw FormatError(ErrorKind::io, out_dir.string() + ": cannot be created: " + errno_text());
  cleanup.p.clear();
  sync_dir(parent);
  return rep;
}

}  // namespace dyad::formats
