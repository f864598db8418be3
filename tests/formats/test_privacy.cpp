// Privacy (DESIGN.md "Privacy"; README "Privacy and security"): every file any formats/ writer
// creates is 0600 and every folder 0700 even with a loose umask; sealed archives (seal.hpp):
// round trip, wrong passphrase, tampering, truncation, extension, unsafe paths, nothing written
// on failure; de-identified export (deidentify.hpp): no ids, dates, audio or free text, keyed
// pseudonyms stable across sessions.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstring>
#include <fstream>
#include <regex>

#include "dyad/formats/annotations.hpp"
#include "dyad/formats/deidentify.hpp"
#include "dyad/formats/edf.hpp"
#include "dyad/formats/error.hpp"
#include "dyad/formats/export.hpp"
#include "dyad/formats/export_labs.hpp"
#include "dyad/formats/files.hpp"
#include "dyad/formats/import.hpp"
#include "dyad/formats/overview.hpp"
#include "dyad/formats/seal.hpp"
#include "dyad/formats/session.hpp"
#include "dyad/formats/xdf.hpp"
#include "session_builder.hpp"
#include "test_util.hpp"

using namespace dyad::formats;
namespace fs = std::filesystem;
using dyad::test::mode_of;
using dyad::test::TempDir;

namespace {
/// Every path under `root` (root included) whose mode is not 0700 (folders) or 0600 (files).
std::vector<std::string> not_private(const fs::path& root) {
  std::vector<std::string> bad;
  auto check = [&](const fs::path& p) {
    const unsigned want = fs::is_directory(p) ? 0700u : 0600u;
    if (mode_of(p) != want) {
      char m[8];
      std::snprintf(m, sizeof m, "%o", mode_of(p));
      bad.push_back(p.string() + " is " + m);
    }
  };
  check(root);
  for (auto& e : fs::recursive_directory_iterator(root)) check(e.path());
  return bad;
}

std::string slurp(const fs::path& p) { return read_file(p); }

/// Runs `f` with umask 022 (what most desktops use), restoring the old one.
template <class F>
void with_loose_umask(F&& f) {
  const auto old = ::umask(022);
  try {
    f();
  } catch (...) {
    ::umask(old);
    throw;
  }
  ::umask(old);
}

/// Hash-free identity of a folder: relative path -> bytes.
std::map<std::string, std::string> contents(const fs::path& root) {
  std::map<std::string, std::string> m;
  for (auto& e : fs::recursive_directory_iterator(root))
    m[fs::relative(e.path(), root).generic_string()] = e.is_regular_file() ? slurp(e.path()) : std::string("<dir>");
  return m;
}

const std::string kPass = "correct horse battery";

Session make_session_with_features(const fs::path& dir) {
  Session s = dyad::test::make_export_session(dir);
  write_file_new(dir / "features" / "segments.tsv", "role\tstart_s\tend_s\nA\t0.25\t1.25\nB\t1.75\t2.5\n", false);
  write_file_new(dir / "features" / "segments.json", "{\"file\": \"segments.tsv\"}\n", false);
  write_file_new(dir / "features" / "summary.json",
                 "{\"created\": \"2026-11-20T09:20:00.000Z\", \"session_id\": \"" + s.manifest.id +
                     "\", \"couple_id\": \"couple7\", \"session_number\": 3, \"nested\": {\"start_utc\": \"2026-11-20\", \"who\": \"couple7\"},"
                     " \"dyad\": {\"turns\": 2}}\n",
                 false);
  auto ms = s.markers;
  ms.push_back({2.5, 0, "note", "Jane said her mother died in May", "recorder"});
  ms.push_back({2.6, 0, "bp", "120/80", "recorder"});
  ms.push_back({2.7, 0, "bp", "high, call Dr Smith", "recorder"});
  ms.push_back({2.8, 0, "Jane cried", "n/a", "device:button_A"});
  write_markers(dir, ms);
  return Session::open(dir);
}
}  // namespace

