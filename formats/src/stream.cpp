#include "dyad/formats/stream.hpp"

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <optional>
#include <stdexcept>

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
// The lines of a stream table, read in large blocks (a file) or from memory (a string): no
// istream, no copy of a line. A line is returned without its LF and without one CR before it.
class LineSource {
 public:
  LineSource(const std::filesystem::path& p, std::string label) : label_(std::move(label)) {
    file_ = std::fopen(p.c_str(), "rb");
    if (!file_) throw FormatError(ErrorKind::io, label_ + ": cannot be opened for reading");
    buf_.resize(kBlock);
  }
  LineSource(std::string_view text, std::string label) : label_(std::move(label)), mem_(text) { find_last_lf(); }
  ~LineSource() {
    if (file_) std::fclose(file_);
  }
  LineSource(const LineSource&) = delete;
  LineSource& operator=(const LineSource&) = delete;
  const std::string& label() const noexcept { return label_; }
  std::size_t physical() const noexcept { return physical_; }

  /// The buffered lines from the current position up to and including the buffer's last LF (so
  /// every line in it ends with a LF; reading more from the file first when none is buffered);
  /// empty when no complete line is left. Lines taken from it are passed to consume().
  std::string_view complete_lines() {
    if (file_ && !eof_ && (last_lf_ == kNone || last_lf_ < pos_)) refill();
    if (last_lf_ == kNone || last_lf_ < pos_) return {};
    return std::string_view((file_ ? buf_.data() : mem_.data()) + pos_, last_lf_ + 1 - pos_);
  }
  void consume(std::size_t bytes, std::size_t lines) noexcept {
    pos_ += bytes;
    physical_ += lines;
  }

  /// The next physical line; false at the end of the input.
  bool next(std::string_view& line) {
    std::string_view rest = file_ ? std::string_view(buf_.data() + pos_, end_ - pos_) : mem_.substr(pos_);
    const void* nl = rest.empty() ? nullptr : std::memchr(rest.data(), '\n', rest.size());
    if (!nl && file_ && !eof_) {
      refill();
      rest = std::string_view(buf_.data() + pos_, end_ - pos_);
      nl = rest.empty() ? nullptr : std::memchr(rest.data(), '\n', rest.size());
    }
    std::size_t len;
    if (nl) {
      len = static_cast<std::size_t>(static_cast<const char*>(nl) - rest.data());
      pos_ += len + 1;
    } else {
      if (rest.empty()) return false;  // (a final line without LF is a line)
      len = rest.size();
      pos_ += len;
    }
    line = rest.substr(0, len);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    ++physical_;
    return true;
  }

 private:
  static constexpr std::size_t kBlock = std::size_t{4} << 20;
  // Moves the unread tail to the front and reads until a LF arrives or the file ends (a line
  // longer than the buffer grows it).
  void refill() {
    std::memmove(buf_.data(), buf_.data() + pos_, end_ - pos_);
    end_ -= pos_;
    pos_ = 0;
    for (;;) {
      if (end_ == buf_.size()) buf_.resize(buf_.size() * 2);
      const std::size_t scanned = end_;
      const std::size_t got = std::fread(buf_.data() + end_, 1, buf_.size() - end_, file_);
      if (got == 0) {
        if (std::ferror(file_)) throw FormatError(ErrorKind::io, label_ + ": read error");
        eof_ = true;
        break;
      }
      end_ += got;
      if (std::memchr(buf_.data() + scanned, '\n', got)) break;
    }
    find_last_lf();
  }
  void find_last_lf() {
    const char* d = file_ ? buf_.data() : mem_.data();
    const std::size_t n = file_ ? end_ : mem_.size();
    const void* lf = n ? memrchr(d, '\n', n) : nullptr;
    last_lf_ = lf ? static_cast<std::size_t>(static_cast<const char*>(lf) - d) : kNone;
  }
  static constexpr std::size_t kNone = static_cast<std::size_t>(-1);
  std::string label_;
  std::FILE* file_ = nullptr;
  std::string_view mem_;
  std::vector<char> buf_;
  std::size_t pos_ = 0, end_ = 0, physical_ = 0, last_lf_ = kNone;
  bool eof_ = false;
};

