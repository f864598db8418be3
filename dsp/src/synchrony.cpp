#include "dyad/dsp/synchrony.hpp"

#include <algorithm>
#include <cmath>
#include <random>

#include "common.hpp"
#include "dyad/dsp/filter.hpp"

namespace dyad::dsp {

using detail::num;
using detail::require;

namespace {
/// The first pair where both are finite (0, 0 when none): the one-pass sums of the correlations
/// are taken about it, which keeps them well conditioned.
void first_finite_pair(const double* x, const double* y, std::size_t n, double& x0, double& y0) {
  x0 = y0 = 0;
  for (std::size_t i = 0; i < n; ++i)
    if (std::isfinite(x[i]) && std::isfinite(y[i])) {
      x0 = x[i];
      y0 = y[i];
      return;
    }
}
}  // namespace

double pearson(const double* x, const double* y, std::size_t n, std::size_t min_pairs) {
  double x0, y0;
  first_finite_pair(x, y, n, x0, y0);
  double sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
  std::size_t k = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (!std::isfinite(x[i]) || !std::isfinite(y[i])) continue;
    const double a = x[i] - x0, b = y[i] - y0;
    sx += a;
    sy += b;
    sxx += a * a;
    syy += b * b;
    sxy += a * b;
    ++k;
  }
  if (k < std::max<std::size_t>(min_pairs, 3)) return std::nan("");
  const double kk = static_cast<double>(k);
  const double vx = sxx - sx * sx / kk, vy = syy - sy * sy / kk;
  if (!(vx > 1e-12 * (sxx + 1e-300)) || !(vy > 1e-12 * (syy + 1e-300))) return std::nan("");
  return std::clamp((sxy - sx * sy / kk) / std::sqrt(vx * vy), -1.0, 1.0);
}

double pearson_detrended(const double* x, const double* y, std::size_t n, std::size_t min_pairs) {
  double x0, y0;
  first_finite_pair(x, y, n, x0, y0);
  const double c = (static_cast<double>(n) - 1) / 2;  // centred time keeps the sums small
  double st = 0, stt = 0, sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0, sxt = 0, syt = 0;
  std::size_t k = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (!std::isfinite(x[i]) || !std::isfinite(y[i])) continue;
    const double a = x[i] - x0, b = y[i] - y0, t = static_cast<double>(i) - c;
    st += t;
    stt += t * t;
    sx += a;
    sy += b;
    sxx += a * a;
    syy += b * b;
    sxy += a * b;
    sxt += a * t;
    syt += b * t;
    ++k;
  }
  if (k < std::max<std::size_t>(min_pairs, 4)) return std::nan("");
  const double kk = static_cast<double>(k);
  const double vt = stt - st * st / kk;
  if (!(vt > 0)) return std::nan("");
  const double cxt = sxt - sx * st / kk, cyt = syt - sy * st / kk;
  const double vx = sxx - sx * sx / kk - cxt * cxt / vt, vy = syy - sy * sy / kk - cyt * cyt / vt;
  const double cxy = sxy - sx * sy / kk - cxt * cyt / vt;
  if (!(vx > 1e-12 * (sxx + 1e-300)) || !(vy > 1e-12 * (syy + 1e-300))) return std::nan("");
  return std::clamp(cxy / std::sqrt(vx * vy), -1.0, 1.0);
}

WindowedCrossCorrelation::WindowedCrossCorrelation(const SynchronyConfig& c) : c_(c) {
  require(c.sample_rate_hz > 0, "WindowedCrossCorrelation: sample_rate_hz must be above 0 (got " + num(c.sample_rate_hz) + ").");
  require(c.window_s * c.sample_rate_hz >= 4,
          "WindowedCrossCorrelation: window_s must hold at least 4 samples (got " + num(c.window_s) + " s at " + num(c.sample_rate_hz) + " Hz).");
  require(c.step_s > 0, "WindowedCrossCorrelation: step_s must be above 0 (got " + num(c.step_s) + ").");
  require(c.max_lag_s >= 0 && c.max_lag_s < c.window_s,
          "WindowedCrossCorrelation: max_lag_s must be in [0, window_s) (got " + num(c.max_lag_s) + " s with a " + num(c.window_s) + " s window).");
  require(c.surrogate_pairs >= 0, "WindowedCrossCorrelation: surrogate_pairs must not be negative (got " + std::to_string(c.surrogate_pairs) + ").");
  require(c.surrogate_percentile > 0 && c.surrogate_percentile < 100,
          "WindowedCrossCorrelation: surrogate_percentile must be in (0, 100) (got " + num(c.surrogate_percentile) + ").");
  require(c.min_valid_fraction > 0 && c.min_valid_fraction <= 1,
          "WindowedCrossCorrelation: min_valid_fraction must be in (0, 1] (got " + num(c.min_valid_fraction) + ").");
}

