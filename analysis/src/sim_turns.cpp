// The simulator's own turn-taking classification of its true talkspurts (HELPERS-TURNS.md,
// after Heldner & Edlund 2010 and Jaffe & Feldstein 1970). Written independently of the
// analysis engine so the two can be cross-checked.
#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include "dyad/analysis/simulate.hpp"

namespace dyad::analysis {

namespace {

int role_rank(const std::string& r) {
  if (r == "A") return 0;
  if (r == "B") return 1;
  if (r == "therapist") return 2;
  return 3;
}

struct Spurt {
  double s, e;
};

enum class Kind { silence, solo, overlap };

struct Piece {
  double s, e;
  std::vector<int> spurt;  // per role: index of its active talkspurt, or -1
  int count = 0;
};

struct State {
  Kind kind;
  std::size_t first, last;  // pieces
  double s, e;
  int solo_role = -1;
};

}  // namespace

TurnTaking classify_turn_taking(std::vector<dsp::Segment> in, double bmax) {
  TurnTaking out;
  // Roles in tie order (A < B < therapist < others by name).
  std::vector<std::string> roles;
  for (auto& seg : in)
    if (seg.end_s > seg.start_s && std::find(roles.begin(), roles.end(), seg.role) == roles.end()) roles.push_back(seg.role);
  std::sort(roles.begin(), roles.end(), [](auto& a, auto& b) {
    int ra = role_rank(a), rb = role_rank(b);
    return ra != rb ? ra < rb : a < b;
  });
  const int R = static_cast<int>(roles.size());
  if (R == 0) return out;
  std::vector<std::vector<Spurt>> sp(static_cast<std::size_t>(R));
  for (auto& seg : in) {
    if (!(seg.end_s > seg.start_s)) continue;
    auto r = std::find(roles.begin(), roles.end(), seg.role) - roles.begin();
    sp[static_cast<std::size_t>(r)].push_back({seg.start_s, seg.end_s});
  }
  for (auto& v : sp) {  // sort and merge overlapping or touching talkspurts of one role
    std::sort(v.begin(), v.end(), [](auto& a, auto& b) { return a.s < b.s; });
    std::vector<Spurt> m;
    for (auto& x : v) {
      if (!m.empty() && x.s <= m.back().e)
        m.back().e = std::max(m.back().e, x.e);
      else
        m.push_back(x);
    }
    v = std::move(m);
  }
  // 1. Cut the timeline at every start and end.
  std::vector<double> cuts;
  for (auto& v : sp)
    for (auto& x : v) {
      cuts.push_back(x.s);
      cuts.push_back(x.e);
    }
  std::sort(cuts.begin(), cuts.end());
  cuts.erase(std::unique(cuts.begin(), cuts.end()), cuts.end());
  std::vector<Piece> pieces;
  std::vector<std::size_t> ptr(static_cast<std::size_t>(R), 0);
  for (std::size_t i = 0; i + 1 < cuts.size(); ++i) {
    Piece p{cuts[i], cuts[i + 1], std::vector<int>(static_cast<std::size_t>(R), -1), 0};
    for (int r = 0; r < R; ++r) {
      auto& v = sp[static_cast<std::size_t>(r)];
      auto& k = ptr[static_cast<std::size_t>(r)];
      while (k < v.size() && v[k].e <= p.s) ++k;
      if (k < v.size() && v[k].s <= p.s) {
        p.spurt[static_cast<std::size_t>(r)] = static_cast<int>(k);
        ++p.count;
      }
    }
    pieces.push_back(std::move(p));
  }
  auto first_role = [&](const Piece& p) {
    for (int r = 0; r < R; ++r)
      if (p.spurt[static_cast<std::size_t>(r)] >= 0) return r;
    return -1;
  };
  std::vector<State> states;
  for (std::size_t i = 0; i < pieces.size(); ++i) {
    const Piece& p = pieces[i];
    Kind k = p.count == 0 ? Kind::silence : p.count == 1 ? Kind::solo : Kind::overlap;
    int solo = k == Kind::solo ? first_role(p) : -1;
    if (!states.empty() && states.back().kind == k && states.back().solo_role == solo) {
      states.back().last = i;
      states.back().e = p.e;
    } else {
      states.push_back({k, i, i, p.s, p.e, solo});
    }
  }
  auto spurt_of = [&](int role, int idx) -> const Spurt& { return sp[static_cast<std::size_t>(role)][static_cast<std::size_t>(idx)]; };
  // The talkspurt (role, index) in an overlap stretch that started first; ties by role order.
  auto entered_first = [&](const State& st, int exclude_role) {
    int best = -1;
    double best_s = std::numeric_limits<double>::infinity();
    for (std::size_t i = st.first; i <= st.last; ++i)
      for (int r = 0; r < R; ++r) {
        int k = pieces[i].spurt[static_cast<std::size_t>(r)];
        if (k < 0 || r == exclude_role) continue;
        double s = spurt_of(r, k).s;
        if (s < best_s || (s == best_s && r < best)) {
          best_s = s;
          best = r;
        }
      }
    return best;
  };
  // End of `role`'s last talkspurt ending at or before t.
  auto last_end_before = [&](int role, double t) {
    double e = std::numeric_limits<double>::quiet_NaN();
    for (auto& x : sp[static_cast<std::size_t>(role)])
      if (x.e <= t) e = x.e;
      else break;
    return e;
  };
  auto add_event = [&](const char* type, const State& st, int from, int to, int successful = -1) {
    out.events.push_back({type, st.s, st.e, roles[static_cast<std::size_t>(from)], roles[static_cast<std::size_t>(to)], successful});
  };
  // Turns: the floor holder and the turn in progress.
  int holder = -1;
  double turn_start = 0;
  auto close_turn = [&](double change_t, int next, double next_start) {
    Turn t;
    t.turn = static_cast<int>(out.turns.size()) + 1;
    t.role = roles[static_cast<std::size_t>(holder)];
    t.start_s = turn_start;
    t.end_s = last_end_before(holder, change_t);
    t.fto_s = out.turns.empty() ? std::numeric_limits<double>::quiet_NaN() : t.start_s - out.turns.back().end_s;
    out.turns.push_back(t);
    holder = next;
    turn_start = next_start;
  };
  if (!states.empty()) {  // the first talkspurt overall starts turn 1
    holder = states[0].kind == Kind::solo ? states[0].solo_role : entered_first(states[0], -1);
    turn_start = states[0].s;
  }
  for (std::size_t k = 0; k < states.size(); ++k) {
    const State& st = states[k];
    const State* prev = k > 0 ? &states[k - 1] : nullptr;
    const State* next = k + 1 < states.size() ? &states[k + 1] : nullptr;
    if (st.kind == Kind::silence) {
      // 2. pause or gap: speaker before ended last, speaker after starts first (ties: role order)
      int before = first_role(pieces[st.first - 1]);
      int after = first_role(pieces[st.last + 1]);
      add_event(before == after ? "pause" : "gap", st, before, after);
      if (before != after) close_turn(st.e, after, st.e);
    } else if (st.kind == Kind::overlap) {
      // 3. between or within: sole speaker before vs sole speaker after
      bool after_solo_holder = prev && prev->kind == Kind::solo;
      int before = after_solo_holder ? prev->solo_role : entered_first(st, -1);
      int after = next && next->kind == Kind::solo ? next->solo_role : first_role(pieces[st.last]);
      int to = entered_first(st, before);
      bool between = before != after;
      double dur = st.e - st.s;
      add_event(between ? "overlap_between" : "overlap_within", st, before, to);
      // 4. a short within-speaker overlap is a backchannel
      if (!between && dur < bmax) add_event("backchannel", st, before, to);
      // 5. started while the holder was mid-talkspurt and longer than the threshold
      if (after_solo_holder && dur > bmax) add_event("interruption", st, before, to, between ? 1 : 0);
      if (between) {
        int ks = pieces[st.last].spurt[static_cast<std::size_t>(after)];
        // the new holder may start exactly as the overlap ends (a third voice): its talkspurt is in the next piece
        if (ks < 0 && st.last + 1 < pieces.size()) ks = pieces[st.last + 1].spurt[static_cast<std::size_t>(after)];
        close_turn(st.e, after, spurt_of(after, ks).s);
      }
    } else if (prev && prev->kind == Kind::solo && prev->solo_role != st.solo_role) {
      close_turn(st.s, st.solo_role, st.s);  // touching change: neither silence nor overlap
    }
  }
  if (holder >= 0) close_turn(std::numeric_limits<double>::infinity(), -1, 0);
  std::stable_sort(out.events.begin(), out.events.end(), [](const TurnEvent& a, const TurnEvent& b) {
    return a.start_s != b.start_s ? a.start_s < b.start_s : a.type < b.type;
  });
  return out;
}

}  // namespace dyad::analysis
