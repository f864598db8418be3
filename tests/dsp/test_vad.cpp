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

// ---------------------------------------------------------------------------------------------
// CrosstalkVad: voices leaking into the other microphones are rejected; the leak is learned.

namespace {

/// A voice-like signal: a harmonic complex (f0 with a slow vibrato, 1/k amplitudes) under a
/// syllabic envelope (4-5 Hz), on during the given spans [start, end) s, silent elsewhere.
std::vector<float> voice(double rate, double total_s, const std::vector<std::pair<double, double>>& spans, double f0, double amp = 0.1) {
  const auto n = static_cast<std::size_t>(total_s * rate);
  std::vector<float> x(n, 0.f);
  for (auto [s, e] : spans) {
    for (auto i = static_cast<std::size_t>(s * rate); i < static_cast<std::size_t>(e * rate) && i < n; ++i) {
      const double t = static_cast<double>(i) / rate, u = t - s;
      const double env = (0.6 + 0.4 * std::sin(2 * M_PI * 4.3 * u)) * std::min(1.0, std::min(u, e - t) / 0.005);
      const double ph = 2 * M_PI * f0 * t + 0.3 * std::sin(2 * M_PI * 5 * t);
      double v = 0;
      for (int k = 1; k * f0 < 0.45 * rate && k <= 30; ++k) v += std::sin(k * ph) / k;
      x[i] = static_cast<float>(amp * env * v);
    }
  }
  return x;
}

/// mics[c] = own voice + every other voice delayed by delay_s and scaled by xt_db + noise.
std::vector<std::vector<float>> mix(const std::vector<std::vector<float>>& voices, double rate, double xt_db, double delay_s,
                                    double noise_sd = 1e-4) {
  const auto d = static_cast<std::size_t>(delay_s * rate);
  const float g = static_cast<float>(std::pow(10.0, xt_db / 20));
  std::vector<std::vector<float>> mics;
  for (std::size_t c = 0; c < voices.size(); ++c) {
    auto m = dyad::test::noise(voices[c].size(), noise_sd, static_cast<std::uint32_t>(40 + c));
    for (std::size_t i = 0; i < m.size(); ++i) {
      m[i] += voices[c][i];
      for (std::size_t o = 0; o < voices.size(); ++o)
        if (o != c && i >= d) m[i] += g * voices[o][i - d];
    }
    mics.push_back(std::move(m));
  }
  return mics;
}

std::vector<std::vector<Interval>> run_multi(VoiceActivityDetector& v, const std::vector<std::vector<float>>& mics, std::size_t block) {
  std::vector<std::vector<Interval>> out(mics.size());
  std::vector<std::span<const float>> views(mics.size());
  const std::size_t n = mics[0].size();
  for (std::size_t i = 0; i < n; i += block) {
    for (std::size_t c = 0; c < mics.size(); ++c) views[c] = std::span<const float>(mics[c]).subspan(i, std::min(block, n - i));
    v.process(views);
    for (std::size_t c = 0; c < mics.size(); ++c)
      for (auto s : v.take(c)) out[c].push_back(s);
  }
  v.finish();
  for (std::size_t c = 0; c < mics.size(); ++c)
    for (auto s : v.take(c)) out[c].push_back(s);
  return out;
}

std::vector<std::vector<Interval>> run_crosstalk(const std::vector<std::vector<float>>& mics, double rate, std::size_t block = 4096,
                                                 CrosstalkVadConfig c = {}) {
  c.sample_rate_hz = rate;
  CrosstalkVad v(c, mics.size());
  return run_multi(v, mics, block);
}

/// Every talkspurt matches one wanted span within `tol` at both ends.
void expect_near_spans(const std::vector<Interval>& got, std::vector<std::pair<double, double>> want, double tol, const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (std::size_t i = 0; i < got.size(); ++i) {
    EXPECT_NEAR(got[i].start_s, want[i].first, tol) << what << " talkspurt " << i;
    EXPECT_NEAR(got[i].end_s, want[i].second, tol) << what << " talkspurt " << i;
  }
}

}  // namespace

