#pragma once
/// \file The numbers behind the summary dashboard and the clinical report, without Qt: read from
/// features/ (summary.json, windows.tsv, physio_windows.tsv, synchrony.tsv, bp_events.tsv) and
/// from the turns and events the timeline already holds. Small files only, read once when the
/// dashboard or the report first needs them (never when a session opens).
#include <cmath>
#include <string>
#include <vector>

#include "dyad/viewer/model.hpp"

namespace dyad::viewer {

/// What one partner did in the session.
struct PartnerSummary {
  std::string role;
  double speaking_s = NAN;      ///< summary.json partners.<role>.speaking_s (else the talkspurts' sum)
  double speaking_share = NAN;  ///< share of all partners' speaking time, 0..1
  double floor_share = NAN;     ///< share of the floor time, 0..1
  int turns = 0;
  // counted from events.tsv (the entrant is to_role):
  int overlaps_entered = 0;          ///< overlap_between + overlap_within entered
  int interruptions_made = 0;
  int interruptions_successful = 0;  ///< of those, the holder stopped first
  int interrupted = 0;               ///< interruptions suffered (from_role)
  int backchannels_given = 0;
  // from summary.json extensions (NaN when absent):
  double f0_hz_median = NAN;
  double baseline_f0_st = NAN;  ///< the partner's F0 baseline (semitones re 27.5 Hz)
  double hr_bpm = NAN;          ///< mean heart rate over the session
  double rmssd_ms = NAN;
  double scr_per_min = NAN;
};

/// Floor transfer offsets of one direction ("A>B": B took the floor from A), binned.
struct FtoHistogram {
  std::string from, to;
  static constexpr double kLo = -2.0, kHi = 2.0, kBin = 0.2;  ///< seconds; values beyond go to the edge bins
  std::vector<int> counts = std::vector<int>(20, 0);
  int n = 0;
  double median_s = NAN;  ///< linear interpolation between order statistics (R type 7)
  double bin_start(std::size_t i) const noexcept { return kLo + kBin * static_cast<double>(i); }
};

/// One value per window through the session, for one partner.
struct TrendLine {
  std::string role;
  std::vector<double> t_min;  ///< window centre, minutes
  std::vector<double> v;      ///< NaN where undefined
};

/// Windowed cross-correlation of one signal (synchrony.tsv rows of one `signal`).
struct SynchronyLine {
  std::string signal;          ///< hr, eda
  std::vector<double> t_min;   ///< window centre, minutes
  std::vector<double> abs_r;   ///< |peak r|
  std::vector<double> lag_s;
  double surrogate_p95 = NAN;  ///< chance level of one window's |peak r|
  double fraction_above = NAN; ///< share of windows above it, 0..1
  double mean_abs_r = NAN;
};

struct BpReading {
  double t_s = 0;
  std::string role;    ///< "" when the entry does not say whose
  double sys = NAN, dia = NAN;
  std::string source;  ///< the stream name, or "marker"
};

struct SessionSummary {
  bool has_summary_json = false;
  double session_s = 0;
  double analysed_s = NAN;
  int turns = 0, floor_changes = 0;
  int pauses = 0, gaps = 0, overlaps_between = 0, overlaps_within = 0, backchannels = 0, interruptions = 0,
      interruptions_successful = 0;
  double window_s = NAN;  ///< windows.tsv window length
  std::vector<PartnerSummary> partners;
  std::vector<FtoHistogram> fto;            ///< per direction present, A>B before B>A
  std::vector<TrendLine> speaking_share;    ///< per window: partner's speaking / all partners' speaking, %
  std::vector<TrendLine> f0_rel_st;         ///< per window: mean F0 minus the partner's baseline, semitones
  std::vector<TrendLine> hr_bpm;            ///< physio_windows.tsv heart rate, bpm
  std::vector<SynchronyLine> synchrony;     ///< hr then eda
  std::vector<BpReading> bp;
  std::vector<std::string> warnings;

  /// Reads what exists; a damaged file is a warning and its part stays empty.
  static SessionSummary load(const SessionModel& m);
  const PartnerSummary* partner(const std::string& role) const noexcept;
  const FtoHistogram* direction(const std::string& from, const std::string& to) const noexcept;
};

/// One headline number of the session: its name, the value as text (per partner where it has
/// one), and what it means in a sentence (the dashboard's tiles and the report's table).
struct KeyNumber {
  std::string name;
  std::string value;
  std::string meaning;
};
/// The headline numbers, in reading order; those the session lacks are left out.
std::vector<KeyNumber> key_numbers(const SessionSummary& s);

/// Median (R type 7) of the non-NaN values; NaN when none.
double median_of(std::vector<double> v);

/// "Partner A", "Therapist".
std::string role_name(const std::string& role);

}  // namespace dyad::viewer
