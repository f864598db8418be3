#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "dyad/dsp/order_statistics.hpp"
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

namespace {
std::vector<double> random_contour(std::uint32_t seed, std::size_t n, std::vector<unsigned char>& def) {
  std::vector<double> v(n);
  def.assign(n, 0);
  std::uint32_t s = seed;
  auto next = [&] { s = s * 1664525u + 1013904223u; return static_cast<double>(s >> 8) / 16777216.0; };
  double x = 20;
  for (std::size_t i = 0; i < n; ++i) {
    x += next() < 0.2 ? 0 : (next() - 0.5);  // flat steps too
    v[i] = std::round(x * 8) / 8;            // ties and repeated values
    def[i] = next() < 0.8;
  }
  return v;
}
}  // namespace

TEST(FunctionalsAccumulator, InPiecesWithReplayEqualsTheWholeContour) {
  for (std::uint32_t seed : {1u, 2u, 3u}) {
    std::vector<unsigned char> def;
    auto v = random_contour(seed, 5000, def);
    std::vector<double> scratch;
    const auto whole = dyad::dsp::functionals(v, def, 0.01, scratch);
    dyad::dsp::FunctionalsAccumulator acc(0.01);
    for (std::size_t a = 0; a < v.size();) {
      const std::size_t len = std::min<std::size_t>(1 + (a * 7919) % 97, v.size() - a);
      acc.add(std::span<const double>(v).subspan(a, len), std::span<const unsigned char>(def).subspan(a, len));
      a += len;
    }
    auto f = acc.result([&](const std::function<void(double)>& sink) {
      for (std::size_t i = 0; i < v.size(); ++i)
        if (def[i]) sink(v[i]);
    });
    EXPECT_EQ(f.n, whole.n);
    EXPECT_EQ(f.mean, whole.mean);
    EXPECT_EQ(f.sd, whole.sd);
    EXPECT_EQ(f.p20, whole.p20);
    EXPECT_EQ(f.p50, whole.p50);
    EXPECT_EQ(f.p80, whole.p80);
    EXPECT_EQ(f.rising_slope, whole.rising_slope);
    EXPECT_EQ(f.falling_slope, whole.falling_slope);
  }
}

TEST(FunctionalsAccumulator, SlopesOfAKnownContour) {
  // 1 2 3 2 2 5 | 1 : rise 1->3 over 2 frames, fall 3->2 over 1, (flat), rise 2->5 over 1; the
  // break starts a new run
  std::vector<double> v = {1, 2, 3, 2, 2, 5, 9, 1};
  std::vector<unsigned char> d = {1, 1, 1, 1, 1, 1, 0, 1};
  std::vector<double> scratch;
  auto f = dyad::dsp::functionals(v, d, 0.5, scratch);
  EXPECT_DOUBLE_EQ(f.rising_slope, (2.0 / 1.0 + 3.0 / 0.5) / 2);
  EXPECT_DOUBLE_EQ(f.falling_slope, 1.0 / 0.5);
}

TEST(OrderStatistics, ExactForNegativesDuplicatesAndExtremes) {
  std::vector<double> v = {3.5, -2.25, 0.0, -0.0, 1e300, -1e300, 7, 7, 7, 1e-310, -1e-310, 42.125, 3.5};
  std::uint32_t s = 9;
  for (int i = 0; i < 20000; ++i) {
    s = s * 1664525u + 1013904223u;
    v.push_back((static_cast<double>(s >> 4) - 1.3e8) / 977.0);
  }
  auto sorted = v;
  std::sort(sorted.begin(), sorted.end());
  std::vector<std::uint64_t> ranks = {0, 1, 2, 100, 9999, 10000, sorted.size() / 2, sorted.size() - 2, sorted.size() - 1};
  auto got = dyad::dsp::order_statistics([&](const std::function<void(double)>& sink) { for (double x : v) sink(x); }, ranks);
  for (std::size_t r = 0; r < ranks.size(); ++r) EXPECT_EQ(got[r], sorted[ranks[r]]) << "rank " << ranks[r];
  const double p[] = {0, 0.2, 0.5, 0.8, 1};
  auto pc = dyad::dsp::percentiles([&](const std::function<void(double)>& sink) { for (double x : v) sink(x); }, v.size(), p);
  for (int j = 0; j < 5; ++j) {
    const double pos = p[j] * static_cast<double>(v.size() - 1);
    const auto i = static_cast<std::size_t>(pos);
    const double want = i + 1 >= v.size() ? sorted.back() : sorted[i] + (pos - static_cast<double>(i)) * (sorted[i + 1] - sorted[i]);
    EXPECT_EQ(pc[j], want);
  }
  EXPECT_TRUE(std::isnan(dyad::dsp::percentiles([](const std::function<void(double)>&) {}, 0, p)[0]));
}
