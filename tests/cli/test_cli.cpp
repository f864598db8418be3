// End-to-end tests of the dyad command: run the built program as a user would.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include <algorithm>
#include <array>
#include <cstdio>
#include <fstream>

#include "dyad/formats/session.hpp"
#include "dyad/formats/audio.hpp"
#include "test_util.hpp"

namespace fs = std::filesystem;

#include "cli_run.hpp"

namespace {
using dyad::test::q;
using dyad::test::Run;
using dyad::test::run_cmd;
using dyad::test::run_dyad;
}  // namespace

TEST(Cli, HelpOnEveryCommand) {
  for (const char* c : {"", "info", "import", "devices", "view", "demo", "analyze", "export", "import-annotations", "pitch", "table", "record", "recover", "simulate", "report"}) {
    auto r = run_dyad(std::string(c) + " --help");
    EXPECT_EQ(r.status, 0) << c << r.out;
    EXPECT_NE(r.out.find("Usage"), std::string::npos) << c;
  }
}

TEST(Cli, UnknownCommandIsAUsageError) {
  auto r = run_dyad("frobnicate");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.out.find("dyad: error:"), std::string::npos);
}

TEST(Cli, InfoSummarisesAValidSession) {
  auto r = run_dyad("info " + q(dyad::test::data_dir() / "malformed" / "valid"));
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("couple        C01, session 1 (integration)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("ecg_A  ecg  role A  4 Hz"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("markers       2 (baseline 1, bp 1)"), std::string::npos) << r.out;
}

TEST(Cli, InfoOnMalformedSessionIsOneLineAndNonZero) {
  auto dir = dyad::test::data_dir() / "malformed" / "tsv_number";
  auto r = run_dyad("info " + q(dir));
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.out, "dyad: error: " + (dir / "streams/ecg_A.tsv").string() + ":3: ecg is not a number: '1.2.3'\n");
}

TEST(Cli, ImportMonoFilesThenInfo) {
  dyad::test::TempDir d;
  auto data = dyad::test::data_dir() / "csv";
  auto wav = dyad::test::data_dir() / "malformed" / "valid" / "audio.wav";
  // a stereo fixture as one multichannel file
  auto r = run_dyad("import " + q(d / "s") + " --audio " + q(wav) + " --roles A,B --physio " + q(data / "physio_time.csv") +
                " --role A --time-column time --couple C9 --session-number 4 --session-type dosing");
  ASSERT_EQ(r.status, 0) << r.out;
  auto s = dyad::formats::Session::open(d / "s");
  EXPECT_EQ(s.manifest.couple_id, "C9");
  EXPECT_EQ(s.manifest.session_number, 4);
  EXPECT_EQ(s.manifest.session_type, "dosing");
  EXPECT_EQ(s.streams.size(), 2u);
  EXPECT_EQ(dyad::test::mode_of(d / "s"), 0700u);
}

TEST(Cli, ImportRefusesAnExistingSessionAndRemovesNothing) {
  dyad::test::TempDir d;
  fs::create_directories(d / "s");
  std::ofstream(d / "s" / "precious.txt") << "keep me";
  auto wav = dyad::test::data_dir() / "malformed" / "valid" / "audio.wav";
  auto r = run_dyad("import " + q(d / "s") + " --audio " + q(wav) + " --roles A,B");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("already exists and is not empty"), std::string::npos) << r.out;
  EXPECT_TRUE(fs::exists(d / "s" / "precious.txt"));
}

TEST(Cli, FailedImportLeavesNoHalfSession) {
  dyad::test::TempDir d;
  auto r = run_dyad("import " + q(d / "s") + " --physio " + q(dyad::test::data_dir() / "csv" / "physio_bad.csv") +
                " --role A --time-column time");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("physio_bad.csv:3: ECG is not a number: 'x'"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(d / "s"));
}

