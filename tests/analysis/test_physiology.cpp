// The session-level physiology runner: a physiology-only session with known beats, SCRs,
// breaths and blood pressure; exclusions; per-turn columns added to an existing turns.tsv.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>

#include <nlohmann/json.hpp>

#include "dyad/analysis/analyze.hpp"
#include "dyad/analysis/physiology.hpp"
#include "dyad/analysis/simulate.hpp"
#include "dyad/formats/files.hpp"
#include "dyad/formats/manifest.hpp"
#include "dyad/formats/markers.hpp"
#include "dyad/formats/session.hpp"
#include "dyad/formats/stream.hpp"
#include "dyad/formats/text.hpp"
#include "physio_synth.hpp"
#include "physio_truth.hpp"
#include "test_util.hpp"

using namespace dyad;
namespace dt = dyad::test;

namespace {

void add_stream(const std::filesystem::path& dir, formats::Manifest& m, const std::string& name, const std::string& kind,
                const std::string& role, double rate, const std::vector<std::string>& cols, const std::vector<double>& t,
                const std::vector<std::vector<double>>& values) {
  formats::StreamSidecar sc;
  sc.name = name;
  sc.kind = kind;
  sc.role = role;
  sc.nominal_rate_hz = rate;
  sc.measured_rate_hz = rate;
  sc.columns = cols;
  sc.units.assign(cols.size(), kind == "eda" ? "uS" : kind == "bp" ? "mmHg" : "mV");
  formats::StreamData d;
  d.time_s = t;
  d.device_time_s = t;
  d.values = values;
  formats::write_stream(dir, sc, d);
  m.streams.push_back({name, kind, role});
}

std::vector<double> uniform_times(std::size_t n, double rate) {
  std::vector<double> t(n);
  for (std::size_t i = 0; i < n; ++i) t[i] = static_cast<double>(i) / rate;
  return t;
}

formats::Table read(const std::filesystem::path& p) { return formats::read_table_file(p.string()); }

}  // namespace

class PhysioSession : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = tmp_.path() / "s";
    formats::create_session_dir(dir_);
    auto m = formats::new_manifest("C1", 1, "dosing");
    m.participants = {{"A", "p1"}, {"B", "p2"}};
    const double dur = 600;
    beats_a_ = dt::beat_times(dur, 0.8, 0.03, 1);
    beats_b_ = dt::beat_times(dur, 0.9, 0.03, 2);
    dt::EcgSynthOptions o;
    o.rate_hz = 500;
    auto ecg_a = dt::synth_ecg(beats_a_, dur, o);
    o.seed = 9;
    auto ecg_b = dt::synth_ecg(beats_b_, dur, o);
    add_stream(dir_, m, "ecg_A", "ecg", "A", 500, {"ecg"}, uniform_times(ecg_a.size(), 500), {ecg_a});
    add_stream(dir_, m, "ecg_B", "ecg", "B", 500, {"ecg"}, uniform_times(ecg_b.size(), 500), {ecg_b});
    scr_a_ = {{40, 0.2}, {130, 0.1}, {250, 0.3}, {420, 0.05}};
    scr_b_ = {{62, 0.15}, {200, 0.2}, {452, 0.1}};  // 452: 2 s after A's turn ending at 450
    auto eda_a = dt::synth_eda(scr_a_, dur, 32, 4, 0.0005, 4);
    auto eda_b = dt::synth_eda(scr_b_, dur, 32, 6, 0.0005, 5);
    add_stream(dir_, m, "eda_A", "eda", "A", 32, {"eda"}, uniform_times(eda_a.size(), 32), {eda_a});
    add_stream(dir_, m, "eda_B", "eda", "B", 32, {"eda"}, uniform_times(eda_b.size(), 32), {eda_b});
    auto resp = dt::synth_resp(dur, 25, 12);
    add_stream(dir_, m, "resp_A", "resp", "A", 25, {"resp"}, uniform_times(resp.size(), 25), {resp});
    add_stream(dir_, m, "bp_A", "bp", "A", 0, {"systolic", "diastolic", "mean"}, {100, 300}, {{120, 165}, {80, 95}, {93, 118}});
    formats::write_manifest(dir_, m);
    formats::write_markers(dir_, {{500, 0, "bp", "170/105", "viewer"}, {550, 10, "exclude", "n/a", "viewer"}, {560, 0, "bp", "oops", "viewer"}});
    // Turn-taking from the pipeline (hand-made here): A talks 440-450, B answers.
    const auto f = dir_ / "features";
    formats::make_private_dir(f);
    formats::write_file_atomic(f / "segments.tsv", "role\tstart_s\tend_s\nA\t100\t200\nB\t150\t160\nB\t210\t300\nA\t440\t450\nB\t451\t470\n");
    formats::write_file_atomic(f / "turns.tsv",
                               "turn\trole\tstart_s\tend_s\tfto_s\n1\tA\t100\t200\tn/a\n2\tB\t210\t300\t10\n3\tA\t440\t450\t140\n4\tB\t451\t470\t1\n");
    formats::write_file_atomic(f / "turns.json", R"({"file":"turns.tsv","columns":[{"name":"turn"}]})");
  }
  dt::TempDir tmp_;
  std::filesystem::path dir_;
  std::vector<double> beats_a_, beats_b_;
  std::vector<dt::SynthScr> scr_a_, scr_b_;
};

