#include "dyad/dsp/turns.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <stdexcept>

namespace dyad::dsp {

const char* event_type_name(EventType t) noexcept {
  switch (t) {
    case EventType::pause: return "pause";
    case EventType::gap: return "gap";
    case EventType::overlap_between: return "overlap_between";
    case EventType::overlap_within: return "overlap_within";
    case EventType::backchannel: return "backchannel";
    case EventType::interruption: return "interruption";
  }
  return "?";
}

std::optional<EventType> parse_event_type(std::string_view n) noexcept {
  for (auto t : {EventType::pause, EventType::gap, EventType::overlap_between, EventType::overlap_within,
                 EventType::backchannel, EventType::interruption})
    if (n == event_type_name(t)) return t;
  return std::nullopt;
}

int role_rank(std::string_view r) noexcept {
  if (r == "A") return 0;
  if (r == "B") return 1;
  if (r == "therapist") return 2;
  return 3;
}

void sort_roles(std::vector<std::string>& roles) {
  std::sort(roles.begin(), roles.end(), [](const std::string& a, const std::string& b) {
    int ra = role_rank(a), rb = role_rank(b);
    return ra != rb ? ra < rb : a < b;
  });
  roles.erase(std::unique(roles.begin(), roles.end()), roles.end());
}

namespace {

using Spans = std::vector<Interval>;

/// Appends [a, b) to a sorted list, merging with the last one when they touch.
void push_merge(Spans& v, double a, double b) {
  if (b <= a) return;
  if (!v.empty() && a <= v.back().end_s) {
    v.back().end_s = std::max(v.back().end_s, b);
  } else {
    v.push_back({a, b});
  }
}

/// Works on one section between exclusions (or the session's ends).
class SectionSolver {
 public:
  SectionSolver(const std::vector<Spans>& per_role, const std::vector<std::string>& roles, double lo, double hi,
                double bc_max, TurnTaking& out)
      : spans_(per_role), roles_(roles), lo_(lo), hi_(hi), bc_(bc_max), out_(out) {}

  // per_role talkspurts restricted to this section are given through [first_[r], last_[r]).
  void run(const std::vector<std::size_t>& first, const std::vector<std::size_t>& last) {
    first_ = first;
    last_ = last;
    build_pieces();
    if (pieces_.empty()) return;
    build_runs();
    solve();
  }

 private:
  struct Piece {
    double a, b;
    std::uint32_t mask;
  };
  enum class Kind { silence, solo, overlap };
  struct Run {
    Kind kind;
    double a, b;
    std::size_t p0, p1;  // pieces [p0, p1)
    int solo = -1;       // role index for solo runs
  };

  static int lowest(std::uint32_t mask) { return mask ? __builtin_ctz(mask) : -1; }

  void build_pieces() {
    struct Edge {
      double t;
      int role;
      bool start;
    };
    std::vector<Edge> edges;
    for (std::size_t r = 0; r < roles_.size(); ++r)
      for (std::size_t i = first_[r]; i < last_[r]; ++i) {
        edges.push_back({spans_[r][i].start_s, static_cast<int>(r), true});
        edges.push_back({spans_[r][i].end_s, static_cast<int>(r), false});
      }
    std::sort(edges.begin(), edges.end(), [](const Edge& x, const Edge& y) {
      if (x.t != y.t) return x.t < y.t;
      return x.start < y.start;  // ends first
    });
    std::uint32_t mask = 0;
    double t = 0;
    for (std::size_t i = 0; i < edges.size();) {
      double now = edges[i].t;
      if (i > 0 && now > t) pieces_.push_back({t, now, mask});
      for (; i < edges.size() && edges[i].t == now; ++i) {
        if (edges[i].start)
          mask |= 1u << edges[i].role;
        else
          mask &= ~(1u << edges[i].role);
      }
      t = now;
    }
  }

  void build_runs() {
    for (std::size_t i = 0; i < pieces_.size(); ++i) {
      const auto& p = pieces_[i];
      int n = __builtin_popcount(p.mask);
      Kind k = n == 0 ? Kind::silence : n == 1 ? Kind::solo : Kind::overlap;
      int solo = n == 1 ? lowest(p.mask) : -1;
      if (!runs_.empty() && runs_.back().kind == k && (k != Kind::solo || runs_.back().solo == solo)) {
        runs_.back().b = p.b;
        runs_.back().p1 = i + 1;
      } else {
        runs_.push_back({k, p.a, p.b, i, i + 1, solo});
      }
      if (n >= 1) push_merge(out_.speech, p.a, p.b);
      if (n >= 2) push_merge(out_.overlap, p.a, p.b);
    }
  }

