#pragma once
/// \file Sensor ingest (DESIGN.md "Sensor ingest"): TCP and UDP on one port, the line protocol
///
///     HELLO {"stream":"ecg_A","kind":"ecg","role":"A","rate":500,"columns":["ecg"],"units":["mV"]}
///     S <device_time_s> <v1> [<v2> ...]
///     M <device_time_s> <label...>
///     T <device_send_s>      answered  T <device_send_s> <host_recv_s> <host_send_s>
///
/// each stream to streams/<name>.tsv + sidecar, its device clock fitted to host time
/// (clock_fit.hpp) and composed with the audio clock into session time.
///
/// One network thread owns every socket and stream file: it polls, reads, parses and appends.
/// It never touches the audio callback; memory is bounded (a line is at most max_line_bytes, at
/// most max_connections connections and max_streams streams; a sender faster than the disk is
/// held back by TCP flow control, UDP datagrams beyond the socket buffer are dropped by the
/// kernel). Malformed lines are counted per stream (or per connection before its HELLO), never
/// written.
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "dyad/capture/clock_fit.hpp"
#include "dyad/formats/manifest.hpp"
#include "dyad/formats/markers.hpp"
#include "dyad/formats/stream.hpp"

namespace dyad::capture {

struct IngestConfig {
  std::filesystem::path session_dir;
  std::string listen_address = "127.0.0.1";  ///< IPv4 address to bind
  int port = 7420;                           ///< TCP and UDP; 0 = any free port (tests)
  std::string token;                         ///< required in HELLO unless empty; must be set beyond loopback
  double silence_alarm_s = 5;                ///< a regular stream silent this long raises an alarm
  std::size_t max_line_bytes = 4096;
  std::size_t max_connections = 64;
  std::size_t max_streams = 64;
  std::size_t max_reported_errors = 5;       ///< malformed-line messages kept per stream
  SensorClockConfig clock;
};

/// Snapshot of one stream for the display. Any thread.
struct IngestStreamStatus {
  std::string name, kind, role;
  double nominal_rate_hz = 0;
  double rate_hz = 0;               ///< samples per second over the last ~5 s
  double last_sample_age_s = -1;    ///< seconds since the last sample arrived (-1: none yet)
  std::int64_t samples = 0;
  std::int64_t malformed = 0;
  std::int64_t connections = 0;     ///< HELLOs accepted for this stream
  bool connected = false;           ///< a TCP connection holds it (UDP streams: false)
  bool silent = false;              ///< the silence alarm is raised
};

struct IngestStatus {
  std::vector<IngestStreamStatus> streams;
  std::int64_t rejected_hellos = 0;       ///< bad JSON, name, token, limits...
  std::int64_t unattributed_malformed = 0;  ///< malformed lines before any HELLO
  std::int64_t probes_answered = 0;
  std::int64_t refused_connections = 0;   ///< beyond max_connections
  std::vector<std::string> recent_errors; ///< the last few rejection and malformed-line messages
};

/// What finish() reports for each stream.
struct IngestStreamReport {
  formats::StreamRef ref;
  std::int64_t samples = 0, malformed = 0;
  double residual_ms = 0;
};

class IngestServer {
 public:
  /// CLOCK_MONOTONIC seconds -> session seconds (the audio clock fit); any thread may be the caller.
  using SessionClock = std::function<double(double host_s)>;
  /// A marker (device markers, silence alarms); called on the network thread.
  using MarkerSink = std::function<void(const formats::Marker&)>;

  /// Binds TCP and UDP. Throws std::invalid_argument (no token beyond loopback, bad address) or
  /// std::runtime_error ("cannot listen on 127.0.0.1:7420 (TCP): Address already in use").
  IngestServer(IngestConfig cfg, SessionClock clock, MarkerSink markers);
  ~IngestServer();
  IngestServer(const IngestServer&) = delete;
  IngestServer& operator=(const IngestServer&) = delete;

  int port() const noexcept { return port_; }
  /// Starts the network thread.
  void start();
  /// Any thread.
  IngestStatus status() const;
  /// Stops the network thread (closing every connection), fits each stream's whole clock,
  /// recomputes every time_s from device_time_s with it, and writes the sidecars. `clock` maps
  /// host seconds to session seconds with the whole session's audio fit (nullptr: the live one).
  /// Control thread; safe to call twice. Destroying the server without finish() only stops it
  /// and closes the files (live times kept; `dyad recover` refits).
  std::vector<IngestStreamReport> finish(SessionClock clock = nullptr);

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
  int port_ = 0;
};

/// True for "localhost" and IPv4 addresses in 127.0.0.0/8 (where the ingest needs no token).
bool is_loopback_address(const std::string& address);

/// Rewrites time_s of streams/<name>.tsv from its device_time_s through `map`, keeping every
/// other field as written (atomic replace). Lines that are not whole rows are dropped. Returns rows.
std::size_t retime_stream_file(const std::filesystem::path& tsv, const std::function<double(double)>& map);

/// Session time of a device time by a sidecar's fit: its pieces (`segments`) when present, each
/// extended past the ends, else offset and drift.
double session_time_of(const formats::ClockFit& fit, double device_s);

/// Writes the composed fit into the sidecar's clock: pieces of device -> session time.
void set_sidecar_clock(formats::StreamSidecar& s, const SensorClockModel& m, const std::function<double(double)>& host_to_session,
                       bool probes);

}  // namespace dyad::capture