TEST(Cli, ImportNeedsRolesForAMultichannelFile) {
  dyad::test::TempDir d;
  auto r = run_dyad("import " + q(d / "s") + " --audio x.wav");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.out.find("give it as ROLE=FILE"), std::string::npos) << r.out;
  // given as ROLE=FILE, but C is not a role
  r = run_dyad("import " + q(d / "s") + " --audio C=a.wav");
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.out, "dyad: error: import: --audio C=a.wav: 'C' is not a role; the roles are A, B and therapist (see 'dyad import --help')\n");
  EXPECT_FALSE(fs::exists(d / "s"));
}

// Bad option values are usage errors (exit 2) that name the option as typed, never a library class,
// and never print a range as a 309-digit number. Checked before any file is read: no session needed.
TEST(Cli, BadOptionValuesNameTheOptionAndExit2) {
  dyad::test::TempDir d;
  const std::string s = q(d / "none");
  struct Case {
    std::string args, message;
  } cases[] = {
      {"analyze " + s + " --window 0", "--window: expected a number from 1 to 86400, got '0' (see 'dyad analyze --help')"},
      {"analyze " + s + " --window 1e-6", "--window: expected a number from 1 to 86400, got '1e-6' (see 'dyad analyze --help')"},
      {"analyze " + s + " --window abc", "--window: expected a number, got 'abc' (see 'dyad analyze --help')"},
      {"analyze " + s + " --window inf", "--window: expected a number from 1 to 86400, got 'inf' (see 'dyad analyze --help')"},
      {"analyze " + s + " --backchannel-max -1", "--backchannel-max: expected a number >= 0, got '-1' (see 'dyad analyze --help')"},
      {"analyze " + s + " --min-pause -5", "--min-pause: expected a number >= 0, got '-5' (see 'dyad analyze --help')"},
      {"analyze " + s + " --bp-systolic-high -5", "--bp-systolic-high: expected a number > 0, got '-5' (see 'dyad analyze --help')"},
      {"analyze " + s + " --jobs -1", "--jobs: expected a whole number >= 0, got '-1' (see 'dyad analyze --help')"},
      {"analyze " + s + " --vad-frame 0.5", "analyze: --vad-frame must be from 0.002 to 0.1 s with --vad crosstalk, got 0.5 (see 'dyad analyze --help')"},
      {"analyze " + s + " --vad-on-db 3 --vad-off-db 5", "analyze: --vad-off-db (5) must be at most --vad-on-db (3) (see 'dyad analyze --help')"},
      {"analyze " + s + " --sync-window 10 --sync-max-lag 20", "analyze: --sync-max-lag (20) must be below --sync-window (10) (see 'dyad analyze --help')"},
      {"analyze " + s + " --vad-param foo=1",
       "analyze: --vad-param must be NAME=VALUE with a parameter of the crosstalk detector, got 'foo=1' (see 'dyad analyze --help')"},
      {"import " + s + " --physio x.csv --role A --rate abc", "--rate: expected a number, got 'abc' (see 'dyad import --help')"},
      {"import " + s + " --audio A=a.wav --session-number -1", "--session-number: expected a whole number >= 0, got '-1' (see 'dyad import --help')"},
      {"simulate " + s + " --duration nan", "--duration: expected a finite number, got 'nan' (see 'dyad simulate --help')"},
      {"simulate " + s + " --duration abc", "--duration: expected a number, got 'abc' (see 'dyad simulate --help')"},
      {"simulate " + s + " --duration 5", "simulate: --duration must be between 10 and 86400 seconds, found 5 (see 'dyad simulate --help')"},
      {"simulate " + s + " --seed -1", "--seed: expected a whole number >= 0, got '-1' (see 'dyad simulate --help')"},
      {"pitch " + s + " --role A --out x.tsv --time-step 0", "--time-step: expected a number > 0, got '0' (see 'dyad pitch --help')"},
      {"pitch " + s + " --role A --out x.tsv --f0-min 300 --f0-max 200", "--f0-max (200) must be above --f0-min (300) (see 'dyad pitch --help')"},
      {"voice " + s + " --role A --from -1", "--from: expected a number >= 0, got '-1' (see 'dyad voice --help')"},
      {"export " + s + " --format foo --out x", "export: --format must be one of"},
      {"seal " + s + " --kdf fast", "--kdf must be interactive, moderate or sensitive, found 'fast' (see 'dyad seal --help')"},
      {"simulate-sensors --garbage 2", "--garbage: expected a number from 0 to 1, got '2' (see 'dyad simulate-sensors --help')"},
      {"record " + s + " --device 0 --port 70000", "--port: expected a whole number from 0 to 65535, got '70000' (see 'dyad record --help')"},
  };
  for (auto& c : cases) {
    auto r = run_dyad(c.args);
    EXPECT_EQ(r.status, 2) << c.args << "\n" << r.out;
    EXPECT_EQ(r.out.rfind("dyad: error: " + c.message, 0), 0u) << c.args << "\n" << r.out;
    EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << r.out;  // one line
    EXPECT_EQ(r.out.find("Vad:"), std::string::npos) << r.out;
  }
  EXPECT_FALSE(fs::exists(d / "none"));
}

