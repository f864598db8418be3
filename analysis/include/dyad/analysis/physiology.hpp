#pragma once
/// \file Physiology of a session on the conversation timeline (issue 10): heart beats from ECG,
/// PPG and beat-to-beat `hr` streams, HRV, EDA responses, respiration, blood-pressure events,
/// dyadic synchrony, and, when the talkspurts and turns are known, physiology while speaking,
/// listening and overlapping and per-turn partner reactivity.
///
/// `analyze_physiology` computes everything in memory and returns tables with their codebooks,
/// per-turn columns and a summary, so the analysis pipeline can store them as it stores its own;
/// `write_physiology` / `run_physiology` store them under features/ on their own.
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dyad/dsp/blood_pressure.hpp"
#include "dyad/dsp/chunked.hpp"
#include "dyad/dsp/ecg.hpp"
#include "dyad/dsp/eda.hpp"
#include "dyad/dsp/hrv.hpp"
#include "dyad/dsp/ppg.hpp"
#include "dyad/dsp/respiration.hpp"
#include "dyad/dsp/synchrony.hpp"
#include "dyad/dsp/types.hpp"
#include "dyad/formats/session.hpp"

namespace dyad::analysis {

/// Every parameter of the physiology analysis (written into summary.json). Sample rates inside
/// the dsp configs are taken from each stream's sidecar.
struct PhysioConfig {
  dsp::EcgConfig ecg;
  dsp::BeatCorrectionConfig correction;
  bool correct_beats = true;     ///< apply dsp::BeatCorrector to ECG and PPG beats
  dsp::PpgConfig ppg;
  dsp::HrvConfig hrv;
  dsp::EdaConfig eda;
  dsp::RespConfig resp;
  dsp::BpThresholds bp;
  dsp::SynchronyConfig synchrony;  ///< its sample_rate_hz is the rate of the HR and EDA series
  double window_s = 300;           ///< physio_windows.tsv window (HRV needs 5 min)
  double step_s = 60;              ///< physio_windows.tsv step
  double gap_factor = 1.5;         ///< a jump in time_s over gap_factor / rate splits a stream into runs
  double max_beat_gap_s = 3;       ///< the HR series is missing where beats are further apart
  /// The HR series (synchrony, states, turns) puts each 60 / RR at the middle of its interval,
  /// the mean rate over it, not at the beat that ends it: at the end, a partner with longer
  /// intervals would seem later by half the difference of the partners' RR.
  bool hr_at_interval_midpoint = true;
  /// Low-pass (Hz, zero phase, per stretch without gaps) of the HR series given to synchrony
  /// only; 0 = none. E.g. 0.15 keeps the partners' own respiratory sinus arrhythmia (0.15-0.4 Hz,
  /// each at its own breathing rate, independent between partners) from perturbing the lag of the
  /// slower linkage (on simulated partners it moved the lag found by 0.25 s).
  double sync_hr_lowpass_hz = 0.15;
  double reactivity_before_s = 5;  ///< per turn: reference period before the turn's end (s)
  double reactivity_after_s = 5;   ///< per turn: response period after the turn's end (s)
  /// ECG and PPG runs are searched for beats in chunks of chunk.core_s with chunk.pre_s and
  /// chunk.post_s of context (memory bounded whatever the session's length; the beats equal the
  /// whole run's on every recording tested); chunk.core_s = 0: each run whole.
  dsp::ChunkConfig chunk;
  /// Streams read and analysed side by side: threads (0 = one per core; 1 = one at a time). The
  /// results do not depend on it.
  unsigned threads = 0;
};

/// One column of a table's codebook.
struct PhysioColumn {
  std::string name, meaning, unit, definition;
};

/// A features/ table: <name>.tsv and its codebook <name>.json.
struct PhysioTable {
  std::string name;  ///< without extension, e.g. "beats_ecg_A"
  std::string description;
  std::vector<PhysioColumn> columns;
  std::vector<std::vector<std::string>> rows;
};

/// A turn as turns.tsv gives it.
struct PhysioTurn {
  long turn = 0;
  std::string role;
  double start_s = 0, end_s = 0;
};

struct PhysioOutput {
  std::vector<PhysioTable> tables;
  std::vector<PhysioColumn> turn_columns;
  std::vector<std::vector<std::string>> turn_values;  ///< [column][turn], formatted ("n/a" missing)
  nlohmann::json summary = nlohmann::json::object();
  std::vector<std::string> warnings;
};

/// Validates the parameters that the dsp objects do not see (throws std::invalid_argument).
void validate(const PhysioConfig& c);

/// Reads every physiology stream of the session (kinds ecg, ppg, hr, eda, resp, bp) and the `bp`
/// markers, honouring `exclude` markers, and computes all outputs. `segments` and `turns` may be
/// empty (then no state or per-turn results).
PhysioOutput analyze_physiology(const formats::Session& s, const PhysioConfig& c, std::span<const dsp::Segment> segments,
                                std::span<const PhysioTurn> turns);

/// Writes the tables and codebooks into `features_dir` (created 0700 if absent), appends the
/// per-turn columns to an existing turns.tsv (replacing columns of the same name) and puts the
/// summary under "physiology" in summary.json (created if absent).
void write_physiology(const std::filesystem::path& features_dir, const PhysioOutput& out);

/// Opens the session, reads features/segments.tsv and features/turns.tsv when present, analyses
/// and writes. Returns what it wrote.
PhysioOutput run_physiology(const std::filesystem::path& session_dir, const PhysioConfig& c = {});

/// The codebook sidecar of a table: {"file", "description", "missing_value", "columns": [...]}.
nlohmann::json physio_codebook(const PhysioTable& t);

}  // namespace dyad::analysis

#include "dyad/analysis/analyze.hpp"

namespace dyad::analysis {

/// The physiology as a `dyad analyze` extension: its tables and codebooks go into features/, its
/// per-turn columns into turns.tsv, its summary under summary.json "extensions"/"physiology".
/// Uses the pipeline's talkspurts and turns. Adds nothing when the session has no physiology.
std::unique_ptr<FeatureExtension> make_physiology_extension(const PhysioConfig& c = {});

}  // namespace dyad::analysis