TEST_F(PhysioSession, WritesBeatsScrsWindowsSynchronyAndTurnColumns) {
  const auto out = analysis::run_physiology(dir_);
  const auto f = dir_ / "features";
  // Beats: every true beat outside the excluded 550-560 s, within 5 ms.
  const auto b = read(f / "beats_ecg_A.tsv");
  ASSERT_EQ(b.header, (std::vector<std::string>{"time_s", "rr_s", "hr_bpm", "corrected"}));
  std::size_t expected = 0, matched = 0;
  std::size_t j = 0;
  for (double t : beats_a_) {
    if (t >= 549.7 && t < 560.3) continue;
    ++expected;
    while (j < b.rows.size() && b.number(j, 0) < t - 0.005) ++j;
    if (j < b.rows.size() && std::abs(b.number(j, 0) - t) <= 0.005) ++matched;
  }
  EXPECT_EQ(matched, expected);
  EXPECT_LE(b.rows.size(), expected + 2);  // beats just before the exclusion may be found
  EXPECT_TRUE(std::isnan(b.number(0, 1)));
  EXPECT_NEAR(b.number(1, 2), 60 / b.number(1, 1), 1e-9);
  for (std::size_t r = 0; r < b.rows.size(); ++r) EXPECT_FALSE(b.number(r, 0) >= 550 && b.number(r, 0) < 560);

  // SCRs at the known onsets.
  const auto s = read(f / "scr_eda_A.tsv");
  ASSERT_EQ(s.rows.size(), scr_a_.size());
  for (std::size_t i = 0; i < scr_a_.size(); ++i) {
    EXPECT_NEAR(s.number(i, 0), scr_a_[i].onset_s, 0.6);
    EXPECT_NEAR(s.number(i, 2), scr_a_[i].amplitude_us, 0.25 * scr_a_[i].amplitude_us);
  }
  EXPECT_TRUE(std::filesystem::exists(f / "breaths_resp_A.tsv"));

  // Windows: 300 s every 60 s over the 599.998 s session (last sample), both partners.
  const auto w = read(f / "physio_windows.tsv");
  EXPECT_EQ(w.rows.size(), 10u);
  const auto hr = w.require_column("hr_bpm"), rate = w.require_column("resp_rate_bpm"), bp = w.require_column("bp_flagged");
  EXPECT_NEAR(w.number(0, hr), 75, 2);  // A: mean RR 0.8 s
  EXPECT_NEAR(w.number(0, rate), 12, 0.3);
  EXPECT_EQ(w.rows[0][3], "A");
  EXPECT_EQ(w.rows[1][3], "B");
  EXPECT_TRUE(std::isnan(w.number(1, rate)));  // B has no respiration
  EXPECT_EQ(w.rows[8][bp], "1");               // window 5 (240-540 s) of A holds the 165/95 reading
  EXPECT_EQ(w.rows[0][bp], "0");

  // Synchrony: hr and eda rows, positive lags allowed, the surrogate level filled.
  const auto y = read(f / "synchrony.tsv");
  ASSERT_GT(y.rows.size(), 100u);
  EXPECT_EQ(y.rows.front()[0], "hr");
  EXPECT_EQ(y.rows.back()[0], "eda");
  EXPECT_TRUE(std::isfinite(y.number(0, 5)));

  // Blood pressure: stream readings and the clinical entry; the bad entry is a warning.
  const auto e = read(f / "bp_events.tsv");
  ASSERT_EQ(e.rows.size(), 3u);
  EXPECT_EQ(e.rows[2][2], "marker");
  EXPECT_EQ(e.rows[0][6], "0");
  EXPECT_EQ(e.rows[1][6], "1");
  EXPECT_EQ(e.rows[2][6], "1");
  ASSERT_EQ(out.warnings.size(), 1u);
  EXPECT_EQ(out.warnings[0], "markers.tsv: a bp marker at 560 s has no reading like 120/80: 'oops'");

  // Turns gained the physiology columns; B reacted to A's turn 3 with one SCR.
  const auto t = read(f / "turns.tsv");
  ASSERT_EQ(t.rows.size(), 4u);
  const auto cnt = t.require_column("listener_scr_count"), mx = t.require_column("listener_scr_max_uS");
  EXPECT_EQ(t.require_column("fto_s"), 4u);
  EXPECT_EQ(t.rows[2][cnt], "1");
  EXPECT_NEAR(t.number(2, mx), 0.1, 0.03);
  EXPECT_EQ(t.rows[0][cnt], "0");
  EXPECT_NEAR(t.number(0, t.require_column("hr_bpm")), 75, 3);
  const auto cb = nlohmann::json::parse(formats::read_file(f / "turns.json"));
  EXPECT_EQ(cb["columns"].size(), 6u);

  // States and summary.
  const auto st = read(f / "physio_states.tsv");
  EXPECT_EQ(st.rows.size(), 8u);
  EXPECT_EQ(st.rows[0][1], "speaking");
  EXPECT_NEAR(st.number(0, 2), 100 + 10 - 10, 1);  // A alone: 100-150, 160-200, 440-450
  const auto sum = nlohmann::json::parse(formats::read_file(f / "summary.json"));
  const auto& p = sum["physiology"];
  EXPECT_EQ(p["roles"]["A"]["scr_count"], 4);
  EXPECT_EQ(p["blood_pressure"]["flagged"], 2);
  EXPECT_EQ(p["parameters"]["synchrony"]["window_s"], 30.0);
  EXPECT_TRUE(p["synchrony"].contains("hr"));
  // Codebooks beside every table.
  for (const char* n : {"beats_ecg_A", "scr_eda_B", "physio_windows", "synchrony", "bp_events", "physio_states"}) {
    const auto js = nlohmann::json::parse(formats::read_file(f / (std::string(n) + ".json")));
    EXPECT_EQ(js["file"], std::string(n) + ".tsv");
    EXPECT_EQ(js["missing_value"], "n/a");
  }
  // Running again replaces the columns rather than adding them twice.
  analysis::run_physiology(dir_);
  EXPECT_EQ(read(f / "turns.tsv").header.size(), 10u);
}

