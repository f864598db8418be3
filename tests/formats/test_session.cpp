#include <gtest/gtest.h>

#include <charconv>
#include <cmath>
#include <cstring>
#include <fstream>
#include <random>

#include "dyad/formats/audio.hpp"
#include "dyad/formats/error.hpp"
#include "dyad/formats/files.hpp"
#include "dyad/formats/manifest.hpp"
#include "dyad/formats/markers.hpp"
#include "dyad/formats/session.hpp"
#include "dyad/formats/stream.hpp"
#include "dyad/formats/text.hpp"
#include "session_builder.hpp"
#include "test_util.hpp"

using namespace dyad::formats;
namespace fs = std::filesystem;

namespace {
fs::path fixture(const std::string& name) { return dyad::test::data_dir() / "malformed" / name; }

struct Case {
  const char* name;
  ErrorKind kind;
  const char* message;  ///< with {} for the fixture folder
};

std::string expand(const std::string& msg, const fs::path& dir) {
  std::string out = msg;
  for (std::size_t p; (p = out.find("{}")) != std::string::npos;) out.replace(p, 2, dir.string());
  return out;
}

class Malformed : public ::testing::TestWithParam<Case> {};
}  // namespace

TEST(Session, ValidFixtureOpens) {
  auto s = Session::open(fixture("valid"));
  EXPECT_EQ(s.manifest.couple_id, "C01");
  ASSERT_TRUE(s.audio);
  EXPECT_EQ(s.audio->channels, 2);
  ASSERT_EQ(s.streams.size(), 1u);
  EXPECT_EQ(s.streams[0].samples, 3u);
  ASSERT_EQ(s.markers.size(), 2u);
  EXPECT_EQ(s.markers[1].value, "120/80");
}

