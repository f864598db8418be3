// The recorder core driven directly with synthetic blocks (no PortAudio): the callback's
// whole-block policy, overflow with a tiny ring, device-level loss found from host time, the
// manifest at start and end, and a write error (file-size limit) that stops cleanly.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <csignal>
#include <fstream>
#include <thread>

#include "dyad/formats/error.hpp"
#include <cstdint>
#include <vector>

#include "dyad/capture/recorder.hpp"
#include "dyad/capture/recover.hpp"
#include "dyad/formats/audio.hpp"
#include "dyad/formats/manifest.hpp"
#include "dyad/formats/session.hpp"
#include "test_util.hpp"

using namespace dyad::capture;
namespace fs = std::filesystem;

namespace {
constexpr double kRate = 48000;
constexpr std::size_t kBlock = 256;
constexpr std::int64_t kPeriodNs = 5333333;  // 256 / 48000 s

/// Device channel c of device frame k: unique per frame and channel, exact in float.
float value(std::int64_t k, int c) { return static_cast<float>((k % 100000) * 4 + c) / 524288.0f; }

std::vector<float> device_block(std::int64_t first, std::size_t n, int ch) {
  std::vector<float> b(n * static_cast<std::size_t>(ch));
  for (std::size_t i = 0; i < n; ++i)
    for (int c = 0; c < ch; ++c) b[i * static_cast<std::size_t>(ch) + static_cast<std::size_t>(c)] = value(first + static_cast<std::int64_t>(i), c);
  return b;
}

RecorderConfig config(const fs::path& dir, std::size_t ring_frames = 0) {
  RecorderConfig c;
  c.session_dir = dir;
  c.manifest = dyad::formats::new_manifest("C1", 2, "dosing");
  c.sample_rate_hz = kRate;
  c.device_channels = 3;
  c.channels = {3, 1};  // file channel 1 = device channel 3 (A), file channel 2 = device channel 1 (B)
  c.roles = {"A", "B"};
  c.frames_per_buffer = kBlock;
  c.ring_frames = ring_frames;
  return c;
}

std::vector<float> read_all(const fs::path& p, dyad::formats::AudioInfo& info) {
  dyad::formats::AudioReader r(p);
  info = r.info();
  std::vector<float> x(static_cast<std::size_t>(info.frames * info.channels));
  EXPECT_EQ(r.read(x), info.frames);
  return x;
}

/// Feeds device blocks [from, to) with regular host times starting at t0.
void feed(Recorder& rec, std::int64_t from_block, std::int64_t to_block, std::int64_t t0_ns, std::int64_t device_frame_of_first,
          bool overflow_first = false) {
  for (std::int64_t b = from_block; b < to_block; ++b) {
    auto blk = device_block(device_frame_of_first + (b - from_block) * static_cast<std::int64_t>(kBlock), kBlock, 3);
    rec.on_audio(blk.data(), kBlock, overflow_first && b == from_block, t0_ns + (b + 1) * kPeriodNs);
  }
}
}  // namespace

