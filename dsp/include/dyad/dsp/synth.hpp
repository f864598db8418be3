#pragma once
/// \file Pure signal synthesis for the session simulator (`dyad simulate`): a portable seeded
/// random generator, a glottal-pulse voice source with jitter and shimmer, formant resonators,
/// and waveform models of ECG, skin conductance responses and respiration. No files, no threads.
#include <array>
#include <cmath>
#include <cstdint>
#include <span>

namespace dyad::dsp {

/// xoshiro256** (Blackman & Vigna 2018) seeded through SplitMix64. Every draw is computed here,
/// not by <random>'s distributions, so a seed gives the same numbers with every compiler and
/// standard library. One instance per thread.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) noexcept;
  /// An independent generator for a named sub-stream (e.g. one per partner and per purpose),
  /// so changing one part of a simulation does not reshuffle the others.
  Rng fork(std::uint64_t stream) const noexcept;
  std::uint64_t next() noexcept;
  /// Uniform in [0, 1) with 53 random bits.
  double uniform() noexcept { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  double uniform(double lo, double hi) noexcept { return lo + (hi - lo) * uniform(); }
  /// Standard normal (Box-Muller, both values used).
  double normal() noexcept;
  /// exp(N(log(median), sigma)).
  double lognormal(double median, double sigma) noexcept { return median * std::exp(sigma * normal()); }
  /// Exponential with the given mean.
  double exponential(double mean) noexcept { return -mean * std::log1p(-uniform()); }
  /// Fast approximately normal value (sum of four uniforms, unit variance, |x| < 3.47):
  /// for per-sample noise where Box-Muller would dominate the cost.
  float fast_normal() noexcept {
    std::uint64_t v = next();
    // four 16-bit uniforms from one draw; their sum has mean 2 and variance 4/12
    double sum = static_cast<double>(v & 0xffff) + static_cast<double>((v >> 16) & 0xffff) +
                 static_cast<double>((v >> 32) & 0xffff) + static_cast<double>(v >> 48);
    return static_cast<float>((sum * (1.0 / 65536.0) - 2.0) * 1.7320508075688772);
  }

 private:
  std::array<std::uint64_t, 4> s_{};
  double spare_ = 0;
  bool has_spare_ = false;
};

/// SplitMix64 step: a well-mixed 64-bit hash (used to derive seeds).
std::uint64_t mix64(std::uint64_t x) noexcept;

/// A two-pole resonator with unity gain at 0 Hz (Klatt 1980), used in cascade as a formant
/// filter: y[n] = A x[n] + B y[n-1] + C y[n-2].
class Resonator {
 public:
  Resonator() = default;
  /// Centre frequency and bandwidth in Hz; throws std::invalid_argument unless
  /// 0 < freq_hz < rate/2 and bandwidth_hz > 0.
  Resonator(double freq_hz, double bandwidth_hz, double rate_hz);
  float process(float x) noexcept {
    double y = a_ * x + b_ * y1_ + c_ * y2_;
    y2_ = y1_;
    y1_ = y;
    return static_cast<float>(y);
  }
  void reset() noexcept { y1_ = y2_ = 0; }

 private:
  double a_ = 1, b_ = 0, c_ = 0, y1_ = 0, y2_ = 0;
};

/// Formant frequencies and bandwidths (Hz) of one vowel.
struct Formants {
  std::array<double, 4> freq_hz{};
  std::array<double, 4> bandwidth_hz{};
};

/// Four resonators in cascade (a serial formant synthesiser, Klatt 1980).
class FormantFilter {
 public:
  FormantFilter() = default;
  /// Formants at or above 0.45 * rate are moved below it so every rate is valid.
  FormantFilter(const Formants& f, double rate_hz);
  float process(float x) noexcept {
    for (auto& r : r_) x = r.process(x);
    return x;
  }
  void reset() noexcept {
    for (auto& r : r_) r.reset();
  }

