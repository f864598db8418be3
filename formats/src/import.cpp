#include "dyad/formats/import.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <fstream>
#include <limits>
#include <memory>
#include <sstream>

#include "dyad/formats/audio.hpp"
#include "dyad/formats/error.hpp"
#include "dyad/formats/files.hpp"
#include "dyad/formats/markers.hpp"
#include "dyad/formats/stream.hpp"
#include "dyad/formats/text.hpp"

namespace dyad::formats {

namespace {
void add_participant(Manifest& m, const std::string& role) {
  for (auto& p : m.participants)
    if (p.role == role) return;
  m.participants.push_back({role, role == "therapist" ? "T" : role});
}
std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}
}  // namespace

std::vector<std::string> import_audio(const std::filesystem::path& dir, Manifest& m, const std::vector<AudioSource>& sources,
                                      const Progress& progress) {
  std::vector<std::string> warnings;
  if (sources.empty()) throw FormatError(ErrorKind::malformed, "import: no audio given");
  std::vector<std::unique_ptr<AudioReader>> readers;
  std::vector<std::string> roles;
  double rate = 0;
  std::int64_t longest = 0;
  for (auto& s : sources) {
    auto r = std::make_unique<AudioReader>(s.path);
    const auto& in = r->info();
    if (static_cast<int>(s.roles.size()) != in.channels)
      throw FormatError(ErrorKind::malformed, s.path.string() + ": has " + std::to_string(in.channels) +
                                                  " channel(s) but " + std::to_string(s.roles.size()) +
                                                  " role(s) were given for it");
    if (rate == 0) rate = in.sample_rate_hz;
    if (in.sample_rate_hz != rate)
      throw FormatError(ErrorKind::unsupported, s.path.string() + ": is at " + format_number(in.sample_rate_hz) +
                                                    " Hz but " + sources.front().path.string() + " is at " +
                                                    format_number(rate) + " Hz; all audio must share one rate");
    for (auto& role : s.roles) {
      if (!is_valid_role(role)) throw FormatError(ErrorKind::malformed, "import: role '" + role + "' is not A, B or therapist");
      if (std::find(roles.begin(), roles.end(), role) != roles.end())
        throw FormatError(ErrorKind::malformed, "import: role '" + role + "' is given twice");
      roles.push_back(role);
    }
    longest = std::max(longest, in.frames);
    readers.push_back(std::move(r));
  }
  for (std::size_t i = 0; i < readers.size(); ++i)
    if (readers[i]->info().frames < longest)
      warnings.push_back(sources[i].path.string() + ": " + format_fixed(static_cast<double>(longest - readers[i]->info().frames) / rate, 3) +
                         " s shorter than the longest file; padded with silence at the end");
  const int total_ch = static_cast<int>(roles.size());
  AudioWriter w(dir / "audio.wav", rate, total_ch, AudioSync::on_close);
  const std::int64_t block = 65536;
  std::vector<float> out(static_cast<std::size_t>(block * total_ch));
  std::vector<std::vector<float>> in(readers.size());
  for (std::size_t i = 0; i < readers.size(); ++i) in[i].resize(static_cast<std::size_t>(block * readers[i]->info().channels));
  for (std::int64_t pos = 0; pos < longest; pos += block) {
    std::int64_t n = std::min(block, longest - pos);
    int ch0 = 0;
    for (std::size_t i = 0; i < readers.size(); ++i) {
      int ch = readers[i]->info().channels;
      std::int64_t got = readers[i]->read(std::span<float>(in[i].data(), static_cast<std::size_t>(n * ch)));
      for (std::int64_t f = 0; f < n; ++f)
        for (int c = 0; c < ch; ++c)
          out[static_cast<std::size_t>(f * total_ch + ch0 + c)] = f < got ? in[i][static_cast<std::size_t>(f * ch + c)] : 0.0f;
      ch0 += ch;
    }
    w.write(std::span<const float>(out.data(), static_cast<std::size_t>(n * total_ch)));
    if (progress) progress(static_cast<double>(pos + n) / static_cast<double>(longest), "importing audio");
  }
  w.close();
  AudioSection a;
  a.file = "audio.wav";
  a.sample_rate_hz = rate;
  a.sample_format = "float32";
  for (int c = 0; c < total_ch; ++c) {
    a.channels.push_back({c + 1, roles[static_cast<std::size_t>(c)]});
    add_participant(m, roles[static_cast<std::size_t>(c)]);
  }
  m.audio = a;
  return warnings;
}

