#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "dyad/dsp/pitch.hpp"
#include "test_util.hpp"

using namespace dyad::dsp;
namespace fs = std::filesystem;

namespace {

/// Runs a tracker over x in blocks of `block` samples (0 = one block) and returns every frame.
std::vector<PitchFrame> track(const PitchConfig& cfg, const std::vector<float>& x, std::size_t block = 0,
                              std::uint32_t random_blocks_seed = 0) {
  PitchTracker t(cfg);
  std::vector<PitchFrame> all;
  std::mt19937 g(random_blocks_seed);
  std::size_t pos = 0;
  std::vector<PitchFrame> out;
  while (pos < x.size()) {
    std::size_t n = block ? block : x.size();
    if (random_blocks_seed) n = std::uniform_int_distribution<std::size_t>(1, 3000)(g);
    n = std::min(n, x.size() - pos);
    if (out.size() < t.max_output(n)) out.resize(t.max_output(n));
    std::size_t k = t.process(std::span<const float>(x.data() + pos, n), out);
    all.insert(all.end(), out.begin(), out.begin() + static_cast<long>(k));
    pos += n;
  }
  out.resize(std::max(out.size(), t.max_output(0)));
  std::size_t k = t.finish(out);
  all.insert(all.end(), out.begin(), out.begin() + static_cast<long>(k));
  return all;
}

std::vector<double> intensity(const IntensityConfig& cfg, const std::vector<float>& x, std::size_t block) {
  IntensityTracker t(cfg);
  std::vector<double> all;
  for (std::size_t pos = 0; pos < x.size(); pos += block) {
    std::size_t n = std::min(block, x.size() - pos);
    std::vector<double> out(t.max_output(n));
    std::size_t k = t.process(std::span<const float>(x.data() + pos, n), out);
    all.insert(all.end(), out.begin(), out.begin() + static_cast<long>(k));
  }
  std::vector<double> out(t.max_output(0));
  std::size_t k = t.finish(out);
  all.insert(all.end(), out.begin(), out.begin() + static_cast<long>(k));
  return all;
}

/// A glottal-like pulse train: Rosenberg-style pulses (rising half-cosine over 40 % of the period,
/// falling quarter-cosine over 16 %), differentiated (lip radiation) and passed through one
/// resonance at 700 Hz, so the spectrum has harmonics and a formant like a vowel.
std::vector<float> pulse_train(double f0, double rate, std::size_t n, double amp = 0.3) {
  std::vector<double> g(n);
  const double T = 1.0 / f0;
  for (std::size_t i = 0; i < n; ++i) {
    double t = std::fmod(static_cast<double>(i) / rate, T) / T;
    if (t < 0.4) g[i] = 0.5 * (1 - std::cos(M_PI * t / 0.4));
    else if (t < 0.56) g[i] = std::cos(M_PI / 2 * (t - 0.4) / 0.16);
    else g[i] = 0;
  }
  std::vector<float> x(n);
  const double r = std::exp(-M_PI * 100 / rate), th = 2 * M_PI * 700 / rate;
  const double a1 = 2 * r * std::cos(th), a2 = -r * r;
  double y1 = 0, y2 = 0, prev = 0, peak = 0;
  std::vector<double> y(n);
  for (std::size_t i = 0; i < n; ++i) {
    double d = g[i] - prev;
    prev = g[i];
    double v = d + a1 * y1 + a2 * y2;
    y2 = y1;
    y1 = v;
    y[i] = v;
    peak = std::max(peak, std::abs(v));
  }
  for (std::size_t i = 0; i < n; ++i) x[i] = static_cast<float>(amp * y[i] / peak);
  return x;
}

}  // namespace

// ---- F0 of synthetic signals across rates, hops and frequencies ----

class PitchSweep : public ::testing::TestWithParam<std::tuple<double, double, double, bool>> {};

