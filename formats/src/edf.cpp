// EDF/EDF+ and BDF/BDF+: reader, import and export.
// EDF: Kemp et al. 1992 (https://www.edfplus.info/specs/edf.html); EDF+: Kemp & Olivan 2003
// (https://www.edfplus.info/specs/edfplus.html); BDF: https://www.biosemi.com/faq/file_format.htm.
#include "dyad/formats/edf.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <set>

#include "dyad/formats/error.hpp"
#include "dyad/formats/files.hpp"
#include "dyad/formats/markers.hpp"
#include "dyad/formats/session.hpp"
#include "dyad/formats/stream.hpp"
#include "dyad/formats/text.hpp"

namespace dyad::formats {

namespace {

std::string trim(std::string_view s) {
  std::size_t a = 0, z = s.size();
  while (a < z && (s[a] == ' ' || s[a] == '\0')) ++a;
  while (z > a && (s[z - 1] == ' ' || s[z - 1] == '\0')) --z;
  return std::string(s.substr(a, z - a));
}

std::optional<double> edf_number(const std::string& f) {
  std::string_view v = f;
  if (!v.empty() && v[0] == '+') v.remove_prefix(1);
  if (v.empty()) return std::nullopt;
  auto r = parse_number(v);
  if (r && std::isnan(*r)) return std::nullopt;
  return r;
}

void add_participant(Manifest& m, const std::string& role) {
  for (auto& p : m.participants)
    if (p.role == role) return;
  m.participants.push_back({role, role == "therapist" ? "T" : role});
}

std::string role_from_label(const std::string& l) {
  auto ends = [&](const std::string& suf) { return l.size() > suf.size() && l.compare(l.size() - suf.size(), suf.size(), suf) == 0; };
  if (ends("_therapist")) return "therapist";
  if (ends("_A")) return "A";
  if (ends("_B")) return "B";
  return "";
}

/// Parses the TALs of one record's annotation bytes (EDF+ section 2.2.2):
/// +onset[\x15duration]\x14text\x14...\x14\x00. The first TAL of a record keeps its time.
struct Tal {
  double onset = 0, duration = 0;
  std::vector<std::string> texts;
};
std::vector<Tal> parse_tals(std::string_view s, std::string& error) {
  std::vector<Tal> out;
  std::size_t i = 0;
  while (i < s.size()) {
    if (s[i] == '\0') {
      ++i;
      continue;
    }
    std::size_t end = s.find('\0', i);
    if (end == std::string_view::npos) end = s.size();
    std::string_view tal = s.substr(i, end - i);
    i = end + 1;
    std::size_t t20 = tal.find('\x14');
    if (t20 == std::string_view::npos) {
      error = "a TAL without the \\x14 separator";
      return out;
    }
    std::string_view head = tal.substr(0, t20);
    Tal t;
    std::size_t t21 = head.find('\x15');
    std::string on(head.substr(0, t21));
    if (on.empty() || (on[0] != '+' && on[0] != '-')) {
      error = "an onset that does not start with + or -: '" + on + "'";
      return out;
    }
    auto o = parse_number(on[0] == '+' ? on.substr(1) : on);
    if (!o || std::isnan(*o)) {
      error = "an onset that is not a number: '" + on + "'";
      return out;
    }
    t.onset = *o;
    if (t21 != std::string_view::npos) {
      auto d = parse_number(head.substr(t21 + 1));
      if (!d || std::isnan(*d) || *d < 0) {
        error = "a duration that is not a number: '" + std::string(head.substr(t21 + 1)) + "'";
        return out;
      }
      t.duration = *d;
    }
    std::string_view rest = tal.substr(t20 + 1);
    while (!rest.empty()) {
      std::size_t k = rest.find('\x14');
      t.texts.emplace_back(rest.substr(0, k));
      if (k == std::string_view::npos) break;
      rest = rest.substr(k + 1);
    }
    out.push_back(std::move(t));
  }
  return out;
}

}  // namespace

EdfFile read_edf(std::span<const std::uint8_t> bytes, const std::string& label) {
  EdfFile f;
  const std::size_t size = bytes.size();
  auto at = [&](std::size_t p) { return label + ": byte " + std::to_string(p) + ": "; };
  if (size < 256)
    throw FormatError(ErrorKind::unrecognised, at(0) + "too short for an EDF header (256 bytes expected, found " + std::to_string(size) + ")");
  const char* h = reinterpret_cast<const char*>(bytes.data());
  auto field = [&](std::size_t off, std::size_t len) { return trim(std::string_view(h + off, len)); };
  if (std::memcmp(h, "\xFF" "BIOSEMI", 8) == 0) f.bdf = true;
  else if (field(0, 8) != "0")
    throw FormatError(ErrorKind::unrecognised, at(0) + "not an EDF or BDF file (expected the version '0' or '\\xFFBIOSEMI')");
  f.patient = field(8, 80);
  f.recording = field(88, 80);
  f.start_date = field(168, 8);
  f.start_time = field(176, 8);
  auto number = [&](std::size_t off, std::size_t len, const char* what) {
    std::string s = field(off, len);
    auto v = edf_number(s);
    if (!v) throw FormatError(ErrorKind::malformed, at(off) + what + " is not a number: '" + s + "'");
    return *v;
  };
  const double header_bytes = number(184, 8, "header size");
  std::string reserved = field(192, 44);
  f.plus = reserved.rfind("EDF+", 0) == 0 || reserved.rfind("BDF+", 0) == 0;
  f.discontinuous = f.plus && reserved.size() >= 5 && reserved[4] == 'D';
  const double records = number(236, 8, "number of data records");
  f.record_duration_s = number(244, 8, "duration of a data record");
  const double nsd = number(252, 4, "number of signals");
  if (nsd < 1 || nsd > 4096 || nsd != std::floor(nsd))
    throw FormatError(ErrorKind::malformed, at(252) + "number of signals " + field(252, 4) + " is not between 1 and 4096");
  const auto ns = static_cast<std::size_t>(nsd);
  if (header_bytes != 256.0 * static_cast<double>(ns + 1))
    throw FormatError(ErrorKind::malformed, at(184) + "header size " + field(184, 8) + " does not match 256 + 256 x " + std::to_string(ns) +
                                                " signals = " + std::to_string(256 * (ns + 1)));
  if (size < 256 * (ns + 1))
    throw FormatError(ErrorKind::malformed, at(size) + "the file ends inside the signal headers (" + std::to_string(256 * (ns + 1)) + " bytes expected)");
  if (!(f.record_duration_s >= 0))
    throw FormatError(ErrorKind::malformed, at(244) + "duration of a data record is negative: '" + field(244, 8) + "'");
  f.signals.resize(ns);
  // Signal fields are stored field by field: ns labels, then ns transducers, ...
  std::size_t off = 256;
  auto each = [&](std::size_t len, auto&& set) {
    for (std::size_t i = 0; i < ns; ++i) set(f.signals[i], off + i * len, field(off + i * len, len));
    off += ns * len;
  };
  auto sig_number = [&](EdfSignal& s, std::size_t p, const std::string& v, const char* what) {
    auto x = edf_number(v);
    if (!x) throw FormatError(ErrorKind::malformed, at(p) + "signal '" + s.label + "': " + what + " is not a number: '" + v + "'");
    return *x;
  };
  each(16, [&](EdfSignal& s, std::size_t, const std::string& v) {
    s.label = v;
    s.annotation = f.plus && (v == "EDF Annotations" || v == "BDF Annotations");
  });
  each(80, [&](EdfSignal& s, std::size_t, const std::string& v) { s.transducer = v; });
  each(8, [&](EdfSignal& s, std::size_t, const std::string& v) { s.unit = v; });
  each(8, [&](EdfSignal& s, std::size_t p, const std::string& v) { s.physical_min = sig_number(s, p, v, "physical minimum"); });
  each(8, [&](EdfSignal& s, std::size_t p, const std::string& v) { s.physical_max = sig_number(s, p, v, "physical maximum"); });
  each(8, [&](EdfSignal& s, std::size_t p, const std::string& v) { s.digital_min = static_cast<std::int32_t>(sig_number(s, p, v, "digital minimum")); });
  each(8, [&](EdfSignal& s, std::size_t p, const std::string& v) { s.digital_max = static_cast<std::int32_t>(sig_number(s, p, v, "digital maximum")); });
  each(80, [&](EdfSignal& s, std::size_t, const std::string& v) { s.prefilter = v; });
  each(8, [&](EdfSignal& s, std::size_t p, const std::string& v) {
    double n = sig_number(s, p, v, "number of samples in each data record");
    if (n < 1 || n != std::floor(n) || n > 1e8)
      throw FormatError(ErrorKind::malformed, at(p) + "signal '" + s.label + "': number of samples in each data record is not a positive integer: '" + v + "'");
    s.samples_per_record = static_cast<int>(n);
  });
  const std::size_t bps = f.bdf ? 3 : 2;
  std::size_t record_bytes = 0;
  for (std::size_t i = 0; i < ns; ++i) {
    auto& s = f.signals[i];
    if (!s.annotation && s.digital_max <= s.digital_min)
      throw FormatError(ErrorKind::malformed, at(256 + ns * 128 + i * 8) + "signal '" + s.label + "': digital maximum " +
                                                  std::to_string(s.digital_max) + " is not above the digital minimum " + std::to_string(s.digital_min));
    record_bytes += static_cast<std::size_t>(s.samples_per_record) * bps;
  }
  const std::size_t data0 = 256 * (ns + 1);
  const std::size_t whole = (size - data0) / record_bytes;
  std::int64_t nrec = records < 0 ? static_cast<std::int64_t>(whole) : static_cast<std::int64_t>(records);
  if (records >= 0 && whole < static_cast<std::size_t>(nrec)) {
    f.warnings.push_back(at(data0 + whole * record_bytes) + "the data end inside data record " + std::to_string(whole + 1) + " of " +
                         std::to_string(nrec) + "; the " + std::to_string(whole) + " whole records were kept");
    nrec = static_cast<std::int64_t>(whole);
  } else if (records >= 0 && (size - data0) > static_cast<std::size_t>(nrec) * record_bytes) {
    f.warnings.push_back(at(data0 + static_cast<std::size_t>(nrec) * record_bytes) + std::to_string(size - data0 - static_cast<std::size_t>(nrec) * record_bytes) +
                         " bytes after the last data record ignored");
  }
  f.records = nrec;
  for (auto& s : f.signals)
    if (!s.annotation) s.values.reserve(static_cast<std::size_t>(nrec) * static_cast<std::size_t>(s.samples_per_record));
  const std::uint8_t* p = bytes.data() + data0;
  for (std::int64_t r = 0; r < nrec; ++r) {
    double onset = static_cast<double>(r) * f.record_duration_s;
    bool have_onset = false;
    for (auto& s : f.signals) {
      const std::size_t n = static_cast<std::size_t>(s.samples_per_record);
      if (s.annotation) {
        std::string_view text(reinterpret_cast<const char*>(p), n * bps);
        std::string err;
        auto tals = parse_tals(text, err);
        if (!err.empty())
          f.warnings.push_back(at(static_cast<std::size_t>(p - bytes.data())) + "annotations of data record " + std::to_string(r + 1) + ": " + err +
                               "; the rest of this record's annotations skipped");
        for (std::size_t k = 0; k < tals.size(); ++k) {
          const auto& t = tals[k];
          if (k == 0 && !have_onset && (t.texts.empty() || t.texts[0].empty())) {
            onset = t.onset;  // time keeping TAL
            have_onset = true;
          }
          for (auto& tx : t.texts)
            if (!tx.empty()) f.annotations.push_back({t.onset, t.duration, tx});
        }
      } else {
        const double scale = (s.physical_max - s.physical_min) / static_cast<double>(s.digital_max - s.digital_min);
        for (std::size_t k = 0; k < n; ++k) {
          std::int32_t d;
          if (f.bdf) {
            std::uint32_t u = static_cast<std::uint32_t>(p[3 * k]) | static_cast<std::uint32_t>(p[3 * k + 1]) << 8 | static_cast<std::uint32_t>(p[3 * k + 2]) << 16;
            d = static_cast<std::int32_t>(u << 8) >> 8;
          } else {
            d = static_cast<std::int16_t>(static_cast<std::uint16_t>(p[2 * k] | p[2 * k + 1] << 8));
          }
          s.values.push_back(s.physical_min + (d - s.digital_min) * scale);
        }
      }
      p += n * bps;
    }
    f.record_onsets_s.push_back(onset);
  }
  // Annotations onsets are relative to the file's start (EDF+ 2.2.4); the first record's time
  // keeping may carry a sub-second start that is part of every onset.
  return f;
}

EdfFile read_edf_file(const std::filesystem::path& path) {
  std::string all = read_file(path);
  return read_edf(std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(all.data()), all.size()), path.string());
}

