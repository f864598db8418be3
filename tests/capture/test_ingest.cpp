// The ingest server over real sockets on loopback.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <functional>
#include <mutex>
#include <thread>

#include "dyad/capture/ingest.hpp"
#include "dyad/capture/recorder.hpp"
#include "dyad/capture/recover.hpp"
#include "dyad/formats/session.hpp"
#include "dyad/formats/error.hpp"
#include "dyad/formats/files.hpp"
#include "dyad/formats/stream.hpp"
#include "dyad/formats/text.hpp"
#include "test_util.hpp"

using namespace dyad;
using namespace dyad::capture;
using dyad::test::TempDir;

namespace {
class Client {
 public:
  explicit Client(int port, bool udp = false) : udp_(udp) {
    fd_ = ::socket(AF_INET, udp ? SOCK_DGRAM : SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  }
  ~Client() { close(); }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  void send(const std::string& s) {
    std::size_t off = 0;
    while (off < s.size()) {
      ssize_t n = ::send(fd_, s.data() + off, s.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return;
      off += static_cast<std::size_t>(n);
    }
  }
  /// Reads until a newline or the timeout; "" on timeout, "EOF" when closed by the server.
  std::string read_line(int timeout_ms = 2000) {
    std::string out;
    auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (std::chrono::steady_clock::now() < end) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      if (udp_) {
        char d[2048];
        ssize_t n = ::recv(fd_, d, sizeof d, 0);
        if (n <= 0) return out;
        out.assign(d, static_cast<std::size_t>(n));
        if (!out.empty() && out.back() == '\n') out.pop_back();
        return out;
      }
      char c;
      ssize_t n = ::recv(fd_, &c, 1, 0);
      if (n == 0) return out.empty() ? "EOF" : out;
      if (n < 0) return out;
      if (c == '\n') return out;
      out += c;
      if (udp_ && out.size() > 200) return out;
    }
    return out;
  }
  int fd() const { return fd_; }

 private:
  int fd_ = -1;
  bool udp_;
};

bool wait_for(const std::function<bool()>& pred, double seconds = 5) {
  auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return pred();
}

const IngestStreamStatus* find(const IngestStatus& st, const std::string& name) {
  for (auto& s : st.streams)
    if (s.name == name) return &s;
  return nullptr;
}

std::int64_t samples(IngestServer& srv, const std::string& name) {
  auto st = srv.status();
  auto* s = find(st, name);
  return s ? s->samples : -1;
}
std::int64_t malformed(IngestServer& srv, const std::string& name) {
  auto st = srv.status();
  auto* s = find(st, name);
  return s ? s->malformed : -1;
}

const std::string kHello = R"(HELLO {"stream":"ecg_A","kind":"ecg","role":"A","rate":500,"columns":["ecg"],"units":["mV"]})";

struct Fixture {
  TempDir dir;
  std::mutex mu;
  std::vector<formats::Marker> markers;
  double t0 = static_cast<double>(monotonic_ns()) * 1e-9;
  std::unique_ptr<IngestServer> srv;
  explicit Fixture(IngestConfig c = {}) {
    c.session_dir = dir.path();
    c.port = 0;
    srv = std::make_unique<IngestServer>(
        c, [t0 = t0](double h) { return h - t0; },
        [this](const formats::Marker& m) {
          std::lock_guard<std::mutex> lk(mu);
          markers.push_back(m);
        });
    srv->start();
  }
  std::vector<formats::Marker> got_markers() {
    std::lock_guard<std::mutex> lk(mu);
    return markers;
  }
};
}  // namespace

TEST(Ingest, StreamLandsInTsvAndSidecar) {
  Fixture f;
  Client c(f.srv->port());
  std::string s = kHello + "\n";
  for (int i = 0; i < 1000; ++i) s += "S " + formats::format_number(100 + i * 0.002) + " " + std::to_string(i) + "\n";
  c.send(s);
  ASSERT_TRUE(wait_for([&] { return samples(*f.srv, "ecg_A") == 1000; }));
  auto rep = f.srv->finish();
  ASSERT_EQ(rep.size(), 1u);
  EXPECT_EQ(rep[0].ref.name, "ecg_A");
  EXPECT_EQ(rep[0].samples, 1000);
  auto side = formats::read_sidecar(f.dir.path(), "ecg_A");
  EXPECT_EQ(side.kind, "ecg");
  EXPECT_EQ(side.role, "A");
  EXPECT_EQ(side.units, std::vector<std::string>{"mV"});
  EXPECT_EQ(side.clock.method, "lower_envelope");
  EXPECT_NEAR(side.measured_rate_hz, 500, 1e-6);
  EXPECT_EQ(side.extra["ingest"]["malformed_lines"], 0);
  auto d = formats::read_stream_data(f.dir.path(), side);
  ASSERT_EQ(d.size(), 1000u);
  EXPECT_DOUBLE_EQ(d.values[0][999], 999);
  EXPECT_DOUBLE_EQ(d.device_time_s[1], 100.002);
  // session time follows device time at the device's rate
  EXPECT_NEAR(d.time_s[999] - d.time_s[0], 999 * 0.002, 1e-3);
  EXPECT_EQ(dyad::test::mode_of(formats::stream_tsv_path(f.dir.path(), "ecg_A")), 0600u);
}

TEST(Ingest, MalformedLinesAreCountedExactlyAndNeverWritten) {
  Fixture f;
  Client c(f.srv->port());
  c.send("S 1 2\n");  // before HELLO: the connection's, not a stream's
  c.send(kHello + "\n");
  c.send("S 1.0 0.5\n"        // good
         "S 1.1\n"            // 1: no value
         "S 1.2 0.5 0.7\n"    // 2: one value too many
         "S abc 0.5\n"        // 3: not a number
         "S 1.3 1,5\n"        // 4: comma decimal
         "X 1 2\n"            // 5: unknown type
         "\n"                 // ignored
         "S 0.9 0.1\n"        // 6: backwards
         "M 1.25\n"           // 7: marker without label
         "T\n"                // 8: probe without time
         "S 1.4 0.25\r\n");   // good (CRLF)
  ASSERT_TRUE(wait_for([&] { return malformed(*f.srv, "ecg_A") == 8 && samples(*f.srv, "ecg_A") == 2; }));
  auto st = f.srv->status();
  EXPECT_EQ(st.unattributed_malformed, 1);
  f.srv->finish();
  auto side = formats::read_sidecar(f.dir.path(), "ecg_A");
  EXPECT_EQ(side.extra["ingest"]["malformed_lines"], 8);
  std::vector<std::string> ex = side.extra["ingest"]["malformed_examples"];
  ASSERT_EQ(ex.size(), 5u);  // the first five are kept
  EXPECT_EQ(ex[0], "S line: expected a device time and 1 value(s), found 1 field(s)");
  EXPECT_EQ(ex[1], "S line: expected a device time and 1 value(s), found 3 field(s)");
  EXPECT_EQ(ex[2], "S line: 'abc' is not a number");
  EXPECT_EQ(ex[3], "S line: '1,5' is not a number");
  EXPECT_EQ(ex[4], "unknown line type 'X' (expected HELLO, S, M or T)");
  auto d = formats::read_stream_data(f.dir.path(), side);
  ASSERT_EQ(d.size(), 2u);
  EXPECT_DOUBLE_EQ(d.values[0][0], 0.5);
  EXPECT_DOUBLE_EQ(d.values[0][1], 0.25);
  bool saw_backwards = false;
  for (auto& e : st.recent_errors) saw_backwards |= e == "ecg_A: S line: device time 0.9 goes backwards (after 1)";
  EXPECT_TRUE(saw_backwards);
}

TEST(Ingest, HalfLinesAndOverlongLines) {
  IngestConfig cfg;
  cfg.max_line_bytes = 100;
  Fixture f(cfg);
  Client c(f.srv->port());
  c.send(kHello + "\nS 5.0 ");
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  c.send("1.5\nS 5.1 2");
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  c.send(".5\n" + std::string(1000, '7'));  // 1000 bytes and no end yet
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  c.send(std::string(1000, '8') + "\nS 5.2 3.5\n");
  ASSERT_TRUE(wait_for([&] { return samples(*f.srv, "ecg_A") == 3; }));
  EXPECT_EQ(malformed(*f.srv, "ecg_A"), 1);
  f.srv->finish();
  auto side = formats::read_sidecar(f.dir.path(), "ecg_A");
  EXPECT_EQ(side.extra["ingest"]["malformed_examples"][0], "line longer than 100 bytes");
  auto d = formats::read_stream_data(f.dir.path(), side);
  ASSERT_EQ(d.size(), 3u);
  EXPECT_DOUBLE_EQ(d.values[0][0], 1.5);
  EXPECT_DOUBLE_EQ(d.values[0][1], 2.5);
  EXPECT_DOUBLE_EQ(d.values[0][2], 3.5);
}

TEST(Ingest, BadHellosAreRejectedAndTheServerKeepsRunning) {
  Fixture f;
  struct Case {
    std::string hello, error;
  };
  std::vector<Case> cases = {
      {"HELLO {not json", "HELLO: not valid JSON"},
      {R"(HELLO {"stream":"../x","role":"A","columns":["v"]})", "HELLO: stream name '../x' does not match [A-Za-z0-9_-]{1,64}"},
      {R"(HELLO {"stream":"x","role":"A","kind":"eeg","columns":["v"]})",
       "HELLO for 'x': kind 'eeg' is not one of ecg, ppg, eda, resp, bp, hr, generic"},
      {R"(HELLO {"stream":"x","role":"C","columns":["v"]})", "HELLO for 'x': key 'role' must be A, B or therapist"},
      {R"(HELLO {"stream":"x","role":"A","rate":-1,"columns":["v"]})",
       "HELLO for 'x': key 'rate' must be a number >= 0 (0: irregular)"},
      {R"(HELLO {"stream":"x","role":"A","columns":[]})", "HELLO for 'x': key 'columns' must be a non-empty array of strings"},
      {R"(HELLO {"stream":"x","role":"A","columns":["a","b"],"units":["mV"]})",
       "HELLO for 'x': key 'units' must be an array of strings, one per column"},
  };
  for (auto& k : cases) {
    Client c(f.srv->port());
    c.send(k.hello + "\nS 1 2\n");
    EXPECT_EQ(c.read_line(), "EOF") << k.hello;  // the server closes the connection
  }
  ASSERT_TRUE(wait_for([&] { return f.srv->status().rejected_hellos == static_cast<std::int64_t>(cases.size()); }));
  auto st = f.srv->status();
  EXPECT_TRUE(st.streams.empty());
  // the recent errors carry the exact messages (the last eight)
  ASSERT_GE(st.recent_errors.size(), cases.size());
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const auto& e = st.recent_errors[st.recent_errors.size() - cases.size() + i];
    EXPECT_NE(e.find(": " + cases[i].error), std::string::npos) << e;
  }
  // still serving
  Client ok(f.srv->port());
  ok.send(kHello + "\nS 1 2\n");
  ASSERT_TRUE(wait_for([&] { return samples(*f.srv, "ecg_A") == 1; }));
  f.srv->finish();
  std::error_code ec;
  EXPECT_FALSE(std::filesystem::exists(f.dir / "streams/x.tsv", ec));
  EXPECT_FALSE(std::filesystem::exists(f.dir / "streams/..", ec) && std::filesystem::exists(f.dir / "x.tsv", ec));
}