// Bounded memory (issue 6, 10): ECG runs searched for beats in chunks, EDA and respiration
// averaged as they are read, streams read side by side; every table and the summary equal those
// of each run taken whole on one thread (the fixture's ECG at 500 Hz is block-averaged by 2, and
// an exclusion splits every stream into two runs).
TEST_F(PhysioSession, ChunkedAndParallelReadingGivesTheWholeRunsResults) {
  const auto s = formats::Session::open(dir_);
  analysis::PhysioConfig whole;
  whole.chunk.core_s = 0;
  whole.threads = 1;
  analysis::PhysioConfig chunked;
  chunked.chunk.core_s = 20;  // ~30 chunks per run
  chunked.chunk.pre_s = 15;
  chunked.chunk.post_s = 5;
  chunked.threads = 2;
  auto a = analysis::analyze_physiology(s, whole, {}, {});
  auto b = analysis::analyze_physiology(s, chunked, {}, {});
  ASSERT_EQ(a.tables.size(), b.tables.size());
  std::size_t beats = 0;
  for (std::size_t k = 0; k < a.tables.size(); ++k) {
    EXPECT_EQ(a.tables[k].name, b.tables[k].name);
    EXPECT_EQ(a.tables[k].rows, b.tables[k].rows) << a.tables[k].name;
    if (a.tables[k].name.rfind("beats_", 0) == 0) beats += a.tables[k].rows.size();
  }
  EXPECT_GT(beats, 1200u);
  a.summary["parameters"].erase("chunk");
  b.summary["parameters"].erase("chunk");
  EXPECT_EQ(a.summary, b.summary);
  EXPECT_EQ(a.summary["streams"][0]["runs"], 2);
}

