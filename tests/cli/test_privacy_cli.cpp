// Privacy through the dyad command (README "Privacy and security"): everything dyad creates is
// 0700/0600 whatever the umask; seal/unseal as a user runs them (the passphrase never on the
// command line; errors write nothing); the de-identified export of a couple's sessions; the
// sensor listener on loopback unless told, and then only with a token.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <regex>

#include "cli_run.hpp"
#include "dyad/formats/files.hpp"
#include "dyad/formats/session.hpp"
#include "test_util.hpp"

namespace fs = std::filesystem;
using dyad::test::CliRun;
using dyad::test::quoted;

namespace {
CliRun dyad_run(const std::string& args, const dyad::test::TempDir& t) {
  return dyad::test::run_shell(dyad::test::dyad_bin() + " " + args, t / ".stderr");
}

std::vector<std::string> not_private(const fs::path& root) {
  std::vector<std::string> bad;
  auto check = [&](const fs::path& p) {
    const unsigned want = fs::is_directory(p) ? 0700u : 0600u;
    if (dyad::test::mode_of(p) != want) bad.push_back(p.string());
  };
  check(root);
  for (auto& e : fs::recursive_directory_iterator(root)) check(e.path());
  return bad;
}

void write_private(const fs::path& p, const std::string& text) {
  dyad::formats::write_file_new(p, text, true);
}
}  // namespace

TEST(PrivacyCli, EverythingTheCommandsCreateIsPrivateWhateverTheUmask) {
  dyad::test::TempDir t;
  const auto old = ::umask(0);  // the loosest: files would be 0666 and folders 0777
  const fs::path o = t / "out";
  auto ok = [&](const std::string& args) {
    CliRun r = dyad_run(args, t);
    EXPECT_EQ(r.status, 0) << args << "\n" << r.err;
  };
  ok("simulate " + quoted(o / "sim") + " --duration 10 --rate 16000");
  ok("analyze " + quoted(o / "sim") + " --jobs 1");
  for (const char* f : {"edf", "bdf", "xdf", "rttm", "textgrid", "eaf"})
    ok("export " + quoted(o / "sim") + " --format " + f + " --out " + quoted(o / (std::string("x.") + f)));
  for (const char* f : {"wav", "flac", "csv", "bids"}) ok("export " + quoted(o / "sim") + " --format " + f + " --out " + quoted(o / f));
  write_private(t / "secret", "a lab secret of enough bytes\n");
  write_private(t / "pass", "a passphrase for tests\n");
  ok("export " + quoted(o / "sim") + " --deidentify --secret-file " + quoted(t / "secret") + " --out " + quoted(o / "shared"));
  ok("import " + quoted(o / "imp") + " --audio A=" + quoted(o / "wav" / (dyad::formats::read_manifest(o / "sim").id + "_A.wav")) +
     " --physio " + quoted(dyad::test::data_dir() / "csv" / "physio_time.csv") + " --role A --time-column time");
  ok("export " + quoted(o / "sim") + " --format textgrid --out " + quoted(t / "x.TextGrid"));
  ok("import-annotations " + quoted(o / "sim") + " " + quoted(t / "x.TextGrid"));
  ok("pitch " + quoted(o / "sim") + " --role A --out " + quoted(o / "pitch_A.tsv"));
  ok("table " + quoted(o / "sim") + " --out " + quoted(o / "table.csv"));
  ok("seal " + quoted(o / "sim") + " --out " + quoted(o / "sim.dyadseal") + " --kdf interactive --passphrase-file " + quoted(t / "pass"));
  ok("unseal " + quoted(o / "sim.dyadseal") + " --out " + quoted(o / "back") + " --passphrase-file " + quoted(t / "pass"));
  ::umask(old);
  auto bad = not_private(o);
  EXPECT_TRUE(bad.empty()) << ::testing::PrintToString(bad);
}

TEST(PrivacyCli, SealAndUnsealAsAUserRunsThem) {
  dyad::test::TempDir t;
  ASSERT_EQ(dyad_run("simulate " + quoted(t / "s") + " --duration 10 --rate 16000", t).status, 0);
  write_private(t / "pass", "a passphrase for tests\n");
  write_private(t / "wrong", "not the passphrase\n");
  CliRun r = dyad_run("seal " + quoted(t / "s") + " --kdf interactive --passphrase-file " + quoted(t / "pass"), t);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, (t / "s").string() + ".dyadseal\n");
  EXPECT_NE(r.err.find("checked the archive"), std::string::npos) << r.err;
  const fs::path arch = t / "s.dyadseal";
  // a wrong passphrase: one clear line, nothing written
  r = dyad_run("unseal " + quoted(arch) + " --out " + quoted(t / "back") + " --passphrase-file " + quoted(t / "wrong"), t);
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err, "dyad: error: " + arch.string() +
                       ": wrong passphrase, or the archive is damaged (its first block does not verify); nothing was written\n");
  EXPECT_FALSE(fs::exists(t / "back"));
  // the passphrase is never an argument, and without a terminal or file the command says so
  r = dyad_run("unseal " + quoted(arch) + " --out " + quoted(t / "back") + " --passphrase 'a passphrase for tests'", t);
  EXPECT_EQ(r.status, 2) << r.err;
  r = dyad::test::run_shell("setsid -w " + dyad::test::dyad_bin() + " unseal " + quoted(arch) + " --out " + quoted(t / "back") + " </dev/null",
                            t / ".stderr");
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err, "dyad: error: no terminal to ask for the passphrase; give --passphrase-file FILE (a file only you can read)\n");
  r = dyad_run("unseal " + quoted(arch) + " --out " + quoted(t / "back") + " --passphrase-file " + quoted(t / "pass"), t);
  ASSERT_EQ(r.status, 0) << r.err;
  for (auto& e : fs::recursive_directory_iterator(t / "s"))
    if (e.is_regular_file()) {
      EXPECT_EQ(dyad::test::read_all(e.path()), dyad::test::read_all(t / "back" / fs::relative(e.path(), t / "s"))) << e.path();
    }
  // an existing archive is kept unless --force
  r = dyad_run("seal " + quoted(t / "s") + " --kdf interactive --passphrase-file " + quoted(t / "pass"), t);
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err, "dyad: error: " + arch.string() + ": already exists; add --force to replace it\n");
}