TEST(Cli, ViewRendersAScreenshotWithoutADisplay) {
#ifndef DYAD_HAVE_VIEWER
  GTEST_SKIP() << "built with DYAD_BUILD_VIEWER=OFF";
#endif
  dyad::test::TempDir d;
  // a copy: the viewer caches its audio overview under the session's features/
  fs::copy(dyad::test::data_dir() / "malformed" / "valid", d / "s", fs::copy_options::recursive);
  auto r = run_dyad("view " + q(d / "s") + " --screenshot " + q(d / "v.png") + " --size 800x400 --from 0.01 --to 0.08");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_GT(fs::file_size(d / "v.png"), 1000u);
  EXPECT_TRUE(fs::exists(d / "s" / "features" / "overview" / "audio.minmax"));
}

TEST(Cli, ViewerWithoutADisplayRendersOrSaysWhy) {
#ifndef DYAD_HAVE_VIEWER
  GTEST_SKIP() << "built with DYAD_BUILD_VIEWER=OFF";
#endif
  dyad::test::TempDir d;
  fs::copy(dyad::test::data_dir() / "malformed" / "valid", d / "s", fs::copy_options::recursive);
  const std::string viewer = "env -u DISPLAY -u WAYLAND_DISPLAY -u QT_QPA_PLATFORM " + std::string(DYAD_BIN_DIR) + "/dyad-viewer ";
  auto r = run_cmd(viewer + "--help");
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("Usage"), std::string::npos) << r.out;
  r = run_cmd(viewer + q(d / "s") + " --screenshot " + q(d / "v.png") + " --size 640x360");
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_TRUE(fs::exists(d / "v.png"));
  r = run_cmd(viewer + q(d / "s"));  // a window, and nowhere to open it
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_NE(r.out.find("no display to open a window on"), std::string::npos) << r.out;
  r = run_cmd(viewer + q(d / "s") + " --screenshot " + q(d / "v.jpg"));
  EXPECT_EQ(r.status, 2) << r.out;
  EXPECT_NE(r.out.find("writes PNG only"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(d / "v.jpg"));
}

