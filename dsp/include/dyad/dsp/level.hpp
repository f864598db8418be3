#pragma once
/// \file Signal level in dBFS, streaming (one instance per channel and thread).
#include <cstddef>
#include <cstdint>
#include <span>

namespace dyad::dsp {

/// Floor reported for digital silence, in dBFS.
inline constexpr double kSilenceDbfs = -150.0;

/// 20*log10(x) with x <= 1e-7.5 reported as kSilenceDbfs.
double amplitude_to_dbfs(double amplitude) noexcept;

/// Running peak, RMS and clipping count of one channel. Never allocates.
class LevelMeter {
 public:
  /// Clipping: |x| >= clip_threshold (default 0.999, i.e. -0.009 dBFS).
  explicit LevelMeter(double clip_threshold = 0.999) noexcept : clip_(clip_threshold) {}
  void reset() noexcept { *this = LevelMeter(clip_); }
  /// Adds samples of one channel taken every `stride` values from `interleaved`.
  void process(std::span<const float> interleaved, std::size_t stride, std::size_t offset) noexcept;
  double peak_dbfs() const noexcept { return amplitude_to_dbfs(peak_); }
  double rms_dbfs() const noexcept;
  std::int64_t clipped() const noexcept { return clipped_; }
  std::int64_t samples() const noexcept { return n_; }

 private:
  double clip_;
  double peak_ = 0, sum_sq_ = 0;
  std::int64_t n_ = 0, clipped_ = 0;
};

}  // namespace dyad::dsp
