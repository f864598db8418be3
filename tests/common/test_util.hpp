#pragma once
/// \file Shared test helpers: temporary folders, seeded signals, tolerance checks.
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

namespace dyad::test {

/// A fresh temporary folder removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path() /
            ("dyad-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& s) const { return path_ / s; }

 private:
  std::filesystem::path path_;
};

/// Unix permission bits of a path (e.g. 0700).
/// A real small file system for disk-full tests: a tmpfs mounted on `dir` (root with
/// CAP_SYS_ADMIN only; else mounted() is false and why() says so, for GTEST_SKIP), unmounted when
/// this goes. shrink() makes its size what it holds now plus `room` bytes.
class Tmpfs {
 public:
  explicit Tmpfs(const std::filesystem::path& dir, const std::string& size = "64m") : dir_(dir) {
    std::filesystem::create_directories(dir);
    if (::getuid() != 0) {
      why_ = "needs root (a tmpfs mount)";
    } else if (::mount("tmpfs", dir.c_str(), "tmpfs", 0, ("size=" + size + ",mode=0700").c_str()) != 0) {
      why_ = std::string("cannot mount a tmpfs (needs CAP_SYS_ADMIN): ") + std::strerror(errno);
    } else {
      mounted_ = true;
    }
  }
  ~Tmpfs() {
    if (mounted_) ::umount2(dir_.c_str(), MNT_DETACH);
  }
  Tmpfs(const Tmpfs&) = delete;
  Tmpfs& operator=(const Tmpfs&) = delete;
  bool mounted() const noexcept { return mounted_; }
  const std::string& why() const noexcept { return why_; }
  /// Remounts with room for `room` more bytes (whole pages); false with why() on failure.
  bool shrink(std::uintmax_t room) {
    struct statvfs v {};
    if (::statvfs(dir_.c_str(), &v) != 0) return fail("statvfs");
    const std::uintmax_t used = (v.f_blocks - v.f_bfree) * v.f_frsize;
    const std::string opts = "size=" + std::to_string((used + room + 4095) / 4096 * 4096) + ",mode=0700";
    return ::mount("tmpfs", dir_.c_str(), "tmpfs", MS_REMOUNT, opts.c_str()) == 0 || fail("remount");
  }

 private:
  bool fail(const char* what) {
    why_ = std::string(what) + ": " + std::strerror(errno);
    return false;
  }
  std::filesystem::path dir_;
  bool mounted_ = false;
  std::string why_;
};

inline unsigned mode_of(const std::filesystem::path& p) {
  struct stat st {};
  ::stat(p.c_str(), &st);
  return st.st_mode & 0777u;
}

/// A sine at `freq_hz`, amplitude `amp`, `n` samples at `rate_hz`.
inline std::vector<float> sine(double freq_hz, double rate_hz, std::size_t n, double amp = 0.5, double phase = 0) {
  std::vector<float> x(n);
  for (std::size_t i = 0; i < n; ++i) x[i] = static_cast<float>(amp * std::sin(2 * M_PI * freq_hz * static_cast<double>(i) / rate_hz + phase));
  return x;
}

/// Seeded Gaussian noise.
inline std::vector<float> noise(std::size_t n, double sd, std::uint32_t seed) {
  std::mt19937 g(seed);
  std::normal_distribution<double> d(0, sd);
  std::vector<float> x(n);
  for (auto& v : x) v = static_cast<float>(d(g));
  return x;
}

/// Folder of the committed test fixtures.
inline std::filesystem::path data_dir() { return DYAD_TEST_DATA; }
/// ../shared/data beside the repository (may be absent).
inline std::filesystem::path shared_data() { return DYAD_SHARED_DATA; }

}  // namespace dyad::test