TEST(Cli, ReportWritesOnePagePdfAndPngAndNeverOverwritesWithoutForce) {
#ifndef DYAD_HAVE_VIEWER
  GTEST_SKIP() << "built with DYAD_BUILD_VIEWER=OFF";
#endif
  dyad::test::TempDir d;
  auto r = run_dyad("simulate " + q(d / "s") + " --duration 60 --seed 3 --rate 16000 --couple C9 --session-number 2 --session-type integration");
  ASSERT_EQ(r.status, 0) << r.out;
  r = run_dyad("analyze " + q(d / "s"));
  ASSERT_EQ(r.status, 0) << r.out;
  r = run_dyad("report " + q(d / "s") + " --out " + q(d / "r.pdf"));
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_EQ(r.out, (d / "r.pdf").string() + "\n");  // nothing but the file written
  std::ifstream pdf(d / "r.pdf", std::ios::binary);
  std::string head(5, '\0');
  pdf.read(head.data(), 5);
  EXPECT_EQ(head, "%PDF-");
  const auto size = fs::file_size(d / "r.pdf");
  r = run_dyad("report " + q(d / "s") + " --out " + q(d / "r.pdf"));
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.out, "dyad: error: " + (d / "r.pdf").string() + ": already exists; add --force to replace it\n");
  EXPECT_EQ(fs::file_size(d / "r.pdf"), size);
  r = run_dyad("report " + q(d / "s") + " --out " + q(d / "r.pdf") + " --force");
  EXPECT_EQ(r.status, 0) << r.out;
  r = run_dyad("report " + q(d / "s") + " --out " + q(d / "r.png"));
  ASSERT_EQ(r.status, 0) << r.out;
  std::ifstream png(d / "r.png", std::ios::binary);
  std::string sig(8, '\0');
  png.read(sig.data(), 8);
  EXPECT_EQ(sig, "\x89PNG\r\n\x1a\n");
  EXPECT_GT(fs::file_size(d / "r.png"), 100000u);
  r = run_dyad("report " + q(d / "s") + " --out " + q(d / "r.svg"));
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.out, "dyad: error: " + (d / "r.svg").string() + ": the report is written as .pdf or .png; found '.svg'\n");
  r = run_dyad("report " + q(d / "nothing") + " --out " + q(d / "x.pdf"));
  EXPECT_EQ(r.status, 1);
  EXPECT_FALSE(fs::exists(d / "x.pdf"));
  // several sessions, or a folder of them, open as a course of treatment
  fs::create_directories(d / "course");
  fs::rename(d / "s", d / "course" / "s2");
  r = run_dyad("simulate " + q(d / "course" / "s1") + " --duration 30 --seed 4 --rate 16000 --couple C9 --session-number 1 --session-type preparation");
  ASSERT_EQ(r.status, 0) << r.out;
  r = run_dyad("view " + q(d / "course") + " --screenshot " + q(d / "course.png") + " --size 1000x700");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_GT(fs::file_size(d / "course.png"), 10000u);
  r = run_dyad("view " + q(d / "course" / "s2") + " --tab summary --screenshot " + q(d / "summary.png") + " --size 1000x700");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_GT(fs::file_size(d / "summary.png"), 10000u);
}

TEST(Cli, PitchWritesOnePartnersTrack) {
  dyad::test::TempDir d;
  for (auto [name, f0] : {std::pair{"a.wav", 200.0}, std::pair{"b.wav", 310.0}}) {
    auto x = dyad::test::sine(f0, 16000, 16000, 0.4);
    dyad::formats::AudioWriter w(d / name, 16000, 1);
    w.write(x);
    w.close();
  }
  auto r = run_dyad("import " + q(d / "s") + " --audio A=" + q(d / "a.wav") + " --audio B=" + q(d / "b.wav"));
  ASSERT_EQ(r.status, 0) << r.out;
  r = run_dyad("pitch " + q(d / "s") + " --role B --out " + q(d / "b.tsv"));
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("dyad: wrote 100 frames ("), std::string::npos) << r.out;  // says what it did
  EXPECT_NE(r.out.find(" % voiced) of B to " + (d / "b.tsv").string()), std::string::npos) << r.out;
  std::ifstream in(d / "b.tsv");
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "time_s\tf0_hz\tvoiced\tintensity_db");
  int rows = 0, voiced = 0;
  while (std::getline(in, line)) {
    ++rows;
    std::istringstream ls(line);
    std::string t, f, v, i;
    ls >> t >> f >> v >> i;
    if (v == "1") {
      ++voiced;
      EXPECT_NEAR(std::stod(f), 310.0, 1.0) << line;
    }
  }
  EXPECT_EQ(rows, 100);
  EXPECT_GT(voiced, 90);
  // the same track whatever the number of threads
  auto slurp = [](const fs::path& p) {
    std::ifstream f(p);
    return std::string(std::istreambuf_iterator<char>(f), {});
  };
  for (const char* t : {"1", "3"}) {
    r = run_dyad("pitch " + q(d / "s") + " --role B --threads " + t + " --out " + q(d / ("b" + std::string(t) + ".tsv")));
    ASSERT_EQ(r.status, 0) << r.out;
    EXPECT_EQ(slurp(d / ("b" + std::string(t) + ".tsv")), slurp(d / "b.tsv")) << t << " threads";
  }
  r = run_dyad("pitch " + q(d / "s") + " --role B --out " + q(d / "b.tsv"));
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("b.tsv: already exists; add --force to replace it"), std::string::npos) << r.out;
  r = run_dyad("pitch " + q(d / "s") + " --role therapist --out " + q(d / "t.tsv"));
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("no audio channel for role 'therapist' (roles with audio: A, B)"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(d / "t.tsv"));
  // option values that do not fit this session (exit 1), named as typed, not as the library's parameters
  r = run_dyad("pitch " + q(d / "s") + " --role B --f0-max 9000 --out " + q(d / "t.tsv"));
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.out, "dyad: error: " + (d / "s").string() + ": --f0-max (9000) must be below half the session's sample rate (16000 Hz)\n");
  EXPECT_FALSE(fs::exists(d / "t.tsv"));
  r = run_dyad("analyze " + q(d / "s") + " --f0-range B=75-9000");
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.out, "dyad: error: " + (d / "s").string() + ": --f0-range B=75-9000: the pitch ceiling 9000 Hz must be below half the "
                   "session's sample rate (16000 Hz); nothing was analysed\n");
  EXPECT_FALSE(fs::exists(d / "s" / "features"));
  r = run_dyad("voice " + q(d / "s") + " --role B --from 100");  // no --to: the session ends first
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.out, "dyad: error: --from 100 is at or past the end of the audio (1 s)\n");
}