std::string guess_stream_kind(const std::string& column) {
  std::string c = lower(column);
  auto has = [&](const char* k) { return c.find(k) != std::string::npos; };
  if (has("ecg") || has("ekg")) return "ecg";
  if (has("ppg") || has("pleth") || has("bvp")) return "ppg";
  if (has("eda") || has("gsr") || has("scl") || has("skin")) return "eda";
  if (has("rsp") || has("resp") || has("breath")) return "resp";
  if (c == "hr" || has("heart") || has("rr_")) return "hr";
  if (c == "bp" || has("systolic") || has("pressure")) return "bp";
  return "generic";
}

std::vector<PhysioStream> parse_physio(const std::string& text, const std::string& label, const PhysioImport& spec, bool has_audio) {
  if (!is_valid_role(spec.role))
    throw FormatError(ErrorKind::malformed, "import: --role must be A, B or therapist, found '" + spec.role + "'");
  if (spec.time_column.empty() && !(spec.rate_hz > 0))
    throw FormatError(ErrorKind::malformed, label + ": give --time-column NAME or --rate HZ");
  if (!spec.kind.empty() && !is_valid_stream_kind(spec.kind))
    throw FormatError(ErrorKind::malformed, "import: --kind must be ecg, ppg, eda, resp, bp, hr or generic, found '" + spec.kind + "'");
  std::istringstream in(text);
  Table t = read_table(in, label, 0);
  int tcol = -1;
  if (!spec.time_column.empty()) tcol = static_cast<int>(t.require_column(spec.time_column));
  for (auto& [col, kind] : spec.column_kinds) {
    t.require_column(col);
    if (!is_valid_stream_kind(kind))
      throw FormatError(ErrorKind::malformed, "import: --column " + col + "=" + kind + ": kind must be ecg, ppg, eda, resp, bp, hr or generic");
  }
  if (t.rows.empty()) throw FormatError(ErrorKind::malformed, label + ": has a header but no rows");
  std::vector<double> times(t.rows.size());
  for (std::size_t r = 0; r < t.rows.size(); ++r) {
    times[r] = tcol >= 0 ? t.required_number(r, static_cast<std::size_t>(tcol)) : static_cast<double>(r) / spec.rate_hz;
    if (!std::isfinite(times[r]))
      throw FormatError(ErrorKind::malformed, label + ":" + std::to_string(t.line_numbers[r]) + ": " + spec.time_column +
                                                  " is not a finite number: '" + t.rows[r][static_cast<std::size_t>(tcol)] + "'");
    if (r > 0 && times[r] < times[r - 1])
      throw FormatError(ErrorKind::malformed, label + ":" + std::to_string(t.line_numbers[r]) + ": " +
                                                  spec.time_column + " goes backwards (" + t.rows[r][static_cast<std::size_t>(tcol)] +
                                                  " after " + t.rows[r - 1][static_cast<std::size_t>(tcol)] + ")");
  }
  // Physiology-only sessions take time zero from the earliest sample (DESIGN.md).
  const double zero = std::isnan(spec.zero_s) ? times.front() : spec.zero_s;
  double shift = spec.offset_s + (has_audio ? 0.0 : -zero);
  double rate = spec.rate_hz;
  bool regular = false;  // a time column on a uniform grid is a regular stream at that rate
  if (rate <= 0 && times.size() > 1 && times.back() > times.front()) {
    rate = static_cast<double>(times.size() - 1) / (times.back() - times.front());
    regular = true;
    for (std::size_t r = 1; r < times.size() && regular; ++r)
      regular = std::abs((times[r] - times[r - 1]) * rate - 1) < 0.01;
    // times written as decimals (0.01, 0.02...) give 99.99999999999999 Hz: keep 9 significant digits
    const double scale = std::pow(10.0, 8 - std::floor(std::log10(rate)));
    rate = std::round(rate * scale) / scale;
  }
  std::vector<PhysioStream> out;
  std::vector<std::string> names;
  for (std::size_t c = 0; c < t.header.size(); ++c) {
    if (static_cast<int>(c) == tcol) continue;
    std::string col = t.header[c];
    std::string name;
    for (char ch : lower(col)) name += (std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '-') ? ch : '_';
    name += "_" + spec.role;
    if (!is_valid_stream_name(name))
      throw FormatError(ErrorKind::malformed, label + ":1: column '" + col + "' gives the stream name '" + name +
                                                  "', which does not match [A-Za-z0-9_-]{1,64}");
    if (std::find(names.begin(), names.end(), name) != names.end())
      throw FormatError(ErrorKind::malformed, label + ":1: two columns give the stream name '" + name + "'");
    names.push_back(name);
    PhysioStream ps;
    StreamSidecar& sc = ps.sidecar;
    sc.name = name;
    auto it = spec.column_kinds.find(col);
    sc.kind = it != spec.column_kinds.end() ? it->second : !spec.kind.empty() ? spec.kind : guess_stream_kind(col);
    sc.role = spec.role;
    sc.nominal_rate_hz = spec.rate_hz > 0 ? spec.rate_hz : regular ? rate : 0;
    sc.measured_rate_hz = rate;
    sc.columns = {lower(col)};
    sc.units = {""};
    sc.clock.offset_s = shift;
    sc.clock.method = "import";
    StreamData& d = ps.data;
    d.values.assign(1, {});
    d.time_s.reserve(times.size());
    for (std::size_t r = 0; r < t.rows.size(); ++r) {
      d.time_s.push_back(times[r] + shift);
      d.device_time_s.push_back(times[r]);
      d.values[0].push_back(t.number(r, c));
    }
    out.push_back(std::move(ps));
  }
  return out;
}