TEST(Privacy, EveryWriterInFormatsCreatesPrivateFilesWithALooseUmask) {
  TempDir d;
  with_loose_umask([&] {
    Session s = make_session_with_features(d / "s");
    make_private_dir(d / "out");
    export_edf(s, d / "out" / "s.edf", false, false);
    export_edf(s, d / "out" / "s.bdf", true, false);
    export_xdf(s, d / "out" / "s.xdf", false);
    export_audio_per_role(s, d / "out" / "wav", "wav", false);
    export_audio_per_role(s, d / "out" / "flac", "flac", false);
    export_csv(s, d / "out" / "csv", false);
    export_bids(s, d / "out" / "bids", false);
    for (const char* f : {"rttm", "textgrid", "eaf"}) export_session(s.dir, f, d / "out" / (std::string("s.") + f), false);
    ensure_overview(s.dir, s.audio_path());
    write_annotation_segments(s.dir, {{"A", 0.5, 1.0}}, "x.TextGrid", {"A"});
    Manifest m = new_manifest("C1", 1, "other");
    create_session_dir(d / "imported");
    import_audio(d / "imported", m, {{s.audio_path(), {"A", "B"}}});
    PhysioImport p;
    p.path = dyad::test::data_dir() / "csv" / "physio_time.csv";
    p.role = "A";
    p.time_column = "time";
    import_physio(d / "imported", m, p);
    import_markers(d / "imported", s.dir / "markers.tsv");
    write_manifest(d / "imported", m);
    seal_session(s.dir, d / "out" / "s.dyadseal", kPass, KdfStrength::interactive);
    unseal_session(d / "out" / "s.dyadseal", d / "unsealed", kPass);
    export_deidentified(Session::open(s.dir), d / "out" / "shared", "0123456789abcdef0123", false);
  });
  for (const char* p : {"s", "out", "imported", "unsealed"}) {
    auto bad = not_private(d / p);
    EXPECT_TRUE(bad.empty()) << ::testing::PrintToString(bad);
  }
}

TEST(Seal, RoundTripRestoresEveryByteAndNothingElse) {
  TempDir d;
  make_session_with_features(d / "s");
  auto rep = seal_session(d / "s", d / "s.dyadseal", kPass, KdfStrength::interactive);
  EXPECT_GT(rep.files, 8u);
  // nothing of the session is readable in the archive
  const std::string a = slurp(d / "s.dyadseal");
  EXPECT_EQ(a.substr(0, 8), "DYADSEAL");
  for (const char* plain : {"couple7", "session.json", "baseline", "Jane", "RIFF"}) EXPECT_EQ(a.find(plain), std::string::npos) << plain;
  auto back = unseal_session(d / "s.dyadseal", d / "back", kPass);
  EXPECT_EQ(back.files, rep.files);
  EXPECT_EQ(contents(d / "back"), contents(d / "s"));
  Session::open(d / "back");
  // a second archive of the same session differs (fresh salt and nonce)
  seal_session(d / "s", d / "s2.dyadseal", kPass, KdfStrength::interactive);
  EXPECT_NE(slurp(d / "s2.dyadseal"), a);
}

