#pragma once
/// \file The prosody extension of `dyad analyze` (issue 8): per role, F0 (dsp::PitchTracker, Praat's
/// "To Pitch (ac)") and intensity (dsp::IntensityTracker, Praat's "To Intensity") at 0.01 s, written
/// to features/pitch_<role>.tsv; eGeMAPS-style functionals of F0 (semitones re 27.5 Hz) and
/// intensity (dB) per turn (turns.tsv), per window and role (windows.tsv) and per partner
/// (summary.json "extensions"/"prosody"), relative to each partner's baseline, and turn-by-turn
/// vocal entrainment; and voice quality and speech rate (issue 9): glottal pulses
/// (features/pulses_<role>.tsv), jitter, shimmer and HNR (To Harmonicity (cc), also per frame in
/// pitch_<role>.tsv), syllable nuclei (de Jong & Wempe 2009), speech and articulation rate, per turn,
/// per window and role, and per partner.
#include <map>
#include <memory>
#include <string>

#include "dyad/analysis/analyze.hpp"
#include "dyad/dsp/speech_rate.hpp"
#include "dyad/dsp/voice.hpp"

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
  bool voice_quality = true;                 ///< glottal pulses, jitter, shimmer, HNR
  bool speech_rate = true;                   ///< syllable nuclei, speech and articulation rate
  double syllable_f0_min_hz = 50;            ///< floor of the intensity for syllable nuclei (de Jong & Wempe)
  dsp::PerturbationConfig perturbation;      ///< jitter and shimmer settings (Praat's standard values)
  dsp::SyllableConfig syllables;             ///< syllable nuclei settings (de Jong & Wempe's)
  /// Values of a track held in memory at once: the tracks are kept in unnamed temporary files in
  /// the session folder and read back this many at a time, so memory does not grow with the
  /// session (a turn or window up to twice this many frames is computed in memory). Results do not
  /// depend on it; tests set it small.
  std::size_t chunk_values = std::size_t{1} << 15;
};

std::unique_ptr<FeatureExtension> make_prosody_extension(const ProsodyOptions& options = {});

}  // namespace dyad::analysis
