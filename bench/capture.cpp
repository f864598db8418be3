// bench/capture: the real-time capture pipeline under load, through the real PortAudio library.
// For each buffer size a private JACK dummy server is (re)started with that period, the
// known-signal feeder (dyad_jack_feeder, built with the tests) plays into it, and the Recorder
// records 2 channels for --seconds while --busy threads spin. Reports dropped frames, callback
// duration p50/p99.9/max against the period, and the writer's lag. Not a test: figures go to
// bench/RESULTS.md.
//   dyad_bench_capture [--seconds 180] [--periods 64,128,256] [--busy 1] [--dir /tmp/x]
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
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
}  // namespace

int main(int argc, char** argv) {
  double seconds = 180;
  std::vector<unsigned long> periods = {64, 128, 256};
  int busy = 1;
  fs::path dir = fs::temp_directory_path() / ("dyad-bench-capture-" + std::to_string(::getpid()));
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--seconds") seconds = std::stod(v);
    else if (k == "--busy") busy = std::stoi(v);
    else if (k == "--dir") dir = v;
    else if (k == "--periods") {
      periods.clear();
      for (std::size_t p = 0; p < v.size();) {
        auto c = v.find(',', p);
        periods.push_back(std::stoul(v.substr(p, c - p)));
        p = c == std::string::npos ? v.size() : c + 1;
      }
    } else {
      std::fprintf(stderr, "usage: dyad_bench_capture [--seconds S] [--periods 64,128,256] [--busy N] [--dir D]\n");
      return 2;
    }
  }
  fs::create_directories(dir);
  const fs::path feeder = exe_dir() / "dyad_jack_feeder";
  if (!fs::exists(feeder)) {
    std::fprintf(stderr, "dyad_bench_capture: %s is missing (build the tests)\n", feeder.c_str());
    return 1;
  }
  std::printf("| buffer (frames) | period (ms) | length (s) | callbacks | dropped frames | input overflows | callback p50 (ms) | "
              "p99.9 (ms) | max (ms) | p99.9 / period | writer lag max (ms) | dropouts: JACK clock slips / source losses | frames differing from the source |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
  std::fflush(stdout);
  for (unsigned long period : periods) {
    const std::string server = "dyad_bench_" + std::to_string(::getpid()) + "_" + std::to_string(period);
    ::setenv("JACK_DEFAULT_SERVER", server.c_str(), 1);
    ::setenv("JACK_NO_START_SERVER", "1", 1);
    ::setenv("JACK_NO_AUDIO_RESERVATION", "1", 1);
    ::setenv("ALSA_CONFIG_PATH", (dir / "alsa.conf").c_str(), 1);
    { std::FILE* f = std::fopen((dir / "alsa.conf").c_str(), "w"); std::fputs("pcm.!default { type null }\n", f); std::fclose(f); }
    pid_t jackd = spawn({"jackd", "-S", "-n", server, "-d", "dummy", "-r", "48000", "-p", std::to_string(period), "-C", "2", "-P", "2"},
                        dir / ("jackd-" + std::to_string(period) + ".log"));
    if (std::system("jack_wait -w -t 10 >/dev/null 2>&1 </dev/null") != 0) {
      std::fprintf(stderr, "jackd did not start for period %lu\n", period);
      stop(jackd);
      continue;
    }
    pid_t fd = spawn({feeder.string(), "dyad_feeder", "2"}, dir / "feeder.log");
    std::this_thread::sleep_for(std::chrono::milliseconds(800));
    std::atomic<bool> spin{true};
    std::vector<std::thread> burners;
    for (int b = 0; b < busy; ++b)
      burners.emplace_back([&] {
        volatile std::uint64_t x = 0;
        while (spin.load(std::memory_order_relaxed)) x = x + 1;
      });
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
    spin = false;
    for (auto& t : burners) t.join();
    stop(fd);
    stop(jackd);
    const double per_ms = 1e3 * static_cast<double>(period) / 48000.0;
    std::printf("| %lu | %.3f | %.0f | %lld | %lld | %lld | %.3f | %.3f | %.3f | %.1f %% | %.1f | %lld / %lld | %lld |\n", period, per_ms, seconds,
                static_cast<long long>(ncb), static_cast<long long>(st.zero_filled_frames), static_cast<long long>(st.overflows),
                p50, p999, mx, 100 * p999 / per_ms, st.writer_lag_max_s * 1e3, static_cast<long long>(slips),
                static_cast<long long>(losses), static_cast<long long>(mismatched));
    std::fflush(stdout);
    if (mismatched == 0) fs::remove_all(dir / ("s" + std::to_string(period)));
    else std::fprintf(stderr, "kept %s for inspection\n", (dir / ("s" + std::to_string(period))).c_str());
  }
  fs::remove(dir / "alsa.conf");
  fs::remove(dir / "feeder.log");
  return 0;
}