TEST_P(PitchSweep, FindsTheExactF0) {
  auto [rate, f0, step, pulses] = GetParam();
  const std::size_t n = static_cast<std::size_t>(rate * 1.0);
  auto x = pulses ? pulse_train(f0, rate, n) : dyad::test::sine(f0, rate, n, 0.5);
  PitchConfig cfg;
  cfg.sample_rate_hz = rate;
  cfg.time_step_s = step;
  auto frames = track(cfg, x, 1024);
  // frames at k * step for every centre before the end
  ASSERT_EQ(frames.size(), static_cast<std::size_t>(std::ceil(1.0 / step - 1e-9)));
  std::size_t checked = 0;
  for (std::size_t k = 0; k < frames.size(); ++k) {
    EXPECT_NEAR(frames[k].time_s, static_cast<double>(k) * step, 1e-9);
    if (frames[k].time_s < 0.05 || frames[k].time_s > 0.95) continue;  // windows reaching past the signal
    ASSERT_TRUE(frames[k].voiced()) << "frame at " << frames[k].time_s << " s";
    EXPECT_NEAR(frames[k].f0_hz, f0, 0.005 * f0) << "frame at " << frames[k].time_s << " s";
    EXPECT_GT(frames[k].strength, 0.9);
    ++checked;
  }
  EXPECT_GT(checked, static_cast<std::size_t>(0.85 / step));
}

INSTANTIATE_TEST_SUITE_P(RatesHopsFrequencies, PitchSweep,
                         ::testing::Combine(::testing::Values(16000.0, 44100.0, 48000.0),
                                            ::testing::Values(80.0, 123.0, 220.0, 440.0, 580.0),
                                            ::testing::Values(0.005, 0.01, 0.02), ::testing::Values(false, true)));

TEST(PitchTracker, SilenceIsUnvoiced) {
  PitchConfig cfg;
  std::vector<float> z(16000, 0.f);
  auto frames = track(cfg, z, 512);
  ASSERT_EQ(frames.size(), 100u);
  for (auto& f : frames) {
    EXPECT_FALSE(f.voiced());
    EXPECT_EQ(f.local_peak, 0.0);
  }
}

TEST(PitchTracker, QuietNoiseBetweenLoudVowelsIsUnvoiced) {
  const double rate = 16000;
  auto vowel = pulse_train(150, rate, 8000, 0.5);
  auto noise = dyad::test::noise(16000, 0.002, 7);
  std::vector<float> x(vowel);
  x.insert(x.end(), noise.begin(), noise.end());
  x.insert(x.end(), vowel.begin(), vowel.end());
  PitchConfig cfg;
  cfg.sample_rate_hz = rate;
  auto frames = track(cfg, x, 777);
  for (auto& f : frames) {
    if (f.time_s > 0.55 && f.time_s < 1.45) {
      EXPECT_FALSE(f.voiced()) << f.time_s;
    }
    if ((f.time_s > 0.05 && f.time_s < 0.45) || (f.time_s > 1.55 && f.time_s < 1.95)) {
      ASSERT_TRUE(f.voiced()) << f.time_s;
      EXPECT_NEAR(f.f0_hz, 150, 0.75);
    }
  }
}

TEST(PitchTracker, ResultsDoNotDependOnBlockCuts) {
  // a gliding pulse train with pauses: many path-finder decisions
  const double rate = 16000;
  std::vector<float> x;
  for (int seg = 0; seg < 6; ++seg) {
    auto v = pulse_train(100 + 40 * seg, rate, 6000 + 700 * static_cast<std::size_t>(seg), 0.2 + 0.05 * seg);
    x.insert(x.end(), v.begin(), v.end());
    auto nz = dyad::test::noise(3000, 0.01, static_cast<std::uint32_t>(seg + 1));
    x.insert(x.end(), nz.begin(), nz.end());
  }
  PitchConfig cfg;
  cfg.sample_rate_hz = rate;
  auto whole = track(cfg, x, 0);
  for (std::uint32_t seed : {1u, 2u, 3u}) {
    auto cut = track(cfg, x, 0, seed);
    ASSERT_EQ(cut.size(), whole.size());
    for (std::size_t i = 0; i < whole.size(); ++i) {
      EXPECT_EQ(cut[i].time_s, whole[i].time_s);
      EXPECT_EQ(cut[i].f0_hz, whole[i].f0_hz) << "frame " << i << " seed " << seed;
      EXPECT_EQ(cut[i].strength, whole[i].strength);
    }
  }
  auto one = track(cfg, x, 1);
  ASSERT_EQ(one.size(), whole.size());
  for (std::size_t i = 0; i < whole.size(); ++i) EXPECT_EQ(one[i].f0_hz, whole[i].f0_hz);
  // the running peak (no reference_peak) gives the same voicing here: the loudest part comes first
}

