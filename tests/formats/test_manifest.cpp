#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <string>

#include "dyad/formats/error.hpp"
#include "dyad/formats/files.hpp"
#include "dyad/formats/manifest.hpp"
#include "test_util.hpp"

using namespace dyad::formats;

namespace {
Manifest sample() {
  Manifest m = {};
  m.id = "s1";
  m.created = "2026-11-22T10:00:00.000Z";
  m.start_utc = "2026-11-22T10:00:01.250Z";
  m.couple_id = "C07";
  m.session_number = 3;
  m.session_type = "dosing";
  m.participants = {{"A", "P1"}, {"B", "P2"}, {"therapist", "T1"}};
  m.audio = AudioSection{"audio.wav", 48000, "float32", {{1, "A"}, {2, "B"}, {3, "therapist"}}};
  m.streams = {{"ecg_A", "ecg", "A"}, {"bp_B", "bp", "B"}};
  m.status = "recovered";
  m.dropouts = {{12.5, 256}};
  m.dyad_version = "0.1.0";
  return m;
}
}  // namespace

TEST(Manifest, RoundTripKeepsEveryKey) {
  Manifest m = sample();
  Manifest back = parse_manifest(serialise_manifest(m), "x");
  EXPECT_EQ(serialise_manifest(back), serialise_manifest(m));
  EXPECT_EQ(back.couple_id, "C07");
  EXPECT_EQ(back.session_number, 3);
  EXPECT_EQ(back.session_type, "dosing");
  ASSERT_EQ(back.dropouts.size(), 1u);
  EXPECT_EQ(back.dropouts[0].frames, 256);
  EXPECT_EQ(back.channel_of_role("therapist"), 3);
  EXPECT_EQ(back.role_of_channel(2), "B");
}

TEST(Manifest, UnknownKeysArePreserved) {
  auto text = serialise_manifest(sample());
  auto j = nlohmann::json::parse(text);
  j["lab_protocol"] = {{"irb", "2026-17"}, {"arm", 2}};
  Manifest m = parse_manifest(j.dump(), "x");
  m.status = "complete";
  auto again = nlohmann::json::parse(serialise_manifest(m));
  EXPECT_EQ(again["lab_protocol"]["irb"], "2026-17");
  EXPECT_EQ(again["lab_protocol"]["arm"], 2);
  EXPECT_EQ(again["status"], "complete");
}

TEST(Manifest, UnknownKeysInsideObjectsArePreserved) {
  auto j = nlohmann::json::parse(serialise_manifest(sample()));
  j["participants"][0]["age_group"] = "30-39";
  j["audio"]["gain_db"] = 12;
  j["audio"]["channels"][1]["mic"] = "lavalier";
  j["streams"][0]["device"] = {{"model", "X"}};
  j["dropouts"][0]["cause"] = "overflow";
  Manifest m = parse_manifest(j.dump(), "x");
  m.status = "recovered";
  auto again = nlohmann::json::parse(serialise_manifest(m));
  EXPECT_EQ(again["participants"][0]["age_group"], "30-39");
  EXPECT_EQ(again["audio"]["gain_db"], 12);
  EXPECT_EQ(again["audio"]["channels"][1]["mic"], "lavalier");
  EXPECT_EQ(again["streams"][0]["device"]["model"], "X");
  EXPECT_EQ(again["dropouts"][0]["cause"], "overflow");
  j["status"] = "recovered";
  EXPECT_EQ(again, j);  // nothing else changed
}

TEST(Manifest, AtomicWriteIsPrivateAndLeavesNoTemporary) {
  dyad::test::TempDir d;
  write_manifest(d.path(), sample());
  write_manifest(d.path(), sample());
  EXPECT_EQ(dyad::test::mode_of(d / "session.json"), 0600u);
  EXPECT_FALSE(std::filesystem::exists(d / "session.json.tmp"));
  EXPECT_EQ(read_manifest(d.path()).couple_id, "C07");
}

TEST(Files, PwriteAllAndPreadAllAtOffsetsAndAShortFile) {
  dyad::test::TempDir d;
  const auto p = d / "f.bin";
  create_private_file(p);
  const int fd = ::open(p.c_str(), O_RDWR | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  const char a[] = "abcdef", b[] = "XY";
  pwrite_all(fd, a, 6, 0, p, "cannot write");
  pwrite_all(fd, b, 2, 10, p, "cannot write");  // a hole between
  char got[12] = {};
  pread_all(fd, got, 12, 0, p, "cannot read");
  EXPECT_EQ(std::string(got, 6), "abcdef");
  EXPECT_EQ(std::string(got + 10, 2), "XY");
  try {
    pread_all(fd, got, 4, 10, p, "cannot read");
    FAIL();
  } catch (const FormatError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::io);
    EXPECT_EQ(std::string(e.what()), p.string() + ": cannot read: the file ends early");
  }
  ::close(fd);
  try {
    pwrite_all(fd, a, 6, 0, p, "cannot write");  // closed
    FAIL();
  } catch (const FormatError& e) {
    EXPECT_EQ(std::string(e.what()).rfind(p.string() + ": cannot write: ", 0), 0u) << e.what();
  }
}

TEST(Manifest, NewerFormatIsUnsupported) {
  auto j = nlohmann::json::parse(serialise_manifest(sample()));
  j["format_version"] = 99;
  try {
    parse_manifest(j.dump(), "s/session.json");
    FAIL();
  } catch (const FormatError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::unsupported);
    EXPECT_STREQ(e.what(), "s/session.json: format_version 99 is newer than this dyad understands (1)");
  }
}

TEST(Manifest, Validators) {
  EXPECT_TRUE(is_valid_stream_name("ecg_A-2"));
  EXPECT_FALSE(is_valid_stream_name(""));
  EXPECT_FALSE(is_valid_stream_name("../x"));
  EXPECT_FALSE(is_valid_stream_name(std::string(65, 'a')));
  EXPECT_TRUE(is_valid_stream_name(std::string(64, 'a')));
  EXPECT_TRUE(is_valid_role("therapist"));
  EXPECT_FALSE(is_valid_role("C"));
}
