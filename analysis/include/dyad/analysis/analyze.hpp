#pragma once
/// \file `dyad analyze`: a session folder -> features/ (DESIGN.md "Analysis").
///
/// The pipeline, per session:
///  1. opens and validates the session (formats::Session::open); exclusion intervals come from
///     markers labelled `exclude`;
///  2. takes the talkspurts of record: `annotations/segments.tsv` when present (corrections made in
///     Praat or ELAN, `dyad import-annotations`), else a voice activity detector on the audio;
///  3. streams the audio once in blocks (bounded memory at any length); each block is split into
///     one buffer per role and the roles are processed in parallel (one thread per role): the
///     detector (when its channels are independent) and every extension's per-role analysis;
///  4. computes turn-taking (dsp/turns.hpp), statistics and windows;
///  5. lets every extension add its own files and columns, then writes segments.tsv, turns.tsv,
///     events.tsv, windows.tsv, summary.json and a codebook <name>.json for each table into a
///     temporary folder inside the session and swaps it with features/ (rename(2)/renameat2), so
///     features/ is always the old one, the new one or absent, never half written, and nothing
///     else in the session changes.
///
/// ## Adding an analysis (pitch, intensity, physiology...) — the extension point
///
/// Write a class derived from `FeatureExtension` and add its factory to `default_extensions()` in
/// analysis/src/extensions.cpp. One instance is made per session analysed, so it may keep state.
///  - For frame-wise audio analyses, return a `RoleAudioAnalysis` from `audio_analysis(role, rate)`;
///    its `process(block, first_frame)` receives that role's samples in order, on that role's worker
///    thread (one thread per role; do not share mutable state between roles without a lock).
///    Keep the results you need (e.g. a pitch track) in the object you returned.
///  - In `finish(ctx)` (one thread, after turn-taking): read anything else you need through
///    `ctx.session` (streams for physiology), write your own tables with `ctx.write_table(...)`
///    (codebook included), add per-turn or per-window columns with `ctx.turn_columns` /
///    `ctx.window_columns` (one value per row of ctx.turns.turns / ctx.windows, text formatted
///    with formats::format_number, "n/a" when missing) and put your numbers and parameters in
///    `ctx.summary` (a JSON object stored in summary.json under "extensions"/<name()>).
/// Nothing else changes: the pipeline appends your columns after the standard ones, in the order
/// extensions are listed, and documents them in the codebooks from the ColumnDoc you give.
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dyad/dsp/turns.hpp"
#include "dyad/dsp/vad.hpp"
#include "dyad/formats/features.hpp"
#include "dyad/formats/session.hpp"

namespace dyad::analysis {

/// Per-role audio analysis of an extension. Called on that role's worker thread only.
class RoleAudioAnalysis {
 public:
  virtual ~RoleAudioAnalysis() = default;
  /// The next samples of the role's channel; first_frame is the index of block[0] in the audio.
  virtual void process(std::span<const float> block, std::int64_t first_frame) = 0;
  /// After the last block.
  virtual void finish() {}
};

/// Extra columns for turns.tsv or windows.tsv: each column has one value per row.
struct ExtraColumn {
  formats::ColumnDoc doc;
  std::vector<std::string> values;
};

struct AnalyzeOptions;

/// What an extension sees when it finishes (one thread).
struct FeatureContext {
  const formats::Session& session;
  const AnalyzeOptions& options;
  const dsp::TurnTaking& turns;
  const std::vector<dsp::WindowStats>& windows;
  std::filesystem::path out_dir;            ///< the new features/ being written (temporary folder)
  std::vector<ExtraColumn> turn_columns;    ///< appended to turns.tsv
  std::vector<ExtraColumn> window_columns;  ///< appended to windows.tsv
  nlohmann::json summary = nlohmann::json::object();  ///< summary.json "extensions"/<name>
  std::vector<std::string> warnings;        ///< shown to the user (AnalyzeResult::warnings), prefixed with the extension

