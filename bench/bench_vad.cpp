// Speed of voice activity detection alone (issue 7): a three-hour two-partner 48 kHz session
// held in memory, one core. A ten-minute simulated session (`dyad simulate`, 48 kHz, seed 1) is
// read into memory once and fed to the detector 18 times in a row as one continuous three-hour
// stream (in blocks of 65536 frames, as dyad analyze reads), so the detector sees 2 x 518.4 M
// samples that do not fit in any cache, like audio streamed from the page cache.
//   bench_vad [minutes=180] [crosstalk|energy|both] [--rate HZ] [--audio FILE] [--set NAME=VALUE]...
// --audio FILE uses a two-channel audio file instead of the simulated session. Then, for the
// crosstalk detector, the same three hours are streamed from the file itself (in the page cache
// after the first read) through formats::AudioReader in blocks of 65536 frames and split into
// channels, as dyad analyze reads a session: the CPU time of reading + splitting + detecting.
// Prints CPU time of the detector (this thread) and the real-time factor.
#include <time.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <unistd.h>
#include <vector>

#include "dyad/analysis/simulate.hpp"
#include "dyad/dsp/vad.hpp"
#include "dyad/formats/audio.hpp"

namespace fs = std::filesystem;
using namespace dyad;

namespace {
double thread_cpu() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}
double wall() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}
}  // namespace

int main(int argc, char** argv) {
  double minutes = 180, rate = 48000;
  std::string which = "both";
  fs::path audio;
  dsp::CrosstalkVadConfig cc;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--rate" && i + 1 < argc) rate = std::atof(argv[++i]);
    else if (a == "--audio" && i + 1 < argc) audio = argv[++i];
    else if (a == "--set" && i + 1 < argc) {
      std::string kv = argv[++i];
      auto eq = kv.find('=');
      if (eq == std::string::npos || !dsp::set_parameter(cc, kv.substr(0, eq), std::atof(kv.c_str() + eq + 1))) {
        std::fprintf(stderr, "bench_vad: unknown parameter in '%s'\n", kv.c_str());
        return 2;
      }
    } else if (a == "crosstalk" || a == "energy" || a == "both") which = a;
    else if (std::atof(a.c_str()) > 0) minutes = std::atof(a.c_str());
    else {
      std::fprintf(stderr, "usage: bench_vad [minutes=180] [crosstalk|energy|both] [--rate HZ] [--audio FILE] [--set NAME=VALUE]...\n");
      return 2;
    }
  }
  // Ten minutes of a simulated session, in memory.
  const fs::path dir = fs::temp_directory_path() / ("bench_vad_" + std::to_string(::getpid()));
  analysis::SimulationConfig sc;
  sc.duration_s = 600;
  sc.rate_hz = rate;
  sc.crosstalk_db = -10;
  sc.snr_db = 20;
  if (audio.empty()) analysis::simulate_session(dir, sc);
  std::vector<std::vector<float>> ch(2);
  {
    formats::AudioReader r(audio.empty() ? dir / "audio.wav" : audio);
    rate = r.info().sample_rate_hz;
    if (r.info().channels != 2) {
      std::fprintf(stderr, "bench_vad: the audio has %d channels, expected 2\n", r.info().channels);
      return 2;
    }
    const auto n = static_cast<std::size_t>(r.info().frames);
    std::vector<float> inter(2 * n);
    r.read(inter);
    for (int c = 0; c < 2; ++c) {
      ch[static_cast<std::size_t>(c)].resize(n);
      for (std::size_t i = 0; i < n; ++i) ch[static_cast<std::size_t>(c)][i] = inter[2 * i + static_cast<std::size_t>(c)];
    }
  }
  fs::remove_all(dir);
  const std::size_t n = ch[0].size();
  const auto total = static_cast<std::size_t>(minutes * 60 * rate);
  const std::size_t block = 65536;
  auto run = [&](dsp::VoiceActivityDetector& v) {
    std::vector<std::span<const float>> views(2);
    std::size_t talkspurts = 0, done = 0, pos = 0;
    const double c0 = thread_cpu(), w0 = wall();
    while (done < total) {
      const std::size_t m = std::min({block, n - pos, total - done});
      for (int c = 0; c < 2; ++c) views[static_cast<std::size_t>(c)] = std::span<const float>(ch[static_cast<std::size_t>(c)].data() + pos, m);
      v.process(views);
      for (int c = 0; c < 2; ++c) talkspurts += v.take(static_cast<std::size_t>(c)).size();
      done += m;
      pos = (pos + m) % n;
    }
    v.finish();
    for (int c = 0; c < 2; ++c) talkspurts += v.take(static_cast<std::size_t>(c)).size();
    const double cpu = thread_cpu() - c0, w = wall() - w0;
    const double audio_s = static_cast<double>(total) / rate;
    std::printf("%-9s %.0f min, 2 ch, %.0f Hz: CPU %.2f s (wall %.2f s), %.0fx real time, %zu talkspurts\n", v.name().c_str(), audio_s / 60,
                rate, cpu, w, audio_s / cpu, talkspurts);
  };
  if (which != "energy") {
    cc.sample_rate_hz = rate;
    dsp::CrosstalkVad v(cc, 2);
    run(v);
    std::printf("          analysis rate %.0f Hz\n", v.analysis_rate_hz());
  }
  if (!audio.empty() && which != "energy") {
    cc.sample_rate_hz = rate;
    dsp::CrosstalkVad v(cc, 2);
    std::vector<float> inter(2 * block), a(block), b(block);
    std::vector<std::span<const float>> views(2);
    std::size_t done = 0, talkspurts = 0;
    const double c0 = thread_cpu(), w0 = wall();
    formats::AudioReader r(audio);
    while (done < total) {
      const std::size_t want = std::min(block, total - done);
      auto got = static_cast<std::size_t>(r.read(std::span<float>(inter.data(), 2 * want)));
      if (got == 0) {
        r.seek(0);
        continue;
      }
      for (std::size_t i = 0; i < got; ++i) {
        a[i] = inter[2 * i];
        b[i] = inter[2 * i + 1];
      }
      views[0] = std::span<const float>(a.data(), got);
      views[1] = std::span<const float>(b.data(), got);
      v.process(views);
      talkspurts += v.take(0).size() + v.take(1).size();
      done += got;
    }
    v.finish();
    talkspurts += v.take(0).size() + v.take(1).size();
    const double cpu = thread_cpu() - c0, w = wall() - w0, audio_s = static_cast<double>(total) / rate;
    std::printf("crosstalk %.0f min streamed from %s: CPU %.2f s (wall %.2f s), %.0fx real time, %zu talkspurts\n", audio_s / 60,
                audio.filename().c_str(), cpu, w, audio_s / cpu, talkspurts);
  }
  if (which != "crosstalk") {
    dsp::EnergyVadConfig ec;
    ec.sample_rate_hz = rate;
    dsp::EnergyVad v(ec, 2);
    run(v);
  }
  return 0;
}
