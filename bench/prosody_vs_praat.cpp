// bench/prosody_vs_praat: Praat 6.3.07 against dyad on the same long speech file
// (bench/make_long_speech.sh), alternating runs, each in its own process under /usr/bin/time -v
// for CPU time, wall time and peak memory. The whole prosody set (issue 9): Praat's To Pitch (ac),
// To Intensity, To PointProcess (cc) with jitter and shimmer, To Harmonicity (cc)
// (bench/praat/time_voice.praat) against dyad's PitchTracker, IntensityTracker, PulseTracker with
// voice_quality() and HarmonicityTracker. --pitch-only compares pitch and intensity alone (issue 8,
// bench/praat/time_pitch_intensity.praat).
//
// Usage: prosody_vs_praat FILE.wav [--runs N] [--pitch-only] [--peak-pass] [--threads N] [--praat-script FILE]
//        prosody_vs_praat --dyad-only FILE.wav [--pitch-only] [--peak-pass] [--threads N]   (the dyad side, a child process)
// The dyad side streams the file once in blocks of 65536 frames, with the pitch tracker's frames
// analysed by --threads threads (default 2: Praat 6.3.07 runs its pitch analysis on two threads
// here; the frames are the same for any number), everything else on the calling thread, with the running peak
// as `dyad analyze` does; --peak-pass reads the file twice (first pass: the absolute peak, Praat's
// global peak, so results equal Praat's whole-file analysis).
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "dyad/dsp/pitch.hpp"
#include "dyad/dsp/voice.hpp"
#include "dyad/formats/audio.hpp"

namespace fs = std::filesystem;
using namespace dyad;

