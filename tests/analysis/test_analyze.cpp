// The analysis pipeline end to end on tone-burst sessions: exact features/, exclusions,
// annotations of record, atomic replacement of features/, extensions, several sessions.
#include <gtest/gtest.h>

#include <fstream>

#include "dyad/analysis/analyze.hpp"
#include "dyad/formats/error.hpp"
#include "dyad/formats/files.hpp"
#include "dyad/version.hpp"
#include "tone_session.hpp"

using namespace dyad;
namespace fs = std::filesystem;

namespace {

test::ToneSpec conversation() {
  test::ToneSpec s;
  s.bursts["A"] = {{1, 3}, {3.5, 5}, {6, 6.5}, {8.5, 9.5}};
  s.bursts["B"] = {{5.5, 8}};
  return s;
}

std::string slurp(const fs::path& p) { return formats::read_file(p); }

/// The energy detector finds tone bursts to the sample (frame-exact), so the pipeline's tables can
/// be compared exactly; the default crosstalk detector is tested on its own below.
analysis::AnalyzeOptions energy() {
  analysis::AnalyzeOptions o;
  o.vad_detector = "energy";
  return o;
}

/// The default detector, turn taking only.
analysis::AnalyzeOptions turns_only_default() {
  analysis::AnalyzeOptions o;
  o.extensions.clear();
  return o;
}

/// Turn taking only: the default extensions (prosody) add columns these exact tables do not list.
analysis::AnalyzeOptions turns_only() {
  analysis::AnalyzeOptions o = energy();
  o.extensions.clear();
  return o;
}

std::vector<std::string> leftovers(const fs::path& dir) {
  std::vector<std::string> out;
  for (auto& e : fs::directory_iterator(dir))
    if (e.path().filename().string().rfind(".features", 0) == 0) out.push_back(e.path().filename().string());
  return out;
}

}  // namespace

TEST(Analyze, ToneConversationGivesExactFeatures) {
  test::TempDir d;
  test::make_tone_session(d / "s", conversation());
  std::vector<double> fractions;
  auto r = analysis::analyze_session(d / "s", turns_only(), [&](double f, const std::string&) { fractions.push_back(f); });
  EXPECT_EQ(r.segments_source, "vad:energy");
  EXPECT_EQ(slurp(d / "s/features/segments.tsv"),
            "role\tstart_s\tend_s\nA\t1\t3\nA\t3.5\t5\nB\t5.5\t8\nA\t6\t6.5\nA\t8.5\t9.5\n");
  EXPECT_EQ(slurp(d / "s/features/events.tsv"),
            "type\tstart_s\tend_s\tfrom_role\tto_role\tsuccessful\tduration_s\n"
            "pause\t3\t3.5\tA\tA\tn/a\t0.5\n"
            "gap\t5\t5.5\tA\tB\tn/a\t0.5\n"
            "backchannel\t6\t6.5\tB\tA\tn/a\t0.5\n"
            "overlap_within\t6\t6.5\tB\tA\tn/a\t0.5\n"
            "gap\t8\t8.5\tB\tA\tn/a\t0.5\n");
  EXPECT_EQ(slurp(d / "s/features/turns.tsv"),
            "turn\trole\tstart_s\tend_s\tfto_s\tduration_s\tprev_role\ttalkspurts\tspeaking_s\n"
            "1\tA\t1\t5\tn/a\t4\tn/a\t2\t3.5\n"
            "2\tB\t5.5\t8\t0.5\t2.5\tA\t1\t2.5\n"
            "3\tA\t8.5\t9.5\t0.5\t1\tB\t1\t1\n");
  auto w = slurp(d / "s/features/windows.tsv");
  EXPECT_EQ(w.substr(0, w.find('\n')),
            "window\tstart_s\tend_s\texcluded_s\tspeech_s\tsilence_s\toverlap_s\tspeaking_s_A\tfloor_s_A\tturns_A\t"
            "speaking_s_B\tfloor_s_B\tturns_B\tpauses\tgaps\toverlaps_between\toverlaps_within\tbackchannels\tinterruptions");
  EXPECT_EQ(w.substr(w.find('\n') + 1), "1\t0\t10\t0\t7\t3\t0.5\t5\t5\t2\t2.5\t2.5\t1\t1\t2\t0\t1\t1\t0\n");
  auto j = nlohmann::json::parse(slurp(d / "s/features/summary.json"));
  EXPECT_EQ(j["partners"]["A"]["speaking_s"], 5.0);
  EXPECT_EQ(j["partners"]["B"]["backchannels_received"], 1);
  EXPECT_EQ(j["dyad"]["fto"]["median_s"], 0.5);
  EXPECT_EQ(j["dyad"]["fto_by_direction"]["A>B"]["count"], 1);
  EXPECT_EQ(j["parameters"]["backchannel_max_s"], 1.0);
  EXPECT_EQ(j["parameters"]["vad"]["name"], "energy");
  EXPECT_EQ(j["parameters"]["vad"]["min_pause_s"], 0.2);
  EXPECT_EQ(j["parameters"]["vad"]["sample_rate_hz"], 16000.0);
  EXPECT_EQ(j["dyad_version"], std::string(dyad::kVersion));
  for (auto n : {"segments", "events", "turns", "windows"}) {
    auto cb = nlohmann::json::parse(slurp(d / "s/features" / (std::string(n) + ".json")));
    EXPECT_EQ(cb["file"], std::string(n) + ".tsv");
    for (auto& c : cb["columns"]) EXPECT_FALSE(c["meaning"].get<std::string>().empty()) << n;
  }
  EXPECT_EQ(test::mode_of(d / "s/features"), 0700u);
  EXPECT_EQ(test::mode_of(d / "s/features/turns.tsv"), 0600u);
  ASSERT_FALSE(fractions.empty());
  EXPECT_EQ(fractions.back(), 1.0);
  EXPECT_TRUE(std::is_sorted(fractions.begin(), fractions.end()));
}

