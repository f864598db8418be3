#pragma once
/// \file One sensor stream: streams/<name>.tsv (a header, then `time_s device_time_s value...`
/// per sample) and its sidecar streams/<name>.json (DESIGN.md "Streams").
#include <chrono>
#include <filesystem>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dyad/formats/files.hpp"

namespace dyad::formats {

/// Device time -> session time, t_session = offset_s + (1 + drift_ppm*1e-6) * t_device.
struct ClockFit {
  double offset_s = 0;
  double drift_ppm = 0;
  double residual_ms = 0;  ///< RMS residual of the fit
  std::string method = "identity";
  nlohmann::json segments = nlohmann::json::array();  ///< piecewise fits, when any
  double map(double device_time_s) const { return offset_s + (1.0 + drift_ppm * 1e-6) * device_time_s; }
};

struct StreamSidecar {
  std::string name;
  std::string kind = "generic";
  std::string role;
  double nominal_rate_hz = 0;   ///< 0 = irregular (bp, hr)
  double measured_rate_hz = 0;
  std::vector<std::string> columns;
  std::vector<std::string> units;
  ClockFit clock;
  nlohmann::json extra = nlohmann::json::object();  ///< unknown keys, preserved
};

/// The samples of one stream, column-wise.
struct StreamData {
  std::vector<double> time_s;
  std::vector<double> device_time_s;
  std::vector<std::vector<double>> values;  ///< values[column][row]
  std::size_t size() const { return time_s.size(); }
};

StreamSidecar parse_sidecar(const std::string& text, const std::string& label);
std::string serialise_sidecar(const StreamSidecar& s);

/// Reads streams/<name>.json. Throws FormatError naming the file and key.
StreamSidecar read_sidecar(const std::filesystem::path& session_dir, const std::string& name);
/// Atomic replace of streams/<name>.json.
void write_sidecar(const std::filesystem::path& session_dir, const StreamSidecar& s);

/// Reads streams/<name>.tsv, checking the header against the sidecar's columns, the field count
/// and numbers of every row, and that time_s never goes backwards.
StreamData read_stream_data(const std::filesystem::path& session_dir, const StreamSidecar& s);
/// The same checks on a stream's TSV held in memory; `label` names it in messages.
StreamData parse_stream_data(const std::string& text, const StreamSidecar& s, const std::string& label);

/// Every row of streams/<name>.tsv, with every check of read_stream_data, in constant memory:
/// fn(time_s, device_time_s, values) per row (values: the sidecar's columns, valid during the
/// call only). A reader that needs only some columns of a long stream (the physiology) is faster
/// with read_stream_blocks, which parses only those.
void for_each_stream_sample(const std::filesystem::path& session_dir, const StreamSidecar& s,
                            const std::function<void(double time_s, double device_time_s, std::span<const double> values)>& fn);

/// Rows of a stream in blocks: time_s and the value columns asked for, column-wise.
struct StreamBlock {
  std::vector<double> time_s;
  std::vector<std::vector<double>> values;  ///< values[k][row]: the k-th column asked for
  std::size_t size() const { return time_s.size(); }
};

/// streams/<name>.tsv in blocks of at most `block_rows` rows, in constant memory, read in large
/// blocks and split with memchr: fn(block) per block (valid during the call only). `columns`
/// are indices into the sidecar's columns; only time_s and those fields are parsed as numbers
/// (device_time_s and other columns are not: a non-number there is not an error here, unlike
/// read_stream_data). Every other check of read_stream_data holds: the header, the field count of
/// every row, blank lines inside the table, time_s a number that never goes backwards; the
/// messages name the file and line. Throws std::invalid_argument for a column index out of range.
void read_stream_blocks(const std::filesystem::path& session_dir, const StreamSidecar& s, std::span<const std::size_t> columns,
                        const std::function<void(const StreamBlock& block)>& fn, std::size_t block_rows = 65536);

/// What streams/<name>.tsv holds, with every check of read_stream_data, in constant memory.
struct StreamExtent {
  std::size_t samples = 0;
  double first_s = 0, last_s = 0;  ///< time_s of the first and last rows (0 when empty)
};
StreamExtent scan_stream(const std::filesystem::path& session_dir, const StreamSidecar& s);

/// Writes a whole stream (sidecar + TSV); the TSV must not exist yet.
void write_stream(const std::filesystem::path& session_dir, const StreamSidecar& s, const StreamData& d);

/// Appends rows to streams/<name>.tsv as they arrive (the recorder's path). One thread.
class StreamWriter {
 public:
  StreamWriter(const std::filesystem::path& session_dir, const StreamSidecar& s, bool resume);
  /// One row; values.size() must equal the number of columns.
  void append(double time_s, double device_time_s, const double* values, std::size_t n);
  /// Writes what is buffered (at most 64 KiB or a quarter second is ever held back).
  void flush();
  void sync() {
    flush();
    file_.sync();
  }
  void close() {
    flush();
    file_.close();
  }
  ~StreamWriter() {
    try {
      close();
    } catch (...) {
    }
  }
  StreamWriter(StreamWriter&&) = default;

 private:
  LineFile file_;
  std::size_t columns_;
  std::string buf_;
  std::chrono::steady_clock::time_point last_flush_ = std::chrono::steady_clock::now();
};

/// streams/<name>.tsv and .json paths.
std::filesystem::path stream_tsv_path(const std::filesystem::path& session_dir, const std::string& name);
std::filesystem::path stream_json_path(const std::filesystem::path& session_dir, const std::string& name);

}  // namespace dyad::formats
