#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "dyad/dsp/prosody.hpp"

using namespace dyad::dsp;

TEST(Prosody, SemitonesFrom27_5Hz) {
  EXPECT_DOUBLE_EQ(hz_to_semitones(27.5), 0.0);
  EXPECT_DOUBLE_EQ(hz_to_semitones(55), 12.0);
  EXPECT_NEAR(hz_to_semitones(220), 36.0, 1e-12);
  EXPECT_NEAR(semitones_to_hz(hz_to_semitones(123.4)), 123.4, 1e-9);
}

TEST(Prosody, FunctionalsOfKnownValues) {
  // 1..10 defined, one undefined value that must be ignored
  std::vector<double> v = {1, 2, 3, 4, 5, NAN, 6, 7, 8, 9, 10};
  std::vector<unsigned char> d = {1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1};
  std::vector<double> scratch;
  Functionals f = functionals(v, d, 0.01, scratch);
  EXPECT_EQ(f.n, 10u);
  EXPECT_DOUBLE_EQ(f.mean, 5.5);
  EXPECT_NEAR(f.sd, std::sqrt(8.25), 1e-12);
  EXPECT_NEAR(f.cv, std::sqrt(8.25) / 5.5, 1e-12);
  EXPECT_NEAR(f.p20, 2.8, 1e-12);  // linear between order statistics: 1 + 0.2 * 9
  EXPECT_NEAR(f.p50, 5.5, 1e-12);
  EXPECT_NEAR(f.p80, 8.2, 1e-12);
  EXPECT_NEAR(f.range_20_80, 5.4, 1e-12);
  // two rising runs (1..5 and 6..10), each 1 unit per 0.01 s
  EXPECT_NEAR(f.rising_slope, 100.0, 1e-9);
  EXPECT_TRUE(std::isnan(f.falling_slope));
}

TEST(Prosody, RisingAndFallingSlopes) {
  // up 0 -> 4 over 4 steps (100/s), down 4 -> 0 over 2 steps (200/s), up 0 -> 3 over 1 step (300/s)
  std::vector<double> v = {0, 1, 2, 3, 4, 2, 0, 3};
  std::vector<unsigned char> d(v.size(), 1);
  std::vector<double> scratch;
  Functionals f = functionals(v, d, 0.01, scratch);
  EXPECT_NEAR(f.rising_slope, (100.0 + 300.0) / 2, 1e-9);
  EXPECT_NEAR(f.falling_slope, 200.0, 1e-9);
}

TEST(Prosody, EmptyGivesNaN) {
  std::vector<double> v = {1, 2};
  std::vector<unsigned char> d = {0, 0};
  std::vector<double> scratch;
  Functionals f = functionals(v, d, 0.01, scratch);
  EXPECT_EQ(f.n, 0u);
  EXPECT_TRUE(std::isnan(f.mean));
  EXPECT_TRUE(std::isnan(f.p50));
}

TEST(Prosody, FramesInAnIntervalInSemitones) {
  std::vector<PitchFrame> frames;
  std::vector<double> in;
  for (int k = 0; k < 100; ++k) {
    PitchFrame f;
    f.time_s = k * 0.01;
    f.f0_hz = (k >= 20 && k < 60) ? 110.0 : 0.0;  // voiced 0.2..0.6 s at 110 Hz = 24 st
    frames.push_back(f);
    in.push_back(k < 50 ? 60.0 : 70.0);
  }
  auto p = prosody_functionals(frames, in, 0.3, 0.7, 0.01);
  EXPECT_EQ(p.f0_st.n, 30u);  // frames 30..59
  EXPECT_NEAR(p.f0_st.mean, 24.0, 1e-9);
  EXPECT_NEAR(p.f0_st.sd, 0.0, 1e-9);
  EXPECT_EQ(p.intensity_db.n, 40u);
  EXPECT_NEAR(p.intensity_db.mean, 65.0, 1e-9);
  EXPECT_NEAR(p.intensity_db.p50, 65.0, 1e-9);
}

TEST(Prosody, EntrainmentFollowsThePreviousTurn) {
  // B's turn value = A's previous turn value + 1 (perfect entrainment); A's turns are random-ish
  std::vector<TurnValue> turns;
  double a_vals[] = {20, 25, 22, 30, 27, 24};
  for (double a : a_vals) {
    turns.push_back({"A", a});
    turns.push_back({"B", a + 1});
  }
  Entrainment e = entrainment(turns, "A", "B");
  EXPECT_EQ(e.pairs, 6u);
  EXPECT_NEAR(e.r, 1.0, 1e-12);
  Entrainment back = entrainment(turns, "B", "A");
  EXPECT_EQ(back.pairs, 5u);
  EXPECT_LT(back.r, 0.9);
  // NaN turns are skipped; fewer than 3 pairs gives NaN
  std::vector<TurnValue> few = {{"A", 1}, {"B", 2}, {"A", NAN}, {"B", 3}};
  EXPECT_EQ(entrainment(few, "A", "B").pairs, 1u);
  EXPECT_TRUE(std::isnan(entrainment(few, "A", "B").r));
}

TEST(Prosody, PearsonOfKnownData) {
  std::vector<double> x = {1, 2, 3, 4}, y = {2, 4, 6, 8}, z = {4, 3, 2, 1};
  EXPECT_NEAR(pearson(x, y), 1.0, 1e-12);
  EXPECT_NEAR(pearson(x, z), -1.0, 1e-12);
  std::vector<double> c = {1, 1, 1, 1};
  EXPECT_TRUE(std::isnan(pearson(x, c)));
}