TEST(PhysioConfig, InvalidParametersAreSentences) {
  analysis::PhysioConfig c;
  c.window_s = 0;
  try {
    analysis::validate(c);
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "PhysioConfig: window_s and step_s must be above 0 (got 0 and 60).");
  }
  c = analysis::PhysioConfig{};
  c.sync_hr_lowpass_hz = 2;
  try {
    analysis::validate(c);
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "PhysioConfig: sync_hr_lowpass_hz must be 0 (off) or below half synchrony.sample_rate_hz (got 2 Hz at 4 Hz).");
  }
}

#include "dyad/analysis/analyze.hpp"
#include "tone_session.hpp"

TEST(PhysioExtension, DyadAnalyzeWritesPhysiologyBesideTurns) {
  dt::TempDir d;
  dt::ToneSpec spec;
  spec.duration_s = 60;
  spec.rate_hz = 8000;
  spec.bursts["A"] = {{5, 20}, {36, 50}};
  spec.bursts["B"] = {{21, 35}};
  dt::make_tone_session(d / "s", spec);
  auto m = formats::read_manifest(d / "s");
  const auto beats = dt::beat_times(60, 0.8, 0.02, 3);
  dt::EcgSynthOptions o;
  o.rate_hz = 250;
  const auto ecg = dt::synth_ecg(beats, 60, o);
  add_stream(d / "s", m, "ecg_A", "ecg", "A", 250, {"ecg"}, uniform_times(ecg.size(), 250), {ecg});
  const auto eda = dt::synth_eda({{22, 0.2}}, 60, 16, 5, 0.0005);
  add_stream(d / "s", m, "eda_B", "eda", "B", 16, {"eda"}, uniform_times(eda.size(), 16), {eda});
  formats::write_manifest(d / "s", m);
  const auto r = analysis::analyze_session(d / "s", {});
  const auto f = r.features_dir;
  const auto b = read(f / "beats_ecg_A.tsv");
  EXPECT_NEAR(static_cast<double>(b.rows.size()), static_cast<double>(beats.size()), 1);
  EXPECT_TRUE(std::filesystem::exists(f / "beats_ecg_A.json"));
  EXPECT_TRUE(std::filesystem::exists(f / "scr_eda_B.tsv"));
  EXPECT_TRUE(std::filesystem::exists(f / "physio_windows.tsv"));
  const auto t = read(f / "turns.tsv");
  ASSERT_GE(t.rows.size(), 3u);
  EXPECT_EQ(t.rows[0][1], "A");
  EXPECT_EQ(t.rows[0][t.require_column("listener_scr_count")], "1");
  EXPECT_EQ(t.rows[1][t.require_column("listener_scr_count")], "n/a");  // A has no EDA
  EXPECT_NEAR(t.number(0, t.require_column("hr_bpm")), 75, 3);
  const auto sum = nlohmann::json::parse(formats::read_file(f / "summary.json"));
  EXPECT_EQ(sum["extensions"]["physiology"]["roles"]["B"]["scr_count"], 1);
}

