#pragma once
/// \file markers.tsv: `onset_s duration_s label value source` (DESIGN.md). Phases are markers
/// with a duration; clinical entries keep their numbers in `value` ("120/80", "12").
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "dyad/formats/files.hpp"

namespace dyad::formats {

struct Marker {
  double onset_s = 0;
  double duration_s = 0;
  std::string label;
  std::string value = "n/a";
  std::string source = "user";  ///< e.g. recorder, device, viewer, import, simulator
};

/// Reads a markers table from text; `label` names the file in messages.
std::vector<Marker> parse_markers(const std::string& text, const std::string& label);
std::vector<Marker> read_markers(const std::filesystem::path& session_dir);  ///< empty when absent
std::string serialise_markers(const std::vector<Marker>& m);
/// Atomic replace of markers.tsv.
void write_markers(const std::filesystem::path& session_dir, const std::vector<Marker>& m);

/// Appends markers as they happen (the recorder's and the viewer's path); creates the file with
/// its header when it does not exist. One thread.
class MarkerAppender {
 public:
  explicit MarkerAppender(const std::filesystem::path& session_dir);
  void append(const Marker& m);

 private:
  LineFile file_;
};

/// Appends markers to an existing session's markers.tsv by an atomic replace (the file's bytes,
/// a line end if the last line lacks one, the new rows; written to a temporary file, synced and
/// renamed): a crash leaves either the old file or the new one, and every existing row is kept
/// byte for byte. Creates the file with its header when absent. For a session that is not being
/// recorded (the viewer's notes); the recorder appends through MarkerAppender instead.
void append_markers_atomic(const std::filesystem::path& session_dir, const std::vector<Marker>& m);

// ---------------------------------------------------------------------------------------------
// Markers typed by a person: the recorder's terminal and the viewer's notes share these rules.

/// Labels of clinical entries whose value holds numbers: bp (SYSTOLIC/DIASTOLIC in mmHg) and
/// cadss, hr, spo2, rr, temp, vas, pain, dose (one number).
const std::vector<std::string>& clinical_labels();
/// "" when `value` is valid for the clinical entry `label` (lower case, one of clinical_labels()),
/// else a sentence such as "bp expects SYSTOLIC/DIASTOLIC in mmHg, e.g. 'bp 120/80'; got '12'".
std::string clinical_entry_error(const std::string& label, const std::string& value);
/// Phase shortcuts of the recorder's keys: b baseline, d dosing, p peak, i integration, t talk,
/// e phase_end.
const std::vector<std::pair<char, std::string>>& phase_shortcuts();

/// A typed line -> a marker (onset left 0 for the caller), "stop", or an error message.
struct MarkerCommand {
  std::optional<Marker> marker;
  bool stop = false;
  std::string error;
};
/// Parses `bp 120/80`, `cadss 12` (any clinical label), `n TEXT`/`note TEXT`, a phase shortcut or
/// name (`b`, `baseline`, ..., `end`), `m`/`mark`, `stop`/`quit`; any other text is a note kept
/// word for word. The marker's source is `source`.
MarkerCommand parse_marker_command(std::string line, const std::string& source);

/// Markers whose label is `exclude`, as [start, end) intervals.
std::vector<std::pair<double, double>> exclusion_intervals(const std::vector<Marker>& m);

}  // namespace dyad::formats
