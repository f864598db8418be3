// Real capture through the real PortAudio library: a private JACK dummy server and the feeder
// (a JACK client playing a known signal) started by the CTest fixture (jack_start.sh), or by this
// program when run alone. `dyad record` captures; the file must equal the source sample for
// sample after the start offset, except exactly where session.json lists zero-filled dropouts.
// No timing is asserted, except the crash-safety bound (at most 1 s lost at a kill -9).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <thread>

#include "dyad/formats/audio.hpp"
#include "dyad/formats/files.hpp"
#include "dyad/formats/stream.hpp"
#include <cmath>
#include "dyad/formats/session.hpp"
#include "live_env.hpp"
#include "test_util.hpp"

namespace fs = std::filesystem;

TEST(Live, DevicesListsTheFeeder) {
  SKIP_WITHOUT_JACK();
  auto r = sh(dyad_exe() + " devices --inputs");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("dyad_feeder"), std::string::npos) << r.out;
}

TEST(Live, RecordEqualsTheSourceExceptListedDropoutsAndKeepsMarkers) {
  SKIP_WITHOUT_JACK();
  dyad::test::TempDir d;
  auto r = sh("printf 'baseline\\nbp 120/80\\ncadss 12\\nbp 1x\\n' | " + dyad_exe() + " record " + q(d / "s") +
              " --device dyad_feeder --channels 1,2 --roles A,B --duration 3 --preflight-seconds 0.5 --couple C7 "
              "--session-number 3 --session-type dosing");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("pre-flight"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("not recorded: bp expects SYSTOLIC/DIASTOLIC in mmHg, e.g. 'bp 120/80'; got '1x'"), std::string::npos)
      << r.out;
  auto s = dyad::formats::Session::open(d / "s");
  EXPECT_EQ(s.manifest.status, "complete");
  EXPECT_EQ(s.manifest.couple_id, "C7");
  EXPECT_EQ(s.audio->frames, 144000);
  EXPECT_FALSE(s.manifest.start_utc.empty());
  ASSERT_EQ(s.markers.size(), 3u);
  EXPECT_EQ(s.markers[0].label, "baseline");
  EXPECT_GT(s.markers[0].duration_s, 2.5);  // the phase was closed at the end
  EXPECT_EQ(s.markers[1].value, "120/80");
  EXPECT_EQ(s.markers[2].label, "cadss");
  EXPECT_EQ(s.markers[2].source, "recorder");
  EXPECT_GT(expect_equals_source(d / "s"), 100000);
}

TEST(Live, TinyRingOverflowsAreZeroFilledAndListedNeverRotated) {
  SKIP_WITHOUT_JACK();
  dyad::test::TempDir d;
  auto r = sh(dyad_exe() + " record " + q(d / "s") +
              " --device dyad_feeder --channels 2,1 --roles B,A --duration 2 --no-preflight --ring-frames 300 </dev/null");
  ASSERT_EQ(r.status, 0) << r.out;
  auto s = dyad::formats::Session::open(d / "s");
  std::int64_t listed = 0;
  for (auto& dr : s.manifest.dropouts) listed += dr.frames;
  EXPECT_EQ(listed, s.manifest.extra["capture"]["zero_filled_frames"].get<std::int64_t>());
  // channels 2,1: file channel 1 holds the feeder's channel 2; swap back to compare
  dyad::formats::AudioReader rd(s.audio_path());
  std::vector<float> x(static_cast<std::size_t>(rd.info().frames * 2));
  rd.read(x);
  for (std::size_t i = 0; i < x.size(); i += 2) std::swap(x[i], x[i + 1]);
  {
    dyad::formats::AudioWriter w(d / "swapped.wav", 48000, 2);
    w.write(x);
  }
  fs::create_directories(d / "t");
  fs::copy(d / "swapped.wav", d / "t" / "audio.wav");
  auto m = s.manifest;
  m.audio->channels = {{1, "A"}, {2, "B"}};
  dyad::formats::write_manifest(d / "t", m);
  EXPECT_GT(expect_equals_source(d / "t"), 0);
}

