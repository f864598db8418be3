// EDF/BDF reader, import and export; MNE as the independent reader.
#include <gtest/gtest.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include "dyad/formats/edf.hpp"
#include "dyad/formats/error.hpp"
#include "dyad/formats/session.hpp"
#include "session_builder.hpp"
#include "test_util.hpp"

using namespace dyad::formats;
using dyad::test::TempDir;

namespace {

std::filesystem::path edf_dir() { return dyad::test::shared_data() / "formats" / "edf"; }

std::string message_of(const std::string& bytes) {
  try {
    read_edf(std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()), "bad.edf");
  } catch (const FormatError& e) {
    return e.what();
  }
  return "(no error)";
}

std::string field(const std::string& s, std::size_t w) {
  std::string o = s;
  o.resize(w, ' ');
  return o;
}

/// A valid one-signal EDF (2 records of 4 samples) to corrupt.
std::string tiny_edf() {
  std::string h = field("0", 8) + field("X X X X", 80) + field("Startdate X X X X", 80) + "01.01.0000.00.00" + field("512", 8) +
                  field("EDF+C", 44) + field("2", 8) + field("1", 8) + field("1", 4);
  h += field("ecg_B", 16) + field("", 80) + field("uV", 8) + field("-100", 8) + field("100", 8) + field("-32768", 8) + field("32767", 8) +
       field("", 80) + field("4", 8) + field("", 32);
  for (int r = 0; r < 2; ++r)
    for (std::int16_t v : {std::int16_t(-32768), std::int16_t(0), std::int16_t(32767), std::int16_t(100)}) h.append(reinterpret_cast<const char*>(&v), 2);
  return h;
}

}  // namespace

TEST(Edf, ReadsMneTestEdf) {
  auto p = edf_dir() / "mne_test.edf";
  if (!std::filesystem::exists(p)) GTEST_SKIP() << "missing " << p;
  EdfFile f = read_edf_file(p);
  EXPECT_FALSE(f.bdf);
  EXPECT_TRUE(f.plus);
  ASSERT_EQ(f.signals.size(), 140u);  // MNE: 139 channels + the annotation signal
  EXPECT_EQ(f.signals[0].label, "A1");
  EXPECT_DOUBLE_EQ(f.signals[0].rate_hz(f.record_duration_s), 512);
  ASSERT_EQ(f.signals[0].values.size(), 3072u);
  // MNE (in volts): -1.5e-05 -3.0e-06 -3.0e-06; signal 1, sample 100: 3e-06.
  EXPECT_NEAR(f.signals[0].values[0], -15, 1e-9);
  EXPECT_NEAR(f.signals[0].values[1], -3, 1e-9);
  EXPECT_NEAR(f.signals[1].values[100], 3, 1e-9);
  ASSERT_EQ(f.annotations.size(), 5u);
  EXPECT_EQ(f.annotations[1].text, "type A");
  EXPECT_DOUBLE_EQ(f.annotations[1].onset_s, 0.1344);
  EXPECT_DOUBLE_EQ(f.annotations[1].duration_s, 0.256);
  EXPECT_DOUBLE_EQ(f.annotations[4].onset_s, 2.5);
  EXPECT_TRUE(f.warnings.empty());
}

TEST(Edf, ReadsMneTestBdf) {
  auto p = edf_dir() / "mne_test.bdf";
  if (!std::filesystem::exists(p)) GTEST_SKIP() << "missing " << p;
  EdfFile f = read_edf_file(p);
  EXPECT_TRUE(f.bdf);
  ASSERT_EQ(f.signals.size(), 73u);
  EXPECT_EQ(f.signals[0].label, "Fp1");
  EXPECT_DOUBLE_EQ(f.signals[0].rate_hz(f.record_duration_s), 2048);
  // MNE (volts): 0.01466058 0.01465514 0.01464705; signal 1 sample 100: 0.012452773864494195.
  EXPECT_NEAR(f.signals[0].values[0], 14660.58, 0.01);
  EXPECT_NEAR(f.signals[0].values[2], 14647.05, 0.01);
  EXPECT_NEAR(f.signals[1].values[100], 12452.773864494195, 1e-6);
}