TEST(CrosstalkVad, SilenceAndNoiseGiveNothing) {
  const std::vector<std::vector<float>> zeros(2, std::vector<float>(3 * 16000, 0.f));
  for (auto& c : run_crosstalk(zeros, kRate)) EXPECT_TRUE(c.empty());
  const std::vector<std::vector<float>> noise = {dyad::test::noise(10 * 16000, 0.01, 3), dyad::test::noise(10 * 16000, 0.01, 4)};
  for (auto& c : run_crosstalk(noise, kRate)) EXPECT_TRUE(c.empty());
}

/// Without leak, every voice is found within one frame (10 ms) of its true span, at the usual rates.
class CrosstalkVadRates : public ::testing::TestWithParam<double> {};
TEST_P(CrosstalkVadRates, VoicesWithoutLeakAreFoundWithinAFrame) {
  const double rate = GetParam();
  const std::vector<std::pair<double, double>> a = {{0.5, 1.7}, {3.0, 3.4}}, b = {{2.0, 2.8}, {3.2, 4.5}};
  auto mics = mix({voice(rate, 5, a, 120), voice(rate, 5, b, 210)}, rate, -120, 0);
  auto got = run_crosstalk(mics, rate);
  expect_near_spans(got[0], a, 0.0101, "A");
  expect_near_spans(got[1], b, 0.0101, "B");
}
INSTANTIATE_TEST_SUITE_P(Rates, CrosstalkVadRates, ::testing::Values(8000.0, 16000.0, 22050.0, 44100.0, 48000.0));

TEST(CrosstalkVad, RejectsTheLeakThatEnergyCountsAndLearnsItsGain) {
  // A and B alternate, then overlap; each is heard in the other's microphone 10 dB down, 3 ms late.
  const std::vector<std::pair<double, double>> a = {{0.5, 2.0}, {4.0, 5.5}, {8.0, 9.5}, {12.0, 14.0}},
                                               b = {{2.5, 3.5}, {6.0, 7.5}, {10.0, 11.5}, {13.0, 15.0}};
  auto mics = mix({voice(kRate, 16, a, 120), voice(kRate, 16, b, 210)}, kRate, -10, 0.003);
  auto got = run_crosstalk(mics, kRate);
  expect_near_spans(got[0], a, 0.03, "A");
  expect_near_spans(got[1], b, 0.03, "B");
  // the per-channel energy detector counts the leak as speech
  EnergyVadConfig ec;
  ec.sample_rate_hz = kRate;
  EnergyVad ev(ec, 2);
  auto energy = run_multi(ev, mics, 4096);
  EXPECT_GE(energy[1].size(), 6u);  // B's own four plus A's leak
  // the learned leak is the true one (harmonics of a 1/k source weigh the low bands)
  CrosstalkVadConfig c;
  c.sample_rate_hz = kRate;
  c.cancel_length_s = 0;  // the band gains then learn the whole leak (with cancellation: what is left of it)
  c.leak_quantile = 0.5;
  CrosstalkVad v(c, 2);
  run_multi(v, mics, 4096);
  EXPECT_NEAR(v.leak_gain_db(0, 1), -10, 3);
  EXPECT_NEAR(v.leak_gain_db(1, 0), -10, 3);
  EXPECT_NEAR(v.noise_floor_dbfs(0), -80, 4);  // noise_sd 1e-4, within the analysed band
}

