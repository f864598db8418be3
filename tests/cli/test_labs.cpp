// End-to-end: dyad import --xdf/--edf, dyad export, dyad table, scripts/batch.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "dyad/formats/files.hpp"
#include "dyad/formats/session.hpp"
#include "test_util.hpp"

namespace fs = std::filesystem;

#include "cli_run.hpp"

namespace {
using dyad::test::q;
using dyad::test::Run;
using dyad::test::run_cmd;
using dyad::test::run_dyad;
fs::path shared(const std::string& f) { return dyad::test::shared_data() / "formats" / f; }
}  // namespace

TEST(CliLabs, HelpOnNewCommands) {
  for (const char* c : {"export", "table"}) {
    auto r = run_dyad(std::string(c) + " --help");
    EXPECT_EQ(r.status, 0) << r.out;
    EXPECT_NE(r.out.find("Usage"), std::string::npos);
  }
}

TEST(CliLabs, ImportXdfThenExportEveryFormatThenImportBack) {
  if (!fs::exists(shared("xdf/minimal.xdf"))) GTEST_SKIP() << "shared data missing";
  dyad::test::TempDir tmp;
  auto s = tmp / "s";
  auto r = run_dyad("import " + q(s) + " --xdf " + q(shared("xdf/minimal.xdf")) + " --xdf-role SendDataC=B --couple c9");
  ASSERT_EQ(r.status, 0) << r.out;
  auto sess = dyad::formats::Session::open(s);
  ASSERT_EQ(sess.streams.size(), 1u);
  EXPECT_EQ(sess.streams[0].sidecar.role, "B");
  for (const char* f : {"edf", "bdf", "xdf"}) {
    auto out = tmp / (std::string("s.") + f);
    r = run_dyad("export " + q(s) + " --format " + f + " --out " + q(out));
    ASSERT_EQ(r.status, 0) << f << r.out;
    r = run_dyad("export " + q(s) + " --format " + f + " --out " + q(out));
    EXPECT_EQ(r.status, 1);
    EXPECT_EQ(r.out, "dyad: error: " + out.string() + ": already exists; add --force to replace it\n");
    EXPECT_EQ(run_dyad("export " + q(s) + " --format " + f + " --out " + q(out) + " --force").status, 0);
  }
  r = run_dyad("import " + q(tmp / "back") + " --xdf " + q(tmp / "s.xdf"));
  ASSERT_EQ(r.status, 0) << r.out;
  auto back = dyad::formats::Session::open(tmp / "back");
  ASSERT_EQ(back.streams.size(), 1u);
  EXPECT_EQ(back.streams[0].samples, 9u);
  EXPECT_EQ(back.markers.size(), 9u);
  r = run_dyad("import " + q(tmp / "fromedf") + " --edf " + q(tmp / "s.edf") + " --role B");
  ASSERT_EQ(r.status, 0) << r.out;
  auto fe = dyad::formats::Session::open(tmp / "fromedf");
  EXPECT_EQ(fe.streams.size(), 3u);  // one EDF signal per column
  r = run_dyad("export " + q(s) + " --format wav --out " + q(tmp / "w"));
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.out, "dyad: error: " + s.string() + ": the session has no audio to export\n");
  r = run_dyad("export " + q(s) + " --format rttm2 --out x");
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.out, "dyad: error: export: --format must be one of bdf, bids, csv, eaf, edf, flac, rttm, textgrid, wav, xdf, found 'rttm2' "
                   "(see 'dyad export --help')\n");
}

TEST(CliLabs, ImportEdfAndMalformedXdf) {
  if (!fs::exists(shared("edf/mne_test.edf"))) GTEST_SKIP() << "shared data missing";
  dyad::test::TempDir tmp;
  auto r = run_dyad("import " + q(tmp / "e") + " --edf " + q(shared("edf/mne_test.edf")) + " --role A");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_EQ(dyad::formats::Session::open(tmp / "e").markers.size(), 5u);
  dyad::formats::write_file_new(tmp / "bad.xdf", std::string("XDF:\x03\x10\x00", 7), false);
  r = run_dyad("import " + q(tmp / "x") + " --xdf " + q(tmp / "bad.xdf"));
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.out, "dyad: error: " + (tmp / "bad.xdf").string() + ": byte 4: chunk length field of 3 bytes; expected 1, 4 or 8\n");
  EXPECT_FALSE(fs::exists(tmp / "x"));  // nothing half-made is left behind
}

