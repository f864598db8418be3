// Voice quality (dsp/voice.hpp) and syllable nuclei (dsp/speech_rate.hpp): the measures' exact
// definitions against values Praat 6.3.07 printed for probe pulse trains, harmonicity and pulses on
// synthetic voices, block-cut independence, and real speech against Praat (when installed).
#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <span>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "dyad/dsp/pitch.hpp"
#include "dyad/dsp/speech_rate.hpp"
#include "dyad/dsp/synth.hpp"
#include "dyad/dsp/voice.hpp"
#include "test_util.hpp"

using namespace dyad::dsp;
namespace fs = std::filesystem;

namespace {

std::vector<GlottalPulse> pulses_of(const std::vector<double>& t, const std::vector<double>& amp = {}) {
  std::vector<GlottalPulse> p;
  for (std::size_t i = 0; i < t.size(); ++i) p.push_back({t[i], amp.empty() ? 1.f : static_cast<float>(amp[i])});
  return p;
}

void expect_rel(double got, double want, double rel, const char* what) {
  if (std::isnan(want)) {
    EXPECT_TRUE(std::isnan(got)) << what << ": got " << got << ", Praat says undefined";
    return;
  }
  EXPECT_NEAR(got, want, rel * std::abs(want)) << what;
}

/// Pitch frames, pulses and harmonicity of a whole signal, fed in blocks of `block` samples.
struct Run {
  std::vector<PitchFrame> frames;
  std::vector<GlottalPulse> pulses;
  std::vector<double> hnr;
};
Run analyse(const std::vector<float>& x, double rate, std::size_t block, double first_frame_s = 0, double peak = 0,
            double hnr_first_s = 0, std::size_t max_frames = SIZE_MAX, double max_interval_s = 10) {
  PitchConfig pc;
  pc.sample_rate_hz = rate;
  pc.first_frame_s = first_frame_s;
  pc.reference_peak = peak;
  PitchTracker pt(pc);
  PulseConfig qc;
  qc.sample_rate_hz = rate;
  qc.first_frame_s = first_frame_s;
  qc.max_interval_s = max_interval_s;
  PulseTracker pu(qc);
  HarmonicityConfig hc;
  hc.sample_rate_hz = rate;
  hc.first_frame_s = hnr_first_s;
  hc.reference_peak = peak;
  HarmonicityTracker ht(hc);
  Run r;
  std::vector<PitchFrame> pf;
  std::vector<double> hf;
  auto keep = [&](std::size_t n) {
    std::size_t k = std::min(n, max_frames > r.frames.size() ? max_frames - r.frames.size() : 0);
    r.frames.insert(r.frames.end(), pf.begin(), pf.begin() + static_cast<long>(k));
    return std::span<const PitchFrame>(pf.data(), k);
  };
  for (std::size_t i = 0; i < x.size(); i += block) {
    const std::size_t n = std::min(block, x.size() - i);
    std::span<const float> b(x.data() + i, n);
    pf.resize(pt.max_output(n));
    hf.resize(ht.max_output(n));
    pu.process(b, keep(pt.process(b, pf)), r.pulses);
    const std::size_t k = ht.process(b, hf);
    r.hnr.insert(r.hnr.end(), hf.begin(), hf.begin() + static_cast<long>(k));
  }
  pf.resize(pt.max_output(0));
  hf.resize(ht.max_output(0));
  pu.finish(keep(pt.finish(pf)), r.pulses);
  const std::size_t k = ht.finish(hf);
  r.hnr.insert(r.hnr.end(), hf.begin(), hf.begin() + static_cast<long>(k));
  return r;
}

/// A sustained synthetic vowel /a/: Rosenberg pulses with the given local jitter and shimmer
/// (GlottalSource), four formants, constant F0.
std::vector<float> vowel(double rate, double seconds, double f0, double jitter, double shimmer, std::uint64_t seed) {
  GlottalSource g({rate, jitter, shimmer, 0.56}, seed);
  FormantFilter f({{730, 1090, 2440, 3400}, {80, 90, 120, 180}}, rate);
  std::vector<float> x(static_cast<std::size_t>(seconds * rate));
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = 0.02f * f.process(g.next(static_cast<std::int64_t>(i), [&](std::int64_t) { return f0; }));
  return x;
}

double mean_hnr(const std::vector<double>& h) {
  double s = 0;
  std::size_t n = 0;
  for (double v : h)
    if (v > kHarmonicitySilentDb) { s += v; ++n; }
  return n ? s / static_cast<double>(n) : NAN;
}

}  // namespace

// ---- The definitions, against what Praat 6.3.07 prints for the same pulse trains ----

