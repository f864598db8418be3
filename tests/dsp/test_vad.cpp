// EnergyVad on tone bursts: exact talkspurt boundaries at frame resolution, bridging, dropping,
// hysteresis, noise floor adaptation, block independence and parameter checks.
#include <gtest/gtest.h>

#include "dyad/dsp/vad.hpp"
#include "test_util.hpp"

using namespace dyad::dsp;

namespace {
constexpr double kRate = 16000;

/// Low noise with tone bursts [start, end) (seconds) of a 440 Hz sine.
std::vector<float> bursts(double total_s, std::vector<std::pair<double, double>> b, double amp = 0.3, double noise_sd = 1e-4) {
  auto n = static_cast<std::size_t>(total_s * kRate);
  auto x = dyad::test::noise(n, noise_sd, 7);
  for (auto [s, e] : b)
    for (auto i = static_cast<std::size_t>(s * kRate); i < static_cast<std::size_t>(e * kRate) && i < n; ++i)
      x[i] += static_cast<float>(amp * std::sin(2 * M_PI * 440 * static_cast<double>(i) / kRate));
  return x;
}

std::vector<Interval> run(const std::vector<float>& x, std::size_t block = 4096, EnergyVadConfig c = {}) {
  c.sample_rate_hz = kRate;
  EnergyChannelVad v(c);
  std::vector<Interval> out;
  for (std::size_t i = 0; i < x.size(); i += block) {
    v.process(std::span<const float>(x).subspan(i, std::min(block, x.size() - i)));
    for (auto s : v.take()) out.push_back(s);
  }
  v.finish();
  for (auto s : v.take()) out.push_back(s);
  return out;
}

void expect_spans(const std::vector<Interval>& got, std::vector<std::pair<double, double>> want) {
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    EXPECT_NEAR(got[i].start_s, want[i].first, 1e-9) << i;
    EXPECT_NEAR(got[i].end_s, want[i].second, 1e-9) << i;
  }
}
}  // namespace

TEST(EnergyVad, SilenceAndNoiseGiveNothing) {
  EXPECT_TRUE(run(std::vector<float>(16000, 0.f)).empty());
  EXPECT_TRUE(run(dyad::test::noise(5 * 16000, 0.01, 3)).empty());
}

TEST(EnergyVad, ToneBurstsGiveFrameExactTalkspurts) {
  auto x = bursts(5, {{1.0, 2.0}, {3.0, 3.5}});
  expect_spans(run(x), {{1.0, 2.0}, {3.0, 3.5}});
}

TEST(EnergyVad, ResultsDoNotDependOnBlockSize) {
  auto x = bursts(5, {{0.5, 1.25}, {1.6, 2.0}, {3.0, 4.99}});
  auto ref = run(x, x.size());
  for (std::size_t b : {1u, 7u, 160u, 1000u}) {
    auto got = run(x, b);
    ASSERT_EQ(got.size(), ref.size()) << b;
    for (std::size_t i = 0; i < got.size(); ++i) {
      EXPECT_EQ(got[i].start_s, ref[i].start_s);
      EXPECT_EQ(got[i].end_s, ref[i].end_s);
    }
  }
}

TEST(EnergyVad, ShortPausesAreBridgedShortBurstsDropped) {
  auto x = bursts(5, {{1.0, 2.0}, {2.1, 2.5}, {3.0, 3.05}, {3.5, 3.8}});
  expect_spans(run(x), {{1.0, 2.5}, {3.5, 3.8}});
  EnergyVadConfig c;
  c.min_pause_s = 0.05;
  c.min_talkspurt_s = 0.03;
  expect_spans(run(x, 4096, c), {{1.0, 2.0}, {2.1, 2.5}, {3.0, 3.05}, {3.5, 3.8}});
}

TEST(EnergyVad, TalkspurtOpenAtTheEndIsClosedAtTheLastSample) {
  auto x = bursts(2.005, {{1.0, 3.0}});
  expect_spans(run(x), {{1.0, 2.005}});
}

TEST(EnergyVad, NoiseFloorFollowsALouderBackground) {
  // Background noise steps up 30 dB at 2 s: a false alarm while the floor climbs (5 dB/s), then
  // the burst on the loud background is found exactly.
  auto x = bursts(10, {{9.0, 9.5}}, 0.5, 0.001);
  auto loud = dyad::test::noise(8 * 16000, 0.03, 5);
  for (std::size_t i = 0; i < loud.size(); ++i) x[2 * 16000 + i] += loud[i];
  EnergyVadConfig c;
  c.noise_rise_db_per_s = 5;
  auto got = run(x, 4096, c);
  ASSERT_FALSE(got.empty());
  EXPECT_NEAR(got.back().start_s, 9.0, 1e-9);
  EXPECT_NEAR(got.back().end_s, 9.5, 1e-9);
  for (std::size_t i = 0; i + 1 < got.size(); ++i) {
    EXPECT_GE(got[i].start_s, 2.0);
    EXPECT_LT(got[i].end_s, 8.5);  // only while the floor climbs
  }
}

TEST(EnergyVad, QuieterThanMinLevelIsNeverSpeech) {
  auto x = bursts(3, {{1.0, 2.0}}, 0.0005, 0.0);  // about -69 dBFS
  EXPECT_TRUE(run(x).empty());
  EnergyVadConfig c;
  c.min_level_dbfs = -80;
  expect_spans(run(x, 4096, c), {{1.0, 2.0}});
}

TEST(EnergyVad, MultiChannelInterface) {
  auto a = bursts(3, {{0.5, 1.0}});
  auto b = bursts(3, {{1.5, 2.5}});
  EnergyVadConfig c;
  c.sample_rate_hz = kRate;
  EnergyVad v(c, 2);
  EXPECT_TRUE(v.independent_channels());
  EXPECT_EQ(v.name(), "energy");
  EXPECT_EQ(v.parameters().size(), 8u);
  std::span<const float> chans[2] = {a, b};
  v.process(chans);
  v.finish();
  expect_spans(v.take(0), {{0.5, 1.0}});
  expect_spans(v.take(1), {{1.5, 2.5}});
  EXPECT_TRUE(v.take(1).empty());
}

TEST(EnergyVad, RejectsBadParameters) {
  EnergyVadConfig c;
  c.off_above_floor_db = 20;
  try {
    EnergyChannelVad v(c);
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "EnergyVad: off_above_floor_db must be between 0 and on_above_floor_db, got 20.000000");
  }
  c = {};
  c.min_pause_s = -1;
  EXPECT_THROW(EnergyChannelVad{c}, std::invalid_argument);
}