TEST(Analyze, ResultsDoNotDependOnBlockSize) {
  test::TempDir d;
  auto spec = conversation();
  spec.crosstalk_db = -12;
  test::make_tone_session(d / "s", spec);
  for (const char* detector : {"crosstalk", "energy"}) {
    analysis::AnalyzeOptions o;
    o.vad_detector = detector;
    analysis::analyze_session(d / "s", o);
    auto ref = slurp(d / "s/features/segments.tsv");
    o.block_frames = 999;
    analysis::analyze_session(d / "s", o);
    EXPECT_EQ(slurp(d / "s/features/segments.tsv"), ref) << detector;
  }
}

TEST(Analyze, ExclusionsAreHonoured) {
  test::TempDir d;
  auto spec = conversation();
  spec.markers.push_back({4.5, 1.25, "exclude", "n/a", "user"});  // [4.5, 5.75)
  test::make_tone_session(d / "s", spec);
  analysis::analyze_session(d / "s", energy());
  EXPECT_EQ(slurp(d / "s/features/segments.tsv"),
            "role\tstart_s\tend_s\nA\t1\t3\nA\t3.5\t4.5\nB\t5.75\t8\nA\t6\t6.5\nA\t8.5\t9.5\n");
  auto ev = formats::read_events(d / "s/features/events.tsv");
  ASSERT_EQ(ev.size(), 4u);  // the gap 5-5.5 is gone
  EXPECT_EQ(ev[0].type, dsp::EventType::pause);
  EXPECT_EQ(ev[1].type, dsp::EventType::backchannel);
  auto t = slurp(d / "s/features/turns.tsv");
  EXPECT_NE(t.find("2\tB\t5.75\t8\tn/a\t"), std::string::npos) << t;
  auto j = nlohmann::json::parse(slurp(d / "s/features/summary.json"));
  EXPECT_EQ(j["dyad"]["excluded_s"], 1.25);
  EXPECT_EQ(j["exclusions"][0]["end_s"], 5.75);
}

TEST(Analyze, ThreeRolesWithATherapistChannel) {
  test::TempDir d;
  test::ToneSpec s;
  s.roles = {"A", "B", "therapist"};
  s.bursts["A"] = {{0.5, 2}};
  s.bursts["therapist"] = {{2.5, 4}};
  s.bursts["B"] = {{3.5, 6}};
  test::make_tone_session(d / "s", s);
  analysis::analyze_session(d / "s", turns_only());
  EXPECT_EQ(slurp(d / "s/features/turns.tsv"),
            "turn\trole\tstart_s\tend_s\tfto_s\tduration_s\tprev_role\ttalkspurts\tspeaking_s\n"
            "1\tA\t0.5\t2\tn/a\t1.5\tn/a\t1\t1.5\n"
            "2\ttherapist\t2.5\t4\t0.5\t1.5\tA\t1\t1.5\n"
            "3\tB\t3.5\t6\t-0.5\t2.5\ttherapist\t1\t2.5\n");
  auto j = nlohmann::json::parse(slurp(d / "s/features/summary.json"));
  EXPECT_EQ(j["dyad"]["roles"].size(), 3u);
  EXPECT_EQ(j["dyad"]["fto_by_direction"]["therapist>B"]["median_s"], -0.5);
}

