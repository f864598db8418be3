#include "dyad/formats/files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "dyad/formats/error.hpp"

namespace dyad::formats {

namespace {
[[noreturn]] void throw_errno(const std::string& what, const fs::path& p) {
  throw FormatError(ErrorKind::io, p.string() + ": " + what + ": " + std::strerror(errno));
}

void write_all(int fd, std::string_view s, const fs::path& p) {
  while (!s.empty()) {
    ssize_t n = ::write(fd, s.data(), s.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno(errno == ENOSPC ? "write failed (disk full)" : "write failed", p);
    }
    s.remove_prefix(static_cast<std::size_t>(n));
  }
}

void sync_dir(const fs::path& dir) {
  int dfd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}
}  // namespace

void make_private_dir(const fs::path& dir) {
  std::error_code ec;
  if (fs::exists(dir, ec)) {
    if (!fs::is_directory(dir, ec))
      throw FormatError(ErrorKind::exists, dir.string() + ": exists and is not a folder");
    return;
  }
  if (dir.has_parent_path() && !dir.parent_path().empty()) make_private_dir(dir.parent_path());
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) throw_errno("cannot create the folder", dir);
  ::chmod(dir.c_str(), 0700);
}

AtomicFile::AtomicFile(const fs::path& path) : path_(path), tmp_(path) {
  tmp_ += ".tmp";
  fd_ = ::open(tmp_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd_ < 0) throw_errno("cannot create", tmp_);
}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0) {  // not committed: the old file stays, the partial new one goes
    ::close(fd_);
    ::unlink(tmp_.c_str());
  }
}

void AtomicFile::append(std::string_view text) {
  try {
    write_all(fd_, text, tmp_);
  } catch (...) {
    ::close(fd_);
    ::unlink(tmp_.c_str());
    fd_ = -1;
    throw;
  }
}

void AtomicFile::commit() {
  if (::fsync(fd_) != 0) {
    const int e = errno;
    ::close(fd_);
    ::unlink(tmp_.c_str());
    fd_ = -1;
    errno = e;
    throw_errno("fsync failed", tmp_);
  }
  ::close(fd_);
  fd_ = -1;
  if (::rename(tmp_.c_str(), path_.c_str()) != 0) {
    int e = errno;
    ::unlink(tmp_.c_str());
    errno = e;
    throw_errno("cannot replace", path_);
  }
  sync_dir(path_.parent_path());
}

void write_file_atomic(const fs::path& path, std::string_view content) {
  AtomicFile f(path);
  f.append(content);
  f.commit();
}

void refuse_existing(const fs::path& path, bool force) {
  std::error_code ec;
  if (!force && fs::exists(path, ec))
    throw FormatError(ErrorKind::exists, path.string() + ": already exists; add --force to replace it");
}

void write_file_new(const fs::path& path, std::string_view content, bool overwrite) {
  int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (overwrite ? O_TRUNC : O_EXCL);
  int fd = ::open(path.c_str(), flags, 0600);
  if (fd < 0) {
    if (errno == EEXIST)
      refuse_existing(path, false);
    throw_errno("cannot create", path);
  }
  try {
    write_all(fd, content, path);
    if (::fsync(fd) != 0) throw_errno("fsync failed", path);
  } catch (...) {
    ::close(fd);
    throw;
  }
  ::close(fd);
}

void create_private_file(const fs::path& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) throw_errno("cannot create", path);
  ::fchmod(fd, 0600);
  ::close(fd);
}

void pwrite_all(int fd, const void* data, std::size_t n, std::uint64_t offset, const fs::path& path, const std::string& what) {
  const char* c = static_cast<const char*>(data);
  while (n > 0) {
    const ssize_t w = ::pwrite(fd, c, n, static_cast<off_t>(offset));
    if (w < 0) {
      if (errno == EINTR) continue;
      throw_errno(errno == ENOSPC ? what + " (disk full)" : what, path);
    }
    c += w;
    n -= static_cast<std::size_t>(w);
    offset += static_cast<std::uint64_t>(w);
  }
}

void pread_all(int fd, void* data, std::size_t n, std::uint64_t offset, const fs::path& path, const std::string& what) {
  char* c = static_cast<char*>(data);
  while (n > 0) {
    const ssize_t r = ::pread(fd, c, n, static_cast<off_t>(offset));
    if (r < 0) {
      if (errno == EINTR) continue;
      throw_errno(what, path);
    }
    if (r == 0) throw FormatError(ErrorKind::io, path.string() + ": " + what + ": the file ends early");
    c += r;
    n -= static_cast<std::size_t>(r);
    offset += static_cast<std::uint64_t>(r);
  }
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw FormatError(ErrorKind::io, path.string() + ": cannot be opened for reading");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

LineFile::LineFile(const fs::path& path, bool truncate) : path_(path) {
  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | (truncate ? O_TRUNC : 0), 0600);
  if (fd_ < 0) throw_errno("cannot open for appending", path);
  last_sync_ = std::chrono::steady_clock::now();
}

LineFile::~LineFile() { close(); }

LineFile::LineFile(LineFile&& o) noexcept : fd_(o.fd_), path_(std::move(o.path_)), last_sync_(o.last_sync_) { o.fd_ = -1; }

LineFile& LineFile::operator=(LineFile&& o) noexcept {
  if (this != &o) {
    close();
    fd_ = o.fd_;
    path_ = std::move(o.path_);
    last_sync_ = o.last_sync_;
    o.fd_ = -1;
  }
  return *this;
}

void LineFile::append(std::string_view text) {
  if (fd_ < 0) throw FormatError(ErrorKind::io, path_.string() + ": not open");
  // Whole lines or nothing: a write cut short (a full disk) is taken back, so the file never ends
  // inside a line that readers would refuse (found by fault injection on a full filesystem).
  struct stat st {};
  const bool sized = ::fstat(fd_, &st) == 0;
  try {
    write_all(fd_, text, path_);
  } catch (const FormatError&) {
    if (sized) (void)!::ftruncate(fd_, st.st_size);
    throw;
  }
  auto now = std::chrono::steady_clock::now();
  if (now - last_sync_ >= std::chrono::seconds(1)) {
    if (::fdatasync(fd_) != 0) throw_errno("fdatasync failed", path_);
    last_sync_ = now;
  }
}

void LineFile::sync() {
  if (fd_ >= 0 && ::fdatasync(fd_) != 0) throw_errno("fdatasync failed", path_);
  last_sync_ = std::chrono::steady_clock::now();
}

void LineFile::close() {
  if (fd_ >= 0) {
    ::fdatasync(fd_);
    ::close(fd_);
    fd_ = -1;
  }
}

}  // namespace dyad::formats