TEST_P(Malformed, GivesOneClearMessage) {
  const Case& c = GetParam();
  auto dir = fixture(c.name);
  try {
    Session::open(dir);
    FAIL() << c.name << " opened";
  } catch (const FormatError& e) {
    EXPECT_EQ(std::string(e.what()), expand(c.message, dir)) << c.name;
    EXPECT_EQ(e.kind(), c.kind) << c.name;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Fixtures, Malformed,
    ::testing::Values(
        Case{"bad_json", ErrorKind::malformed, "{}/session.json:4:17: not valid JSON (expected a JSON object)"},
        Case{"not_json_object", ErrorKind::malformed, "{}/session.json: expected a JSON object at the top level"},
        Case{"missing_key", ErrorKind::malformed, "{}/session.json: key 'couple_id': missing; it is required"},
        Case{"wrong_type", ErrorKind::malformed, "{}/session.json: key 'session_number': expected an integer, found string"},
        Case{"bad_session_type", ErrorKind::malformed,
             "{}/session.json: key 'session_type': expected preparation, dosing, integration or other, found 'party'"},
        Case{"audio_missing", ErrorKind::io, "{}/audio.wav: audio file is missing (named by {}/session.json key 'audio.file')"},
        Case{"audio_unreadable", ErrorKind::unrecognised,
             "{}/audio.wav: cannot be read as audio: Format not recognised."},
        Case{"channel_map", ErrorKind::malformed,
             "{}/session.json: key 'audio.channels': channel 3 (role B) does not exist; {}/audio.wav has 2 channel(s)"},
        Case{"duplicate_role", ErrorKind::malformed,
             "{}/session.json: key 'audio.channels': role A is given to more than one channel (2 and an earlier one); each role has "
             "one channel"},
        Case{"tsv_columns", ErrorKind::malformed,
             "{}/streams/ecg_A.tsv:3: expected 3 fields (time_s, device_time_s, ecg), found 2"},
        Case{"tsv_number", ErrorKind::malformed, "{}/streams/ecg_A.tsv:3: ecg is not a number: '1.2.3'"},
        Case{"times_backwards", ErrorKind::malformed, "{}/streams/ecg_A.tsv:4: time_s goes backwards (0.25 after 0.5)"},
        Case{"bad_stream_name", ErrorKind::malformed,
             "{}/session.json: key 'streams[0].name': expected a stream name matching [A-Za-z0-9_-]{1,64}, found 'ecg A!'"},
        Case{"markers_number", ErrorKind::malformed, "{}/markers.tsv:3: onset_s is not a number: '1.2.3'"},
        Case{"sidecar_missing_key", ErrorKind::malformed, "{}/streams/ecg_A.json: key 'columns': missing; it is required"},
        Case{"sidecar_missing", ErrorKind::io, "{}/streams/ecg_A.json: missing; {}/session.json lists the stream 'ecg_A'"},
        Case{"stream_header", ErrorKind::malformed,
             "{}/streams/ecg_A.tsv:1: expected the header 'time_s device_time_s ecg' (from the sidecar), found "
             "'time_s device_time_s voltage'"}),
    [](const auto& p) { return std::string(p.param.name); });

TEST(Session, WarnsWhenStreamsRunWellPastTheAudio) {
  dyad::test::TempDir d;
  auto s = dyad::test::make_export_session(d / "s");  // 3 s of audio, streams to 3 s
  EXPECT_TRUE(s.warnings.empty());
  std::filesystem::remove(d / "s" / "audio.wav");
  {
    AudioWriter w(d / "s" / "audio.wav", 8000, 2);
    std::vector<float> x(2 * 4000, 0.1f);  // 0.5 s
    w.write(x);
    w.close();
  }
  s = Session::open(d / "s");
  ASSERT_EQ(s.warnings.size(), 1u);
  EXPECT_EQ(s.warnings[0], (d / "s" / "audio.wav").string() +
                               ": ends at 0.5 s (the session's length; windowed tables and the timeline stop there) but streams run "
                               "to 3.0 s (ecg_A, eda_B, bp_A): is the audio cut short?");
}

TEST(Session, MissingManifest) {
  dyad::test::TempDir d;
  try {
    Session::open(d.path());
    FAIL();
  } catch (const FormatError& e) {
    EXPECT_EQ(std::string(e.what()), (d / "session.json").string() + ": missing; is " + d.path().string() +
                                         " a dyad session folder?");
  }
}

TEST(Audio, RoundTripFloatSamplesExactly) {
  dyad::test::TempDir d;
  auto a = dyad::test::sine(440, 16000, 16000, 0.4);
  auto b = dyad::test::noise(16000, 0.1, 7);
  std::vector<float> inter(32000);
  for (std::size_t i = 0; i < 16000; ++i) {
    inter[2 * i] = a[i];
    inter[2 * i + 1] = b[i];
  }
  {
    AudioWriter w(d / "audio.wav", 16000, 2);
    w.write(inter);
    w.write_zeros(100);
    w.close();
  }
  EXPECT_EQ(dyad::test::mode_of(d / "audio.wav"), 0600u);
  AudioReader r(d / "audio.wav");
  EXPECT_EQ(r.info().frames, 16100);
  EXPECT_EQ(r.info().format, "WAVEX float32");  // RF64 downgraded (to WAVE_FORMAT_EXTENSIBLE) under 4 GiB
  std::vector<float> back(16100 * 2);
  EXPECT_EQ(r.read(back), 16100);
  for (std::size_t i = 0; i < inter.size(); ++i) ASSERT_EQ(back[i], inter[i]) << i;
  for (std::size_t i = inter.size(); i < back.size(); ++i) ASSERT_EQ(back[i], 0.0f);
}

TEST(Audio, Pcm16ReadsAsEveryValueOver32768) {
  // 16-bit PCM is read as int16 and scaled by AudioReader itself: every value, both channels, in
  // reads of odd sizes, gives exactly v / 32768 (libsndfile's normalised float conversion)
  dyad::test::TempDir d;
  const std::uint32_t frames = 65536 + 3, channels = 2, bytes = frames * channels * 2;
  std::vector<std::int16_t> v(frames * channels);
  for (std::uint32_t i = 0; i < frames; ++i) {
    v[2 * i] = static_cast<std::int16_t>(static_cast<std::int32_t>(i % 65536) - 32768);
    v[2 * i + 1] = static_cast<std::int16_t>(32767 - static_cast<std::int32_t>(i % 65536));
  }
  {
    std::ofstream f(d / "pcm16.wav", std::ios::binary);
    auto u32 = [&](std::uint32_t x) { for (int k = 0; k < 4; ++k) f.put(static_cast<char>((x >> (8 * k)) & 0xff)); };
    auto u16 = [&](std::uint32_t x) { for (int k = 0; k < 2; ++k) f.put(static_cast<char>((x >> (8 * k)) & 0xff)); };
    f.write("RIFF", 4);
    u32(36 + bytes);
    f.write("WAVEfmt ", 8);
    u32(16);
    u16(1);
    u16(channels);
    u32(16000);
    u32(16000 * channels * 2);
    u16(channels * 2);
    u16(16);
    f.write("data", 4);
    u32(bytes);
    for (std::int16_t x : v) u16(static_cast<std::uint16_t>(x));
  }
  AudioReader r(d / "pcm16.wav");
  EXPECT_EQ(r.info().format, "WAV pcm16");
  EXPECT_EQ(r.info().frames, frames);
  std::vector<float> back, buf(2 * 1001);
  std::int64_t n;
  while ((n = r.read(buf)) > 0) back.insert(back.end(), buf.begin(), buf.begin() + 2 * n);
  ASSERT_EQ(back.size(), v.size());
  for (std::size_t i = 0; i < v.size(); ++i) ASSERT_EQ(back[i], static_cast<float>(v[i]) / 32768.0f) << i;
  r.seek(frames - 2);
  EXPECT_EQ(r.read(buf), 2);
  EXPECT_EQ(buf[0], static_cast<float>(v[2 * (frames - 2)]) / 32768.0f);
}

TEST(Audio, HeaderIsValidWhileWriting) {
  // A copy taken mid-recording (what a crash leaves) reads back every frame written so far.
  dyad::test::TempDir d;
  AudioWriter w(d / "audio.wav", 8000, 2);
  auto x = dyad::test::noise(8000 * 2, 0.1, 3);
  w.write(x);
  w.sync();
  fs::copy_file(d / "audio.wav", d / "copy.wav");
  AudioReader r(d / "copy.wav");
  EXPECT_EQ(r.info().frames, 8000);
}

TEST(Audio, RefusesToOverwrite) {
  dyad::test::TempDir d;
  { AudioWriter w(d / "audio.wav", 8000, 1); }
  try {
    AudioWriter w(d / "audio.wav", 8000, 1);
    FAIL();
  } catch (const FormatError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::exists);
  }
}

