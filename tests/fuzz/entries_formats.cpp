// Fuzz entries for every parser of formats/ (see entries.hpp).
#include <cmath>
#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unistd.h>
#include <span>
#include <vector>

#include "dyad/formats/annotations.hpp"
#include "dyad/formats/edf.hpp"
#include "dyad/formats/error.hpp"
#include "dyad/formats/features.hpp"
#include "dyad/formats/import.hpp"
#include "dyad/formats/manifest.hpp"
#include "dyad/formats/markers.hpp"
#include "dyad/formats/overview.hpp"
#include "dyad/formats/seal.hpp"
#include "dyad/formats/stream.hpp"
#include "dyad/formats/text.hpp"
#include "dyad/formats/xdf.hpp"
#include "dyad/formats/xml.hpp"
#include "entries.hpp"

namespace dyad::fuzz {

namespace {
namespace f = dyad::formats;

std::string text_of(const std::uint8_t* d, std::size_t n) { return std::string(reinterpret_cast<const char*>(d), n); }

int manifest(const std::uint8_t* d, std::size_t n) {
  try {
    auto m = f::parse_manifest(text_of(d, n), "session.json");
    const std::string once = f::serialise_manifest(m);
    auto again = f::parse_manifest(once, "session.json (rewritten)");
    check(f::serialise_manifest(again) == once, "a manifest dyad writes reads back the same");
    for (auto& c : m.audio ? m.audio->channels : std::vector<f::AudioChannel>{}) (void)m.channel_of_role(c.role);
  } catch (const f::FormatError&) {
  }
  return 0;
}

int sidecar(const std::uint8_t* d, std::size_t n) {
  try {
    auto s = f::parse_sidecar(text_of(d, n), "ecg_A.json");
    const std::string once = f::serialise_sidecar(s);
    auto again = f::parse_sidecar(once, "ecg_A.json (rewritten)");
    check(f::serialise_sidecar(again) == once, "a sidecar dyad writes reads back the same");
    (void)s.clock.map(1.0);
  } catch (const f::FormatError&) {
  }
  return 0;
}

/// The first byte chooses the sidecar's column count (1..4); the rest is the TSV.
int stream(const std::uint8_t* d, std::size_t n) {
  if (n < 1) return 0;
  f::StreamSidecar s;
  s.name = "x_A";
  s.role = "A";
  const std::size_t nc = 1 + d[0] % 4;
  for (std::size_t c = 0; c < nc; ++c) s.columns.push_back("v" + std::to_string(c + 1));
  s.units.assign(nc, "");
  try {
    auto data = f::parse_stream_data(text_of(d + 1, n - 1), s, "x_A.tsv");
    check(data.values.size() == nc, "one value vector per column");
    for (auto& v : data.values) check(v.size() == data.size(), "every column as long as time_s");
    check(data.device_time_s.size() == data.size(), "device_time_s as long as time_s");
    for (std::size_t i = 1; i < data.size(); ++i) check(!(data.time_s[i] < data.time_s[i - 1]), "time_s never goes back");
    // The stream reader's own row and number parsing against the generic table reader's
    // (parse_number, std::from_chars): the same rows, the same doubles to the bit.
    std::istringstream in(text_of(d + 1, n - 1));
    const auto t = f::read_table(in, "x_A.tsv");
    check(t.rows.size() == data.size(), "as many rows as the table reader reads");
    auto same = [](double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0 || (std::isnan(a) && std::isnan(b)); };
    for (std::size_t r = 0; r < t.rows.size(); ++r) {
      check(same(t.number(r, 0), data.time_s[r]), "time_s as the table reader reads it");
      check(same(t.number(r, 1), data.device_time_s[r]), "device_time_s as the table reader reads it");
      for (std::size_t c = 0; c < nc; ++c) check(same(t.number(r, c + 2), data.values[c][r]), "values as the table reader reads them");
    }
  } catch (const f::FormatError&) {
  }
  return 0;
}

int markers(const std::uint8_t* d, std::size_t n) {
  try {
    auto m = f::parse_markers(text_of(d, n), "markers.tsv");
    const std::string once = f::serialise_markers(m);
    auto again = f::parse_markers(once, "markers.tsv (rewritten)");
    check(again.size() == m.size(), "markers dyad writes read back as many");
    check(f::serialise_markers(again) == once, "markers dyad writes read back the same");
    (void)f::exclusion_intervals(m);
  } catch (const f::FormatError&) {
  }
  return 0;
}

/// segments.tsv and events.tsv (features/, truth/, annotations/): the first byte chooses.
int features(const std::uint8_t* d, std::size_t n) {
  if (n < 1) return 0;
  const std::string text = text_of(d + 1, n - 1);
  try {
    if (d[0] & 1) {
      auto s = f::parse_segments(text, "segments.tsv");
      const std::string once = f::serialise_segments(s);
      check(f::serialise_segments(f::parse_segments(once, "segments.tsv (rewritten)")) == once, "segments read back the same");
    } else {
      auto e = f::parse_events(text, "events.tsv");
      const std::string once = f::serialise_events(e);
      check(f::serialise_events(f::parse_events(once, "events.tsv (rewritten)")) == once, "events read back the same");
    }
  } catch (const f::FormatError&) {
  }
  return 0;
}

/// A physiology CSV/TSV as `dyad import --physio` reads it; the first byte chooses the options.
int physio(const std::uint8_t* d, std::size_t n) {
  if (n < 1) return 0;
  f::PhysioImport spec;
  spec.role = "A";
  if (d[0] & 1) spec.time_column = "time";
  else spec.rate_hz = 100;
  if (d[0] & 2) spec.column_kinds["ecg"] = "ecg";
  if (d[0] & 4) spec.offset_s = 1.5;
  try {
    auto streams = f::parse_physio(text_of(d + 1, n - 1), "physio.csv", spec, (d[0] & 8) != 0);
    for (auto& s : streams) {
      check(f::is_valid_stream_name(s.sidecar.name), "stream names are valid file names");
      check(s.data.values.size() == 1 && s.data.values[0].size() == s.data.size(), "one column per stream");
    }
  } catch (const f::FormatError&) {
  }
  return 0;
}

int xdf(const std::uint8_t* d, std::size_t n) {
  try {
    auto file = f::read_xdf(std::span<const std::uint8_t>(d, n), "f.xdf");
    for (auto& s : file.streams) {
      if (s.is_string()) check(s.strings.size() == s.samples(), "a string sample per stamp");
      else check(s.values.size() == s.samples() * static_cast<std::size_t>(s.channel_count), "channel_count values per stamp");
      auto sync = f::synchronise_xdf_clock(s);
      check(sync.times.size() == s.samples(), "a corrected stamp per sample");
    }
  } catch (const f::FormatError&) {
  }
  return 0;
}

int edf(const std::uint8_t* d, std::size_t n) {
  try {
    auto file = f::read_edf(std::span<const std::uint8_t>(d, n), "f.edf");
    check(file.record_onsets_s.size() == static_cast<std::size_t>(file.records), "an onset per data record");
    for (auto& s : file.signals)
      if (!s.annotation)
        check(s.values.size() == static_cast<std::size_t>(file.records) * static_cast<std::size_t>(s.samples_per_record),
              "samples_per_record values per record");
  } catch (const f::FormatError&) {
  }
  return 0;
}

void tiers_to_segments(const std::vector<f::AnnotationTier>& tiers, const std::string& label) {
  try {
    auto segs = f::segments_from_tiers(tiers, {}, {}, label);
    for (auto& s : segs) check(s.end_s > s.start_s, "talkspurts have a positive length");
  } catch (const f::FormatError&) {
  }
}

int textgrid(const std::uint8_t* d, std::size_t n) {
  try {
    tiers_to_segments(f::parse_textgrid(text_of(d, n), "f.TextGrid"), "f.TextGrid");
  } catch (const f::FormatError&) {
  }
  return 0;
}

int eaf(const std::uint8_t* d, std::size_t n) {
  try {
    tiers_to_segments(f::parse_eaf(text_of(d, n), "f.eaf"), "f.eaf");
  } catch (const f::FormatError&) {
  }
  return 0;
}

int rttm(const std::uint8_t* d, std::size_t n) {
  try {
    auto tiers = f::parse_rttm(text_of(d, n), "f.rttm");
    for (auto& t : tiers)
      for (std::size_t i = 0; i < t.items.size(); ++i) {
        check(t.items[i].end_s >= t.items[i].start_s, "an RTTM turn ends after it starts");
        check(i == 0 || t.items[i].start_s >= t.items[i - 1].end_s, "a speaker's RTTM turns are merged and in order");
      }
    tiers_to_segments(tiers, "f.rttm");
  } catch (const f::FormatError&) {
  }
  return 0;
}

/// The small XML reader of XDF headers: its documented error is std::runtime_error.
int xml(const std::uint8_t* d, std::size_t n) {
  try {
    auto root = f::parse_xml(std::string_view(reinterpret_cast<const char*>(d), n));
    (void)root.value("desc/channels/channel/label");
    (void)f::xml_escape(root.text);
  } catch (const std::runtime_error&) {
  }
  return 0;
}

/// The viewer's audio overview cache (features/overview/audio.minmax), as mapped from disk.
int overview(const std::uint8_t* d, std::size_t n) {
  std::vector<float> aligned((n + sizeof(float) - 1) / sizeof(float));
  if (n) std::memcpy(aligned.data(), d, n);
  try {
    f::Overview o(std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(aligned.data()), n), "audio.minmax");
    std::vector<f::MinMax> cols(16);
    for (int c = 0; c < o.channels() && c < 4; ++c) {
      (void)o.columns(c, 0, static_cast<double>(o.frames()), cols);
      (void)o.columns(c, -100, static_cast<double>(o.frames()) / 3, std::span<f::MinMax>(cols.data(), 3));
    }
  } catch (const f::FormatError&) {
  }
  return 0;
}
/// The entries of a decrypted sealed archive (what `dyad unseal` writes files from), fed in
/// pieces whose sizes come from the input, into a sink that checks what it is given.
struct CheckingSink : f::ArchiveSink {
  std::uint64_t left = 0;
  bool open = false;
  void folder(const std::string& p) override { check(f::is_safe_archive_path(p), "only safe paths reach the sink"); }
  void file_begin(const std::string& p, std::uint64_t size) override {
    check(!open && f::is_safe_archive_path(p), "one file at a time, safe paths");
    left = size;
    open = true;
  }
  void file_data(std::span<const std::uint8_t> b) override {
    check(open && b.size() <= left, "no more bytes than the entry's size");
    left -= b.size();
  }
  void file_end() override {
    check(open && left == 0, "a file ends after exactly its size");
    open = false;
  }
};

int seal_entries(const std::uint8_t* d, std::size_t n) {
  if (n < 1) return 0;
  const std::size_t piece = 1 + d[0] % 64;
  CheckingSink sink;
  f::ArchiveEntryReader r(sink, "s.dyadseal");
  try {
    for (std::size_t i = 1; i < n; i += piece) r.feed(std::span<const std::uint8_t>(d + i, std::min(piece, n - i)));
  } catch (const f::FormatError&) {
  }
  return 0;
}

/// The viewer's binary caches of streams and tables (features/overview/streams/*.bin and
/// tables/*.bin, read by read_stream_columns, cached_stream_extent, read_table_columns): the input
/// is the cache file of a small, valid session. A damaged cache must count as absent (the TSV is
/// read instead), never crash nor ask for unbounded memory. The first byte chooses the file (bit
/// 0: a stream, else a table) and which header fields are set right so the fuzzer gets past them
/// (bit 1: magic and version; bit 2: the column count; bit 3: the source's size and mtime).
struct CacheSession {
  std::filesystem::path dir;
  f::StreamSidecar sidecar;
  std::filesystem::path table;
  std::vector<std::string> table_columns = {"time_s", "f0_hz", "intensity_db"};
  f::StreamData stream_truth;
  std::vector<std::vector<double>> table_truth;
  CacheSession() {
    dir = std::filesystem::temp_directory_path() / ("dyad-fuzz-caches-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir / "streams");
    std::filesystem::create_directories(dir / "features");
    sidecar.name = "ecg_A";
    sidecar.role = "A";
    sidecar.columns = {"ecg", "resp"};
    sidecar.units = {"mV", "a.u."};
    std::ofstream(dir / "streams" / "ecg_A.tsv") << "time_s\tdevice_time_s\tecg\tresp\n0\t10\t0.1\t1\n0.004\t10.004\tn/a\t2\n0.008\t10.008\t-0.3\t3\n";
    table = dir / "features" / "prosody_A.tsv";
    std::ofstream(table) << "time_s\tf0_hz\tintensity_db\tvoiced\n0\tn/a\t-3\t0\n0.01\t120.5\t61\t1\n0.02\t121\t62\t1\n";
    stream_truth = f::read_stream_data(dir, sidecar);
    table_truth = f::read_numeric_columns(table, table_columns);
  }
  ~CacheSession() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
};

bool same(double a, double b) { return a == b || (std::isnan(a) && std::isnan(b)); }

int column_cache(const std::uint8_t* d, std::size_t n) {
  static CacheSession cs;
  if (n < 1) return 0;
  const bool is_stream = d[0] & 1;
  std::string bytes = text_of(d + 1, n - 1);
  const auto source = is_stream ? f::stream_tsv_path(cs.dir, cs.sidecar.name) : cs.table;
  const std::uint32_t columns = 2;  // ecg, resp; f0_hz, intensity_db
  const auto [size, mtime] = f::file_size_and_mtime(source);
  auto put = [&](std::size_t at, const void* v, std::size_t len) {
    if (bytes.size() >= at + len) std::memcpy(bytes.data() + at, v, len);
  };
  if (d[0] & 2) {
    const std::uint32_t version = 1;
    put(0, "DYADSTC1", 8);
    put(8, &version, 4);
  }
  if (d[0] & 4) put(12, &columns, 4);
  if (d[0] & 8) {
    put(24, &size, 8);
    put(32, &mtime, 8);
  }
  const auto rel = is_stream ? std::filesystem::path("streams") / "ecg_A.bin" : std::filesystem::path("tables") / "prosody_A.tsv-time_s-f0_hz-intensity_db.bin";
  const auto cache = cs.dir / "features" / "overview" / rel;
  std::filesystem::create_directories(cache.parent_path());
  std::ofstream(cache, std::ios::binary | std::ios::trunc).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  // the harness's own judgement: a cache is valid when its header matches the source and its size
  // is exactly the header plus its rows (computed without overflow)
  bool valid = false;
  std::uint64_t rows = 0;
  if (bytes.size() >= 40) {
    std::uint32_t version = 0, cols = 0;
    std::uint64_t src_size = 0;
    std::int64_t src_mtime = 0;
    std::memcpy(&version, bytes.data() + 8, 4);
    std::memcpy(&cols, bytes.data() + 12, 4);
    std::memcpy(&rows, bytes.data() + 16, 8);
    std::memcpy(&src_size, bytes.data() + 24, 8);
    std::memcpy(&src_mtime, bytes.data() + 32, 8);
    const std::uint64_t per_row = 8 + 4 * std::uint64_t{columns};
    valid = std::memcmp(bytes.data(), "DYADSTC1", 8) == 0 && version == 1 && cols == columns && src_size == size &&
            src_mtime == mtime && (bytes.size() - 40) % per_row == 0 && (bytes.size() - 40) / per_row == rows;
  }
  auto cached_time = [&](std::size_t i) {
    double t;
    std::memcpy(&t, bytes.data() + 40 + 8 * i, 8);
    return t;
  };
  auto cached_value = [&](std::size_t k, std::size_t i) {
    float v;
    std::memcpy(&v, bytes.data() + 40 + 8 * rows + 4 * (k * rows + i), 4);
    return v;
  };
  try {
    f::StreamColumns c;
    if (is_stream) {
      auto e = f::cached_stream_extent(cs.dir, cs.sidecar);
      check(e.has_value() == valid, "the extent comes from a valid cache only");
      if (e) {
        check(e->samples == rows, "the extent counts the cache's rows");
        if (rows > 0) check(same(e->first_s, cached_time(0)) && same(e->last_s, cached_time(rows - 1)), "the extent's times");
      }
      c = f::read_stream_columns(cs.dir, cs.sidecar);
    } else {
      c = f::read_table_columns(cs.dir, cs.table, cs.table_columns);
    }
    check(c.values.size() == columns, "a value vector per column");
    for (auto& v : c.values) check(v.size() == c.time_s.size(), "every column as long as time_s");
    const std::size_t want = valid ? rows : 3;
    check(c.time_s.size() == want, valid ? "a valid cache's rows" : "a damaged cache counts as absent: the TSV's rows");
    for (std::size_t i = 0; i < want; ++i) {
      check(same(c.time_s[i], valid ? cached_time(i) : is_stream ? cs.stream_truth.time_s[i] : cs.table_truth[0][i]), "time_s");
      for (std::size_t k = 0; k < columns; ++k)
        check(same(c.values[k][i], valid ? cached_value(k, i)
                                         : static_cast<float>(is_stream ? cs.stream_truth.values[k][i] : cs.table_truth[k + 1][i])),
              "values");
    }
  } catch (const f::FormatError&) {
    check(false, "the session's TSVs are valid: only the cache is damaged, and a damaged cache is no error");
  }
  return 0;
}

/// The numeric columns of a features table (read_numeric_columns: the viewer's F0, intensity and
/// heart-rate tracks); the first byte chooses which columns are asked for.
int numeric_columns(const std::uint8_t* d, std::size_t n) {
  if (n < 1) return 0;
  static const std::vector<std::vector<std::string>> asks = {
      {"time_s", "f0_hz"}, {"time_s"}, {"time_s", "f0_hz", "intensity_db"}, {"start_s", "end_s", "a"}};
  const auto& cols = asks[d[0] % asks.size()];
  std::istringstream in(text_of(d + 1, n - 1));
  try {
    auto out = f::read_numeric_columns(in, "features/prosody_A.tsv", cols);
    check(out.size() == cols.size(), "one vector per column asked for");
    for (auto& v : out) check(v.size() == out[0].size(), "columns of the same length");
  } catch (const f::FormatError&) {
  }
  return 0;
}

/// A line typed while recording or in the viewer's notes (parse_marker_command): what it gives
/// must land in markers.tsv as exactly one marker that reads back the same.
int marker_command(const std::uint8_t* d, std::size_t n) {
  auto c = f::parse_marker_command(text_of(d, n), "recorder");
  check(!(c.marker && c.stop) && !(c.marker && !c.error.empty()), "a marker, stop or an error, not two");
  if (!c.marker) return 0;
  const auto& m = *c.marker;
  check(!m.label.empty() && !m.value.empty(), "a marker has a label and a value");
  if (std::find(f::clinical_labels().begin(), f::clinical_labels().end(), m.label) != f::clinical_labels().end())
    check(f::clinical_entry_error(m.label, m.value).empty(), "a clinical entry is valid");
  try {
    const std::string once = f::serialise_markers({m});
    auto back = f::parse_markers(once, "markers.tsv");
    check(back.size() == 1, "one typed line is one marker in markers.tsv");
    check(back[0].label == m.label, "the label reads back");
    check(f::serialise_markers(back) == once, "the marker reads back the same");
  } catch (const f::FormatError& e) {
    check(false, "what the marker command gives must be writable to markers.tsv");
  }
  return 0;
}

/// The header of a sealed archive, read before the key is derived (parse_seal_header).
int seal_header(const std::uint8_t* d, std::size_t n) {
  try {
    auto h = f::parse_seal_header(std::span<const std::uint8_t>(d, std::min<std::size_t>(n, 72)), "s.dyadseal");
    check(n >= 72 && h.version == 1 && h.kdf == 2, "an accepted header is complete, version 1, Argon2id");
    check(h.opslimit <= f::kMaxSealOpslimit && h.memlimit <= f::kMaxSealMemlimit, "bounded key derivation");
    check(std::memcmp(h.salt.data(), d + 32, 16) == 0 && std::memcmp(h.stream_header.data(), d + 48, 24) == 0,
          "salt and stream header as written");
  } catch (const f::FormatError&) {
  }
  return 0;
}
}  // namespace

const std::vector<Target>& formats_targets() {
  static const std::vector<Target> t = {
      {"manifest", manifest}, {"sidecar", sidecar}, {"stream", stream},     {"markers", markers},
      {"features", features}, {"physio", physio},   {"xdf", xdf},           {"edf", edf},
      {"textgrid", textgrid}, {"eaf", eaf}, {"rttm", rttm},        {"xml", xml},           {"overview", overview},
      {"seal_entries", seal_entries}, {"column_cache", column_cache}, {"numeric_columns", numeric_columns},
      {"marker_command", marker_command}, {"seal_header", seal_header},
  };
  return t;
}

}  // namespace dyad::fuzz