 private:
  std::array<Resonator, 4> r_{};
};

/// Parameters of the glottal source. Jitter and shimmer are the *local* measures of Praat:
/// mean |T_i - T_{i-1}| / mean T and mean |A_i - A_{i-1}| / mean A. Periods and amplitudes are
/// drawn independently around the contour, T_i = T0 (1 + s_j e_i), so local jitter = s_j * 2/sqrt(pi).
struct GlottalConfig {
  double rate_hz = 48000;
  double jitter_local = 0.01;   ///< fraction (0.01 = 1 %)
  double shimmer_local = 0.04;  ///< fraction
  double open_quotient = 0.56;  ///< opening phase 0.40 + closing phase 0.16 of each period (Rosenberg 1971)
};

/// Rosenberg (1971) glottal flow pulses, differentiated (lip radiation), one period at a time:
/// at each period start the next period is 1 / f0 (1 + jitter) and its amplitude 1 + shimmer.
/// A period is the closed phase, then opening and closing; the closure ends it.
/// Output amplitude does not depend on F0 (the derivative is normalised by the period).
class GlottalSource {
 public:
  /// Throws std::invalid_argument for a non-positive rate or negative jitter/shimmer.
  GlottalSource(const GlottalConfig& c, std::uint64_t seed);
  /// Starts a new voiced stretch: the next sample is the start of a period.
  void restart() noexcept {
    phase_ = 1.0;
    prev_ = 0;
  }
  /// One sample; `f0_hz(t)` is asked at each period start with the offset (in samples) from
  /// the last call's sample, so callers pass a functor of the absolute sample index.
  template <class F0At>
  float next(std::int64_t sample, F0At&& f0_at) noexcept {
    if (phase_ >= 1.0) {
      phase_ -= 1.0;
      if (phase_ >= 1.0) phase_ = 0;
      double f0 = f0_at(sample);
      double per = rate_ / f0 * (1.0 + sj_ * rng_.normal());
      if (per < 2) per = 2;
      inc_ = 1.0 / per;
      amp_ = (1.0 + ss_ * rng_.normal()) * per;  // derivative of g scales with 1/period
      if (amp_ < 0) amp_ = 0;
    }
    double g = flow(phase_);
    float y = static_cast<float>((g - prev_) * amp_);
    prev_ = g;
    phase_ += inc_;
    return y;
  }
  /// The Rosenberg flow pulse g(phase) in [0, 1] for phase in [0, 1), from a table of
  /// kTable + 1 exact values with linear interpolation (a cosine per sample would dominate).
  double flow(double phase) const noexcept {
    double x = phase * kTable;
    std::size_t i = static_cast<std::size_t>(x);
    if (i >= kTable) return table_[kTable];
    double f = x - static_cast<double>(i);
    return table_[i] + f * (table_[i + 1] - table_[i]);
  }
  /// The exact pulse, as tabulated.
  double flow_exact(double phase) const noexcept;
  /// Standard deviation of the relative period (or amplitude) perturbation that gives a local
  /// jitter (shimmer) of `jitter_local`: E|e_i - e_{i-1}| = 2/sqrt(pi) for independent normals.
  static double jitter_sd(double jitter_local) noexcept { return jitter_local * std::sqrt(M_PI) / 2.0; }

 private:
  double rate_;
  double sj_, ss_;
  double open_, close_;
  Rng rng_;
  double phase_ = 1.0, inc_ = 0, amp_ = 0, prev_ = 0;
  static constexpr std::size_t kTable = 4096;
  std::array<double, kTable + 1> table_{};
};

/// One ECG beat as a sum of Gaussians (P, Q, R, S, T; after McSharry et al. 2003), in mV,
/// at `dt_s` seconds from the R peak (the R peak is the maximum, at dt = 0). `rr_s` widens the
/// QT interval with the heart period (Bazett-like sqrt scaling).
double ecg_beat(double dt_s, double rr_s) noexcept;

/// A skin conductance response (Bateman function, Alexander et al. 2005) normalised to a peak
/// of 1 at scr_peak_time(); 0 before the onset.
double scr_shape(double t_since_onset_s, double tau_rise_s, double tau_decay_s) noexcept;
/// Time from onset to the peak of scr_shape: tr*td/(td-tr) * ln(td/tr).
double scr_peak_time(double tau_rise_s, double tau_decay_s) noexcept;

/// A breathing waveform of the phase in cycles (0 = end of exhalation): a raised cosine with a
/// shorter inhalation (40 % of the cycle), in [0, 1].
double breath_wave(double phase_cycles) noexcept;

}  // namespace dyad::dsp
