// End-to-end: dyad analyze / export / import-annotations as a user runs them, on tone-burst
// sessions; Praat opens the exported TextGrid; exports round-trip through import-annotations.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "dyad/formats/files.hpp"
#include "tone_session.hpp"

namespace fs = std::filesystem;

#include "cli_run.hpp"

namespace {
using dyad::test::q;
using dyad::test::Run;
using dyad::test::run_cmd;
using dyad::test::run_dyad;
std::string slurp(const fs::path& p) { return dyad::formats::read_file(p); }

dyad::test::ToneSpec conversation() {
  dyad::test::ToneSpec s;
  s.bursts["A"] = {{1, 3}, {3.5, 5}, {6, 6.5}, {8.5, 9.5}};
  s.bursts["B"] = {{4.5, 8}};  // B interrupts A at 4.5 (a between overlap), A backchannels at 6
  return s;
}
}  // namespace

TEST(CliTurns, HelpOnNewCommands) {
  for (const char* c : {"analyze", "export", "import-annotations"}) {
    auto r = run_dyad(std::string(c) + " --help");
    EXPECT_EQ(r.status, 0) << c << r.out;
    EXPECT_NE(r.out.find("Usage"), std::string::npos) << c;
  }
}

TEST(CliTurns, AnalyzeAFolderOfSessionsReportsFailuresAndCountsThem) {
  dyad::test::TempDir d;
  dyad::test::make_tone_session(d / "all" / "s1", conversation());
  dyad::test::make_tone_session(d / "all" / "s2", conversation());
  fs::create_directories(d / "all" / "s3");
  std::ofstream(d / "all" / "s3" / "session.json") << "{ not json";
  auto r = run_dyad("analyze " + q(d / "all") + " --jobs 2");
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_NE(r.out.find((d / "all" / "s1").string() + ": 5 talkspurts, 5 events, 3 turns (vad:crosstalk)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find((d / "all" / "s2").string() + ": 5 talkspurts"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("dyad: error: " + (d / "all" / "s3" / "session.json").string()), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("1 of 3 sessions failed"), std::string::npos) << r.out;
  // a glob, and a missing session counted as a failure
  r = run_dyad("analyze " + q(d / "all" / "s[12]") + " " + q(d / "nope") + " --window 5 --backchannel-max 0.25");
  EXPECT_EQ(r.status, 1) << r.out;
  auto w = slurp(d / "all" / "s1" / "features" / "windows.tsv");
  EXPECT_EQ(std::count(w.begin(), w.end(), '\n'), 3);  // header + 2 windows of 5 s
  auto e = slurp(d / "all" / "s1" / "features" / "events.tsv");
  EXPECT_EQ(e.find("backchannel"), std::string::npos);  // 0.5 s is no longer < 0.25 s
  EXPECT_NE(slurp(d / "all" / "s1" / "features" / "summary.json").find("\"backchannel_max_s\": 0.25"), std::string::npos);
  // VAD options reach the detector chosen, bad ones are refused before any work
  r = run_dyad("analyze " + q(d / "all" / "s1") + " --vad energy --min-pause 0.6");
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("(vad:energy)"), std::string::npos) << r.out;
  EXPECT_NE(slurp(d / "all" / "s1" / "features" / "segments.tsv").find("A\t1\t5\n"), std::string::npos);
  const std::string help = " (see 'dyad analyze --help')\n";
  r = run_dyad("analyze " + q(d / "all" / "s1") + " --vad energy --vad-off-db 30");
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.out, "dyad: error: analyze: --vad-off-db (30) must be at most --vad-on-db (12)" + help);
  r = run_dyad("analyze " + q(d / "all" / "s1") + " --vad-off-db 30");
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.out, "dyad: error: analyze: --vad-off-db (30) must be at most --vad-on-db (-2)" + help);
  r = run_dyad("analyze " + q(d / "all" / "s1") + " --min-pause 0.6 --vad-leak-margin 4 --vad-param leak_memory_s=30 --vad-param bands=12");
  EXPECT_EQ(r.status, 0) << r.out;
  auto j = slurp(d / "all" / "s1" / "features" / "summary.json");
  for (const char* want : {"\"min_pause_s\": 0.6", "\"leak_margin_db\": 4.0", "\"leak_memory_s\": 30.0", "\"bands\": 12.0", "\"name\": \"crosstalk\""})
    EXPECT_NE(j.find(want), std::string::npos) << want << "\n" << j;
  r = run_dyad("analyze " + q(d / "all" / "s1") + " --vad-param leak_memory=30");
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.out, "dyad: error: analyze: --vad-param must be NAME=VALUE with a parameter of the crosstalk detector, got 'leak_memory=30'" + help);
  r = run_dyad("analyze " + q(d / "all" / "s1") + " --vad-param bands=2.5");
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.out, "dyad: error: analyze: voice activity parameter bands must be a whole number, got 2.5" + help);
  r = run_dyad("analyze " + q(d / "all" / "s1") + " --vad magic");
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.out.find("--vad"), std::string::npos) << r.out;
}

