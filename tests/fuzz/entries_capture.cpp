// Fuzz entries for the parsers of capture/: the sensor line protocol, the WAV header repair of
// `dyad recover`, and a sidecar's clock as recover applies it (see entries.hpp).
#include <cmath>
#include <span>

#include "dyad/capture/clock_fit.hpp"
#include "dyad/capture/ingest.hpp"
#include "dyad/capture/line_protocol.hpp"
#include "dyad/capture/recover.hpp"
#include "dyad/formats/error.hpp"
#include "dyad/formats/stream.hpp"
#include "entries.hpp"

namespace dyad::fuzz {

namespace {
namespace c = dyad::capture;

/// Lines as a sensor sends them over TCP; a HELLO that is accepted sets the column count of the
/// S lines after it and starts its clock, as the recorder does: accepted samples, markers and
/// probes go into the stream's clock fit (host time advancing 1 ms a line). An odd first byte
/// asks for a token.
int sensor_line(const std::uint8_t* d, std::size_t n) {
  if (n < 1) return 0;
  const std::string token = (d[0] & 1) ? "s3cret" : "";
  std::string_view all(reinterpret_cast<const char*>(d + 1), n - 1);
  std::size_t columns = 0;
  c::SensorClock clock;
  double host = 100, last_dev = -INFINITY;
  auto observe = [&](double dev) {
    clock.add(dev, host);
    (void)clock.host_at(dev);
  };
  while (!all.empty()) {
    host += 0.001;
    auto nl = all.find('\n');
    std::string_view line = all.substr(0, nl);
    all = nl == std::string_view::npos ? std::string_view() : all.substr(nl + 1);
    if (line.size() > 4096) continue;  // the server refuses longer lines before parsing
    std::string_view rest;
    switch (c::line_type(line, rest)) {
      case c::LineType::hello: {
        c::HelloRequest h;
        if (c::parse_hello(rest, token, h).empty()) {
          check(!h.columns.empty() && h.columns.size() <= c::kMaxSensorColumns, "1..64 columns");
          check(h.units.size() == h.columns.size(), "a unit per column");
          check(dyad::formats::is_valid_stream_name(h.stream), "the stream name is a valid file name");
          check(h.rate_hz >= 0, "rate >= 0");
          columns = h.columns.size();
          clock = c::SensorClock();
          last_dev = -INFINITY;
        }
        break;
      }
      case c::LineType::sample: {
        double dev = 0, values[c::kMaxSensorColumns];
        if (columns && c::parse_sample(rest, columns, dev, values).empty()) {
          check(std::isfinite(dev), "a finite device time");
          for (std::size_t k = 0; k < columns; ++k) check(std::isfinite(values[k]), "finite values");
          if (dev >= last_dev) {  // the server counts a device time going backwards as malformed
            last_dev = dev;
            observe(dev);
          }
        }
        break;
      }
      case c::LineType::marker: {
        double dev = 0;
        std::string label;
        if (columns && c::parse_marker(rest, dev, label).empty()) {
          check(label.find('\t') == std::string::npos, "no tab in a marker label");
          observe(dev);
        }
        break;
      }
      case c::LineType::probe: {
        double dev = 0;
        std::string_view echo;
        if (c::parse_probe(rest, dev, echo).empty() && columns) observe(dev);
        break;
      }
      default:
        break;
    }
  }
  auto model = clock.fit();
  (void)model.host_at(last_dev);
  return 0;
}

/// `dyad recover` on audio.wav: the first 5 bytes add to the file's length (so files past 4 GiB
/// are reached), the rest is the head of the file.
int wav_header(const std::uint8_t* d, std::size_t n) {
  if (n < 5) return 0;
  std::uint64_t extra = 0;
  for (int i = 0; i < 5; ++i) extra = extra << 8 | d[i];
  std::span<const unsigned char> head(d + 5, n - 5);
  try {
    auto fix = c::plan_wav_header_fix(head, head.size() + extra, "audio.wav");
    if (fix.readable) {
      check(fix.header.size() == fix.data_start, "the corrected header is the header's length");
      check(fix.keep_bytes <= head.size() + extra, "recovery never grows the file");
      check(fix.keep_bytes >= fix.data_start, "recovery keeps the header");
    }
  } catch (const dyad::formats::FormatError&) {
  }
  return 0;
}

/// A sidecar's clock fit as `dyad recover` applies it to re-time a stream.
int sidecar_clock(const std::uint8_t* d, std::size_t n) {
  try {
    auto s = dyad::formats::parse_sidecar(std::string(reinterpret_cast<const char*>(d), n), "ecg_A.json");
    for (double t : {-1.0, 0.0, 1.5, 300.0, 1e6}) (void)c::session_time_of(s.clock, t);
  } catch (const dyad::formats::FormatError&) {
  }
  return 0;
}
}  // namespace

const std::vector<Target>& capture_targets() {
  static const std::vector<Target> t = {{"sensor_line", sensor_line}, {"wav_header", wav_header}, {"sidecar_clock", sidecar_clock}};
  return t;
}

}  // namespace dyad::fuzz