TEST(Stream, RoundTripWithNaAndSidecar) {
  dyad::test::TempDir d;
  create_session_dir(d / "s");
  StreamSidecar sc;
  sc.name = "bp_A";
  sc.kind = "bp";
  sc.role = "A";
  sc.columns = {"systolic", "diastolic", "mean"};
  sc.units = {"mmHg", "mmHg", "mmHg"};
  sc.clock.offset_s = 0.125;
  sc.clock.drift_ppm = -42.5;
  sc.clock.residual_ms = 0.3;
  sc.extra["device"] = "cuff-9";
  StreamData data;
  data.time_s = {1.0, 61.0, 121.5};
  data.device_time_s = {10.0, 70.0, 130.5};
  data.values = {{120, 118, std::nan("")}, {80, 79, 81}, {93.3, 92, 90}};
  write_stream(d / "s", sc, data);
  auto sc2 = read_sidecar(d / "s", "bp_A");
  EXPECT_EQ(serialise_sidecar(sc2), serialise_sidecar(sc));
  auto back = read_stream_data(d / "s", sc2);
  EXPECT_EQ(back.time_s, data.time_s);
  EXPECT_EQ(back.device_time_s, data.device_time_s);
  EXPECT_TRUE(std::isnan(back.values[0][2]));
  EXPECT_EQ(back.values[2][0], 93.3);
  EXPECT_EQ(dyad::test::mode_of(stream_tsv_path(d / "s", "bp_A")), 0600u);
  EXPECT_EQ(dyad::test::mode_of(stream_json_path(d / "s", "bp_A")), 0600u);
  // Row by row, the same values; and the same checks (a row whose time goes backwards).
  std::vector<double> t, dev, mean;
  for_each_stream_sample(d / "s", sc2, [&](double ts, double dt, std::span<const double> v) {
    ASSERT_EQ(v.size(), 3u);
    t.push_back(ts);
    dev.push_back(dt);
    mean.push_back(v[2]);
  });
  EXPECT_EQ(t, data.time_s);
  EXPECT_EQ(dev, data.device_time_s);
  EXPECT_EQ(mean, data.values[2]);
  { std::ofstream(stream_tsv_path(d / "s", "bp_A"), std::ios::app) << "100\t1\t1\t1\t1\n"; }
  const std::string want = stream_tsv_path(d / "s", "bp_A").string() + ":5: time_s goes backwards (100 after 121.5)";
  try {
    for_each_stream_sample(d / "s", sc2, [](double, double, std::span<const double>) {});
    FAIL() << "no error";
  } catch (const FormatError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::malformed);
    EXPECT_EQ(std::string(e.what()), want);
  }
}

