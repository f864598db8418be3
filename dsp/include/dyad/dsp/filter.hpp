#pragma once
/// \file Small filtering helpers shared by the physiology algorithms: second-order Butterworth
/// sections (RBJ audio-EQ cookbook with Q = 1/sqrt(2)), zero-phase forward-backward filtering,
/// moving averages and block-mean decimation. All in double precision: the cut-offs used for
/// physiology are a tiny fraction of the sample rate.
#include <cstddef>
#include <span>
#include <vector>

namespace dyad::dsp {

/// y = (b0 x + b1 x[-1] + b2 x[-2]) - a1 y[-1] - a2 y[-2]  (a0 normalised to 1).
struct Biquad {
  double b0 = 1, b1 = 0, b2 = 0, a1 = 0, a2 = 0;
};

/// Second-order Butterworth low-pass; throws std::invalid_argument unless 0 < cutoff < rate/2.
Biquad butter_lowpass(double cutoff_hz, double rate_hz);
/// Second-order Butterworth high-pass; same validation.
Biquad butter_highpass(double cutoff_hz, double rate_hz);

/// Filters `x` in place, forward, starting in the steady state of its first sample (no step
/// transient at the start).
void biquad_forward(const Biquad& s, std::span<double> x) noexcept;
/// Zero-phase filtering: each section forward then backward (the magnitude response squared).
void filtfilt(std::span<const Biquad> sections, std::span<double> x) noexcept;

/// Centred moving average over `width` samples (odd widths are exactly centred; the window is
/// shortened at the edges).
std::vector<double> moving_average(std::span<const double> x, std::size_t width);

/// Means of consecutive blocks of `factor` samples (the last partial block too). factor >= 1.
std::vector<double> decimate_mean(std::span<const double> x, std::size_t factor);

/// Linear interpolation of (t, v) at `at` (sorted); outside [t.front(), t.back()] gives NaN.
/// `t` must be increasing.
std::vector<double> interpolate_linear(std::span<const double> t, std::span<const double> v,
                                       std::span<const double> at);

/// The q-quantile (0..1, linear between order statistics) of the finite values; NaN if none.
double quantile(std::vector<double> values, double q);

}  // namespace dyad::dsp
