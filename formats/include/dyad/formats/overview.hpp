#pragma once
/// \file The audio overview: a min/max summary pyramid of audio.wav, cached under
/// `features/overview/audio.minmax` so a viewer can draw hours of audio at any zoom without
/// touching raw samples (DESIGN.md "Viewer").
///
/// File layout (little-endian, as the machine writes it; the magic refuses anything else):
///
///     header   "DYADMMX1" u32 version u32 channels f64 sample_rate_hz i64 frames
///              u64 audio_size_bytes i64 audio_mtime_ns u32 base_frames u32 factor u32 levels u32 0
///     levels   per level: u64 bin_frames u64 bins u64 byte_offset
///     data     per level, per bin, per channel: f32 min, f32 max
///
/// Level 0 summarises `base_frames` frames per bin, level k `base_frames * factor^k`; the last bin
/// of a level may be partial. min and max are exact: the smallest and largest sample of the bin.
/// The cache is stale (and rebuilt) when audio.wav's size or modification time differ from the
/// header's.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "dyad/formats/stream.hpp"

namespace dyad::formats {

struct OverviewConfig {
  std::uint32_t base_frames = 64;  ///< frames per bin of level 0 (>= 1)
  std::uint32_t factor = 4;        ///< bins of level k merged per bin of level k+1 (>= 2)
};

struct OverviewLevel {
  std::uint64_t bin_frames = 0;
  std::uint64_t bins = 0;
  std::uint64_t offset = 0;  ///< byte offset of the level's data in the file
};

/// One min/max pair.
struct MinMax {
  float min = 0, max = 0;
};

/// Builds the pyramid of `audio` into `out` by streaming the audio once (memory bounded by a
/// few buffers per level, whatever the length). Writes `out.tmp` then renames it (atomic).
/// `progress` (fraction 0..1) is called now and then from the calling thread. Throws FormatError.
void build_overview(const std::filesystem::path& audio, const std::filesystem::path& out,
                    const OverviewConfig& config = {}, const std::function<void(double)>& progress = {});

/// A pyramid file, memory-mapped read-only (opening costs no reading). Any thread may read.
class Overview {
 public:
  /// Maps `path`; throws FormatError(unrecognised|malformed|io) naming the file.
  explicit Overview(const std::filesystem::path& path);
  /// An overview held in memory (not copied: `bytes` must outlive it and be aligned for float);
  /// `label` names it in messages. The same checks as a file.
  Overview(std::span<const std::uint8_t> bytes, const std::string& label);
  ~Overview();
  Overview(const Overview&) = delete;
  Overview& operator=(const Overview&) = delete;

  int channels() const noexcept { return channels_; }
  double sample_rate_hz() const noexcept { return rate_; }
  std::int64_t frames() const noexcept { return frames_; }
  std::uint64_t audio_size() const noexcept { return audio_size_; }
  std::int64_t audio_mtime_ns() const noexcept { return audio_mtime_ns_; }
  const std::vector<OverviewLevel>& levels() const noexcept { return levels_; }

  /// The min/max of bin `bin` of `level` for a 0-based channel (no bounds check in release).
  MinMax bin(std::size_t level, std::uint64_t bin, int channel) const noexcept;

  /// Fills `out` with one min/max per column for frames [first, last) cut into out.size() equal
  /// columns, from the coarsest level with at least two bins per column. Columns outside the
  /// audio, or with no bin, get NaN. Returns the level used, or -1 when even level 0 is too
  /// coarse (then the caller should summarise raw samples: fewer than 2*base_frames per column).
  int columns(int channel, double first_frame, double last_frame, std::span<MinMax> out) const noexcept;

  /// True when the file was built from `audio` as it is now (same size and mtime).
  bool matches(const std::filesystem::path& audio) const;