TEST(CrosstalkVad, CancelsALeakThroughAKnownFilter) {
  // A and B alternate; each is heard in the other's microphone through a room: a direct path 3 ms
  // late and reflections up to 8 ms, 10 dB down in all. The adaptive filters cancel it, so the
  // leak left (what the band gains learn) is far lower than without cancellation.
  const std::vector<std::pair<double, double>> a = {{0.5, 2.0}, {4.0, 5.5}, {8.0, 9.5}, {12.0, 14.0}, {16.0, 18.0}},
                                               b = {{2.5, 3.5}, {6.0, 7.5}, {10.0, 11.5}, {14.5, 15.5}, {18.5, 19.5}};
  std::vector<std::vector<float>> voices = {voice(kRate, 20, a, 120), voice(kRate, 20, b, 210)};
  const std::vector<std::pair<double, double>> room = {{0.003, 1.0}, {0.0039, 0.55}, {0.0051, -0.4}, {0.0067, 0.3}, {0.0083, -0.2}};
  double e = 0;
  for (auto [d, g] : room) e += g * g;
  std::vector<std::vector<float>> mics;
  for (std::size_t c = 0; c < 2; ++c) {
    auto m = dyad::test::noise(voices[c].size(), 1e-4, static_cast<std::uint32_t>(50 + c));
    for (std::size_t i = 0; i < m.size(); ++i) m[i] += voices[c][i];
    for (auto [d, g] : room) {
      const auto k = static_cast<std::size_t>(std::lround(d * kRate));
      const float gf = static_cast<float>(g * std::pow(10.0, -10.0 / 20) / std::sqrt(e));
      for (std::size_t i = k; i < m.size(); ++i) m[i] += gf * voices[1 - c][i - k];
    }
    mics.push_back(std::move(m));
  }
  CrosstalkVadConfig c;
  c.sample_rate_hz = kRate;
  CrosstalkVad v(c, 2);
  auto got = run_multi(v, mics, 4096);
  expect_near_spans(got[0], a, 0.03, "A");
  expect_near_spans(got[1], b, 0.03, "B");
  // the leak is cancelled by more than 12 dB over all the solo frames, the filters' first
  // convergence included (about 14 dB with the default step; the noise is 50 dB below the leak)
  EXPECT_LE(v.cancelled_db(0), -12);
  EXPECT_LE(v.cancelled_db(1), -12);
  {  // a larger step converges faster: about 20 dB
    CrosstalkVadConfig fast = c;
    fast.cancel_step = 0.5;
    CrosstalkVad w(fast, 2);
    run_multi(w, mics, 4096);
    EXPECT_LE(w.cancelled_db(0), -17);
    EXPECT_LE(w.cancelled_db(1), -17);
  }
  // without cancellation nothing is cancelled, and the band gains learn the whole leak
  c.cancel_length_s = 0;
  CrosstalkVad plain(c, 2);
  auto got_plain = run_multi(plain, mics, 4096);
  EXPECT_EQ(plain.cancelled_db(0), 0.0);
  EXPECT_EQ(plain.cancelled_db(1), 0.0);
  EXPECT_GT(plain.leak_gain_db(0, 1), v.leak_gain_db(0, 1) + 3);
  EXPECT_GT(plain.leak_gain_db(1, 0), v.leak_gain_db(1, 0) + 3);
  std::printf("cancelled %.1f %.1f dB; leak left %.1f %.1f dB, without cancellation %.1f %.1f dB\n", v.cancelled_db(0), v.cancelled_db(1),
              v.leak_gain_db(0, 1), v.leak_gain_db(1, 0), plain.leak_gain_db(0, 1), plain.leak_gain_db(1, 0));
}

TEST(CrosstalkVad, ThreeChannelsWithATherapist) {
  const std::vector<std::pair<double, double>> a = {{0.5, 2.0}, {7.0, 8.0}}, b = {{2.5, 4.0}, {7.5, 9.0}}, t = {{4.5, 6.5}};
  auto mics = mix({voice(kRate, 10, a, 120), voice(kRate, 10, b, 210), voice(kRate, 10, t, 160)}, kRate, -12, 0.004);
  auto got = run_crosstalk(mics, kRate);
  expect_near_spans(got[0], a, 0.03, "A");
  expect_near_spans(got[1], b, 0.03, "B");
  expect_near_spans(got[2], t, 0.03, "therapist");
}