TEST(Live, KillNineThenRecoverLosesAtMostOneSecond) {
  SKIP_WITHOUT_JACK();
  dyad::test::TempDir d;
  auto dir = d / "s";
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    std::freopen("/dev/null", "r", stdin);
    std::freopen((d / "log").c_str(), "w", stdout);
    std::freopen((d / "log").c_str(), "a", stderr);
    ::execl((DYAD_BIN_DIR + std::string("/dyad")).c_str(), "dyad", "record", dir.c_str(), "--device", "dyad_feeder",
            "--no-preflight", nullptr);
    ::_exit(127);
  }
  // wait until the recorder has written its start manifest and ~3 s of audio
  auto t_end = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  std::string start_utc;
  while (std::chrono::steady_clock::now() < t_end) {
    try {
      auto m = dyad::formats::read_manifest(dir);
      if (!m.start_utc.empty() && fs::file_size(dir / "audio.wav") > 3 * 48000 * 8) {
        start_utc = m.start_utc;
        break;
      }
    } catch (...) {
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_FALSE(start_utc.empty()) << slurp(d / "log");
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  const auto killed_at = std::chrono::system_clock::now();
  ::kill(pid, SIGKILL);
  int st = 0;
  ::waitpid(pid, &st, 0);
  auto r = sh(dyad_exe() + " recover " + q(dir));
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("recovered (was 'recording')"), std::string::npos) << r.out;
  auto s = dyad::formats::Session::open(dir);
  EXPECT_EQ(s.manifest.status, "recovered");
  // start_utc is frame 0 on the wall clock: the audio should reach (almost) the kill
  std::tm tm{};
  int ms = 0;
  std::sscanf(start_utc.c_str(), "%d-%d-%dT%d:%d:%d.%dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
              &tm.tm_sec, &ms);
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  const double start = static_cast<double>(::timegm(&tm)) + ms / 1000.0;
  const double killed = std::chrono::duration<double>(killed_at.time_since_epoch()).count();
  const double expected = killed - start;
  EXPECT_GT(s.duration_s(), expected - 1.0) << "recovered " << s.duration_s() << " s of " << expected << " s";
  EXPECT_LT(s.duration_s(), expected + 0.5);
  EXPECT_GT(expect_equals_source(dir), 48000);
}

