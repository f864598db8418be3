#include "dyad/formats/stream.hpp"

#include <cmath>
#include <fstream>
#include <sstream>

#include "dyad/formats/error.hpp"
#include "dyad/formats/manifest.hpp"
#include "dyad/formats/text.hpp"

namespace dyad::formats {

using nlohmann::json;

std::filesystem::path stream_tsv_path(const std::filesystem::path& dir, const std::string& name) {
  return dir / "streams" / (name + ".tsv");
}
std::filesystem::path stream_json_path(const std::filesystem::path& dir, const std::string& name) {
  return dir / "streams" / (name + ".json");
}

namespace {
[[noreturn]] void bad(const std::string& label, const std::string& key, const std::string& what) {
  throw FormatError(ErrorKind::malformed, label + ": key '" + key + "': " + what);
}
const std::vector<std::string> kKnown = {"name", "kind", "role", "nominal_rate_hz", "measured_rate_hz",
                                         "columns", "units", "clock"};
}  // namespace

StreamSidecar parse_sidecar(const std::string& text, const std::string& label) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::parse_error& e) {
    throw FormatError(ErrorKind::malformed, label + ": not valid JSON at byte " + std::to_string(e.byte) +
                                                " (expected a JSON object)");
  } catch (const json::exception&) {  // out_of_range: a number past a double
    throw FormatError(ErrorKind::malformed, label + ": not valid JSON: a number is too large for a double (expected a JSON object)");
  }
  if (!j.is_object()) throw FormatError(ErrorKind::malformed, label + ": expected a JSON object at the top level");
  StreamSidecar s;
  auto str = [&](const char* k) {
    if (!j.contains(k)) bad(label, k, "missing; it is required");
    if (!j[k].is_string()) bad(label, k, "expected a string");
    return j[k].get<std::string>();
  };
  auto num = [&](const char* k) {
    if (!j.contains(k)) bad(label, k, "missing; it is required");
    if (!j[k].is_number()) bad(label, k, "expected a number");
    return j[k].get<double>();
  };
  auto strings = [&](const char* k) {
    if (!j.contains(k)) bad(label, k, "missing; it is required");
    if (!j[k].is_array()) bad(label, k, "expected an array of strings");
    std::vector<std::string> v;
    for (auto& e : j[k]) {
      if (!e.is_string()) bad(label, k, "expected an array of strings");
      v.push_back(e.get<std::string>());
    }
    return v;
  };
  s.name = str("name");
  if (!is_valid_stream_name(s.name))
    bad(label, "name", "expected a stream name matching [A-Za-z0-9_-]{1,64}, found '" + s.name + "'");
  s.kind = str("kind");
  if (!is_valid_stream_kind(s.kind)) bad(label, "kind", "expected ecg, ppg, eda, resp, bp, hr or generic, found '" + s.kind + "'");
  s.role = str("role");
  s.nominal_rate_hz = num("nominal_rate_hz");
  if (s.nominal_rate_hz < 0) bad(label, "nominal_rate_hz", "expected 0 (irregular) or a positive rate");
  s.measured_rate_hz = j.contains("measured_rate_hz") ? num("measured_rate_hz") : 0;
  s.columns = strings("columns");
  if (s.columns.empty()) bad(label, "columns", "expected at least one value column");
  s.units = j.contains("units") ? strings("units") : std::vector<std::string>(s.columns.size(), "");
  if (s.units.size() != s.columns.size()) bad(label, "units", "expected one unit per column");
  if (j.contains("clock")) {
    const json& c = j["clock"];
    if (!c.is_object()) bad(label, "clock", "expected an object");
    auto cn = [&](const char* k, double def) {
      if (!c.contains(k)) return def;
      if (!c[k].is_number()) bad(label, std::string("clock.") + k, "expected a number");
      return c[k].get<double>();
    };
    s.clock.offset_s = cn("offset_s", 0);
    s.clock.drift_ppm = cn("drift_ppm", 0);
    s.clock.residual_ms = cn("residual_ms", 0);
    if (c.contains("method") && c["method"].is_string()) s.clock.method = c["method"];
    if (c.contains("segments")) {
      // pieces of the fit, as the recorder writes them: objects of numbers (recover re-times with them)
      const json& sg = c["segments"];
      if (!sg.is_array()) bad(label, "clock.segments", "expected an array of objects");
      for (std::size_t i = 0; i < sg.size(); ++i) {
        if (!sg[i].is_object()) bad(label, "clock.segments[" + std::to_string(i) + "]", "expected an object");
        for (auto it = sg[i].begin(); it != sg[i].end(); ++it)
          if (!it.value().is_number() && !it.value().is_null())  // (null: how JSON writes a NaN)
            bad(label, "clock.segments[" + std::to_string(i) + "]." + it.key(), "expected a number");
      }
      s.clock.segments = sg;
    }
  }
  for (auto it = j.begin(); it != j.end(); ++it)
    if (std::find(kKnown.begin(), kKnown.end(), it.key()) == kKnown.end()) s.extra[it.key()] = it.value();
  return s;
}

