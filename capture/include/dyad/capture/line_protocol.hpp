#pragma once
/// \file The sensor line protocol (DESIGN.md "Sensor ingest"), parsed without sockets or files so
/// it can be tested and fuzzed on its own; the ingest server (ingest.hpp) applies the results.
///
///     HELLO {"stream":"ecg_A","kind":"ecg","role":"A","rate":500,"columns":["ecg"],"units":["mV"]}
///     S <device_time_s> <v1> [<v2> ...]
///     M <device_time_s> <label...>
///     T <device_send_s>
///
/// Every function is pure and may be called from any thread. Errors are returned as the sentence
/// the recorder counts and reports (never thrown): "" means the line was accepted.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace dyad::capture {

inline constexpr std::size_t kMaxSensorColumns = 64;

enum class LineType { empty, hello, sample, marker, probe, unknown };

/// Splits a line (without its LF; a trailing CR is dropped) into its type and the rest after the
/// first space. `unknown` lines keep their first word in `rest` cut to 16 bytes.
LineType line_type(std::string_view line, std::string_view& rest);

/// What a HELLO asks for.
struct HelloRequest {
  std::string stream, kind = "generic", role;
  double rate_hz = 0;  ///< 0: irregular
  std::vector<std::string> columns, units;
};

/// Checks the JSON of a HELLO (the stream name, the token when `token` is not empty, kind, role,
/// rate, 1..64 columns, one unit per column). Returns "" and fills `out`, or the reason it is
/// refused, e.g. "HELLO for 'ecg_A': missing or wrong token".
std::string parse_hello(std::string_view json_text, const std::string& token, HelloRequest& out);

/// `S` line after its type: a device time and exactly `columns` finite values (at most
/// kMaxSensorColumns; `values` must hold that many). Returns "" or the malformed-line message.
std::string parse_sample(std::string_view rest, std::size_t columns, double& device_time_s, double* values);

/// `M` line after its type: a finite device time and a label (tabs become spaces).
std::string parse_marker(std::string_view rest, double& device_time_s, std::string& label);

/// `T` line after its type: one finite device send time; `echo` is the field as sent (the answer
/// repeats it unchanged).
std::string parse_probe(std::string_view rest, double& device_send_s, std::string_view& echo);

}  // namespace dyad::capture