TEST(Seal, RefusesToReplaceAnArchiveWithoutForceAndAnUnfinishedSession) {
  TempDir d;
  make_session_with_features(d / "s");
  seal_session(d / "s", d / "s.dyadseal", kPass, KdfStrength::interactive);
  const std::string before = slurp(d / "s.dyadseal");
  try {
    seal_session(d / "s", d / "s.dyadseal", kPass, KdfStrength::interactive);
    FAIL();
  } catch (const FormatError& e) {
    EXPECT_EQ(std::string(e.what()), (d / "s.dyadseal").string() + ": already exists; add --force to replace it");
  }
  EXPECT_EQ(slurp(d / "s.dyadseal"), before);
  EXPECT_THROW(seal_session(d / "s", d / "x.dyadseal", "short", KdfStrength::interactive), FormatError);
  auto m = read_manifest(d / "s");
  m.status = "recording";
  write_manifest(d / "s", m);
  try {
    seal_session(d / "s", d / "y.dyadseal", kPass, KdfStrength::interactive);
    FAIL();
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("status is 'recording'"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(d / "y.dyadseal"));
}

namespace {
/// Unsealing must fail with `message` (a part of it) and leave nothing behind.
void expect_unseal_fails(const fs::path& archive, const fs::path& out, const std::string& pass, const std::string& message) {
  const auto before = contents(out.parent_path());
  try {
    unseal_session(archive, out, pass);
    ADD_FAILURE() << "unsealed " << archive;
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find(message), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(archive.string()), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(out));
  EXPECT_EQ(contents(out.parent_path()), before) << "something was left behind";
}

void write_bytes(const fs::path& p, const std::string& b) {
  std::ofstream o(p, std::ios::binary | std::ios::trunc);
  o << b;
}
}  // namespace

TEST(Seal, WrongPassphraseTamperingTruncationAndExtensionWriteNothing) {
  TempDir d;
  make_session_with_features(d / "s");
  seal_session(d / "s", d / "s.dyadseal", kPass, KdfStrength::interactive);
  const std::string a = slurp(d / "s.dyadseal");
  fs::create_directories(d / "w");
  const fs::path arch = d / "w" / "a.dyadseal", out = d / "w" / "out";
  write_bytes(arch, a);
  expect_unseal_fails(arch, out, "correct horse battery!", "wrong passphrase, or the archive is damaged (its first block does not verify); nothing was written");
  // a flipped bit anywhere: in the salt, in the first block, near the end
  for (std::size_t at : {std::size_t{40}, std::size_t{100}, a.size() / 2, a.size() - 5}) {
    std::string t = a;
    t[at] = static_cast<char>(t[at] ^ 0x10);
    write_bytes(arch, t);
    expect_unseal_fails(arch, out, kPass, "nothing was written");
  }
  // the key derivation parameters tampered with (the header is authenticated by the first block)
  std::string t = a;
  t[16] = static_cast<char>(t[16] + 1);
  write_bytes(arch, t);
  expect_unseal_fails(arch, out, kPass, "first block does not verify");
  t = a;
  t[29] = static_cast<char>(0x7f);  // memlimit of petabytes: refused before any allocation
  write_bytes(arch, t);
  expect_unseal_fails(arch, out, kPass, "byte 12: key derivation parameters out of range");
  // truncated: in the header, inside a block, exactly before the final block
  write_bytes(arch, a.substr(0, 50));
  expect_unseal_fails(arch, out, kPass, "truncated inside its header");
  write_bytes(arch, a.substr(0, a.size() - 3));
  expect_unseal_fails(arch, out, kPass, "truncated at byte");
  write_bytes(arch, a + "x");
  expect_unseal_fails(arch, out, kPass, "data after the final block");
  write_bytes(arch, "not an archive at all");
  expect_unseal_fails(arch, out, kPass, "not a sealed dyad session (expected the magic 'DYADSEAL' at byte 0)");
  // an existing folder with something in it is never written into
  write_bytes(arch, a);
  fs::create_directories(out);
  write_bytes(out / "keep", "mine");
  EXPECT_THROW(unseal_session(arch, out, kPass), FormatError);
  EXPECT_EQ(slurp(out / "keep"), "mine");
  EXPECT_EQ(fs::directory_iterator(out)->path().filename(), "keep");
}

namespace {
struct Collect : ArchiveSink {
  std::vector<std::string> got;
  void folder(const std::string& p) override { got.push_back("D " + p); }
  void file_begin(const std::string& p, std::uint64_t n) override { got.push_back("F " + p + " " + std::to_string(n)); }
  void file_data(std::span<const std::uint8_t>) override {}
  void file_end() override {}
};
std::string entry(char t, const std::string& p, const std::string& data = "") {
  std::string b(1, t);
  b += static_cast<char>(p.size() & 0xff);
  b += static_cast<char>(p.size() >> 8);
  b += p;
  if (t == 'F') {
    for (int i = 0; i < 8; ++i) b += static_cast<char>((data.size() >> (8 * i)) & 0xff);
    b += data;
  }
  return b;
}
std::string feed_error(const std::string& bytes) {
  Collect c;
  ArchiveEntryReader r(c, "a.dyadseal");
  try {
    r.feed(std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));
  } catch (const FormatError& e) {
    return e.what();
  }
  return r.done() ? "done" : "incomplete";
}
}  // namespace