TEST(VoiceQuality, JitterAsPraatOnProbeTrains) {
  // Praat: PointProcess: Get jitter (local/local, absolute/rap/ppq5/ddp): 0, 0, 0.0001, 0.02, 1.3
  struct Case {
    std::vector<double> t;
    double local, abs, rap, ppq5, ddp, mean_period;
  };
  const Case cases[] = {
      {{0.1, 0.11, 0.1205, 0.1301, 0.1403, 0.1498, 0.1601, 0.1699, 0.1802, 0.19, 0.2001, 0.21},
       0.055, 0.00055, 0.038148148148, 0.025142857143, 0.114444444444, 0.01},
      // a 19.5 ms period is used, the 30 ms gap is not (and separates the periods around it)
      {{0.1, 0.11, 0.1205, 0.1301, 0.1403, 0.1598, 0.1701, 0.1799, 0.1902, 0.20, 0.2101, 0.22, 0.25, 0.2601, 0.2703, 0.2799},
       0.046855828221, 0.00047, 0.032756354075, 0.020935582822, 0.098269062226, 0.010030769231},
      // a 0.5 ms period next to 9.5 ms ones breaks every triple: RAP, PPQ5 and DDP are undefined
      {{0.1, 0.11, 0.1205, 0.121, 0.1301, 0.1403}, 0.080402010050, 0.0008, NAN, NAN, NAN, 0.00995},
  };
  for (auto& c : cases) {
    VoiceQuality q = voice_quality(pulses_of(c.t));
    expect_rel(q.jitter_local, c.local, 1e-9, "local");
    expect_rel(q.jitter_local_abs_s, c.abs, 1e-9, "local, absolute");
    expect_rel(q.jitter_rap, c.rap, 1e-9, "rap");
    expect_rel(q.jitter_ppq5, c.ppq5, 1e-9, "ppq5");
    expect_rel(q.jitter_ddp, c.ddp, 1e-9, "ddp");
    expect_rel(q.mean_period_s, c.mean_period, 1e-9, "mean period");
  }
}

TEST(VoiceQuality, ShimmerAsPraatOnProbeTrains) {
  // Praat: Sound & PointProcess: Get shimmer (...): 0, 0, 0.0001, 0.02, 1.3, 1.6 on a sound that is
  // constant (the given amplitude) around each pulse, so each period's amplitude is that constant.
  struct Case {
    std::vector<double> t, a;
    double local, db, apq3, apq5, apq11, dda;
  };
  std::vector<double> even;
  for (int i = 0; i < 14; ++i) even.push_back(0.1 + 0.01 * i);
  const Case cases[] = {
      {even, {1, 1.1, 0.9, 1, 1.2, 1, 0.95, 1.05, 1, 1.1, 1, 0.9, 1.3, 1},
       0.142857143, 1.211718636, 0.06875, 0.06875, 0.040178571, 0.20625},
      // a jump by 2 (above the amplitude factor 1.6) drops the two pairs around it
      {{0.1, 0.11, 0.12, 0.13, 0.14, 0.15, 0.16, 0.17, 0.18, 0.19, 0.2, 0.21}, {1, 1, 1.1, 1, 2, 1, 1.1, 1, 1, 1.05, 1, 1},
       0.06271777, 0.594140968, 0.03804878, 0.026341463, NAN, 0.114146341},
      // a 15 ms period (factor 1.5 > 1.3): the pulses on either side of it have no amplitude
      {{0.1, 0.11, 0.12, 0.13, 0.145, 0.155, 0.165, 0.175, 0.185, 0.195, 0.205, 0.215}, {1, 1, 1.1, 1, 1.2, 1, 1.1, 1, 0.9, 1.05, 1, 1},
       0.097902098, 0.860238782, 0.053030303, 0.058741259, NAN, 0.159090909},
      // a 25 ms gap (above the 20 ms ceiling)
      {{0.1, 0.11, 0.12, 0.13, 0.14, 0.15, 0.175, 0.185, 0.195, 0.205, 0.215, 0.225}, {1, 1, 1.1, 1, 1.2, 1, 1.1, 1, 0.9, 1.05, 1, 1},
       0.112643678, 0.986200652, 0.076436782, NAN, NAN, 0.229310345},
  };
  for (auto& c : cases) {
    VoiceQuality q = voice_quality(pulses_of(c.t, c.a));
    // amplitudes are floats: 1e-6
    expect_rel(q.shimmer_local, c.local, 1e-6, "local");
    expect_rel(q.shimmer_local_db, c.db, 1e-6, "local, dB");
    expect_rel(q.shimmer_apq3, c.apq3, 1e-6, "apq3");
    expect_rel(q.shimmer_apq5, c.apq5, 1e-6, "apq5");
    expect_rel(q.shimmer_apq11, c.apq11, 1e-6, "apq11");
    expect_rel(q.shimmer_dda, c.dda, 1e-6, "dda");
  }
}

TEST(VoiceQuality, EmptyAndTooFewAreUndefined) {
  VoiceQuality q = voice_quality({});
  EXPECT_EQ(q.pulses, 0u);
  EXPECT_TRUE(std::isnan(q.jitter_local));
  EXPECT_TRUE(std::isnan(q.shimmer_local));
  q = voice_quality(pulses_of({0.1, 0.11}));
  EXPECT_TRUE(std::isnan(q.jitter_local));  // one period: no pair
  EXPECT_EQ(q.periods, 0u);
}