std::string serialise_sidecar(const StreamSidecar& s) {
  json j = s.extra.is_object() ? s.extra : json::object();
  j["name"] = s.name;
  j["kind"] = s.kind;
  j["role"] = s.role;
  j["nominal_rate_hz"] = s.nominal_rate_hz;
  j["measured_rate_hz"] = s.measured_rate_hz;
  j["columns"] = s.columns;
  j["units"] = s.units;
  j["clock"] = {{"offset_s", s.clock.offset_s},     {"drift_ppm", s.clock.drift_ppm},
                {"residual_ms", s.clock.residual_ms}, {"method", s.clock.method},
                {"segments", s.clock.segments}};
  return j.dump(2) + "\n";
}

StreamSidecar read_sidecar(const std::filesystem::path& dir, const std::string& name) {
  auto p = stream_json_path(dir, name);
  return parse_sidecar(read_file(p), p.string());
}

void write_sidecar(const std::filesystem::path& dir, const StreamSidecar& s) {
  make_private_dir(dir / "streams");
  write_file_atomic(stream_json_path(dir, s.name), serialise_sidecar(s));
}

namespace {
// Every row of a stream table, checked: fn(time_s, device_time_s, reader) per row.
template <class Fn>
void for_each_stream_row(std::istream& in, const std::string& label, const StreamSidecar& s, Fn&& fn) {
  TableReader t(in, label);
  std::vector<std::string> want = {"time_s", "device_time_s"};
  want.insert(want.end(), s.columns.begin(), s.columns.end());
  if (t.header() != want) {
    std::string w, f;
    for (auto& x : want) w += (w.empty() ? "" : " ") + x;
    for (auto& x : t.header()) f += (f.empty() ? "" : " ") + x;
    throw FormatError(ErrorKind::malformed, label + ":1: expected the header '" + w + "' (from the sidecar), found '" + f + "'");
  }
  double prev = -INFINITY;
  while (t.next()) {
    double ts = t.required_number(0);
    if (ts < prev)
      throw FormatError(ErrorKind::malformed, label + ":" + std::to_string(t.line()) + ": time_s goes backwards (" +
                                                  std::string(t.fields()[0]) + " after " + format_number(prev) + ")");
    prev = ts;
    fn(ts, t.number(1), t);
  }
}

// streams/<name>.tsv with a large read buffer, passed to fn(stream, label).
template <class Fn>
void with_stream_file(const std::filesystem::path& dir, const StreamSidecar& s, Fn&& fn) {
  auto p = stream_tsv_path(dir, s.name);
  std::ifstream in;
  std::vector<char> buf(1 << 20);
  in.rdbuf()->pubsetbuf(buf.data(), static_cast<std::streamsize>(buf.size()));
  in.open(p, std::ios::binary);
  if (!in) throw FormatError(ErrorKind::io, p.string() + ": cannot be opened for reading");
  fn(in, p.string());
}

StreamData stream_data(std::istream& in, const std::string& label, const StreamSidecar& s) {
  StreamData d;
  d.values.assign(s.columns.size(), {});
  for_each_stream_row(in, label, s, [&](double ts, double dev, const TableReader& t) {
    d.time_s.push_back(ts);
    d.device_time_s.push_back(dev);
    for (std::size_t c = 0; c < s.columns.size(); ++c) d.values[c].push_back(t.number(c + 2));
  });
  return d;
}
}  // namespace

