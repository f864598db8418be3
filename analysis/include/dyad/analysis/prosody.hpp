#pragma once
/// \file The prosody extension of `dyad analyze` (issue 8): per role, F0 (dsp::PitchTracker, Praat's
/// "To Pitch (ac)") and intensity (dsp::IntensityTracker, Praat's "To Intensity") at 0.01 s, written
/// to features/pitch_<role>.tsv; eGeMAPS-style functionals of F0 (semitones re 27.5 Hz) and
/// intensity (dB) per turn (turns.tsv), per window and role (windows.tsv) and per partner
/// (summary.json "extensions"/"prosody"), relative to each partner's baseline, and turn-by-turn
/// vocal entrainment.
#include <map>
#include <memory>
#include <string>

#include "dyad/analysis/analyze.hpp"

namespace dyad::analysis {

/// Pitch range of one role (Hz).
struct PitchRange {
  double f0_min_hz = 75;
  double f0_max_hz = 600;
};

struct ProsodyOptions {
  double time_step_s = 0.01;                 ///< frame step of pitch and intensity
  PitchRange default_range;                  ///< Praat's defaults
  std::map<std::string, PitchRange> ranges;  ///< per role (e.g. {"A", {75, 300}}), else default_range
  bool subtract_mean = true;                 ///< intensity: Praat's "subtract mean"
};

std::unique_ptr<FeatureExtension> make_prosody_extension(const ProsodyOptions& options = {});

}  // namespace dyad::analysis