/// Each talkspurt of `role` in segments.tsv matches one burst within a frame (10 ms).
void expect_bursts(const std::vector<dsp::Segment>& got, const std::string& role, const std::vector<std::pair<double, double>>& want) {
  std::vector<dsp::Segment> mine;
  for (auto& s : got)
    if (s.role == role) mine.push_back(s);
  ASSERT_EQ(mine.size(), want.size()) << role;
  for (std::size_t i = 0; i < want.size(); ++i) {
    EXPECT_NEAR(mine[i].start_s, want[i].first, 0.0101) << role << " " << i;
    EXPECT_NEAR(mine[i].end_s, want[i].second, 0.0101) << role << " " << i;
  }
}

TEST(Analyze, TheDefaultDetectorRejectsCrosstalk) {
  test::TempDir d;
  auto spec = conversation();
  spec.crosstalk_db = -10;  // each microphone hears the other partner 10 dB down, 3 ms late
  test::make_tone_session(d / "s", spec);
  auto r = analysis::analyze_session(d / "s", turns_only_default());
  EXPECT_EQ(r.segments_source, "vad:crosstalk");
  auto segs = formats::read_segments(d / "s/features/segments.tsv");
  expect_bursts(segs, "A", spec.bursts["A"]);
  expect_bursts(segs, "B", spec.bursts["B"]);
  auto j = nlohmann::json::parse(slurp(d / "s/features/summary.json"));
  EXPECT_EQ(j["parameters"]["vad"]["name"], "crosstalk");
  EXPECT_EQ(j["parameters"]["vad"]["leak_margin_db"], 3.0);
  EXPECT_EQ(j["parameters"]["vad"]["min_pause_s"], 0.2);
  EXPECT_EQ(j["parameters"]["vad"]["sample_rate_hz"], 16000.0);
  EXPECT_EQ(j["parameters"]["vad"].size(), 44u);  // name, sample rate and the 42 parameters (6 of the leak cancellation)
  EXPECT_EQ(j["parameters"]["vad"]["cancel_length_s"], 0.05);
  EXPECT_EQ(j["parameters"]["vad"]["cancel_adapt_above_noise_db"], 3.0);
  EXPECT_NEAR(j["vad"]["leak_db"]["A>B"].get<double>(), -10, 3);
  EXPECT_NEAR(j["vad"]["leak_db"]["B>A"].get<double>(), -10, 3);
  EXPECT_LT(j["vad"]["noise_floor_dbfs"]["A"].get<double>(), -70);
  EXPECT_EQ(j["vad"]["analysis_rate_hz"], 16000.0);
  // the energy detector counts the leak: B "speaks" whenever A does
  auto o = turns_only();
  analysis::analyze_session(d / "s", o);
  auto energy_segs = formats::read_segments(d / "s/features/segments.tsv");
  EXPECT_GT(energy_segs.size(), segs.size() + 2);
  // an unknown detector is refused
  o.vad_detector = "magic";
  try {
    analysis::analyze_session(d / "s", o);
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "analyze: the voice activity detector must be crosstalk or energy, got 'magic'");
  }
}

TEST(Analyze, TheDefaultDetectorWithATherapistChannel) {
  test::TempDir d;
  test::ToneSpec s;
  s.roles = {"A", "B", "therapist"};
  s.bursts["A"] = {{0.5, 2}, {6.5, 7.5}};
  s.bursts["therapist"] = {{2.5, 4}};
  s.bursts["B"] = {{3.5, 6}, {7, 9}};
  s.crosstalk_db = -12;
  test::make_tone_session(d / "s", s);
  analysis::analyze_session(d / "s", turns_only_default());
  auto segs = formats::read_segments(d / "s/features/segments.tsv");
  for (auto& r : s.roles) expect_bursts(segs, r, s.bursts[r]);
  auto j = nlohmann::json::parse(slurp(d / "s/features/summary.json"));
  EXPECT_EQ(j["vad"]["leak_db"].size(), 6u);  // every ordered pair of the three channels
}