// A stream that cannot be analysed (here a 4 Hz ECG, below the detector's 100 Hz minimum) is
// reported by name and skipped; the session keeps every other feature.
TEST(PhysiologyExtension, AnUnusableStreamIsReportedAndSkippedNotFatal) {
  dt::TempDir d;
  std::filesystem::copy(dt::data_dir() / "malformed" / "valid", d / "s", std::filesystem::copy_options::recursive);
  analysis::AnalyzeOptions opt;
  auto res = analysis::analyze_session(d / "s", opt);
  EXPECT_TRUE(std::filesystem::exists(d / "s" / "features" / "events.tsv"));
  EXPECT_TRUE(std::filesystem::exists(d / "s" / "features" / "summary.json"));
  bool named = false;
  for (auto& w : res.warnings)
    named |= w.find("physiology: streams/ecg_A.tsv: not analysed (ecg): ") != std::string::npos &&
             w.find("100 Hz") != std::string::npos;
  EXPECT_TRUE(named) << (res.warnings.empty() ? std::string("no warnings") : res.warnings.front());
}

// Against the simulator's exact truth (issue 10): every true beat found within a few ms, every
// true SCR found; of the detections of 0.05 uS or more at least 75 % are true (82-100 % seen; smaller ones are counted
// and reported, see README "Physiology").
TEST(PhysiologyExtension, MatchesTheSimulatorsTruthForBeatsAndScrs) {
  dt::TempDir d;
  analysis::SimulationConfig cfg;
  cfg.duration_s = 300;
  cfg.seed = 5;
  cfg.rate_hz = 8000;
  analysis::simulate_session(d / "s", cfg);
  analysis::AnalyzeOptions opt;
  analysis::analyze_session(d / "s", opt);
  auto col = [](const std::filesystem::path& p, std::size_t c) {
    auto t = formats::read_table_file(p.string());
    std::vector<double> v;
    for (std::size_t r = 0; r < t.rows.size(); ++r) v.push_back(t.number(r, c));
    return v;
  };
  auto nearest = [](const std::vector<double>& v, double x) {
    double best = 1e9;
    for (double y : v) best = std::min(best, std::abs(y - x));
    return best;
  };
  for (std::string role : {"A", "B"}) {
    auto tb = col(d / "s" / "truth" / ("beats_ecg_" + role + ".tsv"), 0);
    auto fb = col(d / "s" / "features" / ("beats_ecg_" + role + ".tsv"), 0);
    ASSERT_GT(tb.size(), 200u);
    std::size_t within5 = 0;
    for (double t : tb) within5 += nearest(fb, t) <= 0.005;
    EXPECT_GE(within5, tb.size() - 1) << role << ": true beats found within 5 ms";
    EXPECT_LE(fb.size(), tb.size() + 1) << role << ": no extra beats";
    auto ts = col(d / "s" / "truth" / ("scr_eda_" + role + ".tsv"), 0);
    auto fs_on = col(d / "s" / "features" / ("scr_eda_" + role + ".tsv"), 0);
    auto fs_amp = col(d / "s" / "features" / ("scr_eda_" + role + ".tsv"), 2);
    ASSERT_GT(ts.size(), 5u);
    std::size_t found = 0;
    for (double t : ts) found += nearest(fs_on, t) <= 1.0;
    EXPECT_EQ(found, ts.size()) << role << ": every true SCR onset within 1 s";
    std::size_t big = 0, big_true = 0;
    for (std::size_t i = 0; i < fs_on.size(); ++i)
      if (fs_amp[i] >= 0.05) {
        ++big;
        big_true += nearest(ts, fs_on[i]) <= 1.0;
      }
    EXPECT_GE(static_cast<double>(big_true), 0.75 * static_cast<double>(big)) << role << ": SCRs of 0.05 uS or more that are true";
  }
}