TEST(Markers, RoundTripKeepsValuesAndSources) {
  dyad::test::TempDir d;
  std::vector<Marker> ms = {{0, 300, "baseline", "n/a", "recorder"},
                            {400.25, 0, "bp", "120/80", "recorder"},
                            {500, 0, "cadss", "12", "viewer"},
                            {600, 0, "note", "partner A \"tearful\"", "viewer"}};
  write_markers(d.path(), ms);
  auto back = read_markers(d.path());
  ASSERT_EQ(back.size(), ms.size());
  for (std::size_t i = 0; i < ms.size(); ++i) {
    EXPECT_EQ(back[i].onset_s, ms[i].onset_s);
    EXPECT_EQ(back[i].duration_s, ms[i].duration_s);
    EXPECT_EQ(back[i].label, ms[i].label);
    EXPECT_EQ(back[i].value, ms[i].value);
    EXPECT_EQ(back[i].source, ms[i].source);
  }
  MarkerAppender app(d.path());
  app.append({700, 0, "exclude", "n/a", "viewer"});
  EXPECT_EQ(read_markers(d.path()).size(), 5u);
}

TEST(Markers, AtomicAppendKeepsEveryExistingByte) {
  dyad::test::TempDir d;
  // odd but valid bytes: CRLF rows, extra spaces in a value, a last row without its line end
  const std::string before = "onset_s\tduration_s\tlabel\tvalue\tsource\r\n1.50\t0\tmark\t n/a\trecorder\r\n2\t0\tbp\t120/80\tuser";
  { std::ofstream(d / "markers.tsv", std::ios::binary) << before; }
  append_markers_atomic(d.path(), {{3.25, 0, "note", "tabs\tand\nbreaks", "viewer"}});
  std::string after = read_file(d / "markers.tsv");
  ASSERT_EQ(after.substr(0, before.size()), before);
  EXPECT_EQ(after.substr(before.size()), "\n3.25\t0\tnote\ttabs and breaks\tviewer\n");
  EXPECT_EQ(read_markers(d.path()).size(), 3u);
  EXPECT_FALSE(fs::exists(d / "markers.tsv.tmp"));
  EXPECT_EQ(dyad::test::mode_of(d / "markers.tsv"), 0600u);
  // no file yet: the header first
  dyad::test::TempDir e;
  append_markers_atomic(e.path(), {{1, 0, "mark", "n/a", "viewer"}});
  EXPECT_EQ(read_file(e / "markers.tsv"), "onset_s\tduration_s\tlabel\tvalue\tsource\n1\t0\tmark\tn/a\tviewer\n");
}

