#include "dyad/capture/ingest.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <deque>
#include <fstream>
#include <limits>
#include <map>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "dyad/capture/line_protocol.hpp"
#include "dyad/capture/recorder.hpp"
#include "dyad/formats/error.hpp"
#include "dyad/formats/files.hpp"
#include "dyad/formats/text.hpp"

namespace dyad::capture {

namespace {
namespace fs = std::filesystem;
using nlohmann::json;

double mono_s() { return static_cast<double>(monotonic_ns()) * 1e-9; }

void set_nonblocking(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL, 0) | O_NONBLOCK); }

std::string peer_name(const sockaddr_in& a) {
  char buf[INET_ADDRSTRLEN] = {};
  ::inet_ntop(AF_INET, &a.sin_addr, buf, sizeof buf);
  return std::string(buf) + ":" + std::to_string(ntohs(a.sin_port));
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (auto& x : v) s += (s.empty() ? "" : ",") + x;
  return s;
}

struct Stream {
  formats::StreamSidecar side;
  std::unique_ptr<formats::StreamWriter> writer;
  SensorClock clock;
  int conn = -1;  ///< fd of the TCP connection holding it
  std::int64_t samples = 0, malformed = 0, connections = 0, probes = 0, markers = 0, disconnects = 0;
  std::vector<std::string> errors;
  double first_dev = std::numeric_limits<double>::quiet_NaN(), last_dev = -std::numeric_limits<double>::infinity();
  double last_time_s = -std::numeric_limits<double>::infinity();
  double last_host = -1;
  bool silent = false, dirty = false;
  std::deque<std::pair<double, std::int64_t>> rate_hist;
  double rate_hz = 0;
  explicit Stream(const SensorClockConfig& c) : clock(c) {}
};

struct Conn {
  int fd = -1;
  std::string peer;
  std::string buf;
  bool skipping = false;  ///< discarding the rest of an over-long line
  int stream = -1;
};

/// Who sent a line: a TCP connection, or a UDP peer.
struct Origin {
  Conn* conn = nullptr;
  sockaddr_in udp_peer{};
  std::string peer;
};
}  // namespace

struct IngestServer::Impl {
  IngestConfig cfg;
  SessionClock clock;
  MarkerSink markers;
  int tcp = -1, udp = -1;
  std::thread thread;
  std::atomic<bool> stop{false};
  bool started = false, finished = false;
  std::vector<std::unique_ptr<Stream>> streams;
  std::map<std::string, int> by_name;
  std::map<std::string, int> udp_peers;  ///< "ip:port" -> stream
  std::vector<std::unique_ptr<Conn>> conns;
  std::int64_t rejected = 0, unattributed = 0, probes_answered = 0, refused = 0;
  std::deque<std::string> recent;
  double last_tick = 0, last_flush = 0, last_sync = 0, last_sidecar = 0, last_rate = 0;

  mutable std::mutex mu;
  IngestStatus published;
  std::vector<double> published_last_host;

  void note_error(const std::string& e) {
    recent.push_back(e);
    while (recent.size() > 8) recent.pop_front();
  }

  void malformed(const Origin& o, const std::string& what) {
    int si = o.conn ? o.conn->stream : -1;
    if (!o.conn) {
      auto it = udp_peers.find(o.peer);
      if (it != udp_peers.end()) si = it->second;
    }
    if (si < 0) {
      ++unattributed;
      note_error(o.peer + ": " + what);
      return;
    }
    Stream& s = *streams[static_cast<std::size_t>(si)];
    ++s.malformed;
    if (s.errors.size() < cfg.max_reported_errors) s.errors.push_back(what);
    note_error(s.side.name + ": " + what);
  }

