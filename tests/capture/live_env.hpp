#pragma once
/// \file Shared by the live capture tests and the fault-injection tests: the private JACK dummy
/// server and feeder (started by the CTest fixture capture_jack_start, or here when a test program
/// runs alone), a shell runner, and the check of a capture against the feeder's known signal.
/// Include once per test program (it registers a GoogleTest environment).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <string>

#include "dyad/formats/audio.hpp"
#include "dyad/formats/session.hpp"
#include "feeder_signal.hpp"
#include "test_util.hpp"

namespace fs = std::filesystem;

namespace {
const fs::path kState = DYAD_JACK_STATE;
bool g_started_here = false;
std::string g_skip;

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::string s((std::istreambuf_iterator<char>(in)), {});
  while (!s.empty() && s.back() == '\n') s.pop_back();
  return s;
}

class JackEnv : public ::testing::Environment {
 public:
  void SetUp() override {
    if (!fs::exists(kState / "server")) {  // not under the CTest fixture: start our own
      std::string name = "dyad_live_" + std::to_string(::getpid());
      std::string cmd = std::string(DYAD_JACK_SCRIPTS) + "/jack_start.sh " + name + " '" + kState.string() + "' '" +
                        DYAD_BIN_DIR + "/dyad_jack_feeder'";
      if (std::system(cmd.c_str()) == 0 && fs::exists(kState / "server")) g_started_here = true;
    }
    if (fs::exists(kState / "skip")) g_skip = slurp(kState / "skip");
    if (!fs::exists(kState / "server") && g_skip.empty()) g_skip = "no JACK server was started";
    if (g_skip.empty()) {
      ::setenv("JACK_DEFAULT_SERVER", slurp(kState / "server").c_str(), 1);
      ::setenv("JACK_NO_START_SERVER", "1", 1);
      ::setenv("JACK_NO_AUDIO_RESERVATION", "1", 1);
      ::setenv("ALSA_CONFIG_PATH", DYAD_TEST_DATA "/alsa/minimal.conf", 1);
    }
  }
  void TearDown() override {
    if (g_started_here) std::system((std::string(DYAD_JACK_SCRIPTS) + "/jack_stop.sh '" + kState.string() + "'").c_str());
  }
};
const auto* const g_env = ::testing::AddGlobalTestEnvironment(new JackEnv);

#define SKIP_WITHOUT_JACK() \
  if (!g_skip.empty()) GTEST_SKIP() << "live capture tests skipped: " << g_skip

struct Run {
  int status;
  std::string out;
};

Run sh(const std::string& cmd) {
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  std::string out;
  std::array<char, 4096> buf{};
  while (std::size_t n = std::fread(buf.data(), 1, buf.size(), p)) out.append(buf.data(), n);
  int st = ::pclose(p);
  return {WIFEXITED(st) ? WEXITSTATUS(st) : -1, out};
}

std::string dyad_exe() { return std::string(DYAD_BIN_DIR) + "/dyad"; }
std::string q(const fs::path& p) { return "'" + p.string() + "'"; }

/// Checks audio.wav against the feeder's signal; returns the number of frames compared.
std::int64_t expect_equals_source(const fs::path& dir) {
  auto s = dyad::formats::Session::open(dir);
  dyad::formats::AudioReader r(s.audio_path());
  const auto n = r.info().frames;
  EXPECT_EQ(r.info().channels, 2);
  std::vector<float> x(static_cast<std::size_t>(n * 2));
  EXPECT_EQ(r.read(x), n);
  std::vector<char> dropped(static_cast<std::size_t>(n), 0);
  for (auto& d : s.manifest.dropouts) {
    auto a = static_cast<std::int64_t>(std::llround(d.start_s * 48000));
    for (std::int64_t f = a; f < a + d.frames && f < n; ++f) dropped[static_cast<std::size_t>(f)] = 1;
  }
  auto c = dyad::test::check_feeder_capture(x, dropped);
  EXPECT_EQ(c.mismatched, 0) << dir;
  EXPECT_EQ(c.nonzero_in_dropout, 0) << dir;
  EXPECT_EQ(c.bad_jumps, 0) << dir;
  return c.compared;
}
}  // namespace