TEST(Seal, EntryReaderRefusesUnsafePathsAndTrailingData) {
  EXPECT_EQ(feed_error(entry('D', "a") + entry('F', "a/b", "xyz") + "E"), "done");
  EXPECT_EQ(feed_error(entry('F', "../etc/passwd", "x") + "E"), "a.dyadseal: entry 1: unsafe path '../etc/passwd'; nothing was written");
  EXPECT_EQ(feed_error(entry('F', "/abs", "x")), "a.dyadseal: entry 1: unsafe path '/abs'; nothing was written");
  EXPECT_EQ(feed_error(entry('D', "a/./b")), "a.dyadseal: entry 1: unsafe path 'a/./b'; nothing was written");
  EXPECT_EQ(feed_error(entry('D', "a") + "E" + "D"), "a.dyadseal: entry 3: data after the end mark; nothing was written");
  EXPECT_EQ(feed_error("X"), "a.dyadseal: entry 1: unknown entry type 88; nothing was written");
  EXPECT_EQ(feed_error(entry('F', "a", "xyz").substr(0, 10)), "incomplete");
  EXPECT_TRUE(is_safe_archive_path("streams/ecg_A.tsv"));
  for (const char* bad : {"", "a//b", "a/", "..", "a\\b", "./a"}) EXPECT_FALSE(is_safe_archive_path(bad)) << bad;
}

