#pragma once
/// \file Prosodic functionals (eGeMAPS-style, Eyben et al. 2016) over F0 and intensity tracks,
/// baseline-relative values and turn-by-turn vocal entrainment. Pure functions, no allocation
/// beyond the returned values and the caller's scratch.
#include <cstddef>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "dyad/dsp/pitch.hpp"

namespace dyad::dsp {

/// Semitones re 27.5 Hz (eGeMAPS' "F0semitoneFrom27.5Hz"): 12 * log2(f / 27.5). f must be > 0.
double hz_to_semitones(double f0_hz) noexcept;
/// Inverse of hz_to_semitones.
double semitones_to_hz(double st) noexcept;

/// Functionals of one contour. NaN when there are no values (n == 0); slopes NaN when no rising
/// (falling) part exists.
struct Functionals {
  std::size_t n = 0;          ///< number of values (voiced frames for F0)
  double mean = 0;            ///< eGeMAPS amean
  double sd = 0;              ///< population standard deviation
  double cv = 0;              ///< sd / mean (eGeMAPS stddevNorm)
  double p20 = 0, p50 = 0, p80 = 0;  ///< percentiles, linear interpolation between order statistics
  double range_20_80 = 0;     ///< p80 - p20 (eGeMAPS pctlrange0-2)
  double rising_slope = 0;    ///< mean slope of rising parts, units per second (eGeMAPS meanRisingSlope)
  double falling_slope = 0;   ///< mean slope of falling parts as a positive number, units per second (meanFallingSlope)
};

/// A contour sampled every `step_s`, values with a flag for whether each is defined (voiced).
/// Rising (falling) parts are the stretches between a local minimum and the next local maximum
/// (maximum and next minimum) inside a run of consecutive defined values; each part's slope is its
/// rise (fall) over its duration, and the slopes of the parts are averaged.
Functionals functionals(std::span<const double> values, std::span<const unsigned char> defined, double step_s,
                        std::vector<double>& scratch);

/// The same functionals of a contour too long to hold, fed in order in pieces: add() continues the
/// runs (and so the rising and falling parts) across calls; result() passes over the values again
/// through `replay` (every defined value, as add() was given them) for the standard deviation and
/// the exact percentiles. Equals functionals() over the concatenated contour.
class FunctionalsAccumulator {
 public:
  explicit FunctionalsAccumulator(double step_s) : step_s_(step_s) {}
  /// The next values of the contour (a value counts when defined and finite).
  void add(std::span<const double> values, std::span<const unsigned char> defined);
  /// `count` undefined values (a break in the contour).
  void skip(std::size_t count = 1);
  std::size_t n() const { return n_; }
  double sum() const { return sum_; }
  /// Functionals; `replay` feeds the defined values again (any order), for sd and percentiles.
  Functionals result(const std::function<void(const std::function<void(double)>&)>& replay);
  /// As result(), with the percentiles from the defined values sorted in `sorted` and the sd from
  /// their sum of squared deviations from the mean.
  Functionals result_sorted(const std::vector<double>& sorted, double sum_sq_dev);

 private:
  void close_part();
  Functionals base();
  double step_s_;
  std::size_t n_ = 0;
  double sum_ = 0;
  double rise_sum_ = 0, fall_sum_ = 0;
  std::size_t rises_ = 0, falls_ = 0;
  bool in_run_ = false;
  int dir_ = 0;             // current part: +1 rising, -1 falling, 0 none yet
  double part_start_ = 0;   // value at the part's start
  std::size_t part_len_ = 0;  // frames since the part's start
  double prev_ = 0;
};

/// The F0 (semitones re 27.5 Hz, voiced frames only) and intensity (dB, frames above
/// `min_intensity_db`) functionals of the frames with time in [start_s, end_s).
struct ProsodyFunctionals {
  Functionals f0_st;
  Functionals intensity_db;
};
ProsodyFunctionals prosody_functionals(std::span<const PitchFrame> frames, std::span<const double> intensity_db,
                                       double start_s, double end_s, double step_s, double min_intensity_db = -100);

/// Pearson correlation of paired values; NaN when fewer than 3 pairs or no variance.
double pearson(std::span<const double> x, std::span<const double> y) noexcept;

/// One turn's value for entrainment (e.g. its mean F0 in semitones); NaN when undefined.
struct TurnValue {
  std::string role;
  double value = 0;
};

/// Turn-by-turn vocal entrainment (e.g. Levitan & Hirschberg 2011, "proximity/synchrony" at turn
/// exchanges): for each turn of `follower` that directly follows a turn of `leader`, pair the
/// leader's turn value with the follower's; the correlation over those pairs says how the
/// follower's value follows the leader's previous turn. NaN pairs are skipped.
struct Entrainment {
  std::size_t pairs = 0;
  double r = 0;  ///< NaN when fewer than 3 pairs
};
Entrainment entrainment(std::span<const TurnValue> turns, const std::string& leader, const std::string& follower);

}  // namespace dyad::dsp
