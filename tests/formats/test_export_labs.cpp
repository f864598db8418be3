// Exports checked by independent readers: libxdf (XDF), sox (WAV, FLAC, RF64), gzip (BIDS).
#include <gtest/gtest.h>

#include <fstream>

#include "dyad/formats/error.hpp"
#include "dyad/formats/export_labs.hpp"
#include "dyad/formats/files.hpp"
#include "dyad/formats/text.hpp"
#include "dyad/formats/xdf.hpp"
#include "session_builder.hpp"
#include "test_util.hpp"

using namespace dyad::formats;
using dyad::test::run_capture;
using dyad::test::TempDir;

namespace {
bool have(const std::string& prog) {
  int st = 0;
  run_capture("command -v " + prog + " >/dev/null 2>&1", st);
  return st == 0;
}
std::string sh(const std::string& cmd) {
  int st = 0;
  std::string out = run_capture(cmd, st);
  EXPECT_EQ(st, 0) << cmd << "\n" << out;
  return out;
}
}  // namespace

TEST(XdfExport, LibxdfReadsStreamsAndSampleCounts) {
  TempDir tmp;
  Session s = dyad::test::make_export_session(tmp / "s");
  auto out = tmp / "s.xdf";
  export_xdf(s, out, false);
  // Our own reader first: everything is there.
  XdfFile f = read_xdf_file(out);
  EXPECT_TRUE(f.warnings.empty());
  ASSERT_EQ(f.streams.size(), 5u);
  EXPECT_EQ(f.streams[0].samples(), 24000u);
  EXPECT_EQ(f.streams[1].samples(), 626u);  // 750 grid points minus the 124 in the gap
  EXPECT_EQ(f.streams[4].strings[1][0], "{\"duration_s\":0.0,\"label\":\"cadss\",\"value\":\"12\"}");
  const std::string check = DYAD_LIBXDF_CHECK;
  if (check.empty()) GTEST_SKIP() << "libxdf not found at configure time (Debian: libxdf-dev)";
  std::string got = sh(check + " " + out.string());
  EXPECT_EQ(got,
            "audio\tAudio\tfloat32\t2\t8000\t24000\t0\n"
            "ecg_A\tecg\tdouble64\t1\t250\t626\t20\n"
            "eda_B\teda\tdouble64\t1\t4\t12\t2\n"
            "bp_A\tbp\tdouble64\t3\t0\t2\t120\n"
            "markers\tMarkers\tstring\t1\t0\t2\t0\n");
}

TEST(AudioExport, SoxReadsMonoWavAndFlacPerRole) {
  TempDir tmp;
  Session s = dyad::test::make_export_session(tmp / "s");
  for (std::string fmt : {"wav", "flac"}) {
    auto files = export_audio_per_role(s, tmp / fmt, fmt, false);
    ASSERT_EQ(files.size(), 2u);
    EXPECT_EQ(files[1].filename().string(), s.manifest.id + "_B." + fmt);
    EXPECT_THROW(export_audio_per_role(s, tmp / fmt, fmt, false), FormatError);
    export_audio_per_role(s, tmp / fmt, fmt, true);
    // Our reader: channel B of the session, sample for sample (FLAC: 24-bit).
    AudioReader r(files[1]);
    EXPECT_EQ(r.info().channels, 1);
    EXPECT_EQ(r.info().frames, 24000);
    std::vector<float> x(24000);
    r.read(x);
    EXPECT_NEAR(x[20], 0.25 * std::sin(2 * M_PI * 330 * 20 / 8000.0), fmt == "wav" ? 1e-7 : 1e-6);
    if (!have("sox")) {
      GTEST_SKIP() << "sox not found: install sox";
    }
    EXPECT_EQ(sh("sox --i -r " + files[0].string()), "8000\n");
    EXPECT_EQ(sh("sox --i -c " + files[0].string()), "1\n");
    EXPECT_EQ(sh("sox --i -s " + files[0].string()), "24000\n");
    std::string stat = sh("sox " + files[1].string() + " -n stat 2>&1");
    auto p = stat.find("Maximum amplitude:");
    ASSERT_NE(p, std::string::npos) << stat;
    EXPECT_NEAR(std::stod(stat.substr(p + 18)), 0.25, 1e-3);
  }
}