TEST(CliLabs, TableGathersSessions) {
  dyad::test::TempDir tmp;
  for (int i = 1; i <= 2; ++i) {
    auto d = tmp / ("s" + std::to_string(i));
    dyad::formats::create_session_dir(d);
    auto m = dyad::formats::new_manifest("c1", i, "integration");
    m.id = "s" + std::to_string(i);
    dyad::formats::write_manifest(d, m);
    dyad::formats::make_private_dir(d / "features");
    dyad::formats::write_file_new(d / "features" / "turns.tsv", "turn\trole\tstart_s\tend_s\tfto_s\n1\tA\t0\t1\tn/a\n2\tB\t1.5\t3\t0.5\n", false);
  }
  auto r = run_dyad("table " + q(tmp / "s1") + " " + q(tmp / "s2") + " --out " + q(tmp / "long.csv") + " --wide " + q(tmp / "wide.csv"));
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_EQ(dyad::formats::read_file(tmp / "wide.csv"),
            "session_id,couple_id,session_number,session_type,turns.fto_s.mean_A,turns.fto_s.mean_B\n"
            "s1,c1,1,integration,n/a,0.5\ns2,c1,2,integration,n/a,0.5\n");
  EXPECT_EQ(run_dyad("table " + q(tmp / "s1") + " --out " + q(tmp / "long.csv")).status, 1);  // exists, no --force
  // Readable by pandas when it is installed.
  auto py = run_cmd("/usr/bin/python3 -c 'import pandas' >/dev/null 2>&1");
  if (py.status != 0) GTEST_SKIP() << "pandas not installed (python3-pandas): CSV checked as text only";
  auto p = run_cmd("/usr/bin/python3 -c \"import pandas as pd; d = pd.read_csv('" + (tmp / "long.csv").string() +
              "'); print(len(d), d['value'].isna().sum(), d.groupby('role')['value'].count().to_dict())\"");
  EXPECT_EQ(p.out, "4 2 {'A': 0, 'B': 2}\n");
}

TEST(CliLabs, BatchRunsIndependentJobsThenGathers) {
  dyad::test::TempDir tmp;
  // A stand-in for `dyad analyze` that writes a session's features/ (the real one is tested in
  // the analysis tests); a session that does not exist fails its job only.
  auto fake = tmp / "fake-analyze";
  dyad::formats::write_file_new(fake,
                                "#!/bin/sh\nset -e\n[ -d \"$1\" ] || { echo \"no $1\" >&2; exit 1; }\nmkdir -p \"$1/features\"\n"
                                "printf 'turn\\trole\\tstart_s\\tend_s\\tfto_s\\n1\\tA\\t0\\t1\\tn/a\\n2\\tB\\t1.5\\t3\\t0.5\\n' > \"$1/features/turns.tsv\"\n",
                                false);
  fs::permissions(fake, fs::perms::owner_all);
  std::string list;
  for (int i = 1; i <= 3; ++i) {
    auto d = tmp / ("s" + std::to_string(i));
    dyad::formats::create_session_dir(d);
    auto m = dyad::formats::new_manifest("c1", i, "integration");
    m.id = "s" + std::to_string(i);
    dyad::formats::write_manifest(d, m);
    list += d.string() + "\n";
  }
  list += "# a comment\n" + (tmp / "missing").string() + "\n";
  dyad::formats::write_file_new(tmp / "list.txt", list, false);
  const fs::path script = fs::path(DYAD_TEST_DATA) / ".." / ".." / "scripts" / "batch";
  auto r = run_cmd("DYAD=" + std::string(DYAD_BIN_DIR) + "/dyad DYAD_ANALYZE=" + q(fake) + " " + q(script) + " -j 2 " + q(tmp / "list.txt") + " " +
              q(tmp / "long.csv") + " " + q(tmp / "wide.csv"));
  EXPECT_EQ(r.status, 1) << r.out;  // one session failed
  EXPECT_NE(r.out.find("analysis failed for:\n  " + (tmp / "missing").string()), std::string::npos) << r.out;
  std::string wide = dyad::formats::read_file(tmp / "wide.csv");
  EXPECT_EQ(wide,
            "session_id,couple_id,session_number,session_type,turns.fto_s.mean_A,turns.fto_s.mean_B\n"
            "s1,c1,1,integration,n/a,0.5\ns2,c1,2,integration,n/a,0.5\ns3,c1,3,integration,n/a,0.5\n");
}

// The same batch with the real `dyad analyze` on two simulated sessions.
TEST(CliLabs, BatchWithTheRealAnalyzeOnSimulatedSessions) {
  dyad::test::TempDir tmp;
  std::string list;
  for (int i = 1; i <= 2; ++i) {
    auto d = tmp / ("s" + std::to_string(i));
    auto r = run_cmd(std::string(DYAD_BIN_DIR) + "/dyad simulate " + q(d) + " --duration 20 --rate 8000 --seed " + std::to_string(i) +
                " --couple c9 --session-number " + std::to_string(i));
    ASSERT_EQ(r.status, 0) << r.out;
    list += d.string() + "\n";
  }
  dyad::formats::write_file_new(tmp / "list.txt", list, false);
  const fs::path script = fs::path(DYAD_TEST_DATA) / ".." / ".." / "scripts" / "batch";
  auto r = run_cmd("DYAD=" + std::string(DYAD_BIN_DIR) + "/dyad " + q(script) + " -j 2 " + q(tmp / "list.txt") + " " + q(tmp / "long.csv") + " " +
              q(tmp / "wide.csv"));
  EXPECT_EQ(r.status, 0) << r.out;
  for (int i = 1; i <= 2; ++i) EXPECT_TRUE(fs::exists(tmp / ("s" + std::to_string(i)) / "features" / "summary.json"));
  std::string wide = dyad::formats::read_file(tmp / "wide.csv");
  EXPECT_EQ(wide.rfind("session_id,couple_id,session_number,session_type,", 0), 0u) << wide;
  EXPECT_NE(wide.find(",c9,1,dosing,"), std::string::npos) << wide;
  EXPECT_NE(wide.find(",c9,2,dosing,"), std::string::npos) << wide;
}