std::vector<std::string> import_edf(const std::filesystem::path& dir, Manifest& m, const std::filesystem::path& path,
                                    const EdfImportOptions& opt, const Progress& progress) {
  EdfFile f = read_edf_file(path);
  std::vector<std::string> warnings = f.warnings;
  if (!opt.role.empty() && !is_valid_role(opt.role))
    throw FormatError(ErrorKind::malformed, "import: --role must be A, B or therapist, found '" + opt.role + "'");
  // Time zero: the start of the first record (EDF+D records may start later than n * duration).
  const double t0 = f.record_onsets_s.empty() ? 0 : f.record_onsets_s.front();
  std::set<std::string> used;
  for (auto& r : m.streams) used.insert(r.name);
  std::size_t done = 0, imported = 0;
  std::vector<std::string> empty;
  for (auto& s : f.signals) {
    ++done;
    if (s.annotation) continue;
    if (s.values.empty()) {
      empty.push_back("'" + s.label + "'");
      continue;
    }
    ++imported;
    std::string role = !opt.role.empty() ? opt.role : role_from_label(s.label);
    std::string base;
    for (char ch : s.label) base += (std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '-') ? ch : '_';
    if (base.empty()) base = "signal";
    if (role.empty()) role = "A";
    if (role_from_label(base).empty()) base += "_" + role;
    if (base.size() > 64) base.resize(64);
    std::string name = base;
    for (int n = 2; used.count(name); ++n) name = base.substr(0, 60) + "_" + std::to_string(n);
    used.insert(name);
    StreamSidecar sc;
    sc.name = name;
    sc.role = role;
    sc.kind = guess_stream_kind(s.label + " " + s.transducer);
    sc.nominal_rate_hz = s.rate_hz(f.record_duration_s);
    sc.measured_rate_hz = sc.nominal_rate_hz;
    std::string col;
    for (char ch : s.label) col += std::isalnum(static_cast<unsigned char>(ch)) ? static_cast<char>(std::tolower(static_cast<unsigned char>(ch))) : '_';
    if (col.empty() || col == "time_s" || col == "device_time_s") col = "value";
    sc.columns = {col};
    sc.units = {s.unit};
    sc.clock.method = "import";
    sc.clock.offset_s = -t0;
    sc.extra["edf"] = {{"label", s.label},
                       {"transducer", s.transducer},
                       {"prefilter", s.prefilter},
                       {"physical_min", s.physical_min},
                       {"physical_max", s.physical_max},
                       {"digital_min", s.digital_min},
                       {"digital_max", s.digital_max}};
    StreamData d;
    d.values.assign(1, {});
    const std::size_t spr = static_cast<std::size_t>(s.samples_per_record);
    const double dt = f.record_duration_s / static_cast<double>(spr);
    // A "gap <label>" annotation (what dyad's export writes where a stream had no samples, over
    // samples at the digital minimum): those samples are left out again, so the round trip keeps
    // the gap instead of turning it into data at the signal's minimum.
    std::vector<std::pair<double, double>> gaps;
    for (auto& a : f.annotations)
      if (a.text == "gap " + s.label && a.duration_s > 0) gaps.emplace_back(a.onset_s - dt / 2, a.onset_s + a.duration_s - dt / 2);
    const double at_dmin = s.physical_min;  // the physical value of the digital minimum
    for (std::size_t k = 0; k < s.values.size(); ++k) {
      double t = f.record_onsets_s[k / spr] + static_cast<double>(k % spr) * dt;
      if (!gaps.empty() && s.values[k] == at_dmin) {
        bool in_gap = false;
        for (auto& [g0, g1] : gaps) in_gap |= t >= g0 && t < g1;
        if (in_gap) continue;
      }
      d.device_time_s.push_back(t);
      d.time_s.push_back(t - t0);
      d.values[0].push_back(s.values[k]);
    }
    write_stream(dir, sc, d);
    m.streams.push_back({sc.name, sc.kind, sc.role});
    add_participant(m, role);
    if (progress) progress(static_cast<double>(done) / static_cast<double>(f.signals.size()), "importing EDF signals");
  }
  // A file with nothing in it is refused, not turned into an empty session; signals without a
  // sample (0 data records, or 0 samples per record) are named.
  std::string names;
  for (auto& e : empty) names += (names.empty() ? "" : ", ") + e;
  if (imported == 0 && f.annotations.empty())
    throw FormatError(ErrorKind::malformed,
                      path.string() + ": no signal with samples and no annotations: nothing to import" +
                          (empty.empty() ? std::string(" (the file has no signals)") : " (empty: " + names + ")"));
  if (!empty.empty())
    warnings.push_back(path.string() + ": " + std::to_string(empty.size()) + " signal(s) without samples not imported: " + names);
  if (!f.annotations.empty()) {
    auto existing = read_markers(dir);
    for (auto& a : f.annotations) {
      Marker mk;
      mk.onset_s = a.onset_s - t0;
      mk.duration_s = a.duration_s;
      mk.label = a.text;
      mk.source = "edf";
      existing.push_back(mk);
    }
    std::stable_sort(existing.begin(), existing.end(), [](auto& a, auto& b) { return a.onset_s < b.onset_s; });
    write_markers(dir, existing);
  }
  return warnings;
}

