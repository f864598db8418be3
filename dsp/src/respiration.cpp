#include "dyad/dsp/respiration.hpp"

#include <algorithm>
#include <cmath>

#include "common.hpp"
#include "dyad/dsp/filter.hpp"

namespace dyad::dsp {

using detail::num;
using detail::require;

RespirationAnalyzer::RespirationAnalyzer(const RespConfig& c) : c_(c) {
  require(c.sample_rate_hz >= 2, "RespirationAnalyzer: sample_rate_hz must be at least 2 Hz (got " + num(c.sample_rate_hz) + ").");
  require(c.internal_rate_hz >= 2, "RespirationAnalyzer: internal_rate_hz must be at least 2 Hz (got " + num(c.internal_rate_hz) + ").");
  require(c.band_low_hz > 0 && c.band_low_hz < c.band_high_hz && c.band_high_hz < std::min(c.sample_rate_hz, c.internal_rate_hz) / 2,
          "RespirationAnalyzer: the band must satisfy 0 < band_low_hz < band_high_hz < half the internal rate (got " + num(c.band_low_hz) +
              " to " + num(c.band_high_hz) + " Hz).");
  require(c.min_amplitude_fraction >= 0 && c.min_amplitude_fraction < 1,
          "RespirationAnalyzer: min_amplitude_fraction must be in [0, 1) (got " + num(c.min_amplitude_fraction) + ").");
}

RespResult RespirationAnalyzer::summarise(const std::vector<Breath>& breaths, double start_s, double end_s) {
  RespResult r;
  const double nan = std::nan("");
  r.rate_bpm = r.interval_sd_s = r.interval_rmssd_s = r.rate_cv = nan;
  std::vector<double> pk;
  for (const auto& b : breaths)
    if (b.peak_s >= start_s && b.peak_s < end_s) pk.push_back(b.peak_s);
  if (pk.size() < 2) return r;
  std::vector<double> iv;
  for (std::size_t i = 1; i < pk.size(); ++i) iv.push_back(pk[i] - pk[i - 1]);
  double m = 0;
  for (double v : iv) m += v;
  m /= static_cast<double>(iv.size());
  r.rate_bpm = 60 / m;
  if (iv.size() >= 2) {
    double ss = 0, sd = 0;
    for (double v : iv) ss += (v - m) * (v - m);
    for (std::size_t i = 1; i < iv.size(); ++i) sd += (iv[i] - iv[i - 1]) * (iv[i] - iv[i - 1]);
    r.interval_sd_s = std::sqrt(ss / static_cast<double>(iv.size() - 1));
    r.interval_rmssd_s = std::sqrt(sd / static_cast<double>(iv.size() - 1));
    r.rate_cv = r.interval_sd_s / m;
  }
  return r;
}

std::size_t RespirationAnalyzer::decimation() const noexcept {
  return std::max<std::size_t>(1, static_cast<std::size_t>(std::floor(c_.sample_rate_hz / c_.internal_rate_hz)));
}

RespResult RespirationAnalyzer::compute(std::span<const double> resp) const { return compute_decimated(decimate_mean(resp, decimation())); }

RespResult RespirationAnalyzer::compute_decimated(std::vector<double> x) const {
  const auto factor = decimation();
  const double fs = c_.sample_rate_hz / static_cast<double>(factor);
  const std::size_t n = x.size();
  const double t_offset = (static_cast<double>(factor) - 1) / 2 / c_.sample_rate_hz;
  std::vector<Breath> breaths;
  if (n >= 4) {
    const Biquad band[] = {butter_highpass(c_.band_low_hz, fs), butter_lowpass(c_.band_high_hz, fs)};
    filtfilt(band, x);
    // Extremes between zero crossings: a trough in each negative half-wave, a peak in each positive.
    struct Ext {
      std::size_t i;
      bool peak;
    };
    std::vector<Ext> ext;
    std::size_t start = 0;
    for (std::size_t i = 1; i <= n; ++i) {
      if (i < n && (x[i] >= 0) == (x[start] >= 0)) continue;
      const bool pos = x[start] >= 0;
      std::size_t best = start;
      for (std::size_t k = start; k < i; ++k)
        if (pos ? x[k] > x[best] : x[k] < x[best]) best = k;
      if (start > 0 && i < n) ext.push_back({best, pos});  // whole half-waves only
      start = i;
    }
    // Reject small breaths: merge trough-peak pairs whose excursion is under the fraction of the
    // median, until none is left.
    for (int iter = 0; iter < 20 && ext.size() >= 3; ++iter) {
      std::vector<double> amp;
      for (std::size_t k = 1; k < ext.size(); ++k) amp.push_back(std::abs(x[ext[k].i] - x[ext[k - 1].i]));
      const double thr = c_.min_amplitude_fraction * quantile(amp, 0.5);
      std::size_t worst = 0;
      double worst_amp = thr;
      for (std::size_t k = 1; k < ext.size(); ++k)
        if (amp[k - 1] < worst_amp) {
          worst_amp = amp[k - 1];
          worst = k;
        }
      if (worst == 0) break;
      // Remove the pair (worst-1, worst); keep the more extreme neighbours' alternation.
      ext.erase(ext.begin() + static_cast<std::ptrdiff_t>(worst - 1), ext.begin() + static_cast<std::ptrdiff_t>(worst) + 1);
      // After removing, two same-kind extremes may touch: keep the more extreme.
      std::vector<Ext> merged;
      for (const auto& e : ext) {
        if (!merged.empty() && merged.back().peak == e.peak) {
          if (e.peak ? x[e.i] > x[merged.back().i] : x[e.i] < x[merged.back().i]) merged.back() = e;
          continue;
        }
        merged.push_back(e);
      }
      ext.swap(merged);
    }
    for (std::size_t k = 1; k < ext.size(); ++k) {
      if (!ext[k].peak || ext[k - 1].peak) continue;
      breaths.push_back({static_cast<double>(ext[k - 1].i) / fs + t_offset, static_cast<double>(ext[k].i) / fs + t_offset,
                         x[ext[k].i] - x[ext[k - 1].i]});
    }
  }
  RespResult r = summarise(breaths, -1e300, 1e300);
  r.breaths = std::move(breaths);
  return r;
}

}  // namespace dyad::dsp