TEST(PitchTracker, WorkerThreadsGiveTheSameFramesBitForBit) {
  // 16 s of gliding pulse trains and noise (several batches of the threaded tracker), the loudest
  // part late (the running peak changes on the way), cut into blocks several ways
  const double rate = 16000;
  std::vector<float> x;
  for (int rep = 0; rep < 4; ++rep)
    for (int seg = 0; seg < 6; ++seg) {
      auto v = pulse_train(90 + 45 * seg + 7 * rep, rate, 6000 + 700 * static_cast<std::size_t>(seg), 0.1 + 0.04 * seg + 0.05 * rep);
      x.insert(x.end(), v.begin(), v.end());
      auto nz = dyad::test::noise(3000, 0.01 + 0.004 * seg, static_cast<std::uint32_t>(10 * rep + seg + 1));
      x.insert(x.end(), nz.begin(), nz.end());
    }
  for (double ref : {0.0, 0.9}) {
    PitchConfig cfg;
    cfg.sample_rate_hz = rate;
    cfg.reference_peak = ref;
    cfg.first_frame_s = 0.013;
    const auto one = track(cfg, x, 4096);
    ASSERT_GT(one.size(), 1500u);
    std::size_t voiced = 0;
    for (auto& f : one) voiced += f.voiced();
    EXPECT_GT(voiced, one.size() / 3);
    for (int threads : {2, 3}) {
      cfg.threads = threads;
      for (std::size_t block : {std::size_t{0}, std::size_t{7}, std::size_t{16384}, std::size_t{65536}, std::size_t{1} << 20}) {
        const auto got = track(cfg, x, block);
        ASSERT_EQ(got.size(), one.size()) << threads << " threads, block " << block;
        for (std::size_t i = 0; i < one.size(); ++i) {
          ASSERT_EQ(got[i].time_s, one[i].time_s) << "frame " << i;
          ASSERT_EQ(got[i].f0_hz, one[i].f0_hz) << "frame " << i << ", " << threads << " threads, block " << block;
          ASSERT_EQ(got[i].strength, one[i].strength) << "frame " << i;
          ASSERT_EQ(got[i].local_peak, one[i].local_peak) << "frame " << i;
          ASSERT_EQ(got[i].max_strength, one[i].max_strength) << "frame " << i;
        }
      }
      const auto cut = track(cfg, x, 0, 5);  // random blocks of 1..3000 samples
      ASSERT_EQ(cut.size(), one.size());
      for (std::size_t i = 0; i < one.size(); ++i) ASSERT_EQ(cut[i].f0_hz, one[i].f0_hz) << "frame " << i;
    }
  }
}

TEST(PitchTracker, OutputFitsMaxOutputWithShortStepsAndALowFloor) {
  // 1 ms steps and a 40 Hz floor (a 75 ms window): many frames per block and at the end
  auto x = pulse_train(140, 16000, 24000);
  std::vector<std::vector<PitchFrame>> tracks;
  for (int threads : {1, 2}) {
    PitchConfig cfg;
    cfg.time_step_s = 0.001;
    cfg.f0_min_hz = 40;
    cfg.max_undecided_s = 0.05;  // the path finder's ring fills: forced decisions too
    cfg.threads = threads;
    PitchTracker t(cfg);
    std::vector<PitchFrame> all;
    for (std::size_t pos = 0; pos < x.size(); pos += 5000) {
      const std::size_t n = std::min<std::size_t>(5000, x.size() - pos);
      std::vector<PitchFrame> out(t.max_output(n));
      const std::size_t k = t.process(std::span<const float>(x.data() + pos, n), out);
      ASSERT_LE(k, out.size());
      all.insert(all.end(), out.begin(), out.begin() + static_cast<long>(k));
    }
    std::vector<PitchFrame> out(t.max_output(0));
    const std::size_t k = t.finish(out);
    ASSERT_LE(k, out.size());
    all.insert(all.end(), out.begin(), out.begin() + static_cast<long>(k));
    EXPECT_EQ(all.size(), 1500u);
    tracks.push_back(all);
  }
  ASSERT_EQ(tracks[0].size(), tracks[1].size());
  for (std::size_t i = 0; i < tracks[0].size(); ++i) EXPECT_EQ(tracks[0][i].f0_hz, tracks[1][i].f0_hz) << "frame " << i;
}

