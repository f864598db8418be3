// The prosody extension inside `dyad analyze`: pitch_<role>.tsv, turn and window columns,
// summary.json, baselines and entrainment, on tone-burst sessions (A at 220 Hz, B at 330 Hz).
#include <gtest/gtest.h>

#include <cmath>
#include <sstream>

#include <nlohmann/json.hpp>

#include "dyad/analysis/analyze.hpp"
#include "dyad/analysis/prosody.hpp"
#include "dyad/analysis/simulate.hpp"
#include "dyad/formats/error.hpp"
#include "dyad/formats/files.hpp"
#include "dyad/formats/text.hpp"
#include "tone_session.hpp"

using namespace dyad;
namespace fs = std::filesystem;

namespace {

std::vector<std::vector<std::string>> table(const fs::path& p) {
  std::istringstream in(formats::read_file(p));
  std::vector<std::vector<std::string>> rows;
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> f;
    std::size_t a = 0, b;
    while ((b = line.find('\t', a)) != std::string::npos) { f.push_back(line.substr(a, b - a)); a = b + 1; }
    f.push_back(line.substr(a));
    rows.push_back(f);
  }
  return rows;
}

std::size_t col(const std::vector<std::string>& header, const std::string& name) {
  for (std::size_t i = 0; i < header.size(); ++i)
    if (header[i] == name) return i;
  ADD_FAILURE() << "no column " << name;
  return 0;
}

double num(const std::string& s) { return formats::parse_number(s).value_or(NAN); }

}  // namespace

TEST(ProsodyExtension, TracksColumnsAndSummary) {
  test::TempDir d;
  test::ToneSpec s;
  s.bursts["A"] = {{1, 3}, {3.5, 5}, {8.5, 9.5}};
  s.bursts["B"] = {{5.5, 8}};
  s.markers.push_back({1, 2, "baseline", "n/a", "user"});
  test::make_tone_session(d / "s", s);
  analysis::AnalyzeOptions o;
  o.vad_detector = "energy";  // talkspurts exactly on the bursts: the voiced-frame counts below are exact
  analysis::analyze_session(d / "s", o);

  // frame tracks
  auto pa = table(d / "s/features/pitch_A.tsv");
  ASSERT_EQ(pa[0], (std::vector<std::string>{"time_s", "f0_hz", "voiced", "intensity_db", "hnr_db"}));
  ASSERT_EQ(pa.size(), 1u + 1000u);  // 10 s at 0.01 s
  EXPECT_EQ(pa[201][0], "2");
  EXPECT_EQ(pa[201][2], "1");
  EXPECT_NEAR(num(pa[201][1]), 220, 0.5);
  EXPECT_NEAR(num(pa[201][3]), 10 * std::log10(0.3 * 0.3 / 2 / 4e-10), 0.05);  // sine of amplitude 0.3
  EXPECT_EQ(pa[701][2], "0");  // A silent at 7 s (faint noise)
  EXPECT_EQ(pa[701][1], "n/a");
  EXPECT_TRUE(fs::exists(d / "s/features/pitch_A.json"));
  auto pb = table(d / "s/features/pitch_B.tsv");
  EXPECT_NEAR(num(pb[601][1]), 330, 0.7);

  // turns: A 1-5, B 5.5-8, A 8.5-9.5
  auto t = table(d / "s/features/turns.tsv");
  ASSERT_EQ(t.size(), 4u);
  const auto& h = t[0];
  const double st_a = 12 * std::log2(220 / 27.5), st_b = 12 * std::log2(330 / 27.5);
  EXPECT_NEAR(num(t[1][col(h, "f0_st_mean")]), st_a, 0.01);
  EXPECT_NEAR(num(t[2][col(h, "f0_st_mean")]), st_b, 0.01);
  EXPECT_NEAR(num(t[1][col(h, "f0_st_sd")]), 0, 0.01);
  EXPECT_NEAR(num(t[1][col(h, "f0_st_range_20_80")]), 0, 0.01);
  EXPECT_NEAR(num(t[2][col(h, "intensity_db_mean")]), 10 * std::log10(0.09 / 2 / 4e-10), 0.3);
  EXPECT_NEAR(num(t[1][col(h, "f0_st_mean_rel")]), 0, 0.01);  // A's baseline marker: the same tone
  EXPECT_GT(num(t[1][col(h, "f0_voiced_frames")]), 330);     // 3.5 s of talkspurts, edges unvoiced
  EXPECT_LE(num(t[1][col(h, "f0_voiced_frames")]), 350);

  // windows: one 60 s window holds the whole 10 s
  auto w = table(d / "s/features/windows.tsv");
  ASSERT_EQ(w.size(), 2u);
  EXPECT_NEAR(num(w[1][col(w[0], "f0_st_mean_A")]), st_a, 0.01);
  EXPECT_NEAR(num(w[1][col(w[0], "f0_st_mean_B")]), st_b, 0.01);

  // summary and codebook
  auto j = nlohmann::json::parse(formats::read_file(d / "s/features/summary.json"));
  auto& p = j["extensions"]["prosody"];
  EXPECT_EQ(p["partners"]["A"]["baseline_source"], "baseline marker");
  EXPECT_EQ(p["partners"]["B"]["baseline_source"], "session median");
  EXPECT_NEAR(p["partners"]["B"]["f0_hz_median"].get<double>(), 330, 0.7);
  EXPECT_EQ(p["entrainment"]["A>B"]["f0_st_mean"]["pairs"], 1);
  EXPECT_TRUE(p["entrainment"]["A>B"]["f0_st_mean"]["r"].is_null());  // fewer than 3 pairs
  EXPECT_EQ(p["parameters"]["voicing_threshold"], 0.45);
  auto cb = nlohmann::json::parse(formats::read_file(d / "s/features/turns.json"));
  bool documented = false;
  for (auto& c : cb["columns"])
    if (c["name"] == "f0_st_p50") documented = c["definition"] == "eGeMAPS F0semitoneFrom27.5Hz_sma3nz_percentile50.0";
  EXPECT_TRUE(documented);
}

