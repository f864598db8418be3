// Scoring talkspurts against the truth: DER with roles fixed by microphone, event F1, FTO error.
#include "dyad/analysis/vad_eval.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace dyad::analysis {

namespace {

using Intervals = std::vector<dsp::Interval>;

/// Sorted, merged (overlapping or touching), non-empty.
Intervals merged(Intervals v) {
  std::sort(v.begin(), v.end(), [](auto& a, auto& b) { return a.start_s < b.start_s; });
  Intervals out;
  for (auto& x : v) {
    if (!(x.end_s > x.start_s)) continue;
    if (!out.empty() && x.start_s <= out.back().end_s)
      out.back().end_s = std::max(out.back().end_s, x.end_s);
    else
      out.push_back(x);
  }
  return out;
}

Intervals of_role(const std::vector<dsp::Segment>& s, const std::string& role) {
  Intervals v;
  for (auto& x : s)
    if (x.role == role) v.push_back({x.start_s, x.end_s});
  return merged(std::move(v));
}

/// a minus b (both merged).
Intervals subtract(const Intervals& a, const Intervals& b) {
  Intervals out;
  std::size_t j = 0;
  for (auto x : a) {
    while (j < b.size() && b[j].end_s <= x.start_s) ++j;
    double s = x.start_s;
    for (std::size_t k = j; k < b.size() && b[k].start_s < x.end_s; ++k) {
      if (b[k].start_s > s) out.push_back({s, b[k].start_s});
      s = std::max(s, b[k].end_s);
    }
    if (s < x.end_s) out.push_back({s, x.end_s});
  }
  return out;
}

/// a intersected with b (both merged).
Intervals intersect(const Intervals& a, const Intervals& b) {
  Intervals out;
  std::size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    double s = std::max(a[i].start_s, b[j].start_s), e = std::min(a[i].end_s, b[j].end_s);
    if (s < e) out.push_back({s, e});
    if (a[i].end_s < b[j].end_s)
      ++i;
    else
      ++j;
  }
  return out;
}

double total(const Intervals& v) {
  double t = 0;
  for (auto& x : v) t += x.end_s - x.start_s;
  return t;
}

const char* kTypes[] = {"pause", "gap", "overlap", "backchannel", "interruption"};

/// The scored type of an event under type index k, or false.
bool has_type(const dsp::TurnEvent& e, int k) {
  switch (k) {
    case 0: return e.type == dsp::EventType::pause;
    case 1: return e.type == dsp::EventType::gap;
    case 2: return e.type == dsp::EventType::overlap_between || e.type == dsp::EventType::overlap_within;
    case 3: return e.type == dsp::EventType::backchannel;
    case 4: return e.type == dsp::EventType::interruption;
  }
  return false;
}

/// Maximum one-to-one matching of sorted onsets within tol: greedy, each reference takes the
/// earliest unused detection within reach.
std::size_t match_points(const std::vector<double>& ref, const std::vector<double>& det, double tol) {
  std::size_t m = 0, j = 0;
  for (double r : ref) {
    while (j < det.size() && det[j] < r - tol) ++j;
    if (j < det.size() && det[j] <= r + tol) {
      ++m;
      ++j;
    }
  }
  return m;
}

}  // namespace

DiarizationError diarization_error(const std::vector<dsp::Segment>& reference, const std::vector<dsp::Segment>& hypothesis,
                                   const std::vector<std::string>& roles, double start_s, double end_s, double collar_s) {
  if (!(collar_s >= 0) || !std::isfinite(collar_s))
    throw std::invalid_argument("diarization_error: collar_s must be >= 0, got " + std::to_string(collar_s));
  if (!(end_s >= start_s))
    throw std::invalid_argument("diarization_error: end_s (" + std::to_string(end_s) + ") is before start_s (" +
                                std::to_string(start_s) + ")");
  DiarizationError out;
  const Intervals span = {{start_s, end_s}};
  for (auto& role : roles) {
    const Intervals ref = of_role(reference, role), hyp = of_role(hypothesis, role);
    Intervals collars;
    if (collar_s > 0)
      for (auto& x : ref) {
        collars.push_back({x.start_s - collar_s, x.start_s + collar_s});
        collars.push_back({x.end_s - collar_s, x.end_s + collar_s});
      }
    const Intervals scored = subtract(span, merged(collars));
    const Intervals r = intersect(ref, scored), h = intersect(hyp, scored);
    out.reference_s += total(r);
    out.missed_s += total(subtract(r, h));
    out.false_alarm_s += total(subtract(h, r));
  }
  return out;
}

std::vector<EventMatch> event_f1(const std::vector<dsp::TurnEvent>& reference, const std::vector<dsp::TurnEvent>& detected,
                                 double tolerance_s) {
  std::vector<EventMatch> out;
  EventMatch all{"all"};
  for (int k = 0; k < 5; ++k) {
    EventMatch m{kTypes[k]};
    // group by (from, to): match within each group
    std::vector<std::pair<std::string, std::string>> keys;
    for (auto* list : {&reference, &detected})
      for (auto& e : *list)
        if (has_type(e, k)) keys.push_back({e.from_role, e.to_role});
    std::sort(keys.begin(), keys.end());
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    for (auto& key : keys) {
      std::vector<double> r, d;
      for (auto& e : reference)
        if (has_type(e, k) && e.from_role == key.first && e.to_role == key.second) r.push_back(e.start_s);
      for (auto& e : detected)
        if (has_type(e, k) && e.from_role == key.first && e.to_role == key.second) d.push_back(e.start_s);
      std::sort(r.begin(), r.end());
      std::sort(d.begin(), d.end());
      m.reference += r.size();
      m.detected += d.size();
      m.matched += match_points(r, d, tolerance_s);
    }
    all.reference += m.reference;
    all.detected += m.detected;
    all.matched += m.matched;
    out.push_back(m);
  }
  out.push_back(all);
  return out;
}