// m / 10^k as the double nearest it (m < 10^19 and k <= 27 here), when that can be had without
// a general conversion: with at most 15 digits and k <= 22 both are exact doubles and one IEEE
// division is correctly rounded (Clinger 1990). Otherwise, where long double has a 64-bit
// significand (x86), both are exact long doubles and the quotient, correctly rounded to 64 bits,
// rounds to the same double as the exact quotient unless it lies exactly halfway between two
// doubles (rounding to nearest keeps a value on its side of every midpoint, which 64 bits can
// hold): that one case, like everything else, is left to std::from_chars (false).
inline bool nearest_quotient(std::uint64_t m, int k, int sig, double& out) {
  static constexpr double kPow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                      1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
  if (sig <= 15 && k <= 22) {
    out = static_cast<double>(m) / kPow10[k];
    return true;
  }
  if constexpr (std::numeric_limits<long double>::digits >= 64) {
    static constexpr long double kPow10L[] = {1e0L,  1e1L,  1e2L,  1e3L,  1e4L,  1e5L,  1e6L,  1e7L,  1e8L,  1e9L,
                                              1e10L, 1e11L, 1e12L, 1e13L, 1e14L, 1e15L, 1e16L, 1e17L, 1e18L, 1e19L,
                                              1e20L, 1e21L, 1e22L, 1e23L, 1e24L, 1e25L, 1e26L, 1e27L};
    if (k > 27) return false;
    const long double r = static_cast<long double>(m) / kPow10L[k];
    const double d = static_cast<double>(r);
    const long double diff = r - static_cast<long double>(d);  // exact (Sterbenz)
    if (diff != 0) {  // (d > 0 here: m > 0) the double next to d on r's side
      const double next = std::bit_cast<double>(std::bit_cast<std::uint64_t>(d) + (diff > 0 ? 1 : -1));
      if (2 * std::fabs(diff) == std::fabs(static_cast<long double>(next) - static_cast<long double>(d))) return false;
    }
    out = d;
    return true;
  }
  return false;
}

// A plain decimal ("-12.345", up to 19 significant digits) starting at p: its value in `out`,
// exactly as std::from_chars reads it (nearest_quotient), and the field's end; else nullptr.
// kInLine: the field ends at the next tab or at e (a line without its LF). Otherwise (rows read
// in place, e unused) it ends at the next tab or LF, which the caller guarantees comes before the
// end of the memory. (Leading zeros add nothing to m, so m is exact whenever the significant
// digits are at most 19; they are only counted for fields longer than that.)
template <bool kInLine>
inline const char* decimal_field(const char* p, [[maybe_unused]] const char* const e, double& out) {
  auto digit = [e](const char* q) -> unsigned {
    if constexpr (kInLine)
      if (q == e) return 10;
    return static_cast<unsigned>(*q - '0');
  };
  const bool neg = (!kInLine || p < e) && *p == '-';
  p += neg;
  const char* const start = p;
  std::uint64_t m = 0;
  for (unsigned d; (d = digit(p)) < 10; ++p) m = m * 10 + d;
  int n = static_cast<int>(p - start), frac = 0;
  if ((!kInLine || p < e) && *p == '.') {
    const char* const f = ++p;
    for (unsigned d; (d = digit(p)) < 10; ++p) m = m * 10 + d;
    frac = static_cast<int>(p - f);
    n += frac;
  }
  if constexpr (kInLine) {
    if (p != e && *p != '\t') return nullptr;
  } else {
    if (*p != '\t' && *p != '\n') return nullptr;
  }
  if (n == 0) return nullptr;
  int sig = n;
  if (n > 15) {  // the significant digits
    const char* q = start;
    for (; q < p && (*q == '0' || *q == '.'); ++q) sig -= *q == '0';
    if (sig > 19) return nullptr;
  }
  double v = 0;
  if (!nearest_quotient(m, frac, sig, v)) return nullptr;
  out = neg ? -v : v;
  return p;
}

// The field from p to the next tab or e (a line without its LF), as decimal_field.
inline const char* plain_field(const char* p, const char* const e, double& out) { return decimal_field<true>(p, e, out); }

// f as one plain decimal (plain_field over the whole of f; false for anything else).
inline bool plain_decimal(std::string_view f, double& out) {
  const char* const e = f.data() + f.size();
  return plain_field(f.data(), e, out) == e;
}

// A number as parse_number reads it, with the common cases (a plain decimal) first.
inline std::optional<double> field_number(std::string_view f) {
  double v = 0;
  if (plain_decimal(f, v)) return v;
  if (!f.empty()) {
    const auto [ptr, ec] = std::from_chars(f.data(), f.data() + f.size(), v);
    if (ec == std::errc() && ptr == f.data() + f.size()) return v;
  }
  return parse_number(f);  // "+1", "n/a", "NA", or not a number
}