  /// Index of the last talkspurt of role r with start <= t in this section, or npos.
  std::size_t last_started(int r, double t) const {
    const auto& v = spans_[static_cast<std::size_t>(r)];
    auto b = v.begin() + static_cast<std::ptrdiff_t>(first_[static_cast<std::size_t>(r)]);
    auto e = v.begin() + static_cast<std::ptrdiff_t>(last_[static_cast<std::size_t>(r)]);
    auto it = std::upper_bound(b, e, t, [](double x, const Interval& s) { return x < s.start_s; });
    if (it == b) return static_cast<std::size_t>(-1);
    return static_cast<std::size_t>(it - v.begin()) - 1;
  }
  /// End of the last talkspurt of role r ending at or before t (NaN if none).
  double last_end_before(int r, double t) const {
    const auto& v = spans_[static_cast<std::size_t>(r)];
    auto b = v.begin() + static_cast<std::ptrdiff_t>(first_[static_cast<std::size_t>(r)]);
    auto e = v.begin() + static_cast<std::ptrdiff_t>(last_[static_cast<std::size_t>(r)]);
    auto it = std::upper_bound(b, e, t, [](double x, const Interval& s) { return x < s.end_s; });
    if (it == b) return kNaN;
    return (it - 1)->end_s;
  }

  /// Talkspurts of the overlap run: earliest start and latest end per role (roles in the run).
  void overlap_extent(const Run& run, std::vector<double>& first_start, std::vector<double>& last_end) const {
    std::uint32_t all = 0;
    for (std::size_t p = run.p0; p < run.p1; ++p) all |= pieces_[p].mask;
    first_start.assign(roles_.size(), kNaN);
    last_end.assign(roles_.size(), kNaN);
    for (std::size_t r = 0; r < roles_.size(); ++r) {
      if (!(all & (1u << r))) continue;
      const auto& v = spans_[r];
      auto b = v.begin() + static_cast<std::ptrdiff_t>(first_[r]);
      auto e = v.begin() + static_cast<std::ptrdiff_t>(last_[r]);
      // first talkspurt ending after run.a
      auto it = std::upper_bound(b, e, run.a, [](double x, const Interval& s) { return x < s.end_s; });
      for (; it != e && it->start_s < run.b; ++it) {
        if (std::isnan(first_start[r])) first_start[r] = it->start_s;
        last_end[r] = it->end_s;
      }
    }
  }

  void add_event(EventType type, double a, double b, int from, int to, int successful = -1) {
    out_.events.push_back({type, a, b, roles_[static_cast<std::size_t>(from)], roles_[static_cast<std::size_t>(to)],
                           successful});
  }

  void open_turn(int role, double start, double prev_end, int prev_role) {
    Turn t;
    t.role = roles_[static_cast<std::size_t>(role)];
    t.start_s = start;
    if (prev_role >= 0) {
      t.fto_s = start - prev_end;
      t.prev_role = roles_[static_cast<std::size_t>(prev_role)];
    }
    out_.turns.push_back(std::move(t));
    holder_ = role;
  }

  /// The floor passes to `to` at time t.
  void pass_floor(int to, double t) {
    if (to == holder_) return;
    double end = last_end_before(holder_, t);
    out_.turns.back().end_s = end;
    auto idx = last_started(to, t);
    double start = spans_[static_cast<std::size_t>(to)][idx].start_s;
    open_turn(to, start, end, holder_);
  }

