#pragma once
/// \file Scoring talkspurts against the truth (issue 7, `bench/eval_turns` and the accuracy tests):
/// diarization error rate with roles fixed by microphone, event F1 and floor-transfer-offset error.
/// Pure functions; any thread.
#include <cstddef>
#include <limits>
#include <string>
#include <vector>

#include "dyad/dsp/turns.hpp"
#include "dyad/dsp/types.hpp"
#include "dyad/dsp/vad.hpp"

namespace dyad::analysis {

/// Missed and false-alarm time of one scoring, in seconds.
struct DiarizationError {
  double reference_s = 0;    ///< scored reference speech, summed over roles (overlap counts once per role)
  double missed_s = 0;       ///< reference speech of a role its hypothesis does not cover
  double false_alarm_s = 0;  ///< hypothesis speech of a role outside its reference speech
  /// (missed + false alarm) / reference; NaN without reference speech.
  double der() const {
    return reference_s > 0 ? (missed_s + false_alarm_s) / reference_s : std::numeric_limits<double>::quiet_NaN();
  }
};

/// Diarization error rate with the speaker of each track fixed by its microphone (no speaker
/// mapping, so there is no confusion term: the listener's crosstalk counts as false alarm), overlap
/// scored (each role is scored on its own track). Scored time is [start_s, end_s); for each role,
/// the time within collar_s of any boundary (start or end) of that role's merged reference
/// talkspurts is not scored for that role. Talkspurts of a role that overlap or touch are merged
/// first; roles listed in `roles` only (others are ignored). Throws std::invalid_argument when
/// collar_s < 0 or end_s < start_s.
DiarizationError diarization_error(const std::vector<dsp::Segment>& reference, const std::vector<dsp::Segment>& hypothesis,
                                   const std::vector<std::string>& roles, double start_s, double end_s, double collar_s);

/// Matching of one event type.
struct EventMatch {
  std::string type;  ///< pause, gap, overlap, backchannel, interruption, or "all" (every type together)
  std::size_t reference = 0, detected = 0, matched = 0;
  double precision() const { return detected ? static_cast<double>(matched) / static_cast<double>(detected) : std::numeric_limits<double>::quiet_NaN(); }
  double recall() const { return reference ? static_cast<double>(matched) / static_cast<double>(reference) : std::numeric_limits<double>::quiet_NaN(); }
  /// 2 matched / (reference + detected); 1 when both are empty.
  double f1() const { return reference + detected ? 2.0 * static_cast<double>(matched) / static_cast<double>(reference + detected) : 1.0; }
};

/// Event F1 per type. Types scored: pause, gap, overlap (overlap_between and overlap_within
/// together), backchannel, interruption; then "all" (the sums over those five, so one event may
/// count under two types, e.g. a backchannel is also an overlap). A detected event matches a
/// reference event of the same type with the same from_role and to_role whose onset (start_s) is
/// within tolerance_s; each event matches at most once (maximum matching: greedy in onset order,
/// which is optimal for points with one tolerance).
std::vector<EventMatch> event_f1(const std::vector<dsp::TurnEvent>& reference, const std::vector<dsp::TurnEvent>& detected,
                                 double tolerance_s = 0.1);

/// Floor-transfer-offset error over matched floor transfers.
struct FtoError {
  std::size_t reference = 0;  ///< reference turns with an fto
  std::size_t matched = 0;    ///< of those, matched to a detected turn
  double mae_s = std::numeric_limits<double>::quiet_NaN();   ///< mean |fto detected - fto reference|
  double bias_s = std::numeric_limits<double>::quiet_NaN();  ///< mean (detected - reference)
};

/// Each reference turn with a finite fto_s is matched to a detected turn with a finite fto_s, the
/// same role and prev_role, whose start_s is within max_start_diff_s (one to one: in start order, each reference turn takes
/// the nearest unused one); the error is the difference of their fto_s.
FtoError fto_error(const std::vector<dsp::Turn>& reference, const std::vector<dsp::Turn>& detected, double max_start_diff_s = 0.5);

/// Everything eval_turns reports for one conversation.
struct TalkspurtScore {
  DiarizationError der_no_collar, der_collar;
  std::vector<EventMatch> events;  ///< event_f1 order: pause, gap, overlap, backchannel, interruption, all
  FtoError fto;
};

struct ScoreConfig {
  double collar_s = 0.25;           ///< the collar of der_collar
  double event_tolerance_s = 0.1;   ///< onsets within this match
  double fto_max_start_diff_s = 0.5;
  double backchannel_max_s = 1.0;   ///< turn-taking of both sides (dsp::TurnConfig)
};

/// Scores detected talkspurts against reference talkspurts over [0, duration_s): both go through
/// dsp::compute_turn_taking (no exclusions) for events and turns.
TalkspurtScore score_talkspurts(const std::vector<dsp::Segment>& reference, const std::vector<dsp::Segment>& detected,
                                const std::vector<std::string>& roles, double duration_s, const ScoreConfig& config = {});

/// Runs a detector over whole channels held in memory (channel c is role roles[c]), in blocks of
/// block_frames, and returns the talkspurts sorted by start then role.
std::vector<dsp::Segment> detect_talkspurts(dsp::VoiceActivityDetector& vad, const std::vector<std::vector<float>>& channels,
                                            const std::vector<std::string>& roles, std::size_t block_frames = 65536);

/// Adds b's times and counts to a (pooled scoring over several conversations): DER and F1 are then
/// the ratios of the sums, the FTO error the mean over all matched transfers.
void accumulate(TalkspurtScore& a, const TalkspurtScore& b);

}  // namespace dyad::analysis
