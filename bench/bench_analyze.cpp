// Whole `dyad analyze` (VAD + turn taking + every extension: prosody with voice quality and speech
// rate, physiology) on a synthetic two-partner 48 kHz session of alternating turns.
// Usage: bench_analyze MINUTES DIR [--speech FILE.wav] [--reuse] [--keep] [--no-voice]
//   DIR must not exist (unless --reuse: analyse the session already there); removed afterwards
//   unless --keep. Turns are tone bursts, or with --speech consecutive stretches of a 48 kHz speech
//   file (e.g. bench/make_long_speech.sh then `sox in.wav -r 48000 out.wav`), so the prosody
//   analyses see real speech. --no-voice leaves out pulses, harmonicity and syllable nuclei (issue 8's
//   set) to show what issue 9 adds.
// Prints the time to write the session, the analysis wall and CPU time, real-time factor and peak memory.
#include <sys/resource.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>

#include "dyad/analysis/analyze.hpp"
#include "dyad/analysis/physiology.hpp"
#include "dyad/analysis/prosody.hpp"
#include "dyad/formats/audio.hpp"
#include "dyad/formats/session.hpp"

namespace fs = std::filesystem;

namespace {

double cpu_s() {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) + 1e-6 * static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

/// Consecutive samples of a speech file, rewinding at its end.
class SpeechSource {
 public:
  explicit SpeechSource(const fs::path& p) : r_(p) {
    if (r_.info().sample_rate_hz != 48000 || r_.info().channels != 1) {
      std::fprintf(stderr, "bench_analyze: %s must be mono 48 kHz (sox in.wav -r 48000 -c 1 out.wav)\n", p.c_str());
      std::exit(2);
    }
    buf_.resize(1 << 16);
  }
  float next() {
    if (pos_ >= n_) {
      n_ = static_cast<std::size_t>(r_.read(buf_));
      if (n_ == 0) {
        r_.seek(0);
        n_ = static_cast<std::size_t>(r_.read(buf_));
      }
      pos_ = 0;
    }
    return buf_[pos_++];
  }

 private:
  dyad::formats::AudioReader r_;
  std::vector<float> buf_;
  std::size_t pos_ = 0, n_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: bench_analyze MINUTES DIR [--speech FILE.wav] [--reuse] [--keep] [--no-voice]\n");
    return 2;
  }
  const double minutes = std::atof(argv[1]);
  const fs::path dir = argv[2];
  std::string speech;
  bool reuse = false, keep = false, voice = true;
  for (int i = 3; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--speech") && i + 1 < argc) speech = argv[++i];
    else if (!std::strcmp(argv[i], "--reuse")) reuse = true;
    else if (!std::strcmp(argv[i], "--keep")) keep = true;
    else if (!std::strcmp(argv[i], "--no-voice")) voice = false;
    else {
      std::fprintf(stderr, "bench_analyze: unknown option %s\n", argv[i]);
      return 2;
    }
  }
  const double rate = 48000;
  const auto frames = static_cast<std::int64_t>(minutes * 60 * rate);
  auto t0 = std::chrono::steady_clock::now();
  if (!(reuse && fs::exists(dir / "session.json"))) {
    dyad::formats::create_session_dir(dir);
    auto m = dyad::formats::new_manifest("BENCH", 1, "other");
    dyad::formats::AudioSection a;
    a.sample_rate_hz = rate;
    a.channels = {{1, "A"}, {2, "B"}};
    m.audio = a;
    m.participants = {{"A", "P1"}, {"B", "P2"}};
    std::unique_ptr<SpeechSource> src;
    if (!speech.empty()) src = std::make_unique<SpeechSource>(speech);
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
          float s = 0.f;
          if (f < speaking_until) s = src ? src->next() : static_cast<float>(0.3 * std::sin(2 * M_PI * 200 * static_cast<double>(f) / rate));
          buf[static_cast<std::size_t>(2 * i + speaker)] = s + nz(g);
          buf[static_cast<std::size_t>(2 * i + 1 - speaker)] = nz(g);
        }
        w.write(std::span<const float>(buf.data(), static_cast<std::size_t>(2 * n)));
      }
      w.close();
    }
    dyad::formats::write_manifest(dir, m);
  }
  auto t1 = std::chrono::steady_clock::now();
  dyad::analysis::AnalyzeOptions o;
  if (!voice) {
    dyad::analysis::ProsodyOptions po;
    po.voice_quality = po.speech_rate = false;
    o.extensions = {[po] { return dyad::analysis::make_prosody_extension(po); }, [] { return dyad::analysis::make_physiology_extension(); }};
  }
  const double c0 = cpu_s();
  auto r = dyad::analysis::analyze_session(dir, o);
  const double cpu = cpu_s() - c0;
  auto t2 = std::chrono::steady_clock::now();
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  double write_s = std::chrono::duration<double>(t1 - t0).count(), an_s = std::chrono::duration<double>(t2 - t1).count();
  std::printf("%.0f min, 2 ch, 48 kHz, %s turns%s: wrote session in %.1f s; dyad analyze wall %.2f s, CPU %.2f s (%.0fx real time); "
              "%zu talkspurts, %zu events, %zu turns; peak RSS %ld MiB\n",
              minutes, reuse ? "existing" : speech.empty() ? "tone" : "speech", voice ? "" : ", no voice quality", write_s, an_s, cpu, minutes * 60 / an_s,
              r.segments, r.events, r.turns, ru.ru_maxrss / 1024);
  if (!keep) fs::remove_all(dir);
  return 0;
}
