// Physiology algorithms (issue 10): synthetic exact cases, invalid parameters, and real
// recordings (small fixtures copied into tests/data/physio with their source and licence).
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <span>
#include <limits>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>

#include "dyad/dsp/blood_pressure.hpp"
#include "dyad/dsp/chunked.hpp"
#include "dyad/dsp/ecg.hpp"
#include "dyad/dsp/eda.hpp"
#include "dyad/dsp/filter.hpp"
#include "dyad/dsp/hrv.hpp"
#include "dyad/dsp/ppg.hpp"
#include "dyad/dsp/respiration.hpp"
#include "dyad/dsp/synchrony.hpp"
#include "physio_synth.hpp"
#include "test_util.hpp"

using namespace dyad::dsp;
namespace dt = dyad::test;

namespace {

/// Columns of a fixture TSV whose header follows '#' comment lines.
std::vector<std::vector<double>> read_fixture(const std::string& name) {
  std::ifstream f(dt::data_dir() / "physio" / name);
  EXPECT_TRUE(f.good()) << name;
  std::string line;
  std::vector<std::vector<double>> cols;
  bool header = false;
  while (std::getline(f, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::stringstream ss(line);
    std::string v;
    std::size_t c = 0;
    if (!header) {
      while (std::getline(ss, v, '\t')) cols.emplace_back();
      header = true;
      continue;
    }
    while (std::getline(ss, v, '\t') && c < cols.size()) cols[c++].push_back(std::stod(v));
  }
  return cols;
}

struct Score {
  int tp = 0, fp = 0, fn = 0;
  double f1() const { return 2.0 * tp / (2.0 * tp + fp + fn); }
};

Score score(const std::vector<double>& ref, const std::vector<double>& det, double tol) {
  Score s;
  std::vector<char> used(det.size(), 0);
  for (double r : ref) {
    bool hit = false;
    for (std::size_t k = 0; k < det.size(); ++k)
      if (!used[k] && std::abs(det[k] - r) <= tol) {
        used[k] = 1;
        hit = true;
        break;
      }
    hit ? ++s.tp : ++s.fn;
  }
  for (char u : used) s.fp += !u;
  return s;
}

std::vector<double> times_of(const std::vector<std::size_t>& idx, double fs) {
  std::vector<double> t;
  for (auto i : idx) t.push_back(static_cast<double>(i) / fs);
  return t;
}

template <class F>
std::string message_of(F&& f) {
  try {
    f();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "(no exception)";
}

}  // namespace

// --- filters ---------------------------------------------------------------------------------

TEST(Filter, LowpassKeepsDcAndRemovesHighFrequencies) {
  std::vector<double> x(2000);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = 3 + std::sin(2 * M_PI * 40 * static_cast<double>(i) / 200);
  const Biquad lp[] = {butter_lowpass(2, 200)};
  filtfilt(lp, x);
  for (std::size_t i = 200; i < 1800; ++i) EXPECT_NEAR(x[i], 3, 1e-3);
}

TEST(Filter, InvalidCutoffIsASentence) {
  EXPECT_EQ(message_of([] { butter_lowpass(60, 100); }),
            "butter_lowpass: the cut-off must be above 0 and below half the sample rate (cut-off 60.000000 Hz, rate 100.000000 Hz).");
}

TEST(Filter, InterpolationOutsideIsMissing) {
  std::vector<double> t = {1, 2, 3}, v = {10, 20, 40}, at = {0.5, 1, 1.5, 2.5, 3, 3.5};
  auto y = interpolate_linear(t, v, at);
  EXPECT_TRUE(std::isnan(y[0]));
  EXPECT_DOUBLE_EQ(y[1], 10);
  EXPECT_DOUBLE_EQ(y[2], 15);
  EXPECT_DOUBLE_EQ(y[3], 30);
  EXPECT_DOUBLE_EQ(y[4], 40);
  EXPECT_TRUE(std::isnan(y[5]));
}

// --- ECG -------------------------------------------------------------------------------------

struct EcgCase {
  double rate_hz, noise, wander, amp_mod, polarity;
};

class EcgSynthetic : public ::testing::TestWithParam<EcgCase> {};

TEST_P(EcgSynthetic, FindsEveryBeatWithinTenMilliseconds) {
  const auto p = GetParam();
  const double dur = 180;
  const auto beats = dt::beat_times(dur, 0.75, 0.04, 42);
  dt::EcgSynthOptions o;
  o.rate_hz = p.rate_hz;
  o.noise_sd = p.noise;
  o.wander_amp = p.wander;
  o.amp_mod = p.amp_mod;
  o.polarity = p.polarity;
  const auto x = dt::synth_ecg(beats, dur, o);
  EcgConfig c;
  c.sample_rate_hz = p.rate_hz;
  const auto det = times_of(EcgPeakDetector(c).detect(x), p.rate_hz);
  const auto s = score(beats, det, 0.010);
  EXPECT_EQ(s.fn, 0);
  EXPECT_EQ(s.fp, 0);
}

INSTANTIATE_TEST_SUITE_P(RatesNoiseWanderAmplitude, EcgSynthetic,
                         ::testing::Values(EcgCase{250, 0.02, 0.3, 0, 1}, EcgCase{360, 0.05, 1.0, 0.5, 1}, EcgCase{500, 0.1, 0.5, 0.6, -1},
                                           EcgCase{1000, 0.05, 0.8, 0.3, 1}, EcgCase{1000, 0.15, 0.3, 0, -1}));

TEST(Ecg, SilenceAndFlatGiveNoBeats) {
  EcgConfig c;
  c.sample_rate_hz = 500;
  EXPECT_TRUE(EcgPeakDetector(c).detect(std::vector<double>(5000, 0.0)).empty());
  EXPECT_TRUE(EcgPeakDetector(c).detect(std::vector<double>(100, 1.0)).empty());
}

TEST(Ecg, InvalidParametersAreSentences) {
  EcgConfig c;
  c.sample_rate_hz = 50;
  EXPECT_EQ(message_of([&] { EcgPeakDetector d(c); }), "EcgPeakDetector: sample_rate_hz must be at least 100 Hz (got 50).");
  c.sample_rate_hz = 360;
  c.band_low_hz = 20;
  EXPECT_EQ(message_of([&] { EcgPeakDetector d(c); }),
            "EcgPeakDetector: the band must satisfy 0 < band_low_hz < band_high_hz < sample_rate_hz / 2 (got 20 to 15 Hz at 360 Hz).");
}

TEST(Ecg, MitBihRecord100FirstTwoMinutes) {
  // tests/data/physio/mitdb100_120s*.tsv: PhysioNet MIT-BIH record 100 (ODC-BY), see the files.
  const auto sig = read_fixture("mitdb100_120s.tsv");
  const auto ann = read_fixture("mitdb100_120s_beats.tsv");
  ASSERT_EQ(sig.size(), 1u);
  ASSERT_EQ(sig[0].size(), 43200u);
  std::vector<double> mv, ref;
  for (double a : sig[0]) mv.push_back((a - 1024) / 200);
  for (double s : ann[0]) ref.push_back(s / 360);
  EcgConfig c;
  c.sample_rate_hz = 360;
  const auto det = times_of(EcgPeakDetector(c).detect(mv), 360);
  const auto s = score(ref, det, 0.150);
  EXPECT_GE(ref.size(), 140u);
  EXPECT_GE(s.f1(), 0.99) << "TP " << s.tp << " FP " << s.fp << " FN " << s.fn;
}

// --- beat correction -------------------------------------------------------------------------

namespace {
std::vector<double> regular(std::size_t n, double rr, std::uint32_t seed) {
  std::mt19937 g(seed);
  std::normal_distribution<double> d(0, 0.015);
  std::vector<double> t;
  double x = 1;
  for (std::size_t i = 0; i < n; ++i) {
    t.push_back(x);
    x += rr + d(g);
  }
  return t;
}
}  // namespace

TEST(BeatCorrector, InsertsAMissedBeat) {
  auto t = regular(120, 0.8, 1);
  const double gone = t[60];
  t.erase(t.begin() + 60);
  const auto out = BeatCorrector().correct(t);
  ASSERT_EQ(out.size(), 120u);
  EXPECT_NEAR(out[60].time_s, gone, 0.05);
  EXPECT_TRUE(out[60].corrected);
  int flagged = 0;
  for (const auto& b : out) flagged += b.corrected;
  EXPECT_EQ(flagged, 1);
}

// A NaN among the beat times would break the sorted rolling windows (found by review): refused.
TEST(BeatCorrector, ANonFiniteBeatTimeIsAClearError) {
  auto t = regular(30, 0.8, 1);
  t[12] = std::numeric_limits<double>::quiet_NaN();
  try {
    BeatCorrector().correct(t);
    ADD_FAILURE() << "accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "BeatCorrector: beat time 12 is not a finite number (got nan).");
  }
}

TEST(BeatCorrector, RemovesAnExtraBeat) {
  auto t = regular(120, 0.8, 2);
  t.insert(t.begin() + 50, (t[49] + t[50]) / 2 + 0.05);
  const auto out = BeatCorrector().correct(t);
  ASSERT_EQ(out.size(), 120u);
  EXPECT_TRUE(out[50].corrected);  // its interval changed
}

TEST(BeatCorrector, MovesAnEctopicBeat) {
  auto t = regular(120, 0.8, 3);
  const double orig = t[70];
  t[70] -= 0.3;  // premature, then a compensatory pause
  const auto out = BeatCorrector().correct(t);
  ASSERT_EQ(out.size(), 120u);
  EXPECT_NEAR(out[70].time_s, orig, 0.06);
  EXPECT_TRUE(out[70].corrected);
}

TEST(BeatCorrector, LeavesACleanSeriesAlone) {
  const auto t = regular(300, 0.9, 4);
  const auto out = BeatCorrector().correct(t);
  ASSERT_EQ(out.size(), t.size());
  // Gaussian beat-to-beat variability: at most 1 % of beats touched (thresholds at ~3.5 SD).
  int touched = 0;
  for (std::size_t i = 0; i < t.size(); ++i) touched += out[i].corrected || out[i].time_s != t[i];
  EXPECT_LE(touched, 3);
}

TEST(HeartRate, InstantaneousAndWindowed) {
  std::vector<double> t = {0, 1, 1.5, 2.5};
  const auto hr = instantaneous_hr_bpm(t);
  EXPECT_TRUE(std::isnan(hr[0]));
  EXPECT_DOUBLE_EQ(hr[1], 60);
  EXPECT_DOUBLE_EQ(hr[2], 120);
  EXPECT_DOUBLE_EQ(window_hr_bpm(t, 0.5, 3), 60.0 * 3 / 2.5);
  EXPECT_TRUE(std::isnan(window_hr_bpm(t, 3, 4)));
}

// --- PPG -------------------------------------------------------------------------------------

TEST(Ppg, NeuroKitRestingPulseRateMatchesEcg) {
  // tests/data/physio/neurokit_resting_90s.tsv: NeuroKit2 data (MIT), see the file.
  const auto cols = read_fixture("neurokit_resting_90s.tsv");
  ASSERT_EQ(cols.size(), 3u);
  EcgConfig ec;
  ec.sample_rate_hz = 100;
  PpgConfig pc;
  const auto e = times_of(EcgPeakDetector(ec).detect(cols[0]), 100);
  const auto p = times_of(PpgPeakDetector(pc).detect(cols[1]), 100);
  const double hr_e = window_hr_bpm(e, 5, 85), hr_p = window_hr_bpm(p, 5, 85);
  EXPECT_GT(hr_e, 60);
  EXPECT_LT(hr_e, 110);
  EXPECT_NEAR(hr_e, hr_p, 2.0);
}

TEST(Ppg, InvalidParametersAreSentences) {
  PpgConfig c;
  c.beat_window_s = 0.05;
  EXPECT_EQ(message_of([&] { PpgPeakDetector d(c); }), "PpgPeakDetector: need 0 < peak_window_s < beat_window_s (got 0.111 and 0.05 s).");
}

// --- chunked peak detection (bounded memory) -------------------------------------------------

namespace {
/// Peaks of `x` through ChunkedPeakDetector fed in blocks of `block` samples, as indices.
std::vector<std::size_t> chunked_peaks(std::span<const double> x, double fs, const ChunkConfig& cc, std::size_t align, std::size_t refr,
                                       const std::function<std::vector<std::size_t>(std::span<const double>)>& detect,
                                       std::size_t block) {
  ChunkedPeakDetector d(detect, fs, cc, align, refr);
  std::vector<double> t(x.size());
  for (std::size_t i = 0; i < t.size(); ++i) t[i] = static_cast<double>(i);
  for (std::size_t i = 0; i < x.size(); i += block) {
    const std::size_t n = std::min(block, x.size() - i);
    d.push(std::span<const double>(t.data() + i, n), x.subspan(i, n));
  }
  d.finish();
  std::vector<std::size_t> out;
  for (double v : d.peak_times()) out.push_back(static_cast<std::size_t>(v));
  return out;
}
}  // namespace

TEST(ChunkedPeaks, EqualTheWholeRunOnMitBih100AndNeuroKitEcgAndPpg) {
  const auto sig = read_fixture("mitdb100_120s.tsv");
  std::vector<double> mv;
  for (double a : sig[0]) mv.push_back((a - 1024) / 200);
  EcgConfig c;
  c.sample_rate_hz = 360;
  const EcgPeakDetector det(c);
  const auto whole = det.detect(mv);
  ChunkConfig cc;
  cc.core_s = 15;  // 8 chunks in 120 s
  for (std::size_t block : {1000u, 4096u, 43200u}) {
    const auto ch = chunked_peaks(mv, 360, cc, det.decimation(), static_cast<std::size_t>(c.refractory_s * 360),
                                  [&](std::span<const double> x) { return det.detect(x); }, block);
    EXPECT_EQ(ch, whole) << "block " << block;
  }
  const auto nk = read_fixture("neurokit_resting_90s.tsv");
  EcgConfig ec;
  ec.sample_rate_hz = 100;
  const EcgPeakDetector de(ec);
  cc.core_s = 10;
  EXPECT_EQ(chunked_peaks(nk[0], 100, cc, 1, 20, [&](std::span<const double> x) { return de.detect(x); }, 999), de.detect(nk[0]));
  const PpgPeakDetector dp{PpgConfig{}};
  EXPECT_EQ(chunked_peaks(nk[1], 100, cc, 1, 20, [&](std::span<const double> x) { return dp.detect(x); }, 999), dp.detect(nk[1]));
}

TEST(ChunkedPeaks, EqualTheWholeRunAt1000HzWithDecimationAndAmplitudeChanges) {
  const double dur = 600;
  dt::EcgSynthOptions o;
  o.rate_hz = 1000;
  o.amp_mod = 0.3;
  const auto ecg = dt::synth_ecg(dt::beat_times(dur, 0.8, 0.05, 3), dur, o);
  EcgConfig c;
  const EcgPeakDetector det(c);
  ASSERT_EQ(det.decimation(), 4u);
  const auto whole = det.detect(ecg);
  ChunkConfig cc;
  cc.core_s = 60;
  const auto ch = chunked_peaks(ecg, 1000, cc, det.decimation(), static_cast<std::size_t>(c.refractory_s * 1000),
                                [&](std::span<const double> x) { return det.detect(x); }, 65536);
  EXPECT_EQ(ch, whole);
  cc.core_s = 0;  // the whole run at once
  EXPECT_EQ(chunked_peaks(ecg, 1000, cc, 4, 200, [&](std::span<const double> x) { return det.detect(x); }, 5000), whole);
}

TEST(ChunkedPeaks, InvalidParametersAreSentences) {
  ChunkConfig cc;
  cc.core_s = 0.5;
  EXPECT_EQ(message_of([&] { ChunkedPeakDetector d({}, 100, cc, 1, 0); }),
            "ChunkedPeakDetector: core_s must be 0 (the whole run) or at least 1 s (got 0.5).");
  cc.core_s = 10;
  cc.pre_s = -1;
  EXPECT_EQ(message_of([&] { ChunkedPeakDetector d({}, 100, cc, 1, 0); }),
            "ChunkedPeakDetector: core_s, pre_s and post_s must not be negative (got 10, -1 and 10).");
}


// --- HRV -------------------------------------------------------------------------------------

TEST(Hrv, TimeDomainExact) {
  // RR alternates 800 and 860 ms: successive differences all 60 ms.
  std::vector<double> t = {0};
  for (int i = 0; i < 100; ++i) t.push_back(t.back() + (i % 2 ? 0.86 : 0.8));
  const auto r = HrvAnalyzer().compute(t);
  EXPECT_EQ(r.n_rr, 100);
  EXPECT_NEAR(r.mean_rr_ms, 830, 1e-9);
  EXPECT_NEAR(r.rmssd_ms, 60, 1e-9);
  EXPECT_NEAR(r.pnn50_pct, 100, 1e-9);
  EXPECT_NEAR(r.sdnn_ms, 30 * std::sqrt(100.0 / 99), 1e-9);
  EXPECT_NEAR(r.mean_hr_bpm, 60000.0 / 830, 1e-9);
}

TEST(Hrv, LombScarglePutsASinusoidInItsBand) {
  for (double f : {0.1, 0.25}) {
    std::vector<double> t = {0};
    const double amp_ms = 40;
    while (t.back() < 300) t.push_back(t.back() + 0.8 + amp_ms / 1000 * std::sin(2 * M_PI * f * t.back()));
    const auto r = HrvAnalyzer().compute(t);
    const double expected = amp_ms * amp_ms / 2;
    const double in_band = f < 0.15 ? r.lf_ms2 : r.hf_ms2, other = f < 0.15 ? r.hf_ms2 : r.lf_ms2;
    EXPECT_NEAR(in_band, expected, 0.15 * expected) << f;
    EXPECT_LT(other, 0.05 * expected) << f;
  }
}

TEST(Hrv, TooFewBeatsGiveMissingValues) {
  std::vector<double> t = {0, 0.8};
  const auto r = HrvAnalyzer().compute(t);
  EXPECT_EQ(r.n_rr, 1);
  EXPECT_TRUE(std::isnan(r.sdnn_ms));
  EXPECT_TRUE(std::isnan(r.lf_ms2));
}

// --- EDA -------------------------------------------------------------------------------------

TEST(Eda, FindsKnownResponses) {
  std::vector<dt::SynthScr> truth = {{10, 0.2}, {30, 0.05}, {52, 0.5}, {80, 0.02}};
  for (double fs : {4.0, 32.0, 1000.0}) {
    const auto x = dt::synth_eda(truth, 110, fs, 5, fs >= 32 ? 0.001 : 0.0);
    EdaConfig c;
    c.sample_rate_hz = fs;
    if (fs < 4.1) c.lowpass_hz = 1.0;
    const auto r = EdaAnalyzer(c).compute(x);
    ASSERT_EQ(r.scrs.size(), truth.size()) << fs;
    for (std::size_t i = 0; i < truth.size(); ++i) {
      EXPECT_NEAR(r.scrs[i].onset_s, truth[i].onset_s, 0.6) << fs;
      EXPECT_NEAR(r.scrs[i].amplitude_us, truth[i].amplitude_us, 0.25 * truth[i].amplitude_us) << fs;
      EXPECT_NEAR(r.scrs[i].peak_s - r.scrs[i].onset_s, r.scrs[i].rise_time_s, 1e-9);
      EXPECT_GE(r.scrs[i].amplitude_us, 0.01);
    }
    EXPECT_NEAR(r.tonic_us[r.tonic_us.size() / 2], 5.0, 0.6);
  }
}

TEST(Eda, FlatSignalHasNoResponses) {
  const auto x = dt::synth_eda({}, 120, 32, 3, 0.0005);
  EdaConfig c;
  c.sample_rate_hz = 32;
  EXPECT_TRUE(EdaAnalyzer(c).compute(x).scrs.empty());
}

TEST(Eda, InvalidParametersAreSentences) {
  EdaConfig c;
  c.min_amplitude_us = 0;
  EXPECT_EQ(message_of([&] { EdaAnalyzer a(c); }), "EdaAnalyzer: min_amplitude_us must be above 0 (got 0).");
  c = EdaConfig{};
  c.noise_amplitude_factor = -1;
  EXPECT_EQ(message_of([&] { EdaAnalyzer a(c); }), "EdaAnalyzer: noise_amplitude_factor must not be negative (got -1).");
}

namespace {
// One-to-one matches of detected SCR onsets to true ones within 1 s.
int matched_onsets(const std::vector<dt::SynthScr>& truth, const std::vector<Scr>& det) {
  std::vector<char> used(det.size(), 0);
  int tp = 0;
  for (const auto& t : truth)
    for (std::size_t k = 0; k < det.size(); ++k)
      if (!used[k] && std::abs(det[k].onset_s - t.onset_s) <= 1.0) {
        used[k] = 1;
        ++tp;
        break;
      }
  return tp;
}
}  // namespace

TEST(Eda, NoiseAdaptiveMinimumKeepsPrecisionAtHighNoise) {
  // 10 minutes at 32 Hz, an SCR of 0.08-0.4 uS every 15 s; white noise 0 to 0.06 uS (the
  // simulator's 0.002 uS x 30).
  std::vector<dt::SynthScr> truth;
  for (int k = 0; k < 38; ++k) truth.push_back({10.0 + 15 * k, 0.08 + 0.04 * (k % 9)});
  for (double sd : {0.0, 0.002, 0.02, 0.06}) {
    const auto x = dt::synth_eda(truth, 600, 32, 5, sd, 7);
    EdaConfig c;
    c.sample_rate_hz = 32;
    const auto r = EdaAnalyzer(c).compute(x);
    const int tp = matched_onsets(truth, r.scrs);
    const double se = 100.0 * tp / static_cast<double>(truth.size());
    const double ppv = r.scrs.empty() ? 0 : 100.0 * tp / static_cast<double>(r.scrs.size());
    EXPECT_GE(se, sd > 0.05 ? 85 : 95) << sd;
    EXPECT_GE(ppv, 90) << sd;
    // The noise estimate: within 25 % of the truth once noise dominates the 20 Hz differences.
    if (sd >= 0.02) {
      EXPECT_NEAR(r.noise_sd_us, sd, 0.25 * sd);
    }
    EXPECT_GE(r.min_amplitude_us, c.min_amplitude_us);
    if (sd == 0) {
      EXPECT_DOUBLE_EQ(r.min_amplitude_us, c.min_amplitude_us);
    }
    for (const auto& s : r.scrs) EXPECT_GE(s.amplitude_us, r.min_amplitude_us);
    if (sd >= 0.02) {  // the fixed 0.01 uS alone counts ripples of noise as responses
      c.noise_amplitude_factor = 0;
      const auto f = EdaAnalyzer(c).compute(x);
      EXPECT_DOUBLE_EQ(f.min_amplitude_us, 0.01);
      EXPECT_GT(f.scrs.size(), 2 * truth.size()) << sd;
    }
  }
}

// --- respiration -----------------------------------------------------------------------------

TEST(Respiration, SineAtKnownRate) {
  for (double bpm : {6.0, 12.0, 20.0, 30.0}) {
    RespConfig c;
    c.sample_rate_hz = 50;
    const auto r = RespirationAnalyzer(c).compute(dt::synth_resp(300, 50, bpm));
    EXPECT_NEAR(r.rate_bpm, bpm, 0.1) << bpm;
    EXPECT_LT(r.interval_sd_s, 0.15) << bpm;
    EXPECT_NEAR(static_cast<double>(r.breaths.size()), bpm * 5, 3) << bpm;
  }
}

TEST(Respiration, NeuroKitRestingRate) {
  const auto cols = read_fixture("neurokit_resting_90s.tsv");
  RespConfig c;
  const auto r = RespirationAnalyzer(c).compute(cols[2]);
  EXPECT_GT(r.rate_bpm, 12);
  EXPECT_LT(r.rate_bpm, 20);
}

// --- blood pressure --------------------------------------------------------------------------

TEST(BloodPressure, ParsesClinicalEntries) {
  auto a = parse_bp_text("120/80");
  ASSERT_TRUE(a);
  EXPECT_DOUBLE_EQ(a->systolic_mmhg, 120);
  EXPECT_DOUBLE_EQ(a->diastolic_mmhg, 80);
  EXPECT_NEAR(a->mean_mmhg, 93.3333333333, 1e-6);
  auto b = parse_bp_text(" 150 / 95 / 110 ");
  ASSERT_TRUE(b);
  EXPECT_DOUBLE_EQ(b->mean_mmhg, 110);
  EXPECT_FALSE(parse_bp_text("80/120"));
  EXPECT_FALSE(parse_bp_text("120"));
  EXPECT_FALSE(parse_bp_text("120/abc"));
  EXPECT_FALSE(parse_bp_text("1/2/3/4"));
}

TEST(BloodPressure, FlagsAboveThresholds) {
  BpFlagger f({140, 90});
  EXPECT_FALSE(f.make(1, 139, 89).flagged);
  EXPECT_TRUE(f.make(1, 140, 70).flagged);
  EXPECT_TRUE(f.make(1, 120, 90).flagged);
  EXPECT_EQ(message_of([] { BpFlagger g({0, 90}); }), "BpFlagger: thresholds must be above 0 mmHg (got 0/90).");
}

// --- synchrony -------------------------------------------------------------------------------

namespace {
std::vector<double> smooth_noise(std::size_t n, std::uint32_t seed) {
  auto w = dt::noise(n, 1.0, seed);
  std::vector<double> x(w.begin(), w.end());
  const Biquad lp[] = {butter_lowpass(0.1, 4)};
  filtfilt(lp, x);
  return x;
}
}  // namespace

TEST(Synchrony, RecoversAKnownLag) {
  const std::size_t n = 4 * 900;
  for (double lag : {-4.0, -1.5, 0.0, 2.5}) {
    const auto a = smooth_noise(n, 1), e = smooth_noise(n, 2);
    std::vector<double> b(n);
    const long L = std::lround(lag * 4);
    for (std::size_t i = 0; i < n; ++i) {
      const long j = static_cast<long>(i) - L;
      b[i] = (j >= 0 && j < static_cast<long>(n) ? a[static_cast<std::size_t>(j)] : 0) + 0.3 * e[i];
    }
    const auto r = WindowedCrossCorrelation({}).compute(a, b, 100);
    EXPECT_NEAR(r.median_lag_s, lag, 0.25) << lag;
    EXPECT_DOUBLE_EQ(r.windows.front().start_s, 100);
    EXPECT_DOUBLE_EQ(r.windows.front().end_s, 130);
    EXPECT_GT(r.fraction_above_surrogate, 0.5) << lag;
  }
}

TEST(Synchrony, IndependentPartnersRarelyExceedTheSurrogate) {
  const std::size_t n = 4 * 1800;
  for (std::uint32_t seed = 1; seed <= 3; ++seed) {
    const auto r = WindowedCrossCorrelation({}).compute(smooth_noise(n, 10 + seed), smooth_noise(n, 20 + seed), 0);
    EXPECT_GE(r.valid_windows, 100);
    EXPECT_LE(r.fraction_above_surrogate, 0.10) << seed;
  }
}

TEST(Synchrony, MissingSamplesAreSkipped) {
  const std::size_t n = 4 * 300;
  auto a = smooth_noise(n, 5);
  auto b = a;
  for (std::size_t i = 400; i < 600; ++i) a[i] = std::nan("");
  const auto r = WindowedCrossCorrelation({}).compute(a, b, 0);
  int missing = 0;
  for (const auto& w : r.windows) {
    if (std::isnan(w.peak_r)) {
      ++missing;
      EXPECT_TRUE(std::isnan(w.lag_s));
    } else {
      EXPECT_NEAR(w.peak_r, 1.0, 1e-9);
      EXPECT_DOUBLE_EQ(w.lag_s, 0);
    }
  }
  EXPECT_GT(missing, 0);
}

TEST(Synchrony, DetrendedPearsonIgnoresASharedLine) {
  const std::size_t n = 120;
  const auto e1 = dt::noise(n, 1.0, 31), e2 = dt::noise(n, 1.0, 32);
  std::vector<double> x(n), y(n);
  for (std::size_t i = 0; i < n; ++i) {
    x[i] = 0.2 * static_cast<double>(i) + e1[i];
    y[i] = -3 + 0.1 * static_cast<double>(i) + e2[i];
  }
  EXPECT_GT(pearson(x.data(), y.data(), n, 3), 0.8);
  EXPECT_LT(std::abs(pearson_detrended(x.data(), y.data(), n, 3)), 0.25);
  // y a line plus a multiple of x: detrended, a perfect correlation; missing values are skipped.
  for (std::size_t i = 0; i < n; ++i) y[i] = 5 - 0.3 * static_cast<double>(i) + 2 * e1[i];
  x[7] = std::nan("");
  EXPECT_NEAR(pearson_detrended(x.data(), y.data(), n, 3), 1.0, 1e-9);
  EXPECT_TRUE(std::isnan(pearson_detrended(x.data(), y.data(), 3, 3)));
}

TEST(Synchrony, SharedSlowDriftIsNotSynchrony) {
  // Independent partners sharing a 10-minute wave (a session-wide drift): detrending each window
  // keeps the share of windows above the surrogate near the nominal 5 %.
  const std::size_t n = 4 * 3600;
  for (std::uint32_t seed = 1; seed <= 3; ++seed) {
    auto a = smooth_noise(n, 40 + seed), b = smooth_noise(n, 50 + seed);
    for (std::size_t i = 0; i < n; ++i) {
      const double w = 3 * std::sin(2 * M_PI * static_cast<double>(i) / 4 / 600);
      a[i] += w;
      b[i] += w;
    }
    const auto r = WindowedCrossCorrelation({}).compute(a, b, 0);
    EXPECT_LE(r.fraction_above_surrogate, 0.10) << seed;
  }
}

TEST(Synchrony, RefinesTheLagBetweenSteps) {
  // B = A 1.1 s later (between the 0.25 s steps): a sum of sines shifts exactly.
  const std::size_t n = 4 * 1200;
  std::mt19937 g(9);
  std::uniform_real_distribution<double> ph(0, 2 * M_PI), fr(0.01, 0.12);
  std::vector<std::pair<double, double>> parts;
  for (int k = 0; k < 30; ++k) parts.emplace_back(fr(g), ph(g));
  auto sig = [&](double t) {
    double v = 0;
    for (auto [f, p] : parts) v += std::sin(2 * M_PI * f * t + p);
    return v;
  };
  const auto e = dt::noise(n, 0.3, 33);
  std::vector<double> a(n), b(n);
  for (std::size_t i = 0; i < n; ++i) {
    const double t = static_cast<double>(i) / 4;
    a[i] = sig(t);
    b[i] = sig(t - 1.1) + e[i];
  }
  SynchronyConfig c;
  const auto q = WindowedCrossCorrelation(c).compute(a, b, 0);
  EXPECT_DOUBLE_EQ(q.median_lag_s, 1.0);  // by default, the nearest lag step
  c.refine_lag = true;
  const auto r = WindowedCrossCorrelation(c).compute(a, b, 0);
  EXPECT_NEAR(r.median_lag_s, 1.1, 0.06);
}

TEST(Synchrony, InvalidParametersAreSentences) {
  SynchronyConfig c;
  c.max_lag_s = 30;
  EXPECT_EQ(message_of([&] { WindowedCrossCorrelation w(c); }),
            "WindowedCrossCorrelation: max_lag_s must be in [0, window_s) (got 30 s with a 30 s window).");
}
