// Sensor clock-fit accuracy and ingest throughput (issue 5). Figures go into bench/RESULTS.md.
//
//   bench_sensors fit [minutes]     four 500 Hz streams in simulated time: drift, jitter,
//                                   batching; worst and RMS |session time - truth| per stream
//   bench_sensors ingest [lines]    lines per second through the ingest server over loopback TCP,
//                                   one stream and four at once, all counted and written
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "dyad/capture/clock_fit.hpp"
#include "dyad/capture/ingest.hpp"
#include "dyad/formats/text.hpp"

using namespace dyad;
using namespace dyad::capture;

namespace {
void fit_bench(double minutes) {
  struct Cfg {
    const char* name;
    double ppm0, ppm1, max_delay_s;
    int batch;
  };
  const Cfg cfgs[] = {{"ecg_A  +100 ppm, 0-20 ms", 100, 100, 0.020, 1},
                      {"ecg_B  -100 ppm, 0-20 ms, 10-sample batches", -100, -100, 0.020, 10},
                      {"eda_A  +50->+80 ppm wander, 0-20 ms", 50, 80, 0.020, 1},
                      {"resp_B +20 ppm, 0-100 ms spikes (5 % of batches)", 20, 20, 0.005, 5}};
  const double len = minutes * 60, rate = 500;
  std::printf("clock fit, %.0f min, four %.0f Hz streams (simulated time, seed 7)\n", minutes, rate);
  std::printf("%-50s %12s %12s %12s %12s\n", "stream", "final worst", "final rms", "live worst", "residual");
  for (auto& c : cfgs) {
    SensorClock clk;
    std::mt19937 rng(7);
    std::uniform_real_distribution<double> u(0, 1);
    const auto n = static_cast<std::size_t>(len * rate);
    std::vector<double> dev(n), host(n);
    double send = 0, live_worst = 0;
    const double k = (c.ppm1 - c.ppm0) * 1e-6 / len;
    for (std::size_t i = 0; i < n; ++i) {
      const double h = static_cast<double>(i) / rate;
      const double d = 2000 + h * (1 + c.ppm0 * 1e-6) + 0.5 * k * h * h;
      dev[i] = d;
      host[i] = 100 + h;
      if (i % static_cast<std::size_t>(c.batch) == 0) {
        double delay = c.max_delay_s * u(rng);
        if (c.ppm0 == 20 && u(rng) < 0.05) delay += 0.1 * u(rng);
        send = 100 + static_cast<double>(i + static_cast<std::size_t>(c.batch) - 1) / rate + delay;
      }
      clk.add(d, send);
      if (h > 10) live_worst = std::max(live_worst, std::abs(clk.host_at(d) - host[i]));
    }
    auto m = clk.fit();
    double worst = 0, ss = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const double e = m.host_at(dev[i]) - host[i];
      worst = std::max(worst, std::abs(e));
      ss += e * e;
    }
    std::printf("%-50s %9.3f ms %9.3f ms %9.3f ms %9.3f ms\n", c.name, worst * 1e3, std::sqrt(ss / static_cast<double>(n)) * 1e3,
                live_worst * 1e3, m.residual_ms);
  }
}

int connect_port(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return -1;
  return fd;
}

void ingest_bench(long lines, int nstreams) {
  auto dir = std::filesystem::temp_directory_path() / ("dyad-bench-sensors-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  IngestConfig cfg;
  cfg.session_dir = dir;
  cfg.port = 0;
  IngestServer srv(cfg, nullptr, nullptr);
  srv.start();
  std::vector<std::string> payload(static_cast<std::size_t>(nstreams));
  for (int s = 0; s < nstreams; ++s) {
    auto& p = payload[static_cast<std::size_t>(s)];
    p = "HELLO {\"stream\":\"s" + std::to_string(s) + "\",\"role\":\"A\",\"rate\":500,\"columns\":[\"v\"]}\n";
    for (long i = 0; i < lines / nstreams; ++i)
      p += "S " + formats::format_number(static_cast<double>(i) * 0.002) + " " + formats::format_number(std::sin(i * 0.01)) + "\n";
  }
  auto t0 = std::chrono::steady_clock::now();
  std::vector<std::thread> th;
  for (int s = 0; s < nstreams; ++s)
    th.emplace_back([&, s] {
      int fd = connect_port(srv.port());
      auto& p = payload[static_cast<std::size_t>(s)];
      std::size_t off = 0;
      while (off < p.size()) {
        ssize_t n = ::send(fd, p.data() + off, p.size() - off, MSG_NOSIGNAL);
        if (n <= 0) break;
        off += static_cast<std::size_t>(n);
      }
      ::close(fd);
    });
  for (auto& t : th) t.join();
  const long want = (lines / nstreams) * nstreams;
  while (true) {
    long got = 0;
    for (auto& s : srv.status().streams) got += s.samples;
    if (got >= want) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  auto t1 = std::chrono::steady_clock::now();
  srv.finish();
  const double fin = std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
  std::printf("ingest: %ld lines on %d stream(s) in %.3f s = %.0f lines/s (%.1f x four 500 Hz streams); finish (fit + "
              "rewrite time_s) %.3f s\n",
              want, nstreams, secs, static_cast<double>(want) / secs, static_cast<double>(want) / secs / 2000, fin);
  std::filesystem::remove_all(dir);
}
}  // namespace

int main(int argc, char** argv) {
  const std::string what = argc > 1 ? argv[1] : "fit";
  if (what == "fit") {
    fit_bench(argc > 2 ? std::atof(argv[2]) : 30);
  } else if (what == "ingest") {
    const long n = argc > 2 ? std::atol(argv[2]) : 1000000;
    ingest_bench(n, 1);
    ingest_bench(n, 4);
  } else {
    std::fprintf(stderr, "usage: bench_sensors fit [minutes] | ingest [lines]\n");
    return 2;
  }
  return 0;
}
