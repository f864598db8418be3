#pragma once
/// \file Dyadic synchrony: windowed lagged cross-correlation (Boker, Xu, Rotondo & King 2002)
/// with a surrogate baseline from mismatched windows.
///
/// Each window pair is linearly detrended (both partners, over the finite pairs) before its
/// Pearson r by default: a slow drift shared by chance (a tonic EDA level falling through a
/// session, a dosing phase) makes two 30 s windows correlate at every lag, which says nothing
/// about moment-to-moment linkage. The surrogate windows go through the same detrending, lags and
/// maximum, so the chance level is of the same statistic.
#include <cstdint>
#include <span>
#include <vector>

namespace dyad::dsp {

struct SynchronyConfig {
  double sample_rate_hz = 4;   ///< rate of the two input series (Hz)
  double window_s = 30;        ///< window length (s)
  double step_s = 5;           ///< window step (s)
  double max_lag_s = 5;        ///< lags -max..+max (s); positive lag: B follows A
  int surrogate_pairs = 500;   ///< mismatched window pairs in the surrogate distribution
  double surrogate_percentile = 95;
  double min_valid_fraction = 0.8;  ///< a correlation needs this fraction of finite pairs
  bool detrend = true;         ///< remove each window's least-squares line (A and B) before r
  /// Refine the lag of the largest |r| by a parabola through it and its two neighbouring lags
  /// (sub-step lag_s); peak_r stays the largest sampled r. Off by default: lag_s on the step grid.
  bool refine_lag = false;
  std::uint32_t seed = 1;      ///< surrogate sampling seed (results are reproducible)
};

struct SynchronyWindow {
  double start_s = 0, end_s = 0;  ///< A's window
  double peak_r = 0;              ///< the correlation with the largest |r| over lags (signed); NaN if none
  double lag_s = 0;               ///< its lag (refined between steps when refine_lag); positive: B follows A
};

struct SynchronyResult {
  std::vector<SynchronyWindow> windows;
  double surrogate_p95 = 0;        ///< percentile of max-over-lags |r| of mismatched windows
  int surrogate_n = 0;
  double mean_abs_peak_r = 0;      ///< mean |peak_r| over valid windows
  double median_lag_s = 0;
  double fraction_above_surrogate = 0;  ///< of valid windows with |peak_r| > surrogate_p95
  int valid_windows = 0;
};

/// `a` and `b` sampled together at sample_rate_hz from time `t0_s`; NaN marks missing samples.
/// Surrogate: for random pairs (A window i, B window j) at least window + 2 x max_lag apart,
/// max over lags of |r|; its percentile is the chance level of one window's |peak_r|.
class WindowedCrossCorrelation {
 public:
  explicit WindowedCrossCorrelation(const SynchronyConfig& c);
  SynchronyResult compute(std::span<const double> a, std::span<const double> b, double t0_s) const;

 private:
  SynchronyConfig c_;
};

/// Pearson r of x and y[offset...] over n pairs where both are finite; NaN when fewer than
/// min_pairs or a constant series.
double pearson(const double* x, const double* y, std::size_t n, std::size_t min_pairs);
/// The same after removing each series' least-squares line in i (over the finite pairs): the
/// partial correlation of x and y given time. NaN as pearson, or with fewer than 4 pairs.
double pearson_detrended(const double* x, const double* y, std::size_t n, std::size_t min_pairs);

}  // namespace dyad::dsp
