#include <gtest/gtest.h>

#include "dyad/analysis/levels.hpp"
#include "test_util.hpp"

TEST(ChannelLevels, FixtureSessionPerChannel) {
  auto s = dyad::formats::Session::open(dyad::test::data_dir() / "malformed" / "valid");
  double last = -1;
  auto levels = dyad::analysis::channel_levels(s, [&](double f) { last = f; });
  ASSERT_EQ(levels.size(), 2u);
  EXPECT_EQ(levels[0].role, "A");
  EXPECT_EQ(levels[1].role, "B");
  // sox's default sine peaks near 0.705 (-3.04 dBFS); a sine's RMS is 3.01 dB below its peak.
  EXPECT_NEAR(levels[0].peak_dbfs, -3.04, 0.05);
  EXPECT_NEAR(levels[0].rms_dbfs, levels[0].peak_dbfs - 3.01, 0.05);
  EXPECT_EQ(last, 1.0);
}
