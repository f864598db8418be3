#include "demo_capture.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <fcntl.h>
#include <fstream>
#include <iostream>

#include "common.hpp"

namespace dyad::cli {

namespace fs = std::filesystem;

bool demo_live_capture(const fs::path& self, const fs::path& out) {
  auto jackd = find_program("jackd");
  if (jackd.empty()) {
    std::cout << "jackd is not installed (package jackd2): no live capture on a machine without a sound card; skipped\n";
    return false;
  }
  std::error_code ec;
  const std::string server = "dyad_demo_" + std::to_string(::getpid());
  fs::path tmp = fs::temp_directory_path() / server;
  fs::create_directories(tmp, ec);
  // the known source: 10 s of two sines (A 220 Hz, B 330 Hz), longer than the capture
  {
    std::ofstream raw(tmp / "source.raw", std::ios::binary);
    for (int k = 0; k < 48000 * 10; ++k) {
      float v[2] = {static_cast<float>(0.3 * std::sin(2 * M_PI * 220 * k / 48000.0)),
                    static_cast<float>(0.2 * std::sin(2 * M_PI * 330 * k / 48000.0))};
      raw.write(reinterpret_cast<const char*>(v), sizeof v);
    }
    std::ofstream conf(tmp / "alsa.conf");
    conf << "pcm.dyad_jack { type jack\n  capture_ports { 0 \"system:capture_1\" 1 \"system:capture_2\" }\n"
            "  playback_ports { 0 \"system:playback_1\" 1 \"system:playback_2\" } }\n"
            "pcm.dyad_demo_source { type file slave.pcm \"dyad_jack\" file \"/dev/null\" infile \""
         << (tmp / "source.raw").string() << "\" format \"raw\" }\npcm.!default dyad_jack\n";
  }
  std::vector<std::string> env = {"JACK_DEFAULT_SERVER=" + server, "JACK_NO_START_SERVER=1", "JACK_NO_AUDIO_RESERVATION=1",
                                  "ALSA_CONFIG_PATH=" + (tmp / "alsa.conf").string()};
  std::cout.flush();
  pid_t pid = ::fork();
  if (pid == 0) {
    int nul = ::open("/dev/null", O_RDWR);
    int log = ::open((tmp / "jackd.log").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ::dup2(nul, 0);
    ::dup2(log, 1);
    ::dup2(log, 2);
    ::setenv("JACK_NO_AUDIO_RESERVATION", "1", 1);
    ::execl(jackd.c_str(), "jackd", "-n", server.c_str(), "-d", "dummy", "-r", "48000", "-p", "256", "-C", "2", "-P", "2",
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  bool ok = false;
  auto jack_wait = find_program("jack_wait");
  if (pid > 0 && !jack_wait.empty() && run_program(jack_wait, {"-w", "-t", "10"}, env) == 0) {
    std::cout << "a private JACK dummy server '" << server << "' plays two sines (A 220 Hz, B 330 Hz) as the microphones\n";
    int rc = run_program(self, {"record", out.string(), "--device", "dyad_demo_source", "--channels", "1,2", "--roles", "A,B",
                                "--duration", "3", "--preflight-seconds", "1", "--couple", "demo", "--session-type", "other"},
                         env);
    ok = rc == 0 && run_program(self, {"info", out.string()}) == 0;
  } else {
    std::cout << "the JACK dummy server did not start (see " << (tmp / "jackd.log").string() << "); live capture skipped\n";
  }
  if (pid > 0) {
    ::kill(pid, SIGTERM);
    int st = 0;
    ::waitpid(pid, &st, 0);
  }
  if (ok) fs::remove_all(tmp, ec);
  return ok;
}

}  // namespace dyad::cli
