#include "dyad/viewer/summary.hpp"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>

#include "dyad/formats/files.hpp"
#include "dyad/formats/text.hpp"

namespace dyad::viewer {

namespace fs = std::filesystem;
using nlohmann::json;

double median_of(std::vector<double> v) {
  v.erase(std::remove_if(v.begin(), v.end(), [](double x) { return std::isnan(x); }), v.end());
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  double h = 0.5 * static_cast<double>(v.size() - 1);
  auto lo = static_cast<std::size_t>(std::floor(h));
  std::size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (h - static_cast<double>(lo)) * (v[hi] - v[lo]);
}

std::string role_name(const std::string& role) {
  if (role == "therapist") return "Therapist";
  return role.empty() ? "?" : "Partner " + role;
}

const PartnerSummary* SessionSummary::partner(const std::string& role) const noexcept {
  for (auto& p : partners)
    if (p.role == role) return &p;
  return nullptr;
}

const FtoHistogram* SessionSummary::direction(const std::string& from, const std::string& to) const noexcept {
  for (auto& h : fto)
    if (h.from == from && h.to == to) return &h;
  return nullptr;
}

namespace {

double num(const json& j, std::initializer_list<const char*> path) {
  const json* p = &j;
  for (const char* k : path) {
    if (!p->is_object() || !p->contains(k)) return NAN;
    p = &(*p)[k];
  }
  return p->is_number() ? p->get<double>() : NAN;
}

int count(const json& j, std::initializer_list<const char*> path) {
  double v = num(j, path);
  return std::isnan(v) ? 0 : static_cast<int>(std::lround(v));
}

double role_rank(const std::string& r) { return r == "A" ? 0 : r == "B" ? 1 : r == "therapist" ? 2 : 3; }

}  // namespace

SessionSummary SessionSummary::load(const SessionModel& m) {
  SessionSummary s;
  s.session_s = m.duration_s;
  const fs::path feat = m.session.dir / "features";
  std::error_code ec;

  // Partners: every role that speaks, A, B, therapist order.
  std::vector<std::string> roles;
  for (auto& sp : m.speech) roles.push_back(sp.role);
  std::sort(roles.begin(), roles.end(), [](auto& a, auto& b) { return role_rank(a) < role_rank(b) || (role_rank(a) == role_rank(b) && a < b); });
  for (auto& r : roles) s.partners.push_back({r});

  json j;
  if (fs::exists(feat / "summary.json", ec)) {
    try {
      j = json::parse(formats::read_file(feat / "summary.json"));
      s.has_summary_json = j.is_object();
    } catch (const std::exception& e) {
      s.warnings.push_back((feat / "summary.json").string() + ": not valid JSON (" + e.what() + ")");
    }
  }
  if (s.has_summary_json) {
    s.analysed_s = num(j, {"dyad", "analysed_s"});
    s.floor_changes = count(j, {"dyad", "floor_changes"});
  }
  const json& ext = j.is_object() && j.contains("extensions") ? j["extensions"] : j;
  const json& physio = ext.is_object() && ext.contains("physiology") ? ext["physiology"]
                       : j.is_object() && j.contains("physiology") ? j["physiology"]
                                                                  : json();
  const json& prosody = ext.is_object() && ext.contains("prosody") ? ext["prosody"] : json();

  // Talk: from the turns and events the timeline holds (so the dashboard and the timeline agree).
  s.turns = static_cast<int>(m.turns.size());
  std::map<std::string, std::pair<double, double>> talk;  // role -> speaking, floor seconds
  for (auto& sp : m.speech) {
    for (auto& x : sp.talkspurts) talk[sp.role].first += x.end_s - x.start_s;
    for (auto& x : sp.turns) talk[sp.role].second += x.end_s - x.start_s;
  }
  double all_speaking = 0, all_floor = 0;
  for (auto& [r, v] : talk) {
    all_speaking += v.first;
    all_floor += v.second;
  }
  for (auto& p : s.partners) {
    for (auto& t : m.turns)
      if (t.role == p.role) ++p.turns;
    if (s.has_summary_json && j.contains("partners") && j["partners"].contains(p.role)) {
      const json& pj = j["partners"][p.role];
      p.speaking_s = num(pj, {"speaking_s"});
      p.speaking_share = num(pj, {"speaking_share"});
      p.floor_share = num(pj, {"floor_share"});
    } else {  // no summary.json: from the talkspurts and turns
      p.speaking_s = talk[p.role].first;
      p.speaking_share = all_speaking > 0 ? talk[p.role].first / all_speaking : NAN;
      p.floor_share = all_floor > 0 ? talk[p.role].second / all_floor : NAN;
    }
    p.f0_hz_median = num(prosody, {"partners", p.role.c_str(), "f0_hz_median"});
    p.baseline_f0_st = num(prosody, {"partners", p.role.c_str(), "baseline_f0_st"});
    p.hr_bpm = num(physio, {"roles", p.role.c_str(), "hr_bpm"});
    p.rmssd_ms = num(physio, {"roles", p.role.c_str(), "hrv", "rmssd_ms"});
    p.scr_per_min = num(physio, {"roles", p.role.c_str(), "scr_per_min"});
  }
  auto partner_of = [&](const std::string& r) -> PartnerSummary* {
    for (auto& p : s.partners)
      if (p.role == r) return &p;
    return nullptr;
  };
  for (auto& lane : m.events) {
    const std::size_t n = lane.items.size();
    if (lane.type == "pause") s.pauses = static_cast<int>(n);
    if (lane.type == "gap") s.gaps = static_cast<int>(n);
    if (lane.type == "overlap_between") s.overlaps_between = static_cast<int>(n);
    if (lane.type == "overlap_within") s.overlaps_within = static_cast<int>(n);
    if (lane.type == "backchannel") s.backchannels = static_cast<int>(n);
    if (lane.type == "interruption") s.interruptions = static_cast<int>(n);
    for (std::size_t i = 0; i < n; ++i) {
      PartnerSummary* to = partner_of(lane.to[i]);
      PartnerSummary* from = partner_of(lane.from[i]);
      if (lane.type == "overlap_between" || lane.type == "overlap_within") {
        if (to) ++to->overlaps_entered;
      } else if (lane.type == "backchannel") {
        if (to) ++to->backchannels_given;
      } else if (lane.type == "interruption") {
        bool ok = i < lane.successful.size() && lane.successful[i] == 1;
        if (ok) ++s.interruptions_successful;
        if (to) {
          ++to->interruptions_made;
          if (ok) ++to->interruptions_successful;
        }
        if (from) ++from->interrupted;
      }
    }
  }

  // Floor transfer offsets per direction.
  std::map<std::pair<std::string, std::string>, std::vector<double>> dirs;
  for (auto& t : m.turns)
    if (!std::isnan(t.fto_s) && !t.prev_role.empty() && t.prev_role != t.role) dirs[{t.prev_role, t.role}].push_back(t.fto_s);
  for (auto& [k, v] : dirs) {
    FtoHistogram h;
    h.from = k.first;
    h.to = k.second;
    h.n = static_cast<int>(v.size());
    h.median_s = median_of(v);
    const int bins = static_cast<int>(h.counts.size());
    for (double x : v) {
      int b = static_cast<int>(std::floor((x - FtoHistogram::kLo) / FtoHistogram::kBin + 1e-9));
      ++h.counts[static_cast<std::size_t>(std::clamp(b, 0, bins - 1))];
    }
    s.fto.push_back(std::move(h));
  }
  std::sort(s.fto.begin(), s.fto.end(), [](const FtoHistogram& a, const FtoHistogram& b) {
    return std::make_pair(role_rank(a.from), role_rank(a.to)) < std::make_pair(role_rank(b.from), role_rank(b.to));
  });

  // Windows: speaking share and F0 relative to baseline.
  formats::Table t;
  if (formats::read_optional_table(feat / "windows.tsv", t, s.warnings, "not shown in the summary")) {
    try {
      auto a = t.require_column("start_s"), b = t.require_column("end_s");
      if (!t.rows.empty()) s.window_s = t.required_number(0, b) - t.required_number(0, a);
      std::vector<std::pair<std::string, int>> speak;
      for (auto& p : s.partners) {
        int c = t.column("speaking_s_" + p.role);
        if (c >= 0) speak.emplace_back(p.role, c);
      }
      for (auto& [role, c] : speak) {
        TrendLine share{role, {}, {}}, f0{role, {}, {}};
        const int cf = t.column("f0_st_mean_" + role);
        const double base = partner_of(role) ? partner_of(role)->baseline_f0_st : NAN;
        for (std::size_t r = 0; r < t.rows.size(); ++r) {
          double mid = (t.required_number(r, a) + t.required_number(r, b)) / 2 / 60;
          double total = 0;
          for (auto& [r2, c2] : speak) {
            double x = t.number(r, static_cast<std::size_t>(c2));
            if (!std::isnan(x)) total += x;
          }
          double mine = t.number(r, static_cast<std::size_t>(c));
          share.t_min.push_back(mid);
          share.v.push_back(total > 0 ? 100 * mine / total : NAN);
          if (cf >= 0 && !std::isnan(base)) {
            f0.t_min.push_back(mid);
            f0.v.push_back(t.number(r, static_cast<std::size_t>(cf)) - base);
          }
        }
        s.speaking_share.push_back(std::move(share));
        if (!f0.v.empty()) s.f0_rel_st.push_back(std::move(f0));
      }
    } catch (const std::exception& e) {
      s.warnings.push_back(std::string(e.what()) + " (window trends not shown)");
      s.speaking_share.clear();
      s.f0_rel_st.clear();
    }
  }
  if (formats::read_optional_table(feat / "physio_windows.tsv", t, s.warnings, "not shown in the summary")) {
    try {
      auto a = t.require_column("start_s"), b = t.require_column("end_s"), r = t.require_column("role"),
           h = t.require_column("hr_bpm");
      std::map<std::string, TrendLine> lines;
      for (std::size_t i = 0; i < t.rows.size(); ++i) {
        auto& l = lines[t.rows[i][r]];
        l.role = t.rows[i][r];
        l.t_min.push_back((t.required_number(i, a) + t.required_number(i, b)) / 2 / 60);
        l.v.push_back(t.number(i, h));
      }
      for (auto& [role, l] : lines)
        if (std::any_of(l.v.begin(), l.v.end(), [](double x) { return !std::isnan(x); })) s.hr_bpm.push_back(std::move(l));
      std::sort(s.hr_bpm.begin(), s.hr_bpm.end(), [](auto& x, auto& y) { return role_rank(x.role) < role_rank(y.role); });
    } catch (const std::exception& e) {
      s.warnings.push_back(std::string(e.what()) + " (heart-rate trend not shown)");
      s.hr_bpm.clear();
    }
  }
  if (formats::read_optional_table(feat / "synchrony.tsv", t, s.warnings, "not shown in the summary")) {
    try {
      auto sig = t.require_column("signal"), a = t.require_column("start_s"), b = t.require_column("end_s"),
           pr = t.require_column("peak_r"), lag = t.require_column("lag_s"), p95 = t.require_column("surrogate_p95");
      for (std::size_t i = 0; i < t.rows.size(); ++i) {
        const std::string& name = t.rows[i][sig];
        auto it = std::find_if(s.synchrony.begin(), s.synchrony.end(), [&](auto& l) { return l.signal == name; });
        if (it == s.synchrony.end()) {
          s.synchrony.push_back({name, {}, {}, {}, NAN, NAN, NAN});
          it = s.synchrony.end() - 1;
        }
        it->t_min.push_back((t.required_number(i, a) + t.required_number(i, b)) / 2 / 60);
        it->abs_r.push_back(std::abs(t.number(i, pr)));
        it->lag_s.push_back(t.number(i, lag));
        if (std::isnan(it->surrogate_p95)) it->surrogate_p95 = t.number(i, p95);
      }
      for (auto& l : s.synchrony) {
        l.fraction_above = num(physio, {"synchrony", l.signal.c_str(), "fraction_above_surrogate"});
        l.mean_abs_r = num(physio, {"synchrony", l.signal.c_str(), "mean_abs_peak_r"});
        if (std::isnan(l.fraction_above) || std::isnan(l.mean_abs_r)) {  // without summary.json: from the rows
          int valid = 0, above = 0;
          double sum = 0;
          for (double r : l.abs_r)
            if (!std::isnan(r)) {
              ++valid;
              sum += r;
              if (r > l.surrogate_p95) ++above;
            }
          l.fraction_above = valid ? static_cast<double>(above) / valid : NAN;
          l.mean_abs_r = valid ? sum / valid : NAN;
        }
      }
      std::stable_sort(s.synchrony.begin(), s.synchrony.end(), [](auto& x, auto& y) {
        auto rank = [](const std::string& n) { return n == "hr" ? 0 : n == "eda" ? 1 : 2; };
        return rank(x.signal) < rank(y.signal);
      });
    } catch (const std::exception& e) {
      s.warnings.push_back(std::string(e.what()) + " (synchrony not shown)");
      s.synchrony.clear();
    }
  }

  // Blood pressure: the analysis' table (stream readings and bp entries), an entry that repeats a
  // stream reading (same numbers within 5 s, as the simulator and some cuffs write both) once.
  if (formats::read_optional_table(feat / "bp_events.tsv", t, s.warnings, "not shown in the summary")) {
    try {
      auto ti = t.require_column("time_s"), r = t.require_column("role"), so = t.require_column("source"),
           sy = t.require_column("systolic_mmHg"), di = t.require_column("diastolic_mmHg");
      for (std::size_t i = 0; i < t.rows.size(); ++i) {
        BpReading b{t.required_number(i, ti), t.rows[i][r] == "n/a" ? "" : t.rows[i][r], t.number(i, sy), t.number(i, di),
                    t.rows[i][so]};
        s.bp.push_back(std::move(b));
      }
    } catch (const std::exception& e) {
      s.warnings.push_back(std::string(e.what()) + " (blood pressure not shown)");
      s.bp.clear();
    }
  } else {
    for (auto& track : m.bp)
      for (std::size_t i = 0; i < track.t.size(); ++i)
        s.bp.push_back({track.t[i], track.role, track.sys[i], track.dia[i], track.id == "bp:markers" ? "marker" : track.id.substr(3)});
  }
  std::vector<BpReading> kept;
  for (auto& b : s.bp) {
    if (b.source == "marker") {
      bool dup = std::any_of(s.bp.begin(), s.bp.end(), [&](const BpReading& o) {
        return o.source != "marker" && std::abs(o.t_s - b.t_s) <= 5 && o.sys == b.sys && o.dia == b.dia;
      });
      if (dup) continue;
    }
    kept.push_back(b);
  }
  s.bp = std::move(kept);
  std::stable_sort(s.bp.begin(), s.bp.end(), [](auto& x, auto& y) { return x.t_s < y.t_s; });
  return s;
}

}  // namespace dyad::viewer