  void solve() {
    // Turn 1 of the section: the first talkspurt (ties by role order).
    open_turn(lowest(pieces_.front().mask), pieces_.front().a, kNaN, -1);
    std::vector<double> fs, le;
    for (std::size_t i = 0; i < runs_.size(); ++i) {
      const Run& run = runs_[i];
      if (run.kind == Kind::silence) {
        // Interior by construction (pieces start and end with speech).
        int before = lowest(pieces_[run.p0 - 1].mask);
        int after = lowest(pieces_[run.p1].mask);
        if (before == after) {
          add_event(EventType::pause, run.a, run.b, before, after);
        } else {
          add_event(EventType::gap, run.a, run.b, before, after);
          pass_floor(after, run.b);
        }
      } else if (run.kind == Kind::solo) {
        if (i > 0 && runs_[i - 1].kind == Kind::solo && runs_[i - 1].solo != run.solo) pass_floor(run.solo, run.a);
      } else {
        overlap_extent(run, fs, le);
        bool after_solo = i > 0 && runs_[i - 1].kind == Kind::solo;
        int before = -1, after = -1;
        if (after_solo) {
          before = runs_[i - 1].solo;
        } else {
          for (std::size_t r = 0; r < roles_.size(); ++r)
            if (!std::isnan(fs[r]) && (before < 0 || fs[r] < fs[static_cast<std::size_t>(before)])) before = static_cast<int>(r);
        }
        if (i + 1 < runs_.size() && runs_[i + 1].kind == Kind::solo) {
          after = runs_[i + 1].solo;
        } else {
          for (std::size_t r = 0; r < roles_.size(); ++r)
            if (!std::isnan(le[r]) && (after < 0 || le[r] > le[static_cast<std::size_t>(after)])) after = static_cast<int>(r);
        }
        // The other speaker: with three or more, the non-holder that entered first.
        int other = -1;
        for (std::size_t r = 0; r < roles_.size(); ++r)
          if (static_cast<int>(r) != before && !std::isnan(fs[r]) &&
              (other < 0 || fs[r] < fs[static_cast<std::size_t>(other)]))
            other = static_cast<int>(r);
        bool between = before != after;
        bool touches = run.a <= lo_ || run.b >= hi_;
        double d = run.b - run.a;
        if (!touches) {
          add_event(between ? EventType::overlap_between : EventType::overlap_within, run.a, run.b, before, other);
          if (!between && d < bc_) add_event(EventType::backchannel, run.a, run.b, before, other);
          if (after_solo && d > bc_) add_event(EventType::interruption, run.a, run.b, before, other, between ? 1 : 0);
        }
        if (between) pass_floor(after, run.b);
      }
    }
    out_.turns.back().end_s = last_end_before(holder_, pieces_.back().b);
  }

