#pragma once
/// \file Turn-taking from per-role talkspurts (Heldner & Edlund 2010; Jaffe & Feldstein 1970),
/// exactly as defined in DESIGN.md "Analysis" and the shared schema note (HELPERS-TURNS.md):
/// pauses, gaps, between- and within-speaker overlaps, backchannels, interruptions (successful or
/// not), turns with floor transfer offsets, and per-role and dyad statistics. Works with any
/// number of roles (A, B and a therapist). Pure: no files, no threads. Any thread may call these
/// functions; they share nothing.
///
/// Conventions beyond the written definitions (documented in README "Turn-taking"):
/// - Role order for every tie is A < B < therapist < any other role (alphabetical).
/// - Talkspurts of one role that overlap or touch are merged; empty ones are dropped.
/// - A direct hand-over (one speaker stops exactly when another starts, no silence, no overlap)
///   passes the floor with fto_s = 0 and is not an event.
/// - An exclusion interval acts like the end and start of a session: talkspurts are clipped to
///   outside it, a silence or overlap touching it is not an event, and the first turn after it has
///   fto_s n/a.
/// - Quartiles use linear interpolation between order statistics (R type 7, numpy's default).
#include <cstddef>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dyad/dsp/types.hpp"

namespace dyad::dsp {

inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

enum class EventType { pause, gap, overlap_between, overlap_within, backchannel, interruption };

/// "pause", "gap", "overlap_between", "overlap_within", "backchannel", "interruption".
const char* event_type_name(EventType t) noexcept;
std::optional<EventType> parse_event_type(std::string_view name) noexcept;

/// One row of events.tsv.
struct TurnEvent {
  EventType type = EventType::pause;
  double start_s = 0, end_s = 0;
  std::string from_role, to_role;
  int successful = -1;  ///< interruptions: 1 when the holder stopped first, else 0; -1 (n/a) otherwise
  double duration_s() const { return end_s - start_s; }
};

/// One row of turns.tsv.
struct Turn {
  int number = 0;  ///< from 1
  std::string role;
  double start_s = 0, end_s = 0;
  double fto_s = kNaN;     ///< start_s minus the previous turn's end_s; NaN for the first turn (of a section)
  std::string prev_role;   ///< role of the previous turn; "" when fto_s is NaN
  std::size_t talkspurts = 0;  ///< the holder's talkspurts inside the turn
  double speaking_s = 0;       ///< the holder's speaking time inside the turn
  double duration_s() const { return end_s - start_s; }
};

struct TurnConfig {
  /// Within-speaker overlaps shorter than this (strictly) are backchannels; overlaps started
  /// mid-talkspurt and longer (strictly) are interruptions. Seconds, >= 0, default 1 (DESIGN.md).
  double backchannel_max_s = 1.0;
  /// Roles to report even when silent (e.g. every role on an audio channel). Roles found only in
  /// the segments are added. Order does not matter: ties use the canonical role order.
  std::vector<std::string> roles = {"A", "B"};
};

/// The result of compute_turn_taking.
struct TurnTaking {
  std::vector<std::string> roles;   ///< canonical order (A, B, therapist, others)
  std::vector<Segment> segments;    ///< clipped and merged, sorted by start_s then role order
  std::vector<TurnEvent> events;    ///< sorted by start_s, then type name, then from/to role
  std::vector<Turn> turns;          ///< in time order, numbered from 1
  std::vector<Interval> exclusions; ///< sorted and merged
  std::vector<Interval> speech;     ///< union of all talkspurts (someone speaks)
  std::vector<Interval> overlap;    ///< where two or more speak
  TurnConfig config;
};

/// Canonical rank of a role for ties: A 0, B 1, therapist 2, others 3.
int role_rank(std::string_view role) noexcept;
/// Sorts roles canonically (rank, then name) and removes duplicates.
void sort_roles(std::vector<std::string>& roles);

/// Computes events and turns. Throws std::invalid_argument naming the segment when a time is not
/// finite or a talkspurt ends before it starts, or when backchannel_max_s is negative or not finite.
/// O(n log n) in the number of talkspurts.
TurnTaking compute_turn_taking(const std::vector<Segment>& segments, const std::vector<Interval>& exclusions,
                               const TurnConfig& config);

/// Count, total and distribution of a set of durations (seconds). NaN where undefined (empty).
struct Distribution {
  std::size_t count = 0;
  double total_s = 0;
  double mean_s = kNaN, median_s = kNaN, q1_s = kNaN, q3_s = kNaN, iqr_s = kNaN, min_s = kNaN, max_s = kNaN;
};
/// Distribution of `values` (any order). Quartiles R type 7.
Distribution distribution(std::vector<double> values);

struct RoleStats {
  std::string role;
  double speaking_s = 0;         ///< total talkspurt time
  double speaking_share = kNaN;  ///< speaking_s / all roles' speaking_s
  double speaking_fraction = kNaN;  ///< speaking_s / analysed time
  std::size_t talkspurts = 0;
  double solo_s = 0;             ///< speaking while nobody else does
  double overlap_s = 0;          ///< speaking while someone else does
  double floor_s = 0;            ///< total length of this role's turns
  double floor_share = kNaN;     ///< floor_s / all roles' floor_s
  Distribution turns;            ///< lengths of this role's turns
  Distribution pauses;           ///< pauses inside this role's speech (from_role)
  Distribution gaps_before;      ///< gaps after which this role took the floor (to_role)
  Distribution gaps_after;       ///< gaps after which this role lost the floor (from_role)
  std::size_t overlaps_between_entered = 0;  ///< between-speaker overlaps with this role as to_role
  std::size_t overlaps_within_entered = 0;   ///< within-speaker overlaps with this role as to_role
  std::size_t backchannels_given = 0;        ///< backchannel to_role
  std::size_t backchannels_received = 0;     ///< backchannel from_role
  std::size_t interruptions_made = 0;        ///< interruption to_role
  std::size_t interruptions_made_successful = 0;
  std::size_t interrupted = 0;               ///< interruption from_role
  std::size_t interrupted_successfully = 0;  ///< ... where the holder stopped first
};

/// Floor transfer offsets of turns from one role to another.
struct DirectionStats {
  std::string from_role, to_role;
  Distribution fto;  ///< of fto_s (seconds; total_s is their sum, negative after overlaps)
};

struct DyadStats {
  double session_s = 0;    ///< session_end_s - session_start_s
  double excluded_s = 0;   ///< excluded time inside the session
  double analysed_s = 0;   ///< session_s - excluded_s
  double speech_s = 0;     ///< someone speaks
  double silence_s = 0;    ///< analysed_s - speech_s
  double solo_s = 0;       ///< exactly one speaks
  double overlap_s = 0;    ///< two or more speak
  std::size_t turns_count = 0;
  std::size_t floor_changes = 0;  ///< turns with an fto_s
  Distribution turns;
  Distribution pauses, gaps, overlaps_between, overlaps_within, backchannels, interruptions;
  std::size_t interruptions_successful = 0;
  Distribution fto;                     ///< all floor transfer offsets
  std::vector<DirectionStats> directions;  ///< every ordered pair of distinct roles
};

struct TurnStats {
  std::vector<RoleStats> roles;  ///< in tt.roles order
  DyadStats dyad;
};

/// Statistics over [session_start_s, session_end_s) (the session's extent; usually 0 and the audio
/// duration). Talkspurts must lie inside it.
TurnStats summarize(const TurnTaking& tt, double session_start_s, double session_end_s);

/// The session in consecutive windows [k*w, (k+1)*w) clipped to the session end.
struct WindowStats {
  double start_s = 0, end_s = 0;
  double excluded_s = 0, speech_s = 0, silence_s = 0, overlap_s = 0;
  std::vector<double> speaking_s;          ///< per role (tt.roles order)
  std::vector<double> floor_s;             ///< per role: turn time inside the window
  std::vector<std::size_t> turns_started;  ///< per role: turns whose start_s is in the window
  std::size_t pauses = 0, gaps = 0, overlaps_between = 0, overlaps_within = 0, backchannels = 0,
              interruptions = 0;           ///< events whose start_s is in the window
};
/// Throws std::invalid_argument when window_s <= 0 or the session has negative length.
std::vector<WindowStats> window_stats(const TurnTaking& tt, double session_end_s, double window_s);

}  // namespace dyad::dsp
