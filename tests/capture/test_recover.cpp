// dyad recover's core on folders as a crash leaves them: header sizes stale, a partial frame,
// a partial text line, a damaged header, open phases.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>

#include "dyad/capture/recorder.hpp"
#include "dyad/capture/recover.hpp"
#include "dyad/formats/audio.hpp"
#include "dyad/formats/error.hpp"
#include "dyad/formats/session.hpp"
#include "test_util.hpp"

using namespace dyad::capture;
namespace fs = std::filesystem;

namespace {
float value(std::int64_t k, int c) { return static_cast<float>((k % 100000) * 4 + c) / 524288.0f; }

/// A folder as `dyad record` leaves it when killed: status recording, `frames` frames written.
void crashed_session(const fs::path& dir, std::int64_t frames) {
  dyad::test::TempDir live;
  RecorderConfig c;
  c.session_dir = live / "s";
  c.manifest = dyad::formats::new_manifest("C1", 1, "dosing");
  c.device_channels = 2;
  c.channels = {1, 2};
  c.roles = {"A", "B"};
  Recorder rec(c);
  std::vector<float> b(512);
  for (std::int64_t k0 = 0; k0 < frames; k0 += 256) {
    for (int i = 0; i < 256; ++i)
      for (int ch = 0; ch < 2; ++ch) b[static_cast<std::size_t>(2 * i + ch)] = value(k0 + i, ch);
    rec.on_audio(b.data(), 256, false, 1'000'000'000LL + k0 * 20833);
  }
  rec.drain();
  dyad::formats::MarkerAppender mk(c.session_dir);
  mk.append({0.5, 0, "baseline", "n/a", "recorder"});
  mk.append({1.0, 0, "bp", "120/80", "recorder"});
  mk.append({1.5, 0, "dosing", "n/a", "recorder"});
  fs::copy(c.session_dir, dir, fs::copy_options::recursive);  // the state on disk at the kill
}
}  // namespace

TEST(Recover, StaleHeaderPartialFrameAndPartialLine) {
  dyad::test::TempDir d;
  auto dir = d / "s";
  crashed_session(dir, 48000 * 2);
  {  // the kill came mid-write: 5 bytes of a frame, half a marker line, a header that lags
    std::ofstream a(dir / "audio.wav", std::ios::app | std::ios::binary);
    a.write("\1\2\3\4\5", 5);
    std::ofstream m(dir / "markers.tsv", std::ios::app);
    m << "1.7\t0\tcad";
    std::fstream h(dir / "audio.wav", std::ios::in | std::ios::out | std::ios::binary);
    h.seekp(4);
    h.write("\0\0\0\0", 4);
  }
  // ... or during the end-of-recording retiming of a stream, or an import of corrections
  fs::create_directories(dir / "streams");
  std::ofstream(dir / "streams" / "ecg_A.tsv.tmp") << "time_s\tdevice_time_s\tecg\n0\t";
  fs::create_directories(dir / "annotations");
  std::ofstream(dir / "annotations" / "segments.tsv.tmp") << "role\tst";
  auto rep = recover_session(dir);
  EXPECT_FALSE(fs::exists(dir / "streams" / "ecg_A.tsv.tmp"));
  EXPECT_FALSE(fs::exists(dir / "annotations" / "segments.tsv.tmp"));
  EXPECT_NE(std::find(rep.actions.begin(), rep.actions.end(), "streams/ecg_A.tsv.tmp: an unfinished temporary file was removed"),
            rep.actions.end());
  EXPECT_TRUE(rep.changed);
  EXPECT_EQ(rep.previous_status, "recording");
  EXPECT_EQ(rep.audio_frames, 96000);
  EXPECT_EQ(rep.audio_bytes_dropped, 5);
  EXPECT_TRUE(rep.header_rewritten);
  auto s = dyad::formats::Session::open(dir);
  EXPECT_EQ(s.manifest.status, "recovered");
  ASSERT_TRUE(s.audio);
  EXPECT_EQ(s.audio->frames, 96000);
  ASSERT_EQ(s.markers.size(), 3u);
  EXPECT_EQ(s.markers[0].label, "baseline");
  EXPECT_DOUBLE_EQ(s.markers[0].duration_s, 1.0);  // until dosing
  EXPECT_DOUBLE_EQ(s.markers[2].duration_s, 0.5);  // dosing until the end of the audio (2 s)
  dyad::formats::AudioReader r(dir / "audio.wav");
  std::vector<float> x(96000 * 2);
  ASSERT_EQ(r.read(x), 96000);
  for (std::int64_t k = 0; k < 96000; ++k) ASSERT_EQ(x[static_cast<std::size_t>(2 * k + 1)], value(k, 1)) << k;
  // a second run finds nothing to do
  auto again = recover_session(dir);
  EXPECT_TRUE(again.actions.empty());
}

TEST(Recover, UnreadableHeaderIsRebuiltFromTheDataSize) {
  dyad::test::TempDir d;
  auto dir = d / "s";
  crashed_session(dir, 48000);
  {
    std::fstream h(dir / "audio.wav", std::ios::in | std::ios::out | std::ios::binary);
    std::string junk(40, 'x');
    h.write(junk.data(), 40);
  }
  EXPECT_THROW(dyad::formats::AudioReader r(dir / "audio.wav"), dyad::formats::FormatError);
  auto rep = recover_session(dir);
  EXPECT_TRUE(rep.header_rebuilt);
  EXPECT_EQ(rep.audio_frames, 48128);  // 188 blocks of 256
  dyad::formats::AudioReader r(dir / "audio.wav");
  EXPECT_EQ(r.info().channels, 2);
  EXPECT_EQ(r.info().sample_rate_hz, 48000);
  std::vector<float> x(static_cast<std::size_t>(2 * r.info().frames));
  r.read(x);
  for (std::int64_t k = 0; k < r.info().frames; ++k) ASSERT_EQ(x[static_cast<std::size_t>(2 * k)], value(k, 0)) << k;
}

// A manifest may list a dropout longer than the audio that survived a kill (the recorder lists a
// dropout before writing its zeros): recover cuts it to the end of the audio, removes one that
// starts past the end, keeps the others, says so, and a second run finds nothing to do.
TEST(Recover, DropoutsPastTheEndOfTheAudioAreCutOrRemoved) {
  dyad::test::TempDir d;
  auto dir = d / "s";
  crashed_session(dir, 48000 * 2);  // 96000 frames: 2 s
  auto m = dyad::formats::read_manifest(dir);
  m.dropouts = {{0.5, 480}, {1.5, 48000}, {2.5, 256}};  // the second runs to 2.5 s, the third starts after
  dyad::formats::write_manifest(dir, m);
  auto rep = recover_session(dir);
  EXPECT_EQ(rep.audio_frames, 96000);
  std::string all;
  for (auto& a : rep.actions) all += a + "\n";
  EXPECT_NE(all.find("session.json: the dropout at 1.500 s (48000 frames) was cut to the end of the audio (24000 frames)\n"),
            std::string::npos) << all;
  EXPECT_NE(all.find("session.json: the dropout at 2.500 s (256 frames) was removed: it starts past the end of the audio\n"),
            std::string::npos) << all;
  EXPECT_EQ(all.find("0.500 s"), std::string::npos) << all;
  auto s = dyad::formats::Session::open(dir);
  EXPECT_EQ(s.manifest.status, "recovered");
  ASSERT_EQ(s.manifest.dropouts.size(), 2u);
  EXPECT_DOUBLE_EQ(s.manifest.dropouts[0].start_s, 0.5);
  EXPECT_EQ(s.manifest.dropouts[0].frames, 480);
  EXPECT_DOUBLE_EQ(s.manifest.dropouts[1].start_s, 1.5);
  EXPECT_EQ(s.manifest.dropouts[1].frames, 24000);
  EXPECT_TRUE(recover_session(dir).actions.empty());
}

TEST(Recover, NoManifestIsAClearError) {
  dyad::test::TempDir d;
  fs::create_directories(d / "s");
  try {
    recover_session(d / "s");
    FAIL();
  } catch (const dyad::formats::FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("session.json"), std::string::npos) << e.what();
  }
}

TEST(ClosePhases, EachPhaseRunsToTheNextOrAPhaseEndOrTheEnd) {
  using M = dyad::formats::Marker;
  std::vector<M> ms = {{10, 0, "baseline", "n/a", "recorder"}, {20, 0, "phase_end", "n/a", "recorder"},
                       {25, 0, "bp", "120/80", "recorder"},    {30, 0, "dosing", "n/a", "recorder"},
                       {40, 0, "integration", "n/a", "recorder"}, {45, 0, "baseline", "n/a", "user"}};
  auto out = close_phases(ms, 100);
  ASSERT_EQ(out.size(), 5u);
  EXPECT_DOUBLE_EQ(out[0].duration_s, 10);
  EXPECT_EQ(out[1].label, "bp");
  EXPECT_DOUBLE_EQ(out[1].duration_s, 0);
  EXPECT_DOUBLE_EQ(out[2].duration_s, 10);
  EXPECT_DOUBLE_EQ(out[3].duration_s, 60);
  EXPECT_DOUBLE_EQ(out[4].duration_s, 0);  // not the recorder's: left alone
}