namespace {

double thread_cpu_s() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

int dyad_only(const fs::path& wav, bool peak_pass, bool pitch_only, int threads) {
  using clock = std::chrono::steady_clock;
  auto t0 = clock::now();
  const std::size_t block = 65536;
  double peak = 0, rate = 0;
  int ch = 1;
  {
    formats::AudioReader r(wav);
    rate = r.info().sample_rate_hz;
    ch = r.info().channels;
    if (peak_pass) {
      std::vector<float> buf(block * static_cast<std::size_t>(ch));
      std::int64_t n;
      while ((n = r.read(buf)) > 0)
        for (std::int64_t i = 0; i < n; ++i) peak = std::max(peak, static_cast<double>(std::abs(buf[static_cast<std::size_t>(i * ch)])));
    }
  }
  auto t1 = clock::now();
  dsp::PitchConfig pc;
  pc.sample_rate_hz = rate;
  pc.reference_peak = peak;  // 0 without the first pass: the running peak, as `dyad analyze` does
  pc.threads = threads;
  dsp::PitchTracker pt(pc);
  dsp::IntensityConfig ic;
  ic.sample_rate_hz = rate;
  dsp::IntensityTracker it(ic);
  // (the voice-quality trackers only when measured: their set-up is not part of pitch + intensity)
  dsp::PulseConfig qc;
  qc.sample_rate_hz = rate;
  qc.reference_peak = peak;
  std::optional<dsp::PulseTracker> pu_;
  dsp::HarmonicityConfig hc;
  hc.sample_rate_hz = rate;
  hc.reference_peak = peak;
  std::optional<dsp::HarmonicityTracker> ht_;
  std::vector<double> hf;
  if (!pitch_only) {
    pu_.emplace(qc);
    ht_.emplace(hc);
    hf.resize(ht_->max_output(block));
  }
  std::vector<dsp::PitchFrame> pf(pt.max_output(block));
  std::vector<double> inf(it.max_output(block));
  std::vector<dsp::GlottalPulse> pulses;
  formats::AudioReader r(wav);
  std::vector<float> buf(block * static_cast<std::size_t>(ch)), mono(block);
  std::int64_t n;
  std::size_t frames = 0, voiced = 0, iframes = 0, hframes = 0, hvoiced = 0;
  double read_s = 0, pitch_s = 0, int_s = 0, pulse_s = 0, hnr_s = 0, hsum = 0, f0_sum = 0;
  // component times are this thread's CPU time (the machine is shared: wall time measures the load)
  auto since = [](double a) { return thread_cpu_s() - a; };
  auto take_p = [&](std::size_t k) {
    frames += k;
    for (std::size_t j = 0; j < k; ++j) {
      voiced += pf[j].voiced();
      f0_sum += pf[j].f0_hz;
    }
  };
  auto take_h = [&](std::size_t k) {
    hframes += k;
    for (std::size_t j = 0; j < k; ++j)
      if (hf[j] > dsp::kHarmonicitySilentDb) { hsum += hf[j]; ++hvoiced; }
  };
  // one clock reading between parts (each is a system call on this VM: ~3 per block instead of 6)
  double now = thread_cpu_s();
  auto lap = [&](double& acc) {
    const double t = thread_cpu_s();
    acc += t - now;
    now = t;
  };
  for (;;) {
    n = r.read(buf);
    if (n <= 0) {
      lap(read_s);
      break;
    }
    if (ch > 1)
      for (std::int64_t i = 0; i < n; ++i) mono[static_cast<std::size_t>(i)] = buf[static_cast<std::size_t>(i * ch)];
    std::span<const float> b(ch > 1 ? mono.data() : buf.data(), static_cast<std::size_t>(n));  // mono: no copy
    lap(read_s);
    std::size_t k = pt.process(b, pf);
    take_p(k);
    lap(pitch_s);
    iframes += it.process(b, inf);
    lap(int_s);
    if (pitch_only) continue;
    pu_->process(b, std::span<const dsp::PitchFrame>(pf.data(), k), pulses);
    lap(pulse_s);
    take_h(ht_->process(b, hf));
    lap(hnr_s);
  }
  double a = thread_cpu_s();
  std::size_t k = pt.finish(pf);
  pitch_s += since(a);
  take_p(k);
  iframes += it.finish(inf);
  double jitter = NAN, shimmer = NAN;
  if (!pitch_only) {
    a = thread_cpu_s();
    pu_->finish(std::span<const dsp::PitchFrame>(pf.data(), k), pulses);
    dsp::VoiceQuality q = dsp::voice_quality(pulses);
    jitter = q.jitter_local;
    shimmer = q.shimmer_local;
    pulse_s += since(a);
    a = thread_cpu_s();
    take_h(ht_->finish(hf));
    hnr_s += since(a);
  }
  std::printf("dyad (CPU s per part) peak_pass_s %.3f read_s %.3f pitch_s %.3f intensity_s %.3f pulses_jitter_shimmer_s %.3f harmonicity_s %.3f "
              "total_s %.3f frames %zu voiced %zu intensity_frames %zu forced %zu pulses %zu jitter_local %.6f shimmer_local %.6f "
              "hnr_db %.3f hnr_frames %zu correlated %zu pitch_threads %d f0_sum %.6f\n",
              std::chrono::duration<double>(t1 - t0).count(), read_s, pitch_s, int_s, pulse_s, hnr_s,
              std::chrono::duration<double>(clock::now() - t0).count(), frames, voiced, iframes, pt.forced_decisions(), pulses.size(),
              jitter, shimmer, hvoiced ? hsum / static_cast<double>(hvoiced) : NAN, hframes, ht_ ? ht_->correlated_frames() : std::size_t{0}, threads, f0_sum);
  return 0;
}

struct Timed {
  double wall_s = 0, peak_mb = 0, cpu_s = 0;
  std::string out;
};

/// Runs a command under /usr/bin/time -v; returns wall time, peak RSS and stdout.
Timed timed(const std::vector<std::string>& cmd) {
  fs::path tv = fs::temp_directory_path() / ("dyad-bench-time-" + std::to_string(::getpid()));
  fs::path so = tv;
  so += ".out";
  std::string line = "/usr/bin/time -v -o '" + tv.string() + "'";
  for (auto& c : cmd) line += " '" + c + "'";
  line += " > '" + so.string() + "' 2>/dev/null";
  auto a = std::chrono::steady_clock::now();
  int rc = std::system(line.c_str());
  auto b = std::chrono::steady_clock::now();
  Timed t;
  t.wall_s = std::chrono::duration<double>(b - a).count();
  std::ifstream in(tv);
  std::string l;
  while (std::getline(in, l)) {
    auto p = l.find("Maximum resident set size (kbytes):");
    if (p != std::string::npos) t.peak_mb = std::stod(l.substr(p + 36)) / 1024.0;
    for (const char* key : {"User time (seconds):", "System time (seconds):"}) {
      auto q = l.find(key);
      if (q != std::string::npos) t.cpu_s += std::stod(l.substr(q + std::string(key).size()));
    }
  }
  std::ifstream o(so);
  std::stringstream ss;
  ss << o.rdbuf();
  t.out = ss.str();
  while (!t.out.empty() && (t.out.back() == '\n' || t.out.back() == '\r')) t.out.pop_back();
  if (rc != 0) std::cerr << "command failed (" << rc << "): " << line << "\n";
  fs::remove(tv);
  fs::remove(so);
  return t;
}

}  // namespace

