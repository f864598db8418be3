#include "dyad/formats/features.hpp"

#include <sstream>

#include "dyad/formats/error.hpp"
#include "dyad/formats/files.hpp"
#include "dyad/formats/manifest.hpp"
#include "dyad/formats/text.hpp"
#include "dyad/version.hpp"

namespace dyad::formats {

nlohmann::json codebook_json(const std::string& file, const std::string& description, const std::vector<ColumnDoc>& columns) {
  nlohmann::json j;
  j["file"] = file;
  j["description"] = description;
  j["separator"] = "tab";
  j["missing_value"] = "n/a";
  j["decimal_point"] = ".";
  j["dyad_version"] = kVersion;
  auto& cols = j["columns"] = nlohmann::json::array();
  for (auto& c : columns) cols.push_back({{"name", c.name}, {"meaning", c.meaning}, {"unit", c.unit}, {"definition", c.definition}});
  return j;
}

std::filesystem::path annotations_segments_path(const std::filesystem::path& session_dir) {
  return session_dir / "annotations" / "segments.tsv";
}

std::vector<ColumnDoc> segments_columns() {
  return {{"role", "the partner speaking (A, B or therapist)", "", "the role of the audio channel (or annotation tier)"},
          {"start_s", "start of the talkspurt", "s", "session seconds from the first audio frame"},
          {"end_s", "end of the talkspurt", "s",
           "session seconds; talkspurts are clipped to outside exclusion intervals, and a role's overlapping or touching talkspurts are merged"}};
}

std::vector<ColumnDoc> events_columns() {
  return {{"type", "event type", "",
           "pause: silence with the same speaker before and after; gap: silence with a speaker change; overlap_between: "
           "two or more speak and the solo speaker after differs from the one before; overlap_within: the same speaker "
           "before and after; backchannel: an overlap_within shorter than backchannel_max_s; interruption: an overlap "
           "started while the floor holder was mid-talkspurt, longer than backchannel_max_s"},
          {"start_s", "start of the event", "s", "session seconds"},
          {"end_s", "end of the event", "s", "session seconds"},
          {"from_role", "the speaker before (the floor holder)", "", "for silences the speaker whose talkspurt ended last"},
          {"to_role", "the speaker after (silences) or the other speaker (overlaps: with three speaking the one that entered first; backchannels: the backchanneler; interruptions: the interrupter)", "", ""},
          {"successful", "interruptions: 1 when the interrupted holder stopped first, else 0", "0/1", "n/a for other types"},
          {"duration_s", "end_s - start_s", "s", ""}};
}

std::string serialise_segments(const std::vector<dsp::Segment>& s) {
  std::string out = tsv_line({"role", "start_s", "end_s"});
  for (auto& x : s) out += tsv_line({x.role, format_number(x.start_s), format_number(x.end_s)});
  return out;
}

namespace {
std::string where(const Table& t, std::size_t r) { return t.file + ":" + std::to_string(t.line_numbers[r]) + ": "; }
}  // namespace

std::vector<dsp::Segment> parse_segments(const std::string& text, const std::string& label) {
  std::istringstream in(text);
  auto t = read_table(in, label);
  auto cr = t.require_column("role"), cs = t.require_column("start_s"), ce = t.require_column("end_s");
  std::vector<dsp::Segment> out;
  for (std::size_t r = 0; r < t.rows.size(); ++r) {
    const auto& role = t.rows[r][cr];
    if (!is_valid_role(role))
      throw FormatError(ErrorKind::malformed, where(t, r) + "role must be A, B or therapist, found '" + role + "'");
    double s = t.required_number(r, cs), e = t.required_number(r, ce);
    if (e < s)
      throw FormatError(ErrorKind::malformed, where(t, r) + "end_s (" + format_number(e) + ") is before start_s (" +
                                                  format_number(s) + ")");
    out.push_back({role, s, e});
  }
  return out;
}

std::vector<dsp::Segment> read_segments(const std::filesystem::path& path) {
  return parse_segments(read_file(path), path.string());
}

std::string serialise_events(const std::vector<dsp::TurnEvent>& ev) {
  std::string out = tsv_line({"type", "start_s", "end_s", "from_role", "to_role", "successful", "duration_s"});
  for (auto& e : ev)
    out += tsv_line({dsp::event_type_name(e.type), format_seconds(e.start_s), format_seconds(e.end_s), e.from_role, e.to_role,
                     e.successful < 0 ? "n/a" : std::to_string(e.successful),
                     // from the times as written, so that reading the file back writes it the same
                     format_seconds(round_seconds(e.end_s) - round_seconds(e.start_s))});
  return out;
}

std::vector<dsp::TurnEvent> parse_events(const std::string& text, const std::string& label) {
  std::istringstream in(text);
  auto t = read_table(in, label);
  auto ct = t.require_column("type"), cs = t.require_column("start_s"), ce = t.require_column("end_s"),
       cf = t.require_column("from_role"), cto = t.require_column("to_role"), cok = t.require_column("successful");
  std::vector<dsp::TurnEvent> out;
  for (std::size_t r = 0; r < t.rows.size(); ++r) {
    auto type = dsp::parse_event_type(t.rows[r][ct]);
    if (!type)
      throw FormatError(ErrorKind::malformed, where(t, r) + "type must be pause, gap, overlap_between, overlap_within, "
                                                            "backchannel or interruption, found '" + t.rows[r][ct] + "'");
    dsp::TurnEvent e;
    e.type = *type;
    e.start_s = t.required_number(r, cs);
    e.end_s = t.required_number(r, ce);
    e.from_role = t.rows[r][cf];
    e.to_role = t.rows[r][cto];
    const auto& ok = t.rows[r][cok];
    if (ok == "1")
      e.successful = 1;
    else if (ok == "0")
      e.successful = 0;
    else if (ok != "n/a")
      throw FormatError(ErrorKind::malformed, where(t, r) + "successful must be 0, 1 or n/a, found '" + ok + "'");
    out.push_back(e);
  }
  return out;
}

std::vector<dsp::TurnEvent> read_events(const std::filesystem::path& path) {
  return parse_events(read_file(path), path.string());
}

}  // namespace dyad::formats
