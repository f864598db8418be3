// bench/capture: the real-time capture pipeline under load, through the real PortAudio library.
// For each buffer size a private JACK dummy server is (re)started with that period, the
// known-signal feeder (dyad_jack_feeder, built with the tests) plays into it, and the Recorder
// records 2 channels for --seconds while --busy threads spin. Reports dropped frames, callback
// duration p50/p99.9/max against the period, and the writer's lag. Not a test: figures go to
// bench/RESULTS.md.
//   dyad_bench_capture [--seconds 180] [--periods 64,128,256] [--busy 1] [--dir /tmp/x] [--probe 1]
// --probe 1 (default) runs a timer probe beside each recording: a thread at the JACK dummy driver's
// real-time priority that sleeps to every period boundary (clock_nanosleep, absolute) and notes each
// wake-up later than one period. Such a late wake-up is what makes the dummy driver slip; the probe
// has nothing to do with JACK or dyad, so dropouts that coincide with its late wake-ups were caused
// by the machine's timer (on a virtual machine: the host not running the vCPU), not by the recorder.
// --control 1 (default) runs two more phases of --seconds on the same server after dyad's: the
// feeder alone, then JACK's own example recorder (jack_rec) in dyad's place, and counts the
// server's xruns (late cycles, from its log) in each: if dyad's phase has no more than the
// controls, the late cycles are the machine's.
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <memory>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "dyad/capture/devices.hpp"
#include "dyad/capture/recorder.hpp"
#include "dyad/capture/stream.hpp"
#include "dyad/formats/audio.hpp"
#include "dyad/formats/session.hpp"
#include "../tests/capture/feeder_signal.hpp"

namespace fs = std::filesystem;

namespace {
pid_t spawn(const std::vector<std::string>& argv, const fs::path& log) {
  pid_t pid = ::fork();
  if (pid == 0) {
    int nul = ::open("/dev/null", O_RDWR);
    int lf = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ::dup2(nul, 0);
    ::dup2(lf, 1);
    ::dup2(lf, 2);
    std::vector<char*> a;
    for (auto& s : argv) a.push_back(const_cast<char*>(s.c_str()));
    a.push_back(nullptr);
    ::execvp(a[0], a.data());
    ::_exit(127);
  }
  return pid;
}
void stop(pid_t pid) {
  if (pid <= 0) return;
  ::kill(pid, SIGTERM);
  int st;
  ::waitpid(pid, &st, 0);
}
fs::path exe_dir() { return fs::read_symlink("/proc/self/exe").parent_path(); }

std::int64_t now_ns() {
  timespec t{};
  ::clock_gettime(CLOCK_MONOTONIC, &t);
  return static_cast<std::int64_t>(t.tv_sec) * 1000000000 + t.tv_nsec;
}

/// `n` threads that spin until stopped (or destroyed): the other core busy.
struct Burners {
  std::atomic<bool> spin{true};
  std::vector<std::thread> threads;
  explicit Burners(int n) {
    for (int b = 0; b < n; ++b)
      threads.emplace_back([this] {
        volatile std::uint64_t x = 0;
        while (spin.load(std::memory_order_relaxed)) x = x + 1;
      });
  }
  void stop() {
    spin = false;
    for (auto& t : threads)
      if (t.joinable()) t.join();
  }
  ~Burners() { stop(); }
};

/// Late cycles the JACK server has logged so far ("JackTimedDriver::Process XRun = N usec").
long count_xruns(const fs::path& log) {
  std::FILE* f = std::fopen(log.c_str(), "r");
  if (!f) return -1;
  long n = 0;
  char line[512];
  while (std::fgets(line, sizeof line, f))
    if (std::strstr(line, "Process XRun")) ++n;
  std::fclose(f);
  return n;
}

/// The timer probe: wakes at every period boundary like the JACK dummy driver and notes the
/// wake-ups later than one period (re-anchoring after one, as that driver does).
struct TimerProbe {
  std::int64_t period_ns = 0;
  std::atomic<bool> run{true};
  bool realtime = false;
  std::int64_t wakeups = 0;
  std::int64_t max_late_ns = 0;
  std::vector<std::int64_t> late_at;  ///< CLOCK_MONOTONIC of each wake-up > one period late
  std::thread th;