int main(int argc, char** argv) {
  fs::path src = fs::path(__FILE__).parent_path().parent_path();
  fs::path script;
  fs::path wav;
  int runs = 3, threads = 2;
  bool only = false, peak_pass = false, pitch_only = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--dyad-only") only = true;
    else if (a == "--peak-pass") peak_pass = true;
    else if (a == "--pitch-only") pitch_only = true;
    else if (a == "--runs" && i + 1 < argc) runs = std::stoi(argv[++i]);
    else if (a == "--threads" && i + 1 < argc) threads = std::stoi(argv[++i]);
    else if (a == "--praat-script" && i + 1 < argc) script = argv[++i];
    else wav = a;
  }
  if (wav.empty()) {
    std::cerr << "usage: prosody_vs_praat FILE.wav [--runs N] [--pitch-only] [--peak-pass] [--threads N]  (make FILE with bench/make_long_speech.sh)\n";
    return 2;
  }
  if (script.empty()) script = src / "bench" / "praat" / (pitch_only ? "time_pitch_intensity.praat" : "time_voice.praat");
  if (only) return dyad_only(wav, peak_pass, pitch_only, threads);
  fs::path self = fs::canonical("/proc/self/exe");
  double praat_sum = 0, dyad_sum = 0, praat_mem = 0, dyad_mem = 0, praat_cpu = 0, dyad_cpu = 0;
  for (int r = 0; r < runs; ++r) {
    Timed p = timed({"praat", "--run", script.string(), wav.string()});
    std::vector<std::string> dcmd = {self.string(), "--dyad-only", wav.string()};
    if (peak_pass) dcmd.push_back("--peak-pass");
    if (pitch_only) dcmd.push_back("--pitch-only");
    dcmd.push_back("--threads");
    dcmd.push_back(std::to_string(threads));
    Timed d = timed(dcmd);
    std::printf("run %d  praat wall %.2f s cpu %.2f s peak %.0f MB [%s]\n       dyad  wall %.2f s cpu %.2f s peak %.0f MB [%s]\n", r + 1,
                p.wall_s, p.cpu_s, p.peak_mb, p.out.c_str(), d.wall_s, d.cpu_s, d.peak_mb, d.out.c_str());
    std::fflush(stdout);
    praat_sum += p.wall_s;
    dyad_sum += d.wall_s;
    praat_cpu += p.cpu_s;
    dyad_cpu += d.cpu_s;
    praat_mem = std::max(praat_mem, p.peak_mb);
    dyad_mem = std::max(dyad_mem, d.peak_mb);
  }
  std::printf("mean wall: praat %.2f s, dyad %.2f s, ratio %.1fx; mean cpu (user+sys): praat %.2f s, dyad %.2f s, ratio %.1fx; "
              "peak memory: praat %.0f MB, dyad %.0f MB\n",
              praat_sum / runs, dyad_sum / runs, praat_sum / dyad_sum, praat_cpu / runs, dyad_cpu / runs, praat_cpu / dyad_cpu,
              praat_mem, dyad_mem);
  return 0;
}
