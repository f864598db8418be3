#include "dyad/dsp/ppg.hpp"

#include <algorithm>
#include <cmath>

#include "common.hpp"
#include "dyad/dsp/filter.hpp"

namespace dyad::dsp {

using detail::num;
using detail::require;

PpgPeakDetector::PpgPeakDetector(const PpgConfig& c) : c_(c) {
  require(c.sample_rate_hz >= 20, "PpgPeakDetector: sample_rate_hz must be at least 20 Hz (got " + num(c.sample_rate_hz) + ").");
  require(c.band_low_hz > 0 && c.band_low_hz < c.band_high_hz && c.band_high_hz < c.sample_rate_hz / 2,
          "PpgPeakDetector: the band must satisfy 0 < band_low_hz < band_high_hz < sample_rate_hz / 2 (got " + num(c.band_low_hz) +
              " to " + num(c.band_high_hz) + " Hz).");
  require(c.peak_window_s > 0 && c.beat_window_s > c.peak_window_s,
          "PpgPeakDetector: need 0 < peak_window_s < beat_window_s (got " + num(c.peak_window_s) + " and " + num(c.beat_window_s) + " s).");
  require(c.beta >= 0, "PpgPeakDetector: beta must not be negative (got " + num(c.beta) + ").");
  require(c.refractory_s > 0, "PpgPeakDetector: refractory_s must be above 0 (got " + num(c.refractory_s) + ").");
}

std::vector<std::size_t> PpgPeakDetector::detect(std::span<const double> ppg) const {
  const double fs = c_.sample_rate_hz;
  const std::size_t n = ppg.size();
  if (n < static_cast<std::size_t>(2 * fs)) return {};
  std::vector<double> x(ppg.begin(), ppg.end());
  const Biquad band[] = {butter_highpass(c_.band_low_hz, fs), butter_lowpass(c_.band_high_hz, fs)};
  filtfilt(band, x);
  std::vector<double> sq(n);
  double mean_sq = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double v = std::max(0.0, x[i]);
    sq[i] = v * v;
    mean_sq += sq[i];
  }
  mean_sq /= static_cast<double>(n);
  const auto w1 = std::max<std::size_t>(1, static_cast<std::size_t>(std::lround(c_.peak_window_s * fs)));
  const auto w2 = std::max<std::size_t>(1, static_cast<std::size_t>(std::lround(c_.beat_window_s * fs)));
  const auto ma_peak = moving_average(sq, w1 | 1);
  const auto ma_beat = moving_average(sq, w2 | 1);
  const double offset = c_.beta * mean_sq;
  const auto refr = static_cast<std::size_t>(c_.refractory_s * fs);
  std::vector<std::size_t> peaks;
  std::size_t i = 0;
  while (i < n) {
    if (!(ma_peak[i] > ma_beat[i] + offset)) {
      ++i;
      continue;
    }
    const std::size_t start = i;
    while (i < n && ma_peak[i] > ma_beat[i] + offset) ++i;
    if (i - start < w1) continue;  // block shorter than a systolic peak
    std::size_t best = start;
    for (std::size_t k = start; k < i; ++k)
      if (x[k] > x[best]) best = k;
    if (!peaks.empty() && best - peaks.back() < refr) {
      if (x[best] > x[peaks.back()]) peaks.back() = best;
      continue;
    }
    peaks.push_back(best);
  }
  return peaks;
}

}  // namespace dyad::dsp