TEST(Markers, TypedCommandsFollowTheRecordersRules) {
  auto c = parse_marker_command("bp 120/80", "viewer");
  ASSERT_TRUE(c.marker);
  EXPECT_EQ(c.marker->label, "bp");
  EXPECT_EQ(c.marker->value, "120/80");
  EXPECT_EQ(c.marker->source, "viewer");
  EXPECT_EQ(parse_marker_command("BP 12", "x").error, "bp expects SYSTOLIC/DIASTOLIC in mmHg, e.g. 'bp 120/80'; got '12'");
  EXPECT_EQ(parse_marker_command("cadss twelve", "x").error, "cadss expects a number, e.g. 'cadss 12'; got 'twelve'");
  EXPECT_EQ(parse_marker_command("cadss 12", "x").marker->value, "12");
  EXPECT_EQ(parse_marker_command("n", "x").error, "a note needs text: n TEXT");
  EXPECT_EQ(parse_marker_command("b", "x").marker->label, "baseline");
  EXPECT_EQ(parse_marker_command("end", "x").marker->label, "phase_end");
  EXPECT_TRUE(parse_marker_command("stop", "x").stop);
  auto free = parse_marker_command("  she laughs  ", "x");
  EXPECT_EQ(free.marker->label, "note");
  EXPECT_EQ(free.marker->value, "she laughs");
  EXPECT_EQ(clinical_entry_error("spo2", "97"), "");
  EXPECT_EQ(clinical_entry_error("mood", "3"), "'mood' is not a clinical entry (one of bp, cadss, hr, spo2, rr, temp, vas, pain, dose)");
}

TEST(Markers, ExclusionIntervals) {
  std::vector<Marker> ms = {{10, 5, "exclude", "n/a", "user"}, {20, 0, "bp", "120/80", "user"}};
  auto ex = exclusion_intervals(ms);
  ASSERT_EQ(ex.size(), 1u);
  EXPECT_EQ(ex[0].second, 15.0);
}

TEST(Privacy, FoldersAre0700AndFiles0600EvenWithALooseUmask) {
  dyad::test::TempDir d;
  auto old = ::umask(0);
  create_session_dir(d / "s");
  write_manifest(d / "s", new_manifest("C1", 1, "other"));
  write_markers(d / "s", {});
  ::umask(old);
  EXPECT_EQ(dyad::test::mode_of(d / "s"), 0700u);
  EXPECT_EQ(dyad::test::mode_of(d / "s" / "streams"), 0700u);
  EXPECT_EQ(dyad::test::mode_of(d / "s" / "session.json"), 0600u);
  EXPECT_EQ(dyad::test::mode_of(d / "s" / "markers.tsv"), 0600u);
}

TEST(Session, RefusesANonEmptyFolder) {
  dyad::test::TempDir d;
  create_session_dir(d / "s");
  write_markers(d / "s", {});
  EXPECT_THROW(create_session_dir(d / "s"), FormatError);
}

// The stream reader (read in large blocks, split with memchr, only the columns asked for parsed):
// malformed input gives the same one-line messages as the table reader, naming file:line.
namespace {
struct StreamFile {
  dyad::test::TempDir d;
  StreamSidecar sc;
  explicit StreamFile(const std::string& text) {
    create_session_dir(d / "s");
    sc.name = "ecg_A";
    sc.kind = "ecg";
    sc.role = "A";
    sc.nominal_rate_hz = 4;
    sc.columns = {"ecg", "aux"};
    sc.units = {"mV", ""};
    write_sidecar(d / "s", sc);
    std::ofstream(stream_tsv_path(d / "s", "ecg_A"), std::ios::binary) << text;
  }
  std::string path() const { return stream_tsv_path(d / "s", "ecg_A").string(); }
  // time_s and the first value column through read_stream_blocks (blocks of `rows`).
  std::pair<std::vector<double>, std::vector<double>> blocks(std::size_t rows = 2) const {
    std::pair<std::vector<double>, std::vector<double>> out;
    const std::size_t col = 0;
    read_stream_blocks(d / "s", sc, std::span<const std::size_t>(&col, 1), [&](const StreamBlock& b) {
      EXPECT_LE(b.size(), rows);
      EXPECT_EQ(b.values.size(), 1u);
      out.first.insert(out.first.end(), b.time_s.begin(), b.time_s.end());
      out.second.insert(out.second.end(), b.values[0].begin(), b.values[0].end());
    }, rows);
    return out;
  }
  std::string error_of_blocks() const {
    try {
      blocks();
    } catch (const FormatError& e) {
      EXPECT_EQ(e.kind(), ErrorKind::malformed);
      return e.what();
    }
    return "no error";
  }
  std::string error_of_read() const {
    try {
      read_stream_data(d / "s", sc);
    } catch (const FormatError& e) {
      return e.what();
    }
    return "no error";
  }
};
const char* kHead = "time_s\tdevice_time_s\tecg\taux\n";
}  // namespace