// dyad record refuses bad arguments before touching any device (the live recording tests run
// against a JACK dummy server in dyad_capture_live_tests).
TEST(Cli, RecordArgumentErrorsAreOneLine) {
  dyad::test::TempDir d;
  struct Case {
    std::string args, message;
  } cases[] = {
      {"--device 0 --channels 1,2 --roles A", "dyad: error: --channels has 2 channel(s) but --roles has 1; give one role per channel\n"},
      {"--device 0 --channels 1,x --roles A,B", "dyad: error: --channels: 'x' is not a channel number (channels count from 1)\n"},
      {"--device 0 --channels 0,1 --roles A,B", "dyad: error: --channels: '0' is not a channel number (channels count from 1)\n"},
      {"--device 0 --channels 1,1 --roles A,B", "dyad: error: --channels: a channel is listed twice\n"},
      {"--device 0 --roles A,X", "dyad: error: --roles: 'X' is not a role (expected A, B or therapist)\n"},
      {"--device 0 --session-type party", "dyad: error: --session-type: 'party' is not one of preparation, dosing, integration, other\n"},
  };
  for (auto& c : cases) {
    auto r = run_dyad("record " + q(d / "s") + " " + c.args);
    EXPECT_EQ(r.status, 2) << c.args;  // usage errors
    EXPECT_EQ(r.out, c.message.substr(0, c.message.size() - 1) + " (see 'dyad record --help')\n") << c.args;
    EXPECT_FALSE(fs::exists(d / "s"));
  }
}

TEST(Cli, RecordRefusesWhenTheDiskCannotHoldTheDuration) {
  dyad::test::TempDir d;
  auto r = run_dyad("record " + q(d / "s") + " --device 0 --duration 1e9");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("dyad: error: not enough free disk for "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(" free (about "), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(d / "s"));
}

TEST(Cli, RecordRefusesAnExistingSession) {
  dyad::test::TempDir d;
  fs::create_directories(d / "s");
  std::ofstream(d / "s" / "keep.txt") << "x";
  auto r = run_dyad("record " + q(d / "s") + " --device 0");
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.out, "dyad: error: " + (d / "s").string() + ": already exists and is not empty; refusing to overwrite a session\n");
}

TEST(Cli, RecoverOnACompleteSessionChangesNothing) {
  dyad::test::TempDir d;
  fs::copy(dyad::test::data_dir() / "malformed" / "valid", d / "s", fs::copy_options::recursive);
  auto before = dyad::formats::read_file(d / "s" / "session.json");
  auto r = run_dyad("recover " + q(d / "s"));
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("already complete and valid; nothing changed"), std::string::npos) << r.out;
  EXPECT_EQ(dyad::formats::read_file(d / "s" / "session.json"), before);
}

