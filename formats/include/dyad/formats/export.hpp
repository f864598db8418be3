#pragma once
/// \file Exports of a session's talkspurts and turn-taking events to other tools, behind one
/// registry (format name -> writer): RTTM (NIST Rich Transcription, SPEAKER lines), Praat
/// TextGrid (long text format) and ELAN EAF 3.0. Exports read features/ (run `dyad analyze`
/// first) and write only the file they are told to, never replacing one without `force`.
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "dyad/dsp/turns.hpp"

namespace dyad::formats {

/// What every exporter gets.
struct ExportInput {
  std::string session_id;
  std::filesystem::path audio_path;  ///< absolute path of the session audio ("" when none)
  double duration_s = 0;             ///< session length (at least the last talkspurt's end)
  std::vector<std::string> roles;    ///< canonical order
  std::vector<dsp::Segment> segments;
  std::vector<dsp::TurnEvent> events;
};

/// One export format. `write` returns the whole file's text; `out_path` is where it will be
/// written (EAF links the audio relative to it).
struct ExportFormat {
  std::string name;         ///< e.g. "textgrid"
  std::string extension;    ///< e.g. ".TextGrid"
  std::string description;
  std::function<std::string(const ExportInput&, const std::filesystem::path& out_path)> write;
};

/// Every registered format (rttm, textgrid, eaf, and any added with register_export_format).
const std::vector<ExportFormat>& export_formats();
/// The format with this name, or nullptr.
const ExportFormat* find_export_format(std::string_view name);
/// Adds a format (not thread-safe: call at start-up).
void register_export_format(ExportFormat f);

/// Reads features/segments.tsv and features/events.tsv and the manifest. Throws FormatError(io)
/// "<session>/features/segments.tsv: ... (run 'dyad analyze' first)" when features/ is missing.
ExportInput read_export_input(const std::filesystem::path& session_dir);

/// `SPEAKER <file> 1 <start> <duration> <NA> <NA> <role> <NA> <NA>` per talkspurt, times to the ms.
std::string write_rttm(const ExportInput& in);
/// A TextGrid in Praat's long text format: an interval tier per role (talkspurts labelled
/// "speech", silences empty) and an interval tier "events" (labels like "gap A>B",
/// "overlap_within+backchannel A>B", "overlap_between+interruption A>B ok").
std::string write_textgrid(const ExportInput& in);
/// ELAN EAF 3.0 (times in ms): a tier per role ("speech" annotations), a tier "events", the
/// session audio linked absolutely and relative to `out_path`.
std::string write_eaf(const ExportInput& in, const std::filesystem::path& out_path);

/// Exports through the registry; refuses to replace `out` unless `force` (FormatError exists);
/// FormatError(unsupported) naming the known formats when `format` is unknown.
void export_session(const std::filesystem::path& session_dir, const std::string& format, const std::filesystem::path& out,
                    bool force);

}  // namespace dyad::formats