TEST(StreamReader, ReadsBlocksOfTheColumnsAskedFor) {
  StreamFile f(std::string(kHead) + "0\t10\t1.5\tx\n0.25\tn/a\t-2e-3\t\n0.5\t+1\tn/a\t7\n0.75\t1\t+4\t8\n1\t1\t5\t9\n");
  const auto [t, v] = f.blocks(2);
  EXPECT_EQ(t, (std::vector<double>{0, 0.25, 0.5, 0.75, 1}));
  ASSERT_EQ(v.size(), 5u);
  EXPECT_EQ(v[0], 1.5);
  EXPECT_EQ(v[1], -2e-3);
  EXPECT_TRUE(std::isnan(v[2]));
  EXPECT_EQ(v[3], 4);
  // aux (not asked for) is not parsed; read_stream_data parses every column
  EXPECT_EQ(f.error_of_read(), f.path() + ":2: aux is not a number: 'x'");
  const std::size_t bad = 2;
  EXPECT_THROW(read_stream_blocks(f.d / "s", f.sc, std::span<const std::size_t>(&bad, 1), [](const StreamBlock&) {}), std::invalid_argument);
}

TEST(StreamReader, CrlfAndAMissingFinalNewlineAndTrailingBlankLines) {
  StreamFile crlf(std::string("time_s\tdevice_time_s\tecg\taux\r\n") + "0\t0\t1\t0\r\n0.25\t0\t2\t0\r\n0.5\t0\t3\t0");
  EXPECT_EQ(crlf.blocks().second, (std::vector<double>{1, 2, 3}));
  StreamFile blank_end(std::string(kHead) + "0\t0\t1\t0\n0.25\t0\t2\t0\n\n\r\n");
  EXPECT_EQ(blank_end.blocks().second, (std::vector<double>{1, 2}));
  StreamFile bom(std::string("\xEF\xBB\xBF") + kHead + "0\t0\t1\t0\n");
  EXPECT_EQ(bom.blocks().second, (std::vector<double>{1}));
  StreamFile empty_table(kHead);
  EXPECT_TRUE(empty_table.blocks().first.empty());
}

TEST(StreamReader, MalformedRowsGiveOneClearMessage) {
  struct C {
    std::string rows, message;  // message after "<file>"
  };
  const std::vector<C> cases = {
      {"0\t0\t1\t0\n0.25\t0\t2\n", ":3: expected 4 fields (time_s, device_time_s, ecg, aux), found 3"},    // short row
      {"0\t0\t1\t0\n0.25\t0\t2\t0\t9\n", ":3: expected 4 fields (time_s, device_time_s, ecg, aux), found 5"},  // long row
      {"0\t0\t1\t0\n0.25\t0\t1.2.3\t0\n", ":3: ecg is not a number: '1.2.3'"},  // a used column
      {"0\t0\t1\t0\n0.25\t0\t\t0\n", ":3: ecg is not a number: ''"},
      {"0\t0\t1\t0\n0.5\t0\t1\t0\n0.25\t0\t1\t0\n", ":4: time_s goes backwards (0.25 after 0.5)"},
      {"0\t0\t1\t0\nabc\t0\t1\t0\n", ":3: time_s is not a number: 'abc'"},
      {"0\t0\t1\t0\nn/a\t0\t1\t0\n", ":3: time_s is missing (n/a) where a number is required"},
      {"0\t0\t1\t0\n\n0.5\t0\t1\t0\n", ":3: blank line inside the table"},
      {"0\t0\t1\t0\r\n0.25\t0\t2\r\n", ":3: expected 4 fields (time_s, device_time_s, ecg, aux), found 3"},  // CRLF
      {"0\t0\t1\t0\n0.25\t0\tx\t0", ":3: ecg is not a number: 'x'"},  // no final newline
  };
  for (const auto& c : cases) {
    StreamFile f(std::string(kHead) + c.rows);
    EXPECT_EQ(f.error_of_blocks(), f.path() + c.message) << c.rows;
    EXPECT_EQ(f.error_of_read(), f.path() + c.message) << c.rows;  // read_stream_data: the same
  }
  StreamFile header("time_s\tdevice_time_s\tecg\n0\t0\t1\n");
  EXPECT_EQ(header.error_of_blocks(), header.path() + ":1: expected the header 'time_s device_time_s ecg aux' (from the sidecar), found "
                                                      "'time_s device_time_s ecg'");
  StreamFile empty("");
  EXPECT_EQ(empty.error_of_blocks(), empty.path() + ":1: the file is empty; expected a header line");
  StreamFile gone("");
  std::filesystem::remove(gone.path());
  try {
    gone.blocks();
    FAIL() << "no error";
  } catch (const FormatError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::io);
    EXPECT_EQ(std::string(e.what()), gone.path() + ": cannot be opened for reading");
  }
}

