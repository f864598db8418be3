// Whole `dyad analyze` (energy VAD + turn taking + features/) on a synthetic two-partner 48 kHz
// session of tone-burst turns. Usage: bench_analyze MINUTES DIR  (DIR must not exist; removed after).
// Prints the time to write the session, the analysis time, real-time factor and peak memory.
#include <sys/resource.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>

#include "dyad/analysis/analyze.hpp"
#include "dyad/formats/audio.hpp"
#include "dyad/formats/session.hpp"

namespace fs = std::filesystem;

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: bench_analyze MINUTES DIR\n");
    return 2;
  }
  const double minutes = std::atof(argv[1]);
  const fs::path dir = argv[2];
  const double rate = 48000;
  const auto frames = static_cast<std::int64_t>(minutes * 60 * rate);
  auto t0 = std::chrono::steady_clock::now();
  dyad::formats::create_session_dir(dir);
  auto m = dyad::formats::new_manifest("BENCH", 1, "other");
  dyad::formats::AudioSection a;
  a.sample_rate_hz = rate;
  a.channels = {{1, "A"}, {2, "B"}};
  m.audio = a;
  m.participants = {{"A", "P1"}, {"B", "P2"}};
  {
    dyad::formats::AudioWriter w(dir / "audio.wav", rate, 2, dyad::formats::AudioSync::on_close);
    std::mt19937 g(1);
    std::uniform_real_distribution<double> u(0, 1);
    std::normal_distribution<float> nz(0, 1e-4f);
    // turns of 1-6 s alternating, gaps/overlaps of -0.5..1 s
    std::int64_t next_change = 0, speaking_until = 0;
    int speaker = 1;
    std::vector<float> buf(2 * 48000);
    for (std::int64_t f = 0; f < frames;) {
      std::int64_t n = std::min<std::int64_t>(48000, frames - f);
      for (std::int64_t i = 0; i < n; ++i, ++f) {
        if (f >= next_change) {
          speaker = 1 - speaker;
          speaking_until = f + static_cast<std::int64_t>((1 + 5 * u(g)) * rate);
          next_change = speaking_until + static_cast<std::int64_t>((-0.5 + 1.5 * u(g)) * rate);
        }
        float s = f < speaking_until ? static_cast<float>(0.3 * std::sin(2 * M_PI * 200 * static_cast<double>(f) / rate)) : 0.f;
        buf[static_cast<std::size_t>(2 * i + speaker)] = s + nz(g);
        buf[static_cast<std::size_t>(2 * i + 1 - speaker)] = nz(g);
      }
      w.write(std::span<const float>(buf.data(), static_cast<std::size_t>(2 * n)));
    }
    w.close();
  }
  dyad::formats::write_manifest(dir, m);
  auto t1 = std::chrono::steady_clock::now();
  auto r = dyad::analysis::analyze_session(dir, {});
  auto t2 = std::chrono::steady_clock::now();
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  double write_s = std::chrono::duration<double>(t1 - t0).count(), an_s = std::chrono::duration<double>(t2 - t1).count();
  std::printf("%.0f min, 2 ch, 48 kHz: wrote session in %.1f s; dyad analyze %.2f s (%.0fx real time); %zu talkspurts, %zu events, %zu turns; peak RSS %ld MiB\n",
              minutes, write_s, an_s, minutes * 60 / an_s, r.segments, r.events, r.turns, ru.ru_maxrss / 1024);
  fs::remove_all(dir);
  return 0;
}