TEST(PitchTracker, ResetWithABatchInFlightStartsAgain) {
  PitchConfig cfg;
  cfg.threads = 2;
  auto x = pulse_train(180, 16000, 80000);
  const auto fresh = track(cfg, x, 16384);
  PitchTracker t(cfg);
  std::vector<PitchFrame> out(t.max_output(40000));
  t.process(std::span<const float>(x.data(), 40000), out);  // its last batch is still in flight
  t.reset();
  std::vector<PitchFrame> all;
  for (std::size_t pos = 0; pos < x.size(); pos += 16384) {
    const std::size_t n = std::min<std::size_t>(16384, x.size() - pos);
    out.assign(t.max_output(n), PitchFrame{});
    const std::size_t k = t.process(std::span<const float>(x.data() + pos, n), out);
    all.insert(all.end(), out.begin(), out.begin() + static_cast<long>(k));
  }
  out.assign(t.max_output(0), PitchFrame{});
  const std::size_t k = t.finish(out);
  all.insert(all.end(), out.begin(), out.begin() + static_cast<long>(k));
  ASSERT_EQ(all.size(), fresh.size());
  for (std::size_t i = 0; i < all.size(); ++i) EXPECT_EQ(all[i].f0_hz, fresh[i].f0_hz) << "frame " << i;
}

TEST(PitchTracker, AFramesTrackDoesNotDependOnItsTransformPartner) {
  // Frames are transformed two at a time (frame 2j in the real part, 2j + 1 in the imaginary part of
  // one complex FFT). One step of zeros in front pairs every frame with its other neighbour: the
  // track is the same to float rounding (frame k then is frame k + 1).
  const double rate = 16000;
  std::vector<float> x = dyad::test::noise(3000, 0.005, 9);
  for (int seg = 0; seg < 5; ++seg) {
    auto v = pulse_train(90 + 50 * seg, rate, 5000 + 900 * static_cast<std::size_t>(seg), 0.15 + 0.05 * seg);
    x.insert(x.end(), v.begin(), v.end());
    auto nz = dyad::test::noise(2500, 0.02, static_cast<std::uint32_t>(seg + 20));
    x.insert(x.end(), nz.begin(), nz.end());
  }
  PitchConfig cfg;
  cfg.sample_rate_hz = rate;
  std::vector<float> shifted(160, 0.f);
  shifted.insert(shifted.end(), x.begin(), x.end());
  auto a = track(cfg, x), b = track(cfg, shifted);
  ASSERT_EQ(b.size(), a.size() + 1);
  std::size_t voiced = 0;
  for (std::size_t k = 0; k < a.size(); ++k) {
    ASSERT_EQ(a[k].voiced(), b[k + 1].voiced()) << "frame " << k;
    EXPECT_NEAR(a[k].f0_hz, b[k + 1].f0_hz, 1e-3) << "frame " << k;
    EXPECT_NEAR(a[k].strength, b[k + 1].strength, 1e-5) << "frame " << k;
    EXPECT_NEAR(a[k].local_peak, b[k + 1].local_peak, 1e-7) << "frame " << k;
    voiced += a[k].voiced();
  }
  EXPECT_GT(voiced, a.size() / 3);
}

TEST(PitchTracker, ForcedDecisionsStillTrackF0) {
  PitchConfig cfg;
  cfg.max_undecided_s = 0.1;  // force the path every 10 frames
  auto x = pulse_train(200, 16000, 32000);
  auto frames = track(cfg, x, 333);
  ASSERT_EQ(frames.size(), 200u);
  for (auto& f : frames)
    if (f.time_s > 0.05 && f.time_s < 1.95) {
      ASSERT_TRUE(f.voiced()) << f.time_s;
      EXPECT_NEAR(f.f0_hz, 200, 1.0);
    }
}

TEST(PitchTracker, PerRoleRangeExcludesOutOfRangeF0) {
  PitchConfig cfg;
  cfg.f0_min_hz = 150;
  cfg.f0_max_hz = 400;
  auto x = dyad::test::sine(100, 16000, 16000, 0.5);  // below the floor: no candidate at 100 Hz
  auto frames = track(cfg, x, 4096);
  for (auto& f : frames)
    if (f.voiced()) { EXPECT_GE(f.f0_hz, 150); EXPECT_LE(f.f0_hz, 400); }
  auto y = dyad::test::sine(300, 16000, 16000, 0.5);
  frames = track(cfg, y, 4096);
  EXPECT_NEAR(frames[50].f0_hz, 300, 1.5);
}