  explicit TimerProbe(std::int64_t period) : period_ns(period) {
    late_at.reserve(1 << 20);
    th = std::thread([this] { loop(); });
  }
  void loop() {
    sched_param sp{};
    sp.sched_priority = 10;  // jackd's dummy driver thread runs SCHED_FIFO 10
    realtime = ::pthread_setschedparam(::pthread_self(), SCHED_FIFO, &sp) == 0;
    std::int64_t target = now_ns() + period_ns;
    while (run.load(std::memory_order_relaxed)) {
      timespec ts{static_cast<time_t>(target / 1000000000), static_cast<long>(target % 1000000000)};
      while (::clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
      }
      const std::int64_t t = now_ns(), late = t - target;
      ++wakeups;
      if (late > max_late_ns) max_late_ns = late;
      if (late > period_ns) {
        if (late_at.size() < late_at.capacity()) late_at.push_back(t);
        target = t + period_ns;
      } else {
        target += period_ns;
      }
    }
  }
  void stop() {
    run = false;
    th.join();
  }
};
}  // namespace

int main(int argc, char** argv) {
  double seconds = 180;
  std::vector<unsigned long> periods = {64, 128, 256};
  int busy = 1;
  bool probe = true, timer_only = false, control = true;
  fs::path dir = fs::temp_directory_path() / ("dyad-bench-capture-" + std::to_string(::getpid()));
  for (int i = 1; i < argc; i += 2) {
    std::string k = argv[i], v = i + 1 < argc ? argv[i + 1] : "";
    if (v.empty() && k != "--help" && k != "-h") k = "?";
    if (k == "--seconds") seconds = std::stod(v);
    else if (k == "--busy") busy = std::stoi(v);
    else if (k == "--dir") dir = v;
    else if (k == "--probe") probe = v != "0";
    else if (k == "--timer-only") timer_only = v != "0";
    else if (k == "--control") control = v != "0";
    else if (k == "--periods") {
      periods.clear();
      for (std::size_t p = 0; p < v.size();) {
        auto c = v.find(',', p);
        periods.push_back(std::stoul(v.substr(p, c - p)));
        p = c == std::string::npos ? v.size() : c + 1;
      }
    } else {
      const bool help = k == "--help" || k == "-h";
      std::fprintf(help ? stdout : stderr,
                   "usage: dyad_bench_capture [--seconds S] [--periods 64,128,256] [--busy N] [--dir D] [--probe 0|1] [--timer-only 0|1] "
                   "[--control 0|1]\n");
      return help ? 0 : 2;
    }
  }
  if (timer_only) {
    // The machine's timer alone: the probe (and --busy spinners) without JACK or the recorder.
    std::printf("| period (ms) | length (s) | busy threads | wake-ups | wake-ups > 1 period late | share | max late (ms) | SCHED_FIFO |\n"
                "|---|---|---|---|---|---|---|---|\n");
    for (unsigned long period : periods) {
      Burners burn(busy);
      TimerProbe tp(static_cast<std::int64_t>(period) * 1000000000 / 48000);
      std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
      tp.stop();
      burn.stop();
      std::printf("| %.3f | %.0f | %d | %lld | %zu | %.2f %% | %.2f | %s |\n", 1e3 * static_cast<double>(period) / 48000.0, seconds, busy,
                  static_cast<long long>(tp.wakeups), tp.late_at.size(),
                  100.0 * static_cast<double>(tp.late_at.size()) / static_cast<double>(std::max<std::int64_t>(1, tp.wakeups)),
                  static_cast<double>(tp.max_late_ns) * 1e-6, tp.realtime ? "yes" : "no");
      std::fflush(stdout);
    }
    return 0;
  }
  fs::create_directories(dir);
  const fs::path feeder = exe_dir() / "dyad_jack_feeder";
  if (!fs::exists(feeder)) {
    std::fprintf(stderr, "dyad_bench_capture: %s is missing (build the tests)\n", feeder.c_str());
    return 1;
  }
  std::printf("| buffer (frames) | period (ms) | length (s) | callbacks | dropped frames | input overflows | callback p50 (ms) | "
              "p99.9 (ms) | max (ms) | p99.9 / period | writer lag max (ms) | dropouts: JACK clock slips / source losses | frames differing from the source | JACK server xruns |%s\n|---|---|---|---|---|---|---|---|---|---|---|---|---|---|%s\n",
              probe ? " timer probe: wake-ups > 1 period late / max late (ms) | dropouts within 2 periods of a late probe wake-up |" : "",
              probe ? "---|---|" : "");
  std::fflush(stdout);
  for (unsigned long period : periods) {
    const std::string server = "dyad_bench_" + std::to_string(::getpid()) + "_" + std::to_string(period);
    ::setenv("JACK_DEFAULT_SERVER", server.c_str(), 1);
    ::setenv("JACK_NO_START_SERVER", "1", 1);
    ::setenv("JACK_NO_AUDIO_RESERVATION", "1", 1);
    ::setenv("ALSA_CONFIG_PATH", (dir / "alsa.conf").c_str(), 1);
    { std::FILE* f = std::fopen((dir / "alsa.conf").c_str(), "w"); std::fputs("pcm.!default { type null }\n", f); std::fclose(f); }
    const fs::path jlog = dir / ("jackd-" + std::to_string(period) + ".log");
    pid_t jackd = spawn({"jackd", "-S", "-n", server, "-d", "dummy", "-r", "48000", "-p", std::to_string(period), "-C", "2", "-P", "2"}, jlog);
    if (std::system("jack_wait -w -t 10 >/dev/null 2>&1 </dev/null") != 0) {
      std::fprintf(stderr, "jackd did not start for period %lu\n", period);
      stop(jackd);
      continue;
    }
    pid_t fd = spawn({feeder.string(), "dyad_feeder", "2"}, dir / "feeder.log");
    std::this_thread::sleep_for(std::chrono::milliseconds(800));
    Burners burn(busy);  // the other core(s) busy
    std::unique_ptr<TimerProbe> tp;
    if (probe) tp = std::make_unique<TimerProbe>(static_cast<std::int64_t>(period) * 1000000000 / 48000);
    std::int64_t at_late = 0, ndrop = 0;
    const long xr0 = count_xruns(jlog);
    dyad::capture::RecorderStatus st;
    double p50 = 0, p999 = 0, mx = 0;
    std::int64_t ncb = 0, mismatched = 0, slips = 0, losses = 0;
    {
      dyad::capture::PortAudioSession pa;
      auto dev = dyad::capture::find_input_device("dyad_feeder", 2);
      dyad::capture::RecorderConfig c;
      c.session_dir = dir / ("s" + std::to_string(period));
      fs::remove_all(c.session_dir);
      c.manifest = dyad::formats::new_manifest("bench", 1, "other");
      c.device_channels = 2;
      c.channels = {1, 2};
      c.roles = {"A", "B"};
      c.frames_per_buffer = period;
      c.max_frames = static_cast<std::int64_t>(seconds * 48000);
      dyad::capture::Recorder rec(c);
      dyad::capture::InputStream in({dev.index, 2, 48000, period}, rec);
      rec.start_writer();
      in.start();
      while (!rec.status().finished) std::this_thread::sleep_for(std::chrono::milliseconds(200));
      in.stop();
      st = rec.finish();
      if (tp) {
        tp->stop();
        // A slip shows as a dropout starting where the late cycle would have been: match each
        // dropout to a late probe wake-up within two periods of its start (session time, final fit).
        std::vector<double> late_s;
        for (std::int64_t t : tp->late_at) late_s.push_back(rec.session_time_at(t));
        const double tol = 2.0 * static_cast<double>(period) / 48000.0;
        for (auto& d : rec.dropouts()) {
          ++ndrop;
          const double t0 = static_cast<double>(d.start_frame) / 48000.0;
          auto it = std::lower_bound(late_s.begin(), late_s.end(), t0 - tol);
          if (it != late_s.end() && *it <= t0 + static_cast<double>(d.frames) / 48000.0 + tol) ++at_late;
        }
      }
      auto& h = in.callback_durations();
      p50 = h.quantile_s(0.5) * 1e3;
      p999 = h.quantile_s(0.999) * 1e3;
      mx = h.max_s() * 1e3;
      ncb = h.count();
      // check the file against the feeder's signal, outside the listed dropouts
      dyad::formats::AudioReader r(c.session_dir / "audio.wav");
      std::vector<float> x(static_cast<std::size_t>(r.info().frames * 2));
      r.read(x);
      std::vector<char> drop(static_cast<std::size_t>(r.info().frames), 0);
      for (auto& d : rec.dropouts())
        for (std::int64_t f = d.start_frame; f < d.start_frame + d.frames && f < r.info().frames; ++f) drop[static_cast<std::size_t>(f)] = 1;
      auto chk = dyad::test::check_feeder_capture(x, drop);
      mismatched = chk.mismatched + chk.nonzero_in_dropout + chk.bad_jumps;
      slips = chk.slips;
      losses = chk.losses;
    }
    const long xr_dyad = count_xruns(jlog) - xr0;
    long xr_feeder = -1, xr_jackrec = -1;
    if (control) {
      const auto phase = std::chrono::duration<double>(seconds);
      long a = count_xruns(jlog);
      std::this_thread::sleep_for(phase);
      xr_feeder = count_xruns(jlog) - a;
      const fs::path wav = dir / "jack_rec.wav";
      pid_t jr = spawn({"jack_rec", "-f", wav.string(), "-d", std::to_string(static_cast<long>(seconds) + 1), "-b", "32",
                        "dyad_feeder:out_1", "dyad_feeder:out_2"},
                       dir / "jack_rec.log");
      std::this_thread::sleep_for(std::chrono::milliseconds(500));  // connected
      a = count_xruns(jlog);
      std::this_thread::sleep_for(phase);
      xr_jackrec = count_xruns(jlog) - a;
      stop(jr);
      std::error_code ec;
      if (fs::file_size(wav, ec) < 48000 * 8)
        std::fprintf(stderr, "jack_rec recorded less than a second: see %s\n", (dir / "jack_rec.log").c_str());
      else
        fs::remove(dir / "jack_rec.log");
      fs::remove(wav);
    }
    burn.stop();
    stop(fd);
    stop(jackd);
    const double per_ms = 1e3 * static_cast<double>(period) / 48000.0;
    std::printf("| %lu | %.3f | %.0f | %lld | %lld | %lld | %.3f | %.3f | %.3f | %.1f %% | %.1f | %lld / %lld | %lld |", period, per_ms, seconds,
                static_cast<long long>(ncb), static_cast<long long>(st.zero_filled_frames), static_cast<long long>(st.overflows),
                p50, p999, mx, 100 * p999 / per_ms, st.writer_lag_max_s * 1e3, static_cast<long long>(slips),
                static_cast<long long>(losses), static_cast<long long>(mismatched));
    if (control) std::printf(" %ld (feeder alone %ld, jack_rec %ld) |", xr_dyad, xr_feeder, xr_jackrec);
    else std::printf(" %ld |", xr_dyad);
    if (tp)
      std::printf(" %zu of %lld%s / %.2f | %lld of %lld |", tp->late_at.size(), static_cast<long long>(tp->wakeups),
                  tp->realtime ? "" : " (not SCHED_FIFO)", static_cast<double>(tp->max_late_ns) * 1e-6,
                  static_cast<long long>(at_late), static_cast<long long>(ndrop));
    std::printf("\n");
    std::fflush(stdout);
    if (mismatched == 0) fs::remove_all(dir / ("s" + std::to_string(period)));
    else std::fprintf(stderr, "kept %s for inspection\n", (dir / ("s" + std::to_string(period))).c_str());
  }
  fs::remove(dir / "alsa.conf");
  fs::remove(dir / "feeder.log");
  return 0;
}
