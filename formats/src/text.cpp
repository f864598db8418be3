#include "dyad/formats/text.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <istream>

#include "dyad/formats/error.hpp"

namespace dyad::formats {

std::string format_number(double v) {
  if (std::isnan(v)) return "n/a";
  if (v == 0) return "0";  // -0 (a rounded tiny negative) is written as 0
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, end);
}

double round_seconds(double v) {
  // beyond about 10^7 s (116 days) a nanosecond is below a double's resolution anyway
  if (!std::isfinite(v) || std::abs(v) > 1e7) return v;
  return std::round(v * 1e9) / 1e9;
}

double round_significant(double v, int digits) {
  if (!std::isfinite(v) || v == 0) return v;
  const int e = static_cast<int>(std::floor(std::log10(std::abs(v)))) - digits + 1;  // the last digit kept: 10^e
  // dividing by an exact power of ten (not multiplying by an inexact 10^-k) gives the nearest double
  if (e < 0 && e >= -22) {
    const double p = std::pow(10.0, -e);
    return std::round(v * p) / p;
  }
  const double p = std::pow(10.0, e);
  return std::round(v / p) * p;
}

std::string format_seconds(double v) { return format_number(round_seconds(v)); }

std::string format_fixed(double v, int decimals) {
  if (std::isnan(v)) return "n/a";
  char buf[512];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed, decimals);
  if (ec != std::errc()) return format_number(v);
  std::string s(buf, end);
  if (s == "-0" || (s.size() > 1 && s[0] == '-' && s.find_first_not_of("-0.") == std::string::npos)) s.erase(0, 1);
  return s;
}

std::optional<double> parse_number(std::string_view f) {
  if (f == "n/a" || f == "nan" || f == "NaN" || f == "NA") return std::nan("");
  if (f.empty()) return std::nullopt;
  if (f.front() == '+') f.remove_prefix(1);
  double v = 0;
  auto [ptr, ec] = std::from_chars(f.data(), f.data() + f.size(), v);
  if (ec != std::errc() || ptr != f.data() + f.size()) return std::nullopt;
  return v;
}

std::optional<long long> parse_integer(std::string_view f) {
  long long v = 0;
  if (f.empty()) return std::nullopt;
  auto [ptr, ec] = std::from_chars(f.data(), f.data() + f.size(), v);
  if (ec != std::errc() || ptr != f.data() + f.size()) return std::nullopt;
  return v;
}

std::vector<std::string_view> split(std::string_view line, char sep) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  for (;;) {
    auto pos = line.find(sep, start);
    if (pos == std::string_view::npos) {
      out.push_back(line.substr(start));
      return out;
    }
    out.push_back(line.substr(start, pos - start));
    start = pos + 1;
  }
}

namespace {
double number_or_throw(std::string_view field, const std::string& file, std::size_t line, const std::string& column,
                       bool required) {
  auto v = parse_number(field);
  if (!v)
    throw FormatError(ErrorKind::malformed, file + ":" + std::to_string(line) + ": " + column + " is not a number: '" +
                                                std::string(field) + "'");
  if (required && std::isnan(*v))
    throw FormatError(ErrorKind::malformed,
                      file + ":" + std::to_string(line) + ": " + column + " is missing (n/a) where a number is required");
  return *v;
}
}  // namespace

int Table::column(std::string_view name) const {
  for (std::size_t i = 0; i < header.size(); ++i)
    if (header[i] == name) return static_cast<int>(i);
  return -1;
}

std::size_t Table::require_column(std::string_view name) const {
  int c = column(name);
  if (c < 0)
    throw FormatError(ErrorKind::malformed,
                      file + ":1: the header has no column '" + std::string(name) + "'");
  return static_cast<std::size_t>(c);
}

double Table::number(std::size_t r, std::size_t c) const {
  return number_or_throw(rows[r][c], file, line_numbers[r], header[c], false);
}

double Table::required_number(std::size_t r, std::size_t c) const {
  return number_or_throw(rows[r][c], file, line_numbers[r], header[c], true);
}

