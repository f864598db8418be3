#pragma once
// Internal: the sample history shared by the streaming trackers (pitch, intensity, harmonicity,
// glottal pulses). Samples are addressed by their absolute index in the signal.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <vector>

#include "common.hpp"

namespace dyad::dsp::detail {

inline std::size_t next_pow2(std::size_t n) {
  std::size_t p = 1;
  while (p < n) p <<= 1;
  return p;
}

/// Smallest n >= target that is a power of two or three times one: the sizes FFTW's estimated plans
/// transform fastest here (measured: 3072 points cost less than 4096; 2700 or 960 cost more than
/// the next power of two). An autocorrelation needs only nfft >= window + largest lag.
inline std::size_t fast_fft_size(std::size_t target) {
  const std::size_t p2 = next_pow2(std::max<std::size_t>(target, 2));
  const std::size_t p3 = 3 * next_pow2((target + 2) / 3);
  return std::min(p2, p3);
}

/// Samples addressed by absolute index, keeping the last `capacity` (a power of two).
class SampleRing {
 public:
  void init(std::size_t capacity) {
    buf_.assign(next_pow2(capacity), 0.f);
    mask_ = buf_.size() - 1;
    total_ = 0;
  }
  void clear() noexcept { total_ = 0; }
  std::size_t capacity() const noexcept { return buf_.size(); }
  std::int64_t total() const noexcept { return total_; }
  /// Index of the oldest sample still held.
  std::int64_t oldest() const noexcept { return std::max<std::int64_t>(0, total_ - static_cast<std::int64_t>(buf_.size())); }
  void push(const float* x, std::size_t n) noexcept {
    if (n > buf_.size()) {  // only the last capacity() samples stay
      total_ += static_cast<std::int64_t>(n - buf_.size());
      x += n - buf_.size();
      n = buf_.size();
    }
    const std::size_t s0 = static_cast<std::size_t>(total_) & mask_;
    const std::size_t first = std::min(n, buf_.size() - s0);
    std::copy(x, x + first, buf_.data() + s0);
    std::copy(x + first, x + n, buf_.data());
    total_ += static_cast<std::int64_t>(n);
  }
  /// Sample i; zero before the start and at or after `total()`.
  float at(std::int64_t i) const noexcept {
    if (i < 0 || i >= total_) return 0.f;
    return buf_[static_cast<std::size_t>(i) & mask_];
  }
  /// Largest |x| over samples [a, b) (all inside the ring).
  float max_abs(std::int64_t a, std::int64_t b) const noexcept {
    float m = 0;
    while (a < b) {
      std::size_t s0 = static_cast<std::size_t>(a) & mask_;
      std::size_t n = std::min(static_cast<std::size_t>(b - a), buf_.size() - s0);
      const float* p = buf_.data() + s0;
#pragma omp simd reduction(max : m)
      for (std::size_t i = 0; i < n; ++i) m = std::max(m, std::abs(p[i]));
      a += static_cast<std::int64_t>(n);
    }
    return m;
  }
  /// Samples [start, start+n) in place when they are inside the signal and do not wrap around the
  /// ring's end; nullptr otherwise (then copy()).
  const float* contiguous(std::int64_t start, std::size_t n) const noexcept {
    if (start < 0 || start + static_cast<std::int64_t>(n) > total_) return nullptr;
    const std::size_t s0 = static_cast<std::size_t>(start) & mask_;
    if (s0 + n > buf_.size()) return nullptr;
    return buf_.data() + s0;
  }
  /// Copies samples [start, start+n) (zeros outside the signal) into dst.
  void copy(std::int64_t start, std::size_t n, float* dst) const noexcept {
    if (start >= 0 && start + static_cast<std::int64_t>(n) <= total_) {  // common case: two spans
      std::size_t s0 = static_cast<std::size_t>(start) & mask_;
      std::size_t first = std::min(n, buf_.size() - s0);
      std::copy(buf_.data() + s0, buf_.data() + s0 + first, dst);
      std::copy(buf_.data(), buf_.data() + (n - first), dst + first);
      return;
    }
    std::size_t j = 0;
    for (; j < n && start + static_cast<std::int64_t>(j) < 0; ++j) dst[j] = 0.f;
    for (; j < n; ++j) {
      std::int64_t i = start + static_cast<std::int64_t>(j);
      if (i >= total_) break;
      dst[j] = buf_[static_cast<std::size_t>(i) & mask_];
    }
    for (; j < n; ++j) dst[j] = 0.f;
  }

 private:
  std::vector<float> buf_;
  std::size_t mask_ = 0;
  std::int64_t total_ = 0;
};

}  // namespace dyad::dsp::detail
