// XDF reader, clock synchronisation, import and export.
#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "dyad/formats/error.hpp"
#include "dyad/formats/session.hpp"
#include "dyad/formats/xdf.hpp"
#include "test_util.hpp"
#include "xdf_builder.hpp"

using namespace dyad::formats;
using dyad::test::TempDir;
using dyad::test::XdfBuilder;

namespace {

std::span<const std::uint8_t> bytes_of(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

std::string message_of(const std::string& bytes) {
  try {
    read_xdf(bytes_of(bytes), "bad.xdf");
  } catch (const FormatError& e) {
    return e.what();
  }
  return "(no error)";
}

std::filesystem::path xdf_dir() { return dyad::test::shared_data() / "formats" / "xdf"; }

/// A session as dyad import would make it.
Session import_into(const TempDir& tmp, const std::filesystem::path& xdf, std::vector<std::string>* warnings = nullptr,
                    const XdfImportOptions& opt = {}) {
  auto dir = tmp / "s";
  create_session_dir(dir);
  Manifest m = new_manifest("c1", 1, "other");
  auto w = import_xdf(dir, m, xdf, opt);
  if (warnings) *warnings = w;
  write_manifest(dir, m);
  return Session::open(dir);
}

}  // namespace

TEST(Xdf, ReadsMinimalExampleFile) {
  auto path = xdf_dir() / "minimal.xdf";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "missing " << path;
  XdfFile f = read_xdf_file(path);
  ASSERT_EQ(f.streams.size(), 2u);
  const auto& s = f.streams[0];
  EXPECT_EQ(s.id, 0u);
  EXPECT_EQ(s.name, "SendDataC");
  EXPECT_EQ(s.type, "EEG");
  EXPECT_EQ(s.channel_format, "int16");
  EXPECT_EQ(s.channel_count, 3);
  EXPECT_DOUBLE_EQ(s.nominal_srate, 10);
  ASSERT_EQ(s.samples(), 9u);
  const double expect[9][3] = {{192, 255, 238}, {12, 22, 32}, {13, 23, 33}, {14, 24, 34}, {15, 25, 35},
                               {12, 22, 32},    {13, 23, 33}, {14, 24, 34}, {15, 25, 35}};
  for (int i = 0; i < 9; ++i) {
    EXPECT_NEAR(s.time_stamps[static_cast<std::size_t>(i)], 5.1 + 0.1 * i, 1e-9) << i;
    for (int c = 0; c < 3; ++c) EXPECT_EQ(s.values[static_cast<std::size_t>(i * 3 + c)], expect[i][c]) << i << "," << c;
  }
  EXPECT_TRUE(s.has_footer);
  ASSERT_EQ(s.clock_offsets.size(), 2u);
  EXPECT_DOUBLE_EQ(s.clock_offsets[0].first, 6.1);
  EXPECT_DOUBLE_EQ(s.clock_offsets[0].second, -0.1);
  const auto& m = f.streams[1];
  EXPECT_EQ(m.id, 0x02C0FFEEu);
  EXPECT_EQ(m.name, "SendDataString");
  EXPECT_TRUE(m.is_string());
  ASSERT_EQ(m.samples(), 9u);
  const char* words[] = {"Hello", "World", "from", "LSL", "Hello", "World", "from", "LSL"};
  for (int i = 0; i < 8; ++i) EXPECT_EQ(m.strings[static_cast<std::size_t>(i + 1)][0], words[i]);
  EXPECT_TRUE(f.warnings.empty());
  // One clock segment of constant offset -0.1 s.
  auto sync = synchronise_xdf_clock(s);
  ASSERT_EQ(sync.segments.size(), 1u);
  for (int i = 0; i < 9; ++i) EXPECT_NEAR(sync.times[static_cast<std::size_t>(i)], 5.0 + 0.1 * i, 1e-9);
}

TEST(Xdf, ImportsMinimalExampleFile) {
  auto path = xdf_dir() / "minimal.xdf";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "missing " << path;
  TempDir tmp;
  std::vector<std::string> w;
  Session s = import_into(tmp, path, &w);
  EXPECT_FALSE(s.audio.has_value());
  ASSERT_EQ(s.streams.size(), 1u);
  const auto& sc = s.streams[0].sidecar;
  EXPECT_EQ(sc.name, "SendDataC");
  EXPECT_EQ(sc.role, "A");
  EXPECT_EQ(sc.columns, (std::vector<std::string>{"ch1", "ch2", "ch3"}));
  auto d = read_stream_data(s.dir, sc);
  ASSERT_EQ(d.size(), 9u);
  EXPECT_NEAR(d.time_s[0], 0.0, 1e-9);  // no audio: time zero is the earliest sample
  EXPECT_NEAR(d.time_s[8], 0.8, 1e-9);
  EXPECT_NEAR(d.device_time_s[8], 5.9, 1e-9);
  EXPECT_EQ(d.values[2][1], 32);
  ASSERT_EQ(s.markers.size(), 9u);
  EXPECT_EQ(s.markers[1].label, "Hello");
  // The string stream has no clock offsets: its stamps stay as they are (5.2), the numeric
  // stream's are moved by -0.1 s (earliest 5.0 = time zero).
  EXPECT_NEAR(s.markers[1].onset_s, 0.2, 1e-9);
  EXPECT_EQ(s.markers[1].source, "xdf:SendDataString");
  ASSERT_FALSE(w.empty());
  EXPECT_EQ(w.back(), path.string() + ": stream 0 ('SendDataC'): role unknown, set to A (give --xdf-role 'SendDataC=ROLE')");
}

TEST(Xdf, ImportsEmptyStreamsExampleFile) {
  auto path = xdf_dir() / "empty_streams.xdf";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "missing " << path;
  XdfFile f = read_xdf_file(path);
  ASSERT_EQ(f.streams.size(), 4u);
  std::map<std::string, const XdfStream*> by;
  for (auto& s : f.streams) by[s.name] = &s;
  ASSERT_EQ(by.size(), 4u);
  EXPECT_EQ(by["Data stream: test stream 0 counter"]->samples(), 10u);
  EXPECT_EQ(by["Data stream: test stream 0 counter"]->channel_format, "int32");
  EXPECT_EQ(by["Empty data stream: test stream 0 counter"]->samples(), 0u);
  EXPECT_EQ(by["Empty marker stream: test stream 0 counter"]->samples(), 0u);
  ASSERT_EQ(by["ctrl"]->samples(), 1u);
  EXPECT_EQ(by["ctrl"]->strings[0][0], "{\"state\": 2}");
  TempDir tmp;
  std::vector<std::string> w;
  Session s = import_into(tmp, path, &w);
  ASSERT_EQ(s.streams.size(), 1u);
  EXPECT_EQ(s.streams[0].sidecar.name, "Data_stream_test_stream_0_counter");
  auto d = read_stream_data(s.dir, s.streams[0].sidecar);
  ASSERT_EQ(d.size(), 10u);
  for (std::size_t i = 0; i < 10; ++i) EXPECT_EQ(d.values[0][i], static_cast<double>(i));
  EXPECT_NEAR(d.time_s[9] - d.time_s[0], 9.0, 1e-3);
  ASSERT_EQ(s.markers.size(), 1u);
  EXPECT_EQ(s.markers[0].label, "{\"state\": 2}");
  int empty = 0;
  for (auto& x : w) empty += x.find("has no samples; not imported") != std::string::npos;
  EXPECT_EQ(empty, 2);
}

namespace {

/// Host time h. Audio on clock h + 5 (first frame at h = 10), ECG on h + 1000, EDA on a clock
/// 50 ppm fast and 30 s behind, markers on h - 2, and RESP on a clock that resets to 0 at h = 16.
/// Each sensor value is the host time it was taken at, so the truth is value - 10.
std::string two_clock_file(bool with_audio) {
  XdfBuilder b;
  b.file_header();
  const double audio_rate = 1000;
  if (with_audio) b.header(1, "mics", "Audio", 2, audio_rate, "int16", {"A", "B"});
  b.header(2, "ecg_A", "ECG", 1, 100, "double64", {"ecg"});
  b.header(3, "eda_B", "EDA", 1, 50, "double64", {"eda"});
  b.header(4, "clinic", "Markers", 1, 0, "string");
  b.header(5, "resp_B", "RESP", 1, 10, "double64", {"resp"});
  auto r1 = [](double h) { return h + 1000; };
  auto r2 = [](double h) { return (1 + 50e-6) * h - 30; };
  auto r5 = [](double h) { return h < 16 ? h + 100 : h - 16; };
  for (int sec = 10; sec < 22; ++sec) {
    if (with_audio) {
      std::vector<std::int16_t> a;
      for (int k = 0; k < 1000; ++k) a.push_back(static_cast<std::int16_t>(k)), a.push_back(static_cast<std::int16_t>(-k));
      b.samples_i16(1, sec + 5.0, a, 2);
    }
    std::vector<double> ts;
    std::vector<std::vector<double>> rows;
    for (int k = 0; k < 100; ++k) {
      double h = sec + 0.5 + k / 100.0;
      ts.push_back(r1(h));
      rows.push_back({h});
    }
    b.samples_f64(2, ts, rows);
    ts.clear(), rows.clear();
    for (int k = 0; k < 50; ++k) {
      double h = sec + 0.3 + k / 50.0;
      ts.push_back(r2(h));
      rows.push_back({h});
    }
    b.samples_f64(3, ts, rows);
    ts.clear(), rows.clear();
    std::vector<bool> stamped;
    for (int k = 0; k < 10; ++k) {
      double h = sec + k / 10.0;
      ts.push_back(r5(h));
      rows.push_back({h});
      stamped.push_back(k == 0 || sec == 16);  // regular: stamps deduced from the rate
    }
    b.samples_f64(5, ts, rows, stamped);
    if (sec == 11) b.samples_str(4, {11 - 2.0, 12.5 - 2.0}, {"baseline", "bp 120/80"});
    // Clock offsets (LabRecorder: collection time on the sender's clock, offset to add), with
    // +-0.3 ms of measurement noise.
    const double noise = (sec % 2 ? 3e-4 : -3e-4);
    if (with_audio) b.offset(1, sec + 5.0, -5 + noise);
    b.offset(2, r1(sec), -1000 + noise);
    b.offset(3, r2(sec), sec - r2(sec) - noise);
    b.offset(4, sec - 2.0, 2 + noise);
    b.offset(5, r5(sec), sec - r5(sec) + noise);
  }
  for (std::uint32_t id = with_audio ? 1 : 2; id <= 5; ++id) b.footer(id);
  return b.b;
}

}  // namespace

class XdfTwoClocks : public ::testing::TestWithParam<bool> {};

TEST_P(XdfTwoClocks, StreamsOnDifferentClocksAlignWithinOneMillisecond) {
  const bool with_audio = GetParam();
  TempDir tmp;
  auto path = tmp / "clocks.xdf";
  write_file_new(path, two_clock_file(with_audio), false);
  std::vector<std::string> w;
  Session s = import_into(tmp, path, &w);
  // Time zero: the first audio frame (h = 10), else the earliest sample (RESP at h = 10).
  ASSERT_EQ(s.streams.size(), 3u);
  for (auto& st : s.streams) {
    auto d = read_stream_data(s.dir, st.sidecar);
    ASSERT_GT(d.size(), 100u) << st.sidecar.name;
    double worst = 0;
    for (std::size_t i = 0; i < d.size(); ++i) worst = std::max(worst, std::abs(d.time_s[i] - (d.values[0][i] - 10)));
    EXPECT_LT(worst, 1e-3) << st.sidecar.name;
  }
  EXPECT_EQ(s.streams[0].sidecar.role, "A");
  EXPECT_EQ(s.streams[1].sidecar.role, "B");
  EXPECT_EQ(s.streams[2].sidecar.name, "resp_B");
  EXPECT_EQ(s.streams[2].samples, 120u);
  ASSERT_EQ(s.markers.size(), 2u);
  EXPECT_NEAR(s.markers[0].onset_s, 1.0, 1e-3);
  EXPECT_EQ(s.markers[1].label, "bp 120/80");
  EXPECT_NEAR(s.markers[1].onset_s, 2.5, 1e-3);
  if (with_audio) {
    ASSERT_TRUE(s.audio.has_value());
    EXPECT_EQ(s.audio->frames, 12000);
    EXPECT_EQ(s.audio->channels, 2);
    EXPECT_EQ(s.audio_roles(), (std::vector<std::string>{"A", "B"}));
    AudioReader ar(s.audio_path());
    std::vector<float> buf(8);
    ar.seek(3);
    ar.read(buf);
    EXPECT_FLOAT_EQ(buf[0], 3.0f / 32768.0f);
    EXPECT_FLOAT_EQ(buf[1], -3.0f / 32768.0f);
  } else {
    EXPECT_FALSE(s.audio.has_value());
  }
  auto resp = read_sidecar(s.dir, "resp_B");
  EXPECT_EQ(resp.clock.segments.size(), 2u);  // the reset split the clock in two
}

INSTANTIATE_TEST_SUITE_P(AudioOrNot, XdfTwoClocks, ::testing::Bool());

TEST(Xdf, TruncatedLastChunkAndMissingFooterAreWarnings) {
  XdfBuilder b;
  b.file_header();
  b.header(1, "ecg_A", "ECG", 1, 100, "double64");
  b.samples_f64(1, {1.0, 1.01}, {{1}, {2}});
  const std::size_t last = b.b.size();
  std::vector<double> ts;
  std::vector<std::vector<double>> rows;
  for (int k = 0; k < 5; ++k) ts.push_back(1.02 + k * 0.01), rows.push_back({3.0 + k});
  b.samples_f64(1, ts, rows);
  const std::size_t full = b.b.size();
  // Keep 2 whole samples and half of the third: 17 bytes per sample after 1+1+2+4+1+4 bytes.
  std::string cut = b.b.substr(0, last + 13 + 2 * 17 + 8);
  XdfFile f = read_xdf(bytes_of(cut), "cut.xdf");
  ASSERT_EQ(f.streams.size(), 1u);
  EXPECT_EQ(f.streams[0].samples(), 4u);
  EXPECT_EQ(f.streams[0].values.back(), 4.0);
  ASSERT_EQ(f.warnings.size(), 2u);
  EXPECT_EQ(f.warnings[0], "cut.xdf: byte " + std::to_string(last) +
                               ": the last chunk (Samples chunk of stream 1; its 2 whole samples were kept) is cut short: " +
                               std::to_string(full - last - 2) + " bytes declared, " + std::to_string(13 + 2 * 17 + 8 - 2) + " present");
  EXPECT_EQ(f.warnings[1], "cut.xdf: stream 1 ('ecg_A') has no StreamFooter (the recording did not end cleanly)");
}

TEST(Xdf, MalformedFilesNameTheByteOffset) {
  EXPECT_EQ(message_of("NOPE...."), "bad.xdf: byte 0: not an XDF file (expected the magic code 'XDF:')");
  EXPECT_EQ(message_of(std::string("XDF:\x03\x10\x00", 7)), "bad.xdf: byte 4: chunk length field of 3 bytes; expected 1, 4 or 8");
  {
    XdfBuilder b;
    b.samples_f64(7, {1.0}, {{1}});
    EXPECT_EQ(message_of(b.b), "bad.xdf: byte 4: Samples chunk for stream 7, which has no StreamHeader before it");
  }
  {
    XdfBuilder b;
    b.header(1, "x", "EEG", 1, 10, "int128");
    EXPECT_EQ(message_of(b.b), "bad.xdf: byte 4: StreamHeader of stream 1: channel_format 'int128' is not one of int8, int16, int32, "
                               "int64, float32, double64, string");
  }
  {
    XdfBuilder b;
    b.chunk(2, XdfBuilder::id(1) + "<info><name>x</name><channel_count>1</channel_count><channel_format>float32</channel_format>");
    EXPECT_EQ(message_of(b.b), "bad.xdf: byte 4: StreamHeader of stream 1: missing </info> at XML byte 92");
  }
  {
    XdfBuilder b;
    b.header(1, "x", "EEG", 1, 10, "double64");
    const std::size_t at = b.b.size();
    // Claims 3 samples but holds 2, and another chunk follows: not a truncation.
    std::string c = XdfBuilder::id(1);
    XdfBuilder::put<std::uint8_t>(c, 1);
    XdfBuilder::put<std::uint8_t>(c, 3);
    for (int k = 0; k < 2; ++k) {
      XdfBuilder::put<std::uint8_t>(c, 0);
      XdfBuilder::put<double>(c, k);
    }
    b.chunk(3, c);
    b.footer(1);
    EXPECT_EQ(message_of(b.b), "bad.xdf: byte " + std::to_string(at) + ": Samples chunk of stream 1 ends inside sample 3 of 3");
  }
  {
    XdfBuilder b;
    b.header(1, "x", "EEG", 1, 10, "double64");
    const std::size_t at = b.b.size();
    std::string c = XdfBuilder::id(1);
    XdfBuilder::put<std::uint8_t>(c, 1);
    XdfBuilder::put<std::uint8_t>(c, 1);
    XdfBuilder::put<std::uint8_t>(c, 4);
    XdfBuilder::put<float>(c, 1.0f);
    XdfBuilder::put<double>(c, 1.0);
    b.chunk(3, c);
    EXPECT_EQ(message_of(b.b), "bad.xdf: byte " + std::to_string(at + 2 + 2 + 4 + 2) +
                                   ": Samples chunk of stream 1, sample 1: time stamp field of 4 bytes; expected 0 or 8");
  }
  {
    XdfBuilder b;
    b.chunk(3, std::string(1, '\x01'));  // too short to hold a stream id
    b.footer(1);
    EXPECT_EQ(message_of(b.b), "bad.xdf: byte 4: chunk with tag 3 is shorter than its fixed fields");
  }
}

TEST(Xdf, ExportThenImportKeepsTheSession) {
  TempDir tmp;
  auto path = tmp / "clocks.xdf";
  write_file_new(path, two_clock_file(true), false);
  Session a = import_into(tmp, path);
  // an identity worth keeping: couple, number, type, start and participant ids
  a.manifest.couple_id = "couple9";
  a.manifest.session_number = 4;
  a.manifest.session_type = "dosing";
  a.manifest.start_utc = "2026-11-20T09:15:30.250Z";
  for (auto& pa : a.manifest.participants) pa.id = "P-" + pa.role + "&<7>";
  write_manifest(a.dir, a.manifest);
  auto out = tmp / "export.xdf";
  export_xdf(a, out, false);
  EXPECT_THROW(export_xdf(a, out, false), FormatError);
  try {
    export_xdf(a, out, false);
  } catch (const FormatError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::exists);
    EXPECT_EQ(std::string(e.what()), out.string() + ": already exists; add --force to replace it");
  }
  export_xdf(a, out, true);
  TempDir tmp2;
  Session b = import_into(tmp2, out);
  EXPECT_EQ(b.manifest.couple_id, "couple9");
  EXPECT_EQ(b.manifest.session_number, 4);
  EXPECT_EQ(b.manifest.session_type, "dosing");
  EXPECT_EQ(b.manifest.start_utc, "2026-11-20T09:15:30.250Z");
  ASSERT_EQ(b.manifest.participants.size(), a.manifest.participants.size());
  for (auto& pa : a.manifest.participants) {
    bool found = false;
    for (auto& pb : b.manifest.participants) found = found || (pb.role == pa.role && pb.id == pa.id);
    EXPECT_TRUE(found) << pa.role << " " << pa.id;
  }
  {  // what the user gives wins over the file's
    TempDir tmp3;
    XdfImportOptions given;
    given.couple_given = given.session_type_given = true;
    Session c = import_into(tmp3, out, nullptr, given);
    EXPECT_EQ(c.manifest.couple_id, "c1");
    EXPECT_EQ(c.manifest.session_type, "other");
    EXPECT_EQ(c.manifest.session_number, 4);
  }
  ASSERT_TRUE(b.audio.has_value());
  EXPECT_EQ(b.audio->frames, a.audio->frames);
  EXPECT_EQ(b.audio_roles(), a.audio_roles());
  ASSERT_EQ(b.streams.size(), a.streams.size());
  for (std::size_t i = 0; i < a.streams.size(); ++i) {
    const auto& sa = a.streams[i].sidecar;
    const auto& sb = b.streams[i].sidecar;
    EXPECT_EQ(sb.name, sa.name);
    EXPECT_EQ(sb.role, sa.role);
    EXPECT_EQ(sb.kind, sa.kind);
    EXPECT_EQ(sb.columns, sa.columns);
    auto da = read_stream_data(a.dir, sa), db = read_stream_data(b.dir, sb);
    ASSERT_EQ(db.size(), da.size());
    for (std::size_t k = 0; k < da.size(); ++k) {
      EXPECT_NEAR(db.time_s[k], da.time_s[k], 1e-9);
      EXPECT_EQ(db.values[0][k], da.values[0][k]);
    }
  }
  ASSERT_EQ(b.markers.size(), a.markers.size());
  for (std::size_t i = 0; i < a.markers.size(); ++i) {
    EXPECT_EQ(b.markers[i].label, a.markers[i].label);
    EXPECT_NEAR(b.markers[i].onset_s, a.markers[i].onset_s, 1e-9);
  }
  AudioReader ra(a.audio_path()), rb(b.audio_path());
  std::vector<float> xa(24000), xb(24000);
  EXPECT_EQ(ra.read(xa), rb.read(xb));
  EXPECT_EQ(xa, xb);
}
