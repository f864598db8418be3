#include "dyad/dsp/hrv.hpp"

#include <cmath>
#include <vector>

#include "common.hpp"

namespace dyad::dsp {

using detail::num;
using detail::require;

HrvAnalyzer::HrvAnalyzer(const HrvConfig& c) : c_(c) {
  require(c.vlf_low_hz > 0 && c.vlf_low_hz < c.lf_low_hz && c.lf_low_hz < c.hf_low_hz && c.hf_low_hz < c.hf_high_hz,
          "HrvAnalyzer: the bands must satisfy 0 < vlf_low_hz < lf_low_hz < hf_low_hz < hf_high_hz (got " + num(c.vlf_low_hz) + ", " +
              num(c.lf_low_hz) + ", " + num(c.hf_low_hz) + ", " + num(c.hf_high_hz) + " Hz).");
  require(c.frequency_step_hz > 0 && c.frequency_step_hz <= 0.01,
          "HrvAnalyzer: frequency_step_hz must be in (0, 0.01] Hz (got " + num(c.frequency_step_hz) + ").");
  require(c.min_rr_s > 0 && c.min_rr_s < c.max_rr_s,
          "HrvAnalyzer: need 0 < min_rr_s < max_rr_s (got " + num(c.min_rr_s) + " and " + num(c.max_rr_s) + " s).");
}

HrvResult HrvAnalyzer::compute(std::span<const double> t) const {
  const double nan = std::nan("");
  HrvResult r;
  r.mean_rr_ms = r.sdnn_ms = r.rmssd_ms = r.pnn50_pct = r.mean_hr_bpm = nan;
  r.lf_ms2 = r.hf_ms2 = r.lf_hf = r.lf_nu = r.hf_nu = nan;
  // RR in ms at the time of the beat that ends it; successive differences only between adjacent
  // valid intervals.
  std::vector<double> tt, rr;
  std::vector<char> adjacent;
  bool prev_ok = false;
  for (std::size_t i = 1; i < t.size(); ++i) {
    const double v = t[i] - t[i - 1];
    const bool ok = v >= c_.min_rr_s && v <= c_.max_rr_s;
    if (ok) {
      tt.push_back(t[i]);
      rr.push_back(v * 1000);
      adjacent.push_back(prev_ok ? 1 : 0);
    }
    prev_ok = ok;
  }
  const std::size_t n = rr.size();
  r.n_rr = static_cast<int>(n);
  if (n < 2) return r;
  double mean = 0;
  for (double v : rr) mean += v;
  mean /= static_cast<double>(n);
  double ss = 0;
  for (double v : rr) ss += (v - mean) * (v - mean);
  r.mean_rr_ms = mean;
  r.mean_hr_bpm = 60000.0 / mean;
  r.sdnn_ms = std::sqrt(ss / static_cast<double>(n - 1));
  double sd2 = 0;
  int nd = 0, n50 = 0;
  for (std::size_t i = 1; i < n; ++i) {
    if (!adjacent[i]) continue;
    const double d = rr[i] - rr[i - 1];
    sd2 += d * d;
    ++nd;
    if (std::abs(d) > 50) ++n50;
  }
  if (nd > 0) {
    r.rmssd_ms = std::sqrt(sd2 / nd);
    r.pnn50_pct = 100.0 * n50 / nd;
  }
  const double span = tt.back() - tt.front();
  if (n < 10 || span < 60) return r;

  // Lomb-Scargle (Press & Rybicki form) of the linearly detrended RR, frequencies by recurrence.
  std::vector<double> x(n), y(n);
  double mx = 0, my = 0;
  for (std::size_t i = 0; i < n; ++i) {
    x[i] = tt[i] - tt.front();
    mx += x[i];
    my += rr[i];
  }
  mx /= static_cast<double>(n);
  my /= static_cast<double>(n);
  double sxy = 0, sxx = 0;
  for (std::size_t i = 0; i < n; ++i) {
    sxy += (x[i] - mx) * (rr[i] - my);
    sxx += (x[i] - mx) * (x[i] - mx);
  }
  const double slope = sxx > 0 ? sxy / sxx : 0;
  for (std::size_t i = 0; i < n; ++i) y[i] = rr[i] - my - slope * (x[i] - mx);
  const double df = c_.frequency_step_hz;
  const double f0 = c_.vlf_low_hz;
  const auto nf = static_cast<std::size_t>(std::floor((c_.hf_high_hz - f0) / df)) + 1;
  // e^{i 2 pi f t} per beat, advanced one frequency step at a time by a rotation; in plain
  // arrays (std::complex's operator*= checks for infinities and does not vectorise).
  std::vector<double> zr(n), zi(n), sr(n), si(n);
  for (std::size_t i = 0; i < n; ++i) {
    zr[i] = std::cos(2 * M_PI * f0 * x[i]);
    zi[i] = std::sin(2 * M_PI * f0 * x[i]);
    sr[i] = std::cos(2 * M_PI * df * x[i]);
    si[i] = std::sin(2 * M_PI * df * x[i]);
  }
  const double scale = 2.0 * span / static_cast<double>(n) / static_cast<double>(n);  // one-sided PSD, ms^2/Hz
  double lf = 0, hf = 0;
  for (std::size_t k = 0; k < nf; ++k) {
    const double f = f0 + static_cast<double>(k) * df;
    double c = 0, s = 0, c2 = 0, s2 = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const double re = zr[i], im = zi[i];
      c += y[i] * re;
      s += y[i] * im;
      c2 += re * re - im * im;
      s2 += 2 * re * im;
      zr[i] = re * sr[i] - im * si[i];
      zi[i] = re * si[i] + im * sr[i];
    }
    // tau: tan(2 w tau) = s2 / c2
    const double two_wt = std::atan2(s2, c2);
    const double cwt = std::cos(two_wt / 2), swt = std::sin(two_wt / 2);
    const double cos2sum = 0.5 * (static_cast<double>(n) + std::hypot(c2, s2));
    const double sin2sum = static_cast<double>(n) - cos2sum;
    const double yc = c * cwt + s * swt, ys = s * cwt - c * swt;
    double p = 0;
    if (cos2sum > 1e-12) p += yc * yc / cos2sum;
    if (sin2sum > 1e-12) p += ys * ys / sin2sum;
    // p / 2 is the classical periodogram |sum y e^{-iwt}|^2 / n for even sampling.
    const double psd = p / 2 * scale * static_cast<double>(n) / 1.0;
    const double w = (k == 0 || k + 1 == nf) ? 0.5 : 1.0;  // trapezoid
    if (f >= c_.lf_low_hz && f < c_.hf_low_hz) lf += psd * df * w;
    if (f >= c_.hf_low_hz && f <= c_.hf_high_hz) hf += psd * df * w;
  }
  r.lf_ms2 = lf;
  r.hf_ms2 = hf;
  r.lf_hf = hf > 0 ? lf / hf : nan;
  if (lf + hf > 0) {
    r.lf_nu = 100 * lf / (lf + hf);
    r.hf_nu = 100 * hf / (lf + hf);
  }
  return r;
}

}  // namespace dyad::dsp
