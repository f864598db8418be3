#include "dyad/dsp/eda.hpp"

#include <algorithm>
#include <cmath>

#include "common.hpp"
#include "dyad/dsp/filter.hpp"

namespace dyad::dsp {

using detail::num;
using detail::require;

EdaAnalyzer::EdaAnalyzer(const EdaConfig& c) : c_(c) {
  require(c.sample_rate_hz >= 2, "EdaAnalyzer: sample_rate_hz must be at least 2 Hz (got " + num(c.sample_rate_hz) + ").");
  require(c.internal_rate_hz >= 2, "EdaAnalyzer: internal_rate_hz must be at least 2 Hz (got " + num(c.internal_rate_hz) + ").");
  const double fs = std::min(c.sample_rate_hz, c.internal_rate_hz * 2);
  require(c.lowpass_hz > 0 && c.lowpass_hz < std::min(c.sample_rate_hz, c.internal_rate_hz) / 2,
          "EdaAnalyzer: lowpass_hz must be above 0 and below half the internal rate (got " + num(c.lowpass_hz) + " Hz).");
  require(c.tonic_cutoff_hz > 0 && c.tonic_cutoff_hz < c.lowpass_hz,
          "EdaAnalyzer: tonic_cutoff_hz must be above 0 and below lowpass_hz (got " + num(c.tonic_cutoff_hz) + " Hz).");
  require(c.min_amplitude_us > 0, "EdaAnalyzer: min_amplitude_us must be above 0 (got " + num(c.min_amplitude_us) + ").");
  require(c.min_rise_s >= 0 && c.max_rise_s > c.min_rise_s,
          "EdaAnalyzer: need 0 <= min_rise_s < max_rise_s (got " + num(c.min_rise_s) + " and " + num(c.max_rise_s) + " s).");
  (void)fs;
}

EdaResult EdaAnalyzer::compute(std::span<const double> eda) const {
  EdaResult r;
  if (eda.empty()) return r;
  const auto factor = std::max<std::size_t>(1, static_cast<std::size_t>(std::floor(c_.sample_rate_hz / c_.internal_rate_hz)));
  const double fs = c_.sample_rate_hz / static_cast<double>(factor);
  std::vector<double> x = decimate_mean(eda, factor);
  const std::size_t n = x.size();
  // Block k averages input samples k*factor .. k*factor+factor-1: its time is their centre.
  const double t_offset = (static_cast<double>(factor) - 1) / 2 / c_.sample_rate_hz;
  r.time_s.resize(n);
  for (std::size_t i = 0; i < n; ++i) r.time_s[i] = static_cast<double>(i) / fs + t_offset;
  const Biquad lp[] = {butter_lowpass(c_.lowpass_hz, fs)};
  filtfilt(lp, x);
  r.smoothed_us = x;
  r.tonic_us = x;
  const Biquad tl[] = {butter_lowpass(c_.tonic_cutoff_hz, fs)};
  filtfilt(tl, r.tonic_us);
  if (n < 3) return r;
  // Trough-to-peak: onset where the slope turns positive, peak where it turns back.
  std::vector<double> d(n, 0.0);
  for (std::size_t i = 1; i + 1 < n; ++i) d[i] = (x[i + 1] - x[i - 1]) / 2 * fs;
  d[0] = d[1];
  d[n - 1] = d[n - 2];
  std::size_t i = 1;
  while (i < n) {
    if (!(d[i] > 0 && d[i - 1] <= 0)) {
      ++i;
      continue;
    }
    const std::size_t on = i - 1;
    std::size_t pk = i;
    while (pk + 1 < n && d[pk + 1] > 0) ++pk;
    if (pk + 1 >= n) break;  // still rising at the end: not a complete response
    ++pk;                    // the first sample whose slope is no longer positive
    const double amp = x[pk] - x[on];
    const double rise = r.time_s[pk] - r.time_s[on];
    if (amp >= c_.min_amplitude_us && rise >= c_.min_rise_s && rise <= c_.max_rise_s)
      r.scrs.push_back({r.time_s[on], r.time_s[pk], amp, rise});
    i = pk + 1;
  }
  return r;
}

}  // namespace dyad::dsp