TEST(VoiceQuality, PiecesSplitAtGapsAddUpToTheWhole) {
  // voiced stretches of jittery pulses with gaps longer than the ceiling between them
  std::vector<dyad::dsp::GlottalPulse> all;
  std::vector<std::size_t> cuts;
  std::uint32_t s = 7;
  auto rnd = [&] { s = s * 1664525u + 1013904223u; return static_cast<double>(s >> 8) / 16777216.0; };
  double t = 0.1;
  for (int stretch = 0; stretch < 40; ++stretch) {
    if (stretch) cuts.push_back(all.size());
    const int n = 3 + static_cast<int>(rnd() * 60);
    const double period = 0.004 + rnd() * 0.006;
    for (int i = 0; i < n; ++i) {
      all.push_back({t, static_cast<float>(0.1 + 0.05 * rnd())});
      t += period * (0.9 + 0.2 * rnd()) * (rnd() < 0.03 ? 1.5 : 1.0);
    }
    t += 0.021 + rnd() * 0.5;
  }
  const auto whole = dyad::dsp::voice_quality(all);
  dyad::dsp::VoiceQualityAccumulator acc;
  std::size_t a = 0;
  cuts.push_back(all.size());
  for (std::size_t c : cuts) {
    acc.add(std::span<const dyad::dsp::GlottalPulse>(all).subspan(a, c - a));
    a = c;
  }
  const auto q = acc.result();
  EXPECT_EQ(q.pulses, whole.pulses);
  EXPECT_EQ(q.periods, whole.periods);
  EXPECT_EQ(q.amplitudes, whole.amplitudes);
  for (auto [x, y] : {std::pair{q.mean_period_s, whole.mean_period_s}, {q.sd_period_s, whole.sd_period_s},
                      {q.jitter_local, whole.jitter_local}, {q.jitter_local_abs_s, whole.jitter_local_abs_s},
                      {q.jitter_rap, whole.jitter_rap}, {q.jitter_ppq5, whole.jitter_ppq5}, {q.jitter_ddp, whole.jitter_ddp},
                      {q.shimmer_local, whole.shimmer_local}, {q.shimmer_local_db, whole.shimmer_local_db},
                      {q.shimmer_apq3, whole.shimmer_apq3}, {q.shimmer_apq5, whole.shimmer_apq5},
                      {q.shimmer_apq11, whole.shimmer_apq11}, {q.shimmer_dda, whole.shimmer_dda}}) {
    ASSERT_TRUE(std::isfinite(y));
    EXPECT_NEAR(x, y, 1e-12 * std::abs(y));
  }
}

TEST(PeriodAmplitudes, PraatsWindowOnProbes) {
  // Praat's To AmplitudeTier (period) on a constant 0.001 plus a unit impulse at the pulse, periods
  // of 100 samples at 10 kHz: 0.258458894 (the impulse weighs 1 / sum of the squared Hann window).
  const double rate = 10000;
  std::vector<float> x(3000, 0.001f);
  x[1500] += 1.f;
  std::vector<GlottalPulse> p;
  for (int k = -5; k <= 5; ++k) p.push_back({(1500 + 100 * k) / rate, 0.f});
  period_amplitudes(x, rate, p);
  EXPECT_NEAR(p[5].amplitude, 0.258458894, 2e-6);
  EXPECT_NEAR(p[4].amplitude, 0.001, 1e-7);  // the impulse is 100 samples away: outside 0.2 periods
  EXPECT_TRUE(std::isnan(p[0].amplitude));   // no previous pulse
  EXPECT_TRUE(std::isnan(p[10].amplitude));  // no next pulse
  // unequal periods (80 before, 120 after): the window reaches 16 samples before and 24 after
  p = {{1340 / rate, 0.f}, {1420 / rate, 0.f}, {1500 / rate, 0.f}, {1620 / rate, 0.f}, {1740 / rate, 0.f}};
  std::fill(x.begin(), x.end(), 0.001f);
  x[1500 - 8] += 1.f;
  period_amplitudes(x, rate, p);
  EXPECT_NEAR(p[2].amplitude, 0.129232349, 2e-6);  // Praat: w = 0.5 at half the left half-window
  std::fill(x.begin(), x.end(), 0.001f);
  x[1500 + 12] += 1.f;
  period_amplitudes(x, rate, p);
  EXPECT_NEAR(p[2].amplitude, 0.129232349, 2e-6);
}

// ---- Harmonicity ----

TEST(Harmonicity, InvalidParametersNamed) {
  HarmonicityConfig c;
  c.silence_threshold = 1.5;
  try {
    HarmonicityTracker t(c);
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "HarmonicityTracker: silence_threshold must be in [0, 1), got 1.5.");
  }
  c = {};
  c.f0_min_hz = 0;
  EXPECT_THROW(HarmonicityTracker{c}, std::invalid_argument);
  c = {};
  c.periods_per_window = 0;
  EXPECT_THROW(HarmonicityTracker{c}, std::invalid_argument);
}

