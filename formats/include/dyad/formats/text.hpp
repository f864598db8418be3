#pragma once
/// \file Locale-proof numbers and tab-separated tables (DESIGN.md "Text files": '.' as the
/// decimal point whatever the locale, `n/a` for a missing value, UTF-8, LF line ends).
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dyad::formats {

/// Shortest text that reads back to the same double (std::to_chars); NaN -> "n/a", -0 -> "0".
std::string format_number(double v);
/// A time or duration in seconds: rounded to the nanosecond, then the shortest text (so
/// 58 * 0.01 and 3.5 - 2.92 print as 0.58, not 0.5800000000000001); NaN -> "n/a".
std::string format_seconds(double v);
/// The value format_seconds writes (to the nanosecond; unchanged past 10^7 s or when not finite).
/// A difference of two rounded times written with format_seconds reads back to itself.
double round_seconds(double v);
/// v rounded to `digits` significant digits, the result the nearest double to the decimal (a
/// measured amplitude or rate: 11.71875, not 11.718750000000002); NaN, infinities and 0 unchanged.
double round_significant(double v, int digits);
/// Fixed number of decimals (std::to_chars); NaN -> "n/a".
std::string format_fixed(double v, int decimals);
/// Parses a whole field as a double with std::from_chars. "n/a" (and "nan") give NaN.
/// Returns nullopt when the field is not a number.
std::optional<double> parse_number(std::string_view field);
/// Parses a whole field as an integer; nullopt when it is not one.
std::optional<long long> parse_integer(std::string_view field);

/// Splits one line on `sep` (no quoting).
std::vector<std::string_view> split(std::string_view line, char sep);

/// One table read from a TSV (or CSV) file: the header and rows, each with its line number.
struct Table {
  std::string file;                          ///< the name used in messages
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  std::vector<std::size_t> line_numbers;     ///< 1-based line of each row

  /// Index of a header column or -1.
  int column(std::string_view name) const;
  /// The column's index; throws FormatError(malformed) naming the file when it is missing.
  std::size_t require_column(std::string_view name) const;
  /// The number in row r, column c; "n/a" gives NaN; throws
  /// "<file>:<line>: <column> is not a number: '<text>'".
  double number(std::size_t r, std::size_t c) const;
  /// As number() but n/a is refused too.
  double required_number(std::size_t r, std::size_t c) const;
};

/// Reads a table with a header line one row at a time, holding only the current row (hours of a
/// 500 Hz stream read in constant memory). The same rules and messages as read_table, which is
/// built on it. One thread.
class TableReader {
 public:
  /// Reads the header from `in` (kept by reference: it must outlive the reader). `sep` = 0 detects
  /// tab or comma from the header. Throws FormatError for an empty input.
  TableReader(std::istream& in, std::string file_label, char sep = '\t');
  const std::vector<std::string>& header() const noexcept { return header_; }
  const std::string& file() const noexcept { return file_; }
  /// Moves to the next row; false at the end. Throws FormatError for a row with the wrong field
  /// count or a blank line inside the table.
  bool next();
  /// The current row's fields, valid until the next call of next().
  const std::vector<std::string_view>& fields() const noexcept { return fields_; }
  /// 1-based line number of the current row.
  std::size_t line() const noexcept { return line_; }
  /// The number in column c of the current row ("n/a" gives NaN); throws
  /// "<file>:<line>: <column> is not a number: '<text>'".
  double number(std::size_t c) const;
  /// As number() but n/a is refused too.
  double required_number(std::size_t c) const;

 private:
  bool read_line();  // the next physical line into line_text_ (without LF/CR); false at EOF
  std::istream& in_;
  std::string file_;
  char sep_;
  std::vector<std::string> header_;
  std::string joined_;
  std::string line_text_;
  std::vector<std::string_view> fields_;
  std::size_t line_ = 0, physical_ = 0;
};

/// Reads a table whose first line is a header. Every row must have as many fields as the
/// header ("<file>:<line>: expected N fields (a, b, ...), found M"). Blank lines at the end are
/// ignored; a CR before the LF is dropped. `sep` = 0 detects tab or comma from the header.
Table read_table(std::istream& in, const std::string& file_label, char sep = '\t');
Table read_table_file(const std::string& path, char sep = '\t');
/// A table that may be absent: false when `path` does not exist; when it cannot be read, false
/// and "<error> (<consequence>)" appended to `warnings` (a damaged optional file is reported, not
/// fatal).
bool read_optional_table(const std::filesystem::path& path, Table& t, std::vector<std::string>& warnings,
                         const std::string& consequence);

/// Numeric columns of a TSV read in one pass: `columns` named in the header, one vector each;
/// "n/a" gives NaN. Throws FormatError "<file>:<line>: <column> is not a number: '<text>'" or
/// "<file>: no column '<name>'".
std::vector<std::vector<double>> read_numeric_columns(const std::filesystem::path& path,
                                                      const std::vector<std::string>& columns);
/// The same from a stream (`label` names it in messages; fuzzed).
std::vector<std::vector<double>> read_numeric_columns(std::istream& in, const std::string& label,
                                                      const std::vector<std::string>& columns);

/// Writes a TSV line (fields joined with tabs, LF-terminated). Tabs and line breaks inside a
/// field become spaces, so the table stays rectangular.
std::string tsv_line(const std::vector<std::string>& fields);

/// Appends the UTF-8 bytes of a code point (at most 0x10FFFF; the caller rejects surrogates).
void append_utf8(std::string& out, std::uint32_t cp);

}  // namespace dyad::formats
