#include "dyad/dsp/eda.hpp"

#include <algorithm>
#include <cmath>

#include "common.hpp"
#include "dyad/dsp/filter.hpp"

namespace dyad::dsp {

using detail::num;
using detail::require;

namespace {
/// sqrt(sum of h^2) of the zero-phase filter's impulse response: the SD of white noise of unit
/// SD after filtfilt(sections). The impulse sits mid-buffer, far from both ends.
double noise_gain(std::span<const Biquad> sections, double cutoff_hz, double fs) {
  const auto half = static_cast<std::size_t>(std::ceil(std::max(10.0, 20 / cutoff_hz) * fs));  // >> the filter's time constant
  std::vector<double> h(2 * half + 1, 0.0);
  h[half] = 1;
  filtfilt(sections, h);
  double s = 0;
  for (double v : h) s += v * v;
  return std::sqrt(s);
}
/// Median (mean of the middle two for an even count) by selection, in linear time; reorders v.
double median_in_place(std::vector<double>& v) {
  const auto mid = v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2);
  std::nth_element(v.begin(), mid, v.end());
  if (v.size() % 2) return *mid;
  return (*mid + *std::max_element(v.begin(), mid)) / 2;
}
}  // namespace

EdaAnalyzer::EdaAnalyzer(const EdaConfig& c) : c_(c) {
  require(c.sample_rate_hz >= 2, "EdaAnalyzer: sample_rate_hz must be at least 2 Hz (got " + num(c.sample_rate_hz) + ").");
  require(c.internal_rate_hz >= 2, "EdaAnalyzer: internal_rate_hz must be at least 2 Hz (got " + num(c.internal_rate_hz) + ").");
  const double fs = std::min(c.sample_rate_hz, c.internal_rate_hz * 2);
  require(c.lowpass_hz > 0 && c.lowpass_hz < std::min(c.sample_rate_hz, c.internal_rate_hz) / 2,
          "EdaAnalyzer: lowpass_hz must be above 0 and below half the internal rate (got " + num(c.lowpass_hz) + " Hz).");
  require(c.tonic_cutoff_hz > 0 && c.tonic_cutoff_hz < c.lowpass_hz,
          "EdaAnalyzer: tonic_cutoff_hz must be above 0 and below lowpass_hz (got " + num(c.tonic_cutoff_hz) + " Hz).");
  require(c.min_amplitude_us > 0, "EdaAnalyzer: min_amplitude_us must be above 0 (got " + num(c.min_amplitude_us) + ").");
  require(c.noise_amplitude_factor >= 0,
          "EdaAnalyzer: noise_amplitude_factor must not be negative (got " + num(c.noise_amplitude_factor) + ").");
  require(c.onset_slope_fraction > 0 && c.onset_slope_fraction < 1,
          "EdaAnalyzer: onset_slope_fraction must be in (0, 1) (got " + num(c.onset_slope_fraction) + ").");
  require(c.min_rise_s >= 0 && c.max_rise_s > c.min_rise_s,
          "EdaAnalyzer: need 0 <= min_rise_s < max_rise_s (got " + num(c.min_rise_s) + " and " + num(c.max_rise_s) + " s).");
  (void)fs;
}

std::size_t EdaAnalyzer::decimation() const noexcept {
  return std::max<std::size_t>(1, static_cast<std::size_t>(std::floor(c_.sample_rate_hz / c_.internal_rate_hz)));
}

EdaResult EdaAnalyzer::compute(std::span<const double> eda) const { return compute_decimated(decimate_mean(eda, decimation())); }

EdaResult EdaAnalyzer::compute_decimated(std::vector<double> x) const {
  EdaResult r;
  if (x.empty()) return r;
  const auto factor = decimation();
  const double fs = c_.sample_rate_hz / static_cast<double>(factor);
  const std::size_t n = x.size();
  // Block k averages input samples k*factor .. k*factor+factor-1: its time is their centre.
  const double t_offset = (static_cast<double>(factor) - 1) / 2 / c_.sample_rate_hz;
  r.time_s.resize(n);
  for (std::size_t i = 0; i < n; ++i) r.time_s[i] = static_cast<double>(i) / fs + t_offset;
  const Biquad lp[] = {butter_lowpass(c_.lowpass_hz, fs)};
  // Robust white-noise SD of the decimated input, before smoothing (see the header).
  if (n >= 8) {
    std::vector<double> dx(n - 1);
    for (std::size_t i = 1; i < n; ++i) dx[i - 1] = x[i] - x[i - 1];
    const double med = median_in_place(dx);
    for (auto& v : dx) v = std::abs(v - med);
    r.noise_sd_us = 1.4826 * median_in_place(dx) / std::sqrt(2.0);
  }
  r.smoothed_noise_sd_us = r.noise_sd_us * noise_gain(lp, c_.lowpass_hz, fs);
  r.min_amplitude_us = std::max(c_.min_amplitude_us, c_.noise_amplitude_factor * r.smoothed_noise_sd_us);
  filtfilt(lp, x);
  r.smoothed_us = x;
  r.tonic_us = x;
  const Biquad tl[] = {butter_lowpass(c_.tonic_cutoff_hz, fs)};
  filtfilt(tl, r.tonic_us);
  if (n < 3) return r;
  // Trough-to-peak with hysteresis: a peak counts once the signal has fallen min_amplitude / 2
  // below it, a trough once it has risen as much above it, so noise ripples never split a response.
  std::vector<double> d(n, 0.0);
  for (std::size_t i = 1; i + 1 < n; ++i) d[i] = (x[i + 1] - x[i - 1]) / 2 * fs;
  d[0] = d[1];
  d[n - 1] = d[n - 2];
  const double min_amp = r.min_amplitude_us, delta = min_amp / 2;
  auto add = [&](std::size_t tr, std::size_t pk) {
    if (pk <= tr) return;
    // Onset: going back from the steepest point of the rise, where the slope falls to
    // onset_slope_fraction of its maximum (a slow tonic drift before the response is not rise).
    std::size_t m = tr;
    for (std::size_t k = tr; k <= pk; ++k)
      if (d[k] > d[m]) m = k;
    if (!(d[m] > 0)) return;
    std::size_t on = m;
    while (on > tr && d[on] > c_.onset_slope_fraction * d[m]) --on;
    if (on == 0) return;  // a rise already under way when the run starts is incomplete
    const double amp = x[pk] - x[on];
    const double rise = r.time_s[pk] - r.time_s[on];
    if (amp >= min_amp && rise >= c_.min_rise_s && rise <= c_.max_rise_s)
      r.scrs.push_back({r.time_s[on], r.time_s[pk], amp, rise});
  };
  std::size_t tr = 0, pk = 0;
  bool rising = false;
  for (std::size_t i = 1; i < n; ++i) {
    if (rising) {
      if (x[i] > x[pk]) pk = i;
      else if (x[i] < x[pk] - delta) {
        add(tr, pk);
        rising = false;
        tr = i;
      }
    } else {
      if (x[i] < x[tr]) tr = i;
      else if (x[i] > x[tr] + delta) {
        rising = true;
        pk = i;
      }
    }
  }
  // A last peak that has not fallen back yet counts if the slope has turned a second before the end.
  if (rising && r.time_s[n - 1] - r.time_s[pk] >= 1.0) add(tr, pk);
  return r;
}

}  // namespace dyad::dsp