// The header read before any key is derived (parse_seal_header, fuzzed by fuzz_seal_header).
TEST(Seal, HeaderIsReadAndCheckedBeforeTheKeyIsDerived) {
  TempDir d;
  make_session_with_features(d / "s");
  seal_session(d / "s", d / "s.dyadseal", kPass, KdfStrength::interactive);
  const std::string a = slurp(d / "s.dyadseal");
  auto bytes = [](const std::string& s) { return std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(s.data()), s.size()); };
  auto h = parse_seal_header(bytes(a.substr(0, 72)), "s.dyadseal");
  EXPECT_EQ(h.version, 1u);
  EXPECT_EQ(h.kdf, 2u);
  EXPECT_EQ(h.opslimit, 2u);               // libsodium's OPSLIMIT_INTERACTIVE
  EXPECT_EQ(h.memlimit, 64u << 20);        // 64 MiB
  EXPECT_EQ(std::memcmp(h.salt.data(), a.data() + 32, 16), 0);
  auto err = [&](const std::string& s) {
    try {
      parse_seal_header(bytes(s), "x.dyadseal");
    } catch (const FormatError& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_EQ(err(a.substr(0, 71)), "x.dyadseal: truncated inside its header (71 of 72 bytes); nothing was written");
  EXPECT_EQ(err("DYADSEA"), "x.dyadseal: not a sealed dyad session (expected the magic 'DYADSEAL' at byte 0)");
  std::string v = a.substr(0, 72);
  v[8] = 2;
  EXPECT_EQ(err(v), "x.dyadseal: archive version 2 (this dyad reads version 1)");
  v = a.substr(0, 72);
  v[31] = 1;  // memlimit past 4 GiB
  EXPECT_EQ(err(v), "x.dyadseal: byte 12: key derivation parameters out of range (damaged or tampered header); nothing was written");
}

TEST(Deidentify, FeaturesAndTimingsOnlyWithKeyedPseudonyms) {
  TempDir d;
  Session s = make_session_with_features(d / "s");
  const std::string secret = "lab secret of at least sixteen bytes";
  auto rep = export_deidentified(s, d / "shared", secret, false);
  // nothing that names, dates or sounds
  std::string all;
  for (auto& e : fs::recursive_directory_iterator(d / "shared")) {
    EXPECT_NE(e.path().extension(), ".wav");
    EXPECT_NE(e.path().filename(), "audio.minmax");
    if (e.is_regular_file()) all += slurp(e.path()) + "\n";
  }
  for (const std::string& banned : {std::string("couple7"), s.manifest.id, std::string("Jane"), std::string("Smith"), std::string("mother"),
                                    std::string("2026"), std::string("09:15"), std::string("button_A")})
    EXPECT_EQ(all.find(banned), std::string::npos) << banned;
  EXPECT_FALSE(std::regex_search(all, std::regex(R"(\d{4}-\d{2}-\d{2})"))) << "a calendar date";
  EXPECT_FALSE(fs::exists(d / "shared" / "streams"));
  // what a lab needs is there
  auto j = nlohmann::json::parse(slurp(d / "shared" / "session.json"));
  EXPECT_EQ(j["couple"], pseudonym(secret, "couple", "couple7"));
  EXPECT_EQ(j["session"], pseudonym(secret, "session", s.manifest.id));
  EXPECT_EQ(j["session_number"], 3);
  EXPECT_EQ(j["participants"][0]["pseudonym"], pseudonym(secret, "participant", std::string("couple7") + '\0' + "A"));
  EXPECT_NEAR(j["duration_s"].get<double>(), 3.0, 1e-9);
  EXPECT_EQ(slurp(d / "shared" / "features" / "events.tsv"), slurp(d / "s" / "features" / "events.tsv"));
  auto sum = nlohmann::json::parse(slurp(d / "shared" / "features" / "summary.json"));
  EXPECT_EQ(sum["couple_id"], j["couple"]);
  EXPECT_FALSE(sum.contains("created"));
  EXPECT_EQ(sum["nested"]["who"], j["couple"]);
  EXPECT_EQ(sum["dyad"]["turns"], 2);
  auto ms = parse_markers(slurp(d / "shared" / "markers.tsv"), "markers.tsv");
  std::vector<std::string> labels;
  for (auto& m : ms) labels.push_back(m.label + "=" + m.value + "@" + m.source);
  EXPECT_EQ(labels, (std::vector<std::string>{"baseline=n/a@user", "cadss=12@viewer", "bp=120/80@recorder"}));
  EXPECT_EQ(rep.left_out.size(), 5u) << ::testing::PrintToString(rep.left_out);
  // pseudonyms: keyed (another secret, other names), stable across sessions of the same couple
  EXPECT_NE(pseudonym("another secret of sixteen+", "couple", "couple7"), j["couple"].get<std::string>());
  EXPECT_NE(pseudonym(secret, "participant", std::string("other") + '\0' + "A"), j["participants"][0]["pseudonym"].get<std::string>());
  EXPECT_TRUE(std::regex_match(j["couple"].get<std::string>(), std::regex("c-[0-9a-f]{16}")));
  // an existing export is never replaced without force
  EXPECT_THROW(export_deidentified(s, d / "shared", secret, false), FormatError);
  export_deidentified(s, d / "shared", secret, true);
}

TEST(Deidentify, LabSecretMustBeLongEnough) {
  TempDir d;
  write_file_new(d / "short", "abc\n", false);
  try {
    read_lab_secret(d / "short");
    FAIL();
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("the lab secret has 3 bytes; at least 16 are needed"), std::string::npos) << e.what();
  }
  write_file_new(d / "ok", "  0123456789abcdef\n", false);
  EXPECT_EQ(read_lab_secret(d / "ok"), "0123456789abcdef");
  ::chmod((d / "ok").c_str(), 0644);
  std::string w;
  read_lab_secret(d / "ok", &w);
  EXPECT_NE(w.find("can be read by other users"), std::string::npos);
}
