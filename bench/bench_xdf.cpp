// XDF clock alignment and reading speed (issue 13): a one-hour LabRecorder-style file with an
// ECG stream at 500 Hz on a device clock 100 ppm fast and 1000 s off, an EDA stream at 32 Hz on a
// clock 80 ppm slow and 30 s behind, clock offsets every 5 s with up to +-2 ms of uniform
// measurement noise (seeded). Prints the worst and RMS error of the corrected time stamps against
// the truth, and the time to read and synchronise the file.
//   build/bin/bench_xdf [hours]
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <cstdlib>
#include <random>
#include <string>

#include "dyad/formats/xdf.hpp"

namespace {
template <class T>
void put(std::string& s, T v) {
  s.append(reinterpret_cast<const char*>(&v), sizeof(T));
}
void chunk(std::string& b, std::uint16_t tag, const std::string& c) {
  put<std::uint8_t>(b, 4);
  put<std::uint32_t>(b, static_cast<std::uint32_t>(c.size() + 2));
  put<std::uint16_t>(b, tag);
  b += c;
}
}  // namespace

int main(int argc, char** argv) {
  const double hours = argc > 1 ? std::atof(argv[1]) : 1.0;
  const double dur = hours * 3600;
  struct Clock {
    double rate, drift, offset;
    double remote(double h) const { return (1 + drift) * h + offset; }
  };
  const Clock clocks[2] = {{500, 100e-6, 1000}, {32, -80e-6, -30}};
  std::mt19937 g(13);
  std::uniform_real_distribution<double> noise(-2e-3, 2e-3);
  std::string b = "XDF:";
  for (std::uint32_t id = 1; id <= 2; ++id) {
    std::string x = "<?xml version=\"1.0\"?><info><name>s" + std::to_string(id) + "</name><type>ECG</type><channel_count>1</channel_count>"
                    "<nominal_srate>" + std::to_string(clocks[id - 1].rate) + "</nominal_srate><channel_format>double64</channel_format></info>";
    std::string c;
    put(c, id);
    chunk(b, 2, c + x);
  }
  for (double sec = 0; sec < dur; sec += 1) {
    for (std::uint32_t id = 1; id <= 2; ++id) {
      const Clock& k = clocks[id - 1];
      std::string c;
      put(c, id);
      const int n = static_cast<int>(k.rate);
      put<std::uint8_t>(c, 4);
      put<std::uint32_t>(c, static_cast<std::uint32_t>(n));
      for (int i = 0; i < n; ++i) {
        double h = sec + i / k.rate;
        put<std::uint8_t>(c, 8);
        put<double>(c, k.remote(h));
        put<double>(c, h);  // the value is the true host time
      }
      chunk(b, 3, c);
      if (static_cast<long>(sec) % 5 == 0) {
        std::string o;
        put(o, id);
        double r = k.remote(sec);
        put<double>(o, r);
        put<double>(o, sec - r + noise(g));
        chunk(b, 4, o);
      }
    }
  }
  auto t0 = std::chrono::steady_clock::now();
  auto f = dyad::formats::read_xdf(std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(b.data()), b.size()), "bench.xdf");
  double worst = 0, ss = 0;
  std::size_t n = 0;
  for (auto& s : f.streams) {
    auto sync = dyad::formats::synchronise_xdf_clock(s);
    for (std::size_t i = 0; i < s.samples(); ++i) {
      double e = sync.times[i] - s.values[i];
      worst = std::max(worst, std::abs(e));
      ss += e * e;
      ++n;
    }
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("%.2f h, %zu samples, %.1f MB: read + synchronise %.2f s (%.0f MB/s); alignment error worst %.3f ms, RMS %.3f ms\n", hours, n,
              static_cast<double>(b.size()) / 1e6, secs, static_cast<double>(b.size()) / 1e6 / secs, worst * 1e3, std::sqrt(ss / static_cast<double>(n)) * 1e3);
  return 0;
}