// Every row of a stream table with the checks of TableReader (header from the sidecar, field
// count of every row, blank lines, numbers) and time_s never going backwards. Only the fields
// listed in `parse` (indices into the row: 1 = device_time_s, 2.. = the sidecar's columns) are
// parsed: fn(time_s, values, count) with values[k] the number in field parse[k], valid during the
// call only.
template <class Fn>
void for_each_stream_row(LineSource& src, const StreamSidecar& s, std::span<const std::size_t> parse, Fn&& fn) {
  const std::string& label = src.label();
  std::vector<std::string> want = {"time_s", "device_time_s"};
  want.insert(want.end(), s.columns.begin(), s.columns.end());
  std::string_view line;
  if (!src.next(line)) throw FormatError(ErrorKind::malformed, label + ":1: the file is empty; expected a header line");
  if (line.size() >= 3 && line.substr(0, 3) == "\xEF\xBB\xBF") line.remove_prefix(3);  // UTF-8 BOM
  const auto header = split(line, '\t');
  if (!std::equal(header.begin(), header.end(), want.begin(), want.end())) {
    std::string w, f;
    for (auto& x : want) (w += w.empty() ? "" : " ") += x;
    for (auto& x : header) (f += f.empty() ? "" : " ") += x;
    throw FormatError(ErrorKind::malformed, label + ":1: expected the header '" + w + "' (from the sidecar), found '" + f + "'");
  }
  const std::size_t nf = want.size();
  std::vector<std::size_t> need(nf, 0);  // field -> 1 + its place in `parse`, or 0
  for (std::size_t k = 0; k < parse.size(); ++k) need[parse[k]] = k + 1;
  std::vector<double> vals(parse.size());
  std::vector<std::string_view> fields(nf);
  auto fail = [&](const std::string& what) {
    throw FormatError(ErrorKind::malformed, label + ":" + std::to_string(src.physical()) + ": " + what);
  };
  double prev = -INFINITY;
  std::size_t pending_blank = 0;
  // Rows read in place from the buffer, without finding each line's end first: a row whose
  // wanted fields are all plain decimals, with nf fields and a LF right after the last, and a
  // time_s not going backwards. Any other row (and everything after a blank line) is left to the
  // line-by-line reading below, which gives it the same checks and messages as ever.
  auto fast_rows = [&] {
    if (pending_blank) return;
    const std::string_view w = src.complete_lines();
    const char* p = w.data();
    const char* const end = p + w.size();
    std::size_t rows = 0;
    while (p < end) {
      const char* q = p;
      double ts = 0;
      bool ok = true;
      for (std::size_t f = 0; f < nf; ++f) {
        const std::size_t slot = need[f];
        if (f == 0 || slot) {
          double v = 0;
          q = decimal_field<false>(q, nullptr, v);
          if (!q) {
            ok = false;
            break;
          }
          (f == 0 ? ts : vals[slot - 1]) = v;
        } else {
          while (*q != '\t' && *q != '\n') ++q;
        }
        if (*q != (f + 1 == nf ? '\n' : '\t')) {
          ok = false;
          break;
        }
        ++q;
      }
      if (!ok || ts < prev) break;
      prev = ts;
      fn(ts, static_cast<const double*>(vals.data()));
      ++rows;
      p = q;
    }
    src.consume(static_cast<std::size_t>(p - w.data()), rows);
  };
  for (;;) {
    fast_rows();
    if (!src.next(line)) break;
    if (line.empty()) {
      ++pending_blank;  // blank lines at the end are ignored
      continue;
    }
    if (pending_blank)
      throw FormatError(ErrorKind::malformed, label + ":" + std::to_string(src.physical() - 1) + ": blank line inside the table");
    // One pass over the row: a field wanted is parsed while its end is looked for (the plain
    // decimals a recorder writes), others are skipped with memchr; every field is counted. The
    // checks then run in the table reader's order: field count, time_s, the fields in order.
    std::size_t count = 0, bad = 0;  // bad: the first field after time_s that is not a number
    bool ts_ok = false;
    double ts = 0;
    const char* p = line.data();
    const char* const e = p + line.size();
    for (;;) {
      const char* fe = nullptr;
      const std::size_t slot = count < nf ? need[count] : 0;
      if (count == 0 || slot) {
        double v = 0;
        bool ok = true;
        fe = plain_field(p, e, v);
        if (!fe) {
          const auto* tab = static_cast<const char*>(std::memchr(p, '\t', static_cast<std::size_t>(e - p)));
          fe = tab ? tab : e;
          const auto o = field_number(std::string_view(p, static_cast<std::size_t>(fe - p)));
          ok = o.has_value();
          if (ok) v = *o;
        }
        if (count == 0) {
          ts = v;
          ts_ok = ok;
        } else if (ok) {
          vals[slot - 1] = v;
        } else if (!bad) {
          bad = count;
        }
      } else {
        const auto* tab = static_cast<const char*>(std::memchr(p, '\t', static_cast<std::size_t>(e - p)));
        fe = tab ? tab : e;
      }
      if (count < nf) fields[count] = std::string_view(p, static_cast<std::size_t>(fe - p));
      ++count;
      if (fe == e) break;
      p = fe + 1;
    }
    if (count != nf) {
      std::string joined;
      for (std::size_t i = 0; i < nf; ++i) joined += (i ? ", " : "") + want[i];
      fail("expected " + std::to_string(nf) + " fields (" + joined + "), found " + std::to_string(count));
    }
    if (!ts_ok) fail("time_s is not a number: '" + std::string(fields[0]) + "'");
    if (std::isnan(ts)) fail("time_s is missing (n/a) where a number is required");
    if (ts < prev) fail("time_s goes backwards (" + std::string(fields[0]) + " after " + format_number(prev) + ")");
    prev = ts;
    if (bad) fail(want[bad] + " is not a number: '" + std::string(fields[bad]) + "'");
    fn(ts, static_cast<const double*>(vals.data()));
  }
}

