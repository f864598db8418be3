#pragma once
/// \file One tidy table of features across sessions (`dyad table`), ready for R and pandas.
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace dyad::formats {

/// One value: a metric of one role (or the dyad) in one unit of one session.
struct TidyRow {
  std::string session_id, couple_id;
  std::int64_t session_number = 0;
  std::string session_type;
  std::string role;   ///< A, B, therapist, or "dyad" for values of the pair
  std::string table;  ///< turns, windows, physio_windows, synchrony, summary
  std::string unit;   ///< turn, window or session
  std::string index;  ///< the turn or window number ("n/a" for session values)
  double start_s = NAN, end_s = NAN;
  std::string metric;
  double value = NAN;
};

struct TidyTable {
  std::vector<TidyRow> rows;
  std::vector<std::string> warnings;  ///< e.g. a session without features/, a non-numeric column skipped
};

/// Reads features/ of each session: turns.tsv, windows.tsv, physio_windows.tsv, synchrony.tsv
/// (every numeric column that is not an identifier becomes a metric; a `signal` column prefixes
/// the metric name) and summary.json (every number, its path joined with '.', a key A/B/therapist
/// sets the role; `parameters` is skipped). Throws FormatError on a malformed table.
TidyTable gather_features(const std::vector<std::filesystem::path>& sessions);
/// Only the session values (summary.json), e.g. for the viewer's course of treatment: the turn and
/// window tables of hours-long sessions are not read.
TidyTable gather_session_values(const std::vector<std::filesystem::path>& sessions);

/// The long table as CSV: session_id,couple_id,session_number,session_type,role,table,unit,index,
/// start_s,end_s,metric,value (n/a for missing).
std::string tidy_csv(const TidyTable& t);

/// One row per session: the identifiers, then every session value as <metric>_<role> (no suffix
/// for the dyad) and the mean of every turn/window metric as <table>.<metric>.mean_<role>; columns
/// sorted, n/a where a session lacks one.
std::string wide_csv(const TidyTable& t);

}  // namespace dyad::formats