TEST(AudioExport, SoxAndDyadReadRf64) {
  // An RF64 file (what audio.wav becomes past 4 GiB), written by hand from EBU Tech 3306:
  // "RF64", -1, "WAVE", ds64 (riff size, data size, sample count, table length), fmt, data (-1).
  TempDir tmp;
  const std::uint32_t n = 8000;
  std::string b;
  auto u32 = [&](std::uint32_t v) { b.append(reinterpret_cast<const char*>(&v), 4); };
  auto u64 = [&](std::uint64_t v) { b.append(reinterpret_cast<const char*>(&v), 8); };
  auto u16 = [&](std::uint16_t v) { b.append(reinterpret_cast<const char*>(&v), 2); };
  b += "RF64";
  u32(0xFFFFFFFF);
  b += "WAVE";
  b += "ds64";
  u32(28);
  u64(4 + 36 + 24 + 8 + 2 * n);
  u64(2 * n);
  u64(n);
  u32(0);
  b += "fmt ";
  u32(16);
  u16(1), u16(1);
  u32(8000), u32(16000);
  u16(2), u16(16);
  b += "data";
  u32(0xFFFFFFFF);
  for (std::uint32_t i = 0; i < n; ++i) u16(static_cast<std::uint16_t>(static_cast<std::int16_t>(i % 100 * 100)));
  auto path = tmp / "rf64.wav";
  write_file_new(path, b, false);
  AudioInfo info = probe_audio(path);
  EXPECT_EQ(info.format.substr(0, 4), "RF64");
  EXPECT_EQ(info.frames, 8000);
  if (!have("sox")) GTEST_SKIP() << "sox not found: install sox";
  EXPECT_EQ(sh("sox --i -s " + path.string()), "8000\n");
}

TEST(CsvExport, EveryFeatureTableWithItsCodebook) {
  TempDir tmp;
  Session s = dyad::test::make_export_session(tmp / "s");
  write_file_new(s.dir / "features" / "turns.tsv", "turn\trole\tstart_s\tend_s\tfto_s\tnote\n1\tA\t0\t1.5\tn/a\tsaid \"hi\", then left\n", false);
  write_file_new(s.dir / "features" / "turns.json", "{\"turn\": {\"description\": \"turn number\"}}\n", false);
  write_file_new(s.dir / "features" / "summary.json", "{\"A\": {\"floor_share\": 0.6}}\n", false);
  auto files = export_csv(s, tmp / "csv", false);
  ASSERT_EQ(files.size(), 4u);
  EXPECT_EQ(read_file(tmp / "csv" / "turns.csv"), "turn,role,start_s,end_s,fto_s,note\n1,A,0,1.5,n/a,\"said \"\"hi\"\", then left\"\n");
  EXPECT_EQ(read_file(tmp / "csv" / "turns.json"), "{\"turn\": {\"description\": \"turn number\"}}\n");
  EXPECT_EQ(read_file(tmp / "csv" / "events.csv"), "type,start_s,end_s,from_role,to_role,successful\ngap,1.25,1.75,A,B,n/a\n");
  EXPECT_TRUE(std::filesystem::exists(tmp / "csv" / "summary.json"));
  try {
    export_csv(s, tmp / "csv", false);
    ADD_FAILURE();
  } catch (const FormatError& e) {
    EXPECT_EQ(std::string(e.what()), (tmp / "csv" / "events.csv").string() + ": already exists; add --force to replace it");
  }
}

TEST(BidsExport, PhysioEventsAndAudio) {
  TempDir tmp;
  Session s = dyad::test::make_export_session(tmp / "s");
  auto files = export_bids(s, tmp / "bids", false);
  auto beh = tmp / "bids" / "sub-couple7" / "ses-3" / "beh";
  const std::string stem = "sub-couple7_ses-3_task-dyad";
  ASSERT_TRUE(std::filesystem::exists(tmp / "bids" / "dataset_description.json"));
  auto j = nlohmann::json::parse(read_file(beh / (stem + "_recording-ecgA_physio.json")));
  EXPECT_EQ(j["SamplingFrequency"], 250.0);
  EXPECT_EQ(j["StartTime"], 0.0);
  EXPECT_EQ(j["Columns"], nlohmann::json({"ecg"}));
  EXPECT_EQ(j["ecg"]["Units"], "uV");
  if (!have("gzip")) GTEST_SKIP() << "gzip not found";
  std::string tsv = sh("gzip -dc " + (beh / (stem + "_recording-ecgA_physio.tsv.gz")).string());
  auto lines = split(tsv, '\n');
  ASSERT_EQ(lines.size(), 751u);  // 750 rows and the empty piece after the last LF
  EXPECT_EQ(std::string(lines[100]), format_number(dyad::test::ecg_value(0.4)));
  EXPECT_EQ(std::string(lines[300]), "n/a");  // 1.2 s: inside the gap
  std::string bp = sh("gzip -dc " + (beh / (stem + "_recording-bpA_physio.tsv.gz")).string());
  EXPECT_EQ(split(bp, '\n')[0], "120\t80\t93");  // irregular: 4 Hz from the first reading
  std::string ev = read_file(beh / (stem + "_events.tsv"));
  EXPECT_EQ(ev,
            "onset\tduration\ttrial_type\tvalue\tsource\n"
            "0\t1\tbaseline\tn/a\tuser\n"
            "1.25\t0.5\tgap\tA->B\tanalysis\n"
            "2\t0\tcadss\t12\tviewer\n");
  EXPECT_TRUE(std::filesystem::exists(beh / (stem + "_recording-A_audio.wav")));
  EXPECT_EQ(probe_audio(beh / (stem + "_recording-B_audio.wav")).frames, 24000);
  EXPECT_THROW(export_bids(s, tmp / "bids", false), FormatError);
}