// A physiology-only session: two partners' CSV files on one clock import with their relative
// timing, and analyze runs physiology and synchrony with empty turn-taking tables.
TEST(CliLabs, PhysiologyOnlyImportAndAnalyze) {
  dyad::test::TempDir d;
  std::ifstream in(dyad::test::data_dir() / "physio" / "neurokit_resting_90s.tsv");
  std::ofstream a(d / "a.csv"), b(d / "b.csv");
  a << "time,ecg\n";
  b << "time,ecg\n";
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#' || line.rfind("ecg", 0) == 0) continue;
    const std::string ecg = line.substr(0, line.find('\t'));
    a << 100 + n * 0.01 << "," << ecg << "\n";  // A's file starts 2 s after B's
    b << 98 + n * 0.01 << "," << ecg << "\n";
    ++n;
  }
  a.close();
  b.close();
  const auto s = d / "s";
  auto r = run_dyad("import " + q(s) + " --physio " + q(d / "a.csv") + " --physio " + q(d / "b.csv") +
                    " --role A --role B --time-column time");
  ASSERT_EQ(r.status, 0) << r.out;
  auto ses = dyad::formats::Session::open(s);
  ASSERT_EQ(ses.streams.size(), 2u);
  for (auto& st : ses.streams) EXPECT_DOUBLE_EQ(st.first_s, st.sidecar.role == "A" ? 2.0 : 0.0) << st.sidecar.name;
  r = run_dyad("analyze " + q(s));
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("physiology only, the turn-taking tables are empty"), std::string::npos) << r.out;
  EXPECT_EQ(dyad::formats::read_file(s / "features" / "segments.tsv"), "role\tstart_s\tend_s\n");
  const auto sync = dyad::formats::read_file(s / "features" / "synchrony.tsv");
  EXPECT_NE(sync.find("\nhr\t"), std::string::npos) << sync.substr(0, 300);
  const auto summary = dyad::formats::read_file(s / "features" / "summary.json");
  EXPECT_NE(summary.find("\"segments_source\": \"none (no audio)\""), std::string::npos);
  // the same ECG 2 s later in A: A follows B, heart-rate synchrony peaks at lag -2 s
  EXPECT_NE(summary.find("\"median_lag_s\": -2.0"), std::string::npos) << summary.substr(summary.find("\"synchrony\""), 400);
}

// Praat (an independent reader) opens the WAV export: one mono file per role at the session's rate
// and length.
TEST(CliLabs, PraatReadsTheWavExport) {
  if (!fs::exists("/usr/bin/praat")) {
    ADD_FAILURE() << "praat is not installed (scripts/install-deps test installs it): the WAV export was not checked by Praat";
    return;
  }
  dyad::test::TempDir tmp;
  auto r = run_dyad("simulate " + q(tmp / "s") + " --duration 12 --rate 16000 --seed 4");
  ASSERT_EQ(r.status, 0) << r.out;
  r = run_dyad("export " + q(tmp / "s") + " --format wav --out " + q(tmp / "w"));
  ASSERT_EQ(r.status, 0) << r.out;
  std::ofstream(tmp / "info.praat") << "form Info\n  sentence Path\nendform\nRead from file: path$\n"
                                       "n = Get number of channels\nsr = Get sampling frequency\nd = Get total duration\n"
                                       "mx = Get absolute extremum: 0, 0, \"None\"\n"
                                       "writeInfoLine: n, \" \", sr, \" \", fixed$(d, 4), \" \", fixed$(mx, 3)\n";
  const auto id = dyad::formats::read_manifest(tmp / "s").id;
  for (const char* role : {"A", "B"}) {
    const fs::path wav = tmp / "w" / (id + "_" + role + ".wav");
    ASSERT_TRUE(fs::exists(wav)) << wav;
    r = run_cmd("praat --run " + q(tmp / "info.praat") + " " + q(wav));
    ASSERT_EQ(r.status, 0) << r.out;
    std::istringstream in(r.out);
    int channels = 0;
    double rate = 0, duration = 0, peak = 0;
    in >> channels >> rate >> duration >> peak;
    EXPECT_EQ(channels, 1) << r.out;
    EXPECT_EQ(rate, 16000) << r.out;
    EXPECT_NEAR(duration, 12.0, 1e-3) << r.out;
    EXPECT_GT(peak, 0.01) << "a partner's voice: " << r.out;
    EXPECT_LE(peak, 1.0) << r.out;
  }
}
