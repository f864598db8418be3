// Fault injection through the dyad command (issue 14): every kind of damaged session file gives a
// clear one-line error (or a correct result) from every command that reads sessions, never a
// crash, and changes nothing; `dyad analyze` interrupted half way (SIGINT, SIGKILL) then run again
// leaves the recording untouched and features/ complete. CI runs every damage against `info`
// and a sample against the other commands; DYAD_FULL=1 runs every pair.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <chrono>
#include <functional>
#include <random>
#include <thread>

#include "cli_run.hpp"
#include "dyad/formats/files.hpp"
#include "dyad/formats/session.hpp"
#include "test_util.hpp"

namespace fs = std::filesystem;
using dyad::test::CliRun;
using dyad::test::quoted;

namespace {

bool full() { return std::getenv("DYAD_FULL") && std::string(std::getenv("DYAD_FULL")) == "1"; }

void write_bytes(const fs::path& p, const std::string& b) {
  std::ofstream o(p, std::ios::binary | std::ios::trunc);
  o << b;
}

/// A simulated session with features, made once per test program.
const fs::path& pristine() {
  static dyad::test::TempDir* keep = new dyad::test::TempDir;  // outlives every test (removed by the OS temp cleaner)
  static fs::path dir = [] {
    fs::path d = keep->path() / "pristine";
    CliRun r = dyad::test::run_shell(dyad::test::dyad_bin() + " simulate " + quoted(d) + " --duration 10 --rate 16000 --seed 3 >/dev/null",
                                     keep->path() / "err");
    if (r.status != 0) throw std::runtime_error("simulate failed: " + r.err);
    r = dyad::test::run_shell(dyad::test::dyad_bin() + " analyze " + quoted(d) + " --jobs 1 >/dev/null", keep->path() / "err");
    if (r.status != 0) throw std::runtime_error("analyze failed: " + r.err);
    write_bytes(keep->path() / "pass", "a passphrase for tests\n");
    write_bytes(keep->path() / "secret", "0123456789abcdef0123456789\n");
    ::chmod((keep->path() / "pass").c_str(), 0600);
    ::chmod((keep->path() / "secret").c_str(), 0600);
    return d;
  }();
  return dir;
}
fs::path pass_file() { return pristine().parent_path() / "pass"; }
fs::path secret_file() { return pristine().parent_path() / "secret"; }

struct Damage {
  std::string name;
  std::string file;  ///< relative to the session; the error must name it
  std::function<void(const fs::path& session)> apply;
  bool ci = false;   ///< also run against every command in CI (else only `info`)
};

std::string garbage(std::size_t n, unsigned seed) {
  std::mt19937 g(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(g());
  return s;
}
/// Replaces the first occurrence of `from` in a file.
void edit(const fs::path& p, const std::string& from, const std::string& to) {
  std::string s = dyad::test::read_all(p);
  auto at = s.find(from);
  if (at == std::string::npos) throw std::runtime_error(p.string() + ": no '" + from + "' to replace");
  s.replace(at, from.size(), to);
  write_bytes(p, s);
}
void cut(const fs::path& p, std::size_t keep) { fs::resize_file(p, std::min<std::uintmax_t>(keep, fs::file_size(p))); }

std::vector<Damage> damages() {
  auto R = [](const fs::path& s, const std::string& f) { return dyad::test::read_all(s / f); };
  std::vector<Damage> d = {
      // session.json
      {"manifest_empty", "session.json", [](auto& s) { write_bytes(s / "session.json", ""); }, true},
      {"manifest_truncated", "session.json", [](auto& s) { cut(s / "session.json", fs::file_size(s / "session.json") / 2); }, true},
      {"manifest_not_json", "session.json", [](auto& s) { write_bytes(s / "session.json", "hello"); }},
      {"manifest_array", "session.json", [](auto& s) { write_bytes(s / "session.json", "[1,2]"); }},
      {"manifest_missing_key", "session.json", [](auto& s) { edit(s / "session.json", "\"status\"", "\"statux\""); }},
      {"manifest_wrong_type", "session.json", [](auto& s) { edit(s / "session.json", "\"session_number\": 1", "\"session_number\": \"one\""); }},
      {"manifest_newer", "session.json", [](auto& s) { edit(s / "session.json", "\"format_version\": 1", "\"format_version\": 99"); }},
      {"manifest_binary", "session.json", [](auto& s) { write_bytes(s / "session.json", garbage(4096, 1)); }, true},
      {"manifest_deep", "session.json", [](auto& s) { write_bytes(s / "session.json", std::string(100000, '[') + std::string(100000, ']')); }},
      {"manifest_nul", "session.json", [R](auto& s) { write_bytes(s / "session.json", R(s, "session.json").insert(20, std::string(4, '\0'))); }},
      {"manifest_path_escape", "session.json", [](auto& s) { edit(s / "session.json", "\"file\": \"audio.wav\"", "\"file\": \"../../etc/passwd\""); }, true},
      {"manifest_channel_99", "session.json", [](auto& s) { edit(s / "session.json", "\"channel\": 2", "\"channel\": 99"); }},
      {"manifest_huge_number", "session.json", [](auto& s) { edit(s / "session.json", "\"session_number\": 1", "\"session_number\": 1e400"); }},
      {"manifest_ghost_stream", "session.json", [](auto& s) { edit(s / "session.json", "\"name\": \"ecg_A\"", "\"name\": \"ghost_A\""); }},
      // audio.wav
      {"audio_empty", "audio.wav", [](auto& s) { write_bytes(s / "audio.wav", ""); }, true},
      {"audio_header_cut", "audio.wav", [](auto& s) { cut(s / "audio.wav", 20); }},
      {"audio_garbage", "audio.wav", [](auto& s) { write_bytes(s / "audio.wav", garbage(65536, 2)); }, true},
      {"audio_header_only", "audio.wav", [](auto& s) { cut(s / "audio.wav", 80); }},
      {"audio_missing", "audio.wav", [](auto& s) { fs::remove(s / "audio.wav"); }},
      {"audio_partial_frame", "audio.wav", [](auto& s) { cut(s / "audio.wav", fs::file_size(s / "audio.wav") - 3); }},
      {"audio_other_rate", "audio.wav", [](auto& s) {
         std::string w = dyad::test::read_all(s / "audio.wav");
         w[24] = 0x40, w[25] = 0x1f, w[26] = 0, w[27] = 0;  // 8000 Hz in the fmt chunk
         write_bytes(s / "audio.wav", w);
       }},
      // streams/ecg_A.tsv and its sidecar
      {"stream_empty", "ecg_A.tsv", [](auto& s) { write_bytes(s / "streams/ecg_A.tsv", ""); }, true},
      {"stream_header", "ecg_A.tsv", [](auto& s) { edit(s / "streams/ecg_A.tsv", "device_time_s", "device_s"); }},
      {"stream_extra_field", "ecg_A.tsv", [](auto& s) { edit(s / "streams/ecg_A.tsv", "\n", "\n0\t0\t1\t2\n"); }},
      {"stream_not_number", "ecg_A.tsv", [](auto& s) {
         std::string t = dyad::test::read_all(s / "streams/ecg_A.tsv");
         auto l2 = t.find('\n', t.find('\n') + 1) + 1;  // the second row
         t.replace(l2, t.find('\t', l2) - l2, "1.2.3");
         write_bytes(s / "streams/ecg_A.tsv", t);
       }},
      {"stream_backwards", "ecg_A.tsv", [](auto& s) { edit(s / "streams/ecg_A.tsv", "\n", "\n99999\t0\t1\n"); }},
      {"stream_binary", "ecg_A.tsv", [](auto& s) { write_bytes(s / "streams/ecg_A.tsv", garbage(10000, 3)); }},
      {"stream_missing", "ecg_A.tsv", [](auto& s) { fs::remove(s / "streams/ecg_A.tsv"); }},
      {"stream_partial_line", "ecg_A.tsv", [](auto& s) { cut(s / "streams/ecg_A.tsv", fs::file_size(s / "streams/ecg_A.tsv") - 5); }, true},
      {"sidecar_empty", "ecg_A.json", [](auto& s) { write_bytes(s / "streams/ecg_A.json", ""); }},
      {"sidecar_not_json", "ecg_A.json", [](auto& s) { write_bytes(s / "streams/ecg_A.json", "{\"name\": "); }, true},
      {"sidecar_missing_key", "ecg_A.json", [](auto& s) { edit(s / "streams/ecg_A.json", "\"columns\"", "\"kolumns\""); }},
      {"sidecar_other_name", "ecg_A.json", [](auto& s) { edit(s / "streams/ecg_A.json", "\"name\": \"ecg_A\"", "\"name\": \"ecg_B\""); }},
      {"sidecar_missing", "ecg_A.json", [](auto& s) { fs::remove(s / "streams/ecg_A.json"); }},
      {"sidecar_bad_segments", "ecg_A.json", [](auto& s) { edit(s / "streams/ecg_A.json", "\"clock\": {", "\"clock\": {\"segments\": [1, \"x\", null], "); }},
      // markers.tsv
      {"markers_empty", "markers.tsv", [](auto& s) { write_bytes(s / "markers.tsv", ""); }, true},
      {"markers_header", "markers.tsv", [](auto& s) { write_bytes(s / "markers.tsv", "when\twhat\n1\tx\n"); }},
      {"markers_negative", "markers.tsv", [](auto& s) { edit(s / "markers.tsv", "\t1\tbaseline", "\t-1\tbaseline"); }},
      {"markers_not_number", "markers.tsv", [](auto& s) { edit(s / "markers.tsv", "\n0\t", "\nzero\t"); }},
      {"markers_binary", "markers.tsv", [](auto& s) { write_bytes(s / "markers.tsv", garbage(5000, 4)); }},
      // derived files: features/ and annotations/
      {"features_segments", "segments.tsv", [](auto& s) { write_bytes(s / "features/segments.tsv", garbage(3000, 5)); }, true},
      {"features_summary", "summary.json", [](auto& s) { write_bytes(s / "features/summary.json", "{\"couple_id\": "); }},
      {"annotations_segments", "segments.tsv", [](auto& s) {
         fs::create_directories(s / "annotations");
         write_bytes(s / "annotations/segments.tsv", "role\tstart_s\tend_s\nZ\t1\t0\n");
       }, true},
  };
  return d;
}

struct Command {
  std::string name;
  std::function<std::string(const fs::path& session, const fs::path& out)> args;
  bool may_change_features = false;
};

std::vector<Command> commands() {
  return {
      {"info", [](auto& s, auto&) { return "info " + quoted(s); }},
      {"analyze", [](auto& s, auto&) { return "analyze " + quoted(s) + " --jobs 1"; }, true},
      {"export_csv", [](auto& s, auto& o) { return "export " + quoted(s) + " --format csv --out " + quoted(o); }},
      {"export_edf", [](auto& s, auto& o) { return "export " + quoted(s) + " --format edf --out " + quoted(o); }},
      {"export_xdf", [](auto& s, auto& o) { return "export " + quoted(s) + " --format xdf --out " + quoted(o); }},
      {"export_textgrid", [](auto& s, auto& o) { return "export " + quoted(s) + " --format textgrid --out " + quoted(o); }},
      {"export_deidentified", [](auto& s, auto& o) {
         return "export " + quoted(s) + " --deidentify --secret-file " + quoted(secret_file()) + " --out " + quoted(o);
       }},
      {"seal", [](auto& s, auto& o) {
         return "seal " + quoted(s) + " --out " + quoted(o) + " --kdf interactive --passphrase-file " + quoted(pass_file());
       }},
  };
}

}  // namespace

// Every damage x every command (CI: every damage with `info`, the marked ones with all).
TEST(FaultsCli, DamagedSessionFilesGiveOneClearLineNeverACrashAndChangeNothing) {
  const fs::path base = pristine();
  int runs = 0, errors = 0;
  for (const auto& dmg : damages()) {
    for (const auto& cmd : commands()) {
      if (cmd.name != "info" && !dmg.ci && !full()) continue;
      SCOPED_TRACE(dmg.name + " / " + cmd.name);
      dyad::test::TempDir t;
      const fs::path s = t / "s", out = t / "out";
      fs::copy(base, s, fs::copy_options::recursive);
      dmg.apply(s);
      const auto before = dyad::test::snapshot(s);
      CliRun r = dyad::test::run_shell(dyad::test::dyad_bin() + " " + cmd.args(s, out), t / "stderr");
      ++runs;
      ASSERT_TRUE(r.status == 0 || r.status == 1) << "status " << r.status << "\n" << r.err;
      auto after = dyad::test::snapshot(s);
      auto expected = before;
      if (cmd.may_change_features && r.status == 0) {  // analyze replaces features/ whole; nothing else
        std::erase_if(after, [](auto& kv) { return kv.first.rfind("features", 0) == 0; });
        std::erase_if(expected, [](auto& kv) { return kv.first.rfind("features", 0) == 0; });
      }
      EXPECT_EQ(dyad::test::differences(expected, after), "") << r.err;
      if (r.status == 1) {
        ++errors;
        // exactly one error line (analyze adds its count of failed sessions after it), naming the
        // damaged file
        std::string last;
        int error_lines = 0;
        std::size_t pos = 0;
        while ((pos = r.err.find("dyad: error: ", pos)) != std::string::npos) {
          if (pos == 0 || r.err[pos - 1] == '\n') {
            ++error_lines;
            last = r.err.substr(pos, r.err.find('\n', pos) - pos);
          }
          pos += 1;
        }
        EXPECT_EQ(error_lines, 1) << r.err;
        EXPECT_NE(last.find(dmg.file), std::string::npos) << "the error should name " << dmg.file << ": " << last;
        EXPECT_EQ(last.find("json.exception"), std::string::npos) << last;
        EXPECT_FALSE(fs::exists(out)) << "a failed command left output behind";
      }
    }
  }
  RecordProperty("runs", runs);
  RecordProperty("errors", errors);
}

namespace {
/// Runs `dyad analyze` on `s` and interrupts it with `sig` after `after_s`; returns its status.
int interrupted_analyze(const fs::path& s, int sig, double after_s, const fs::path& log) {
  pid_t pid = ::fork();
  if (pid == 0) {
    std::freopen("/dev/null", "r", stdin);
    std::freopen(log.c_str(), "w", stdout);
    std::freopen(log.c_str(), "a", stderr);
    ::execl(dyad::test::dyad_bin().c_str(), "dyad", "analyze", s.c_str(), "--jobs", "1", nullptr);
    ::_exit(127);
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(after_s));
  ::kill(pid, sig);
  int st = 0;
  ::waitpid(pid, &st, 0);
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

std::map<std::string, std::string> features_of(const fs::path& s) {
  auto m = dyad::test::snapshot(s / "features");
  m.erase("summary.json");  // holds the time of the run
  return m;
}
}  // namespace

// SIGINT and SIGKILL at random moments of a run, on a session without and with earlier features.
TEST(FaultsCli, AnalyzeInterruptedHalfWayThenRunAgainIsCompleteAndTheRecordingUntouched) {
  dyad::test::TempDir t;
  const fs::path s = t / "s";
  CliRun r = dyad::test::run_shell(dyad::test::dyad_bin() + " simulate " + quoted(s) + " --duration 60 --rate 16000 --seed 4 >/dev/null",
                                   t / "err");
  ASSERT_EQ(r.status, 0) << r.err;
  fs::copy(s, t / "reference", fs::copy_options::recursive);
  const auto t0 = std::chrono::steady_clock::now();
  r = dyad::test::run_shell(dyad::test::dyad_bin() + " analyze " + quoted(t / "reference") + " --jobs 1 >/dev/null", t / "err");
  ASSERT_EQ(r.status, 0) << r.err;
  const double full_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const auto reference = features_of(t / "reference");
  ASSERT_GT(reference.size(), 10u);
  auto recording = dyad::test::snapshot(s);
  std::mt19937 rng(14);
  const int trials = full() ? 12 : 2;
  for (int trial = 0; trial < trials; ++trial) {
    const int sig = trial % 2 ? SIGKILL : SIGINT;
    const double frac = std::uniform_real_distribution<double>(0.2, 0.9)(rng);
    SCOPED_TRACE("trial " + std::to_string(trial) + ": signal " + std::to_string(sig) + " at " + std::to_string(frac) + " of a run");
    const bool had_features = fs::exists(s / "features");
    const auto features_before = had_features ? features_of(s) : std::map<std::string, std::string>{};
    const int st = interrupted_analyze(s, sig, frac * full_s, t / "log");
    // the recording is untouched; features/ is the earlier one or absent, never half a folder
    auto now = dyad::test::snapshot(s);
    std::erase_if(now, [](auto& kv) { return kv.first.rfind("features", 0) == 0 || kv.first.rfind(".features.", 0) == 0; });
    auto rec = recording;
    std::erase_if(rec, [](auto& kv) { return kv.first.rfind("features", 0) == 0; });
    EXPECT_EQ(dyad::test::differences(rec, now), "");
    if (st == 128 + sig) {
      // A signal that lands after the new features/ took its name (the last moments of a run)
      // leaves it whole: whole new or whole old, never half.
      if (had_features) {
        const auto f = features_of(s);
        EXPECT_TRUE(f == features_before || f == reference) << "an interrupted run left features/ half made";
      } else if (fs::exists(s / "features")) {
        EXPECT_EQ(features_of(s), reference) << "an interrupted first run left a partial features/ folder";
      }
    }
    r = dyad::test::run_shell(dyad::test::dyad_bin() + " analyze " + quoted(s) + " --jobs 1 >/dev/null", t / "err");
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(features_of(s), reference) << "the rerun's features differ from an uninterrupted run";
    for (auto& e : fs::directory_iterator(s)) EXPECT_EQ(e.path().filename().string().rfind(".features.", 0), std::string::npos) << e.path();
    // start the next trial from no features half the time
    if (trial % 2 == 1) fs::remove_all(s / "features");
  }
  RecordProperty("analyze_full_s", std::to_string(full_s));
}

// A disk that fills during `dyad analyze` (a real small tmpfs holding the session, with less room
// than the new features need; root only, else SKIP): one clear line naming the full disk, a
// non-zero exit, the recording and the previous features/ untouched, no temporary files left.
TEST(FaultsCli, AnalyzeOnAFullDiskFailsCleanlyAndKeepsThePreviousFeatures) {
  dyad::test::TempDir t;
  const fs::path mnt = t / "small";
  dyad::test::Tmpfs small(mnt);
  if (!small.mounted()) GTEST_SKIP() << small.why();
  const fs::path s = mnt / "s";
  fs::copy(pristine(), s, fs::copy_options::recursive);
  std::uintmax_t features_bytes = 0;
  for (auto& e : fs::recursive_directory_iterator(s / "features"))
    if (e.is_regular_file()) features_bytes += (e.file_size() + 4095) / 4096 * 4096;
  ASSERT_GT(features_bytes, 64u * 1024);
  // shrink the filesystem to what it holds now plus a third of a new features/ folder, then to
  // 8 kB (both fail while features/ is written: this 10 s session's prosody tracks stay in
  // memory; the full disk under the track files is ProsodyExtension.TrackFilesOnAFullDisk...)
  for (const std::uintmax_t room : {features_bytes / 3, std::uintmax_t{8192}}) {
    SCOPED_TRACE("room " + std::to_string(room) + " bytes");
    ASSERT_TRUE(small.shrink(room)) << small.why();
    const auto before = dyad::test::snapshot(s);
    const CliRun r = dyad::test::run_shell(dyad::test::dyad_bin() + " analyze " + quoted(s) + " --jobs 2 >/dev/null", t / "err");
    EXPECT_NE(r.status, 0) << r.err;
    EXPECT_NE(r.err.find("disk full"), std::string::npos) << r.err;
    std::size_t errors = 0;  // one error line (besides progress and the batch summary)
    for (std::size_t at = 0; (at = r.err.find("dyad: error:", at)) != std::string::npos; ++at) ++errors;
    EXPECT_EQ(errors, 1u) << r.err;
    EXPECT_EQ(dyad::test::differences(before, dyad::test::snapshot(s)), "") << "a failed analysis changed the session";
    for (auto& e : fs::directory_iterator(s)) EXPECT_EQ(e.path().filename().string().rfind(".features.", 0), std::string::npos) << e.path();
    RecordProperty("error_room_" + std::to_string(room), r.err.substr(r.err.find("dyad: error:")));
  }
}