TEST(Recorder, WritesChannelsInPlaceAndManifestAtStartAndEnd) {
  dyad::test::TempDir d;
  auto dir = d / "s";
  Recorder rec(config(dir));
  auto m0 = dyad::formats::read_manifest(dir);
  EXPECT_EQ(m0.status, "recording");
  EXPECT_EQ(m0.session_type, "dosing");
  ASSERT_TRUE(m0.audio);
  EXPECT_EQ(m0.audio->channels.size(), 2u);
  EXPECT_EQ(dyad::test::mode_of(dir), 0700u);
  feed(rec, 0, 200, 1'000'000'000LL, 0);
  auto st = rec.finish();
  EXPECT_EQ(st.frames_written, 200 * static_cast<std::int64_t>(kBlock));
  EXPECT_EQ(st.zero_filled_frames, 0);
  EXPECT_TRUE(st.error.empty()) << st.error;
  dyad::formats::AudioInfo info;
  auto x = read_all(dir / "audio.wav", info);
  ASSERT_EQ(info.channels, 2);
  for (std::int64_t k = 0; k < info.frames; ++k) {
    ASSERT_EQ(x[static_cast<std::size_t>(2 * k)], value(k, 2)) << k;
    ASSERT_EQ(x[static_cast<std::size_t>(2 * k + 1)], value(k, 0)) << k;
  }
  auto s = dyad::formats::Session::open(dir);
  EXPECT_EQ(s.manifest.status, "complete");
  EXPECT_TRUE(s.manifest.dropouts.empty());
  EXPECT_FALSE(s.manifest.start_utc.empty());
  EXPECT_EQ(s.audio_roles(), (std::vector<std::string>{"A", "B"}));
  EXPECT_EQ(dyad::test::mode_of(dir / "audio.wav"), 0600u);
}

TEST(Recorder, RingOverflowIsCountedZeroFilledListedAndChannelsNeverRotate) {
  dyad::test::TempDir d;
  auto dir = d / "s";
  Recorder rec(config(dir, 600));  // room for two 256-frame blocks, not three
  std::int64_t t = 1'000'000'000LL;
  std::int64_t dev = 0;
  auto push = [&](std::size_t n) {
    auto b = device_block(dev, n, 3);
    rec.on_audio(b.data(), n, false, t += kPeriodNs);
    dev += static_cast<std::int64_t>(n);
  };
  push(256);
  push(256);
  push(256);  // refused whole: 88 frames free
  push(100);  // fits: 100 <= 88? no -> refused too
  push(80);   // fits in the 88 left
  rec.drain();
  push(256);
  auto st = rec.finish();
  EXPECT_EQ(st.ring_dropped_frames, 356);
  EXPECT_EQ(st.zero_filled_frames, 356);
  EXPECT_EQ(st.frames_written, dev);
  auto drops = rec.dropouts();
  ASSERT_EQ(drops.size(), 1u);
  EXPECT_EQ(drops[0].start_frame, 512);
  EXPECT_EQ(drops[0].frames, 356);
  dyad::formats::AudioInfo info;
  auto x = read_all(dir / "audio.wav", info);
  ASSERT_EQ(info.frames, dev);
  for (std::int64_t k = 0; k < info.frames; ++k) {
    bool dropped = k >= 512 && k < 868;
    ASSERT_EQ(x[static_cast<std::size_t>(2 * k)], dropped ? 0.0f : value(k, 2)) << k;
    ASSERT_EQ(x[static_cast<std::size_t>(2 * k + 1)], dropped ? 0.0f : value(k, 0)) << k;
  }
  auto m = dyad::formats::read_manifest(dir);
  ASSERT_EQ(m.dropouts.size(), 1u);
  EXPECT_DOUBLE_EQ(m.dropouts[0].start_s, 512 / kRate);
  EXPECT_EQ(m.dropouts[0].frames, 356);
  EXPECT_EQ(m.extra["capture"]["ring_dropped_frames"], 356);
}

TEST(Recorder, DeviceLossFoundFromHostTimeIsZeroFilledWhereItHappened) {
  dyad::test::TempDir d;
  auto dir = d / "s";
  Recorder rec(config(dir));
  const std::int64_t t0 = 5'000'000'000LL;
  // 200 regular blocks (1.07 s), then the device loses two periods: host time jumps, the
  // frame count does not, PortAudio flags an overflow; then 100 more regular blocks.
  feed(rec, 0, 200, t0, 0);
  feed(rec, 202, 302, t0, 200 * static_cast<std::int64_t>(kBlock), true);
  auto st = rec.finish();
  EXPECT_EQ(st.overflows, 1);
  EXPECT_EQ(st.device_lost_frames, 512);
  EXPECT_EQ(st.frames_written, 302 * static_cast<std::int64_t>(kBlock));
  auto drops = rec.dropouts();
  ASSERT_EQ(drops.size(), 1u);
  EXPECT_EQ(drops[0].start_frame, 200 * 256);
  EXPECT_EQ(drops[0].frames, 512);
  dyad::formats::AudioInfo info;
  auto x = read_all(dir / "audio.wav", info);
  // after the gap the device's frame k sits at file frame k + 512
  for (std::int64_t f = 200 * 256 + 512; f < info.frames; ++f) ASSERT_EQ(x[static_cast<std::size_t>(2 * f)], value(f - 512, 2)) << f;
  for (std::int64_t f = 200 * 256; f < 200 * 256 + 512; ++f) ASSERT_EQ(x[static_cast<std::size_t>(2 * f)], 0.0f);
}

TEST(Recorder, LateCallbacksWithoutLossInsertNothing) {
  dyad::test::TempDir d;
  Recorder rec(config(d / "s"));
  const std::int64_t t0 = 5'000'000'000LL;
  std::int64_t dev = 0;
  for (int b = 0; b < 400; ++b) {
    // every 50th callback 12 ms late, the next ones catch up (a scheduling hiccup, no loss)
    std::int64_t late = (b % 50 == 0 && b > 0) ? 12'000'000 : 0;
    auto blk = device_block(dev, kBlock, 3);
    rec.on_audio(blk.data(), kBlock, b == 100, t0 + (b + 1) * kPeriodNs + late);
    dev += kBlock;
  }
  auto st = rec.finish();
  EXPECT_EQ(st.device_lost_frames, 0);
  EXPECT_EQ(st.zero_filled_frames, 0);
  EXPECT_EQ(st.frames_written, dev);
}

TEST(Recorder, FullStampQueueDropsUnannouncedBlocksAsZeros) {
  dyad::test::TempDir d;
  auto c = config(d / "s");
  c.stamp_capacity = 2;
  Recorder rec(c);
  feed(rec, 0, 4, 1'000'000'000LL, 0);  // blocks 2 and 3 have no room for a stamp
  rec.drain();
  feed(rec, 4, 6, 1'000'000'000LL, 4 * 256);
  auto st = rec.finish();
  EXPECT_EQ(st.ring_dropped_frames, 512);
  auto drops = rec.dropouts();
  ASSERT_EQ(drops.size(), 1u);
  EXPECT_EQ(drops[0].start_frame, 512);
  EXPECT_EQ(drops[0].frames, 512);
  EXPECT_EQ(st.frames_written, 6 * 256);
}

TEST(Recorder, MaxFramesStopsExactly) {
  dyad::test::TempDir d;
  auto c = config(d / "s");
  c.max_frames = 1000;
  Recorder rec(c);
  feed(rec, 0, 10, 1'000'000'000LL, 0);
  auto st = rec.finish();
  EXPECT_EQ(st.frames_written, 1000);
  EXPECT_EQ(dyad::formats::probe_audio(d / "s" / "audio.wav").frames, 1000);
}

TEST(Recorder, SessionTimeFollowsTheAudioClock) {
  dyad::test::TempDir d;
  Recorder rec(config(d / "s"));
  const std::int64_t t0 = 2'000'000'000LL;
  feed(rec, 0, 1000, t0, 0);  // 5.3 s
  rec.drain();
  // a host time 3 s after the first frame's arrival maps to ~3 s of audio
  double s = rec.session_time_at(t0 + kPeriodNs + 3'000'000'000LL);
  EXPECT_NEAR(s, 3.0 + 256 / kRate, 1e-6);
}

TEST(Recorder, RefusesBadConfigurations) {
  dyad::test::TempDir d;
  auto c = config(d / "s");
  c.roles = {"A"};
  EXPECT_THROW({ Recorder r(c); }, std::invalid_argument);
  c = config(d / "s");
  c.channels = {4, 1};
  try {
    Recorder r(c);
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "Recorder: channel 4 is not among the device's 1..3");
  }
  fs::create_directories(d / "full");
  std::ofstream(d / "full" / "x") << "x";
  c = config(d / "full");
  EXPECT_THROW({ Recorder r(c); }, dyad::formats::FormatError);
}

// A file-size limit (as a full disk would): the writer stops, the message says so, the audio
// up to there is valid and the manifest is complete.
TEST(Recorder, WriteErrorStopsCleanlyAndKeepsWhatWasWritten) {
  dyad::test::TempDir d;
  auto dir = d / "s";
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    std::signal(SIGXFSZ, SIG_IGN);
    rlimit rl{200000, 200000};
    ::setrlimit(RLIMIT_FSIZE, &rl);
    int code = 0;
    {
      Recorder rec(config(dir));
      rec.start_writer();
      for (std::int64_t b = 0; b < 400; ++b) {
        feed(rec, b, b + 1, 1'000'000'000LL, b * 256);
        std::this_thread::sleep_for(std::chrono::microseconds(200));
      }
      auto st = rec.finish();
      code = st.error.find("write failed") != std::string::npos ? 0 : 3;
    }
    ::_exit(code);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  auto s = dyad::formats::Session::open(dir);
  EXPECT_EQ(s.manifest.status, "complete");
  ASSERT_TRUE(s.audio);
  EXPECT_GT(s.audio->frames, 10000);
  EXPECT_LT(s.audio->frames, 200000 / 8);
  EXPECT_NE(s.manifest.extra["capture"]["stopped_by_error"].get<std::string>().find("write failed"), std::string::npos);
  dyad::formats::AudioInfo info;
  auto x = read_all(dir / "audio.wav", info);
  for (std::int64_t k = 0; k < info.frames; ++k) ASSERT_EQ(x[static_cast<std::size_t>(2 * k)], value(k, 2)) << k;
}

// A client that misses one small cycle while callbacks keep their pace (no overflow flag, no
// late arrival): host time runs one block ahead of the frame count from there on.
TEST(Recorder, OneMissingSmallBlockWithRegularArrivalsIsFound) {
  dyad::test::TempDir d;
  auto c = config(d / "s");
  c.frames_per_buffer = 64;
  Recorder rec(c);
  const std::int64_t period = 1333333;  // 64 / 48000 s
  std::int64_t dev = 0;
  for (int b = 0; b < 1000; ++b) {
    if (b == 600) continue;  // this cycle never reaches the recorder
    auto blk = device_block(dev, 64, 3);
    rec.on_audio(blk.data(), 64, false, 3'000'000'000LL + (b + 1) * period);
    dev += 64;
  }
  auto st = rec.finish();
  EXPECT_EQ(st.device_lost_frames, 64);
  auto drops = rec.dropouts();
  ASSERT_EQ(drops.size(), 1u);
  EXPECT_EQ(drops[0].start_frame, 600 * 64);
  EXPECT_EQ(drops[0].frames, 64);
  EXPECT_EQ(st.frames_written, 1000 * 64);
}

// DESIGN.md "Clocks": the audio clock fit is piecewise over long sessions. An interface whose
// clock runs 100 ppm slow for almost 6 minutes, then 100 ppm fast (exaggerated): one line would
// be up to 9 ms off in the middle; the whole-session fit (pieces of at least 300 s, here two of
// 350 s, joined where the drift changes) follows both halves.
TEST(Recorder, TheAudioClockFitIsPiecewiseOverTheSession) {
  dyad::test::TempDir d;
  auto c = config(d / "s");
  c.sample_rate_hz = 8000;
  Recorder rec(c);
  const double rate = 8000, half_s = 350;
  auto host_of = [&](double f_s) {  // true CLOCK_MONOTONIC seconds of frame time f_s
    return 5.0 + (f_s <= half_s ? f_s * (1 + 100e-6) : half_s * (1 + 100e-6) + (f_s - half_s) * (1 - 100e-6));
  };
  std::uint32_t lcg = 1;
  const std::int64_t blocks = static_cast<std::int64_t>(2 * half_s * rate / kBlock);
  for (std::int64_t b = 0; b < blocks; ++b) {
    auto blk = device_block(b * static_cast<std::int64_t>(kBlock), kBlock, 3);
    lcg = lcg * 1664525u + 1013904223u;
    const double jitter_s = 0.0002 + 0.003 * static_cast<double>(lcg >> 8) / 16777216.0;  // delivery 0.2-3.2 ms late
    const double h = host_of(static_cast<double>((b + 1) * static_cast<std::int64_t>(kBlock)) / rate) + jitter_s;
    rec.on_audio(blk.data(), kBlock, false, static_cast<std::int64_t>(std::llround(h * 1e9)));
    if (b % 16 == 0) rec.drain();
  }
  auto st = rec.finish();
  EXPECT_EQ(st.device_lost_frames, 0);
  for (double f : {10.0, 175.0, 340.0, 350.0, 360.0, 525.0, 690.0}) {
    const double s = rec.session_time_at(static_cast<std::int64_t>(std::llround((host_of(f) + 0.0002) * 1e9)));
    EXPECT_NEAR(s, f, 0.5e-3) << "frame time " << f << " s";
  }
  auto m = dyad::formats::read_manifest(d / "s");
  const auto& cf = m.extra["capture"]["clock_fit"];
  ASSERT_TRUE(cf.contains("pieces")) << cf.dump();
  EXPECT_EQ(cf["pieces"].size(), 2u) << cf.dump();
  EXPECT_NEAR(cf["monotonic_at_frame0_s"].get<double>(), 5.0002, 0.5e-3) << cf.dump();
  EXPECT_LT(cf["residual_ms"].get<double>(), 3.0);
}

// The bug the kill -9 trials found (commit 630aa70), without random kills: the recorder must list
// a dropout in session.json BEFORE its zeros reach audio.wav, so that a kill between the two never
// leaves zeros the manifest does not list. Here the zeros' write itself fails (a file-size limit
// 100 frames into them, as a kill in the middle of the write would leave it) and the child process
// ends without finishing, as after kill -9: session.json must already list the dropout, longer
// than the audio that survived, and `dyad recover` must cut it to the end of the audio.
TEST(Recorder, DropoutIsListedBeforeItsZerosAndRecoverCutsItToTheAudio) {
  dyad::test::TempDir d;
  auto dir = d / "s";
  constexpr std::int64_t kBefore = 200 * 256;  // frames before the device loss
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    std::signal(SIGXFSZ, SIG_IGN);
    auto c = config(dir);
    c.disk_reserve_bytes = 64 * 1024;
    Recorder rec(c);
    const std::int64_t t0 = 5'000'000'000LL;
    feed(rec, 0, 200, t0, 0);
    rec.drain();
    const auto written = static_cast<rlim_t>(fs::file_size(dir / "audio.wav"));  // header + kBefore frames
    rlimit rl{written + 100 * 8, written + 100 * 8};  // room for 100 more frames of 2 float channels
    ::setrlimit(RLIMIT_FSIZE, &rl);
    feed(rec, 202, 302, t0, kBefore, true);  // the device lost two periods (512 frames)
    rec.drain();                             // the zeros' write fails 100 frames in
    ::_exit(rec.status().error.find("write failed") != std::string::npos ? 0 : 3);  // no finish(): a kill
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 0);
  auto m = dyad::formats::read_manifest(dir);
  EXPECT_EQ(m.status, "recording");
  ASSERT_EQ(m.dropouts.size(), 1u);  // listed although its zeros never all reached the file
  EXPECT_DOUBLE_EQ(m.dropouts[0].start_s, kBefore / kRate);
  EXPECT_EQ(m.dropouts[0].frames, 512);

  auto rep = recover_session(dir);
  EXPECT_EQ(rep.audio_frames, kBefore + 100);
  bool said = false;
  for (auto& a : rep.actions) said |= a.find("session.json: the dropout at 1.067 s (512 frames) was cut to the end of the audio (100 frames)") != std::string::npos;
  EXPECT_TRUE(said);
  auto s = dyad::formats::Session::open(dir);
  EXPECT_EQ(s.manifest.status, "recovered");
  ASSERT_EQ(s.manifest.dropouts.size(), 1u);
  EXPECT_DOUBLE_EQ(s.manifest.dropouts[0].start_s, kBefore / kRate);
  EXPECT_EQ(s.manifest.dropouts[0].frames, 100);
  dyad::formats::AudioInfo info;
  auto x = read_all(dir / "audio.wav", info);
  ASSERT_EQ(info.frames, kBefore + 100);
  for (std::int64_t k = 0; k < kBefore; ++k) ASSERT_EQ(x[static_cast<std::size_t>(2 * k)], value(k, 2)) << k;
  for (std::int64_t k = kBefore; k < info.frames; ++k) {  // every zero in the file is listed
    ASSERT_EQ(x[static_cast<std::size_t>(2 * k)], 0.0f) << k;
    ASSERT_EQ(x[static_cast<std::size_t>(2 * k + 1)], 0.0f) << k;
  }
}

// Without any limit: the dropout is in session.json as soon as the writer has handled it, not
// only at the once-a-second rewrite or at the end (finish() is never called before the check).
TEST(Recorder, DropoutIsInSessionJsonBeforeTheRecordingEnds) {
  dyad::test::TempDir d;
  auto dir = d / "s";
  Recorder rec(config(dir));
  const std::int64_t t0 = 5'000'000'000LL;
  feed(rec, 0, 200, t0, 0);
  feed(rec, 202, 210, t0, 200 * 256, true);
  rec.drain();
  auto m = dyad::formats::read_manifest(dir);
  EXPECT_EQ(m.status, "recording");
  ASSERT_EQ(m.dropouts.size(), 1u);
  EXPECT_EQ(m.dropouts[0].frames, 512);
  EXPECT_EQ(rec.finish().zero_filled_frames, 512);
}
