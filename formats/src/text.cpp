#include "dyad/formats/text.hpp"

#include <charconv>
#include <fstream>
#include <istream>

#include "dyad/formats/error.hpp"

namespace dyad::formats {

std::string format_number(double v) {
  if (std::isnan(v)) return "n/a";
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, end);
}

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
  auto v = parse_number(rows[r][c]);
  if (!v)
    throw FormatError(ErrorKind::malformed, file + ":" + std::to_string(line_numbers[r]) + ": " + header[c] +
                                                " is not a number: '" + rows[r][c] + "'");
  return *v;
}

double Table::required_number(std::size_t r, std::size_t c) const {
  double v = number(r, c);
  if (std::isnan(v))
    throw FormatError(ErrorKind::malformed, file + ":" + std::to_string(line_numbers[r]) + ": " + header[c] +
                                                " is missing (n/a) where a number is required");
  return v;
}

Table read_table(std::istream& in, const std::string& label, char sep) {
  Table t;
  t.file = label;
  std::string line;
  std::size_t n = 0;
  if (!std::getline(in, line)) throw FormatError(ErrorKind::malformed, label + ":1: the file is empty; expected a header line");
  ++n;
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (line.size() >= 3 && line.compare(0, 3, "\xEF\xBB\xBF") == 0) line.erase(0, 3);  // UTF-8 BOM
  if (sep == 0) sep = line.find('\t') != std::string::npos ? '\t' : ',';
  for (auto f : split(line, sep)) t.header.emplace_back(f);
  std::string joined;
  for (std::size_t i = 0; i < t.header.size(); ++i) joined += (i ? ", " : "") + t.header[i];
  std::size_t pending_blank = 0;
  while (std::getline(in, line)) {
    ++n;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) {
      ++pending_blank;
      continue;
    }
    if (pending_blank)
      throw FormatError(ErrorKind::malformed, label + ":" + std::to_string(n - 1) + ": blank line inside the table");
    auto fields = split(line, sep);
    if (fields.size() != t.header.size())
      throw FormatError(ErrorKind::malformed, label + ":" + std::to_string(n) + ": expected " +
                                                  std::to_string(t.header.size()) + " fields (" + joined + "), found " +
                                                  std::to_string(fields.size()));
    std::vector<std::string> row;
    row.reserve(fields.size());
    for (auto f : fields) row.emplace_back(f);
    t.rows.push_back(std::move(row));
    t.line_numbers.push_back(n);
  }
  if (in.bad()) throw FormatError(ErrorKind::io, label + ": read error");
  return t;
}

Table read_table_file(const std::string& path, char sep) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw FormatError(ErrorKind::io, path + ": cannot be opened for reading");
  return read_table(in, path, sep);
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

}  // namespace dyad::formats
