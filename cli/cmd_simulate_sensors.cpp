// dyad simulate-sensors: plays simulated physiology into a recorder over the sensor line protocol
// (DESIGN.md "Sensor ingest"), with a drifting device clock, delivery jitter, dropouts and garbage.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <mutex>
#include <thread>

#include "common.hpp"
#include "dyad/dsp/synth.hpp"
#include "dyad/formats/manifest.hpp"
#include "dyad/formats/text.hpp"

namespace dyad::cli {
namespace {

struct SimSensorOptions {
  int port = 7420;
  std::string host = "127.0.0.1", streams = "ecg_A,ecg_B,eda_A,eda_B", token;
  double duration = 10, drift_ppm = 0, jitter_ms = 0, device_offset_s = 1000, garbage = 0;
  int dropouts = 0;
  double dropout_s = 3;
  bool probes = false, udp = false;
  std::uint64_t seed = 1;
  std::vector<double> taps;
};

struct SimStream {
  std::string name, kind, role;
  double rate = 0;
  std::vector<std::string> columns, units;
};

std::atomic<bool> g_stop{false};
extern "C" void on_sim_signal(int) { g_stop.store(true); }

SimStream parse_stream(const std::string& spec) {
  // NAME[:RATE]; the kind from the name's prefix, the role from its suffix
  SimStream s;
  auto colon = spec.find(':');
  s.name = spec.substr(0, colon);
  if (!formats::is_valid_stream_name(s.name))
    throw UsageError("--streams: '" + s.name + "' is not a stream name ([A-Za-z0-9_-]{1,64})");
  auto us = s.name.rfind('_');
  s.role = us == std::string::npos ? "" : s.name.substr(us + 1);
  if (!formats::is_valid_role(s.role))
    throw UsageError("--streams: '" + s.name + "' must end in _A, _B or _therapist (its role)");
  std::string prefix = s.name.substr(0, us);
  struct K {
    const char* prefix;
    const char* kind;
    double rate;
    std::vector<std::string> cols, units;
  };
  static const std::vector<K> kinds = {{"ecg", "ecg", 500, {"ecg"}, {"mV"}},      {"ppg", "ppg", 100, {"ppg"}, {"au"}},
                                       {"eda", "eda", 32, {"eda"}, {"uS"}},       {"resp", "resp", 25, {"resp"}, {"au"}},
                                       {"acc", "generic", 200, {"x", "y", "z"}, {"g", "g", "g"}},
                                       {"button", "generic", 100, {"pressed"}, {""}}};
  bool found = false;
  for (auto& k : kinds)
    if (prefix.rfind(k.prefix, 0) == 0) {
      s.kind = k.kind;
      s.rate = k.rate;
      s.columns = k.cols;
      s.units = k.units;
      found = true;
      break;
    }
  if (!found)
    throw UsageError("--streams: '" + s.name + "' must start with ecg, ppg, eda, resp, acc or button (its kind)");
  if (colon != std::string::npos) {
    auto r = formats::parse_number(spec.substr(colon + 1));
    if (!r || !(*r > 0 && *r <= 10000)) throw UsageError("--streams: '" + spec + "': the rate after ':' must be 0 < Hz <= 10000");
    s.rate = *r;
  }
  return s;
}

/// The physiology of one stream at t seconds.
struct Signal {
  SimStream s;
  dsp::Rng rng;
  const std::vector<double>* taps;
  double next_beat = 0.3, last_beat = -10, rr = 0.85, next_scr = 3, eda_phasic = 0;
  std::vector<double> scr_onsets;
  Signal(SimStream st, std::uint64_t seed, const std::vector<double>* t) : s(std::move(st)), rng(seed), taps(t) {}
  void values(double t, std::vector<double>& v) {
    while (t >= next_beat) {
      last_beat = next_beat;
      rr = std::clamp(rr + 0.03 * rng.normal(), 0.6, 1.1);
      next_beat += rr;
    }
    v.assign(s.columns.size(), 0);
    if (s.kind == "ecg") {
      v[0] = dsp::ecg_beat(t - last_beat, rr) + dsp::ecg_beat(t - next_beat, rr) + 0.01 * rng.normal();
    } else if (s.kind == "ppg") {
      const double dt = t - last_beat - 0.2;
      v[0] = dt > 0 ? std::exp(-dt / 0.25) * (1 - std::exp(-dt / 0.05)) : 0;
    } else if (s.kind == "eda") {
      while (t >= next_scr) {
        scr_onsets.push_back(next_scr);
        next_scr += rng.exponential(12) + 2;
      }
      double p = 0;
      for (double o : scr_onsets) p += 0.3 * dsp::scr_shape(t - o, 0.75, 2.0);
      v[0] = 5 + 0.01 * t + p;
    } else if (s.kind == "resp") {
      v[0] = dsp::breath_wave(t / 4.0);
    } else {  // accelerometer or button: a tap is a sharp transient
      double tap = 0;
      for (double x : *taps)
        if (t >= x && t - x < 0.05) tap = std::exp(-(t - x) / 0.01);
      if (s.columns.size() == 3) {
        v[0] = 0.01 * rng.normal() + 2 * tap;
        v[1] = 0.01 * rng.normal();
        v[2] = 1 + 0.01 * rng.normal();
      } else {
        v[0] = tap > 0 ? 1 : 0;
      }
    }
  }
};

int connect_to(const SimSensorOptions& o) {
  int fd = ::socket(AF_INET, o.udp ? SOCK_DGRAM : SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(o.port));
  if (::inet_pton(AF_INET, o.host.c_str(), &a.sin_addr) != 1) {
    ::close(fd);
    throw UsageError("--host: '" + o.host + "' is not an IPv4 address");
  }
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

struct Counts {
  std::atomic<std::int64_t> samples{0}, garbage{0}, reconnects{0}, lost{0};
};

void run_stream(const SimSensorOptions& o, std::chrono::steady_clock::time_point start, SimStream st, std::uint64_t seed, Counts& counts, std::mutex& err_mu,
                std::string& error) {
  dsp::Rng rng(seed);
  Signal sig(st, seed ^ 0x5bd1e995u, &o.taps);
  std::vector<std::pair<double, double>> drops;  // [start, end) seconds of no sending
  for (int k = 0; k < o.dropouts; ++k) {
    // wholly inside the run, so every dropout ends with a reconnection
    const double at = rng.uniform(0.1, 0.9) * std::max(0.0, o.duration - o.dropout_s);
    drops.emplace_back(at, at + o.dropout_s);
  }
  nlohmann::json h = {{"stream", st.name}, {"kind", st.kind}, {"role", st.role}, {"rate", st.rate}, {"columns", st.columns},
                      {"units", st.units}};
  if (!o.token.empty()) h["token"] = o.token;
  const std::string hello = "HELLO " + h.dump() + "\n";
  int fd = -1;
  auto send_all = [&](const std::string& s) {
    if (fd < 0) return;
    if (o.udp) {  // one line a datagram
      std::size_t a = 0;
      while (a < s.size()) {
        auto nl = s.find('\n', a);
        (void)::send(fd, s.data() + a, nl - a, MSG_NOSIGNAL);
        a = nl + 1;
      }
      return;
    }
    std::size_t off = 0;
    while (off < s.size()) {
      ssize_t n = ::send(fd, s.data() + off, s.size() - off, MSG_NOSIGNAL);
      if (n <= 0) {
        ::close(fd);
        fd = -1;
        return;
      }
      off += static_cast<std::size_t>(n);
    }
  };
  auto open = [&] {
    fd = connect_to(o);
    if (fd < 0) return false;
    send_all(hello);
    return fd >= 0;
  };
  if (!open()) {
    std::lock_guard<std::mutex> lk(err_mu);
    error = "cannot connect to " + o.host + ":" + std::to_string(o.port) + " (is 'dyad record' running?)";
    return;
  }
  const auto t0 = start;
  const double k = 1 + o.drift_ppm * 1e-6;
  const auto n = static_cast<std::int64_t>(std::floor(o.duration * st.rate));
  std::vector<double> v;
  std::string batch;
  double send_at = 0, next_probe = 0.5;
  bool in_drop = false;
  for (std::int64_t i = 0; i < n && !g_stop.load(); ++i) {
    const double t = static_cast<double>(i) / st.rate;  // true time of the sample since start
    bool dropping = false;
    for (auto& [a, b] : drops) dropping |= t >= a && t < b;
    if (dropping != in_drop) {
      in_drop = dropping;
      if (dropping) {
        if (fd >= 0) ::close(fd);
        fd = -1;
        batch.clear();
      } else {
        open();
        counts.reconnects.fetch_add(1);
      }
    }
    sig.values(t, v);
    if (dropping) {
      counts.lost.fetch_add(1);
      continue;
    }
    std::string line = "S " + formats::format_number(o.device_offset_s + t * k);
    for (double x : v) line += " " + formats::format_number(x);
    batch += line + "\n";
    counts.samples.fetch_add(1);
    if (o.garbage > 0 && rng.uniform() < o.garbage) {
      static const char* junk[] = {"S", "S 1,5 2", "hello world", "S nan? 1", "Q 1 2 3"};
      batch += std::string(junk[rng.next() % 5]) + "\n";
      counts.garbage.fetch_add(1);
    }
    if (o.probes && t >= next_probe) {
      batch += "T " + formats::format_number(o.device_offset_s + t * k) + "\n";
      next_probe += 1;
    }
    if (send_at == 0) send_at = t + rng.uniform(0, o.jitter_ms * 1e-3);
    // batches of about 10 ms, each sent after its own random delivery delay
    if (t + 1 / st.rate >= send_at || i + 1 == n) {
      std::this_thread::sleep_until(t0 + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                             std::chrono::duration<double>(std::max(send_at, t))));
      send_all(batch);
      batch.clear();
      if (fd < 0 && !o.udp) open();
      send_at = t + 0.01 + rng.uniform(0, o.jitter_ms * 1e-3);
    }
  }
  if (fd >= 0) ::close(fd);
}

void run_simulate_sensors(const SimSensorOptions& o) {
  std::vector<SimStream> streams;
  for (auto& s : split_list(o.streams)) streams.push_back(parse_stream(s));
  if (streams.empty()) throw UsageError("--streams: give at least one stream, e.g. ecg_A,eda_B");
  if (!(o.duration > 0)) throw UsageError("--duration: must be positive");
  if (o.jitter_ms < 0) throw UsageError("--jitter-ms: must not be negative");
  if (o.garbage < 0 || o.garbage > 1) throw UsageError("--garbage: a fraction of lines from 0 to 1");
  in_addr host{};  // checked here: connect_to runs in the streams' threads, where a throw would abort
  if (::inet_pton(AF_INET, o.host.c_str(), &host) != 1) throw UsageError("--host: '" + o.host + "' is not an IPv4 address");
  std::signal(SIGINT, on_sim_signal);
  std::signal(SIGTERM, on_sim_signal);
  Counts counts;
  std::mutex err_mu;
  std::string error;
  std::vector<std::thread> th;
  // every stream's sample 0 is taken at `start` (CLOCK_MONOTONIC, printed for checks)
  const auto start = std::chrono::steady_clock::now() + std::chrono::milliseconds(200);
  for (std::size_t i = 0; i < streams.size(); ++i)
    th.emplace_back(run_stream, std::cref(o), start, streams[i], dsp::mix64(o.seed * 1000 + i), std::ref(counts), std::ref(err_mu),
                    std::ref(error));
  for (auto& t : th) t.join();
  if (!error.empty()) throw std::runtime_error(error);
  note("sent " + std::to_string(counts.samples.load()) + " samples on " + std::to_string(streams.size()) + " stream(s), " +
       std::to_string(counts.garbage.load()) + " garbage line(s), " + std::to_string(counts.lost.load()) +
       " samples dropped in " + std::to_string(counts.reconnects.load()) + " dropout(s)");
  std::cout << "start_monotonic_s\t"
            << formats::format_number(std::chrono::duration<double>(start.time_since_epoch()).count()) << "\n";
  std::cout << "samples\t" << counts.samples.load() << "\ngarbage\t" << counts.garbage.load() << "\n";
}
}  // namespace

void add_simulate_sensors(CLI::App& app) {
  auto o = std::make_shared<SimSensorOptions>();
  auto* cmd = app.add_subcommand("simulate-sensors",
                                 "Play simulated sensors (ECG, PPG, EDA, respiration, accelerometer, button) into a running "
                                 "'dyad record' over the sensor line protocol, in real time");
  cmd->add_option("--port", o->port, "Recorder's sensor port (default 7420)")->check(check::whole(65535));
  cmd->add_option("--host", o->host, "Recorder's address (default 127.0.0.1)");
  cmd->add_option("--streams", o->streams,
                  "Streams NAME[:RATE], comma-separated; the kind from the prefix (ecg, ppg, eda, resp, acc, button), the "
                  "role from the suffix (_A, _B, _therapist) (default ecg_A,ecg_B,eda_A,eda_B)");
  cmd->add_option("--duration", o->duration, "Seconds to play (default 10)")->check(check::positive());
  cmd->add_option("--drift-ppm", o->drift_ppm, "Device clocks run this many ppm fast (default 0)")->check(check::number());
  cmd->add_option("--device-offset", o->device_offset_s, "Device clock at the start, seconds (default 1000)")->check(check::number());
  cmd->add_option("--jitter-ms", o->jitter_ms, "Random delivery delay of each ~10 ms batch, 0..J ms (default 0)")
      ->check(check::non_negative());
  cmd->add_option("--dropouts", o->dropouts, "Disconnections per stream (TCP), each --dropout-seconds long (default 0)")
      ->check(check::whole());
  cmd->add_option("--dropout-seconds", o->dropout_s, "Length of each dropout (default 3)")->check(check::non_negative());
  cmd->add_option("--garbage", o->garbage, "Fraction of samples followed by a malformed line (default 0)")->check(check::between(0, 1));
  cmd->add_flag("--probes", o->probes, "Send a time probe every second");
  cmd->add_flag("--udp", o->udp, "Send datagrams instead of a TCP connection");
  cmd->add_option("--token", o->token, "Token for a recorder listening beyond loopback");
  cmd->add_option("--tap", o->taps, "Seconds after the start of a tap seen by acc/button streams (repeatable)")
      ->check(check::non_negative());
  cmd->add_option("--seed", o->seed, "Random seed (default 1)")->check(check::whole());
  cmd->callback([o] { run_simulate_sensors(*o); });
}

}  // namespace dyad::cli