TEST(PitchTracker, ResetStartsAgain) {
  PitchConfig cfg;
  auto x = pulse_train(180, 16000, 8000);
  PitchTracker t(cfg);
  std::vector<PitchFrame> a(t.max_output(x.size())), b(t.max_output(x.size()));
  std::size_t na = t.process(x, a);
  na += t.finish(std::span<PitchFrame>(a).subspan(na));
  t.reset();
  std::size_t nb = t.process(x, b);
  nb += t.finish(std::span<PitchFrame>(b).subspan(nb));
  ASSERT_EQ(na, nb);
  for (std::size_t i = 0; i < na; ++i) EXPECT_EQ(a[i].f0_hz, b[i].f0_hz);
}

TEST(PitchTracker, InvalidParametersThrowWithASentence) {
  auto msg = [](PitchConfig c) {
    try {
      PitchTracker t(c);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("no exception");
  };
  PitchConfig c;
  c.f0_min_hz = 600;
  c.f0_max_hz = 75;
  EXPECT_EQ(msg(c), "PitchTracker: need 0 < f0_min_hz < f0_max_hz < sample_rate_hz / 2, got f0_min_hz 600, f0_max_hz 75, sample_rate_hz 16000.");
  c = PitchConfig{};
  c.sample_rate_hz = 0;
  EXPECT_EQ(msg(c), "PitchTracker: sample_rate_hz must be positive, got 0.");
  c = PitchConfig{};
  c.time_step_s = -0.01;
  EXPECT_EQ(msg(c), "PitchTracker: time_step_s must be positive, got -0.01.");
  c = PitchConfig{};
  c.voicing_threshold = 1.5;
  EXPECT_EQ(msg(c), "PitchTracker: voicing_threshold must be in [0, 1), got 1.5.");
  c = PitchConfig{};
  c.max_candidates = 1;
  EXPECT_EQ(msg(c), "PitchTracker: max_candidates must be between 2 and 32, got 1.");
  c = PitchConfig{};
  c.octave_jump_cost = -1;
  EXPECT_EQ(msg(c), "PitchTracker: costs must be non-negative, got octave_cost 0.01, octave_jump_cost -1, voiced_unvoiced_cost 0.14.");
  c = PitchConfig{};
  c.threads = 0;
  EXPECT_EQ(msg(c), "PitchTracker: threads must be between 1 and 64, got 0.");
  c = PitchConfig{};
  c.f0_max_hz = 9000;
  EXPECT_EQ(msg(c), "PitchTracker: need 0 < f0_min_hz < f0_max_hz < sample_rate_hz / 2, got f0_min_hz 75, f0_max_hz 9000, sample_rate_hz 16000.");
  IntensityConfig ic;
  ic.f0_min_hz = -5;
  try {
    IntensityTracker t(ic);
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()),
              "IntensityTracker: f0_min_hz must be positive and give a window (6.4 / f0_min_hz) of at least 8 samples, got f0_min_hz -5 at sample_rate_hz 16000.");
  }
}

// ---- Intensity ----

TEST(IntensityTracker, SineAtKnownAmplitude) {
  for (double rate : {16000.0, 44100.0}) {
    for (double amp : {0.5, 0.01}) {
      IntensityConfig cfg;
      cfg.sample_rate_hz = rate;
      auto x = dyad::test::sine(440, rate, static_cast<std::size_t>(rate), amp);
      auto v = intensity(cfg, x, 1000);
      ASSERT_EQ(v.size(), 100u);
      double expect = 10 * std::log10(amp * amp / 2 / 4e-10);
      for (std::size_t k = 10; k < 90; ++k) EXPECT_NEAR(v[k], expect, 0.01) << rate << " " << amp << " frame " << k;
    }
  }
}