// Lines across the reader's 4 MiB blocks, against the generic table reader.
TEST(StreamReader, AFileOfManyBlocksReadsAsTheTableReaderReadsIt) {
  std::string text = kHead;
  // values of every length (the reader's exact fast paths take up to 15 digits, from_chars the rest;
  // 15 digits with a dot are 16 characters, past what the SSE2 path sees at once)
  std::mt19937_64 g(7);
  std::uniform_real_distribution<double> u(-1, 1);
  const char* odd[] = {"1.", ".5", "-.25", "-0", "007.50", "1e-3", "+2", "n/a", "1E5", "123456789012345", "1234567890123456",
                       "0.1234567890123456789", "inf", "-nan", "123456789.012345", "-12345678901234.5", "99999999.9999999",
                       "0.000000000000001", "5.", "-8", "12345678.1234567", "-0.00", "100000000"};
  for (int i = 0; i < 200000; ++i) {  // ~5.5 MB: lines across the 4 MiB blocks
    std::string v;
    switch (i % 4) {
      case 0: v = format_number(u(g) * std::pow(10.0, static_cast<double>(i % 13) - 6)); break;
      case 1: v = format_fixed(u(g) * 1000, i % 9); break;
      case 2: v = odd[(i / 4) % (sizeof odd / sizeof *odd)]; break;
      default: v = std::to_string(std::sin(i * 0.01));
    }
    text += format_number(i * 0.001) + "\t" + std::to_string(i) + "\t" + v + "\t0";
    text += (i % 3 == 0) ? "\r\n" : "\n";
  }
  ASSERT_GT(text.size(), std::size_t{4} << 20);  // more than one of the reader's blocks
  StreamFile f(text);
  const auto [t, v] = f.blocks(65536);
  const auto tab = read_table_file(f.path());
  ASSERT_EQ(t.size(), tab.rows.size());
  std::size_t wrong = 0;
  for (std::size_t r = 0; r < tab.rows.size(); ++r) {
    const double want = tab.number(r, 2);
    wrong += t[r] != tab.number(r, 0) || !(v[r] == want || (std::isnan(v[r]) && std::isnan(want))) || std::signbit(v[r]) != std::signbit(want);
  }
  EXPECT_EQ(wrong, 0u);
  EXPECT_EQ(scan_stream(f.d / "s", f.sc).samples, 200000u);
}