TEST(Harmonicity, SilenceIsSilentAndSinesArePeriodic) {
  const double rate = 16000;
  HarmonicityConfig c;
  c.sample_rate_hz = rate;
  std::vector<float> zero(16000, 0.f);
  auto r = analyse(zero, rate, 1000);
  ASSERT_EQ(r.hnr.size(), 100u);
  for (double v : r.hnr) EXPECT_EQ(v, kHarmonicitySilentDb);
  auto s = dyad::test::sine(200, rate, 16000, 0.5);
  r = analyse(s, rate, 1000);
  for (std::size_t k = 5; k + 5 < r.hnr.size(); ++k) EXPECT_GT(r.hnr[k], 40) << k;
}

TEST(Harmonicity, NoisySineGivesItsSignalToNoiseRatio) {
  // a periodic signal plus white noise: HNR = 10 log10(periodic / noise energy) (Boersma 1993)
  const double rate = 16000;
  for (double snr : {0.0, 10.0, 20.0}) {
    auto s = dyad::test::sine(150, rate, 32000, 0.5);
    auto n = dyad::test::noise(s.size(), 0.5 / std::sqrt(2.0) * std::pow(10.0, -snr / 20), 7);
    for (std::size_t i = 0; i < s.size(); ++i) s[i] += n[i];
    auto r = analyse(s, rate, 4096);
    EXPECT_NEAR(mean_hnr(r.hnr), snr, 1.5) << snr;
  }
}

TEST(Harmonicity, BlockCutsDoNotMatter) {
  const double rate = 22050;
  auto x = vowel(rate, 1.5, 140, 0.01, 0.04, 3);
  auto a = analyse(x, rate, 100000), b = analyse(x, rate, 777), c = analyse(x, rate, 64);
  ASSERT_EQ(a.hnr, b.hnr);
  ASSERT_EQ(a.hnr, c.hnr);
}

// ---- Glottal pulses ----

TEST(Pulses, InvalidParametersNamed) {
  PulseConfig c;
  c.max_interval_s = 0.01;
  try {
    PulseTracker t(c);
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "PulseTracker: max_interval_s must be between 10 time steps and 600 s, got 0.01.");
  }
  PulseConfig d;
  d.reference_peak = -1;
  try {
    PulseTracker t(d);
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "PulseTracker: reference_peak must be 0 (running peak) or positive, got -1.");
  }
}

namespace {

/// PulseTracker alone on given pitch frames: `runs` are voiced stretches (start, end, f0) on a
/// 0.01 s grid from 0; the rest unvoiced.
std::vector<GlottalPulse> pulses_on_frames(const std::vector<float>& x, double rate, const std::vector<std::array<double, 3>>& runs,
                                           double peak) {
  PulseConfig qc;
  qc.sample_rate_hz = rate;
  qc.reference_peak = peak;
  PulseTracker pu(qc);
  std::vector<PitchFrame> fr(static_cast<std::size_t>(static_cast<double>(x.size()) / rate / 0.01));
  for (std::size_t k = 0; k < fr.size(); ++k) {
    fr[k].time_s = 0.01 * static_cast<double>(k);
    for (auto& r : runs)
      if (fr[k].time_s >= r[0] && fr[k].time_s <= r[1]) fr[k].f0_hz = r[2];
  }
  std::vector<GlottalPulse> out;
  pu.process(x, {}, out);
  pu.finish(fr, out);
  return out;
}

}  // namespace

TEST(Pulses, QuietPeriodsAreDropped) {
  // A vowel, a gap, then the same vowel at 0.5 % of its level, all called voiced: Praat 6.3.07 keeps
  // no pulse whose period of signal peaks below 1 % of the global peak except each voiced interval's
  // first pulse (the extremum at its middle), so the quiet part has one. (Praat on the North Wind
  // recording followed by a copy at 0.5 % of its level, pitch silence threshold 0 so that both are
  // voiced: 4 pulses in the quiet copy, one per voiced interval.)
  const double rate = 16000;
  auto x = vowel(rate, 0.6, 130, 0, 0, 3);
  std::vector<float> gap(3200, 0.f);
  auto q = vowel(rate, 0.6, 130, 0, 0, 4);
  for (float& v : q) v *= 0.005f;
  std::vector<float> loud_first = x;
  loud_first.insert(loud_first.end(), gap.begin(), gap.end());
  loud_first.insert(loud_first.end(), q.begin(), q.end());
  float peak = 0;
  for (float v : x) peak = std::max(peak, std::abs(v));
  const std::vector<std::array<double, 3>> runs = {{0.05, 0.55, 130}, {0.85, 1.35, 130}};
  for (double ref : {static_cast<double>(peak), 0.0}) {  // the global peak, or the running peak
    auto p = pulses_on_frames(loud_first, rate, runs, ref);
    std::size_t loud = 0, quiet = 0;
    for (auto& g : p) (g.time_s < 0.7 ? loud : quiet) += 1;
    EXPECT_GT(loud, 60u) << ref;
    EXPECT_EQ(quiet, 1u) << ref;
  }
  // quiet first, running peak: the quiet part is judged by the peak so far (its own), so it keeps
  // its pulses, where Praat (the whole file's peak) would drop them
  std::vector<float> quiet_first = q;
  quiet_first.insert(quiet_first.end(), gap.begin(), gap.end());
  quiet_first.insert(quiet_first.end(), x.begin(), x.end());
  std::size_t quiet = 0;
  for (auto& g : pulses_on_frames(quiet_first, rate, runs, 0)) quiet += g.time_s < 0.7;
  EXPECT_GT(quiet, 60u);
  quiet = 0;
  for (auto& g : pulses_on_frames(quiet_first, rate, runs, peak)) quiet += g.time_s < 0.7;
  EXPECT_EQ(quiet, 1u);
}

