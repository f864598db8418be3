#pragma once
/// \file Syllable nuclei and speech rate after de Jong & Wempe (2009), "Praat script to detect
/// syllable nuclei and measure speech rate automatically", Behavior Research Methods 41(2):
/// 385-390: a syllable nucleus is a peak of the intensity contour that stands above a threshold,
/// is followed by a dip of more than 2 dB before the next peak, and is voiced. Speech rate =
/// nuclei / duration; articulation rate = nuclei / phonation (sounding) time. Pure functions.
#include <cstddef>
#include <span>
#include <utility>
#include <vector>

#include "dyad/dsp/order_statistics.hpp"

namespace dyad::dsp {

/// Parameters of syllable_nuclei: the defaults of the authors' published script.
struct SyllableConfig {
  double silence_db = -25;  ///< peaks must exceed the `quantile` of the intensity plus this (dB)
  double quantile = 0.99;   ///< of the frames above min_db (the loudest speech without rare bursts)
  double min_dip_db = 2;    ///< a peak counts when the intensity falls by more than this before the next peak
  double min_db = -100;     ///< frames at or below this (digital silence, Praat's -300 dB) are ignored
};

/// The nuclei of one intensity track.
struct SyllableNuclei {
  std::vector<double> times_s;  ///< the voiced, dip-separated peaks above the threshold, in time order
  double threshold_db = 0;      ///< the peak threshold used
  std::size_t peaks = 0;        ///< intensity peaks above the threshold (before the dip and voicing tests)
};

/// Nuclei of an intensity track (dB per frame, frame k at first_s + k * step_s; de Jong uses
/// Praat's "To Intensity" with a 50 Hz floor) with a voicing flag per frame on the same grid (the
/// peak's frame must be voiced). Each peak (a frame louder than the one before and not quieter than
/// the one after) above the threshold is kept when the lowest intensity between it and the next
/// such peak is more than min_dip_db below it; for the last peak, the lowest intensity up to the
/// end of the track (the published script never keeps the last peak). The threshold is the
/// quantile plus silence_db, but not below the quietest frame. `voiced` may be shorter than the
/// track (missing frames count as unvoiced).
SyllableNuclei syllable_nuclei(std::span<const float> intensity_db, std::span<const unsigned char> voiced, double first_s,
                               double step_s, const SyllableConfig& config = {});

/// The peak threshold syllable_nuclei() uses for the intensity values `replay` feeds (every frame
/// of the track, any order): the quantile plus silence_db, but not below the quietest frame above
/// min_db; NaN when no frame is above min_db. Memory does not depend on the track's length.
double syllable_threshold(const ValueReplay& replay, const SyllableConfig& config = {});

/// syllable_nuclei()'s peak picking over a track fed in order in pieces, with the threshold known.
class SyllablePeakScanner {
 public:
  SyllablePeakScanner(double threshold_db, double first_s, double step_s, const SyllableConfig& config = {})
      : thr_(threshold_db), first_s_(first_s), step_s_(step_s), c_(config) {}
  /// The next frames and their voicing (same length).
  void add(std::span<const float> intensity_db, std::span<const unsigned char> voiced);
  /// After the last frame: the nuclei (times_s, peaks; threshold_db as given).
  SyllableNuclei finish();

 private:
  void close_pending();
  double thr_, first_s_, step_s_;
  SyllableConfig c_;
  std::size_t k_ = 0;  // frames seen
  float prev2_ = 0, prev_ = 0;
  unsigned char prev_voiced_ = 0;
  bool pending_ = false;
  std::size_t pend_k_ = 0;
  double pend_v_ = 0, pend_dip_ = 0;
  bool pend_voiced_ = false;
  SyllableNuclei out_;
};

/// Sounding stretches of an intensity track as Praat's "Intensity: To TextGrid (silences)..."
/// describes it: frames at or above threshold_db are sounding; sounding stretches shorter than
/// min_sounding_s become silent, then silent stretches shorter than min_silent_s become sounding
/// (de Jong & Wempe: 0.3 s and 0.1 s). Returns [start, end) times, frame k covering
/// first_s + (k -+ 0.5) step_s.
std::vector<std::pair<double, double>> sounding_intervals(std::span<const float> intensity_db, double first_s, double step_s,
                                                          double threshold_db, double min_silent_s = 0.3,
                                                          double min_sounding_s = 0.1);

/// Quantile q (0..1) of the values above min_db, interpolating linearly between order statistics;
/// NaN when there are none. `scratch` is reused.
double intensity_quantile(std::span<const float> intensity_db, double q, double min_db, std::vector<float>& scratch);

}  // namespace dyad::dsp
