// Playback start/stop through PortAudio on a JACK dummy server (a real, real-time paced clock).
#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/wait.h>
#include <fcntl.h>

#include <chrono>
#include <cstdlib>
#include <thread>

#include "dyad/capture/player.hpp"
#include "dyad/formats/audio.hpp"
#include "test_util.hpp"

extern char** environ;

namespace {
using namespace std::chrono_literals;

/// jackd -d dummy for the life of the test suite; skip() says why when it cannot start.
class JackDummy {
 public:
  JackDummy() {
    name_ = "dyad_viewer_" + std::to_string(::getpid());
    ::setenv("JACK_DEFAULT_SERVER", name_.c_str(), 1);
    ::setenv("JACK_NO_AUDIO_RESERVATION", "1", 1);
    ::setenv("JACK_NO_START_SERVER", "1", 1);
    // The system's ALSA configuration loads plugins whose allocations LeakSanitizer reports from an
    // unloaded module (no suppression can name it): PortAudio sees only a null ALSA default here.
    ::setenv("ALSA_CONFIG_PATH", DYAD_TEST_DATA "/alsa/minimal.conf", 1);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    std::vector<std::string> args{"jackd", "-n", name_, "-d", "dummy", "-r", "48000", "-p", "256", "-C", "2", "-P", "2"};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    if (posix_spawnp(&pid_, "jackd", &fa, nullptr, argv.data(), environ) != 0) {
      why_ = "jackd is not installed";
      pid_ = -1;
    }
    posix_spawn_file_actions_destroy(&fa);
    if (pid_ > 0) {
      std::string wait = "jack_wait -w -t 10 -s " + name_ + " >/dev/null 2>&1 </dev/null";
      if (std::system(wait.c_str()) != 0) why_ = "jackd -d dummy did not start within 10 s";
    }
  }
  ~JackDummy() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int st = 0;
      ::waitpid(pid_, &st, 0);
    }
  }
  const std::string& why_not() const { return why_; }

 private:
  std::string name_, why_;
  pid_t pid_ = -1;
};

JackDummy& jack() {
  static JackDummy j;
  return j;
}

std::filesystem::path two_seconds(const dyad::test::TempDir& d) {
  auto x = dyad::test::sine(440, 48000, 2 * 96000, 0.3);
  dyad::formats::AudioWriter w(d / "audio.wav", 48000, 2);
  w.write(x);
  w.close();
  return d / "audio.wav";
}
}  // namespace

TEST(Player, StartsMovesAndStopsOnTheJackDummyServer) {
  if (!jack().why_not().empty()) GTEST_SKIP() << "skipped: " << jack().why_not();
  dyad::test::TempDir d;
  dyad::capture::Player p(two_seconds(d), {"JACK"});
  EXPECT_NE(p.device_name().find("JACK"), std::string::npos) << p.device_name();
  EXPECT_FALSE(p.playing());
  p.start(0.5, {1.f, 0.f});
  EXPECT_TRUE(p.playing());
  std::this_thread::sleep_for(300ms);
  double pos = p.position_s();
  EXPECT_GT(pos, 0.6);   // 0.3 s played, less start-up slack
  EXPECT_LT(pos, 1.3);
  p.stop();
  EXPECT_FALSE(p.playing());
  double stopped = p.position_s();
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(p.position_s(), stopped);  // the play head stays where it stopped
  EXPECT_EQ(p.underruns(), 0u);
}

TEST(Player, PlaysToTheEndAndFinishes) {
  if (!jack().why_not().empty()) GTEST_SKIP() << "skipped: " << jack().why_not();
  dyad::test::TempDir d;
  dyad::capture::Player p(two_seconds(d), {"JACK"});
  p.start(1.8, {1.f, 1.f});
  for (int i = 0; i < 300 && p.playing(); ++i) std::this_thread::sleep_for(10ms);
  EXPECT_FALSE(p.playing());
  EXPECT_DOUBLE_EQ(p.position_s(), 2.0);  // every frame to the last was handed to the device
  p.stop();
}

TEST(Player, UnknownDeviceIsAClearError) {
  if (!jack().why_not().empty()) GTEST_SKIP() << "skipped: " << jack().why_not();
  dyad::test::TempDir d;
  try {
    dyad::capture::Player p(two_seconds(d), {"no-such-device"});
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()), "no audio output device matches 'no-such-device' (see 'dyad devices')");
  }
}