  /// Writes out_dir/<name>.tsv (header + rows) and its codebook out_dir/<name>.json.
  void write_table(const std::string& name, const std::string& description, const std::vector<formats::ColumnDoc>& columns,
                   const std::vector<std::vector<std::string>>& rows) const;
};

/// An analysis added to the pipeline. See the file comment.
class FeatureExtension {
 public:
  virtual ~FeatureExtension() = default;
  virtual std::string name() const = 0;
  /// Before the audio pass: the session's folder (where an extension may keep unnamed temporary
  /// files while the audio is read).
  virtual void start(const std::filesystem::path& /*session_dir*/) {}
  /// An audio analysis for one role, or nullptr when it needs no audio for that role.
  virtual std::shared_ptr<RoleAudioAnalysis> audio_analysis(const std::string& /*role*/, double /*sample_rate_hz*/) {
    return nullptr;
  }
  virtual void finish(FeatureContext& ctx) = 0;
};

using ExtensionFactory = std::function<std::unique_ptr<FeatureExtension>()>;
/// The extensions every `dyad analyze` runs (analysis/src/extensions.cpp): prosody (pitch, intensity,
/// voice quality, speech rate), then physiology and synchrony, with their default parameters.
std::vector<ExtensionFactory> default_extensions();
struct ProsodyOptions;
struct PhysioConfig;
/// The same extensions with their parameters (what `dyad analyze`'s options set).
std::vector<ExtensionFactory> default_extensions(const ProsodyOptions& prosody, const PhysioConfig& physio);

/// Makes the voice activity detector for a session (channels in role order).
using VadFactory = std::function<std::unique_ptr<dsp::VoiceActivityDetector>(double sample_rate_hz, std::size_t channels)>;

struct AnalyzeOptions {
  double backchannel_max_s = 1.0;  ///< see dsp::TurnConfig
  double window_s = 60;            ///< windows.tsv window length
  /// The voice activity detector: "crosstalk" (dsp::CrosstalkVad, rejects the other partners'
  /// voices leaking into each microphone; the default) or "energy" (dsp::EnergyVad, per channel).
  std::string vad_detector = "crosstalk";
  dsp::CrosstalkVadConfig crosstalk_vad;  ///< its parameters when "crosstalk" (sample rate taken from the audio)
  dsp::EnergyVadConfig energy_vad;        ///< its parameters when "energy" (sample rate taken from the audio)
  VadFactory vad_factory;          ///< when set, makes the detector instead (vad_detector and the configurations are then unused)
  bool use_annotations = true;     ///< use annotations/segments.tsv when present
  std::int64_t block_frames = 1 << 16;  ///< audio frames read at once
  std::vector<ExtensionFactory> extensions = default_extensions();
};

/// The detector `options` ask for, for `channels` channels at `sample_rate_hz` (vad_factory when
/// set). Throws std::invalid_argument for an unknown detector name or a bad parameter.
std::unique_ptr<dsp::VoiceActivityDetector> make_vad(const AnalyzeOptions& options, double sample_rate_hz, std::size_t channels);

struct AnalyzeResult {
  std::filesystem::path features_dir;
  std::string segments_source;  ///< "annotations" or "vad:<name>"
  std::size_t segments = 0, events = 0, turns = 0;
  double duration_s = 0;
  std::vector<std::string> warnings;
};

/// Progress: fraction of this session in [0, 1] and a short phrase. Called from the calling thread.
using ProgressFn = std::function<void(double fraction, const std::string& what)>;

/// Analyses one session and replaces its features/. Throws formats::FormatError (bad session or
/// files) or std::exception; on failure features/ is left as it was and the temporary folder is
/// removed. `cancel` (may be null) stops between blocks with std::runtime_error("cancelled").
AnalyzeResult analyze_session(const std::filesystem::path& session_dir, const AnalyzeOptions& options,
                              const ProgressFn& progress = {}, const std::atomic<bool>* cancel = nullptr);

/// Outcome of one session in analyze_sessions.
struct SessionOutcome {
  std::filesystem::path dir;
  bool ok = false;
  AnalyzeResult result;
  std::string error;  ///< the exception's message when !ok
};

/// Analyses several sessions, `jobs` at a time (0 = hardware threads); a failure in one does not
/// stop the others. `progress(index, fraction, what)` and `done(outcome index)` may be called from
/// worker threads (serialise your output). Returns outcomes in input order.
std::vector<SessionOutcome> analyze_sessions(const std::vector<std::filesystem::path>& dirs, const AnalyzeOptions& options,
                                             unsigned jobs,
                                             const std::function<void(std::size_t, double, const std::string&)>& progress = {},
                                             const std::function<void(std::size_t, const SessionOutcome&)>& done = {});

}  // namespace dyad::analysis
