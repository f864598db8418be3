#pragma once
/// \file The session simulator (`dyad simulate`): a dyadic session with exact ground truth.
/// Writes a normal session folder through formats/ (audio.wav, streams/, markers.tsv,
/// session.json) plus truth/ in the features/ schemas (HELPERS-TURNS.md, DESIGN.md).
/// Deterministic: the same configuration and seed give the same bytes in every file.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "dyad/dsp/types.hpp"

namespace dyad::analysis {

/// Everything a simulation depends on. Units in the names; defaults are `dyad simulate`'s.
struct SimulationConfig {
  double duration_s = 600;
  std::uint64_t seed = 1;
  double rate_hz = 48000;        ///< audio sample rate
  double crosstalk_db = -15;     ///< energy of the room response carrying a partner into another's mic
  double delay_ms = 3;           ///< delay of the direct path of that response
  double snr_db = 35;            ///< speech RMS (while speaking) over each mic's noise RMS
  double drift_ppm = 50;         ///< each sensor clock's drift is drawn uniformly in [-drift, +drift]
  double jitter_ms = 3;          ///< mean of the exponential delivery delay of sensor data
  bool therapist = false;        ///< a third voice channel (a therapist who speaks now and then)
  double coupling = 0.5;         ///< 0..1: share of B's arousal (HR, SCRs) that follows A's
  double coupling_lag_s = 3;     ///< B follows A by this lag (positive lag: B follows A)
  double physio_noise = 1;       ///< 0..100: multiple of the sensors' white noise (ECG 8 uV, EDA 0.002 uS, resp 0.01)
  double backchannel_max_s = 1;  ///< the truth's turn-taking threshold (HELPERS-TURNS.md)
  std::string couple_id = "sim";
  std::int64_t session_number = 1;
  std::string session_type = "dosing";  ///< its phases are a baseline, dosing and integration talk
};

/// Throws std::invalid_argument with a sentence naming the option (as `dyad simulate` spells
/// it), the value and what is allowed.
void validate(const SimulationConfig& c);

/// What a simulation wrote, for the caller to print.
struct SimulationSummary {
  std::size_t talkspurts = 0, turns = 0, events = 0, beats = 0, scrs = 0;
  std::int64_t audio_frames = 0;
};

/// Simulates into `out` (created; must not exist or be empty; removed again on failure when
/// it did not exist). `progress` (may be empty) gets fractions in [0, 1]. Throws
/// std::invalid_argument for a bad configuration, formats::FormatError for file problems.
SimulationSummary simulate_session(const std::filesystem::path& out, const SimulationConfig& c,
                                   const std::function<void(double)>& progress = {});

/// One row of events.tsv: type is pause, gap, overlap_between, overlap_within, backchannel or
/// interruption; successful is 1/0 for interruptions and -1 (n/a) otherwise.
struct TurnEvent {
  std::string type;
  double start_s = 0, end_s = 0;
  std::string from_role, to_role;
  int successful = -1;
};

/// One row of turns.tsv; fto_s is NaN for turn 1.
struct Turn {
  int turn = 0;
  std::string role;
  double start_s = 0, end_s = 0;
  double fto_s = 0;
};

struct TurnTaking {
  std::vector<TurnEvent> events;  ///< sorted by start_s, then type
  std::vector<Turn> turns;
};

/// The truth writer's own classification of talkspurts into events and turns, following
/// HELPERS-TURNS.md (Heldner & Edlund 2010) rule by rule. Roles are ordered A < B < therapist
/// for ties. Talkspurts of one role that overlap or touch are merged first. A speaker change
/// with neither silence nor overlap (one stops exactly when the other starts) passes the floor
/// without an event. The simulator makes no `exclude` markers, so rule 7 does not arise here.
/// Independent of the analysis engine on purpose: the two are cross-checked.
TurnTaking classify_turn_taking(std::vector<dsp::Segment> talkspurts, double backchannel_max_s = 1.0);

}  // namespace dyad::analysis