TEST(Live, FileSizeLimitStopsCleanlyWithAValidSession) {
  SKIP_WITHOUT_JACK();
  dyad::test::TempDir d;
  // 1000 blocks of 1 KiB: about 1.3 s of 2 channels of float at 48 kHz
  auto r = sh("bash -c \"trap '' XFSZ; ulimit -f 1000; exec " + dyad_exe() + " record " + q(d / "s") +
              " --device dyad_feeder --no-preflight --duration 10 </dev/null\"");
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_NE(r.out.find("dyad: error: recording stopped early:"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("(disk full?)"), std::string::npos) << r.out;
  auto s = dyad::formats::Session::open(d / "s");
  EXPECT_EQ(s.manifest.status, "complete");
  EXPECT_GT(s.audio->frames, 48000);
  EXPECT_LT(s.audio->frames, 1000 * 1024 / 8 + 1);
  EXPECT_GT(expect_equals_source(d / "s"), 48000);
}

// The whole chain: `dyad record` on the JACK dummy server, `dyad simulate-sensors` with 100 ppm
// drift, 10 ms jitter and garbage: every sample lands within 2 ms of the time it was taken.
TEST(Live, SimulatedSensorsLandWithin2msOfTruth) {
  SKIP_WITHOUT_JACK();
  dyad::test::TempDir d;
  const std::string port = std::to_string(20000 + ::getpid() % 20000);
  auto r = sh(dyad_exe() + " record " + q(d / "s") + " --device dyad_feeder --channels 1,2 --roles A,B --duration 10 " +
              "--no-preflight --port " + port + " </dev/null >" + q(d / "rec.log") + " 2>&1 & for i in $(seq 100); do grep -q 'sensors: listening' " + q(d / "rec.log") + " 2>/dev/null && break; sleep 0.1; done; " + dyad_exe() +
              " simulate-sensors --port " + port +
              " --streams ecg_A,eda_B,acc_A --duration 6 --drift-ppm 100 --jitter-ms 10 --garbage 0.01 --seed 3 2>/dev/null; "
              "wait");
  ASSERT_EQ(r.status, 0) << r.out << dyad::formats::read_file(d / "rec.log");
  const std::string log = dyad::formats::read_file(d / "rec.log");
  auto num = [&](const std::string& key) {
    auto p = r.out.find(key + "\t");
    return p == std::string::npos ? NAN : std::stod(r.out.substr(p + key.size() + 1));
  };
  const double start = num("start_monotonic_s");
  const double garbage = num("garbage");
  ASSERT_TRUE(std::isfinite(start)) << r.out;
  auto s = dyad::formats::Session::open(d / "s");
  ASSERT_EQ(s.streams.size(), 3u) << log;
  const auto& cf = s.manifest.extra["capture"]["clock_fit"];
  const double h0 = cf["monotonic_at_frame0_s"], audio_ppm = cf["drift_ppm"];
  std::int64_t malformed = 0;
  for (auto& st : s.streams) {
    auto data = dyad::formats::read_stream_data(s.dir, st.sidecar);
    const double rate = st.sidecar.nominal_rate_hz;
    EXPECT_EQ(static_cast<double>(data.size()), std::floor(6 * rate)) << st.sidecar.name;
    malformed += st.sidecar.extra["ingest"]["malformed_lines"].get<std::int64_t>();
    // 6 s only gives a rough drift: 100 ppm is 0.6 ms over the run, about the scheduling noise of the
    // minimum delivery delay on a loaded 2-core machine (80 ppm was exceeded once, 99.5, at load 12).
    // What this test is about is the placement below; the drift itself is measured over 30 minutes
    // by bench/sensors_live.sh.
    EXPECT_NEAR(st.sidecar.clock.drift_ppm, -100 + audio_ppm, 150) << st.sidecar.name;
    double worst = 0;
    for (std::size_t i = 0; i < data.size(); ++i) {
      const double host = start + (data.device_time_s[i] - 1000) / (1 + 100e-6);
      const double truth = (host - h0) * (1 + audio_ppm * 1e-6);
      worst = std::max(worst, std::abs(data.time_s[i] - truth));
    }
    EXPECT_LT(worst * 1e3, 2.0) << st.sidecar.name;
    RecordProperty(st.sidecar.name + "_worst_ms", std::to_string(worst * 1e3));
  }
  EXPECT_EQ(static_cast<double>(malformed), garbage);
  EXPECT_NE(log.find("stream ecg_A: 3000 samples"), std::string::npos) << log;
}

// A sensor that drops out: a gap in its stream, an alarm and a resume in markers.tsv.
TEST(Live, SensorDropoutIsAGapWithAnAlarmMarker) {
  SKIP_WITHOUT_JACK();
  dyad::test::TempDir d;
  const std::string port = std::to_string(20000 + (::getpid() + 7) % 20000);
  auto r = sh(dyad_exe() + " record " + q(d / "s") + " --device dyad_feeder --channels 1,2 --roles A,B --duration 12 " +
              "--no-preflight --silence-alarm 1.5 --port " + port + " </dev/null >" + q(d / "rec.log") + " 2>&1 & for i in $(seq 100); do grep -q 'sensors: listening' " + q(d / "rec.log") + " 2>/dev/null && break; sleep 0.1; done; " +
              dyad_exe() + " simulate-sensors --port " + port +
              " --streams ecg_A:100 --duration 8 --dropouts 1 --dropout-seconds 3 --probes --seed 5 2>/dev/null; wait");
  ASSERT_EQ(r.status, 0) << r.out << dyad::formats::read_file(d / "rec.log");
  auto s = dyad::formats::Session::open(d / "s");
  ASSERT_EQ(s.streams.size(), 1u);
  EXPECT_EQ(s.streams[0].sidecar.clock.method, "lower_envelope+probes");
  EXPECT_EQ(s.streams[0].sidecar.extra["ingest"]["connections"], 2);
  auto data = dyad::formats::read_stream_data(s.dir, s.streams[0].sidecar);
  double gap = 0;
  for (std::size_t i = 1; i < data.size(); ++i) gap = std::max(gap, data.time_s[i] - data.time_s[i - 1]);
  EXPECT_NEAR(gap, 3.0, 0.05);  // no invented samples
  EXPECT_NEAR(static_cast<double>(data.size()), 500, 1);  // 800 taken, 300 lost in the dropout
  std::vector<std::string> labels;
  for (auto& m : s.markers)
    if (m.value == "ecg_A") labels.push_back(m.label);
  // (a second sensor_silent follows when the simulator stops before the recording does)
  ASSERT_GE(labels.size(), 2u) << dyad::formats::read_file(d / "s/markers.tsv");
  EXPECT_EQ(labels[0], "sensor_silent");
  EXPECT_EQ(labels[1], "sensor_resumed");
}