TEST(Analyze, AnnotationsOfRecordReplaceTheDetector) {
  test::TempDir d;
  test::make_tone_session(d / "s", conversation());
  formats::make_private_dir(d / "s/annotations");
  std::ofstream(d / "s/annotations/segments.tsv") << "role\tstart_s\tend_s\nB\t2\t4\nA\t0.25\t1.75\n";
  auto r = analysis::analyze_session(d / "s", {});
  EXPECT_EQ(r.segments_source, "annotations");
  EXPECT_EQ(slurp(d / "s/features/segments.tsv"), "role\tstart_s\tend_s\nA\t0.25\t1.75\nB\t2\t4\n");
  auto j = nlohmann::json::parse(slurp(d / "s/features/summary.json"));
  EXPECT_TRUE(j["parameters"]["vad"].is_null());
  // a malformed annotation file stops the analysis with its line
  std::ofstream(d / "s/annotations/segments.tsv") << "role\tstart_s\tend_s\nC\t2\t4\n";
  try {
    analysis::analyze_session(d / "s", {});
    FAIL();
  } catch (const formats::FormatError& e) {
    EXPECT_EQ(std::string(e.what()), (d / "s/annotations/segments.tsv").string() + ":2: role must be A, B or therapist, found 'C'");
  }
  // and left the previous features/ alone
  EXPECT_EQ(slurp(d / "s/features/segments.tsv"), "role\tstart_s\tend_s\nA\t0.25\t1.75\nB\t2\t4\n");
}

namespace {
/// Counts samples per role, adds a column to turns and windows, and a table of its own.
class CountingExtension : public analysis::FeatureExtension {
 public:
  struct Counter : analysis::RoleAudioAnalysis {
    std::int64_t n = 0, next = 0;
    bool in_order = true;
    void process(std::span<const float> b, std::int64_t first) override {
      in_order = in_order && first == next;
      n += static_cast<std::int64_t>(b.size());
      next = first + static_cast<std::int64_t>(b.size());
    }
  };
  std::string name() const override { return "counting"; }
  std::shared_ptr<analysis::RoleAudioAnalysis> audio_analysis(const std::string& role, double) override {
    auto c = std::make_shared<Counter>();
    counters_[role] = c;
    return c;
  }
  void finish(analysis::FeatureContext& ctx) override {
    analysis::ExtraColumn tc{{"holder_samples", "samples on the holder's channel", "count", "test"}, {}};
    for (auto& t : ctx.turns.turns) tc.values.push_back(std::to_string(counters_[t.role]->n));
    ctx.turn_columns.push_back(tc);
    analysis::ExtraColumn wc{{"window_label", "a label", "", ""}, {}};
    for (std::size_t i = 0; i < ctx.windows.size(); ++i) wc.values.push_back("w" + std::to_string(i));
    ctx.window_columns.push_back(wc);
    std::vector<std::vector<std::string>> rows;
    for (auto& [role, c] : counters_) rows.push_back({role, std::to_string(c->n), c->in_order ? "1" : "0"});
    ctx.write_table("counts", "samples per role", {{"role", "role", "", ""}, {"samples", "samples", "count", ""}, {"in_order", "blocks in order", "0/1", ""}}, rows);
    ctx.summary["roles"] = counters_.size();
  }
  std::map<std::string, std::shared_ptr<Counter>> counters_;
};

class FailingExtension : public analysis::FeatureExtension {
 public:
  std::string name() const override { return "failing"; }
  void finish(analysis::FeatureContext& ctx) override {
    ctx.write_table("half", "", {{"x", "x", "", ""}}, {{"1"}});
    throw std::runtime_error("failing extension");
  }
};
}  // namespace

TEST(Analyze, ExtensionsAddColumnsTablesAndSummary) {
  test::TempDir d;
  test::make_tone_session(d / "s", conversation());
  analysis::AnalyzeOptions o;
  o.block_frames = 4000;
  o.extensions.clear();
  o.extensions.push_back([] { return std::make_unique<CountingExtension>(); });
  analysis::analyze_session(d / "s", o);
  auto t = slurp(d / "s/features/turns.tsv");
  EXPECT_EQ(t.substr(0, t.find('\n')), "turn\trole\tstart_s\tend_s\tfto_s\tduration_s\tprev_role\ttalkspurts\tspeaking_s\tholder_samples");
  EXPECT_NE(t.find("\t160000\n"), std::string::npos);
  EXPECT_EQ(slurp(d / "s/features/counts.tsv"), "role\tsamples\tin_order\nA\t160000\t1\nB\t160000\t1\n");
  auto cb = nlohmann::json::parse(slurp(d / "s/features/turns.json"));
  EXPECT_EQ(cb["columns"].back()["name"], "holder_samples");
  auto w = slurp(d / "s/features/windows.tsv");
  EXPECT_NE(w.find("\tw0\n"), std::string::npos);
  auto j = nlohmann::json::parse(slurp(d / "s/features/summary.json"));
  EXPECT_EQ(j["extensions"]["counting"]["roles"], 2);
}

