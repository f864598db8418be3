// Fuzz entries for every parser of formats/ (see entries.hpp).
#include <cmath>
#include <algorithm>
#include <cstring>
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
}  // namespace

const std::vector<Target>& formats_targets() {
  static const std::vector<Target> t = {
      {"manifest", manifest}, {"sidecar", sidecar}, {"stream", stream},     {"markers", markers},
      {"features", features}, {"physio", physio},   {"xdf", xdf},           {"edf", edf},
      {"textgrid", textgrid}, {"eaf", eaf},         {"xml", xml},           {"overview", overview},
      {"seal_entries", seal_entries},
  };
  return t;
}

}  // namespace dyad::fuzz