TEST(Pulses, SilenceHasNone) {
  std::vector<float> zero(48000, 0.f);
  EXPECT_TRUE(analyse(zero, 48000, 4096).pulses.empty());
}

TEST(Pulses, PeriodicVoiceGivesItsPeriods) {
  const double rate = 44100;
  for (double f0 : {100.0, 220.0}) {
    auto x = vowel(rate, 1.0, f0, 0, 0, 1);
    auto r = analyse(x, rate, 4096);
    ASSERT_GT(r.pulses.size(), static_cast<std::size_t>(0.9 * f0));
    VoiceQuality q = voice_quality(r.pulses);
    EXPECT_NEAR(q.mean_period_s, 1 / f0, 0.001 / f0);
    EXPECT_LT(q.jitter_local, 0.002) << f0;
    EXPECT_LT(q.shimmer_local, 0.01) << f0;
  }
}

TEST(Pulses, JitterAndShimmerFollowTheSource) {
  // The synthetic source's period and amplitude perturbation (GlottalSource: local jitter and
  // shimmer of the source) against what waveform matching measures after the formant filter.
  // Praat 6.3.07 reads this very signal (120 Hz, 1 % / 4 %) as 0.752 % jitter and 4.38 % shimmer,
  // and dyad as 0.752 % and 4.38 %: the filter's ringing makes the measured jitter lower than the
  // source's (by 10-45 % depending on F0 and the vowel) and the shimmer differ from it. So measured
  // values must grow with the source's, stay within those factors, and be near zero without it.
  const double rate = 48000;
  double last_j = 0, last_s = 0;
  for (double k : {0.0, 0.5, 1.0, 2.0}) {
    const double jit = 0.01 * k, shim = 0.04 * k;
    auto x = vowel(rate, 4.0, 120, jit, shim, 11);
    auto r = analyse(x, rate, 8192);
    VoiceQuality q = voice_quality(r.pulses);
    if (k == 0) {
      EXPECT_LT(q.jitter_local, 0.001);
      EXPECT_LT(q.shimmer_local, 0.005);
    } else {
      EXPECT_GT(q.jitter_local, 0.55 * jit) << k;
      EXPECT_LT(q.jitter_local, 1.05 * jit) << k;
      EXPECT_GT(q.shimmer_local, 0.6 * shim) << k;
      EXPECT_LT(q.shimmer_local, 1.5 * shim) << k;
      EXPECT_GT(q.jitter_local, last_j);
      EXPECT_GT(q.shimmer_local, last_s);
    }
    if (k == 1) {
      EXPECT_NEAR(q.jitter_local, 0.00752, 0.0004);  // Praat 0.752 %
      EXPECT_NEAR(q.shimmer_local, 0.0438, 0.002);   // Praat 4.38 %
    }
    last_j = q.jitter_local;
    last_s = q.shimmer_local;
  }
}

TEST(Pulses, BlockCutsDoNotMatter) {
  const double rate = 16000;
  auto x = vowel(rate, 1.0, 130, 0.01, 0.04, 5);
  std::vector<float> gap(8000, 0.f);
  x.insert(x.end(), gap.begin(), gap.end());
  auto y = vowel(rate, 0.8, 210, 0.01, 0.04, 6);
  x.insert(x.end(), y.begin(), y.end());
  auto a = analyse(x, rate, 100000), b = analyse(x, rate, 1000), c = analyse(x, rate, 37);
  ASSERT_EQ(a.pulses.size(), b.pulses.size());
  ASSERT_EQ(a.pulses.size(), c.pulses.size());
  for (std::size_t i = 0; i < a.pulses.size(); ++i) {
    EXPECT_EQ(a.pulses[i].time_s, b.pulses[i].time_s);
    EXPECT_EQ(a.pulses[i].time_s, c.pulses[i].time_s);
    EXPECT_EQ(std::isnan(a.pulses[i].amplitude), std::isnan(c.pulses[i].amplitude));
    if (!std::isnan(a.pulses[i].amplitude)) {
      EXPECT_EQ(a.pulses[i].amplitude, c.pulses[i].amplitude);
    }
  }
  for (std::size_t i = 1; i < a.pulses.size(); ++i) EXPECT_LT(a.pulses[i - 1].time_s, a.pulses[i].time_s);
}

