// dyad sync-check and dyad simulate-sensors, end to end.
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstdio>

#include "dyad/formats/audio.hpp"
#include "dyad/formats/session.hpp"
#include "dyad/formats/stream.hpp"
#include "dyad/formats/text.hpp"
#include "test_util.hpp"

namespace fs = std::filesystem;

#include "cli_run.hpp"

namespace {
using dyad::test::q;
using dyad::test::Run;
using dyad::test::run_cmd;
using dyad::test::run_dyad;

/// A 20 s session: speech-like noise on A and B, a clap on A at `clap_s`; an accelerometer
/// acc_A at `acc_rate` whose tap is at clap_s + offset_s (in its time_s).
void make_session(const fs::path& d, double clap_s, double offset_s, double acc_rate, double clap_amp = 0.8, double tap_amp = 2) {
  using namespace dyad::formats;
  create_session_dir(d);
  auto m = new_manifest("c1", 1, "other");
  m.participants = {{"A", "pA"}, {"B", "pB"}};
  AudioSection a;
  a.sample_rate_hz = 16000;
  a.channels = {{1, "A"}, {2, "B"}};
  m.audio = a;
  m.streams = {{"acc_A", "generic", "A"}};
  write_manifest(d, m);
  const std::size_t n = 20 * 16000;
  auto na = dyad::test::noise(n, 0.02, 1), nb = dyad::test::noise(n, 0.02, 2);
  std::vector<float> x(n * 2);
  const auto c0 = static_cast<std::size_t>(std::ceil(clap_s * 16000));
  for (std::size_t i = 0; i < n; ++i) {
    float clap = 0;
    if (i >= c0 && i < c0 + 1600) clap = static_cast<float>(clap_amp * std::exp(-static_cast<double>(i - c0) / 300.0) * (i % 2 ? 1 : -1));
    x[2 * i] = na[i] + clap;
    x[2 * i + 1] = nb[i] + 0.1f * clap;
  }
  {
    AudioWriter w(d / "audio.wav", 16000, 2);
    w.write(x);
    w.close();
  }
  StreamSidecar s;
  s.name = "acc_A";
  s.kind = "generic";
  s.role = "A";
  s.nominal_rate_hz = acc_rate;
  s.columns = {"x", "y", "z"};
  s.units = {"g", "g", "g"};
  StreamData sd;
  sd.values.assign(3, {});
  auto nz = dyad::test::noise(static_cast<std::size_t>(20 * acc_rate), 0.01, 3);
  const double tap = clap_s + offset_s;
  for (std::size_t i = 0; i < static_cast<std::size_t>(20 * acc_rate); ++i) {
    const double t = 0.0013 + static_cast<double>(i) / acc_rate;  // samples not aligned with the tap
    sd.time_s.push_back(t);
    sd.device_time_s.push_back(500 + t);
    const double hit = t >= tap ? tap_amp * std::exp(-(t - tap) / 0.02) : 0;
    sd.values[0].push_back(nz[i] + hit);
    sd.values[1].push_back(nz[(i + 7) % nz.size()]);
    sd.values[2].push_back(1 + nz[(i + 13) % nz.size()]);
  }
  write_stream(d, s, sd);
}

double field(const std::string& out, const std::string& key) {
  auto p = out.find(key + "\t");
  if (p == std::string::npos) return NAN;
  return std::stod(out.substr(p + key.size() + 1));
}
}  // namespace

TEST(CliSensors, HelpOnNewCommands) {
  for (const char* c : {"simulate-sensors", "sync-check"}) {
    auto r = run_dyad(std::string(c) + " --help");
    EXPECT_EQ(r.status, 0) << c << r.out;
    EXPECT_NE(r.out.find("Usage"), std::string::npos) << c;
  }
  auto r = run_dyad("record --help");
  EXPECT_NE(r.out.find("--port"), std::string::npos);
  EXPECT_NE(r.out.find("--silence-alarm"), std::string::npos);
}

TEST(CliSensors, SyncCheckFindsAKnownOffset) {
  for (double off : {0.040, -0.025, 0.0}) {
    dyad::test::TempDir tmp;
    make_session(tmp / "s", 12.3456, off, 200);
    auto r = run_dyad("sync-check " + q(tmp / "s") + " --role A --stream acc_A", false);
    ASSERT_EQ(r.status, 0) << r.out;
    EXPECT_NEAR(field(r.out, "audio_onset_s"), 12.3456, 0.0002) << r.out;
    // a 200 Hz stream resolves the tap to within half a sample period
    EXPECT_NEAR(field(r.out, "offset_ms"), off * 1e3, 2.5) << r.out;
    EXPECT_DOUBLE_EQ(field(r.out, "resolution_ms"), 2.5);
  }
}

TEST(CliSensors, SyncCheckErrorsNameWhatIsWrong) {
  dyad::test::TempDir tmp;
  make_session(tmp / "s", 5, 0.01, 100);
  auto r = run_dyad("sync-check " + q(tmp / "s") + " --role A --stream ecg_A");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("--stream: no stream 'ecg_A' in " + (tmp / "s").string() + " (streams: acc_A)"), std::string::npos) << r.out;
  r = run_dyad("sync-check " + q(tmp / "s") + " --role therapist --stream acc_A");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("--role: no audio channel has role 'therapist'"), std::string::npos) << r.out;
  r = run_dyad("sync-check " + q(tmp / "s") + " --stream acc_A --column w");
  EXPECT_NE(r.out.find("--column: stream 'acc_A' has no column 'w'"), std::string::npos) << r.out;
}

// No clear event: sync-check fails rather than report a chance match.
TEST(CliSensors, SyncCheckRefusesWithoutAClearTapOrClap) {
  dyad::test::TempDir tmp;
  make_session(tmp / "s", 5, 0.01, 100, 0.8, 0.0);  // no tap
  auto r = run_dyad("sync-check " + q(tmp / "s") + " --stream acc_A");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("acc_A: no clear tap: the largest deviation"), std::string::npos) << r.out;
  make_session(tmp / "t", 5, 0.01, 100, 0.0, 2.0);  // no clap
  r = run_dyad("sync-check " + q(tmp / "t") + " --stream acc_A");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find(": no clear clap on channel 1 (A) within 2 s of the sensor's event"), std::string::npos) << r.out;
  // a dropout where the clap should be
  make_session(tmp / "u", 5, 0.01, 100);
  auto m = dyad::formats::read_manifest(tmp / "u");
  m.dropouts.push_back({4.9, 4800});
  dyad::formats::write_manifest(tmp / "u", m);
  r = run_dyad("sync-check " + q(tmp / "u") + " --stream acc_A");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("the audio around the event has a dropout (4.900 s, 4800 frames zero-filled)"), std::string::npos) << r.out;
}

TEST(CliSensors, SimulateSensorsWithoutARecorderFailsClearly) {
  auto r = run_dyad("simulate-sensors --port 1 --duration 1 --streams ecg_A");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("cannot connect to 127.0.0.1:1 (is 'dyad record' running?)"), std::string::npos) << r.out;
  r = run_dyad("simulate-sensors --streams foo_A");
  EXPECT_NE(r.out.find("--streams: 'foo_A' must start with ecg, ppg, eda, resp, acc or button (its kind)"), std::string::npos)
      << r.out;
  r = run_dyad("simulate-sensors --streams ecg_X");
  EXPECT_NE(r.out.find("--streams: 'ecg_X' must end in _A, _B or _therapist (its role)"), std::string::npos) << r.out;
}
