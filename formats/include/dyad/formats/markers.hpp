#pragma once
/// \file markers.tsv: `onset_s duration_s label value source` (DESIGN.md). Phases are markers
/// with a duration; clinical entries keep their numbers in `value` ("120/80", "12").
#include <filesystem>
#include <string>
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

/// Markers whose label is `exclude`, as [start, end) intervals.
std::vector<std::pair<double, double>> exclusion_intervals(const std::vector<Marker>& m);

}  // namespace dyad::formats