TEST(Ingest, TokenIsRequiredWhenConfigured) {
  IngestConfig cfg;
  cfg.token = "s3cret";
  Fixture f(cfg);
  {
    Client c(f.srv->port());
    c.send(kHello + "\n");
    EXPECT_EQ(c.read_line(), "EOF");
  }
  {
    Client c(f.srv->port());
    c.send(R"(HELLO {"stream":"ecg_A","role":"A","columns":["ecg"],"token":"wrong"})" "\n");
    EXPECT_EQ(c.read_line(), "EOF");
  }
  Client c(f.srv->port());
  c.send(R"(HELLO {"stream":"ecg_A","role":"A","columns":["ecg"],"token":"s3cret"})" "\nS 1 2\n");
  ASSERT_TRUE(wait_for([&] { return samples(*f.srv, "ecg_A") == 1; }));
  ASSERT_TRUE(wait_for([&] { return f.srv->status().rejected_hellos == 2; }));
  auto st = f.srv->status();
  EXPECT_EQ(st.recent_errors.back().substr(st.recent_errors.back().find(": ") + 2), "HELLO for 'ecg_A': missing or wrong token");
}

TEST(Ingest, ListeningBeyondLoopbackNeedsAToken) {
  TempDir d;
  IngestConfig cfg;
  cfg.session_dir = d.path();
  cfg.listen_address = "0.0.0.0";
  cfg.port = 0;
  try {
    IngestServer s(cfg, nullptr, nullptr);
    FAIL() << "accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(),
                 "--listen 0.0.0.0 reaches beyond loopback: give --token, which every sensor must present in its HELLO");
  }
  cfg.listen_address = "not-an-address";
  EXPECT_THROW(IngestServer(cfg, nullptr, nullptr), std::invalid_argument);
}

