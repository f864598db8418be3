#pragma once
/// \file Shared test helpers: temporary folders, seeded signals, tolerance checks.
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <cstdint>
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
