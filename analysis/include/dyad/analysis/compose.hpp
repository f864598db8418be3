#pragma once
/// \file Two-partner conversations composed from real recorded utterances, with known timing
/// (issue 7: `bench/eval_turns` and the accuracy tests of the voice activity detector).
///
/// Each partner's utterances (e.g. the FDA-UE speakers, `../shared/data/pitch/fda_ue_dev/`: `rl*`
/// a man, `sb*` a woman) are placed on a timeline as turns with pauses, gaps, overlapping speaker
/// changes, interruptions and backchannels (short pieces of the listener's utterances). Each
/// microphone hears its own partner directly, the other partner through a room response
/// (crosstalk level, delay, early reflections and a reverberant tail), and white noise at an SNR.
/// The truth comes from the clean sources alone (see ComposeConfig::truth_threshold_db).
///
/// Each utterance is prepared once: its first 30 ms are dropped (FDA-UE files begin with a click),
/// its DC removed, its active level measured (mean power of the 10 ms frames within 20 dB of the
/// loudest) and it is trimmed to 100 ms before its first and after its last frame above the truth
/// threshold. At placement it is scaled to speech_level_dbfs (+- level_spread_db).
/// Deterministic: the same utterances, configuration and seed give the same samples.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "dyad/dsp/types.hpp"

namespace dyad::analysis {

/// One speaker's recorded utterances, mono, one sample rate.
struct Utterances {
  double rate_hz = 0;
  std::vector<std::string> names;          ///< file names
  std::vector<std::vector<float>> clips;   ///< samples (channel 1 of each file)
};

/// Reads every `<prefix>*.wav` in `dir` (sorted by name; channel 1). Throws formats::FormatError
/// naming the file when one cannot be read, when rates differ, or when none is found.
Utterances load_utterances(const std::filesystem::path& dir, const std::string& prefix);

/// Everything a composition depends on. Units in the names.
struct ComposeConfig {
  double duration_s = 300;
  std::uint64_t seed = 1;
  double crosstalk_db = -10;      ///< energy of the room response from each talker to the other's microphone
  double delay_ms = 3;            ///< delay of its direct path
  double rt60_s = 0.3;            ///< decay time (-60 dB) of its reverberant tail
  double tail_db = -6;            ///< energy of the tail relative to the direct path and early reflections
  double snr_db = 20;             ///< speech level over the white noise of each microphone
  double speech_level_dbfs = -26; ///< active level every utterance is scaled to (before level_spread_db)
  double level_spread_db = 2;     ///< each utterance's level is drawn uniformly within +-this
  double overlap_rate = 0.3;      ///< share of speaker changes that overlap (the rest are gaps)
  double interruption_rate = 0.1; ///< share of overlapping speaker changes that overlap by 1.1-1.8 s (interruptions)
  double backchannels_per_min = 8;   ///< listener backchannels per minute of the holder's speech
  double backchannel_level_db = -3;  ///< backchannel level relative to speech_level_dbfs
  double truth_threshold_db = -25;   ///< truth: a clean 10 ms frame is speech when its power is above speech_level_dbfs + this
  double truth_min_pause_s = 0.2;    ///< truth: shorter silences inside a partner's speech are bridged ...
  double truth_min_talkspurt_s = 0.1;  ///< ... then shorter talkspurts are dropped
};

/// Throws std::invalid_argument naming the field when a value is out of range.
void validate(const ComposeConfig& c);

struct ComposedConversation {
  double rate_hz = 0;
  std::vector<std::string> roles = {"A", "B"};
  std::vector<std::vector<float>> mics;  ///< one per role: own voice + the other's leak + noise
  std::vector<dsp::Segment> truth;       ///< talkspurts of the clean sources, sorted by start then role
  std::size_t backchannels = 0, overlaps = 0, gaps = 0;  ///< what was placed (before truth extraction)
};

/// Composes a conversation: A speaks `a`'s utterances, B `b`'s (same rate). Throws
/// std::invalid_argument for a bad configuration or when a speaker has no utterance with speech.
ComposedConversation compose_conversation(const Utterances& a, const Utterances& b, const ComposeConfig& c);

/// The room response carrying a talker into the other microphone: (delay in samples, gain) taps,
/// the direct path at delay_ms, four early reflections and a sparse exponentially decaying tail,
/// scaled so the total energy is crosstalk_db. Deterministic in seed.
std::vector<std::pair<std::int64_t, double>> leak_response(const ComposeConfig& c, double rate_hz, std::uint64_t seed);

}  // namespace dyad::analysis