// ---------------------------------------------------------------------------------------------
// Writer

namespace {

/// A number in at most `width` characters (EDF 2.1.3: ASCII, left-aligned, space-padded),
/// rounded down (`up` false) or up so that the written value still bounds the data.
std::string fit_number(double v, std::size_t width, bool up) {
  for (int prec = 12; prec >= 1; --prec) {
    char buf[64];
    auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::general, prec);
    std::string s(buf, r.ptr);
    if (s.find('e') != std::string::npos) continue;
    if (s.size() > width) continue;
    double back = *parse_number(s);
    if (up ? back >= v : back <= v) return s;
    // nudge by one unit in the last place and try again
    double step = std::abs(back - v) * 2 + std::pow(10.0, std::floor(std::log10(std::max(std::abs(v), 1e-12))) - prec + 1);
    double w = up ? v + step : v - step;
    r = std::to_chars(buf, buf + sizeof buf, w, std::chars_format::general, prec);
    s.assign(buf, r.ptr);
    if (s.size() <= width && s.find('e') == std::string::npos) {
      back = *parse_number(s);
      if (up ? back >= v : back <= v) return s;
    }
  }
  return up ? "99999999" : "-9999999";
}

std::string pad(std::string s, std::size_t width) {
  for (auto& c : s)
    if (static_cast<unsigned char>(c) < 32 || static_cast<unsigned char>(c) > 126) c = '_';
  if (s.size() > width) s.resize(width);
  s.resize(width, ' ');
  return s;
}