SynchronyResult WindowedCrossCorrelation::compute(std::span<const double> a, std::span<const double> b, double t0) const {
  SynchronyResult res;
  const double nan = std::nan("");
  res.surrogate_p95 = res.mean_abs_peak_r = res.median_lag_s = res.fraction_above_surrogate = nan;
  const double fs = c_.sample_rate_hz;
  const std::size_t n = std::min(a.size(), b.size());
  const auto W = static_cast<std::size_t>(std::lround(c_.window_s * fs));
  const auto S = std::max<std::size_t>(1, static_cast<std::size_t>(std::lround(c_.step_s * fs)));
  const auto L = static_cast<long>(std::lround(c_.max_lag_s * fs));
  const auto min_pairs = static_cast<std::size_t>(std::ceil(c_.min_valid_fraction * static_cast<double>(W)));
  if (n < W) return res;
  std::vector<std::size_t> starts;
  for (std::size_t s = 0; s + W <= n; s += S) starts.push_back(s);
  // Centred copies and prefix sums: a window without missing samples needs only its cross sum.
  auto centre = [n](std::span<const double> x) {
    double m = 0;
    std::size_t k = 0;
    for (std::size_t i = 0; i < n; ++i)
      if (std::isfinite(x[i])) {
        m += x[i];
        ++k;
      }
    m = k ? m / static_cast<double>(k) : 0;
    std::vector<double> c(n);
    for (std::size_t i = 0; i < n; ++i) c[i] = x[i] - m;
    return c;
  };
  const auto ca = centre(a), cb = centre(b);
  // Prefix sums of x, x^2 and i x (i the sample index): a window without missing samples needs
  // only its cross sum; the line through a window follows from the i x sums.
  struct Prefix {
    std::vector<double> s1, s2, si;
    std::vector<std::size_t> bad;
  };
  auto prefix = [n](const std::vector<double>& x) {
    Prefix p{std::vector<double>(n + 1, 0.0), std::vector<double>(n + 1, 0.0), std::vector<double>(n + 1, 0.0),
             std::vector<std::size_t>(n + 1, 0)};
    for (std::size_t i = 0; i < n; ++i) {
      const bool ok = std::isfinite(x[i]);
      p.s1[i + 1] = p.s1[i] + (ok ? x[i] : 0);
      p.s2[i + 1] = p.s2[i] + (ok ? x[i] * x[i] : 0);
      p.si[i + 1] = p.si[i] + (ok ? x[i] * static_cast<double>(i) : 0);
      p.bad[i + 1] = p.bad[i] + (ok ? 0 : 1);
    }
    return p;
  };
  const auto pa = prefix(ca), pb = prefix(cb);
  const double wn = static_cast<double>(W);
  const double stt = wn * (wn * wn - 1) / 12;  // sum of (i - centre)^2 over a window
  const bool detrend = c_.detrend;
  auto slow = [&](std::size_t sa, std::size_t sb) {
    return detrend ? pearson_detrended(ca.data() + sa, cb.data() + sb, W, min_pairs) : pearson(ca.data() + sa, cb.data() + sb, W, min_pairs);
  };
  auto corr = [&](std::size_t sa, std::size_t sb) {
    if (pa.bad[sa + W] != pa.bad[sa] || pb.bad[sb + W] != pb.bad[sb]) return slow(sa, sb);
    const double sx = pa.s1[sa + W] - pa.s1[sa], sy = pb.s1[sb + W] - pb.s1[sb];
    double vx = pa.s2[sa + W] - pa.s2[sa] - sx * sx / wn, vy = pb.s2[sb + W] - pb.s2[sb] - sy * sy / wn;
    double sxy = 0;
    const double* x = ca.data() + sa;
    const double* y = cb.data() + sb;
    for (std::size_t i = 0; i < W; ++i) sxy += x[i] * y[i];
    double cxy = sxy - sx * sy / wn;
    if (detrend) {
      // sum of (i - centre) x over the window, from the global index sums
      const double cxt = pa.si[sa + W] - pa.si[sa] - (static_cast<double>(sa) + (wn - 1) / 2) * sx;
      const double cyt = pb.si[sb + W] - pb.si[sb] - (static_cast<double>(sb) + (wn - 1) / 2) * sy;
      vx -= cxt * cxt / stt;
      vy -= cyt * cyt / stt;
      cxy -= cxt * cyt / stt;
    }
    const double sxx = pa.s2[sa + W] - pa.s2[sa], syy = pb.s2[sb + W] - pb.s2[sb];
    if (!(vx > 1e-9 * (sxx + 1e-300)) || !(vy > 1e-9 * (syy + 1e-300))) return slow(sa, sb);
    return std::clamp(cxy / std::sqrt(vx * vy), -1.0, 1.0);
  };
  // max over lags of |r| between A at sa and B at sb + lag; returns the signed r, its lag and,
  // in `frac`, the parabolic refinement of the lag (-0.5..0.5 steps) when both neighbours exist.
  std::vector<double> rl(static_cast<std::size_t>(2 * L + 1));
  auto best = [&](std::size_t sa, std::size_t sb, double& r_out, long& lag_out, double* frac = nullptr) {
    r_out = nan;
    lag_out = 0;
    for (long l = -L; l <= L; ++l) {
      const long bs = static_cast<long>(sb) + l;
      double& r = rl[static_cast<std::size_t>(l + L)];
      r = nan;
      if (bs < 0 || static_cast<std::size_t>(bs) + W > n) continue;
      r = corr(sa, static_cast<std::size_t>(bs));
      if (!std::isfinite(r)) continue;
      if (!std::isfinite(r_out) || std::abs(r) > std::abs(r_out) + 1e-12 ||
          (std::abs(r) > std::abs(r_out) - 1e-12 && std::abs(l) < std::abs(lag_out))) {
        r_out = r;
        lag_out = l;
      }
    }
    if (frac) {
      *frac = 0;
      if (!std::isfinite(r_out) || lag_out <= -L || lag_out >= L) return;
      const double y0 = std::abs(rl[static_cast<std::size_t>(lag_out + L - 1)]), y1 = std::abs(r_out),
                   y2 = std::abs(rl[static_cast<std::size_t>(lag_out + L + 1)]);
      const double den = y0 - 2 * y1 + y2;
      if (std::isfinite(y0) && std::isfinite(y2) && den < 0) *frac = std::clamp(0.5 * (y0 - y2) / den, -0.5, 0.5);
    }
  };
  std::vector<double> lags, absr;
  for (auto s : starts) {
    SynchronyWindow w;
    w.start_s = t0 + static_cast<double>(s) / fs;
    w.end_s = t0 + static_cast<double>(s + W) / fs;
    long lag = 0;
    double frac = 0;
    best(s, s, w.peak_r, lag, c_.refine_lag ? &frac : nullptr);
    w.lag_s = std::isfinite(w.peak_r) ? (static_cast<double>(lag) + frac) / fs : nan;
    if (std::isfinite(w.peak_r)) {
      lags.push_back(w.lag_s);
      absr.push_back(std::abs(w.peak_r));
    }
    res.windows.push_back(w);
  }
  res.valid_windows = static_cast<int>(absr.size());
  if (!absr.empty()) {
    double m = 0;
    for (double v : absr) m += v;
    res.mean_abs_peak_r = m / static_cast<double>(absr.size());
    res.median_lag_s = quantile(lags, 0.5);
  }
  // Surrogate: mismatched windows far enough apart that no lag brings them together.
  const std::size_t sep = W + 2 * static_cast<std::size_t>(L);
  std::vector<std::pair<std::size_t, std::size_t>> pairs;
  auto far = [&](std::size_t i, std::size_t j) { return (starts[i] > starts[j] ? starts[i] - starts[j] : starts[j] - starts[i]) >= sep; };
  std::mt19937 g(c_.seed);
  const auto want = static_cast<std::size_t>(c_.surrogate_pairs);
  if (starts.size() <= 300) {  // enumerate, then draw without replacement
    for (std::size_t i = 0; i < starts.size(); ++i)
      for (std::size_t j = 0; j < starts.size(); ++j)
        if (far(i, j)) pairs.emplace_back(i, j);
    if (pairs.size() > want) {
      for (std::size_t k = 0; k < want; ++k) {
        std::uniform_int_distribution<std::size_t> d(k, pairs.size() - 1);
        std::swap(pairs[k], pairs[d(g)]);
      }
      pairs.resize(want);
    }
  } else {  // long sessions: almost every pair is far enough apart; draw by rejection
    std::uniform_int_distribution<std::size_t> d(0, starts.size() - 1);
    for (std::size_t tries = 0; pairs.size() < want && tries < 100 * want; ++tries) {
      const std::size_t i = d(g), j = d(g);
      if (far(i, j)) pairs.emplace_back(i, j);
    }
  }
  std::vector<double> sur;
  for (auto [i, j] : pairs) {
    double r;
    long lag;
    best(starts[i], starts[j], r, lag);
    if (std::isfinite(r)) sur.push_back(std::abs(r));
  }
  res.surrogate_n = static_cast<int>(sur.size());
  if (!sur.empty()) {
    res.surrogate_p95 = quantile(sur, c_.surrogate_percentile / 100);
    if (!absr.empty()) {
      std::size_t above = 0;
      for (double v : absr) above += v > res.surrogate_p95;
      res.fraction_above_surrogate = static_cast<double>(above) / static_cast<double>(absr.size());
    }
  }
  return res;
}

}  // namespace dyad::dsp