TEST(CrosstalkVad, ResultsDoNotDependOnBlockSize) {
  const std::vector<std::pair<double, double>> a = {{0.3, 1.2}, {2.0, 2.7}}, b = {{1.0, 1.9}, {2.5, 4.1}};  // B talks to the end
  auto mics = mix({voice(kRate, 4.003, a, 120), voice(kRate, 4.003, b, 210)}, kRate, -8, 0.002);
  auto ref = run_crosstalk(mics, kRate, mics[0].size());
  ASSERT_FALSE(ref[0].empty());
  ASSERT_FALSE(ref[1].empty());
  for (std::size_t block : {1u, 7u, 160u, 1000u, 4096u}) {
    auto got = run_crosstalk(mics, kRate, block);
    for (std::size_t c = 0; c < 2; ++c) {
      ASSERT_EQ(got[c].size(), ref[c].size()) << block;
      for (std::size_t i = 0; i < got[c].size(); ++i) {
        EXPECT_EQ(got[c][i].start_s, ref[c][i].start_s) << block;
        EXPECT_EQ(got[c][i].end_s, ref[c][i].end_s) << block;
      }
    }
  }
  // the last talkspurt ends at the last sample
  EXPECT_DOUBLE_EQ(ref[1].back().end_s, static_cast<double>(mics[1].size()) / kRate);
}

TEST(CrosstalkVad, ResetForgetsEverything) {
  auto mics = mix({voice(kRate, 3, {{0.5, 1.5}}, 120), voice(kRate, 3, {{1.8, 2.5}}, 210)}, kRate, -10, 0.003);
  CrosstalkVadConfig c;
  c.sample_rate_hz = kRate;
  CrosstalkVad v(c, 2);
  auto first = run_multi(v, mics, 512);
  v.reset();
  auto second = run_multi(v, mics, 512);
  ASSERT_EQ(first[0].size(), second[0].size());
  for (std::size_t i = 0; i < first[0].size(); ++i) EXPECT_EQ(first[0][i].start_s, second[0][i].start_s);
}