/// A TAL number: plain decimal, never exponent notation (EDF+ 2.2.2), shortest that reads back.
std::string tal_number(double v) {
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed);
  return std::string(buf, r.ptr);
}

std::string tal_text(std::string s) {
  for (auto& c : s)
    if (c == '\x14' || c == '\x15' || c == '\0' || c == '\n' || c == '\r') c = ' ';
  return s;
}

struct OutSignal {
  std::string label, transducer, unit;
  int spr = 1;
  std::vector<double> values;  ///< physical, one per grid point, NaN = gap
  double pmin = 0, pmax = 0;
};

}  // namespace

std::vector<std::string> export_edf(const Session& session, const std::filesystem::path& out, bool bdf, bool force) {
  std::vector<std::string> warnings;
  refuse_existing(out, force);
  std::error_code ec;
  const double record_s = 1.0;
  const double duration = session.duration_s();
  const std::int64_t nrec = std::max<std::int64_t>(1, static_cast<std::int64_t>(std::ceil(duration / record_s - 1e-9)));
  std::vector<OutSignal> sigs;
  std::vector<EdfAnnotation> ann;
  std::set<std::string> labels;
  for (auto& st : session.streams) {
    const auto& sc = st.sidecar;
    StreamData d = read_stream_data(session.dir, sc);
    if (d.size() == 0) continue;
    if (sc.kind == "bp") {
      // Cuff readings are irregular events: one annotation per reading.
      for (std::size_t k = 0; k < d.size(); ++k) {
        std::string t = sc.name;
        for (std::size_t c = 0; c < sc.columns.size(); ++c) t += " " + sc.columns[c] + "=" + format_number(d.values[c][k]);
        ann.push_back({d.time_s[k], 0, t});
      }
      continue;
    }
    double rate = sc.nominal_rate_hz > 0 ? sc.nominal_rate_hz : 4.0;
    int spr = std::max(1, static_cast<int>(std::lround(rate * record_s)));
    if (std::abs(spr - rate * record_s) > 1e-9)
      warnings.push_back(out.string() + ": stream " + sc.name + " at " + format_number(rate) + " Hz resampled to " + std::to_string(spr) + " Hz");
    const double grid_rate = spr / record_s;
    const double max_step = sc.nominal_rate_hz > 0 ? 2.0 / sc.nominal_rate_hz : 2.0;  // farther apart than this is a gap
    for (std::size_t c = 0; c < sc.columns.size(); ++c) {
      OutSignal o;
      std::string lab = sc.columns.size() == 1 ? sc.name : sc.name + "." + sc.columns[c];
      if (lab.size() > 16) lab.resize(16);
      for (int n = 2; labels.count(lab); ++n) lab = lab.substr(0, 13) + "~" + std::to_string(n);
      labels.insert(lab);
      o.label = lab;
      o.transducer = sc.kind + " " + sc.role;
      o.unit = c < sc.units.size() ? sc.units[c] : "";
      o.spr = spr;
      const auto& v = d.values[c];
      const std::size_t n = static_cast<std::size_t>(nrec) * static_cast<std::size_t>(spr);
      o.values.assign(n, NAN);
      std::size_t j = 0;
      double gap_start = NAN;
      for (std::size_t g = 0; g < n; ++g) {
        const double t = static_cast<double>(g) / grid_rate;
        while (j + 1 < d.size() && d.time_s[j + 1] <= t) ++j;
        double val = NAN;
        if (d.time_s[j] <= t) {
          if (std::abs(d.time_s[j] - t) < 1e-9) val = v[j];
          else if (j + 1 < d.size() && d.time_s[j + 1] - d.time_s[j] <= max_step && !std::isnan(v[j]) && !std::isnan(v[j + 1]))
            val = v[j] + (v[j + 1] - v[j]) * (t - d.time_s[j]) / (d.time_s[j + 1] - d.time_s[j]);
          else if (j + 1 == d.size() && t - d.time_s[j] < 0.5 / grid_rate)
            val = v[j];
        }
        o.values[g] = val;
        if (std::isnan(val) && std::isnan(gap_start)) gap_start = t;
        if ((!std::isnan(val) || g + 1 == n) && !std::isnan(gap_start)) {
          double end = std::isnan(val) ? static_cast<double>(n) / grid_rate : t;
          ann.push_back({gap_start, end - gap_start, "gap " + lab});
          gap_start = NAN;
        }
      }
      double lo = INFINITY, hi = -INFINITY;
      for (double x : o.values)
        if (!std::isnan(x)) lo = std::min(lo, x), hi = std::max(hi, x);
      if (!std::isfinite(lo)) lo = 0, hi = 1;
      if (hi - lo < 1e-12) lo -= 1, hi += 1;
      o.pmin = *parse_number(fit_number(lo, 8, false));
      o.pmax = *parse_number(fit_number(hi, 8, true));
      sigs.push_back(std::move(o));
    }
  }
  for (auto& mk : session.markers) {
    std::string t = mk.label;
    if (!mk.value.empty() && mk.value != "n/a") t += " " + mk.value;
    ann.push_back({mk.onset_s, mk.duration_s, t});
  }
  // Turn events from the analysis, when present.
  auto events = session.dir / "features" / "events.tsv";
  if (std::filesystem::exists(events, ec)) {
    Table t = read_table_file(events.string());
    auto ct = t.require_column("type"), cs = t.require_column("start_s"), ce = t.require_column("end_s");
    int cf = t.column("from_role"), cto = t.column("to_role");
    for (std::size_t r = 0; r < t.rows.size(); ++r) {
      double s0 = t.required_number(r, cs), e0 = t.required_number(r, ce);
      std::string txt = t.rows[r][ct];
      if (cf >= 0 && cto >= 0) txt += " " + t.rows[r][static_cast<std::size_t>(cf)] + "->" + t.rows[r][static_cast<std::size_t>(cto)];
      ann.push_back({s0, std::max(0.0, e0 - s0), txt});
    }
  }
  std::stable_sort(ann.begin(), ann.end(), [](auto& a, auto& b) { return a.onset_s < b.onset_s; });
  // TALs per record (EDF+ 2.2.4: each record starts with its time-keeping TAL).
  std::vector<std::string> tal(static_cast<std::size_t>(nrec));
  for (std::int64_t r = 0; r < nrec; ++r) tal[static_cast<std::size_t>(r)] = "+" + tal_number(static_cast<double>(r) * record_s) + "\x14\x14";
  tal.back().reserve(64);
  for (auto& a : ann) {
    auto r = static_cast<std::int64_t>(std::floor(a.onset_s / record_s));
    r = std::clamp<std::int64_t>(r, 0, nrec - 1);
    std::string onset = (a.onset_s < 0 ? "" : "+") + tal_number(a.onset_s);
    auto& s = tal[static_cast<std::size_t>(r)];
    s.push_back('\0');
    s += onset;
    if (a.duration_s > 0) s += "\x15" + tal_number(a.duration_s);
    s += "\x14" + tal_text(a.text) + "\x14";
  }
  const std::size_t bps = bdf ? 3 : 2;
  std::size_t max_tal = 0;
  for (auto& s : tal) max_tal = std::max(max_tal, s.size() + 1);
  const int ann_spr = static_cast<int>((max_tal + bps - 1) / bps);
  const std::int32_t dmin = bdf ? -8388608 : -32768, dmax = bdf ? 8388607 : 32767;

  // Header (EDF 2.1.1 and EDF+ 2.1.3 for the patient and recording fields).
  const std::size_t ns = sigs.size() + 1;
  std::string h;
  h += bdf ? std::string("\xFF" "BIOSEMI") : pad("0", 8);
  std::string code;
  for (char c : session.manifest.couple_id) code += c == ' ' ? '_' : c;
  if (code.empty()) code = "X";
  h += pad(code + " X X X", 80);
  std::string date = "01.01.85", time = "00.00.00", sd = "X";
  const std::string& u = session.manifest.start_utc;
  static const char* kMonths[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
  if (u.size() >= 19) {
    date = u.substr(8, 2) + "." + u.substr(5, 2) + "." + u.substr(2, 2);
    time = u.substr(11, 2) + "." + u.substr(14, 2) + "." + u.substr(17, 2);
    int mon = std::atoi(u.substr(5, 2).c_str());
    if (mon >= 1 && mon <= 12) sd = u.substr(8, 2) + "-" + kMonths[mon - 1] + "-" + u.substr(0, 4);
  }
  h += pad("Startdate " + sd + " " + (session.manifest.id.empty() ? "X" : session.manifest.id) + " X dyad", 80);
  h += date + time;
  h += pad(std::to_string(256 * (ns + 1)), 8);
  h += pad(bdf ? "BDF+C" : "EDF+C", 44);
  h += pad(std::to_string(nrec), 8);
  h += pad(format_number(record_s), 8);
  h += pad(std::to_string(ns), 4);
  const std::string ann_label = bdf ? "BDF Annotations" : "EDF Annotations";
  auto all = [&](auto&& f, std::size_t w) {
    for (auto& s : sigs) h += pad(f(s), w);
    h += pad(f(OutSignal{ann_label, "", "", ann_spr, {}, 0, 1}), w);
  };
  all([](const OutSignal& s) { return s.label; }, 16);
  all([](const OutSignal& s) { return s.transducer; }, 80);
  all([](const OutSignal& s) { return s.unit; }, 8);
  all([&](const OutSignal& s) { return s.label == ann_label ? std::string("-1") : fit_number(s.pmin, 8, false); }, 8);
  all([&](const OutSignal& s) { return s.label == ann_label ? std::string("1") : fit_number(s.pmax, 8, true); }, 8);
  all([&](const OutSignal&) { return std::to_string(dmin); }, 8);
  all([&](const OutSignal&) { return std::to_string(dmax); }, 8);
  all([](const OutSignal&) { return std::string(); }, 80);
  all([](const OutSignal& s) { return std::to_string(s.spr); }, 8);
  all([](const OutSignal&) { return std::string(); }, 32);

  auto tmp = out;
  tmp += ".tmp";
  {
    create_private_file(tmp);
    std::ofstream os(tmp, std::ios::binary | std::ios::trunc);
    if (!os) throw FormatError(ErrorKind::io, out.string() + ": cannot create the file");
    os.write(h.data(), static_cast<std::streamsize>(h.size()));
    std::string rec;
    auto put = [&](std::int32_t d) {
      rec.push_back(static_cast<char>(d & 0xFF));
      rec.push_back(static_cast<char>((d >> 8) & 0xFF));
      if (bdf) rec.push_back(static_cast<char>((d >> 16) & 0xFF));
    };
    for (std::int64_t r = 0; r < nrec; ++r) {
      rec.clear();
      for (auto& s : sigs) {
        // EDF 2.1.3: physical = pmin + (digital - dmin) * (pmax - pmin) / (dmax - dmin). The digital
        // minimum itself marks a gap, so data are clamped to dmin + 1 (one step above pmin).
        const double scale = static_cast<double>(dmax - dmin) / (s.pmax - s.pmin);
        for (int k = 0; k < s.spr; ++k) {
          double v = s.values[static_cast<std::size_t>(r) * static_cast<std::size_t>(s.spr) + static_cast<std::size_t>(k)];
          std::int32_t d = dmin;
          if (!std::isnan(v)) d = static_cast<std::int32_t>(std::clamp<double>(std::lround((v - s.pmin) * scale) + dmin, dmin + 1, dmax));
          put(d);
        }
      }
      std::string t = tal[static_cast<std::size_t>(r)];
      t.resize(static_cast<std::size_t>(ann_spr) * bps, '\0');
      rec += t;
      os.write(rec.data(), static_cast<std::streamsize>(rec.size()));
    }
    os.close();
    if (os.fail()) throw FormatError(ErrorKind::io, out.string() + ": write failed (disk full?)");
  }
  std::filesystem::permissions(tmp, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write, ec);
  std::filesystem::rename(tmp, out, ec);
  if (ec) throw FormatError(ErrorKind::io, out.string() + ": cannot replace it: " + ec.message());
  return warnings;
}

}  // namespace dyad::formats