TEST(Edf, ReadsAnnotationOnlyEdf) {
  auto p = edf_dir() / "test_edfann.edf";
  if (!std::filesystem::exists(p)) GTEST_SKIP() << "missing " << p;
  EdfFile f = read_edf_file(p);
  ASSERT_EQ(f.annotations.size(), 856u);  // as MNE's read_annotations
  EXPECT_EQ(f.annotations[0].text, "Sleep stage W");
  EXPECT_DOUBLE_EQ(f.annotations[0].duration_s, 30);
  EXPECT_EQ(f.annotations[2].text, "Lights off@@EEG F4-A1");
  EXPECT_DOUBLE_EQ(f.annotations[2].onset_s, 33.43);
  EXPECT_DOUBLE_EQ(f.annotations.back().onset_s, 25618.74);
  EXPECT_EQ(f.annotations.back().text, "Lights on@@EEG Fpz-Cz");
}

TEST(Edf, ImportsMneTestEdfAsStreamsAndMarkers) {
  auto p = edf_dir() / "mne_test.edf";
  if (!std::filesystem::exists(p)) GTEST_SKIP() << "missing " << p;
  TempDir tmp;
  auto dir = tmp / "s";
  create_session_dir(dir);
  Manifest m = new_manifest("c", 1, "other");
  EdfImportOptions o;
  o.role = "B";
  import_edf(dir, m, p, o);
  write_manifest(dir, m);
  Session s = Session::open(dir);
  ASSERT_EQ(s.streams.size(), 139u);
  const auto& sc = s.streams[0].sidecar;
  EXPECT_EQ(sc.name, "A1_B");
  EXPECT_EQ(sc.role, "B");
  EXPECT_EQ(sc.units[0], "uV");
  EXPECT_DOUBLE_EQ(sc.nominal_rate_hz, 512);
  auto d = read_stream_data(dir, sc);
  ASSERT_EQ(d.size(), 3072u);
  EXPECT_NEAR(d.time_s[512], 1.0, 1e-12);
  EXPECT_EQ(d.values[0][0], -15);
  ASSERT_EQ(s.markers.size(), 5u);
  EXPECT_EQ(s.markers[4].label, "type A");
  EXPECT_DOUBLE_EQ(s.markers[4].duration_s, 2.5);
}

TEST(Edf, MalformedFilesNameTheByteOffset) {
  EXPECT_EQ(message_of("0       short"), "bad.edf: byte 0: too short for an EDF header (256 bytes expected, found 13)");
  std::string v = tiny_edf();
  v[0] = '7';
  EXPECT_EQ(message_of(v), "bad.edf: byte 0: not an EDF or BDF file (expected the version '0' or '\\xFFBIOSEMI')");
  v = tiny_edf();
  v.replace(236, 8, field("two", 8));
  EXPECT_EQ(message_of(v), "bad.edf: byte 236: number of data records is not a number: 'two'");
  v = tiny_edf();
  v.replace(184, 8, field("768", 8));
  EXPECT_EQ(message_of(v), "bad.edf: byte 184: header size 768 does not match 256 + 256 x 1 signals = 512");
  v = tiny_edf();
  v.replace(256 + 16 + 80 + 8 + 8 + 8 + 8, 8, field("-40000", 8));  // digital maximum below the minimum
  EXPECT_EQ(message_of(v), "bad.edf: byte 384: signal 'ecg_B': digital maximum -40000 is not above the digital minimum -32768");
  v = tiny_edf();
  v.replace(256 + 16 + 80 + 8, 8, field("1,5", 8));
  EXPECT_EQ(message_of(v), "bad.edf: byte 360: signal 'ecg_B': physical minimum is not a number: '1,5'");
  // A file cut inside its second record keeps the first, with a warning.
  v = tiny_edf();
  v.resize(v.size() - 3);
  EdfFile f = read_edf(std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(v.data()), v.size()), "cut.edf");
  ASSERT_EQ(f.signals[0].values.size(), 4u);
  EXPECT_DOUBLE_EQ(f.signals[0].values[0], -100);
  EXPECT_DOUBLE_EQ(f.signals[0].values[2], 100);
  ASSERT_EQ(f.warnings.size(), 1u);
  EXPECT_EQ(f.warnings[0], "cut.edf: byte 520: the data end inside data record 2 of 2; the 1 whole records were kept");
}

