#pragma once
/// \file Sealed archives of finished sessions (`dyad seal` / `dyad unseal`): the whole session
/// folder in one file, encrypted with a passphrase (libsodium: Argon2id key derivation,
/// XChaCha20-Poly1305 secretstream). Part of the `dyad::formats_privacy` library, the only part of
/// dyad that links libsodium (README "Privacy and security").
///
/// File layout (little-endian):
///
///     0   "DYADSEAL"         magic
///     8   u32 version (1)     u32 kdf (2: Argon2id v1.3)
///     16  u64 opslimit        u64 memlimit (bytes)
///     32  salt[16]            48  secretstream header[24]
///     72  blocks: u32 length, then that many bytes of ciphertext (at most 65536 + 17); the first
///         block authenticates bytes 0..71 as additional data; the last carries the FINAL tag.
///
/// The decrypted stream is a list of entries, each `u8 type ('D' folder, 'F' file, 'E' end)`,
/// `u16 path length`, the path (relative, '/'-separated, no '.', '..' or empty part), and for a
/// file `u64 size` and its bytes; the stream ends with exactly one 'E' entry.
#include <array>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "dyad/formats/import.hpp"

namespace dyad::formats {

/// How hard the passphrase is stretched (libsodium's OPSLIMIT/MEMLIMIT presets): interactive
/// (64 MiB, for tests), moderate (256 MiB, about a second: the default), sensitive (1 GiB).
enum class KdfStrength { interactive, moderate, sensitive };

/// Parses "interactive", "moderate" or "sensitive"; std::invalid_argument otherwise.
KdfStrength parse_kdf_strength(const std::string& s);

struct SealReport {
  std::size_t files = 0, folders = 0;
  std::uint64_t bytes = 0;             ///< plaintext bytes of the files
  std::vector<std::string> skipped;    ///< symbolic links and special files (not archived)
};

/// Seals the session folder `session_dir` (which must open as a valid session that is not still
/// `recording`) into `out` (0600). The archive is written beside `out` and renamed into place
/// only after it has been read back, decrypted and compared; an existing `out` is replaced only
/// with `force`. The passphrase must have at least 8 characters. Throws FormatError.
SealReport seal_session(const std::filesystem::path& session_dir, const std::filesystem::path& out, const std::string& passphrase,
                        KdfStrength strength = KdfStrength::moderate, bool force = false, const Progress& progress = {});

/// Decrypts `archive` into the folder `out_dir`, which must not exist (or be empty). Everything is
/// decrypted and verified into a temporary folder beside it (0700) and renamed to `out_dir` only
/// when the final block verifies; a wrong passphrase, a tampered, truncated or extended archive
/// gives a FormatError naming the archive, and nothing is left behind.
SealReport unseal_session(const std::filesystem::path& archive, const std::filesystem::path& out_dir, const std::string& passphrase,
                          const Progress& progress = {});

/// Receives the entries of a decrypted archive.
struct ArchiveSink {
  virtual ~ArchiveSink() = default;
  virtual void folder(const std::string& path) = 0;
  virtual void file_begin(const std::string& path, std::uint64_t size) = 0;
  virtual void file_data(std::span<const std::uint8_t> bytes) = 0;
  virtual void file_end() = 0;
};

/// The incremental parser of a decrypted entry stream (exposed for tests and fuzzing). feed()
/// takes the bytes in pieces of any size; errors are FormatError "<label>: entry N: ...".
class ArchiveEntryReader {
 public:
  ArchiveEntryReader(ArchiveSink& sink, std::string label) : sink_(sink), label_(std::move(label)) {}
  void feed(std::span<const std::uint8_t> bytes);
  /// True after the 'E' entry.
  bool done() const noexcept { return state_ == State::done; }
  std::size_t entries() const noexcept { return entries_; }

 private:
  enum class State { type, path_length, path, size, data, done };
  [[noreturn]] void fail(const std::string& what) const;
  ArchiveSink& sink_;
  std::string label_;
  State state_ = State::type;
  std::uint8_t type_ = 0;
  std::vector<std::uint8_t> field_;
  std::size_t need_ = 1;
  std::string path_;
  std::uint64_t remaining_ = 0;
  std::size_t entries_ = 0;
};

/// The 72-byte header of a sealed archive, read before anything is decrypted.
struct SealHeader {
  std::uint32_t version = 0, kdf = 0;
  std::uint64_t opslimit = 0, memlimit = 0;  ///< Argon2id passes and memory (bytes)
  std::array<std::uint8_t, 16> salt{};
  std::array<std::uint8_t, 24> stream_header{};  ///< secretstream's header
};
/// The largest key-derivation parameters an archive may ask for (more is a damaged header).
inline constexpr std::uint64_t kMaxSealOpslimit = 64;
inline constexpr std::uint64_t kMaxSealMemlimit = std::uint64_t{4} << 30;

/// Parses and checks the header from an archive's first bytes (`bytes`: up to 72 of them; a pure
/// function, fuzzed). FormatError "<label>: not a sealed dyad session ...", "truncated inside its
/// header ...", "archive version N ...", "byte 12: key derivation parameters out of range ...".
SealHeader parse_seal_header(std::span<const std::uint8_t> bytes, const std::string& label);

/// True when `path` is a safe relative archive path ('/'-separated, no empty, '.' or '..' part,
/// no NUL or backslash, at most 4096 bytes).
bool is_safe_archive_path(const std::string& path);

}  // namespace dyad::formats