// Against the simulator's exact truth over noise levels (issue 10; the full figures come from
// `eval_physio --sim`, bench/RESULTS.md): two 5-minute sessions with B following A by 2 s,
// scored by the same code as the benchmark (tests/common/physio_truth.hpp).
TEST(PhysiologyExtension, MatchesTheSimulatorsBeatsScrsAndCouplingOverNoiseLevels) {
  struct Case {
    double noise, min_beat_f1, max_hr_err_bpm, min_scr_se, min_scr_ppv;
  };
  // At 10 and 30 times the default noise (EDA 0.02 and 0.06 uS white at 32 Hz) a fixed 0.01 uS
  // criterion counted noise ripples as SCRs (PPV 27 and 9 %); the noise-adaptive minimum
  // amplitude keeps them out.
  for (const Case k : {Case{1, 99.9, 0.05, 95, 95}, Case{10, 99.5, 0.3, 90, 85}, Case{30, 99, 0.3, 80, 85}}) {
    SCOPED_TRACE("physio_noise " + std::to_string(k.noise));
    dt::TempDir d;
    analysis::SimulationConfig cfg;
    cfg.duration_s = 300;
    cfg.seed = 3;
    cfg.rate_hz = 8000;
    cfg.coupling = 0.8;
    cfg.coupling_lag_s = 2;
    cfg.physio_noise = k.noise;
    analysis::simulate_session(d / "s", cfg);
    analysis::run_physiology(d / "s");
    const auto s = dt::score_sim_physio(d / "s", cfg.coupling_lag_s);
    EXPECT_GT(s.beats.tp, 600);
    EXPECT_GE(s.beats.f1(), k.min_beat_f1);
    EXPECT_LE(s.hr_mae_bpm(), k.max_hr_err_bpm);
    EXPECT_GT(s.scrs.tp + s.scrs.fn, 10);
    EXPECT_GE(s.scrs.se(), k.min_scr_se);
    EXPECT_GE(s.scrs.ppv(), k.min_scr_ppv);
    EXPECT_LE(s.scrs.mean_abs_err_s(), 0.5);
    // The coupling lag: the median over windows within one lag step (0.25 s) of the truth, and
    // most windows above chance.
    EXPECT_GE(s.hr.windows, 50);
    EXPECT_NEAR(s.hr.median_lag_s, 2.0, 0.25 + 1e-9);
    EXPECT_GE(s.hr.above_fraction(), 0.45);
    EXPECT_NEAR(s.eda.median_lag_s, 2.0, 0.25 + 1e-9);
  }
}

// Uncoupled partners (coupling 0) still share the conversation and the session's phases. Their
// windows should beat the surrogate p95 about as often as chance (5 %); the issue asks <= 10 % of
// >= 100 windows, CI asserts <= 20 % on one 600 s session (115 windows per signal; before the
// windows were detrended, EDA was at 24 % on this one).
TEST(PhysiologyExtension, UncoupledPartnersAreNearTheSurrogateChanceLevel) {
  dt::TempDir d;
  analysis::SimulationConfig cfg;
  cfg.duration_s = 600;
  cfg.seed = 1;
  cfg.rate_hz = 8000;
  cfg.coupling = 0;
  analysis::simulate_session(d / "s", cfg);
  analysis::run_physiology(d / "s");
  const auto s = dt::score_sim_physio(d / "s", 2.0);
  EXPECT_GE(s.hr.windows, 100);
  EXPECT_GE(s.eda.windows, 100);
  EXPECT_LE(s.hr.above_fraction(), 0.20);
  EXPECT_LE(s.eda.above_fraction(), 0.20);
}