TEST(CrosstalkVad, ParametersByNameAndValidation) {
  CrosstalkVadConfig c;
  c.sample_rate_hz = kRate;
  CrosstalkVad v(c, 2);
  EXPECT_EQ(v.name(), "crosstalk");
  EXPECT_FALSE(v.independent_channels());
  EXPECT_EQ(v.channels(), 2u);
  EXPECT_EQ(v.analysis_rate_hz(), 16000.0);
  // every parameter can be set by the name it is written under
  for (auto& p : v.parameters()) {
    CrosstalkVadConfig d;
    ASSERT_TRUE(set_parameter(d, p.name, 7)) << p.name;
    d.sample_rate_hz = kRate;
    bool found = false;
    // a configuration with this value reports it back (validity aside)
    try {
      CrosstalkVad w(d, 2);
      for (auto& q : w.parameters())
        if (q.name == p.name) found = q.value == 7;
    } catch (const std::invalid_argument&) {
      found = true;  // 7 is out of range for this one: the setter still worked
    }
    EXPECT_TRUE(found) << p.name;
  }
  EXPECT_FALSE(set_parameter(c, "no_such_parameter", 1));
  EXPECT_THROW(set_parameter(c, "bands", 2.5), std::invalid_argument);
  auto message = [](CrosstalkVadConfig d, std::size_t channels = 2) {
    d.sample_rate_hz = kRate;
    try {
      CrosstalkVad w(d, channels);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CrosstalkVadConfig d;
  d.off_db = 2;
  EXPECT_EQ(message(d), "CrosstalkVad: off_db must be at most on_db, got 2");
  d = {};
  d.leak_quantile = 1;
  EXPECT_EQ(message(d), "CrosstalkVad: leak_quantile must be in (0, 1), got 1");
  d = {};
  d.band_low_hz = 9000;
  EXPECT_EQ(message(d), "CrosstalkVad: band_high_hz must be above band_low_hz, got 8000");
  d = {};
  d.cancel_step = 2;
  EXPECT_EQ(message(d), "CrosstalkVad: cancel_step must be in (0, 1], got 2");
  d = {};
  d.cancel_length_s = 0.5;
  EXPECT_EQ(message(d), "CrosstalkVad: cancel_length_s must be between 0 and 0.2, got 0.5");
  EXPECT_EQ(message({}, 0), "CrosstalkVad: channels must be between 1 and 16, got 0");
  std::vector<float> x(100), y(99);
  std::span<const float> views[2] = {x, y};
  EXPECT_THROW(v.process(views), std::invalid_argument);
}

TEST(TalkspurtAssembler, BridgesShortPausesAndDropsShortTalkspurts) {
  TalkspurtAssembler a(0.2, 0.1);
  // frames of 0.01 s: speech 0-0.5, pause 0.1, speech 0.6-0.8, pause 0.5, speech 1.3-1.35 (too short), speech 2.0-2.4 open
  auto speech = [](double t) { return (t < 0.5) || (t >= 0.6 && t < 0.8) || (t >= 1.3 && t < 1.35) || t >= 2.0; };
  for (int f = 0; f < 240; ++f) {
    const double t = f * 0.01;
    a.frame(speech(t + 1e-9), t, t + 0.01);
  }
  a.finish(2.4);
  auto got = a.take();
  expect_spans(got, {{0, 0.8}, {2.0, 2.4}});
}

TEST(TalkspurtAssembler, OnsetsMovedBackStayAfterThePreviousTalkspurt) {
  TalkspurtAssembler a(0.2, 0.1);
  auto run = [&](double from, double to, bool speech, double onset) {
    for (double t = from; t < to - 1e-9; t += 0.01) a.frame(speech, t, t + 0.01, onset);
  };
  // speech 0.5-1.0 starting in the frame at 0.5 but moved back to 0.45
  run(0, 0.5, false, std::nan(""));
  a.frame(true, 0.5, 0.51, 0.45);
  run(0.51, 1.0, true, std::nan(""));
  // a pause of 0.1 s, then an onset moved back before the previous end: it starts at that end (bridged)
  run(1.0, 1.1, false, std::nan(""));
  a.frame(true, 1.1, 1.11, 0.9);
  run(1.11, 1.5, true, std::nan(""));
  // 0.3 s of silence make 0.45-1.5 final; an onset moved back into that pause keeps a whole pause
  run(1.5, 1.8, false, std::nan(""));
  a.frame(true, 1.8, 1.81, 1.6);
  run(1.81, 2.2, true, std::nan(""));
  a.finish(2.2);
  expect_spans(a.take(), {{0.45, 1.5}, {1.7, 2.2}});
}

TEST(TalkspurtAssembler, EndsMovedForwardOnlyWhileNotFinal) {
  TalkspurtAssembler a(0.2, 0.1);
  auto run = [&](double from, double to, bool speech) {
    for (double t = from; t < to - 1e-9; t += 0.01) a.frame(speech, t, t + 0.01);
  };
  run(0, 0.5, false);
  run(0.5, 1.0, true);
  a.frame(false, 1.0, 1.01);
  a.extend_end(1.01);  // the end moves forward over frames just after it
  a.frame(false, 1.01, 1.02);
  a.extend_end(1.02);
  a.extend_end(1.015);  // never back
  run(1.02, 1.1, false);
  // speech again after 0.08 s: bridged to the extended end; an open talkspurt is not extended
  run(1.1, 1.5, true);
  a.extend_end(2.0);
  // a pause long enough makes 0.5-1.5 final: extending it afterwards changes nothing
  run(1.5, 1.8, false);
  a.extend_end(1.75);
  run(1.8, 2.0, true);
  a.frame(false, 2.0, 2.01);
  a.extend_end(2.05);
  a.finish(2.3);
  expect_spans(a.take(), {{0.5, 1.5}, {1.8, 2.05}});
}

TEST(CrosstalkVad, OneChannelIsANoiseFloorDetector) {
  const std::vector<std::pair<double, double>> a = {{0.5, 1.7}, {3.0, 3.4}};
  auto mics = mix({voice(kRate, 5, a, 150)}, kRate, -120, 0);
  auto got = run_crosstalk(mics, kRate);
  ASSERT_EQ(got.size(), 1u);
  expect_near_spans(got[0], a, 0.0101, "A");
}
