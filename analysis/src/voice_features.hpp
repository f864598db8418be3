#pragma once
// Internal to the prosody extension (issue 9): per role, glottal pulses with their amplitudes,
// harmonicity and the syllable-nuclei intensity, streamed beside the pitch track; at the end,
// jitter, shimmer, HNR, speech and articulation rate per turn, per window and per partner.
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dyad/analysis/analyze.hpp"
#include "dyad/analysis/prosody.hpp"
#include "dyad/dsp/pitch.hpp"
#include "dyad/dsp/voice.hpp"
#include "spill.hpp"

namespace dyad::analysis::detail {

/// The frames k (at k * step) inside a role's own talkspurts, as sorted disjoint [first, last)
/// intervals: a frame is inside when k >= ceil(start / step) and k * step < end of one of them.
class SpeechFrames {
 public:
  SpeechFrames(const std::vector<dsp::Segment>& segments, const std::string& role, double step_s, std::size_t frames);
  bool contains(std::size_t k) const;
  /// out[k - k0] = contains(k) for k in [k0, k1).
  void mask(std::size_t k0, std::size_t k1, std::vector<unsigned char>& out) const;

 private:
  std::vector<std::pair<std::size_t, std::size_t>> iv_;
};

/// The first frame of a range starting at t: ceil(t / step - 1e-9), 0 for t <= 0.
std::size_t first_frame_from(double t, double step_s);
/// The first frame k with k * step >= t exactly (0 for t <= 0): the end of a range ending at t.
std::size_t first_frame_at_or_after(double t, double step_s);

/// One role's voice data, filled on that role's worker thread. Tracks are kept in unnamed
/// temporary files in the session folder (SpillVector), so memory does not grow with the
/// session's length; the pulse finder itself keeps at most max_interval_s + max_latency_s of samples.
class RoleVoice {
 public:
  RoleVoice(double rate, const PitchRange& range, const ProsodyOptions& o, const std::filesystem::path& scratch_dir);
  /// The next samples and the pitch frames the pitch tracker emitted for them.
  void process(std::span<const float> block, std::span<const dsp::PitchFrame> frames);
  /// The last pitch frames (PitchTracker::finish).
  void finish(std::span<const dsp::PitchFrame> frames);

  SpillVector<double> pulse_time_s;
  SpillVector<float> pulse_amplitude;   ///< NaN when not measured
  SpillVector<float> hnr_db;            ///< per frame; dsp::kHarmonicitySilentDb when silent
  SpillVector<float> syllable_intensity_db;  ///< the 50 Hz-floor intensity every 0.016 s (empty without speech rate)
  std::size_t cut_intervals = 0;

 private:
  void take(std::size_t nh, std::size_t ni);
  bool voice_ = true, rate_ = true;
  std::unique_ptr<dsp::PulseTracker> pulses_;
  std::unique_ptr<dsp::HarmonicityTracker> hnr_;
  std::unique_ptr<dsp::IntensityTracker> syl_int_;
  std::vector<dsp::GlottalPulse> out_;
  std::vector<double> hf_, sf_;
};

/// What the voice columns need of one role.
struct RoleVoiceInput {
  std::string role;
  const RoleVoice* voice = nullptr;
  const SpillVector<float>* f0 = nullptr;  ///< Hz per frame, 0 unvoiced
  const SpeechFrames* speech = nullptr;    ///< frames inside the role's own talkspurts
};

/// Appends the voice-quality and rate columns to ctx.turn_columns / ctx.window_columns, and returns
/// the per-partner JSON (added under each partner of extensions.prosody) and the parameters.
struct VoiceSummary {
  nlohmann::json partners = nlohmann::json::object();
  nlohmann::json parameters = nlohmann::json::object();
};
/// Also writes features/syllables_<role>.tsv (the nuclei inside each role's talkspurts).
VoiceSummary add_voice_features(FeatureContext& ctx, const std::vector<RoleVoiceInput>& roles, const ProsodyOptions& o);

/// Writes features/pulses_<role>.tsv and its codebook.
void write_pulses(FeatureContext& ctx, const std::string& role, const RoleVoice& v);

}  // namespace dyad::analysis::detail