FtoError fto_error(const std::vector<dsp::Turn>& reference, const std::vector<dsp::Turn>& detected, double max_start_diff_s) {
  FtoError out;
  std::vector<const dsp::Turn*> ref, det;
  for (auto& t : reference)
    if (std::isfinite(t.fto_s)) ref.push_back(&t);
  for (auto& t : detected)
    if (std::isfinite(t.fto_s)) det.push_back(&t);
  auto by_start = [](const dsp::Turn* a, const dsp::Turn* b) { return a->start_s < b->start_s; };
  std::sort(ref.begin(), ref.end(), by_start);
  std::sort(det.begin(), det.end(), by_start);
  out.reference = ref.size();
  std::vector<bool> used(det.size(), false);
  double abs_sum = 0, sum = 0;
  std::size_t lo = 0;
  for (auto* r : ref) {
    while (lo < det.size() && det[lo]->start_s < r->start_s - max_start_diff_s) ++lo;
    std::size_t best = det.size();
    for (std::size_t j = lo; j < det.size() && det[j]->start_s <= r->start_s + max_start_diff_s; ++j) {
      if (used[j] || det[j]->role != r->role || det[j]->prev_role != r->prev_role) continue;
      if (best == det.size() || std::abs(det[j]->start_s - r->start_s) < std::abs(det[best]->start_s - r->start_s)) best = j;
    }
    if (best < det.size()) {
      used[best] = true;
      ++out.matched;
      abs_sum += std::abs(det[best]->fto_s - r->fto_s);
      sum += det[best]->fto_s - r->fto_s;
    }
  }
  if (out.matched) {
    out.mae_s = abs_sum / static_cast<double>(out.matched);
    out.bias_s = sum / static_cast<double>(out.matched);
  }
  return out;
}

TalkspurtScore score_talkspurts(const std::vector<dsp::Segment>& reference, const std::vector<dsp::Segment>& detected,
                                const std::vector<std::string>& roles, double duration_s, const ScoreConfig& config) {
  TalkspurtScore s;
  s.der_no_collar = diarization_error(reference, detected, roles, 0, duration_s, 0);
  s.der_collar = diarization_error(reference, detected, roles, 0, duration_s, config.collar_s);
  dsp::TurnConfig tc;
  tc.backchannel_max_s = config.backchannel_max_s;
  tc.roles = roles;
  const auto tr = dsp::compute_turn_taking(reference, {}, tc);
  const auto td = dsp::compute_turn_taking(detected, {}, tc);
  s.events = event_f1(tr.events, td.events, config.event_tolerance_s);
  s.fto = fto_error(tr.turns, td.turns, config.fto_max_start_diff_s);
  return s;
}

std::vector<dsp::Segment> detect_talkspurts(dsp::VoiceActivityDetector& vad, const std::vector<std::vector<float>>& channels,
                                            const std::vector<std::string>& roles, std::size_t block_frames) {
  if (channels.size() != roles.size() || channels.size() != vad.channels())
    throw std::invalid_argument("detect_talkspurts: " + std::to_string(channels.size()) + " channels, " + std::to_string(roles.size()) +
                                " roles and a detector for " + std::to_string(vad.channels()) + " channels");
  const std::size_t n = channels.empty() ? 0 : channels[0].size();
  block_frames = std::max<std::size_t>(1, block_frames);
  std::vector<dsp::Segment> out;
  std::vector<std::span<const float>> views(channels.size());
  auto collect = [&] {
    for (std::size_t c = 0; c < channels.size(); ++c)
      for (auto iv : vad.take(c)) out.push_back({roles[c], iv.start_s, iv.end_s});
  };
  for (std::size_t off = 0; off < n; off += block_frames) {
    const std::size_t m = std::min(block_frames, n - off);
    for (std::size_t c = 0; c < channels.size(); ++c) views[c] = std::span<const float>(channels[c].data() + off, m);
    vad.process(views);
    collect();
  }
  vad.finish();
  collect();
  std::sort(out.begin(), out.end(), [](auto& a, auto& b) {
    return a.start_s != b.start_s ? a.start_s < b.start_s : dsp::role_rank(a.role) < dsp::role_rank(b.role);
  });
  return out;
}

void accumulate(TalkspurtScore& a, const TalkspurtScore& b) {
  for (auto [x, y] : {std::pair{&a.der_no_collar, &b.der_no_collar}, std::pair{&a.der_collar, &b.der_collar}}) {
    x->reference_s += y->reference_s;
    x->missed_s += y->missed_s;
    x->false_alarm_s += y->false_alarm_s;
  }
  if (a.events.empty()) {
    a.events = b.events;
  } else {
    for (std::size_t i = 0; i < a.events.size() && i < b.events.size(); ++i) {
      a.events[i].reference += b.events[i].reference;
      a.events[i].detected += b.events[i].detected;
      a.events[i].matched += b.events[i].matched;
    }
  }
  const auto m = a.fto.matched + b.fto.matched;
  if (m > 0) {
    auto part = [](double v, std::size_t k) { return k ? v * static_cast<double>(k) : 0.0; };
    a.fto.mae_s = (part(a.fto.mae_s, a.fto.matched) + part(b.fto.mae_s, b.fto.matched)) / static_cast<double>(m);
    a.fto.bias_s = (part(a.fto.bias_s, a.fto.matched) + part(b.fto.bias_s, b.fto.matched)) / static_cast<double>(m);
  }
  a.fto.reference += b.fto.reference;
  a.fto.matched = m;
}

}  // namespace dyad::analysis
