#include <gtest/gtest.h>

#include "dyad/dsp/level.hpp"
#include "test_util.hpp"

using namespace dyad::dsp;

TEST(LevelMeter, SilenceGivesTheFloor) {
  LevelMeter m;
  std::vector<float> z(1000, 0.f);
  m.process(z, 1, 0);
  EXPECT_EQ(m.peak_dbfs(), kSilenceDbfs);
  EXPECT_EQ(m.rms_dbfs(), kSilenceDbfs);
  EXPECT_EQ(m.clipped(), 0);
}

TEST(LevelMeter, SineAtHalfScale) {
  LevelMeter m;
  auto x = dyad::test::sine(1000, 48000, 48000, 0.5);
  m.process(x, 1, 0);
  EXPECT_NEAR(m.peak_dbfs(), 20 * std::log10(0.5), 0.01);
  EXPECT_NEAR(m.rms_dbfs(), 20 * std::log10(0.5 / std::sqrt(2.0)), 0.01);
}

TEST(LevelMeter, CountsClippingPerChannelOfInterleavedInput) {
  std::vector<float> x = {1.0f, 0.1f, -1.0f, 0.1f, 0.2f, 0.1f};  // channel 0 clips twice
  LevelMeter a, b;
  a.process(x, 2, 0);
  b.process(x, 2, 1);
  EXPECT_EQ(a.clipped(), 2);
  EXPECT_EQ(b.clipped(), 0);
  EXPECT_EQ(a.samples(), 3);
  EXPECT_NEAR(b.peak_dbfs(), -20.0, 1e-5);
}
