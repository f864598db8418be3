#include <gtest/gtest.h>

#include <fstream>

#include "dyad/formats/audio.hpp"
#include "dyad/formats/error.hpp"
#include "dyad/formats/import.hpp"
#include "dyad/formats/session.hpp"
#include "test_util.hpp"

using namespace dyad::formats;
namespace fs = std::filesystem;

namespace {
void write_mono(const fs::path& p, const std::vector<float>& x, double rate) {
  AudioWriter w(p, rate, 1);
  w.write(x);
}
}  // namespace

TEST(Import, MonoFilesPerRolePadShorterWithWarning) {
  dyad::test::TempDir d;
  auto a = dyad::test::sine(200, 8000, 8000);
  auto b = dyad::test::sine(300, 8000, 6000);
  write_mono(d / "a.wav", a, 8000);
  write_mono(d / "b.wav", b, 8000);
  create_session_dir(d / "s");
  auto m = new_manifest("C1", 2, "integration");
  auto warns = import_audio(d / "s", m, {{d / "a.wav", {"A"}}, {d / "b.wav", {"B"}}});
  ASSERT_EQ(warns.size(), 1u);
  EXPECT_EQ(warns[0], (d / "b.wav").string() + ": 0.250 s shorter than the longest file; padded with silence at the end");
  write_manifest(d / "s", m);
  auto s = Session::open(d / "s");
  EXPECT_EQ(s.audio->frames, 8000);
  EXPECT_EQ(s.audio_roles(), (std::vector<std::string>{"A", "B"}));
  AudioReader r(s.audio_path());
  std::vector<float> buf(16000);
  r.read(buf);
  EXPECT_EQ(buf[2 * 100], a[100]);
  EXPECT_EQ(buf[2 * 100 + 1], b[100]);
  EXPECT_EQ(buf[2 * 7000 + 1], 0.0f);
}

TEST(Import, DifferentRatesAreRefused) {
  dyad::test::TempDir d;
  write_mono(d / "a.wav", dyad::test::sine(200, 8000, 800), 8000);
  write_mono(d / "b.wav", dyad::test::sine(200, 16000, 800), 16000);
  create_session_dir(d / "s");
  auto m = new_manifest("C1", 1, "other");
  try {
    import_audio(d / "s", m, {{d / "a.wav", {"A"}}, {d / "b.wav", {"B"}}});
    FAIL();
  } catch (const FormatError& e) {
    EXPECT_EQ(std::string(e.what()), (d / "b.wav").string() + ": is at 16000 Hz but " + (d / "a.wav").string() +
                                         " is at 8000 Hz; all audio must share one rate");
  }
}

TEST(Import, PhysioWithTimeColumnAndKinds) {
  dyad::test::TempDir d;
  create_session_dir(d / "s");
  auto m = new_manifest("C1", 1, "other");
  PhysioImport p;
  p.path = dyad::test::data_dir() / "csv" / "physio_time.csv";
  p.role = "B";
  p.time_column = "time";
  import_physio(d / "s", m, p);
  write_manifest(d / "s", m);
  auto s = Session::open(d / "s");
  ASSERT_EQ(s.streams.size(), 2u);
  EXPECT_EQ(s.streams[0].sidecar.name, "ecg_B");
  EXPECT_EQ(s.streams[0].sidecar.kind, "ecg");
  EXPECT_EQ(s.streams[1].sidecar.kind, "eda");
  EXPECT_EQ(s.streams[1].last_s, 0.02);
}

TEST(Import, PhysioWithRateKeepsMissingValues) {
  dyad::test::TempDir d;
  create_session_dir(d / "s");
  auto m = new_manifest("C1", 1, "other");
  PhysioImport p;
  p.path = dyad::test::data_dir() / "csv" / "physio_rate.tsv";
  p.role = "A";
  p.rate_hz = 10;
  p.column_kinds = {{"RSP", "resp"}};
  import_physio(d / "s", m, p);
  auto sc = read_sidecar(d / "s", "rsp_A");
  EXPECT_EQ(sc.kind, "resp");
  auto data = read_stream_data(d / "s", sc);
  EXPECT_TRUE(std::isnan(data.values[0][1]));
  EXPECT_DOUBLE_EQ(data.time_s[2], 0.2);
}

TEST(Import, PhysioBadCellNamesFileAndLine) {
  dyad::test::TempDir d;
  create_session_dir(d / "s");
  auto m = new_manifest("C1", 1, "other");
  PhysioImport p;
  p.path = dyad::test::data_dir() / "csv" / "physio_bad.csv";
  p.role = "A";
  p.time_column = "time";
  try {
    import_physio(d / "s", m, p);
    FAIL();
  } catch (const FormatError& e) {
    EXPECT_EQ(std::string(e.what()), p.path.string() + ":3: ECG is not a number: 'x'");
  }
}

// Without audio, time zero is the earliest sample of ALL files: partners keep their relative timing.
TEST(Import, PhysioOnlyFilesShareOneTimeZero) {
  dyad::test::TempDir d;
  create_session_dir(d / "s");
  auto m = new_manifest("C1", 1, "other");
  std::ofstream(d / "a.csv") << "time,eda\n100,1\n100.5,2\n";
  std::ofstream(d / "b.csv") << "time,eda\n99,3\n99.5,4\n";
  std::vector<PhysioImport> specs(2);
  specs[0].path = d / "a.csv";
  specs[0].role = "A";
  specs[1].path = d / "b.csv";
  specs[1].role = "B";
  for (auto& sp : specs) sp.time_column = "time";
  import_physio(d / "s", m, specs);
  auto a = read_stream_data(d / "s", read_sidecar(d / "s", "eda_A"));
  auto b = read_stream_data(d / "s", read_sidecar(d / "s", "eda_B"));
  EXPECT_DOUBLE_EQ(a.time_s[0], 1.0);
  EXPECT_DOUBLE_EQ(b.time_s[0], 0.0);
  EXPECT_DOUBLE_EQ(a.device_time_s[0], 100.0);
}

TEST(Import, PhysioTimeGoingBackwardsNamesBothValues) {
  dyad::test::TempDir d;
  create_session_dir(d / "s");
  auto m = new_manifest("C1", 1, "other");
  std::ofstream(d / "a.csv") << "time,eda\n0.5,1\n0.4,2\n";
  PhysioImport p;
  p.path = d / "a.csv";
  p.role = "A";
  p.time_column = "time";
  try {
    import_physio(d / "s", m, p);
    FAIL();
  } catch (const FormatError& e) {
    EXPECT_EQ(std::string(e.what()), p.path.string() + ":3: time goes backwards (0.4 after 0.5)");
  }
}

TEST(Import, KindGuesses) {
  EXPECT_EQ(guess_stream_kind("ECG"), "ecg");
  EXPECT_EQ(guess_stream_kind("PPG"), "ppg");
  EXPECT_EQ(guess_stream_kind("EDA"), "eda");
  EXPECT_EQ(guess_stream_kind("RSP"), "resp");
  EXPECT_EQ(guess_stream_kind("Photosensor"), "generic");
}
