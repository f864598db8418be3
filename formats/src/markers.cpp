#include "dyad/formats/markers.hpp"

#include <cmath>
#include <sstream>

#include "dyad/formats/error.hpp"
#include "dyad/formats/text.hpp"

namespace dyad::formats {

namespace {
const std::vector<std::string> kHeader = {"onset_s", "duration_s", "label", "value", "source"};

std::string row(const Marker& m) {
  return tsv_line({format_number(m.onset_s), format_number(m.duration_s), m.label, m.value.empty() ? "n/a" : m.value,
                   m.source.empty() ? "n/a" : m.source});
}
}  // namespace

std::vector<Marker> parse_markers(const std::string& text, const std::string& label) {
  std::istringstream in(text);
  Table t = read_table(in, label, '\t');
  if (t.header != kHeader) {
    // Accept the three required columns in any order plus optional ones.
    for (const char* req : {"onset_s", "duration_s", "label"}) t.require_column(req);
  }
  int c_on = t.column("onset_s"), c_du = t.column("duration_s"), c_la = t.column("label");
  int c_va = t.column("value"), c_so = t.column("source");
  std::vector<Marker> out;
  out.reserve(t.rows.size());
  for (std::size_t r = 0; r < t.rows.size(); ++r) {
    Marker m;
    m.onset_s = t.required_number(r, static_cast<std::size_t>(c_on));
    m.duration_s = t.number(r, static_cast<std::size_t>(c_du));
    if (std::isnan(m.duration_s)) m.duration_s = 0;
    if (m.duration_s < 0)
      throw FormatError(ErrorKind::malformed, label + ":" + std::to_string(t.line_numbers[r]) +
                                                  ": duration_s is negative: '" + t.rows[r][c_du] + "'");
    m.label = t.rows[r][static_cast<std::size_t>(c_la)];
    if (m.label.empty() || m.label == "n/a")
      throw FormatError(ErrorKind::malformed, label + ":" + std::to_string(t.line_numbers[r]) + ": label is empty");
    m.value = c_va >= 0 ? t.rows[r][static_cast<std::size_t>(c_va)] : "n/a";
    m.source = c_so >= 0 ? t.rows[r][static_cast<std::size_t>(c_so)] : "n/a";
    out.push_back(std::move(m));
  }
  return out;
}

std::vector<Marker> read_markers(const std::filesystem::path& dir) {
  auto p = dir / "markers.tsv";
  std::error_code ec;
  if (!std::filesystem::exists(p, ec)) return {};
  return parse_markers(read_file(p), p.string());
}

std::string serialise_markers(const std::vector<Marker>& ms) {
  std::string s = tsv_line(kHeader);
  for (auto& m : ms) s += row(m);
  return s;
}

void write_markers(const std::filesystem::path& dir, const std::vector<Marker>& m) {
  write_file_atomic(dir / "markers.tsv", serialise_markers(m));
}

MarkerAppender::MarkerAppender(const std::filesystem::path& dir) {
  auto p = dir / "markers.tsv";
  std::error_code ec;
  bool fresh = !std::filesystem::exists(p, ec) || std::filesystem::file_size(p, ec) == 0;
  file_ = LineFile(p, false);
  if (fresh) file_.append(tsv_line(kHeader));
}

void MarkerAppender::append(const Marker& m) {
  file_.append(row(m));
  file_.sync();
}

std::vector<std::pair<double, double>> exclusion_intervals(const std::vector<Marker>& ms) {
  std::vector<std::pair<double, double>> out;
  for (auto& m : ms)
    if (m.label == "exclude") out.emplace_back(m.onset_s, m.onset_s + m.duration_s);
  return out;
}

}  // namespace dyad::formats