// Beat-to-beat `hr` streams (chest straps) are taken as given (issue 10): RR in ms, RR in
// seconds and beats per minute all give the simulator's true beats and heart rate.
TEST(PhysiologyExtension, HrStreamsGiveTheTrueBeatsAndHeartRate) {
  dt::TempDir d;
  analysis::SimulationConfig cfg;
  cfg.duration_s = 120;
  cfg.seed = 2;
  cfg.rate_hz = 8000;
  analysis::simulate_session(d / "sim", cfg);
  const auto truth_t = dt::table_column(d / "sim" / "truth" / "beats_ecg_A.tsv", "time_s");
  const auto truth_rr = dt::table_column(d / "sim" / "truth" / "beats_ecg_A.tsv", "rr_s");
  ASSERT_GT(truth_t.size(), 100u);
  const auto dir = d / "s";
  formats::create_session_dir(dir);
  auto m = formats::new_manifest("C1", 1, "dosing");
  m.participants = {{"A", "p1"}, {"B", "p2"}};
  struct Variant {
    std::string name, role, column, unit;
    double scale;  // value = scale * rr_s, or scale / rr_s for bpm
    bool bpm;
  };
  const std::vector<Variant> variants = {{"strap_A", "A", "rr", "ms", 1000, false},
                                         {"strap_s_A", "A", "rr_s", "s", 1, false},
                                         {"strap_B", "B", "hr", "bpm", 60, true}};
  for (const auto& v : variants) {
    formats::StreamSidecar sc;
    sc.name = v.name;
    sc.kind = "hr";
    sc.role = v.role;
    sc.columns = {v.column};
    sc.units = {v.unit};
    formats::StreamData sd;
    for (std::size_t i = 1; i < truth_t.size(); ++i) {  // one row per beat, from the second (the first has no RR)
      sd.time_s.push_back(truth_t[i]);
      sd.device_time_s.push_back(truth_t[i]);
    }
    sd.values.emplace_back();
    for (std::size_t i = 1; i < truth_t.size(); ++i)
      sd.values[0].push_back(v.bpm ? v.scale / truth_rr[i] : std::round(v.scale * truth_rr[i] * 1e6) / 1e6);
    formats::write_stream(dir, sc, sd);
    m.streams.push_back({v.name, "hr", v.role});
  }
  formats::write_manifest(dir, m);
  analysis::run_physiology(dir);
  for (const auto& v : variants) {
    SCOPED_TRACE(v.name);
    const auto b = read(dir / "features" / ("beats_" + v.name + ".tsv"));
    ASSERT_EQ(b.rows.size(), truth_t.size() - 1);
    EXPECT_TRUE(std::isnan(b.number(0, 1)));  // the first beat of a run has no interval
    for (std::size_t r = 0; r < b.rows.size(); ++r) {
      EXPECT_NEAR(b.number(r, 0), truth_t[r + 1], 1e-6);
      if (r == 0) continue;
      EXPECT_NEAR(b.number(r, 1), truth_rr[r + 1], 1e-6);
      EXPECT_NEAR(b.number(r, 2), 60 / truth_rr[r + 1], 1e-3);
      EXPECT_EQ(b.rows[r][3], "0");
    }
  }
  // The session's heart rate (A from its first hr stream, B from the bpm one) is the truth's.
  const auto w = read(dir / "features" / "physio_windows.tsv");
  const auto hr = w.require_column("hr_bpm"), n = w.require_column("n_rr");
  ASSERT_EQ(w.rows.size(), 2u);
  double sum = 0;
  for (std::size_t i = 2; i < truth_rr.size(); ++i) sum += truth_rr[i];
  const double mean_rr = sum / static_cast<double>(truth_rr.size() - 2);
  EXPECT_EQ(w.rows[0][3], "A");
  EXPECT_NEAR(w.number(0, n), static_cast<double>(truth_rr.size() - 2), 1.0);
  EXPECT_NEAR(w.number(0, hr), 60 / mean_rr, 0.05);
}