TEST(Pulses, LongVoicedStretchesAreCutAndStayContinuous) {
  const double rate = 16000;
  auto x = vowel(rate, 12.0, 120, 0.005, 0.02, 9);
  PitchConfig pc;
  pc.sample_rate_hz = rate;
  PitchTracker pt(pc);
  PulseConfig qc;
  qc.sample_rate_hz = rate;
  qc.max_interval_s = 2;
  PulseTracker pu(qc);
  std::vector<PitchFrame> pf;
  std::vector<GlottalPulse> out;
  for (std::size_t i = 0; i < x.size(); i += 4096) {
    std::span<const float> b(x.data() + i, std::min<std::size_t>(4096, x.size() - i));
    pf.resize(pt.max_output(b.size()));
    pu.process(b, std::span<const PitchFrame>(pf.data(), pt.process(b, pf)), out);
  }
  pf.resize(pt.max_output(0));
  pu.finish(std::span<const PitchFrame>(pf.data(), pt.finish(pf)), out);
  EXPECT_GE(pu.cut_intervals(), 5u);
  VoiceQuality q = voice_quality(out);
  EXPECT_NEAR(static_cast<double>(out.size()), 12 * 120, 40);
  // the same as without cuts (the pieces join without extra or missing periods)
  VoiceQuality whole = voice_quality(analyse(x, rate, 4096).pulses);
  EXPECT_NEAR(q.jitter_local, whole.jitter_local, 0.05 * whole.jitter_local);
  EXPECT_NEAR(q.mean_period_s, 1 / 120.0, 1e-5);
  EXPECT_NEAR(static_cast<double>(q.periods), static_cast<double>(whole.periods), 15);
}

// ---- Syllable nuclei ----

TEST(SyllableNuclei, PeaksWithDipsAreCounted) {
  // 8 syllables: intensity bumps every 0.25 s, 10 dB dips between them, voiced at the peaks
  std::vector<float> I;
  std::vector<unsigned char> v;
  for (int k = 0; k < 200; ++k) {
    const double t = k * 0.01;
    const double phase = std::fmod(t, 0.25) / 0.25;
    I.push_back(static_cast<float>(t < 2.0 ? 60 + 10 * std::sin(M_PI * phase) : 30));
    v.push_back(t < 2.0 && phase > 0.2 && phase < 0.8);
  }
  auto n = syllable_nuclei(I, v, 0, 0.01);
  EXPECT_EQ(n.times_s.size(), 8u);
  for (std::size_t i = 0; i < n.times_s.size(); ++i) EXPECT_NEAR(n.times_s[i], 0.125 + 0.25 * static_cast<double>(i), 0.011);
  // unvoiced peaks do not count; dips of 1 dB do not separate syllables
  std::vector<unsigned char> none(I.size(), 0);
  EXPECT_TRUE(syllable_nuclei(I, none, 0, 0.01).times_s.empty());
  for (auto& x : I) x = 60 + (x - 60) * 0.1f;
  EXPECT_LE(syllable_nuclei(I, v, 0, 0.01).times_s.size(), 1u);
  EXPECT_TRUE(syllable_nuclei({}, {}, 0, 0.01).times_s.empty());
}

TEST(SyllableNuclei, ScannerInPiecesEqualsTheWholeTrack) {
  std::vector<float> I;
  std::vector<unsigned char> v;
  std::uint32_t s = 3;
  auto rnd = [&] { s = s * 1664525u + 1013904223u; return static_cast<double>(s >> 8) / 16777216.0; };
  for (int k = 0; k < 20000; ++k) {
    I.push_back(static_cast<float>(rnd() < 0.05 ? -300 : 50 + 20 * std::sin(k * 0.2) + 6 * rnd()));
    v.push_back(rnd() < 0.7);
  }
  const auto whole = dyad::dsp::syllable_nuclei(I, v, 0.5, 0.016);
  ASSERT_GT(whole.times_s.size(), 100u);
  const double thr = dyad::dsp::syllable_threshold([&](const std::function<void(double)>& sink) { for (float x : I) sink(x); });
  EXPECT_EQ(thr, whole.threshold_db);
  dyad::dsp::SyllablePeakScanner scan(thr, 0.5, 0.016);
  for (std::size_t a = 0; a < I.size();) {
    const std::size_t n = std::min<std::size_t>(1 + a % 13, I.size() - a);
    scan.add(std::span<const float>(I).subspan(a, n), std::span<const unsigned char>(v).subspan(a, n));
    a += n;
  }
  const auto got = scan.finish();
  EXPECT_EQ(got.peaks, whole.peaks);
  EXPECT_EQ(got.times_s, whole.times_s);
}