TEST(Cli, RecoverWithoutAManifestSaysSo) {
  dyad::test::TempDir d;
  fs::create_directories(d / "s");
  auto r = run_dyad("recover " + q(d / "s"));
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("session.json"), std::string::npos) << r.out;
}

TEST(Cli, SimulateWritesASessionThatInfoReadsAndIsDeterministic) {
  dyad::test::TempDir d;
  auto r = run_dyad("simulate " + q(d / "s") + " --duration 20 --seed 9 --rate 16000 --therapist --couple C7 --session-number 2 --session-type dosing");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("talkspurts"), std::string::npos) << r.out;
  auto s = dyad::formats::Session::open(d / "s");
  EXPECT_EQ(s.manifest.couple_id, "C7");
  EXPECT_EQ(s.manifest.session_type, "dosing");
  EXPECT_EQ(s.audio_roles(), (std::vector<std::string>{"A", "B", "therapist"}));
  EXPECT_EQ(s.manifest.id.rfind("sim-9-", 0), 0u) << s.manifest.id;
  EXPECT_TRUE(fs::exists(d / "s" / "truth" / "pitch_therapist.tsv"));
  auto info = run_dyad("info " + q(d / "s"));
  EXPECT_EQ(info.status, 0) << info.out;
  auto again = run_dyad("simulate " + q(d / "t") + " --duration 20 --seed 9 --rate 16000 --therapist --couple C7 --session-number 2 --session-type dosing");
  ASSERT_EQ(again.status, 0) << again.out;
  auto read = [](const fs::path& p) {
    std::ifstream f(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(f), {});
  };
  EXPECT_EQ(read(d / "s" / "session.json"), read(d / "t" / "session.json"));
  EXPECT_EQ(read(d / "s" / "audio.wav"), read(d / "t" / "audio.wav"));
}

TEST(Cli, SimulateRejectsBadOptionsWithOneClearLine) {
  dyad::test::TempDir d;
  auto r = run_dyad("simulate " + q(d / "s") + " --duration 3");
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.out, "dyad: error: simulate: --duration must be between 10 and 86400 seconds, found 3 (see 'dyad simulate --help')\n");
  EXPECT_FALSE(fs::exists(d / "s"));
  r = run_dyad("simulate " + q(d / "s") + " --crosstalk-db 6");
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.out, "dyad: error: simulate: --crosstalk-db must be between -120 and 0 dB, found 6 (see 'dyad simulate --help')\n");
  r = run_dyad("simulate " + q(d / "s") + " --session-type nap");
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.out, "dyad: error: simulate: --session-type must be preparation, dosing, integration or other, found 'nap' "
                   "(see 'dyad simulate --help')\n");
  r = run_dyad("simulate " + q(d / "s") + " --snr-db loud");
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.out, "dyad: error: --snr-db: expected a number, got 'loud' (see 'dyad simulate --help')\n");
  r = run_dyad("simulate");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.out.find("OUT is required"), std::string::npos) << r.out;
}

// PortAudio probing ALSA without a sound card makes ALSA print dozens of lines; `dyad devices`
// keeps them for --verbose and prints the table (and a hint when it is empty).
TEST(Cli, DevicesKeepsTheAudioLibrariesNoiseForVerbose) {
  // Without a sound card or JACK server, ALSA's plugins leak a few kB that LeakSanitizer reports
  // from an unloaded module (not dyad's allocations, and not suppressible by name): leak checking
  // is off for these two runs only.
  auto run = [](const std::string& args) { return run_dyad(args, true, "ASAN_OPTIONS=detect_leaks=0 "); };
  auto r = run("devices");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_EQ(r.out.find("ALSA lib"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.rfind("index\tinputs\toutputs\trate_hz\thost_api\tname\n", 0), 0u) << r.out;
  auto v = run("devices --verbose");
  EXPECT_EQ(v.status, 0) << v.out;
  EXPECT_GE(v.out.size(), r.out.size());
}