TEST(CliTurns, AnalyzeRejectsCrosstalkByDefault) {
  dyad::test::TempDir d;
  auto spec = conversation();
  spec.bursts["B"] = {{5.5, 8}};  // no overlap: every talkspurt beyond these is crosstalk
  spec.crosstalk_db = -10;
  dyad::test::make_tone_session(d / "s", spec);
  auto r = run_dyad("analyze " + q(d / "s"));
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find(": 5 talkspurts, 5 events, 3 turns (vad:crosstalk)"), std::string::npos) << r.out;
  auto j = slurp(d / "s" / "features" / "summary.json");
  EXPECT_NE(j.find("\"A>B\": -"), std::string::npos) << j;  // the learned leak
  r = run_dyad("analyze " + q(d / "s") + " --vad energy");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_EQ(r.out.find(": 5 talkspurts"), std::string::npos) << r.out;  // the energy detector counts the leak
}

TEST(CliTurns, ExportsAndRoundTripThroughImportAnnotations) {
  dyad::test::TempDir d;
  auto s = d / "s";
  dyad::test::make_tone_session(s, conversation());
  auto r = run_dyad("export " + q(s) + " --format rttm --out " + q(d / "x.rttm"));
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.out, "dyad: error: " + (s / "features" / "segments.tsv").string() + ": not found (run 'dyad analyze' first)\n");
  // the energy detector finds the tone bursts to the sample, so the exported times are exact
  ASSERT_EQ(run_dyad("analyze " + q(s) + " --vad energy").status, 0);
  const auto segments = slurp(s / "features" / "segments.tsv");
  const auto events = slurp(s / "features" / "events.tsv");
  const auto turns = slurp(s / "features" / "turns.tsv");
  EXPECT_NE(events.find("overlap_between\t4.5\t5\tA\tB"), std::string::npos) << events;

  // RTTM
  r = run_dyad("export " + q(s) + " --format rttm --out " + q(d / "x.rttm"));
  ASSERT_EQ(r.status, 0) << r.out;
  auto rttm = slurp(d / "x.rttm");
  EXPECT_EQ(rttm.substr(0, rttm.find('\n')).substr(0, 8), "SPEAKER ");
  EXPECT_NE(rttm.find(" 1 4.500 3.500 <NA> <NA> B <NA> <NA>\n"), std::string::npos) << rttm;
  EXPECT_EQ(std::count(rttm.begin(), rttm.end(), '\n'), 5);
  // ... and round-trips through import-annotations (into a copy of the session)
  fs::copy(s, d / "r", fs::copy_options::recursive);
  r = run_dyad("import-annotations " + q(d / "r") + " " + q(d / "x.rttm"));
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("stored 5 talkspurts"), std::string::npos) << r.out;
  EXPECT_EQ(slurp(d / "r" / "annotations" / "segments.tsv"), segments);
  ASSERT_EQ(run_dyad("analyze " + q(d / "r")).status, 0);
  EXPECT_EQ(slurp(d / "r" / "features" / "events.tsv"), events);
  EXPECT_EQ(slurp(d / "r" / "features" / "turns.tsv"), turns);
  // never replaced without --force
  r = run_dyad("export " + q(s) + " --format rttm --out " + q(d / "x.rttm"));
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.out, "dyad: error: " + (d / "x.rttm").string() + ": already exists; add --force to replace it\n");
  EXPECT_EQ(run_dyad("export " + q(s) + " --format rttm --out " + q(d / "x.rttm") + " --force").status, 0);
  r = run_dyad("export " + q(s) + " --format mp3 --out " + q(d / "x.mp3"));
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.out, "dyad: error: export: --format must be one of bdf, bids, csv, eaf, edf, flac, rttm, textgrid, wav, xdf, found 'mp3' "
                   "(see 'dyad export --help')\n");

  // TextGrid: Praat opens it
  ASSERT_EQ(run_dyad("export " + q(s) + " --format textgrid --out " + q(d / "x.TextGrid")).status, 0);
  std::ofstream(d / "count.praat") << "form Count\n  sentence Path\nendform\nRead from file: path$\nn = Get number of tiers\n"
                                      "m = Get number of intervals: 3\nwriteInfoLine: n, \" \", m\n";
  if (fs::exists("/usr/bin/praat")) {
    r = run_cmd("praat --run " + q(d / "count.praat") + " " + q(d / "x.TextGrid"));
    EXPECT_EQ(r.status, 0) << r.out;
    // tiers A, B, events; events: silence, pause, silence, overlap, B solo, backchannel, B solo, gap, silence
    EXPECT_EQ(r.out, "3 9\n");
  } else {
    ADD_FAILURE() << "praat is not installed (scripts/install-deps test installs it): the TextGrid was not checked by Praat";
  }
  // ... and the TextGrid round-trips: import-annotations, analyze, same features
  r = run_dyad("import-annotations " + q(s) + " " + q(d / "x.TextGrid"));
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("stored 5 talkspurts"), std::string::npos) << r.out;
  EXPECT_EQ(slurp(s / "annotations" / "segments.tsv"), segments);
  ASSERT_EQ(run_dyad("analyze " + q(s)).status, 0);
  EXPECT_EQ(slurp(s / "features" / "segments.tsv"), segments);
  EXPECT_EQ(slurp(s / "features" / "events.tsv"), events);
  EXPECT_EQ(slurp(s / "features" / "turns.tsv"), turns);
  EXPECT_NE(slurp(s / "features" / "summary.json").find("\"segments_source\": \"annotations\""), std::string::npos);

  // EAF round trip, with a corrected talkspurt: B's ends later
  ASSERT_EQ(run_dyad("export " + q(s) + " --format eaf --out " + q(d / "x.eaf")).status, 0);
  auto eaf = slurp(d / "x.eaf");
  EXPECT_NE(eaf.find("RELATIVE_MEDIA_URL=\"./s/audio.wav\""), std::string::npos) << eaf.substr(0, 800);
  if (fs::exists("/usr/bin/python3")) {
    EXPECT_EQ(run_cmd("/usr/bin/python3 -c \"import xml.etree.ElementTree as E,sys; E.parse(sys.argv[1]); print('ok')\" " + q(d / "x.eaf")).out,
              "ok\n");
  }
  auto pos = eaf.find("TIME_VALUE=\"8000\"");
  ASSERT_NE(pos, std::string::npos);
  eaf.replace(pos, 17, "TIME_VALUE=\"8250\"");
  std::ofstream(d / "y.eaf") << eaf;
  // corrections imported before are never replaced silently; with --force they are kept in history/
  const auto first = slurp(s / "annotations" / "segments.tsv");
  r = run_dyad("import-annotations " + q(s) + " " + q(d / "y.eaf") + " --tier A --tier B=B");
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.out, "dyad: error: " + (s / "annotations" / "segments.tsv").string() +
                       ": corrections were imported before; add --force to replace them (the old ones are kept under "
                       "annotations/history/)\n");
  EXPECT_EQ(slurp(s / "annotations" / "segments.tsv"), first);
  r = run_dyad("import-annotations " + q(s) + " " + q(d / "y.eaf") + " --tier A --tier B=B --force");
  ASSERT_EQ(r.status, 0) << r.out;
  std::vector<fs::path> kept;
  for (auto& e : fs::directory_iterator(s / "annotations" / "history")) kept.push_back(e.path());
  ASSERT_EQ(kept.size(), 2u);  // segments.tsv and segments.json
  std::sort(kept.begin(), kept.end());
  EXPECT_EQ(slurp(kept[1]), first);
  ASSERT_EQ(run_dyad("analyze " + q(s)).status, 0);
  auto seg2 = slurp(s / "features" / "segments.tsv");
  EXPECT_NE(seg2.find("B\t4.5\t8.25\n"), std::string::npos) << seg2;
  EXPECT_NE(slurp(s / "features" / "events.tsv").find("gap\t8.25\t8.5\tB\tA"), std::string::npos);
  // --no-annotations goes back to the detector
  ASSERT_EQ(run_dyad("analyze --no-annotations --vad energy " + q(s)).status, 0);
  EXPECT_EQ(slurp(s / "features" / "segments.tsv"), segments);

  // errors name the file and tier
  r = run_dyad("import-annotations " + q(s) + " " + q(d / "y.eaf") + " --tier A=speaker1");
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.out, "dyad: error: " + (d / "y.eaf").string() + ": no tier named 'speaker1' (tiers: A, B, events)\n");
  // a ROLE=TIER whose role is not one is a usage error (exit 2), found before the file is read
  r = run_dyad("import-annotations " + q(s) + " " + q(d / "y.eaf") + " --tier speaker1=A");
  EXPECT_EQ(r.status, 2) << r.out;
  EXPECT_NE(r.out.find("--tier speaker1=A: 'speaker1' is not a role"), std::string::npos) << r.out;
  r = run_dyad("import-annotations " + q(s) + " " + q(d / "y.eaf") + " --tier A=");
  EXPECT_EQ(r.status, 2) << r.out;
  fs::copy_file(d / "x.rttm", d / "x.lab");
  r = run_dyad("import-annotations " + q(s) + " " + q(d / "x.lab") + " --force");
  EXPECT_EQ(r.out, "dyad: error: " + (d / "x.lab").string() +
                       ": unknown annotation file type '.lab' (expected a Praat .TextGrid, an ELAN .eaf or an .rttm)\n");

  // a file from another session: talkspurts past the end, or a TextGrid of another length
  auto grid = [&](double xmax, double a0, double a1) {
    std::ostringstream g;
    g << "File type = \"ooTextFile\"\nObject class = \"TextGrid\"\n\nxmin = 0\nxmax = " << xmax
      << "\ntiers? <exists>\nsize = 1\nitem []:\n    item [1]:\n        class = \"IntervalTier\"\n        name = \"A\"\n"
      << "        xmin = 0\n        xmax = " << xmax << "\n        intervals: size = 3\n"
      << "        intervals [1]:\n            xmin = 0\n            xmax = " << a0 << "\n            text = \"\"\n"
      << "        intervals [2]:\n            xmin = " << a0 << "\n            xmax = " << a1 << "\n            text = \"speech\"\n"
      << "        intervals [3]:\n            xmin = " << a1 << "\n            xmax = " << xmax << "\n            text = \"\"\n";
    return g.str();
  };
  std::ofstream(d / "other.TextGrid") << grid(100, 90, 95);
  r = run_dyad("import-annotations " + q(s) + " " + q(d / "other.TextGrid") + " --force");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find(": a talkspurt of A ends at 95 s, after the end of " + s.string()), std::string::npos) << r.out;
  std::ofstream(d / "other.TextGrid") << grid(100, 1, 2);
  r = run_dyad("import-annotations " + q(s) + " " + q(d / "other.TextGrid") + " --force");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find(": the TextGrid spans 100 s but " + s.string()), std::string::npos) << r.out;
  EXPECT_EQ(run_dyad("import-annotations " + q(s) + " " + q(d / "other.TextGrid") + " --force --allow-length-mismatch").status, 0);
}