// The reader's own decimal conversion (up to 19 significant digits, exact powers of ten, one
// division, a long double one past 15 digits with its halfway cases left to from_chars) gives
// exactly the double std::from_chars gives: shortest round-trip forms of random doubles over 16
// decades, random 16-19 digit decimals, and decimals exactly halfway between two doubles.
TEST(StreamReader, DecimalsOfUpTo19DigitsReadExactlyAsFromCharsReadsThem) {
  std::mt19937_64 g(11);
  std::vector<std::string> vals;
  for (int i = 0; i < 120000; ++i) {
    char b[64];
    const double x = std::ldexp(static_cast<double>(g() >> 11), -53) * std::pow(10.0, static_cast<double>(i % 17) - 8);
    vals.emplace_back(b, std::to_chars(b, b + sizeof b, (i & 1) ? -x : x).ptr);  // shortest form: up to 17 digits
  }
  for (int i = 0; i < 60000; ++i) {  // 16-19 digits with the dot anywhere
    const int n = 16 + i % 4;
    std::string v;
    for (int k = 0; k < n; ++k) v += static_cast<char>('0' + g() % 10);
    v.insert(static_cast<std::size_t>(g() % static_cast<unsigned>(n + 1)), ".");
    vals.push_back(v);
  }
  for (std::uint64_t k = 1; k < 4000; k += 2) {  // 2^53 + odd, 2^54 + 2 (mod 4): halfway between two doubles
    vals.push_back(std::to_string((std::uint64_t{1} << 53) + k));
    vals.push_back(std::to_string((std::uint64_t{1} << 54) + 2 * k));
    vals.push_back("0." + std::to_string((std::uint64_t{1} << 53) + k));
  }
  std::string text = kHead;
  for (std::size_t i = 0; i < vals.size(); ++i) text += std::to_string(i) + "\t0\t" + vals[i] + "\t0\n";
  StreamFile f(text);
  const auto [t, v] = f.blocks(4096);
  ASSERT_EQ(v.size(), vals.size());
  std::size_t wrong = 0;
  for (std::size_t i = 0; i < vals.size(); ++i) {
    double want = 0;
    std::from_chars(vals[i].data(), vals[i].data() + vals[i].size(), want);
    if (std::memcmp(&v[i], &want, sizeof want) != 0 && ++wrong < 5) ADD_FAILURE() << vals[i] << " read as " << v[i] << ", from_chars " << want;
  }
  EXPECT_EQ(wrong, 0u);
}

// Session::open scans its streams side by side; the error reported is still the first in the
// streams' order (a damaged row of the first stream before a missing sidecar of the second).
TEST(Session, StreamsScannedSideBySideReportTheFirstErrorInOrder) {
  dyad::test::TempDir d;
  const auto dir = d / "s";
  create_session_dir(dir);
  auto m = new_manifest("C1", 1, "dosing");
  m.participants = {{"A", "p1"}, {"B", "p2"}};
  for (const char* name : {"ecg_A", "ecg_B", "ecg_C"}) {
    StreamSidecar sc;
    sc.name = name;
    sc.kind = "ecg";
    sc.role = "A";
    sc.nominal_rate_hz = 4;
    sc.columns = {"ecg"};
    sc.units = {"mV"};
    StreamData data;
    data.time_s = {0, 0.25, 0.5};
    data.device_time_s = data.time_s;
    data.values = {{1, 2, 3}};
    write_stream(dir, sc, data);
    m.streams.push_back({name, "ecg", "A"});
  }
  write_manifest(dir, m);
  auto s = Session::open(dir);
  ASSERT_EQ(s.streams.size(), 3u);
  EXPECT_EQ(s.streams[2].sidecar.name, "ecg_C");
  EXPECT_EQ(s.streams[1].samples, 3u);
  EXPECT_EQ(s.streams[1].last_s, 0.5);
  auto message = [&] {
    try {
      Session::open(dir);
    } catch (const FormatError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  { std::ofstream(stream_tsv_path(dir, "ecg_C"), std::ios::app) << "0.1\t0\t1\n"; }
  EXPECT_EQ(message(), stream_tsv_path(dir, "ecg_C").string() + ":5: time_s goes backwards (0.1 after 0.5)");
  { std::ofstream(stream_tsv_path(dir, "ecg_A"), std::ios::app) << "1\t0\n"; }
  EXPECT_EQ(message(), stream_tsv_path(dir, "ecg_A").string() + ":5: expected 3 fields (time_s, device_time_s, ecg), found 2");
  std::filesystem::remove(stream_json_path(dir, "ecg_B"));
  EXPECT_EQ(message(), stream_tsv_path(dir, "ecg_A").string() + ":5: expected 3 fields (time_s, device_time_s, ecg), found 2");
  { std::ofstream(stream_tsv_path(dir, "ecg_A"), std::ios::trunc) << "time_s\tdevice_time_s\tecg\n0\t0\t1\n"; }
  EXPECT_EQ(message(), stream_json_path(dir, "ecg_B").string() + ": missing; " + (dir / "session.json").string() + " lists the stream 'ecg_B'");
}
