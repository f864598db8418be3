#pragma once
/// \file An append-only array kept in an unnamed temporary file (O_TMPFILE in a given folder, gone
/// when closed or when the process dies), so a per-frame track of any length costs one chunk of
/// memory. Written by one thread, read after the writing is over.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "dyad/formats/error.hpp"
#include "dyad/formats/files.hpp"

namespace dyad::analysis::detail {

template <class T>
class SpillVector {
  static_assert(std::is_trivially_copyable_v<T>);

 public:
  SpillVector() = default;
  /// Keeps the data in an unnamed file in `dir` once more than `chunk` values were added.
  explicit SpillVector(std::filesystem::path dir, std::size_t chunk = std::size_t{1} << 15) : dir_(std::move(dir)), chunk_(chunk) {
    buf_.reserve(chunk_);
  }
  SpillVector(const SpillVector&) = delete;
  SpillVector& operator=(const SpillVector&) = delete;
  SpillVector(SpillVector&& o) noexcept { *this = std::move(o); }
  SpillVector& operator=(SpillVector&& o) noexcept {
    if (this != &o) {
      close();
      dir_ = std::move(o.dir_);
      chunk_ = o.chunk_;
      fd_ = o.fd_;
      in_file_ = o.in_file_;
      buf_ = std::move(o.buf_);
      o.fd_ = -1;
      o.in_file_ = 0;
    }
    return *this;
  }
  ~SpillVector() { close(); }

  void push_back(const T& v) {
    buf_.push_back(v);
    if (buf_.size() >= chunk_) spill();
  }
  std::size_t size() const { return in_file_ + buf_.size(); }
  bool empty() const { return size() == 0; }

  /// Values [i0, min(i1, size())) into `out` (resized).
  void read(std::size_t i0, std::size_t i1, std::vector<T>& out) const {
    i1 = std::min(i1, size());
    out.resize(i1 > i0 ? i1 - i0 : 0);
    if (i1 <= i0) return;
    std::size_t k = i0;
    if (k < in_file_) {
      const std::size_t m = std::min(i1, in_file_) - k;
      formats::pread_all(fd_, out.data(), m * sizeof(T), k * sizeof(T), dir_, "cannot read a temporary file");
      k += m;
    }
    if (k < i1) std::memcpy(out.data() + (k - i0), buf_.data() + (k - in_file_), (i1 - k) * sizeof(T));
  }
  T at(std::size_t i) const {
    std::vector<T> v;
    read(i, i + 1, v);
    return v.at(0);
  }
  /// fn(std::span<const T> values, std::size_t first_index) over the whole array in order, a chunk at a time.
  template <class Fn>
  void for_each_chunk(Fn&& fn) const {
    std::vector<T> v;
    for (std::size_t i = 0; i < size(); i += chunk_) {
      read(i, i + chunk_, v);
      fn(std::span<const T>(v), i);
    }
  }
  /// Index of the first value not less than x (values sorted ascending), like std::lower_bound.
  std::size_t lower_bound(const T& x) const {
    std::size_t lo = 0, hi = size();
    std::vector<T> v;
    while (hi - lo > chunk_) {  // binary search on single values down to one chunk
      const std::size_t mid = lo + (hi - lo) / 2;
      if (at(mid) < x) lo = mid + 1;
      else hi = mid;
    }
    read(lo, hi, v);
    return lo + static_cast<std::size_t>(std::lower_bound(v.begin(), v.end(), x) - v.begin());
  }

 private:
  void spill() {
    if (fd_ < 0) {
      fd_ = ::open(dir_.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
      if (fd_ < 0) {  // a file system without O_TMPFILE: a named file removed at once
        std::string tmpl = (dir_ / ".dyad-spill-XXXXXX").string();
        fd_ = ::mkostemp(tmpl.data(), O_CLOEXEC);
        if (fd_ < 0)
          throw formats::FormatError(formats::ErrorKind::io, dir_.string() + ": cannot create a temporary file: " + std::strerror(errno));
        ::unlink(tmpl.c_str());
      }
    }
    formats::pwrite_all(fd_, buf_.data(), buf_.size() * sizeof(T), in_file_ * sizeof(T), dir_, "cannot write a temporary file");
    in_file_ += buf_.size();
    buf_.clear();
  }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  std::filesystem::path dir_;
  std::size_t chunk_ = std::size_t{1} << 15;
  int fd_ = -1;
  std::size_t in_file_ = 0;
  std::vector<T> buf_;
};

}  // namespace dyad::analysis::detail