 private:
  void init(const unsigned char* bytes, std::size_t size, const std::string& label);
  void* map_ = nullptr;
  std::size_t map_size_ = 0;
  const float* data_ = nullptr;  ///< start of the file, as floats
  int channels_ = 0;
  double rate_ = 0;
  std::int64_t frames_ = 0;
  std::uint64_t audio_size_ = 0;
  std::int64_t audio_mtime_ns_ = 0;
  std::uint32_t base_frames_ = 0, factor_ = 0;
  std::vector<OverviewLevel> levels_;
};

/// Size and modification time (ns since the epoch) of a file, as the cache records them.
std::pair<std::uint64_t, std::int64_t> file_size_and_mtime(const std::filesystem::path& p);

/// The cache path of a session's audio overview: <session>/features/overview/audio.minmax.
std::filesystem::path overview_path(const std::filesystem::path& session_dir);

/// Opens the session's cached overview, building it first when it is missing or stale. When the
/// session folder is not writable, builds into the system temporary folder instead.
/// `built` (optional) tells whether a build happened.
std::filesystem::path ensure_overview(const std::filesystem::path& session_dir, const std::filesystem::path& audio,
                                      const std::function<void(double)>& progress = {}, bool* built = nullptr,
                                      const OverviewConfig& config = {});

/// One stream's times and values, as a viewer draws them.
struct StreamColumns {
  std::vector<double> time_s;
  std::vector<std::vector<float>> values;  ///< values[column][row]; NaN for n/a
};

/// The cache path of a stream's binary copy: <session>/features/overview/streams/<name>.bin.
/// Layout (little-endian, as the machine writes it): "DYADSTC1" u32 version u32 columns u64 rows
/// u64 tsv_size_bytes i64 tsv_mtime_ns, then f64 time_s[rows], then per column f32 values[rows].
std::filesystem::path stream_cache_path(const std::filesystem::path& session_dir, const std::string& name);

/// A stream's extent from its cache when the cache matches the TSV (no reading of rows), else
/// nullopt. The rows were checked when the cache was built.
std::optional<StreamExtent> cached_stream_extent(const std::filesystem::path& session_dir, const StreamSidecar& s);

/// Numeric columns of a table under features/ (F0, intensity, heart rate) through a binary cache
/// (features/overview/tables/): `columns[0]` as time (f64), the others as f32. Throws as
/// read_numeric_columns does.
StreamColumns read_table_columns(const std::filesystem::path& session_dir, const std::filesystem::path& tsv,
                                 const std::vector<std::string>& columns);

/// Numeric columns as views: into a cache file mapped read-only (a cached open copies nothing
/// and reads only the pages that are touched), or into columns parsed from the TSV that the
/// object owns. `storage` keeps the memory alive: the spans stay valid as long as a copy of it
/// does, whatever happens to the view object. A mapped cache is replaced only by renaming a new
/// file over it (never rewritten in place), so a mapping in use keeps the old, whole file.
struct ColumnsView {
  std::span<const double> time_s;
  std::vector<std::span<const float>> values;  ///< values[column][row]; NaN for n/a
  std::shared_ptr<const void> storage;
  bool mapped = false;  ///< true when the spans point into a mapped cache file
};

/// read_stream_columns without copying a fresh cache: the view maps it.
ColumnsView map_stream_columns(const std::filesystem::path& session_dir, const StreamSidecar& s);
/// read_table_columns without copying a fresh cache: the view maps it.
ColumnsView map_table_columns(const std::filesystem::path& session_dir, const std::filesystem::path& tsv,
                              const std::vector<std::string>& columns);

/// streams/<name>.tsv through its binary cache, so hours of samples open without parsing text:
/// the cached copy when it matches the TSV's size and modification time, else the TSV (checked as
/// read_stream_data checks it) and a new cache (in the system temporary folder when the session
/// is read-only; none when neither is writable). Throws FormatError for a bad TSV.
StreamColumns read_stream_columns(const std::filesystem::path& session_dir, const StreamSidecar& s);

}  // namespace dyad::formats