TEST(Ingest, PortInUseIsAClearError) {
  Fixture f;
  TempDir d;
  IngestConfig cfg;
  cfg.session_dir = d.path();
  cfg.port = f.srv->port();
  try {
    IngestServer s(cfg, nullptr, nullptr);
    FAIL() << "bound twice";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()), "cannot listen on 127.0.0.1:" + std::to_string(cfg.port) + " (TCP): Address already in use");
  }
}

TEST(Ingest, DisconnectIsAGapAndHelloResumes) {
  Fixture f;
  {
    Client c(f.srv->port());
    c.send(kHello + "\nS 10 1\nS 10.002 2\n");
    ASSERT_TRUE(wait_for([&] { return samples(*f.srv, "ecg_A") == 2; }));
  }
  ASSERT_TRUE(wait_for([&] { return !find(f.srv->status(), "ecg_A")->connected; }));
  Client c2(f.srv->port());
  c2.send(kHello + "\nS 12 3\n");
  ASSERT_TRUE(wait_for([&] { return samples(*f.srv, "ecg_A") == 3; }));
  auto st = f.srv->status();
  EXPECT_EQ(find(st, "ecg_A")->connections, 2);
  EXPECT_TRUE(find(st, "ecg_A")->connected);
  f.srv->finish();
  auto side = formats::read_sidecar(f.dir.path(), "ecg_A");
  EXPECT_EQ(side.extra["ingest"]["disconnects"], 2);  // the second closed at finish
  auto d = formats::read_stream_data(f.dir.path(), side);
  ASSERT_EQ(d.size(), 3u);
  EXPECT_NEAR(d.time_s[2] - d.time_s[1], 1.998, 0.01);  // a gap, no invented samples
}