TEST(Analyze, FeaturesAreReplacedWholeAndNothingElseChanges) {
  test::TempDir d;
  auto spec = conversation();
  spec.markers.push_back({0, 0, "note", "hello", "user"});
  test::make_tone_session(d / "s", spec);
  analysis::analyze_session(d / "s", {});
  std::ofstream(d / "s/features/stale.txt") << "from an older run";
  fs::create_directories(d / "s/features/overview");
  std::ofstream(d / "s/features/overview/audio.minmax") << "the viewer's cache";
  auto manifest = slurp(d / "s/session.json");
  auto markers = slurp(d / "s/markers.tsv");
  auto audio_time = fs::last_write_time(d / "s/audio.wav");
  // a failing run leaves the old features/ untouched and no temporary folder
  analysis::AnalyzeOptions bad;
  bad.extensions.push_back([] { return std::make_unique<FailingExtension>(); });
  EXPECT_THROW(analysis::analyze_session(d / "s", bad), std::runtime_error);
  EXPECT_TRUE(fs::exists(d / "s/features/stale.txt"));
  EXPECT_FALSE(fs::exists(d / "s/features/half.tsv"));
  EXPECT_TRUE(leftovers(d / "s").empty());
  // a leftover of an interrupted run is cleaned up; a good run replaces features/ whole
  fs::create_directories(d / "s/.features.tmp-1-0");
  std::ofstream(d / "s/.features.tmp-1-0/segments.tsv") << "half";
  analysis::analyze_session(d / "s", {});
  EXPECT_FALSE(fs::exists(d / "s/features/stale.txt"));
  EXPECT_TRUE(fs::exists(d / "s/features/summary.json"));
  EXPECT_EQ(slurp(d / "s/features/overview/audio.minmax"), "the viewer's cache");  // carried over
  EXPECT_TRUE(leftovers(d / "s").empty());
  EXPECT_EQ(slurp(d / "s/session.json"), manifest);
  EXPECT_EQ(slurp(d / "s/markers.tsv"), markers);
  EXPECT_EQ(fs::last_write_time(d / "s/audio.wav"), audio_time);
  std::vector<std::string> top;
  for (auto& e : fs::directory_iterator(d / "s")) top.push_back(e.path().filename().string());
  std::sort(top.begin(), top.end());
  EXPECT_EQ(top, std::vector<std::string>({"audio.wav", "features", "markers.tsv", "session.json", "streams"}));
}

TEST(Analyze, SeveralSessionsAFailureDoesNotStopTheOthers) {
  test::TempDir d;
  test::make_tone_session(d / "s1", conversation());
  fs::create_directories(d / "broken");
  test::make_tone_session(d / "s2", conversation());
  std::mutex m;
  std::vector<std::size_t> done;
  auto out = analysis::analyze_sessions({d / "s1", d / "broken", d / "s2"}, {}, 2, {},
                                        [&](std::size_t i, const analysis::SessionOutcome&) {
                                          std::lock_guard lk(m);
                                          done.push_back(i);
                                        });
  ASSERT_EQ(out.size(), 3u);
  EXPECT_TRUE(out[0].ok);
  EXPECT_FALSE(out[1].ok);
  EXPECT_NE(out[1].error.find("session.json"), std::string::npos) << out[1].error;
  EXPECT_TRUE(out[2].ok);
  EXPECT_EQ(done.size(), 3u);
  EXPECT_TRUE(fs::exists(d / "s2/features/turns.tsv"));
}

TEST(Analyze, RejectsABadWindow) {
  test::TempDir d;
  test::make_tone_session(d / "s", conversation());
  analysis::AnalyzeOptions o;
  o.window_s = 0;
  try {
    analysis::analyze_session(d / "s", o);
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "analyze: the window length must be a number of seconds > 0, got 0");
  }
}