  const std::vector<Spans>& spans_;
  const std::vector<std::string>& roles_;
  double lo_, hi_, bc_;
  TurnTaking& out_;
  std::vector<std::size_t> first_, last_;
  std::vector<Piece> pieces_;
  std::vector<Run> runs_;
  int holder_ = -1;
};

}  // namespace

TurnTaking compute_turn_taking(const std::vector<Segment>& segments, const std::vector<Interval>& exclusions,
                               const TurnConfig& config) {
  if (!std::isfinite(config.backchannel_max_s) || config.backchannel_max_s < 0)
    throw std::invalid_argument("turn taking: backchannel_max_s must be a finite number >= 0, got " +
                                std::to_string(config.backchannel_max_s));
  TurnTaking out;
  out.config = config;
  out.roles = config.roles;
  for (std::size_t i = 0; i < segments.size(); ++i) {
    const auto& s = segments[i];
    if (!std::isfinite(s.start_s) || !std::isfinite(s.end_s) || s.end_s < s.start_s)
      throw std::invalid_argument("turn taking: talkspurt " + std::to_string(i + 1) + " of role '" + s.role +
                                  "' is not a finite interval with end >= start (" + std::to_string(s.start_s) + " to " +
                                  std::to_string(s.end_s) + ")");
    if (s.role.empty()) throw std::invalid_argument("turn taking: talkspurt " + std::to_string(i + 1) + " has no role");
    out.roles.push_back(s.role);
  }
  sort_roles(out.roles);
  if (out.roles.size() > 32) throw std::invalid_argument("turn taking: more than 32 roles");

  // Exclusions sorted and merged.
  std::vector<Interval> ex;
  for (auto e : exclusions) {
    if (!std::isfinite(e.start_s) || !std::isfinite(e.end_s))
      throw std::invalid_argument("turn taking: an exclusion interval is not finite");
    if (e.end_s > e.start_s) ex.push_back(e);
  }
  std::sort(ex.begin(), ex.end(), [](const Interval& a, const Interval& b) { return a.start_s < b.start_s; });
  for (auto& e : ex) push_merge(out.exclusions, e.start_s, e.end_s);

  // Per role: clip to outside the exclusions, sort, merge.
  const std::size_t nr = out.roles.size();
  std::vector<Spans> raw(nr), per(nr);
  auto index_of = [&](const std::string& r) {
    return static_cast<std::size_t>(std::find(out.roles.begin(), out.roles.end(), r) - out.roles.begin());
  };
  for (const auto& s : segments) {
    auto& v = raw[index_of(s.role)];
    double a = s.start_s, b = s.end_s;
    // first exclusion ending after a
    auto it = std::upper_bound(out.exclusions.begin(), out.exclusions.end(), a,
                               [](double x, const Interval& e) { return x < e.end_s; });
    for (; it != out.exclusions.end() && it->start_s < b && a < b; ++it) {
      if (it->start_s > a) v.push_back({a, it->start_s});
      a = std::max(a, it->end_s);
    }
    if (b > a) v.push_back({a, b});
  }
  for (std::size_t r = 0; r < nr; ++r) {
    std::sort(raw[r].begin(), raw[r].end(), [](const Interval& a, const Interval& b) { return a.start_s < b.start_s; });
    for (auto& s : raw[r]) push_merge(per[r], s.start_s, s.end_s);
  }

  for (std::size_t r = 0; r < nr; ++r)
    for (auto& s : per[r]) out.segments.push_back({out.roles[r], s.start_s, s.end_s});
  std::sort(out.segments.begin(), out.segments.end(), [](const Segment& a, const Segment& b) {
    if (a.start_s != b.start_s) return a.start_s < b.start_s;
    int ra = role_rank(a.role), rb = role_rank(b.role);
    return ra != rb ? ra < rb : a.role < b.role;
  });

  // Sections between exclusions.
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<std::size_t> pos(nr, 0);
  for (std::size_t k = 0; k <= out.exclusions.size(); ++k) {
    double lo = k == 0 ? -inf : out.exclusions[k - 1].end_s;
    double hi = k == out.exclusions.size() ? inf : out.exclusions[k].start_s;
    std::vector<std::size_t> first(nr), last(nr);
    bool any = false;
    for (std::size_t r = 0; r < nr; ++r) {
      while (pos[r] < per[r].size() && per[r][pos[r]].end_s <= lo) ++pos[r];
      first[r] = pos[r];
      while (pos[r] < per[r].size() && per[r][pos[r]].start_s < hi) ++pos[r];
      last[r] = pos[r];
      any = any || last[r] > first[r];
    }
    if (!any) continue;
    SectionSolver solver(per, out.roles, lo, hi, config.backchannel_max_s, out);
    solver.run(first, last);
  }

  std::stable_sort(out.events.begin(), out.events.end(), [](const TurnEvent& a, const TurnEvent& b) {
    if (a.start_s != b.start_s) return a.start_s < b.start_s;
    int c = std::string_view(event_type_name(a.type)).compare(event_type_name(b.type));
    if (c != 0) return c < 0;
    if (a.from_role != b.from_role) return a.from_role < b.from_role;
    return a.to_role < b.to_role;
  });
  // Turn numbers, and the holder's talkspurts inside each turn.
  for (std::size_t i = 0; i < out.turns.size(); ++i) {
    auto& t = out.turns[i];
    t.number = static_cast<int>(i + 1);
    const auto& v = per[index_of(t.role)];
    auto it = std::lower_bound(v.begin(), v.end(), t.start_s, [](const Interval& s, double x) { return s.start_s < x; });
    for (; it != v.end() && it->end_s <= t.end_s; ++it) {
      ++t.talkspurts;
      t.speaking_s += it->end_s - it->start_s;
    }
  }
  return out;
}

Distribution distribution(std::vector<double> v) {
  Distribution d;
  d.count = v.size();
  if (v.empty()) return d;
  std::sort(v.begin(), v.end());
  for (double x : v) d.total_s += x;
  d.mean_s = d.total_s / static_cast<double>(v.size());
  auto q = [&](double p) {
    double h = (static_cast<double>(v.size()) - 1) * p;
    auto lo = static_cast<std::size_t>(std::floor(h));
    std::size_t hi = std::min(lo + 1, v.size() - 1);
    return v[lo] + (h - static_cast<double>(lo)) * (v[hi] - v[lo]);
  };
  d.median_s = q(0.5);
  d.q1_s = q(0.25);
  d.q3_s = q(0.75);
  d.iqr_s = d.q3_s - d.q1_s;
  d.min_s = v.front();
  d.max_s = v.back();
  return d;
}

namespace {
double overlap_len(double a0, double a1, double b0, double b1) { return std::max(0.0, std::min(a1, b1) - std::max(a0, b0)); }

/// Length of the sorted, disjoint intervals `v` inside [lo, hi).
double total(const std::vector<Interval>& v, double lo, double hi) {
  double s = 0;
  auto it = std::upper_bound(v.begin(), v.end(), lo, [](double x, const Interval& i) { return x < i.end_s; });
  for (; it != v.end() && it->start_s < hi; ++it) s += overlap_len(it->start_s, it->end_s, lo, hi);
  return s;
}
}  // namespace

TurnStats summarize(const TurnTaking& tt, double t0, double t1) {
  TurnStats st;
  auto& d = st.dyad;
  d.session_s = std::max(0.0, t1 - t0);
  d.excluded_s = total(tt.exclusions, t0, t1);
  d.analysed_s = d.session_s - d.excluded_s;
  d.speech_s = total(tt.speech, t0, t1);
  d.overlap_s = total(tt.overlap, t0, t1);
  d.solo_s = d.speech_s - d.overlap_s;
  d.silence_s = d.analysed_s - d.speech_s;
  const std::size_t nr = tt.roles.size();
  st.roles.resize(nr);
  std::vector<std::vector<double>> turn_len(nr), pauses(nr), gaps_before(nr), gaps_after(nr);
  auto idx = [&](const std::string& r) {
    return static_cast<std::size_t>(std::find(tt.roles.begin(), tt.roles.end(), r) - tt.roles.begin());
  };
  double all_speaking = 0, all_floor = 0;
  for (std::size_t r = 0; r < nr; ++r) st.roles[r].role = tt.roles[r];
  for (auto& s : tt.segments) {
    auto& rs = st.roles[idx(s.role)];
    rs.speaking_s += s.end_s - s.start_s;
    rs.talkspurts++;
    rs.overlap_s += total(tt.overlap, s.start_s, s.end_s);
  }
  for (auto& rs : st.roles) {
    rs.solo_s = rs.speaking_s - rs.overlap_s;
    all_speaking += rs.speaking_s;
  }
  std::vector<double> all_turns, all_fto;
  std::vector<std::vector<std::vector<double>>> fto(nr, std::vector<std::vector<double>>(nr));
  for (auto& t : tt.turns) {
    auto r = idx(t.role);
    st.roles[r].floor_s += t.duration_s();
    all_floor += t.duration_s();
    turn_len[r].push_back(t.duration_s());
    all_turns.push_back(t.duration_s());
    if (!std::isnan(t.fto_s)) {
      all_fto.push_back(t.fto_s);
      fto[idx(t.prev_role)][r].push_back(t.fto_s);
    }
  }
  std::vector<double> ev[6];
  for (auto& e : tt.events) {
    auto f = idx(e.from_role), to = idx(e.to_role);
    ev[static_cast<int>(e.type)].push_back(e.duration_s());
    switch (e.type) {
      case EventType::pause: pauses[f].push_back(e.duration_s()); break;
      case EventType::gap:
        gaps_before[to].push_back(e.duration_s());
        gaps_after[f].push_back(e.duration_s());
        break;
      case EventType::overlap_between: st.roles[to].overlaps_between_entered++; break;
      case EventType::overlap_within: st.roles[to].overlaps_within_entered++; break;
      case EventType::backchannel:
        st.roles[to].backchannels_given++;
        st.roles[f].backchannels_received++;
        break;
      case EventType::interruption:
        st.roles[to].interruptions_made++;
        st.roles[f].interrupted++;
        if (e.successful == 1) {
          st.roles[to].interruptions_made_successful++;
          st.roles[f].interrupted_successfully++;
          d.interruptions_successful++;
        }
        break;
    }
  }
  for (std::size_t r = 0; r < nr; ++r) {
    auto& rs = st.roles[r];
    rs.speaking_share = all_speaking > 0 ? rs.speaking_s / all_speaking : kNaN;
    rs.speaking_fraction = d.analysed_s > 0 ? rs.speaking_s / d.analysed_s : kNaN;
    rs.floor_share = all_floor > 0 ? rs.floor_s / all_floor : kNaN;
    rs.turns = distribution(turn_len[r]);
    rs.pauses = distribution(pauses[r]);
    rs.gaps_before = distribution(gaps_before[r]);
    rs.gaps_after = distribution(gaps_after[r]);
  }
  d.turns_count = tt.turns.size();
  d.floor_changes = all_fto.size();
  d.turns = distribution(all_turns);
  d.fto = distribution(all_fto);
  d.pauses = distribution(ev[0]);
  d.gaps = distribution(ev[1]);
  d.overlaps_between = distribution(ev[2]);
  d.overlaps_within = distribution(ev[3]);
  d.backchannels = distribution(ev[4]);
  d.interruptions = distribution(ev[5]);
  for (std::size_t a = 0; a < nr; ++a)
    for (std::size_t b = 0; b < nr; ++b)
      if (a != b) d.directions.push_back({tt.roles[a], tt.roles[b], distribution(fto[a][b])});
  return st;
}

std::vector<WindowStats> window_stats(const TurnTaking& tt, double end, double w) {
  if (!(w > 0) || !std::isfinite(w)) throw std::invalid_argument("window statistics: window_s must be > 0");
  if (!(end >= 0)) throw std::invalid_argument("window statistics: the session end must be >= 0");
  const std::size_t nr = tt.roles.size();
  auto n = static_cast<std::size_t>(std::ceil(end / w));
  std::vector<WindowStats> out(n);
  for (std::size_t k = 0; k < n; ++k) {
    auto& x = out[k];
    x.start_s = static_cast<double>(k) * w;
    x.end_s = std::min(end, static_cast<double>(k + 1) * w);
    x.speaking_s.assign(nr, 0);
    x.floor_s.assign(nr, 0);
    x.turns_started.assign(nr, 0);
  }
  auto idx = [&](const std::string& r) {
    return static_cast<std::size_t>(std::find(tt.roles.begin(), tt.roles.end(), r) - tt.roles.begin());
  };
  auto win_of = [&](double t) -> std::size_t {
    if (t < 0) return 0;
    return std::min(n - 1, static_cast<std::size_t>(std::floor(t / w)));
  };
  // Adds interval [a, b) to the windows it covers through `add(window, length)`.
  auto spread = [&](double a, double b, auto&& add) {
    if (n == 0 || b <= a) return;
    for (std::size_t k = win_of(a); k < n && out[k].start_s < b; ++k) {
      double l = overlap_len(a, b, out[k].start_s, out[k].end_s);
      if (l > 0) add(out[k], l);
    }
  };
  for (auto& e : tt.exclusions) spread(e.start_s, e.end_s, [](WindowStats& x, double l) { x.excluded_s += l; });
  for (auto& e : tt.speech) spread(e.start_s, e.end_s, [](WindowStats& x, double l) { x.speech_s += l; });
  for (auto& e : tt.overlap) spread(e.start_s, e.end_s, [](WindowStats& x, double l) { x.overlap_s += l; });
  for (auto& s : tt.segments) {
    auto r = idx(s.role);
    spread(s.start_s, s.end_s, [r](WindowStats& x, double l) { x.speaking_s[r] += l; });
  }
  for (auto& t : tt.turns) {
    auto r = idx(t.role);
    spread(t.start_s, t.end_s, [r](WindowStats& x, double l) { x.floor_s[r] += l; });
    if (n && t.start_s < end) out[win_of(t.start_s)].turns_started[r]++;
  }
  for (auto& e : tt.events) {
    if (!n || e.start_s >= end) continue;
    auto& x = out[win_of(e.start_s)];
    switch (e.type) {
      case EventType::pause: x.pauses++; break;
      case EventType::gap: x.gaps++; break;
      case EventType::overlap_between: x.overlaps_between++; break;
      case EventType::overlap_within: x.overlaps_within++; break;
      case EventType::backchannel: x.backchannels++; break;
      case EventType::interruption: x.interruptions++; break;
    }
  }
  for (auto& x : out) x.silence_s = std::max(0.0, (x.end_s - x.start_s) - x.excluded_s - x.speech_s);
  return out;
}

}  // namespace dyad::dsp