TEST(Ingest, NewHelloReplacesAnOlderConnection) {
  Fixture f;
  Client old(f.srv->port());
  old.send(kHello + "\nS 1 1\n");
  ASSERT_TRUE(wait_for([&] { return samples(*f.srv, "ecg_A") == 1; }));
  Client fresh(f.srv->port());
  fresh.send(kHello + "\nS 2 2\n");
  EXPECT_EQ(old.read_line(), "EOF");
  old.send("S 3 3\n");  // too late: closed
  fresh.send("S 4 4\n");
  ASSERT_TRUE(wait_for([&] { return samples(*f.srv, "ecg_A") == 3; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(samples(*f.srv, "ecg_A"), 3);
  f.srv->finish();
  auto d = formats::read_stream_data(f.dir.path(), formats::read_sidecar(f.dir.path(), "ecg_A"));
  ASSERT_EQ(d.size(), 3u);
  EXPECT_DOUBLE_EQ(d.values[0][2], 4);
}

TEST(Ingest, ProbesAreAnsweredOverTcpAndUdp) {
  Fixture f;
  Client c(f.srv->port());
  c.send(kHello + "\nT 12.5\n");
  std::string r = c.read_line();
  auto parts = formats::split(r, ' ');
  ASSERT_EQ(parts.size(), 4u) << r;
  EXPECT_EQ(parts[0], "T");
  EXPECT_EQ(parts[1], "12.5");
  const double recv = *formats::parse_number(parts[2]), send = *formats::parse_number(parts[3]);
  const double now = static_cast<double>(monotonic_ns()) * 1e-9 - f.t0;
  EXPECT_LE(recv, send);
  EXPECT_GT(recv, 0);
  EXPECT_LE(send, now);
  Client u(f.srv->port(), true);
  u.send(R"(HELLO {"stream":"eda_B","kind":"eda","role":"B","rate":4,"columns":["eda"],"units":["uS"]})");
  u.send("T 3");
  r = u.read_line();
  EXPECT_EQ(r.substr(0, 4), "T 3 ");
  u.send("S 3.1 1.25");
  u.send("S 3.2 1.5\n");
  u.send("S 3.3");  // malformed
  ASSERT_TRUE(wait_for([&] { return samples(*f.srv, "eda_B") == 2 && malformed(*f.srv, "eda_B") == 1; }));
  auto rep = f.srv->finish();
  ASSERT_EQ(rep.size(), 2u);
  auto side = formats::read_sidecar(f.dir.path(), "eda_B");
  EXPECT_EQ(side.clock.method, "lower_envelope+probes");
  EXPECT_EQ(side.extra["ingest"]["probes"], 1);
}

TEST(Ingest, DeviceMarkersAndSilenceAlarm) {
  IngestConfig cfg;
  cfg.silence_alarm_s = 0.3;
  Fixture f(cfg);
  Client c(f.srv->port());
  c.send(kHello + "\nS 1 1\nM 1.001 tap  left hand\n");
  ASSERT_TRUE(wait_for([&] { return f.got_markers().size() >= 2; }));
  auto ms = f.got_markers();
  EXPECT_EQ(ms[0].label, "tap  left hand");
  EXPECT_EQ(ms[0].source, "device:ecg_A");
  EXPECT_EQ(ms[1].label, "sensor_silent");
  EXPECT_EQ(ms[1].value, "ecg_A");
  EXPECT_EQ(ms[1].source, "recorder");
  EXPECT_TRUE(wait_for([&] { return find(f.srv->status(), "ecg_A")->silent; }));
  EXPECT_GT(find(f.srv->status(), "ecg_A")->last_sample_age_s, 0.3);
  c.send("S 2 2\n");
  ASSERT_TRUE(wait_for([&] { return f.got_markers().size() >= 3; }));
  EXPECT_EQ(f.got_markers()[2].label, "sensor_resumed");
  EXPECT_TRUE(wait_for([&] { return !find(f.srv->status(), "ecg_A")->silent; }));
  // irregular streams never raise the alarm
  Client bp(f.srv->port());
  bp.send(R"(HELLO {"stream":"bp_A","kind":"bp","role":"A","rate":0,"columns":["systolic","diastolic","mean"]})"
          "\nS 1 120 80 93\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  for (auto& m : f.got_markers()) EXPECT_NE(m.value, "bp_A");
}

TEST(Ingest, FloodAndSlowSenderDoNotStallOtherStreams) {
  Fixture f;
  // a slow sender dribbles one byte at a time
  std::atomic<bool> stop{false};
  std::thread slow;
  struct Join {  // a failed ASSERT below returns early: the thread must not be left joinable
    std::atomic<bool>& stop;
    std::thread& t;
    ~Join() {
      stop = true;
      if (t.joinable()) t.join();
    }
  } join{stop, slow};
  slow = std::thread([&] {
    Client s(f.srv->port());
    std::string msg = R"(HELLO {"stream":"slow","role":"B","rate":10,"columns":["v"]})" "\n";
    for (int i = 0; i < 1000 && !stop; ++i) msg += "S " + std::to_string(i) + " 1\n";
    for (char ch : msg) {
      if (stop) break;
      s.send(std::string(1, ch));
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  });
  // a flood: 200 000 lines as fast as the socket takes them, plus garbage
  Client c(f.srv->port());
  std::string s = kHello + "\n";
  const int n = 200000;
  for (int i = 0; i < n; ++i) {
    s += "S " + formats::format_number(i * 0.002) + " " + std::to_string(i % 1000) + "\n";
    if (i % 1000 == 0) s += "garbage garbage\n";
  }
  auto t0 = std::chrono::steady_clock::now();
  c.send(s);
  ASSERT_TRUE(wait_for([&] { return samples(*f.srv, "ecg_A") == n; }, 30));
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(malformed(*f.srv, "ecg_A"), n / 1000);
  // the slow sender is served too (its 76 bytes of HELLO and first sample take at least 76 ms to
  // dribble in, longer than the flood on an idle machine: so it may finish just after)
  EXPECT_TRUE(wait_for([&] { return samples(*f.srv, "slow") > 0; }, 10));
  stop = true;
  slow.join();
  auto rep = f.srv->finish();
  auto d = formats::read_stream_data(f.dir.path(), formats::read_sidecar(f.dir.path(), "ecg_A"));
  EXPECT_EQ(d.size(), static_cast<std::size_t>(n));
  RecordProperty("flood_lines_per_s", std::to_string(static_cast<int>(n / secs)));
}

TEST(Ingest, ManyStreamsAtOnce) {
  Fixture f;
  std::vector<std::unique_ptr<Client>> cs;
  for (int k = 0; k < 12; ++k) {
    cs.push_back(std::make_unique<Client>(f.srv->port()));
    cs.back()->send("HELLO {\"stream\":\"s" + std::to_string(k) + "\",\"role\":\"A\",\"rate\":100,\"columns\":[\"x\",\"y\"]}\n");
  }
  for (int i = 0; i < 100; ++i)
    for (int k = 0; k < 12; ++k) cs[static_cast<std::size_t>(k)]->send("S " + std::to_string(i) + " " + std::to_string(k) + " " + std::to_string(i) + "\n");
  ASSERT_TRUE(wait_for([&] {
    auto st = f.srv->status();
    if (st.streams.size() != 12) return false;
    for (auto& s : st.streams)
      if (s.samples != 100) return false;
    return true;
  }));
  f.srv->finish();
  for (int k = 0; k < 12; ++k) {
    auto d = formats::read_stream_data(f.dir.path(), formats::read_sidecar(f.dir.path(), "s" + std::to_string(k)));
    ASSERT_EQ(d.size(), 100u);
    EXPECT_DOUBLE_EQ(d.values[0][50], k);
    EXPECT_DOUBLE_EQ(d.values[1][50], 50);
  }
}

TEST(Ingest, FinishRecomputesTimeFromTheWholeFit) {
  // a device clock 1000 s ahead; the final map is composed with the clock given to finish()
  Fixture f;
  Client c(f.srv->port());
  c.send(kHello + "\n");
  const double start = static_cast<double>(monotonic_ns()) * 1e-9;
  for (int i = 0; i < 20; ++i) {
    const double now = static_cast<double>(monotonic_ns()) * 1e-9;
    c.send("S " + formats::format_number(1000 + (now - start)) + " 1\n");
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_TRUE(wait_for([&] { return samples(*f.srv, "ecg_A") == 20; }));
  f.srv->finish([&](double h) { return h - start + 5; });  // session time 5 at `start`
  auto side = formats::read_sidecar(f.dir.path(), "ecg_A");
  auto d = formats::read_stream_data(f.dir.path(), side);
  ASSERT_EQ(d.size(), 20u);
  for (std::size_t i = 0; i < d.size(); ++i) {
    EXPECT_NEAR(d.time_s[i], 5 + (d.device_time_s[i] - 1000), 0.005) << i;  // loopback delay only
    EXPECT_NEAR(side.clock.map(d.device_time_s[i]), d.time_s[i], 1e-6);
  }
}

TEST(Ingest, RecoverAddsTheStreamsOfAnInterruptedRecording) {
  TempDir dir;
  formats::create_session_dir(dir / "s");
  auto m = formats::new_manifest("c", 1, "other");
  m.status = "recording";
  formats::write_manifest(dir / "s", m);
  {
    IngestConfig c;
    c.session_dir = dir / "s";
    c.port = 0;
    IngestServer srv(c, nullptr, nullptr);
    srv.start();
    Client cl(srv.port());
    cl.send(kHello + "\nS 1 1\nS 1.002 2\nS 1.004 3\n");
    ASSERT_TRUE(wait_for([&] { return samples(srv, "ecg_A") == 3; }));
  }  // destroyed without finish(): as if the recorder died
  formats::write_file_atomic(dir / "s/streams/ecg_A.tsv", formats::read_file(dir / "s/streams/ecg_A.tsv") + "1.006\t1.0");
  auto rep = recover_session(dir / "s");
  auto s = formats::Session::open(dir / "s");
  ASSERT_EQ(s.manifest.streams.size(), 1u);
  EXPECT_EQ(s.manifest.streams[0].name, "ecg_A");
  EXPECT_EQ(s.streams[0].samples, 3u);
  bool added = false;
  for (auto& a : rep.actions) added |= a == "stream ecg_A added to session.json";
  EXPECT_TRUE(added);
}

// The listener binds loopback unless told otherwise (DESIGN.md "Privacy"): the kernel's own table
// of listening sockets shows 127.0.0.1 for the TCP port, and the UDP port likewise.
TEST(Ingest, ListensOnLoopbackOnlyByDefault) {
  Fixture f;
  char port_hex[8];
  std::snprintf(port_hex, sizeof port_hex, "%04X", f.srv->port());
  for (const char* table : {"/proc/net/tcp", "/proc/net/udp"}) {
    const std::string t = formats::read_file(table);
    const std::string loopback = std::string("0100007F:") + port_hex, any = std::string("00000000:") + port_hex;
    EXPECT_NE(t.find(loopback), std::string::npos) << table;
    EXPECT_EQ(t.find(any), std::string::npos) << table << ": bound to every interface";
  }
  EXPECT_TRUE(is_loopback_address("127.0.0.1"));
  EXPECT_TRUE(is_loopback_address("localhost"));
  EXPECT_FALSE(is_loopback_address("0.0.0.0"));
  EXPECT_FALSE(is_loopback_address("192.168.1.5"));
  EXPECT_FALSE(is_loopback_address("not-an-address"));
}

// The retiming at the end of a recording streams the file in blocks: rows across block
// boundaries, a partial last line (dropped, as before), columns after time_s kept, the file
// replaced atomically; a missing file is a clear error and leaves nothing behind.
TEST(Ingest, RetimingStreamsALargeFileInBlocks) {
  TempDir d;
  const auto tsv = d / "x.tsv";
  std::string text = "time_s\tdevice_time_s\tv\n";
  const int n = 150000;  // about 3.5 MB: several 1 MiB blocks
  for (int i = 0; i < n; ++i) text += "0\t" + std::to_string(i) + ".5\t" + std::to_string(i % 7) + "\n";
  text += "0\t99999999";  // a partial last line
  formats::write_file_atomic(tsv, text);
  EXPECT_EQ(retime_stream_file(tsv, [](double dev) { return dev * 2; }), static_cast<std::size_t>(n));
  const auto out = formats::read_file(tsv);
  EXPECT_EQ(out.substr(0, out.find('\n')), "time_s\tdevice_time_s\tv");
  std::size_t pos = out.find('\n') + 1, rows = 0;
  bool all = true;
  while (pos < out.size()) {
    auto nl = out.find('\n', pos);
    ASSERT_NE(nl, std::string::npos);
    const std::string want = formats::format_number(rows * 2.0 + 1) + "\t" + std::to_string(rows) + ".5\t" + std::to_string(rows % 7);
    if (out.compare(pos, nl - pos, want) != 0) all = false;
    pos = nl + 1;
    ++rows;
  }
  EXPECT_TRUE(all);
  EXPECT_EQ(rows, static_cast<std::size_t>(n));
  EXPECT_FALSE(std::filesystem::exists(d / "x.tsv.tmp"));
  try {
    retime_stream_file(d / "none.tsv", [](double dev) { return dev; });
    ADD_FAILURE() << "no error";
  } catch (const formats::FormatError& e) {
    EXPECT_EQ(std::string(e.what()), (d / "none.tsv").string() + ": cannot open: No such file or directory");
  }
  EXPECT_FALSE(std::filesystem::exists(d / "none.tsv.tmp"));
}