TEST(Edf, ImportOfAFileWithoutSamplesIsRefused) {
  // 0 data records: the header is valid, but there is nothing to import; no empty stream is made
  std::string v = tiny_edf();
  v.replace(236, 8, field("0", 8));
  v.resize(512);
  TempDir tmp;
  const auto path = tmp / "empty.edf";
  std::ofstream(path, std::ios::binary) << v;
  auto dir = tmp / "s";
  create_session_dir(dir);
  Manifest m = new_manifest("c", 1, "other");
  try {
    import_edf(dir, m, path);
    FAIL() << "no error";
  } catch (const FormatError& e) {
    EXPECT_EQ(std::string(e.what()), path.string() + ": no signal with samples and no annotations: nothing to import (empty: 'ecg_B')");
  }
  EXPECT_TRUE(m.streams.empty());
}

class EdfExport : public ::testing::TestWithParam<bool> {};

TEST_P(EdfExport, WritesWhatOurReaderAndMneRead) {
  const bool bdf = GetParam();
  TempDir tmp;
  Session s = dyad::test::make_export_session(tmp / "s");
  s.markers.push_back({0.00005, 0, "tiny onset", "n/a", "user"});  // to_chars' shortest would be 5e-05
  auto out = tmp / (bdf ? "s.bdf" : "s.edf");
  export_edf(s, out, bdf, false);
  try {
    export_edf(s, out, bdf, false);
    ADD_FAILURE() << "replaced without force";
  } catch (const FormatError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::exists);
  }
  EdfFile f = read_edf_file(out);
  EXPECT_EQ(f.bdf, bdf);
  EXPECT_TRUE(f.plus);
  EXPECT_EQ(f.records, 3);
  EXPECT_EQ(f.start_date, "20.11.26");
  EXPECT_EQ(f.start_time, "09.15.30");
  ASSERT_EQ(f.signals.size(), 3u);
  EXPECT_EQ(f.signals[0].label, "ecg_A");
  EXPECT_EQ(f.signals[0].unit, "uV");
  EXPECT_EQ(f.signals[0].samples_per_record, 250);
  EXPECT_EQ(f.signals[1].label, "eda_B");
  EXPECT_EQ(f.signals[1].samples_per_record, 4);
  EXPECT_TRUE(f.signals[2].annotation);
  const auto& ecg = f.signals[0];
  const double lsb = (ecg.physical_max - ecg.physical_min) / (static_cast<double>(ecg.digital_max) - ecg.digital_min);
  for (std::size_t k = 0; k < ecg.values.size(); ++k) {
    double t = static_cast<double>(k) / 250;
    if (t > 1.0 && t < 1.5) EXPECT_DOUBLE_EQ(ecg.values[k], ecg.physical_min) << "gap at " << t;  // digital minimum
    else EXPECT_NEAR(ecg.values[k], dyad::test::ecg_value(t), lsb) << t;
  }
  for (std::size_t k = 0; k < 12; ++k) EXPECT_NEAR(f.signals[1].values[k], dyad::test::eda_value(k / 4.0), 1e-3);
  auto has = [&](const std::string& text, double onset, double duration) {
    for (auto& a : f.annotations)
      if (a.text == text && std::abs(a.onset_s - onset) < 1e-6 && std::abs(a.duration_s - duration) < 1e-6) return true;
    return false;
  };
  EXPECT_TRUE(has("baseline", 0, 1));
  EXPECT_TRUE(has("cadss 12", 2, 0));
  EXPECT_TRUE(has("bp_A systolic=120 diastolic=80 mean=93", 0.5, 0));
  EXPECT_TRUE(has("gap A->B", 1.25, 0.5));
  EXPECT_TRUE(has("gap ecg_A", 1.004, 0.496));
  EXPECT_TRUE(has("tiny onset", 0.00005, 0));

  // Round trip through the importer.
  auto dir = tmp / "back";
  create_session_dir(dir);
  Manifest m = new_manifest("c", 1, "other");
  import_edf(dir, m, out);
  write_manifest(dir, m);
  Session b = Session::open(dir);
  ASSERT_EQ(b.streams.size(), 2u);
  EXPECT_EQ(b.streams[0].sidecar.name, "ecg_A");
  EXPECT_EQ(b.streams[1].sidecar.role, "B");
  auto d = read_stream_data(dir, b.streams[0].sidecar);
  // the samples of the original stream, not the gap's digital minimum (import -> export -> import)
  const auto orig = s.streams[0].samples;
  EXPECT_EQ(d.size(), orig);
  for (std::size_t k = 0; k < d.size(); ++k) EXPECT_FALSE(d.time_s[k] > 1.005 && d.time_s[k] < 1.499) << "a gap sample at " << d.time_s[k];
  EXPECT_NEAR(d.values[0][100], dyad::test::ecg_value(0.4), lsb);

  if (!dyad::test::have_python_mne()) GTEST_SKIP() << "MNE not found (/usr/bin/python3 -c 'import mne'): install python3-mne";
  int st = 0;
  std::string py = std::string("/usr/bin/python3 -c \"import mne, json; mne.set_log_level('ERROR'); r = mne.io.") +
                   (bdf ? "read_raw_bdf" : "read_raw_edf") + "('" + out.string() +
                   "', preload=True); d = r.get_data(); print(json.dumps({'ch': r.ch_names, 'sfreq': r.info['sfreq'], 'n': d.shape[1], "
                   "'ecg': [float(x) for x in d[0][::25]], 'ann': [[float(a['onset']), float(a['duration']), a['description']] for a in r.annotations]}))\"";
  std::string outp = dyad::test::run_capture(py, st);
  ASSERT_EQ(st, 0) << outp;
  auto j = nlohmann::json::parse(outp);
  EXPECT_EQ(j["ch"], nlohmann::json({"ecg_A", "eda_B"}));
  EXPECT_DOUBLE_EQ(j["sfreq"].get<double>(), 250);
  EXPECT_EQ(j["n"].get<int>(), 750);
  const auto& e = j["ecg"];
  for (std::size_t i = 0; i < e.size(); ++i) {
    double t = static_cast<double>(i) * 25 / 250;
    if (t > 1.0 && t < 1.5) continue;
    EXPECT_NEAR(e[i].get<double>() * 1e6, dyad::test::ecg_value(t), lsb * 1.01) << "MNE at " << t;
  }
  bool baseline = false, gap = false, cadss = false;
  for (auto& a : j["ann"]) {
    std::string txt = a[2];
    baseline |= txt == "baseline" && std::abs(a[1].get<double>() - 1) < 1e-6;
    gap |= txt == "gap ecg_A" && std::abs(a[0].get<double>() - 1.004) < 1e-6;
    cadss |= txt == "cadss 12" && std::abs(a[0].get<double>() - 2) < 1e-6;
  }
  EXPECT_TRUE(baseline && gap && cadss) << outp;
}

INSTANTIATE_TEST_SUITE_P(EdfOrBdf, EdfExport, ::testing::Bool(), [](auto& i) { return i.param ? "bdf" : "edf"; });