// Every field after time_s: 1 (device_time_s), 2, ... (the sidecar's columns).
std::vector<std::size_t> all_fields(const StreamSidecar& s) {
  std::vector<std::size_t> f(s.columns.size() + 1);
  for (std::size_t i = 0; i < f.size(); ++i) f[i] = i + 1;
  return f;
}

StreamData stream_data(LineSource& src, const StreamSidecar& s) {
  StreamData d;
  d.values.assign(s.columns.size(), {});
  const auto f = all_fields(s);
  for_each_stream_row(src, s, f, [&](double ts, const double* v) {
    d.time_s.push_back(ts);
    d.device_time_s.push_back(v[0]);
    for (std::size_t c = 0; c < s.columns.size(); ++c) d.values[c].push_back(v[c + 1]);
  });
  return d;
}
}  // namespace

StreamData read_stream_data(const std::filesystem::path& dir, const StreamSidecar& s) {
  const auto p = stream_tsv_path(dir, s.name);
  LineSource src(p, p.string());
  return stream_data(src, s);
}

StreamData parse_stream_data(const std::string& text, const StreamSidecar& s, const std::string& label) {
  LineSource src(std::string_view(text), label);
  return stream_data(src, s);
}

void for_each_stream_sample(const std::filesystem::path& dir, const StreamSidecar& s,
                            const std::function<void(double, double, std::span<const double>)>& fn) {
  const auto p = stream_tsv_path(dir, s.name);
  LineSource src(p, p.string());
  const auto f = all_fields(s);
  for_each_stream_row(src, s, f, [&](double ts, const double* v) { fn(ts, v[0], std::span<const double>(v + 1, s.columns.size())); });
}

void read_stream_blocks(const std::filesystem::path& dir, const StreamSidecar& s, std::span<const std::size_t> columns,
                        const std::function<void(const StreamBlock&)>& fn, std::size_t block_rows) {
  for (auto c : columns)
    if (c >= s.columns.size())
      throw std::invalid_argument("read_stream_blocks: column " + std::to_string(c) + " of stream " + s.name + ", which has " +
                                  std::to_string(s.columns.size()) + " value columns");
  if (block_rows == 0) block_rows = 1;
  const auto p = stream_tsv_path(dir, s.name);
  LineSource src(p, p.string());
  std::vector<std::size_t> fields(columns.size());
  for (std::size_t k = 0; k < columns.size(); ++k) fields[k] = columns[k] + 2;
  StreamBlock b;
  b.time_s.reserve(block_rows);
  b.values.assign(columns.size(), {});
  for (auto& v : b.values) v.reserve(block_rows);
  auto flush = [&] {
    if (!b.time_s.empty()) fn(b);
    b.time_s.clear();
    for (auto& v : b.values) v.clear();
  };
  for_each_stream_row(src, s, fields, [&](double ts, const double* v) {
    b.time_s.push_back(ts);
    for (std::size_t k = 0; k < fields.size(); ++k) b.values[k].push_back(v[k]);
    if (b.time_s.size() == block_rows) flush();
  });
  flush();
}

StreamExtent scan_stream(const std::filesystem::path& dir, const StreamSidecar& s) {
  StreamExtent e;
  const auto p = stream_tsv_path(dir, s.name);
  LineSource src(p, p.string());
  const auto f = all_fields(s);  // checked, not kept
  for_each_stream_row(src, s, f, [&](double ts, const double*) {
    if (e.samples++ == 0) e.first_s = ts;
    e.last_s = ts;
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
  buf_ += format_seconds(t);  // to the nanosecond: 0.137222334, not 0.13722233359385427
  buf_ += '\t';
  buf_ += format_seconds(dt);
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