StreamData read_stream_data(const std::filesystem::path& dir, const StreamSidecar& s) {
  StreamData d;
  with_stream_file(dir, s, [&](std::istream& in, const std::string& label) { d = stream_data(in, label, s); });
  return d;
}

StreamData parse_stream_data(const std::string& text, const StreamSidecar& s, const std::string& label) {
  std::istringstream in(text);
  return stream_data(in, label, s);
}

void for_each_stream_sample(const std::filesystem::path& dir, const StreamSidecar& s,
                            const std::function<void(double, double, std::span<const double>)>& fn) {
  std::vector<double> row(s.columns.size());
  with_stream_file(dir, s, [&](std::istream& in, const std::string& label) {
    for_each_stream_row(in, label, s, [&](double ts, double dev, const TableReader& t) {
      for (std::size_t c = 0; c < row.size(); ++c) row[c] = t.number(c + 2);
      fn(ts, dev, row);
    });
  });
}

StreamExtent scan_stream(const std::filesystem::path& dir, const StreamSidecar& s) {
  StreamExtent e;
  with_stream_file(dir, s, [&](std::istream& in, const std::string& label) {
    for_each_stream_row(in, label, s, [&](double ts, double, const TableReader& t) {
      for (std::size_t c = 0; c < s.columns.size(); ++c) t.number(c + 2);  // checked, not kept
      if (e.samples++ == 0) e.first_s = ts;
      e.last_s = ts;
    });
  });
  return e;
}

StreamWriter::StreamWriter(const std::filesystem::path& dir, const StreamSidecar& s, bool resume) : columns_(s.columns.size()) {
  make_private_dir(dir / "streams");
  auto p = stream_tsv_path(dir, s.name);
  std::error_code ec;
  bool existed = std::filesystem::exists(p, ec) && std::filesystem::file_size(p, ec) > 0;
  if (existed && !resume) throw FormatError(ErrorKind::exists, p.string() + ": already exists; refusing to overwrite a stream");
  file_ = LineFile(p, false);
  if (!existed) {
    std::vector<std::string> h = {"time_s", "device_time_s"};
    h.insert(h.end(), s.columns.begin(), s.columns.end());
    file_.append(tsv_line(h));
  }
}

void StreamWriter::append(double t, double dt, const double* values, std::size_t n) {
  if (n != columns_) throw FormatError(ErrorKind::malformed, file_.path().string() + ": row with " + std::to_string(n) +
                                                               " values, expected " + std::to_string(columns_));
  buf_ += format_number(t);
  buf_ += '\t';
  buf_ += format_number(dt);
  for (std::size_t i = 0; i < n; ++i) {
    buf_ += '\t';
    buf_ += format_number(values[i]);
  }
  buf_ += '\n';
  if (buf_.size() >= 65536) {
    flush();
  } else if (std::chrono::steady_clock::now() - last_flush_ >= std::chrono::milliseconds(250)) {
    flush();
  }
}

void StreamWriter::flush() {
  if (!buf_.empty() && file_.is_open()) file_.append(buf_);
  buf_.clear();
  last_flush_ = std::chrono::steady_clock::now();
}

void write_stream(const std::filesystem::path& dir, const StreamSidecar& s, const StreamData& d) {
  write_sidecar(dir, s);
  StreamWriter w(dir, s, false);
  std::vector<double> row(s.columns.size());
  std::string chunk;
  for (std::size_t i = 0; i < d.size(); ++i) {
    for (std::size_t c = 0; c < row.size(); ++c) row[c] = d.values[c][i];
    w.append(d.time_s[i], d.device_time_s[i], row.data(), row.size());
  }
  w.close();
}

}  // namespace dyad::formats