TEST(ProsodyExtension, PerRoleRangeIsUsed) {
  test::TempDir d;
  test::ToneSpec s;
  s.bursts["A"] = {{1, 3}};
  s.bursts["B"] = {{4, 6}};
  test::make_tone_session(d / "s", s);
  analysis::AnalyzeOptions o;
  analysis::ProsodyOptions po;
  po.ranges["B"] = {75, 250};  // B's 330 Hz tone is above B's ceiling: no F0 at 330 Hz
  o.extensions = {[po] { return analysis::make_prosody_extension(po); }};
  analysis::analyze_session(d / "s", o);
  auto pb = table(d / "s/features/pitch_B.tsv");
  for (std::size_t i = 1; i < pb.size(); ++i) {
    if (pb[i][2] == "1") {
      EXPECT_LE(num(pb[i][1]), 250.0);
    }
  }
  auto j = nlohmann::json::parse(formats::read_file(d / "s/features/summary.json"));
  EXPECT_EQ(j["extensions"]["prosody"]["partners"]["B"]["f0_max_hz"], 250.0);
  EXPECT_EQ(j["extensions"]["prosody"]["partners"]["A"]["f0_max_hz"], 600.0);
}

TEST(ProsodyExtension, VoiceQualityAndSpeechRateColumns) {
  // Pure tones: periodic (jitter and shimmer near 0, HNR high); the columns, the summary, the pulse
  // and syllable files; and the same numbers whatever the block size of the analysis.
  test::TempDir d;
  test::ToneSpec s;
  s.bursts["A"] = {{1, 3}, {3.5, 5}};
  s.bursts["B"] = {{5.5, 8}};
  test::make_tone_session(d / "s", s);
  analysis::AnalyzeOptions o;
  analysis::analyze_session(d / "s", o);
  auto t = table(d / "s/features/turns.tsv");
  const auto& h = t[0];
  ASSERT_EQ(t.size(), 3u);
  EXPECT_LT(num(t[1][col(h, "jitter_local")]), 0.001);
  EXPECT_LT(num(t[1][col(h, "shimmer_local")]), 0.005);
  EXPECT_GT(num(t[1][col(h, "hnr_db")]), 30);
  EXPECT_GT(num(t[1][col(h, "voice_pulses")]), 0.9 * 220 * 3.5);  // 3.5 s of talkspurts at 220 Hz
  EXPECT_GT(num(t[2][col(h, "voice_pulses")]), 0.9 * 330 * 2.5);
  for (const char* c : {"jitter_rap", "jitter_ppq5", "jitter_ddp", "jitter_local_abs_s", "shimmer_local_db", "shimmer_apq3", "shimmer_apq5",
                        "shimmer_apq11", "shimmer_dda", "voice_periods", "syllables", "speech_rate", "articulation_rate"})
    col(h, c);
  auto w = table(d / "s/features/windows.tsv");
  EXPECT_GT(num(w[1][col(w[0], "hnr_db_B")]), 30);
  auto j = nlohmann::json::parse(formats::read_file(d / "s/features/summary.json"));
  auto& v = j["extensions"]["prosody"]["partners"]["A"]["voice"];
  EXPECT_NEAR(v["mean_period_s"].get<double>(), 1 / 220.0, 1e-5);
  EXPECT_LT(v["jitter_local"].get<double>(), 0.001);
  EXPECT_EQ(j["extensions"]["prosody"]["parameters"]["voice"]["period_ceiling_s"], 0.02);
  EXPECT_TRUE(j["extensions"]["prosody"]["partners"]["B"]["speech_rate"].contains("articulation_rate"));
  auto pulses = table(d / "s/features/pulses_A.tsv");
  EXPECT_NEAR(static_cast<double>(pulses.size() - 1), 220 * 3.5, 60);
  EXPECT_TRUE(fs::exists(d / "s/features/syllables_A.tsv"));
  EXPECT_TRUE(fs::exists(d / "s/features/pulses_B.json"));
  // block cuts never change a value
  const std::string before = formats::read_file(d / "s/features/turns.tsv") + formats::read_file(d / "s/features/pulses_A.tsv") +
                             formats::read_file(d / "s/features/pitch_B.tsv") + formats::read_file(d / "s/features/syllables_A.tsv");
  o.block_frames = 777;
  analysis::analyze_session(d / "s", o);
  const std::string after = formats::read_file(d / "s/features/turns.tsv") + formats::read_file(d / "s/features/pulses_A.tsv") +
                            formats::read_file(d / "s/features/pitch_B.tsv") + formats::read_file(d / "s/features/syllables_A.tsv");
  EXPECT_EQ(before, after);
  // switched off: no columns, no files
  analysis::ProsodyOptions po;
  po.voice_quality = po.speech_rate = false;
  o.extensions = {[po] { return analysis::make_prosody_extension(po); }};
  analysis::analyze_session(d / "s", o);
  t = table(d / "s/features/turns.tsv");
  EXPECT_EQ(std::count(t[0].begin(), t[0].end(), std::string("jitter_local")), 0);
  EXPECT_FALSE(fs::exists(d / "s/features/pulses_A.tsv"));
  EXPECT_EQ(table(d / "s/features/pitch_A.tsv")[0].size(), 4u);
}

