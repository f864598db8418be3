#pragma once
/// \file What the timeline shows, without Qt: the session's features, streams and markers as
/// track models, and the helpers that keep drawing bounded by the pixel width (DESIGN.md
/// "Viewer"). Built once when a session opens; read by the GUI thread only afterwards.
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "dyad/formats/session.hpp"
#include "dyad/formats/text.hpp"

namespace dyad::viewer {

struct Range {
  float min = std::numeric_limits<float>::infinity();
  float max = -std::numeric_limits<float>::infinity();
  bool empty() const noexcept { return !(min <= max); }
  void add(float v) noexcept {
    if (v < min) min = v;  // NaN compares false: missing values are skipped
    if (v > max) max = v;
  }
  void add(const Range& r) noexcept {
    if (r.min < min) min = r.min;
    if (r.max > max) max = r.max;
  }
};

/// Min/max of any index range of a series in O(levels * 32) (a pyramid of blocks of 16), so
/// a pixel column costs the same whatever the number of samples behind it. NaN is skipped.
class RangeMinMax {
 public:
  RangeMinMax() = default;
  /// Keeps a pointer to the values (a vector's buffer survives moving the vector, not copying it).
  explicit RangeMinMax(std::span<const float> values);
  RangeMinMax(RangeMinMax&&) noexcept = default;
  RangeMinMax& operator=(RangeMinMax&&) noexcept = default;
  RangeMinMax(const RangeMinMax&) = delete;
  RangeMinMax& operator=(const RangeMinMax&) = delete;
  /// Min/max over values[first, last).
  Range query(std::size_t first, std::size_t last) const noexcept;

 private:
  void scan(std::size_t level, std::size_t a, std::size_t b, Range& r) const noexcept;
  const float* raw_ = nullptr;
  std::size_t n_ = 0;
  std::vector<std::vector<Range>> levels_;  ///< levels_[k] has one Range per 16^(k+1) values
};

/// A numeric track: F0, intensity, a sensor column, heart rate from beats.
struct Series {
  std::string id;      ///< stable key, e.g. "f0:A", "stream:eda_A:eda"
  std::string title;   ///< e.g. "A · F0"
  std::string unit;    ///< e.g. "Hz"
  std::string role;    ///< "" when none
  std::span<const double> t;  ///< sample times, s (into `storage`)
  std::span<const float> v;   ///< values, NaN where missing (into `storage`)
  /// What t and v point into: a mapped cache file (formats::ColumnsView), or vectors the series
  /// owns (set_data). Shared, so series of one stream share one mapping.
  std::shared_ptr<const void> storage;
  RangeMinMax mm;
  double gap_s = 0;          ///< a jump in time longer than this breaks the line
  float lo = 0, hi = 1;      ///< display range (robust: 1st..99th percentile, widened a little)
  bool dots = false;         ///< irregular readings (beats, hr): also draw points when zoomed in
  void finish();             ///< computes mm, gap_s, lo, hi
  /// Times and values held by the series itself.
  void set_data(std::vector<double> times, std::vector<float> values);
  /// Index of the first sample at or after `time_s`.
  std::size_t index_at(double time_s) const noexcept;
};

struct Interval {
  double start_s = 0, end_s = 0;
};

/// First interval of a list sorted by start with non-overlapping members that ends after t.
std::size_t first_visible(const std::vector<Interval>& v, double t) noexcept;

struct Speech {
  std::string role;
  std::vector<Interval> talkspurts;  ///< features/segments.tsv
  std::vector<Interval> turns;       ///< features/turns.tsv
};

/// One row of features/turns.tsv. Columns added by later analyses are NaN when absent.
struct Turn {
  int number = 0;
  std::string role;
  double start_s = 0, end_s = 0, fto_s = 0;  ///< fto_s NaN for turn 1
  std::string prev_role;                     ///< holder of the previous turn ("" when none)
  double f0_rel_st = NAN;                    ///< f0_st_mean_rel: mean F0 minus the speaker's baseline (semitones)
  double intensity_rel_db = NAN;             ///< intensity_db_mean_rel: mean intensity minus the baseline (dB)
  double hr_change_bpm = NAN;                ///< speaker's HR during the turn minus the 5 s before it
  double listener_hr_change_bpm = NAN;       ///< the other partner's HR after the turn minus before it
  double duration_s() const noexcept { return end_s - start_s; }
};

/// One type of turn-taking event (events.tsv), intervals sorted by start.
struct EventLane {
  std::string type;  ///< pause, gap, overlap_between, overlap_within, backchannel, interruption
  std::vector<Interval> items;
  std::vector<std::string> from, to;
  std::vector<signed char> successful;  ///< interruptions: 1 successful, 0 not, -1 n/a
};

/// Blood-pressure readings (a `bp` stream, or markers such as `bp 120/80`).
struct BpTrack {
  std::string id, title, role;
  std::vector<double> t;
  std::vector<float> sys, dia, mean;
};

enum class TrackKind { waveform, speech, events, series, bp, clinical, markers, phases };

/// One row of the timeline. Which data it draws: `index` into the model's lists.
struct Track {
  std::string id;       ///< stable key ("wave:A", "speech:A", "events", series ids, "bp:...", ...)
  std::string title;    ///< first line of its label
  std::string caption;  ///< second line (unit, what it is)
  TrackKind kind = TrackKind::markers;
  std::string role;
  int index = -1;       ///< audio channel (0-based), speech/series/bp index
  int height = 40;      ///< preferred height in pixels
  bool visible = true;
};

/// Everything a session's timeline can show. Files that are absent give no track; a file that
/// cannot be read gives a warning and no track (the viewer still opens).
struct SessionModel {
  formats::Session session;
  std::vector<std::string> channel_roles;  ///< role per audio channel ("" when unmapped)
  std::vector<Speech> speech;
  std::vector<Turn> turns;
  std::vector<EventLane> events;  ///< only types that occur, in a fixed order
  std::vector<Series> series;
  std::vector<BpTrack> bp;
  std::vector<formats::Marker> phases;    ///< markers with a duration
  std::vector<formats::Marker> points;    ///< markers without duration or value
  std::vector<formats::Marker> clinical;  ///< markers with a value ("120/80", "12")
  std::vector<std::string> warnings;
  double duration_s = 0;

  static SessionModel load(const formats::Session& s);
  /// Whether `dyad analyze` has run: a file in features/ itself (features/ may also hold just the
  /// viewer's own caches, in features/overview/).
  bool analysed() const;
  /// Files a marker among phases, points or clinical entries (and a `bp 120/80` entry among the
  /// blood-pressure readings), as load() does; used when a note is added in the viewer.
  void add_marker(const formats::Marker& m);
  /// The tracks in their default order (ELAN-like: per partner waveform then speech...).
  std::vector<Track> default_tracks() const;
};

/// The event types in display order.
const std::vector<std::string>& event_types();

/// Numeric columns of a TSV (formats/text.hpp).
using formats::read_numeric_columns;

/// Seconds as "h:mm:ss", "m:ss" or with decimals: `decimals` 0..3.
std::string format_clock(double seconds, int decimals, bool hours);
/// A tick step for a time axis: the smallest "nice" step (1-2-5 below a second, then 1, 2, 5,
/// 10, 15, 30 s, 1, 2, 5, 10, 15, 30 min, 1, 2 h) whose spacing is at least `min_px`.
double nice_time_step(double seconds_per_px, double min_px);
/// A nice step for a value axis spanning `span` in about `ticks` steps.
double nice_value_step(double span, int ticks);

}  // namespace dyad::viewer