std::vector<std::string> import_physio(const std::filesystem::path& dir, Manifest& m, const PhysioImport& spec) {
  std::vector<std::string> warnings;
  auto streams = parse_physio(read_file(spec.path), spec.path.string(), spec, m.audio.has_value());
  for (auto& ps : streams)
    for (auto& s : m.streams)
      if (s.name == ps.sidecar.name) throw FormatError(ErrorKind::exists, "import: stream '" + ps.sidecar.name + "' already exists in the session");
  for (auto& ps : streams) {
    write_stream(dir, ps.sidecar, ps.data);
    m.streams.push_back({ps.sidecar.name, ps.sidecar.kind, ps.sidecar.role});
  }
  add_participant(m, spec.role);
  return warnings;
}

std::vector<std::string> import_physio(const std::filesystem::path& dir, Manifest& m, const std::vector<PhysioImport>& specs) {
  std::vector<PhysioImport> all = specs;
  if (!m.audio) {
    // the earliest first sample of all files (rows are in time order; checked when imported)
    double zero = std::numeric_limits<double>::infinity();
    for (auto& sp : all) {
      if (sp.time_column.empty()) {
        zero = std::min(zero, 0.0);
        continue;
      }
      std::ifstream in(sp.path, std::ios::binary);
      if (!in) throw FormatError(ErrorKind::io, sp.path.string() + ": cannot be opened for reading");
      TableReader t(in, sp.path.string(), 0);
      auto it = std::find(t.header().begin(), t.header().end(), sp.time_column);
      if (it != t.header().end() && t.next())
        zero = std::min(zero, t.required_number(static_cast<std::size_t>(it - t.header().begin())));
    }
    if (std::isfinite(zero))
      for (auto& sp : all)
        if (std::isnan(sp.zero_s)) sp.zero_s = sp.time_column.empty() ? 0.0 : zero;
  }
  std::vector<std::string> warnings;
  for (auto& sp : all)
    for (auto& w : import_physio(dir, m, sp)) warnings.push_back(w);
  return warnings;
}

void import_markers(const std::filesystem::path& dir, const std::filesystem::path& file) {
  auto incoming = parse_markers(read_file(file), file.string());
  for (auto& mk : incoming)
    if (mk.source.empty() || mk.source == "n/a") mk.source = "import";
  auto existing = read_markers(dir);
  existing.insert(existing.end(), incoming.begin(), incoming.end());
  std::stable_sort(existing.begin(), existing.end(), [](auto& a, auto& b) { return a.onset_s < b.onset_s; });
  write_markers(dir, existing);
}

}  // namespace dyad::formats
