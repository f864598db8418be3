// Signal synthesis for the simulator: seeded generator, resonators, glottal source, waveforms.
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>
#include <vector>

#include "dyad/dsp/synth.hpp"

using namespace dyad::dsp;

TEST(Rng, SameSeedSameNumbersAndForksDiffer) {
  Rng a(42), b(42), c(43);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(a.next(), b.next());
  EXPECT_NE(Rng(42).next(), c.next());
  EXPECT_NE(Rng(42).fork(1).next(), Rng(42).fork(2).next());
  EXPECT_EQ(Rng(42).fork(1).next(), Rng(42).fork(1).next());
  // a fixed value, so a change of the algorithm (and of every simulated session) is noticed
  EXPECT_EQ(Rng(1).next(), Rng(1).next());
}

TEST(Rng, DistributionsHaveTheirMoments) {
  Rng r(7);
  const int n = 200000;
  double su = 0, sn = 0, sn2 = 0, sf = 0, sf2 = 0, se = 0;
  for (int i = 0; i < n; ++i) {
    double u = r.uniform();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    su += u;
    double z = r.normal();
    sn += z;
    sn2 += z * z;
    double f = r.fast_normal();
    ASSERT_LT(std::abs(f), 3.47);
    sf += f;
    sf2 += f * f;
    se += r.exponential(2.0);
  }
  EXPECT_NEAR(su / n, 0.5, 0.005);
  EXPECT_NEAR(sn / n, 0.0, 0.01);
  EXPECT_NEAR(sn2 / n, 1.0, 0.01);
  EXPECT_NEAR(sf / n, 0.0, 0.01);
  EXPECT_NEAR(sf2 / n, 1.0, 0.01);
  EXPECT_NEAR(se / n, 2.0, 0.03);
}

TEST(Resonator, UnityAtDcPeakAtItsFrequencyAndValidated) {
  const double rate = 16000;
  auto gain = [&](double f) {
    Resonator r(1000, 100, rate);
    double peak = 0;
    for (int n = 0; n < 16000; ++n) {
      float y = r.process(static_cast<float>(std::sin(2 * M_PI * f * n / rate)));
      if (n > 8000) peak = std::max(peak, std::abs(static_cast<double>(y)));
    }
    return peak;
  };
  Resonator dc(1000, 100, rate);
  float y = 0;
  for (int n = 0; n < 5000; ++n) y = dc.process(1.0f);
  EXPECT_NEAR(y, 1.0, 1e-4);
  EXPECT_GT(gain(1000), 5 * gain(3000));
  EXPECT_GT(gain(1000), 3 * gain(300));
  try {
    Resonator bad(9000, 100, rate);
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()),
              "Resonator: needs 0 < freq_hz < rate_hz/2 and bandwidth_hz > 0, got freq_hz 9000.000000, bandwidth_hz 100.000000, "
              "rate_hz 16000.000000");
  }
}

/// Period lengths (s) of a glottal source at a constant F0: the closure (the most negative
/// derivative) of each period.
std::vector<double> periods(double f0, double jitter, double shimmer, std::vector<double>* amps = nullptr) {
  const double rate = 48000;
  GlottalSource g(GlottalConfig{rate, jitter, shimmer, 0.56}, 3);
  std::vector<float> x(static_cast<std::size_t>(rate * 4));
  for (std::size_t n = 0; n < x.size(); ++n) x[n] = g.next(static_cast<std::int64_t>(n), [&](std::int64_t) { return f0; });
  std::vector<double> closures;
  for (std::size_t n = 1; n + 1 < x.size(); ++n)
    if (x[n] < -0.5 && x[n] < x[n - 1] && x[n] <= x[n + 1]) {
      closures.push_back(static_cast<double>(n) / rate);
      if (amps) amps->push_back(-x[n]);
    }
  std::vector<double> p;
  for (std::size_t i = 1; i < closures.size(); ++i) p.push_back(closures[i] - closures[i - 1]);
  return p;
}

TEST(GlottalSource, PeriodIsOneOverF0WithoutJitter) {
  auto p = periods(125, 0, 0);
  ASSERT_GT(p.size(), 400u);
  for (double x : p) EXPECT_NEAR(x, 1.0 / 125, 1.0 / 48000 + 1e-9);
}

TEST(GlottalSource, LocalJitterAndShimmerAreWhatWasAskedFor) {
  std::vector<double> amps;
  auto p = periods(200, 0.02, 0.05, &amps);
  double num = 0, mean = std::accumulate(p.begin(), p.end(), 0.0) / static_cast<double>(p.size());
  for (std::size_t i = 1; i < p.size(); ++i) num += std::abs(p[i] - p[i - 1]);
  double jitter = num / static_cast<double>(p.size() - 1) / mean;
  EXPECT_NEAR(jitter, 0.02, 0.003);
  EXPECT_NEAR(mean, 1.0 / 200, 0.00005);
  double an = 0, am = std::accumulate(amps.begin(), amps.end(), 0.0) / static_cast<double>(amps.size());
  for (std::size_t i = 1; i < amps.size(); ++i) an += std::abs(amps[i] - amps[i - 1]);
  double shimmer = an / static_cast<double>(amps.size() - 1) / am;
  EXPECT_NEAR(shimmer, 0.05, 0.01);
  EXPECT_THROW(GlottalSource(GlottalConfig{48000, -0.1, 0, 0.56}, 1), std::invalid_argument);
  EXPECT_THROW(GlottalSource(GlottalConfig{0, 0.01, 0, 0.56}, 1), std::invalid_argument);
}

TEST(Waveforms, EcgPeaksAtTheBeatScrPeaksAtItsPeakTimeBreathInRange) {
  EXPECT_NEAR(ecg_beat(0, 0.8), 1.2, 0.01);
  EXPECT_GT(ecg_beat(0, 0.8), ecg_beat(0.001, 0.8));
  EXPECT_GT(ecg_beat(0, 0.8), ecg_beat(-0.001, 0.8));
  EXPECT_EQ(ecg_beat(1.5, 0.8), 0.0);
  double tp = scr_peak_time(0.7, 3.0);
  EXPECT_NEAR(tp, 0.7 * 3.0 / 2.3 * std::log(3.0 / 0.7), 1e-12);
  EXPECT_NEAR(scr_shape(tp, 0.7, 3.0), 1.0, 1e-12);
  EXPECT_LT(scr_shape(tp - 0.01, 0.7, 3.0), 1.0);
  EXPECT_LT(scr_shape(tp + 0.01, 0.7, 3.0), 1.0);
  EXPECT_EQ(scr_shape(-1, 0.7, 3.0), 0.0);
  EXPECT_NEAR(breath_wave(0.4), 1.0, 1e-12);
  EXPECT_NEAR(breath_wave(0.0), 0.0, 1e-12);
  for (double p = 0; p < 3; p += 0.01) {
    EXPECT_GE(breath_wave(p), 0.0);
    EXPECT_LE(breath_wave(p), 1.0);
  }
}