TEST(SyllableNuclei, SoundingIntervalsFollowPraatsRules) {
  // sounding 0-1 s, a 0.2 s pause (shorter than 0.3 s: stays sounding), a 0.05 s burst (shorter
  // than 0.1 s: silent), a 0.5 s pause, sounding 1.95-2.5 s
  std::vector<float> I(300, 20.f);
  auto set = [&](double a, double b) {
    for (int k = static_cast<int>(std::lround(a * 100)); k < static_cast<int>(std::lround(b * 100)); ++k) I[static_cast<std::size_t>(k)] = 60;
  };
  set(0, 1);
  set(1.2, 1.4);
  set(1.9, 1.95);
  set(2.45, 2.5);
  set(2.5, 3);
  auto s = sounding_intervals(I, 0, 0.01, 40);
  ASSERT_EQ(s.size(), 2u);
  EXPECT_NEAR(s[0].first, -0.005, 1e-9);
  EXPECT_NEAR(s[0].second, 1.395, 1e-9);
  EXPECT_NEAR(s[1].first, 2.445, 1e-9);
}

// ---- Real speech against Praat (when installed) ----

namespace {

bool have_praat() { return std::system("command -v praat >/dev/null 2>&1") == 0; }

std::vector<float> read_wav_pcm16(const fs::path& p, double& rate) {
  std::ifstream in(p, std::ios::binary);
  std::vector<char> b((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto u32 = [&](std::size_t o) {
    return static_cast<std::uint32_t>(static_cast<unsigned char>(b[o]) | (static_cast<unsigned char>(b[o + 1]) << 8) |
                                      (static_cast<unsigned char>(b[o + 2]) << 16) |
                                      (static_cast<std::uint32_t>(static_cast<unsigned char>(b[o + 3])) << 24));
  };
  auto u16 = [&](std::size_t o) { return static_cast<std::uint16_t>(static_cast<unsigned char>(b[o]) | (static_cast<unsigned char>(b[o + 1]) << 8)); };
  std::size_t o = 12;
  int ch = 1;
  std::vector<float> x;
  while (o + 8 <= b.size()) {
    const std::uint32_t sz = u32(o + 4);
    if (std::string(b.data() + o, 4) == "fmt ") {
      ch = u16(o + 10);
      rate = u32(o + 12);
    } else if (std::string(b.data() + o, 4) == "data") {
      const std::size_t n = std::min<std::size_t>(sz, b.size() - o - 8) / static_cast<std::size_t>(2 * ch);
      for (std::size_t i = 0; i < n; ++i)
        x.push_back(static_cast<float>(static_cast<std::int16_t>(u16(o + 8 + i * static_cast<std::size_t>(2 * ch))) / 32768.0));
      break;
    }
    o += 8 + sz + (sz & 1);
  }
  return x;
}

}  // namespace

TEST(VoiceAgainstPraat, RealSpeechAgrees) {
  if (!have_praat()) GTEST_SKIP() << "praat is not on PATH";
  const fs::path script = fs::path(DYAD_TEST_DATA) / ".." / ".." / "bench" / "praat" / "voice.praat";
  const std::vector<fs::path> files = {dyad::test::shared_data() / "speech" / "the_north_wind_and_the_sun.wav",
                                       dyad::test::shared_data() / "pitch" / "fda_ue_dev" / "sb003.wav",
                                       dyad::test::shared_data() / "pitch" / "fda_ue_dev" / "rl004.wav"};
  dyad::test::TempDir tmp;
  std::size_t praat_pulses = 0, matched = 0;
  for (auto& f : files) {
    if (!fs::exists(f)) GTEST_SKIP() << f << " is absent";
    const std::string cmd = "praat --run '" + script.string() + "' '" + f.string() + "' '" + tmp.path().string() + "' >/dev/null 2>&1";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
    std::map<std::string, double> m;
    {
      std::ifstream in(tmp / "measures.txt");
      std::string k, v;
      while (in >> k >> v) m[k] = v == "--undefined--" ? NAN : std::stod(v);
    }
    std::vector<double> P;
    {
      std::ifstream in(tmp / "pulses.txt");
      double t;
      while (in >> t) P.push_back(t);
    }
    double rate = 0;
    auto x = read_wav_pcm16(f, rate);
    double peak = 0;
    for (float v : x) peak = std::max(peak, static_cast<double>(std::abs(v)));
    auto r = analyse(x, rate, 4096, m["pitch_t1"] - 0.5 / rate, peak, m["hnr_t1"] - 0.5 / rate,
                     static_cast<std::size_t>(m["pitch_frames"]));
    r.hnr.resize(std::min(r.hnr.size(), static_cast<std::size_t>(m["hnr_frames"])));
    for (auto& p : r.pulses) p.time_s += 0.5 / rate;  // Praat's time
    for (double t : P) {
      ++praat_pulses;
      auto it = std::lower_bound(r.pulses.begin(), r.pulses.end(), t, [](const GlottalPulse& p, double v) { return p.time_s < v; });
      double d = 1;
      if (it != r.pulses.end()) d = std::min(d, it->time_s - t);
      if (it != r.pulses.begin()) d = std::min(d, t - std::prev(it)->time_s);
      matched += d <= 0.0005;
    }
    // CI bounds are looser than the goals (5 %); bench/eval_prosody measures all 68 files
    VoiceQuality q = voice_quality(r.pulses);
    // (measured on these three files: jitter within 1.4 %, ppq5 6.2 % on the North Wind recording,
    // where one pitch frame's voicing differs; shimmer within 0.3 %)
    expect_rel(q.jitter_local, m["jitter_local"], 0.04, "jitter local");
    expect_rel(q.jitter_rap, m["jitter_rap"], 0.04, "jitter rap");
    expect_rel(q.jitter_ppq5, m["jitter_ppq5"], 0.10, "jitter ppq5");
    expect_rel(q.shimmer_local, m["shimmer_local"], 0.02, "shimmer local");
    expect_rel(q.shimmer_apq11, m["shimmer_apq11"], 0.03, "shimmer apq11");
    expect_rel(mean_hnr(r.hnr), m["hnr_mean_db"], 0.05, "mean HNR");
    // the voice report
    VoiceReportConfig vc;
    vc.reference_peak = peak;
    for (auto& fr : r.frames) fr.time_s += 0.5 / rate;
    VoiceReport vr = voice_report(r.frames, r.pulses, 0, static_cast<double>(x.size()) / rate, vc);
    expect_rel(vr.f0_median_hz, m["vr_median_hz"], 0.01, "median pitch");
    expect_rel(vr.f0_mean_hz, m["vr_mean_hz"], 0.02, "mean pitch");  // one frame's voicing may differ (0.2 % of frames)
    expect_rel(vr.f0_min_hz, m["vr_min_hz"], 0.01, "minimum pitch");
    expect_rel(vr.f0_max_hz, m["vr_max_hz"], 0.01, "maximum pitch");
    expect_rel(static_cast<double>(vr.locally_unvoiced_frames) / static_cast<double>(vr.frames), m["vr_unvoiced_fraction"], 0.1,
               "unvoiced fraction");
    expect_rel(vr.quality.mean_period_s, m["vr_mean_period_s"], 0.01, "mean period");
    expect_rel(vr.mean_hnr_db, m["vr_mean_hnr_db"], 0.02, "report HNR");
    expect_rel(vr.mean_autocorrelation, m["vr_mean_autocorrelation"], 0.01, "mean autocorrelation");
  }
  ASSERT_GT(praat_pulses, 500u);
  EXPECT_GT(static_cast<double>(matched) / static_cast<double>(praat_pulses), 0.98);  // goal 0.95; measured 0.990
}

TEST(SyllableNuclei, NorthWindAgainstItsTextGrid) {
  const fs::path wav = dyad::test::shared_data() / "speech" / "the_north_wind_and_the_sun.wav";
  if (!fs::exists(wav)) GTEST_SKIP() << wav << " is absent";
  // the TextGrid's "syllable nuclei" tier
  const std::vector<double> truth = {0.10218, 0.22258, 0.50325, 0.73076, 0.86992, 1.07710};
  double rate = 0;
  auto x = read_wav_pcm16(wav, rate);
  IntensityConfig ic;
  ic.sample_rate_hz = rate;
  ic.f0_min_hz = 50;
  ic.time_step_s = 0.016;  // as dyad analyze and de Jong & Wempe's script
  IntensityTracker it(ic);
  PitchConfig pc;
  pc.sample_rate_hz = rate;
  auto r = analyse(x, rate, 4096);
  std::vector<double> inf(it.max_output(x.size()));
  std::size_t n = it.process(x, inf);
  std::vector<double> tail(it.max_output(0));
  std::size_t m = it.finish(tail);
  std::vector<float> I;
  for (std::size_t k = 0; k < n; ++k) I.push_back(static_cast<float>(inf[k]));
  for (std::size_t k = 0; k < m; ++k) I.push_back(static_cast<float>(tail[k]));
  std::vector<unsigned char> v;  // the nearest pitch frame's voicing
  for (std::size_t k = 0; k < I.size(); ++k) {
    const auto j = static_cast<std::size_t>(std::floor(static_cast<double>(k) * 1.6 + 0.5));
    v.push_back(j < r.frames.size() && r.frames[j].voiced());
  }
  auto nuc = syllable_nuclei(I, v, 0, 0.016);
  std::size_t hit = 0;
  for (double t : truth)
    hit += std::any_of(nuc.times_s.begin(), nuc.times_s.end(), [&](double d) { return std::abs(d - t) <= 0.06; });
  EXPECT_GE(hit, 4u);  // measured 5 of 6 (de Jong & Wempe's procedure in Praat: 4)
  EXPECT_LE(nuc.times_s.size(), 7u);
}
