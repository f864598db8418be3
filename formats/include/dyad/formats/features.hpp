#pragma once
/// \file The turn-taking tables shared by features/, truth/ and annotations/ (DESIGN.md "Files under
/// features/"; column schemas in README "features/"): reading and writing segments.tsv and
/// events.tsv, and codebook sidecars (<name>.json: every column's meaning, unit and definition).
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dyad/dsp/turns.hpp"
#include "dyad/dsp/types.hpp"

namespace dyad::formats {

/// One column of a codebook.
struct ColumnDoc {
  std::string name;
  std::string meaning;
  std::string unit;        ///< "s", "dB", "count", "" for none
  std::string definition;  ///< how it is computed; "" when the meaning says it all
};

/// The codebook sidecar of a table: {"file", "description", "missing_value", "columns": [...]}.
nlohmann::json codebook_json(const std::string& file, const std::string& description, const std::vector<ColumnDoc>& columns);

/// segments.tsv: `role start_s end_s` (more columns allowed and ignored on reading).
std::string serialise_segments(const std::vector<dsp::Segment>& s);
/// Parses segments; `label` names the file in messages ("<label>:<line>: ..."). Checks that roles
/// are A, B or therapist and that end_s >= start_s.
std::vector<dsp::Segment> parse_segments(const std::string& text, const std::string& label);
std::vector<dsp::Segment> read_segments(const std::filesystem::path& path);

/// events.tsv: `type start_s end_s from_role to_role successful` (+ duration_s on writing).
std::string serialise_events(const std::vector<dsp::TurnEvent>& e);
std::vector<dsp::TurnEvent> parse_events(const std::string& text, const std::string& label);
std::vector<dsp::TurnEvent> read_events(const std::filesystem::path& path);

/// The talkspurts of record made by a person (`dyad import-annotations`):
/// <session>/annotations/segments.tsv. `dyad analyze` uses them instead of voice activity detection.
std::filesystem::path annotations_segments_path(const std::filesystem::path& session_dir);

/// The codebook columns of segments.tsv and events.tsv.
std::vector<ColumnDoc> segments_columns();
std::vector<ColumnDoc> events_columns();

}  // namespace dyad::formats
