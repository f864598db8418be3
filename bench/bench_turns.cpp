// Turn-taking speed on a three-hour, three-role session's talkspurts (issue 6 goal: < 0.5 s).
// Usage: bench_turns [hours=3]. Prints talkspurts, events, turns and the best of 5 runs.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>

#include "dyad/dsp/turns.hpp"

int main(int argc, char** argv) {
  double hours = argc > 1 ? std::atof(argv[1]) : 3.0;
  const double end = hours * 3600;
  std::mt19937 g(42);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<dyad::dsp::Segment> segs;
  // Alternating turns of 1-3 talkspurts (0.3-4 s, pauses 0.2-1 s), gaps and overlaps of +-0.5 s,
  // backchannels by the listener, a therapist now and then.
  const char* roles[] = {"A", "B", "therapist"};
  double t = 0;
  int speaker = 0;
  while (t < end) {
    int n = 1 + static_cast<int>(u(g) * 3);
    for (int i = 0; i < n && t < end; ++i) {
      double d = 0.3 + u(g) * 3.7;
      segs.push_back({roles[speaker], t, t + d});
      if (u(g) < 0.3) {
        double b = t + u(g) * d;
        segs.push_back({roles[speaker == 0 ? 1 : 0], b, b + 0.2 + u(g) * 0.8});
      }
      t += d + 0.2 + u(g) * 0.8;
    }
    speaker = u(g) < 0.1 ? 2 : (speaker == 0 ? 1 : 0);
    t += -0.5 + u(g);
  }
  dyad::dsp::TurnConfig cfg;
  cfg.roles = {"A", "B", "therapist"};
  double best = 1e9;
  std::size_t ev = 0, tu = 0;
  for (int rep = 0; rep < 5; ++rep) {
    auto t0 = std::chrono::steady_clock::now();
    auto tt = dyad::dsp::compute_turn_taking(segs, {{3000, 3060}}, cfg);
    auto st = dyad::dsp::summarize(tt, 0, end);
    auto w = dyad::dsp::window_stats(tt, end, 60);
    auto t1 = std::chrono::steady_clock::now();
    best = std::min(best, std::chrono::duration<double>(t1 - t0).count());
    ev = tt.events.size();
    tu = tt.turns.size();
    if (st.roles.empty() || w.empty()) return 1;
  }
  std::printf("%.1f h, %zu talkspurts, %zu events, %zu turns: turn taking + summary + 60 s windows in %.4f s (best of 5)\n",
              hours, segs.size(), ev, tu, best);
  return 0;
}
