#pragma once
/// \file Crash-safe, private file handling (DESIGN.md "Crash safety" and "Privacy"):
/// folders 0700, files 0600, manifests replaced atomically, text appended line by line and
/// synced at least once a second.
#include <chrono>
#include <filesystem>
#include <string>
#include <string_view>

namespace dyad::formats {

namespace fs = std::filesystem;

/// Creates `dir` and missing parents with mode 0700 (the last component is chmod'ed to 0700
/// even if the umask is looser). Throws FormatError(io) with the path and errno text.
void make_private_dir(const fs::path& dir);

/// Replaces `path` atomically: writes `path.tmp` (0600), fsyncs it, renames it over `path`,
/// fsyncs the folder. A crash leaves either the old or the new file, never a mix.
void write_file_atomic(const fs::path& path, std::string_view content);

/// write_file_atomic in pieces, for what is too large to hold in memory: appends go to
/// `path.tmp` (0600); commit() fsyncs it, renames it over `path` and fsyncs the folder. Destroyed
/// without commit() (an error, an exception), the temporary file is removed and `path` is as it was.
class AtomicFile {
 public:
  explicit AtomicFile(const fs::path& path);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  /// Throws FormatError(io) on a write error (e.g. disk full); the temporary file is then removed.
  void append(std::string_view text);
  void commit();

 private:
  fs::path path_, tmp_;
  int fd_ = -1;
};

/// Writes a new file (0600) that must not exist yet unless `overwrite`; fsyncs it.
/// Throws FormatError(exists) when it exists and !overwrite.
void write_file_new(const fs::path& path, std::string_view content, bool overwrite);

/// Throws FormatError(exists) "<path>: already exists; add --force to replace it" when `path`
/// exists and !force: what a user made is never replaced silently.
void refuse_existing(const fs::path& path, bool force);

/// Creates `path` empty with mode 0600 (replacing what is there), so that a library opening it
/// afterwards by name (libsndfile, zlib, a C++ stream) writes into a file others never could
/// open, not one created with the umask's mode and tightened later.
void create_private_file(const fs::path& path);

/// Reads a whole file; FormatError(io) naming the path when it cannot.
std::string read_file(const fs::path& path);

/// Writes n bytes at `offset` of the open file `fd`, retrying short writes and EINTR; throws
/// FormatError(io) "<path>: <what>: <reason>" ("<what> (disk full)" when the disk is full).
void pwrite_all(int fd, const void* data, std::size_t n, std::uint64_t offset, const fs::path& path, const std::string& what);
/// Reads exactly n bytes at `offset` of `fd`; FormatError(io) as pwrite_all, also when the file ends first.
void pread_all(int fd, void* data, std::size_t n, std::uint64_t offset, const fs::path& path, const std::string& what);

/// A text file appended line by line, mode 0600, synced (fdatasync) at least once a second.
/// One thread only.
class LineFile {
 public:
  LineFile() = default;
  /// Opens for appending (creating it 0600); `truncate` starts it empty.
  LineFile(const fs::path& path, bool truncate);
  ~LineFile();
  LineFile(LineFile&&) noexcept;
  LineFile& operator=(LineFile&&) noexcept;
  LineFile(const LineFile&) = delete;
  LineFile& operator=(const LineFile&) = delete;

  bool is_open() const noexcept { return fd_ >= 0; }
  /// Appends `text` (whole lines, LF-terminated, written with one write call) and syncs when the
  /// last sync is a second old. Throws FormatError(io) on a write error (e.g. disk full).
  void append(std::string_view text);
  /// Forces an fdatasync now.
  void sync();
  void close();
  const fs::path& path() const noexcept { return path_; }

 private:
  int fd_ = -1;
  fs::path path_;
  std::chrono::steady_clock::time_point last_sync_{};
};

}  // namespace dyad::formats
