#include "dyad/viewer/model.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <system_error>
#include <thread>

#include "dyad/formats/error.hpp"
#include "dyad/formats/files.hpp"
#include "dyad/formats/overview.hpp"
#include "dyad/formats/text.hpp"

namespace dyad::viewer {

namespace fs = std::filesystem;
using formats::ErrorKind;
using formats::FormatError;

// ---------------------------------------------------------------------------------------------
RangeMinMax::RangeMinMax(std::span<const float> values) : raw_(values.data()), n_(values.size()) {
  const std::size_t n = values.size();
  if (n < 16) return;
  // Level 0 block by block: `x < mn ? x : mn` keeps mn when x is NaN (as Range::add) and
  // compiles to the vector min/max instructions.
  std::vector<Range> l0((n + 15) / 16);
  for (std::size_t b = 0; b < l0.size(); ++b) {
    const std::size_t i0 = b * 16, i1 = std::min(n, i0 + 16);
    float mn = std::numeric_limits<float>::infinity(), mx = -mn;
    for (std::size_t i = i0; i < i1; ++i) {
      const float x = raw_[i];
      mn = x < mn ? x : mn;
      mx = x > mx ? x : mx;
    }
    l0[b] = {mn, mx};
  }
  levels_.push_back(std::move(l0));
  while (levels_.back().size() >= 16) {
    const auto& prev = levels_.back();
    std::vector<Range> next((prev.size() + 15) / 16);
    for (std::size_t i = 0; i < prev.size(); ++i) next[i / 16].add(prev[i]);
    levels_.push_back(std::move(next));
  }
}

void RangeMinMax::scan(std::size_t level, std::size_t a, std::size_t b, Range& r) const noexcept {
  // level 0 = raw values; level k = levels_[k-1]
  auto direct = [&](std::size_t x, std::size_t y) {
    if (level == 0)
      for (std::size_t i = x; i < y; ++i) r.add(raw_[i]);
    else
      for (std::size_t i = x; i < y; ++i) r.add(levels_[level - 1][i]);
  };
  if (level >= levels_.size() || b - a < 32) {
    direct(a, b);
    return;
  }
  std::size_t a2 = (a + 15) / 16, b2 = b / 16;
  if (a2 >= b2) {
    direct(a, b);
    return;
  }
  direct(a, a2 * 16);
  scan(level + 1, a2, b2, r);
  direct(b2 * 16, b);
}

Range RangeMinMax::query(std::size_t first, std::size_t last) const noexcept {
  Range r;
  if (!raw_) return r;
  last = std::min(last, n_);
  if (first < last) scan(0, first, last, r);
  return r;
}

// ---------------------------------------------------------------------------------------------
void Series::finish() {
  // The series refers to its own vector: rebuild after every move into its final place.
  mm = RangeMinMax(v);
  std::vector<double> dts;
  for (std::size_t i = 1; i < t.size(); i += std::max<std::size_t>(1, t.size() / 2000)) dts.push_back(t[i] - t[i - 1]);
  if (!dts.empty()) {
    std::nth_element(dts.begin(), dts.begin() + static_cast<std::ptrdiff_t>(dts.size() / 2), dts.end());
    gap_s = std::max(4 * dts[dts.size() / 2], 1e-9);
  } else {
    gap_s = 1e9;
  }
  std::vector<float> s;
  for (std::size_t i = 0; i < v.size(); i += std::max<std::size_t>(1, v.size() / 20000))
    if (!std::isnan(v[i])) s.push_back(v[i]);
  if (s.empty()) {
    lo = 0;
    hi = 1;
    return;
  }
  std::sort(s.begin(), s.end());
  float p1 = s[static_cast<std::size_t>(0.01 * static_cast<double>(s.size() - 1))];
  float p99 = s[static_cast<std::size_t>(0.99 * static_cast<double>(s.size() - 1))];
  if (s.size() < 200) {
    p1 = s.front();
    p99 = s.back();
  }
  float pad = (p99 - p1) * 0.08f;
  if (pad <= 0) pad = std::max(1e-3f, std::abs(p1) * 0.1f);
  lo = p1 - pad;
  hi = p99 + pad;
}

void Series::set_data(std::vector<double> times, std::vector<float> values) {
  auto keep = std::make_shared<std::pair<std::vector<double>, std::vector<float>>>(std::move(times), std::move(values));
  t = keep->first;
  v = keep->second;
  storage = std::move(keep);
}

std::size_t Series::index_at(double time_s) const noexcept {
  return static_cast<std::size_t>(std::lower_bound(t.begin(), t.end(), time_s) - t.begin());
}

std::size_t first_visible(const std::vector<Interval>& v, double t) noexcept {
  return static_cast<std::size_t>(
      std::lower_bound(v.begin(), v.end(), t, [](const Interval& i, double x) { return i.end_s < x; }) - v.begin());
}

const std::vector<std::string>& event_types() {
  static const std::vector<std::string> t{"pause", "gap", "overlap_between", "overlap_within", "backchannel", "interruption"};
  return t;
}

// ---------------------------------------------------------------------------------------------
// ---------------------------------------------------------------------------------------------
std::string format_clock(double seconds, int decimals, bool hours) {
  decimals = std::clamp(decimals, 0, 9);
  bool neg = seconds < 0;
  seconds = std::abs(seconds);
  double scale = std::pow(10.0, decimals);
  auto total = static_cast<long long>(std::llround(seconds * scale));
  long long frac = total % static_cast<long long>(scale);
  long long s = total / static_cast<long long>(scale);
  char buf[64];
  long long h = s / 3600, m = (s / 60) % 60, sec = s % 60;
  int n = hours ? std::snprintf(buf, sizeof buf, "%s%lld:%02lld:%02lld", neg ? "-" : "", h, m, sec)
                : std::snprintf(buf, sizeof buf, "%s%lld:%02lld", neg ? "-" : "", h * 60 + m, sec);
  std::string out(buf, static_cast<std::size_t>(std::max(0, n)));
  if (decimals > 0) {
    std::string f = std::to_string(frac);
    out += "." + std::string(static_cast<std::size_t>(std::max(0, decimals - static_cast<int>(f.size()))), '0') + f;
  }
  return out;
}

double nice_time_step(double seconds_per_px, double min_px) {
  static const std::array<double, 30> steps{0.0001, 0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1,
                                            0.2,    0.5,    1,      2,     5,     10,    15,   30,   60,   120,
                                            300,    600,    900,    1800,  3600,  7200,  14400, 28800, 86400, 172800};
  for (double s : steps)
    if (s / seconds_per_px >= min_px) return s;
  return steps.back();
}

double nice_value_step(double span, int ticks) {
  if (!(span > 0)) return 1;
  double raw = span / std::max(1, ticks);
  double p = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (m * p >= raw) return m * p;
  return 10 * p;
}

// ---------------------------------------------------------------------------------------------
namespace {

std::string role_title(const std::string& role) {
  if (role == "therapist") return "Therapist";
  return role.empty() ? "?" : "Partner " + role;
}

/// A column's unit as shown: files spell micro as 'u' (ASCII, as EDF does); the viewer shows µ.
std::string unit_of(const formats::StreamSidecar& sc, std::size_t c) {
  std::string u = c < sc.units.size() ? sc.units[c] : "";
  if (u.size() == 2 && u[0] == 'u' && (u[1] == 'S' || u[1] == 'V')) u = "\u00b5" + u.substr(1);
  return u;
}

/// Values computed here over times from `cols` (mapped or not): the series keeps both alive.
void with_values(Series& se, const formats::ColumnsView& cols, std::vector<float> values) {
  auto keep = std::make_shared<std::pair<std::shared_ptr<const void>, std::vector<float>>>(cols.storage, std::move(values));
  se.t = cols.time_s;
  se.v = keep->second;
  se.storage = std::move(keep);
}

}  // namespace

bool SessionModel::analysed() const {
  // any file of the analysis directly in features/ (the viewer's caches live in features/overview/)
  std::error_code ec;
  for (auto& e : std::filesystem::directory_iterator(session.dir / "features", ec))
    if (e.is_regular_file(ec)) return true;
  return false;
}

SessionModel SessionModel::load(const formats::Session& s) {
  SessionModel m;
  m.session = s;
  m.duration_s = s.duration_s();
  if (s.audio)
    for (int c = 1; c <= s.audio->channels; ++c) m.channel_roles.push_back(s.manifest.role_of_channel(c));
  const fs::path feat = s.dir / "features";
  auto speech_of = [&](const std::string& role) -> Speech& {
    for (auto& sp : m.speech)
      if (sp.role == role) return sp;
    m.speech.push_back({role, {}, {}});
    return m.speech.back();
  };

  formats::Table t;
  if (formats::read_optional_table(feat / "segments.tsv", t, m.warnings, "track not shown")) {
    try {
      auto r = t.require_column("role"), a = t.require_column("start_s"), b = t.require_column("end_s");
      for (std::size_t i = 0; i < t.rows.size(); ++i)
        speech_of(t.rows[i][r]).talkspurts.push_back({t.required_number(i, a), t.required_number(i, b)});
    } catch (const std::exception& e) {
      m.warnings.push_back(std::string(e.what()) + " (track not shown)");
    }
  }
  if (formats::read_optional_table(feat / "turns.tsv", t, m.warnings, "track not shown")) {
    try {
      auto n = t.require_column("turn"), r = t.require_column("role"), a = t.require_column("start_s"),
           b = t.require_column("end_s"), f = t.require_column("fto_s");
      const int pr = t.column("prev_role"), f0r = t.column("f0_st_mean_rel"), inr = t.column("intensity_db_mean_rel"),
                hrc = t.column("hr_change_bpm"), lhc = t.column("listener_hr_change_bpm");
      auto opt = [&](std::size_t i, int c) { return c < 0 ? NAN : t.number(i, static_cast<std::size_t>(c)); };
      for (std::size_t i = 0; i < t.rows.size(); ++i) {
        Turn tu{static_cast<int>(t.required_number(i, n)), t.rows[i][r], t.required_number(i, a), t.required_number(i, b),
                t.number(i, f)};
        if (pr >= 0 && t.rows[i][static_cast<std::size_t>(pr)] != "n/a") tu.prev_role = t.rows[i][static_cast<std::size_t>(pr)];
        tu.f0_rel_st = opt(i, f0r);
        tu.intensity_rel_db = opt(i, inr);
        tu.hr_change_bpm = opt(i, hrc);
        tu.listener_hr_change_bpm = opt(i, lhc);
        speech_of(tu.role).turns.push_back({tu.start_s, tu.end_s});
        m.turns.push_back(std::move(tu));
      }
      if (pr < 0)  // older tables: the previous turn's holder, unless the offset is n/a (first, after an exclusion)
        for (std::size_t i = 1; i < m.turns.size(); ++i)
          if (!std::isnan(m.turns[i].fto_s)) m.turns[i].prev_role = m.turns[i - 1].role;
    } catch (const std::exception& e) {
      m.warnings.push_back(std::string(e.what()) + " (turns not shown)");
      m.turns.clear();
    }
  }
  for (auto& sp : m.speech) {
    auto by_start = [](const Interval& x, const Interval& y) { return x.start_s < y.start_s; };
    std::sort(sp.talkspurts.begin(), sp.talkspurts.end(), by_start);
    std::sort(sp.turns.begin(), sp.turns.end(), by_start);
  }
  // Partners in channel order first, then any other role.
  std::stable_sort(m.speech.begin(), m.speech.end(), [&](const Speech& x, const Speech& y) {
    auto rank = [&](const std::string& r) {
      auto it = std::find(m.channel_roles.begin(), m.channel_roles.end(), r);
      return it == m.channel_roles.end() ? 99 : static_cast<int>(it - m.channel_roles.begin());
    };
    return rank(x.role) < rank(y.role);
  });

  if (formats::read_optional_table(feat / "events.tsv", t, m.warnings, "track not shown")) {
    try {
      auto ty = t.require_column("type"), a = t.require_column("start_s"), b = t.require_column("end_s"),
           fr = t.require_column("from_role"), to = t.require_column("to_role");
      const int su = t.column("successful");
      std::map<std::string, EventLane> lanes;
      for (std::size_t i = 0; i < t.rows.size(); ++i) {
        auto& l = lanes[t.rows[i][ty]];
        l.type = t.rows[i][ty];
        l.items.push_back({t.required_number(i, a), t.required_number(i, b)});
        l.from.push_back(t.rows[i][fr]);
        l.to.push_back(t.rows[i][to]);
        signed char ok = -1;
        if (su >= 0) {
          const auto& v = t.rows[i][static_cast<std::size_t>(su)];
          ok = v == "1" ? 1 : v == "0" ? 0 : -1;
        }
        l.successful.push_back(ok);
      }
      for (auto& ty_name : event_types())
        if (lanes.count(ty_name)) m.events.push_back(std::move(lanes[ty_name]));
    } catch (const std::exception& e) {
      m.warnings.push_back(std::string(e.what()) + " (events not shown)");
      m.events.clear();
    }
  }

  // F0 and intensity per partner.
  std::vector<std::string> roles = m.channel_roles;
  for (auto& p : s.manifest.participants)
    if (std::find(roles.begin(), roles.end(), p.role) == roles.end()) roles.push_back(p.role);
  std::vector<Series> intensity;
  for (auto& role : roles) {
    fs::path p = feat / ("pitch_" + role + ".tsv");
    std::error_code ec;
    if (role.empty() || !fs::exists(p, ec)) continue;
    try {
      auto cols = formats::map_table_columns(s.dir, p, {"time_s", "f0_hz", "voiced", "intensity_db"});  // cached
      Series f0;
      f0.id = "f0:" + role;
      f0.title = role_title(role) + " · F0";
      f0.unit = "Hz";
      f0.role = role;
      std::vector<float> fv(cols.values[0].size());
      for (std::size_t i = 0; i < fv.size(); ++i)
        fv[i] = cols.values[1][i] > 0.5f ? cols.values[0][i] : std::numeric_limits<float>::quiet_NaN();
      // Only inside the partner's own talkspurts, as every F0 statistic is computed: outside them
      // the microphone's voiced frames are mostly the other partner's voice leaking in.
      for (auto& sp : m.speech) {
        if (sp.role != role || sp.talkspurts.empty()) continue;
        auto spurts = sp.talkspurts;
        std::sort(spurts.begin(), spurts.end(), [](const Interval& x, const Interval& y) { return x.start_s < y.start_s; });
        std::size_t k = 0;
        for (std::size_t i = 0; i < fv.size(); ++i) {
          const double ti = cols.time_s[i];
          while (k < spurts.size() && spurts[k].end_s < ti) ++k;
          if (k == spurts.size() || ti < spurts[k].start_s) fv[i] = std::numeric_limits<float>::quiet_NaN();
        }
      }
      with_values(f0, cols, std::move(fv));
      Series in;
      in.id = "intensity:" + role;
      in.title = role_title(role) + " · intensity";
      in.unit = "dB";
      in.role = role;
      // digital silence (e.g. padding) is about -300 dB in Praat's scale: no level, not a point
      const auto& level = cols.values[2];
      if (std::any_of(level.begin(), level.end(), [](float x) { return x < 0; })) {
        std::vector<float> iv(level.begin(), level.end());
        for (auto& x : iv)
          if (x < 0) x = std::numeric_limits<float>::quiet_NaN();
        with_values(in, cols, std::move(iv));
      } else {
        in.t = cols.time_s;
        in.v = level;
        in.storage = cols.storage;
      }
      m.series.push_back(std::move(f0));
      intensity.push_back(std::move(in));
    } catch (const std::exception& e) {
      m.warnings.push_back(std::string(e.what()) + " (F0 and intensity not shown)");
    }
  }
  for (auto& in : intensity) m.series.push_back(std::move(in));

  // Sensor streams: every column a track; bp streams as readings.
  for (auto& st : s.streams) {
    const auto& sc = st.sidecar;
    try {
      auto cols = formats::map_stream_columns(s.dir, sc);  // through the binary cache, mapped
      if (sc.kind == "bp" && sc.columns.size() >= 2) {
        BpTrack b{"bp:" + sc.name, "BP · " + sc.name, sc.role, {cols.time_s.begin(), cols.time_s.end()}, {}, {}, {}};
        b.sys.assign(cols.values[0].begin(), cols.values[0].end());
        b.dia.assign(cols.values[1].begin(), cols.values[1].end());
        if (cols.values.size() > 2) b.mean.assign(cols.values[2].begin(), cols.values[2].end());
        m.bp.push_back(std::move(b));
        continue;
      }
      for (std::size_t c = 0; c < sc.columns.size(); ++c) {
        Series se;
        se.id = "stream:" + sc.name + ":" + sc.columns[c];
        se.title = sc.name + (sc.columns.size() > 1 ? " · " + sc.columns[c] : "");
        se.unit = unit_of(sc, c);
        se.role = sc.role;
        se.t = cols.time_s;
        se.v = cols.values[c];
        se.storage = cols.storage;
        se.dots = sc.nominal_rate_hz <= 0;
        m.series.push_back(std::move(se));
      }
    } catch (const std::exception& e) {
      m.warnings.push_back(std::string(e.what()) + " (stream " + sc.name + " not shown)");
    }
  }
  // Heart rate from the analysis' beats, when present.
  std::error_code ec;
  if (fs::is_directory(feat, ec)) {
    std::vector<fs::path> beats;
    for (auto& e : fs::directory_iterator(feat, ec)) {
      auto n = e.path().filename().string();
      if (n.rfind("beats_", 0) == 0 && e.path().extension() == ".tsv") beats.push_back(e.path());
    }
    std::sort(beats.begin(), beats.end());
    for (auto& p : beats) {
      std::string stream = p.stem().string().substr(6);
      try {
        auto cols = formats::map_table_columns(s.dir, p, {"time_s", "hr_bpm"});
        Series se;
        se.id = "beats:" + stream;
        se.title = "HR from " + stream;
        se.unit = "bpm";
        for (auto& st : s.streams)
          if (st.sidecar.name == stream) se.role = st.sidecar.role;
        se.t = cols.time_s;
        se.v = cols.values[0];
        se.storage = cols.storage;
        se.dots = true;
        m.series.push_back(std::move(se));
      } catch (const std::exception& e) {
        m.warnings.push_back(std::string(e.what()) + " (heart rate not shown)");
      }
    }
  }
  // The summaries of each series are independent (the raw ECG streams dominate): two threads.
  {
    std::atomic<std::size_t> next{0};
    std::exception_ptr failed[2];
    auto work = [&](int k) {
      try {
        for (std::size_t i; (i = next++) < m.series.size();) m.series[i].finish();
      } catch (...) {
        failed[k] = std::current_exception();
      }
    };
    std::thread helper;
    try {
      helper = std::thread(work, 1);
    } catch (const std::system_error&) {  // no thread to be had: all of it on this one
    }
    work(0);
    if (helper.joinable()) helper.join();
    for (auto& e : failed)
      if (e) std::rethrow_exception(e);
  }

  // Markers: phases (with a duration), clinical entries (with a value), plain markers.
  for (auto& mk : s.markers) m.add_marker(mk);
  for (auto& ph : m.phases) m.duration_s = std::max(m.duration_s, ph.onset_s + ph.duration_s);
  if (!m.turns.empty()) m.duration_s = std::max(m.duration_s, m.turns.back().end_s);
  return m;
}

void SessionModel::add_marker(const formats::Marker& mk) {
  const bool has_value = !mk.value.empty() && mk.value != "n/a";
  if (mk.duration_s > 0)
    phases.push_back(mk);
  else if (has_value)
    clinical.push_back(mk);
  else
    points.push_back(mk);
  if (has_value && mk.value.find('/') != std::string::npos) {
    auto sl = mk.value.find('/');
    auto sys = formats::parse_number(mk.value.substr(0, sl)), dia = formats::parse_number(mk.value.substr(sl + 1));
    if (sys && dia) {
      auto it = std::find_if(bp.begin(), bp.end(), [](const BpTrack& b) { return b.id == "bp:markers"; });
      if (it == bp.end()) {
        bp.push_back(BpTrack{"bp:markers", "BP · entries", "", {}, {}, {}, {}});
        it = bp.end() - 1;
      }
      // keep the readings in time order (entries may be added out of order)
      auto pos = static_cast<std::size_t>(std::upper_bound(it->t.begin(), it->t.end(), mk.onset_s) - it->t.begin());
      it->t.insert(it->t.begin() + static_cast<std::ptrdiff_t>(pos), mk.onset_s);
      it->sys.insert(it->sys.begin() + static_cast<std::ptrdiff_t>(pos), static_cast<float>(*sys));
      it->dia.insert(it->dia.begin() + static_cast<std::ptrdiff_t>(pos), static_cast<float>(*dia));
    }
  }
}

std::vector<Track> SessionModel::default_tracks() const {
  std::vector<Track> out;
  if (!phases.empty()) out.push_back({"phases", "Phases", "markers with a duration", TrackKind::phases, "", -1, 26, true});
  if (!points.empty()) out.push_back({"markers", "Markers", "events marked in the session", TrackKind::markers, "", -1, 26, true});
  if (!clinical.empty())
    out.push_back({"clinical", "Clinical entries", "ratings, readings, notes", TrackKind::clinical, "", -1, 30, true});
  // Per partner: waveform, then speech activity (ELAN-like tiers grouped by participant).
  std::vector<std::string> roles = channel_roles;
  for (auto& sp : speech)
    if (std::find(roles.begin(), roles.end(), sp.role) == roles.end()) roles.push_back(sp.role);
  for (auto& role : roles) {
    for (std::size_t c = 0; c < channel_roles.size(); ++c)
      if (channel_roles[c] == role)
        out.push_back({"wave:" + std::to_string(c + 1), role_title(role) + " · audio",
                       "channel " + std::to_string(c + 1), TrackKind::waveform, role, static_cast<int>(c), 80, true});
    for (std::size_t i = 0; i < speech.size(); ++i)
      if (speech[i].role == role)
        out.push_back({"speech:" + role, role_title(role) + " · speech", "talkspurts; turns (band)", TrackKind::speech,
                       role, static_cast<int>(i), 30, true});
  }
  if (!events.empty())
    out.push_back({"events", "Events", "turn-taking", TrackKind::events, "", -1,
                   static_cast<int>(14 * events.size() + 6), true});
  for (std::size_t i = 0; i < series.size(); ++i) {
    const auto& se = series[i];
    bool prosody = se.id.rfind("f0:", 0) == 0 || se.id.rfind("intensity:", 0) == 0;
    out.push_back({se.id, se.title, se.unit.empty() ? "" : se.unit, TrackKind::series, se.role, static_cast<int>(i),
                   prosody ? 56 : 50, true});
  }
  for (std::size_t i = 0; i < bp.size(); ++i)
    out.push_back({bp[i].id, bp[i].title, "mmHg, systolic/diastolic", TrackKind::bp, bp[i].role, static_cast<int>(i), 56, true});
  return out;
}

}  // namespace dyad::viewer