  void reply(const Origin& o, const std::string& line) {
    if (o.conn) {
      (void)::send(o.conn->fd, line.data(), line.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    } else {
      (void)::sendto(udp, line.data(), line.size(), MSG_DONTWAIT, reinterpret_cast<const sockaddr*>(&o.udp_peer),
                     sizeof o.udp_peer);
    }
  }

  double session_of_host(double host_s) { return clock ? clock(host_s) : host_s; }

  void close_conn(Conn& c) {
    if (c.fd >= 0) ::close(c.fd);
    if (c.stream >= 0) {
      Stream& s = *streams[static_cast<std::size_t>(c.stream)];
      if (s.conn == c.fd) {
        s.conn = -1;
        ++s.disconnects;
      }
    }
    c.fd = -1;
  }

  void reject(const Origin& o, const std::string& what) {
    ++rejected;
    note_error(o.peer + ": " + what);
    if (o.conn) close_conn(*o.conn);
  }

  void hello(const Origin& o, std::string_view rest) {
    HelloRequest req;
    const std::string err = parse_hello(rest, cfg.token, req);
    if (!err.empty()) return reject(o, err);
    const std::string& name = req.stream;
    const std::vector<std::string>& cols = req.columns;
    int si;
    auto it = by_name.find(name);
    if (it != by_name.end()) {
      si = it->second;
      Stream& s = *streams[static_cast<std::size_t>(si)];
      if (s.side.columns != cols)
        return reject(o, "HELLO for '" + name + "': columns " + join(cols) + " differ from the stream's " + join(s.side.columns));
      // resume: the new connection replaces any older one
      for (auto& c : conns)
        if (c->fd >= 0 && c->fd == s.conn && c.get() != o.conn) {
          note_error(name + ": connection " + c->peer + " replaced by " + o.peer);
          close_conn(*c);
        }
      for (auto p = udp_peers.begin(); p != udp_peers.end();)
        if (p->second == si && p->first != o.peer)
          p = udp_peers.erase(p);
        else
          ++p;
    } else {
      if (streams.size() >= cfg.max_streams)
        return reject(o, "HELLO for '" + name + "': the recorder already has " + std::to_string(cfg.max_streams) + " streams");
      auto s = std::make_unique<Stream>(cfg.clock);
      s->side.name = name;
      s->side.kind = req.kind;
      s->side.role = req.role;
      s->side.nominal_rate_hz = req.rate_hz;
      s->side.columns = cols;
      s->side.units = req.units;
      s->side.clock.method = "pending";
      try {
        formats::write_sidecar(cfg.session_dir, s->side);
        s->writer = std::make_unique<formats::StreamWriter>(cfg.session_dir, s->side, false);
      } catch (const std::exception& e) {
        return reject(o, "HELLO for '" + name + "': " + e.what());
      }
      si = static_cast<int>(streams.size());
      streams.push_back(std::move(s));
      by_name[name] = si;
    }
    Stream& s = *streams[static_cast<std::size_t>(si)];
    ++s.connections;
    if (o.conn) {
      if (o.conn->stream >= 0 && o.conn->stream != si) {
        Stream& old = *streams[static_cast<std::size_t>(o.conn->stream)];
        if (old.conn == o.conn->fd) old.conn = -1;
      }
      o.conn->stream = si;
      s.conn = o.conn->fd;
    } else {
      if (udp_peers.size() >= 1024 && !udp_peers.count(o.peer)) {
        --s.connections;
        return reject(o, "HELLO for '" + name + "': too many UDP senders (1024)");
      }
      udp_peers[o.peer] = si;
    }
  }

  Stream* bound(const Origin& o) {
    if (o.conn) return o.conn->stream >= 0 ? streams[static_cast<std::size_t>(o.conn->stream)].get() : nullptr;
    auto it = udp_peers.find(o.peer);
    return it == udp_peers.end() ? nullptr : streams[static_cast<std::size_t>(it->second)].get();
  }

  void line(const Origin& o, std::string_view l, double host_s) {
    std::string_view rest;
    const LineType type = line_type(l, rest);
    if (type == LineType::empty) return;
    if (type == LineType::hello) return hello(o, rest);
    if (type == LineType::probe) {
      double dev = 0;
      std::string_view echo;
      const std::string err = parse_probe(rest, dev, echo);
      if (!err.empty()) return malformed(o, err);
      const double recv_s = session_of_host(host_s);
      const double send_s = session_of_host(mono_s());
      reply(o, "T " + std::string(echo) + " " + formats::format_number(recv_s) + " " + formats::format_number(send_s) + "\n");
      ++probes_answered;
      if (Stream* s = bound(o)) {
        s->clock.add(dev, host_s);
        ++s->probes;
      }
      return;
    }
    if (type == LineType::unknown)
      return malformed(o, "unknown line type '" + std::string(rest) + "' (expected HELLO, S, M or T)");
    Stream* s = bound(o);
    if (!s) return malformed(o, std::string("'") + (type == LineType::marker ? "M" : "S") + "' line before HELLO");
    if (type == LineType::marker) {
      double dev = 0;
      std::string label;
      const std::string err = parse_marker(rest, dev, label);
      if (!err.empty()) return malformed(o, err);
      s->clock.add(dev, host_s);
      formats::Marker m;
      m.onset_s = session_of_host(s->clock.host_at(dev));
      m.label = label;
      m.source = "device:" + s->side.name;
      ++s->markers;
      if (markers) markers(m);
      return;
    }
    // S <device_time_s> <v1> ...
    double vals[kMaxSensorColumns];
    const std::size_t nc = s->side.columns.size();
    double dev = 0;
    const std::string err = parse_sample(rest, nc, dev, vals);
    if (!err.empty()) return malformed(o, err);
    if (dev < s->last_dev)
      return malformed(o, "S line: device time " + formats::format_number(dev) + " goes backwards (after " +
                              formats::format_number(s->last_dev) + ")");
    s->clock.add(dev, host_s);
    double t = session_of_host(s->clock.host_at(dev));
    t = std::max(t, s->last_time_s);  // the live fit moves; the file's time_s never goes back
    try {
      s->writer->append(t, dev, vals, nc);
    } catch (const std::exception& e) {
      note_error(s->side.name + ": " + e.what());
      return;
    }
    if (std::isnan(s->first_dev)) s->first_dev = dev;
    s->last_dev = dev;
    s->last_time_s = t;
    s->last_host = host_s;
    ++s->samples;
    s->dirty = true;
    if (s->silent) {
      s->silent = false;
      formats::Marker m;
      m.onset_s = session_of_host(host_s);
      m.label = "sensor_resumed";
      m.value = s->side.name;
      m.source = "recorder";
      if (markers) markers(m);
    }
  }

  void process_buffer(Conn& c, double host_s) {
    std::size_t start = 0;
    while (c.fd >= 0) {
      auto nl = c.buf.find('\n', start);
      if (nl == std::string::npos) break;
      if (c.skipping) {
        c.skipping = false;
      } else {
        line(Origin{&c, {}, c.peer}, std::string_view(c.buf).substr(start, nl - start), host_s);
      }
      start = nl + 1;
    }
    c.buf.erase(0, start);
    if (c.buf.size() > cfg.max_line_bytes) {
      if (!c.skipping) malformed(Origin{&c, {}, c.peer}, "line longer than " + std::to_string(cfg.max_line_bytes) + " bytes");
      c.skipping = true;
      c.buf.clear();
    }
  }

  void tick(double now) {
    if (now - last_rate >= 1.0) {
      last_rate = now;
      for (auto& s : streams) {
        s->rate_hist.emplace_back(now, s->samples);
        while (s->rate_hist.size() > 6) s->rate_hist.pop_front();
        auto& f = s->rate_hist.front();
        s->rate_hz = now > f.first ? static_cast<double>(s->samples - f.second) / (now - f.first) : 0;
      }
    }
    for (auto& s : streams) {
      if (s->side.nominal_rate_hz > 0 && s->last_host >= 0 && !s->silent && now - s->last_host > cfg.silence_alarm_s) {
        s->silent = true;
        formats::Marker m;
        m.onset_s = session_of_host(now);
        m.label = "sensor_silent";
        m.value = s->side.name;
        m.source = "recorder";
        note_error(s->side.name + ": silent for more than " + formats::format_number(cfg.silence_alarm_s) + " s");
        if (markers) markers(m);
      }
    }
    const bool do_sync = now - last_sync >= 1.0;
    if (now - last_flush >= 0.25 || do_sync) {
      last_flush = now;
      for (auto& s : streams) try {
          if (do_sync && s->dirty) {
            s->writer->sync();
            s->dirty = false;
          } else {
            s->writer->flush();
          }
        } catch (const std::exception& e) {
          note_error(s->side.name + ": " + e.what());
        }
      if (do_sync) last_sync = now;
    }
    if (now - last_sidecar >= 10) {
      last_sidecar = now;
      for (auto& s : streams) write_sidecar(*s, nullptr);
    }
    publish();
  }

  void write_sidecar(Stream& s, const SessionClock& final_clock) {
    auto model = s.clock.fit();
    const SessionClock& c = final_clock ? final_clock : clock;
    set_sidecar_clock(s.side, model, [&](double h) { return c ? c(h) : h; }, s.probes > 0);
    if (s.samples > 1 && s.last_dev > s.first_dev)
      s.side.measured_rate_hz = static_cast<double>(s.samples - 1) / (s.last_dev - s.first_dev);
    s.side.extra["ingest"] = {{"samples", s.samples},         {"malformed_lines", s.malformed},
                              {"malformed_examples", s.errors}, {"connections", s.connections},
                              {"disconnects", s.disconnects},   {"probes", s.probes},
                              {"device_markers", s.markers}};
    try {
      formats::write_sidecar(cfg.session_dir, s.side);
    } catch (const std::exception& e) {
      note_error(s.side.name + ": " + e.what());
    }
  }

  void publish() {
    IngestStatus st;
    std::vector<double> lh;
    for (auto& s : streams) {
      IngestStreamStatus x;
      x.name = s->side.name;
      x.kind = s->side.kind;
      x.role = s->side.role;
      x.nominal_rate_hz = s->side.nominal_rate_hz;
      x.rate_hz = s->rate_hz;
      x.samples = s->samples;
      x.malformed = s->malformed;
      x.connections = s->connections;
      x.connected = s->conn >= 0;
      x.silent = s->silent;
      st.streams.push_back(x);
      lh.push_back(s->last_host);
    }
    st.rejected_hellos = rejected;
    st.unattributed_malformed = unattributed;
    st.probes_answered = probes_answered;
    st.refused_connections = refused;
    st.recent_errors.assign(recent.begin(), recent.end());
    std::lock_guard<std::mutex> lk(mu);
    published = std::move(st);
    published_last_host = std::move(lh);
  }

  void run() {
    std::vector<pollfd> pf;
    std::vector<char> rb(65536);
    while (!stop.load(std::memory_order_acquire)) {
      pf.clear();
      pf.push_back({tcp, POLLIN, 0});
      pf.push_back({udp, POLLIN, 0});
      for (auto& c : conns) pf.push_back({c->fd, POLLIN, 0});
      const int r = ::poll(pf.data(), pf.size(), 50);
      const double now = mono_s();
      if (r > 0) {
        if (pf[0].revents & POLLIN) {
          for (int k = 0; k < 16; ++k) {
            sockaddr_in a{};
            socklen_t al = sizeof a;
            int fd = ::accept(tcp, reinterpret_cast<sockaddr*>(&a), &al);
            if (fd < 0) break;
            if (conns.size() >= cfg.max_connections) {
              ::close(fd);
              ++refused;
              continue;
            }
            set_nonblocking(fd);
            auto c = std::make_unique<Conn>();
            c->fd = fd;
            c->peer = "tcp " + peer_name(a);
            conns.push_back(std::move(c));
          }
        }
        if (pf[1].revents & POLLIN) {
          for (int k = 0; k < 512; ++k) {
            sockaddr_in a{};
            socklen_t al = sizeof a;
            ssize_t n = ::recvfrom(udp, rb.data(), rb.size(), MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&a), &al);
            if (n < 0) break;
            const double t = mono_s();
            Origin o{nullptr, a, "udp " + peer_name(a)};
            std::string_view d(rb.data(), static_cast<std::size_t>(n));
            if (!d.empty() && d.back() == '\n') d.remove_suffix(1);
            if (d.find('\n') != std::string_view::npos)
              malformed(o, "UDP datagram with more than one line");
            else if (d.size() > cfg.max_line_bytes)
              malformed(o, "line longer than " + std::to_string(cfg.max_line_bytes) + " bytes");
            else
              line(o, d, t);
          }
        }
        for (std::size_t i = 2; i < pf.size(); ++i) {
          if (!(pf[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
          Conn* c = nullptr;
          for (auto& x : conns)
            if (x->fd == pf[i].fd) c = x.get();
          if (!c || c->fd < 0) continue;
          ssize_t n = ::recv(c->fd, rb.data(), rb.size(), MSG_DONTWAIT);
          if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
            close_conn(*c);
            continue;
          }
          if (n < 0) continue;
          const double t = mono_s();
          c->buf.append(rb.data(), static_cast<std::size_t>(n));
          process_buffer(*c, t);
        }
        conns.erase(std::remove_if(conns.begin(), conns.end(), [](auto& c) { return c->fd < 0; }), conns.end());
      }
      if (now - last_tick >= 0.1) {
        last_tick = now;
        tick(now);
      }
    }
    for (auto& c : conns) close_conn(*c);
    conns.clear();
    publish();
  }
};

IngestServer::IngestServer(IngestConfig cfg, SessionClock clock, MarkerSink markers) : impl_(std::make_unique<Impl>()) {
  std::string addr = cfg.listen_address == "localhost" ? "127.0.0.1" : cfg.listen_address;
  in_addr ia{};
  if (::inet_pton(AF_INET, addr.c_str(), &ia) != 1)
    throw std::invalid_argument("--listen: '" + cfg.listen_address + "' is not an IPv4 address");
  const bool loopback = (ntohl(ia.s_addr) >> 24) == 127;
  if (!loopback && cfg.token.empty())
    throw std::invalid_argument("--listen " + cfg.listen_address +
                                " reaches beyond loopback: give --token, which every sensor must present in its HELLO");
  if (cfg.port < 0 || cfg.port > 65535) throw std::invalid_argument("--port: " + std::to_string(cfg.port) + " is not a port");
  if (cfg.max_line_bytes < 64) cfg.max_line_bytes = 64;
  auto& I = *impl_;
  I.cfg = cfg;
  I.clock = std::move(clock);
  I.markers = std::move(markers);
  auto fail = [&](const char* proto, int port) {
    const std::string e = std::strerror(errno);
    if (I.tcp >= 0) ::close(I.tcp);
    if (I.udp >= 0) ::close(I.udp);
    I.tcp = I.udp = -1;
    throw std::runtime_error("cannot listen on " + addr + ":" + std::to_string(port) + " (" + proto + "): " + e);
  };
  for (int attempt = 0;; ++attempt) {
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr = ia;
    sa.sin_port = htons(static_cast<std::uint16_t>(cfg.port));
    I.tcp = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    ::setsockopt(I.tcp, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(I.tcp, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 || ::listen(I.tcp, 64) != 0) fail("TCP", cfg.port);
    socklen_t sl = sizeof sa;
    ::getsockname(I.tcp, reinterpret_cast<sockaddr*>(&sa), &sl);
    port_ = ntohs(sa.sin_port);
    I.udp = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (::bind(I.udp, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
      if (cfg.port == 0 && attempt < 20) {  // the free TCP port was taken for UDP: try another
        ::close(I.tcp);
        ::close(I.udp);
        continue;
      }
      fail("UDP", port_);
    }
    break;
  }
  set_nonblocking(I.tcp);
  set_nonblocking(I.udp);
}

IngestServer::~IngestServer() {
  // without finish(): stop and close, keep the live times (the clock it was given may be gone)
  auto& I = *impl_;
  I.stop.store(true, std::memory_order_release);
  if (I.thread.joinable()) I.thread.join();
  if (I.tcp >= 0) ::close(I.tcp);
  if (I.udp >= 0) ::close(I.udp);
  for (auto& s : I.streams) try {
      s->writer->close();
    } catch (...) {
    }
}

void IngestServer::start() {
  if (impl_->started) return;
  impl_->started = true;
  impl_->thread = std::thread([this] { impl_->run(); });
}

IngestStatus IngestServer::status() const {
  std::lock_guard<std::mutex> lk(impl_->mu);
  IngestStatus st = impl_->published;
  const double now = mono_s();
  for (std::size_t i = 0; i < st.streams.size() && i < impl_->published_last_host.size(); ++i)
    st.streams[i].last_sample_age_s = impl_->published_last_host[i] >= 0 ? now - impl_->published_last_host[i] : -1;
  return st;
}

std::vector<IngestStreamReport> IngestServer::finish(SessionClock clock) {
  auto& I = *impl_;
  std::vector<IngestStreamReport> out;
  if (I.finished) return out;
  I.finished = true;
  I.stop.store(true, std::memory_order_release);
  if (I.thread.joinable()) I.thread.join();
  if (I.tcp >= 0) ::close(I.tcp);
  if (I.udp >= 0) ::close(I.udp);
  I.tcp = I.udp = -1;
  const SessionClock& c = clock ? clock : I.clock;
  for (auto& s : I.streams) {
    try {
      s->writer->close();
    } catch (const std::exception& e) {
      I.note_error(s->side.name + ": " + e.what());
    }
    auto model = s->clock.fit();
    try {
      retime_stream_file(formats::stream_tsv_path(I.cfg.session_dir, s->side.name),
                         [&](double dev) { return c ? c(model.host_at(dev)) : model.host_at(dev); });
    } catch (const std::exception& e) {
      // e.g. no room to rewrite the file on a full disk: its live times stay, the sidecar below
      // holds the whole-session fit, and `dyad recover` re-times it once there is room
      s->side.extra["time_s_from"] = "live fit (the file could not be rewritten with the final fit)";
      I.note_error(s->side.name + ": " + e.what());
    }
    I.write_sidecar(*s, c);
    IngestStreamReport r;
    r.ref = {s->side.name, s->side.kind, s->side.role};
    r.samples = s->samples;
    r.malformed = s->malformed;
    r.residual_ms = model.residual_ms;
    out.push_back(r);
  }
  I.publish();
  return out;
}

bool is_loopback_address(const std::string& address) {
  const std::string a = address == "localhost" ? "127.0.0.1" : address;
  in_addr ia{};
  return ::inet_pton(AF_INET, a.c_str(), &ia) == 1 && (ntohl(ia.s_addr) >> 24) == 127;
}

std::size_t retime_stream_file(const fs::path& tsv, const std::function<double(double)>& map) {
  // Streamed in blocks (a three-hour 500 Hz stream is a few hundred MB of text): memory stays
  // at a block whatever the stream's length.
  std::ifstream in(tsv, std::ios::binary);
  if (!in) throw formats::FormatError(formats::ErrorKind::io, tsv.string() + ": cannot open: " + std::strerror(errno));
  formats::AtomicFile outf(tsv);
  constexpr std::size_t kBlock = 1 << 20;
  std::string text, out;
  std::vector<char> block(kBlock);
  std::size_t rows = 0;
  bool header = true;
  double prev = -std::numeric_limits<double>::infinity();
  for (;;) {
    in.read(block.data(), static_cast<std::streamsize>(block.size()));
    const auto got = static_cast<std::size_t>(in.gcount());
    if (got == 0) break;
    text.append(block.data(), got);
    std::size_t pos = 0;
    out.clear();
    for (;;) {
      auto nl = text.find('\n', pos);
      if (nl == std::string::npos) break;  // a partial line waits for the next block (and a partial last line is not a row)
      std::string_view l(text.data() + pos, nl - pos);
      pos = nl + 1;
      if (header) {
        out.append(l);
        out += '\n';
        header = false;
        continue;
      }
      auto t1 = l.find('\t');
      if (t1 == std::string_view::npos) continue;
      auto t2 = l.find('\t', t1 + 1);
      auto dev = formats::parse_number(l.substr(t1 + 1, t2 == std::string_view::npos ? std::string_view::npos : t2 - t1 - 1));
      if (!dev) continue;
      const double t = std::max(prev, map(*dev));
      prev = t;
      out += formats::format_number(t);
      out.append(l.substr(t1));
      out += '\n';
      ++rows;
    }
    text.erase(0, pos);
    outf.append(out);
  }
  if (in.bad()) throw formats::FormatError(formats::ErrorKind::io, tsv.string() + ": read failed: " + std::strerror(errno));
  outf.commit();
  return rows;
}

double session_time_of(const formats::ClockFit& f, double d) {
  const auto& segs = f.segments;
  if (!segs.is_array() || segs.empty()) return f.map(d);
  // (parse_sidecar checks the pieces are objects of numbers; a ClockFit built otherwise falls back)
  auto num = [](const nlohmann::json& o, const char* k) {
    auto it = o.find(k);
    return it != o.end() && it->is_number() ? it->get<double>() : 0.0;
  };
  // the first piece ending at or after d (pieces are in device time order), else the last
  std::size_t lo = 0, hi = segs.size();
  while (lo < hi) {
    const std::size_t mid = (lo + hi) / 2;
    if (!segs[mid].is_object() || num(segs[mid], "device_end_s") < d) lo = mid + 1;
    else hi = mid;
  }
  const nlohmann::json* use = nullptr;
  for (std::size_t i = std::min(lo, segs.size() - 1) + 1; i-- > 0;)
    if (segs[i].is_object()) {
      use = &segs[i];
      break;
    }
  if (!use) return f.map(d);
  return num(*use, "offset_s") + (1 + num(*use, "drift_ppm") * 1e-6) * d;
}

void set_sidecar_clock(formats::StreamSidecar& s, const SensorClockModel& m, const std::function<double(double)>& h2s,
                       bool probes) {
  formats::ClockFit f;
  f.method = probes ? "lower_envelope+probes" : "lower_envelope";
  f.residual_ms = m.residual_ms;
  if (m.pieces.empty()) {
    f.method = "pending";
    s.clock = f;
    return;
  }
  // session = offset + (1 + ppm) * device, per piece, from two points of the composed map
  auto line = [&](double d0, double d1, double& off, double& ppm) {
    if (d1 <= d0) d1 = d0 + 1;
    const double s0 = h2s(m.host_at(d0)), s1 = h2s(m.host_at(d1));
    const double slope = (s1 - s0) / (d1 - d0);
    ppm = (slope - 1) * 1e6;
    off = s0 - slope * d0;
  };
  line(m.pieces.front().device_start_s, m.pieces.back().device_end_s, f.offset_s, f.drift_ppm);
  f.segments = nlohmann::json::array();
  for (auto& p : m.pieces) {
    double off, ppm;
    line(p.device_start_s, p.device_end_s, off, ppm);
    f.segments.push_back({{"device_start_s", p.device_start_s}, {"device_end_s", p.device_end_s}, {"offset_s", off}, {"drift_ppm", ppm}});
  }
  s.clock = f;
  s.extra["clock_envelope_points"] = m.points;
}

}  // namespace dyad::capture
