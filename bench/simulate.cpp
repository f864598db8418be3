// Times `dyad simulate` (the library call) for a long session: wall clock and CPU time.
//   bench_simulate OUT [duration_s=10800] [rate_hz=48000] [--therapist]
// Writes OUT (must not exist); prints one line per figure for bench/RESULTS.md.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "dyad/analysis/simulate.hpp"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: bench_simulate OUT [duration_s=10800] [rate_hz=48000] [--therapist]\n");
    return 2;
  }
  dyad::analysis::SimulationConfig c;
  c.duration_s = argc > 2 ? std::atof(argv[2]) : 10800;
  c.rate_hz = argc > 3 ? std::atof(argv[3]) : 48000;
  c.therapist = argc > 4 && std::string(argv[4]) == "--therapist";
  c.seed = 1;
  auto t0 = std::chrono::steady_clock::now();
  int last = -1;
  auto s = dyad::analysis::simulate_session(argv[1], c, [&](double f) {
    int pct = static_cast<int>(f * 10);
    if (pct != last) {
      last = pct;
      std::fprintf(stderr, "%d%% ", pct * 10);
    }
  });
  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  double cpu = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) + 1e-6 * static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
  std::uintmax_t bytes = 0;
  for (auto& e : std::filesystem::recursive_directory_iterator(argv[1]))
    if (e.is_regular_file()) bytes += e.file_size();
  std::printf("\nduration_s %.0f rate_hz %.0f channels %d\n", c.duration_s, c.rate_hz, c.therapist ? 3 : 2);
  std::printf("wall_s %.1f cpu_s %.1f (user+sys, all threads)\n", wall, cpu);
  std::printf("output_GB %.2f audio_frames %lld talkspurts %zu turns %zu events %zu beats %zu scrs %zu\n", static_cast<double>(bytes) / 1e9,
              static_cast<long long>(s.audio_frames), s.talkspurts, s.turns, s.events, s.beats, s.scrs);
  return 0;
}
