#include "dyad/formats/markers.hpp"

#include <algorithm>
#include <cctype>
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

void append_markers_atomic(const std::filesystem::path& dir, const std::vector<Marker>& ms) {
  const auto p = dir / "markers.tsv";
  std::error_code ec;
  std::string text;
  if (std::filesystem::exists(p, ec)) text = read_file(p);
  if (text.empty()) text = tsv_line(kHeader);
  else if (text.back() != '\n') text += '\n';
  for (auto& m : ms) text += row(m);
  write_file_atomic(p, text);
}

const std::vector<std::string>& clinical_labels() {
  static const std::vector<std::string> l = {"bp", "cadss", "hr", "spo2", "rr", "temp", "vas", "pain", "dose"};
  return l;
}

std::string clinical_entry_error(const std::string& label, const std::string& value) {
  if (label == "bp") {
    // SYSTOLIC/DIASTOLIC: two or three digits each
    auto digits = [](std::string_view d) {
      return d.size() >= 2 && d.size() <= 3 && std::all_of(d.begin(), d.end(), [](char c) { return c >= '0' && c <= '9'; });
    };
    const auto slash = value.find('/');
    if (slash == std::string::npos || !digits(std::string_view(value).substr(0, slash)) ||
        !digits(std::string_view(value).substr(slash + 1)))
      return "bp expects SYSTOLIC/DIASTOLIC in mmHg, e.g. 'bp 120/80'; got '" + value + "'";
    return "";
  }
  if (std::find(clinical_labels().begin(), clinical_labels().end(), label) == clinical_labels().end())
    return "'" + label + "' is not a clinical entry (one of bp, cadss, hr, spo2, rr, temp, vas, pain, dose)";
  if (!parse_number(value) || value == "n/a" || value == "nan")
    return label + " expects a number, e.g. '" + label + " 12'; got '" + value + "'";
  return "";
}

const std::vector<std::pair<char, std::string>>& phase_shortcuts() {
  static const std::vector<std::pair<char, std::string>> k = {
      {'b', "baseline"}, {'d', "dosing"}, {'p', "peak"}, {'i', "integration"}, {'t', "talk"}, {'e', "phase_end"}};
  return k;
}

MarkerCommand parse_marker_command(std::string line, const std::string& source) {
  MarkerCommand c;
  auto trim = [](std::string s) {
    auto a = s.find_first_not_of(" \t\r\n");
    if (a == std::string::npos) return std::string();
    auto b = s.find_last_not_of(" \t\r\n");
    return s.substr(a, b - a + 1);
  };
  line = trim(line);
  if (line.empty()) return c;
  auto sp = line.find_first_of(" \t");
  std::string word = line.substr(0, sp), rest = sp == std::string::npos ? "" : trim(line.substr(sp));
  std::string lw = word;
  for (auto& ch : lw) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  Marker m;
  m.source = source;
  if (rest.empty()) {
    if (lw == "stop" || lw == "quit") {
      c.stop = true;
      return c;
    }
    for (auto& [k, label] : phase_shortcuts())
      if (lw == std::string(1, k) || lw == label || (label == "phase_end" && lw == "end")) {
        m.label = label;
        c.marker = m;
        return c;
      }
    if (lw == "m" || lw == "mark") {
      m.label = "mark";
      c.marker = m;
      return c;
    }
  }
  if (lw == "n" || lw == "note") {
    if (rest.empty()) {
      c.error = "a note needs text: n TEXT";
      return c;
    }
    m.label = "note";
    m.value = rest;
    c.marker = m;
    return c;
  }
  if (std::find(clinical_labels().begin(), clinical_labels().end(), lw) != clinical_labels().end()) {
    c.error = clinical_entry_error(lw, rest);
    if (!c.error.empty()) return c;
    m.label = lw;
    m.value = rest;
    c.marker = m;
    return c;
  }
  m.label = "note";  // anything else is kept as a note, word for word
  m.value = line;
  c.marker = m;
  return c;
}

std::vector<std::pair<double, double>> exclusion_intervals(const std::vector<Marker>& ms) {
  std::vector<std::pair<double, double>> out;
  for (auto& m : ms)
    if (m.label == "exclude") out.emplace_back(m.onset_s, m.onset_s + m.duration_s);
  return out;
}

}  // namespace dyad::formats