// The prosody's temporary track files (in the session folder) on a disk that fills while the
// partners are analysed side by side (a real small tmpfs; root only, else SKIP): the analysis
// stops with the disk-full error naming the session folder, from whichever partner's thread met
// it, and the session is as it was (no features/, no temporary files).
TEST(ProsodyExtension, TrackFilesOnAFullDiskStopTheAnalysisWithAClearErrorAndChangeNothing) {
  test::TempDir d;
  const fs::path mnt = d / "small";
  test::Tmpfs fs_(mnt);
  if (!fs_.mounted()) GTEST_SKIP() << fs_.why();
  analysis::SimulationConfig cfg;
  cfg.duration_s = 30;
  cfg.seed = 6;
  cfg.rate_hz = 16000;
  analysis::simulate_session(mnt / "s", cfg);
  ASSERT_TRUE(fs_.shrink(3 * 4096)) << fs_.why();
  std::vector<std::string> before;
  for (auto& e : fs::recursive_directory_iterator(mnt / "s")) before.push_back(e.path().string());
  analysis::ProsodyOptions small;
  small.chunk_values = 37;  // tracks go to their files after 37 values
  analysis::AnalyzeOptions o;
  o.extensions = {[small] { return analysis::make_prosody_extension(small); }};
  try {
    analysis::analyze_session(mnt / "s", o);
    ADD_FAILURE() << "no error on a full disk";
  } catch (const formats::FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("disk full"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find((mnt / "s").string()), std::string::npos) << e.what();
  }
  std::vector<std::string> after;
  for (auto& e : fs::recursive_directory_iterator(mnt / "s")) after.push_back(e.path().string());
  EXPECT_EQ(before, after);
}

// Issues 6/8/9: the tracks are kept in temporary files and read back a chunk at a time; the
// results do not depend on the chunk (tiny chunks here: every turn, window and partner value goes
// through the chunked paths, the session-level ones through the exact streamed percentiles), and
// nothing is left in the session folder.
TEST(ProsodyExtension, ChunkedTracksGiveTheSameFeatures) {
  test::TempDir d;
  analysis::SimulationConfig cfg;
  cfg.duration_s = 90;
  cfg.seed = 4;
  cfg.rate_hz = 16000;
  analysis::simulate_session(d / "a", cfg);
  fs::copy(d / "a", d / "b", fs::copy_options::recursive);
  analysis::ProsodyOptions big, small;
  small.chunk_values = 37;
  analysis::AnalyzeOptions oa, ob;
  oa.extensions = {[big] { return analysis::make_prosody_extension(big); }};
  ob.extensions = {[small] { return analysis::make_prosody_extension(small); }};
  oa.window_s = ob.window_s = 20;
  analysis::analyze_session(d / "a", oa);
  analysis::analyze_session(d / "b", ob);
  std::size_t compared = 0;
  for (auto& e : fs::directory_iterator(d / "a" / "features")) {
    const auto name = e.path().filename();
    if (name == "summary.json") continue;
    EXPECT_EQ(formats::read_file(e.path()), formats::read_file(d / "b" / "features" / name)) << name;
    ++compared;
  }
  EXPECT_GE(compared, 10u);
  auto ja = nlohmann::json::parse(formats::read_file(d / "a/features/summary.json"));
  auto jb = nlohmann::json::parse(formats::read_file(d / "b/features/summary.json"));
  EXPECT_EQ(ja["extensions"]["prosody"]["partners"], jb["extensions"]["prosody"]["partners"]);
  EXPECT_GT(ja["extensions"]["prosody"]["partners"]["A"]["voice"]["pulses"].get<double>(), 1000);
  EXPECT_GT(ja["extensions"]["prosody"]["partners"]["A"]["speech_rate"]["syllables"].get<double>(), 50);
  for (auto& e : fs::directory_iterator(d / "b")) EXPECT_EQ(e.path().filename().string().rfind(".dyad-spill", 0), std::string::npos);
}