TableReader::TableReader(std::istream& in, std::string label, char sep) : in_(in), file_(std::move(label)), sep_(sep) {
  if (!read_line()) throw FormatError(ErrorKind::malformed, file_ + ":1: the file is empty; expected a header line");
  std::string line = std::move(line_text_);
  if (line.size() >= 3 && line.compare(0, 3, "\xEF\xBB\xBF") == 0) line.erase(0, 3);  // UTF-8 BOM
  if (sep_ == 0) sep_ = line.find('\t') != std::string::npos ? '\t' : ',';
  for (auto f : split(line, sep_)) header_.emplace_back(f);
  for (std::size_t i = 0; i < header_.size(); ++i) joined_ += (i ? ", " : "") + header_[i];
  line_ = physical_;
}

bool TableReader::read_line() {
  if (!std::getline(in_, line_text_)) {
    if (in_.bad()) throw FormatError(ErrorKind::io, file_ + ": read error");
    return false;
  }
  ++physical_;
  if (!line_text_.empty() && line_text_.back() == '\r') line_text_.pop_back();
  return true;
}

bool TableReader::next() {
  std::size_t pending_blank = 0;
  for (;;) {
    if (!read_line()) {
      fields_.clear();
      return false;  // blank lines at the end are ignored
    }
    if (!line_text_.empty()) break;
    ++pending_blank;
  }
  if (pending_blank)
    throw FormatError(ErrorKind::malformed, file_ + ":" + std::to_string(physical_ - 1) + ": blank line inside the table");
  line_ = physical_;
  fields_.clear();
  std::string_view l(line_text_);
  for (std::size_t start = 0;;) {
    auto pos = l.find(sep_, start);
    if (pos == std::string_view::npos) {
      fields_.push_back(l.substr(start));
      break;
    }
    fields_.push_back(l.substr(start, pos - start));
    start = pos + 1;
  }
  if (fields_.size() != header_.size())
    throw FormatError(ErrorKind::malformed, file_ + ":" + std::to_string(line_) + ": expected " +
                                                std::to_string(header_.size()) + " fields (" + joined_ + "), found " +
                                                std::to_string(fields_.size()));
  return true;
}

double TableReader::number(std::size_t c) const { return number_or_throw(fields_[c], file_, line_, header_[c], false); }

double TableReader::required_number(std::size_t c) const {
  return number_or_throw(fields_[c], file_, line_, header_[c], true);
}

Table read_table(std::istream& in, const std::string& label, char sep) {
  TableReader r(in, label, sep);
  Table t;
  t.file = label;
  t.header = r.header();
  while (r.next()) {
    std::vector<std::string> row;
    row.reserve(r.fields().size());
    for (auto f : r.fields()) row.emplace_back(f);
    t.rows.push_back(std::move(row));
    t.line_numbers.push_back(r.line());
  }
  return t;
}

Table read_table_file(const std::string& path, char sep) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw FormatError(ErrorKind::io, path + ": cannot be opened for reading");
  return read_table(in, path, sep);
}

std::vector<std::vector<double>> read_numeric_columns(const std::filesystem::path& path, const std::vector<std::string>& columns) {
  const std::string label = path.string();
  std::ifstream in(path, std::ios::binary);
  if (!in) throw FormatError(ErrorKind::io, label + ": cannot be opened for reading");
  return read_numeric_columns(in, label, columns);
}

std::vector<std::vector<double>> read_numeric_columns(std::istream& in, const std::string& label, const std::vector<std::string>& columns) {
  TableReader t(in, label);
  std::vector<std::size_t> idx;
  for (auto& c : columns) {
    auto it = std::find(t.header().begin(), t.header().end(), c);
    if (it == t.header().end()) throw FormatError(ErrorKind::malformed, label + ": no column '" + c + "'");
    idx.push_back(static_cast<std::size_t>(it - t.header().begin()));
  }
  std::vector<std::vector<double>> out(columns.size());
  while (t.next())
    for (std::size_t c = 0; c < idx.size(); ++c) out[c].push_back(t.number(idx[c]));
  return out;
}

std::string tsv_line(const std::vector<std::string>& fields) {
  std::string out;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (i) out += '\t';
    for (char ch : fields[i]) out += (ch == '\t' || ch == '\n' || ch == '\r') ? ' ' : ch;
  }
  out += '\n';
  return out;
}

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

bool read_optional_table(const std::filesystem::path& path, Table& t, std::vector<std::string>& warnings,
                         const std::string& consequence) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return false;
  try {
    t = read_table_file(path.string());
    return true;
  } catch (const std::exception& e) {
    warnings.push_back(std::string(e.what()) + " (" + consequence + ")");
    return false;
  }
}

}  // namespace dyad::formats