namespace dyad::viewer {

namespace {
std::string fixed(double v, int d) { return formats::format_fixed(v, d); }
/// "A 50 % · B 50 %" over the partners, skipping NaN.
template <class F>
std::string per_partner(const SessionSummary& s, F value) {
  std::string out;
  for (auto& p : s.partners) {
    std::string v = value(p);
    if (v.empty()) continue;
    out += (out.empty() ? "" : "  ·  ") + (p.role == "therapist" ? std::string("T") : p.role) + " " + v;
  }
  return out;
}
std::string signed_s(double v) {
  std::string t = fixed(v, 2);
  if (t.rfind('-', 0) == 0) t = "\u2212" + t.substr(1);
  return (v > 0 ? "+" : "") + t + " s";
}
}  // namespace

std::vector<KeyNumber> key_numbers(const SessionSummary& s) {
  std::vector<KeyNumber> k;
  const double analysed = std::isnan(s.analysed_s) ? s.session_s : s.analysed_s;
  if (s.has_summary_json || s.turns > 0)
    k.push_back({"Analysed time", format_clock(analysed, 0, analysed >= 3600) + (analysed >= 3600 ? " h" : " min"),
               "Session time the analysis covered (excluded stretches left out)."});
  if (s.turns > 0)
    k.push_back({"Turns", std::to_string(s.turns) + " (" + per_partner(s, [](auto& p) { return std::to_string(p.turns); }) + ")",
                 "A turn lasts from taking the floor until the other partner takes it."});
  auto pct = [](double v) { return std::isnan(v) ? std::string() : fixed(100 * v, 0) + " %"; };
  std::string sp = per_partner(s, [&](auto& p) { return pct(p.speaking_share); });
  if (!sp.empty())
    k.push_back({"Speaking share", sp, "Share of all the partners' speaking time (overlapping speech counts for both)."});
  std::string fl = per_partner(s, [&](auto& p) { return pct(p.floor_share); });
  if (!fl.empty()) k.push_back({"Floor share", fl, "Share of the time a turn was theirs."});
  std::string fto;
  for (auto& h : s.fto)
    fto += (fto.empty() ? "" : "  ·  ") + h.from + "\u2192" + h.to + " " + (std::isnan(h.median_s) ? "n/a" : signed_s(h.median_s));
  if (!fto.empty())
    k.push_back({"Median floor transfer offset", fto,
                 "The new speaker's start minus the previous speaker's end (A\u2192B: B takes the floor from A); positive: a "
                 "silent gap, negative: started in overlap."});
  if (s.turns > 0 || s.interruptions > 0) {
    k.push_back({"Interruptions made", per_partner(s, [](auto& p) {
                   return std::to_string(p.interruptions_made) + " (" + std::to_string(p.interruptions_successful) + " took the floor)";
                 }),
                 "Starting to talk while the other is mid-utterance, both talking for over 1 s; it takes the floor when the "
                 "other stops first."});
    k.push_back({"Backchannels given", per_partner(s, [](auto& p) { return std::to_string(p.backchannels_given); }),
                 "Short listener overlaps under 1 s (such as \u201cmm-hm\u201d) that do not take the floor."});
  }
  std::string f0 = per_partner(s, [](auto& p) { return std::isnan(p.f0_hz_median) ? std::string() : fixed(p.f0_hz_median, 0) + " Hz"; });
  if (!f0.empty()) k.push_back({"Median voice pitch (F0)", f0, "The middle of each partner's voice pitch over the session's voiced speech."});
  std::string hr = per_partner(s, [](auto& p) { return std::isnan(p.hr_bpm) ? std::string() : fixed(p.hr_bpm, 0) + " bpm"; });
  if (!hr.empty()) k.push_back({"Mean heart rate", hr, "Beats per minute over the session (from ECG, else heart-rate or PPG streams)."});
  std::string rm = per_partner(s, [](auto& p) { return std::isnan(p.rmssd_ms) ? std::string() : fixed(p.rmssd_ms, 0) + " ms"; });
  if (!rm.empty())
    k.push_back({"Heart-rate variability (RMSSD)", rm,
                 "Beat-to-beat variability of the heart (vagal tone); compare it with the same person at rest, not across people. Needs several minutes of clean beats."});
  for (auto& l : s.synchrony) {
    if (std::isnan(l.fraction_above)) continue;
    std::string what = l.signal == "hr" ? "Heart-rate synchrony" : l.signal == "eda" ? "Skin-conductance synchrony" : l.signal + " synchrony";
    k.push_back({what, fixed(100 * l.fraction_above, 0) + " % of windows above chance, mean |\u2060r\u2060| " + fixed(l.mean_abs_r, 2),
                 "Share of 30 s windows in which the partners' signals (either leading by up to 5 s) moved together more "
                 "than chance pairings do."});
  }
  if (!s.bp.empty()) {
    const BpReading* hi = &s.bp.front();
    for (auto& b : s.bp)
      if (b.sys > hi->sys) hi = &b;
    k.push_back({"Blood pressure", std::to_string(s.bp.size()) + " readings, highest " + fixed(hi->sys, 0) + "/" + fixed(hi->dia, 0) +
                                       " mmHg" + (hi->role.empty() ? "" : " (" + hi->role + ")"),
                 "Cuff readings, systolic/diastolic; 160/100 mmHg or above is flagged."});
  }
  return k;
}

}  // namespace dyad::viewer