TEST(IntensityTracker, SubtractMeanRemovesDc) {
  IntensityConfig cfg;
  auto x = dyad::test::sine(200, 16000, 16000, 0.1);
  for (auto& v : x) v += 0.3f;
  auto with = intensity(cfg, x, 4096);
  cfg.subtract_mean = false;
  auto without = intensity(cfg, x, 4096);
  double expect = 10 * std::log10(0.01 / 2 / 4e-10);
  EXPECT_NEAR(with[50], expect, 0.01);
  EXPECT_NEAR(without[50], 10 * std::log10((0.01 / 2 + 0.09) / 4e-10), 0.01);
}

TEST(IntensityTracker, SilenceGivesTheFloorAndBlockCutsDoNotMatter) {
  IntensityConfig cfg;
  std::vector<float> z(8000, 0.f);
  auto v = intensity(cfg, z, 100);
  ASSERT_EQ(v.size(), 50u);
  for (double d : v) EXPECT_EQ(d, kIntensityFloorDb);
  auto x = dyad::test::noise(20000, 0.1, 3);
  auto a = intensity(cfg, x, 1), b = intensity(cfg, x, 20000), c = intensity(cfg, x, 999);
  ASSERT_EQ(a.size(), b.size());
  ASSERT_EQ(a.size(), c.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i], b[i]);
    EXPECT_EQ(a[i], c[i]);
  }
}

/// Praat's To Intensity computed directly in double: the reference for the tracker's block-moment
/// fast path (whole windows inside the signal) and its direct path (the ends).
std::vector<double> intensity_reference(const IntensityConfig& cfg, const std::vector<float>& x) {
  auto i0 = [](double v) {
    double sum = 1, term = 1, q = v * v / 4;
    for (int k = 1; k < 500; ++k) {
      term *= q / (static_cast<double>(k) * k);
      sum += term;
      if (term < sum * 1e-17) break;
    }
    return sum;
  };
  const double fs = cfg.sample_rate_hz, half = 3.2 / cfg.f0_min_hz * fs, step = cfg.time_step_s * fs;
  const auto n = static_cast<std::int64_t>(x.size());
  std::vector<double> out;
  for (std::int64_t k = 0;; ++k) {
    const double c = cfg.first_frame_s * fs + static_cast<double>(k) * step;
    if (c >= static_cast<double>(n)) break;
    const auto a = std::max<std::int64_t>(0, static_cast<std::int64_t>(std::ceil(c - half)));
    const auto b = std::min<std::int64_t>(n - 1, static_cast<std::int64_t>(std::floor(c + half)));
    double mean = 0;
    for (std::int64_t i = a; i <= b; ++i) mean += x[static_cast<std::size_t>(i)];
    mean = cfg.subtract_mean ? mean / static_cast<double>(b - a + 1) : 0;
    double sw = 0, sxw = 0;
    for (std::int64_t i = a; i <= b; ++i) {
      const double d = (static_cast<double>(i) - c) / half;
      const double w = d * d >= 1 ? 0 : i0(20.24 * std::sqrt(1 - d * d)) / i0(20.24);
      const double v = x[static_cast<std::size_t>(i)] - mean;
      sw += w;
      sxw += w * v * v;
    }
    const double p = sw > 0 ? sxw / sw : 0;
    out.push_back(p > 4e-40 ? 10 * std::log10(p / 4e-10) : kIntensityFloorDb);
  }
  return out;
}

TEST(IntensityTracker, BlockMomentsAgreeWithTheDirectSumEverywhere) {
  // speech-like bursts with silences, a DC offset, clicks near window edges, at the rates and steps
  // dyad uses (16 and 48 kHz: the block-moment path; 44.1 kHz: every frame direct)
  for (double rate : {16000.0, 44100.0, 48000.0}) {
    for (double floor_hz : {75.0, 50.0}) {
      IntensityConfig cfg;
      cfg.sample_rate_hz = rate;
      cfg.f0_min_hz = floor_hz;
      cfg.time_step_s = floor_hz == 50 ? 0.016 : 0.01;
      const auto n = static_cast<std::size_t>(rate * 3);
      auto x = dyad::test::noise(n, 0.05, 7);
      for (std::size_t i = 0; i < n; ++i) {
        const double t = static_cast<double>(i) / rate;
        x[i] = static_cast<float>(x[i] * (std::fmod(t, 0.7) < 0.4 ? 1.0 : 0.001) + 0.4 * std::sin(2 * M_PI * 180 * t) * (t > 1 && t < 2) + 0.02);
      }
      for (std::size_t i = n / 7; i < n; i += n / 7) x[i] = 0.9f;  // clicks
      for (bool mean : {true, false}) {
        cfg.subtract_mean = mean;
        const auto got = intensity(cfg, x, 4093);
        const auto want = intensity_reference(cfg, x);
        ASSERT_EQ(got.size(), want.size()) << rate;
        double worst = 0;
        for (std::size_t k = 0; k < got.size(); ++k) worst = std::max(worst, std::abs(got[k] - want[k]));
        // 0.005 dB: the direct float sum (44.1 kHz here) is itself up to ~0.002 dB off the double
        // reference in quiet frames with a DC offset when not vectorised (-O1); too long blocks
        // (32 samples at 16 kHz) would give ~0.01 dB
        EXPECT_LT(worst, 0.005) << "rate " << rate << " floor " << floor_hz << " subtract_mean " << mean;
      }
    }
  }
}