TEST(PrivacyCli, DeidentifiedExportsOfOneCoupleShareTheirPseudonyms) {
  dyad::test::TempDir t;
  write_private(t / "secret", "the lab's secret, kept apart\n");
  for (int n : {1, 2}) {
    ASSERT_EQ(dyad_run("simulate " + quoted(t / ("s" + std::to_string(n))) + " --duration 10 --rate 16000 --seed " + std::to_string(n) +
                           " --couple SmithJones --session-number " + std::to_string(n) + " --session-type integration",
                       t)
                  .status,
              0);
    ASSERT_EQ(dyad_run("analyze " + quoted(t / ("s" + std::to_string(n))) + " --jobs 1", t).status, 0);
    CliRun r = dyad_run("export " + quoted(t / ("s" + std::to_string(n))) + " --deidentify --secret-file " + quoted(t / "secret") +
                            " --out " + quoted(t / ("shared" + std::to_string(n))),
                        t);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_NE(r.err.find("left out: audio.wav: the audio"), std::string::npos) << r.err;
  }
  auto m1 = nlohmann::json::parse(dyad::test::read_all(t / "shared1" / "session.json"));
  auto m2 = nlohmann::json::parse(dyad::test::read_all(t / "shared2" / "session.json"));
  EXPECT_EQ(m1["couple"], m2["couple"]);
  EXPECT_EQ(m1["participants"], m2["participants"]);
  EXPECT_NE(m1["session"], m2["session"]);
  EXPECT_EQ(m2["session_number"], 2);
  for (const char* d : {"shared1", "shared2"})
    for (auto& e : fs::recursive_directory_iterator(t / d)) {
      ASSERT_NE(e.path().extension(), ".wav");
      if (!e.is_regular_file()) continue;
      const std::string text = dyad::test::read_all(e.path());
      EXPECT_EQ(text.find("SmithJones"), std::string::npos) << e.path();
      EXPECT_FALSE(std::regex_search(text, std::regex(R"(\d{4}-\d{2}-\d{2}T)"))) << e.path() << ": a date";
    }
  // usage errors
  CliRun r = dyad_run("export " + quoted(t / "s1") + " --deidentify --out " + quoted(t / "x"), t);
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("--secret-file"), std::string::npos) << r.err;
  r = dyad_run("export " + quoted(t / "s1") + " --deidentify --format csv --secret-file " + quoted(t / "secret") + " --out " + quoted(t / "x"), t);
  EXPECT_EQ(r.status, 2);
  EXPECT_FALSE(fs::exists(t / "x"));
}

TEST(PrivacyCli, RecordListensBeyondLoopbackOnlyWithAToken) {
  dyad::test::TempDir t;
  CliRun r = dyad_run("record " + quoted(t / "s") + " --device nothing --listen 0.0.0.0 --duration 1", t);
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.err, "dyad: error: --listen 0.0.0.0 reaches beyond loopback: give --token-file (or --token), which every sensor must "
                   "present in its HELLO (see 'dyad record --help')\n");
  EXPECT_FALSE(fs::exists(t / "s"));
  write_private(t / "empty", "\n");
  r = dyad_run("record " + quoted(t / "s") + " --device nothing --listen 0.0.0.0 --token-file " + quoted(t / "empty"), t);
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("the token (its first line) is empty"), std::string::npos) << r.err;
}

TEST(PrivacyCli, HelpOnTheNewCommandsAndOptions) {
  dyad::test::TempDir t;
  for (const char* c : {"seal", "unseal"}) {
    CliRun r = dyad_run(std::string(c) + " --help", t);
    EXPECT_EQ(r.status, 0) << c;
    EXPECT_NE(r.out.find("--passphrase-file"), std::string::npos) << c << r.out;
  }
  CliRun r = dyad_run("export --help", t);
  EXPECT_NE(r.out.find("--deidentify"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("--secret-file"), std::string::npos) << r.out;
  r = dyad_run("record --help", t);
  EXPECT_NE(r.out.find("--token-file"), std::string::npos) << r.out;
}