TEST(IntensityTracker, BlockMomentsWithLongStepsAndAnOffsetFirstFrame) {
  // steps longer than the window (the ring must keep the block being filled) and frame centres
  // between samples
  IntensityConfig cfg;
  cfg.sample_rate_hz = 48000;
  cfg.time_step_s = 0.1;
  cfg.first_frame_s = 0.00123;
  auto x = dyad::test::noise(48000 * 4, 0.1, 5);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] *= static_cast<float>(1 + std::sin(static_cast<double>(i) * 1e-4));
  for (std::size_t block : {1u, 777u, 100000u}) {
    const auto got = intensity(cfg, x, block);
    const auto want = intensity_reference(cfg, x);
    ASSERT_EQ(got.size(), want.size()) << block;
    for (std::size_t k = 0; k < got.size(); ++k) EXPECT_NEAR(got[k], want[k], 0.005) << "block " << block << " frame " << k;
  }
}

// ---- Real speech: against Praat (when installed) and against the FDA-UE laryngograph ----

namespace {

std::vector<float> read_wav_mono16(const fs::path& p, double& rate) {
  // minimal PCM16 / float32 WAV reader for the test (the shared files are plain PCM16)
  std::ifstream in(p, std::ios::binary);
  std::vector<char> b((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto u32 = [&](std::size_t o) { return static_cast<std::uint32_t>(static_cast<unsigned char>(b[o]) | (static_cast<unsigned char>(b[o + 1]) << 8) | (static_cast<unsigned char>(b[o + 2]) << 16) | (static_cast<std::uint32_t>(static_cast<unsigned char>(b[o + 3])) << 24)); };
  auto u16 = [&](std::size_t o) { return static_cast<std::uint16_t>(static_cast<unsigned char>(b[o]) | (static_cast<unsigned char>(b[o + 1]) << 8)); };
  std::size_t o = 12;
  int ch = 1, bits = 16;
  std::vector<float> x;
  while (o + 8 <= b.size()) {
    std::uint32_t sz = u32(o + 4);
    if (std::string(b.data() + o, 4) == "fmt ") {
      ch = u16(o + 10);
      rate = u32(o + 12);
      bits = u16(o + 22);
    } else if (std::string(b.data() + o, 4) == "data") {
      std::size_t n = std::min<std::size_t>(sz, b.size() - o - 8) / static_cast<std::size_t>(bits / 8 * ch);
      for (std::size_t i = 0; i < n; ++i) {
        std::size_t q = o + 8 + i * static_cast<std::size_t>(bits / 8 * ch);
        x.push_back(static_cast<float>(static_cast<std::int16_t>(u16(q)) / 32768.0));
      }
      break;
    }
    o += 8 + sz + (sz & 1);
  }
  return x;
}

bool have_praat() { return std::system("command -v praat >/dev/null 2>&1") == 0; }

}  // namespace

TEST(PitchAgainstPraat, RealSpeechAgrees) {
  if (!have_praat()) GTEST_SKIP() << "praat is not on PATH";
  const fs::path script = fs::path(DYAD_TEST_DATA) / ".." / ".." / "bench" / "praat" / "pitch_intensity.praat";
  const std::vector<fs::path> files = {dyad::test::shared_data() / "speech" / "the_north_wind_and_the_sun.wav",
                                       dyad::test::shared_data() / "pitch" / "fda_ue_dev" / "sb003.wav"};
  dyad::test::TempDir tmp;
  long frames = 0, same = 0, joint = 0, within2 = 0, ifr = 0;
  double idiff = 0;
  for (auto& f : files) {
    if (!fs::exists(f)) GTEST_SKIP() << f << " is absent";
    std::string cmd = "praat --run '" + script.string() + "' '" + f.string() + "' '" + (tmp / "p.txt").string() + "' '" +
                      (tmp / "i.txt").string() + "' >/dev/null 2>&1";
    ASSERT_EQ(std::system(cmd.c_str()), 0);
    std::vector<double> pt, pf, it, iv;
    std::ifstream p(tmp / "p.txt"), i(tmp / "i.txt");
    double a, b;
    while (p >> a >> b) { pt.push_back(a); pf.push_back(b); }
    while (i >> a >> b) { it.push_back(a); iv.push_back(b); }
    ASSERT_FALSE(pt.empty());
    double rate = 0;
    auto x = read_wav_mono16(f, rate);
    double peak = 0;
    for (float v : x) peak = std::max(peak, static_cast<double>(std::abs(v)));
    PitchConfig cfg;
    cfg.sample_rate_hz = rate;
    cfg.first_frame_s = pt[0] - 0.5 / rate;  // Praat puts sample n at (n + 0.5) / rate
    cfg.reference_peak = peak;
    auto d = track(cfg, x, 4096);
    for (std::size_t k = 0; k < pt.size() && k < d.size(); ++k) {
      ++frames;
      bool pv = pf[k] > 0;
      if (pv == d[k].voiced()) ++same;
      if (pv && d[k].voiced()) {
        ++joint;
        if (std::abs(d[k].f0_hz - pf[k]) < 0.02 * pf[k]) ++within2;
      }
    }
    IntensityConfig ic;
    ic.sample_rate_hz = rate;
    ic.first_frame_s = it[0] - 0.5 / rate;
    auto dv = intensity(ic, x, 4096);
    for (std::size_t k = 0; k < it.size() && k < dv.size(); ++k)
      if (iv[k] > 0) { idiff += std::abs(dv[k] - iv[k]); ++ifr; }
  }
  ASSERT_GT(frames, 200);
  ASSERT_GT(joint, 100);
  EXPECT_GT(static_cast<double>(same) / static_cast<double>(frames), 0.95);   // goal 0.95; measured ~0.998
  EXPECT_GT(static_cast<double>(within2) / static_cast<double>(joint), 0.95);  // goal 0.97; measured 1.0
  EXPECT_LT(idiff / static_cast<double>(ifr), 0.25);                           // goal 0.5 dB; measured ~0.01
}

TEST(PitchAccuracy, FdaUeLaryngograph) {
  const fs::path dir = dyad::test::shared_data() / "pitch" / "fda_ue_dev";
  if (!fs::exists(dir / "rl001.wav")) GTEST_SKIP() << dir << " is absent";
  long frames = 0, vde = 0, joint = 0, gross = 0;
  for (std::string name : {"rl001", "rl007", "sb001", "sb010"}) {
    double rate = 0;
    auto x = read_wav_mono16(dir / (name + ".wav"), rate);
    ASSERT_EQ(rate, 20000);
    double peak = 0;
    for (float v : x) peak = std::max(peak, static_cast<double>(std::abs(v)));
    PitchConfig cfg;
    cfg.sample_rate_hz = rate;
    cfg.time_step_s = 0.005;  // the truth is every 15 ms: read every third frame
    cfg.reference_peak = peak;
    auto d = track(cfg, x, 2048);
    std::ifstream in(dir / (name + ".f0ref"));
    double ref;
    for (std::size_t i = 0; in >> ref; ++i) {
      std::size_t k = 3 * i;
      if (k >= d.size()) break;
      ++frames;
      if ((ref > 0) != d[k].voiced()) ++vde;
      if (ref > 0 && d[k].voiced()) {
        ++joint;
        if (std::abs(d[k].f0_hz - ref) > 0.2 * ref) ++gross;
      }
    }
  }
  ASSERT_GT(frames, 500);
  EXPECT_LT(static_cast<double>(vde) / static_cast<double>(frames), 0.10);   // Praat ~5 % on all 50
  EXPECT_LT(static_cast<double>(gross) / static_cast<double>(joint), 0.03);  // Praat ~0.9 % on all 50
}
