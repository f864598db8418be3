#pragma once
/// \file A small synthetic session with a fake features/ folder following the schemas of
/// HELPERS-TURNS.md, for the viewer's tests and bench/viewer. Not the simulator: turns are a
/// simple alternation with gaps, overlaps and backchannels, voices are harmonic buzzes.
#include <algorithm>
#include <cmath>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "dyad/formats/audio.hpp"
#include "dyad/formats/files.hpp"
#include "dyad/formats/manifest.hpp"
#include "dyad/formats/markers.hpp"
#include "dyad/formats/session.hpp"
#include "dyad/formats/stream.hpp"
#include "dyad/formats/text.hpp"

namespace dyad::test {

struct FakeSessionOptions {
  double duration_s = 120;
  double rate_hz = 8000;
  bool features = true;   ///< write features/ (segments, turns, events, pitch_A, pitch_B)
  bool streams = true;    ///< hr_A, eda_B, ecg_A (only when duration <= 1 h), bp_A
  bool markers = true;
  std::uint32_t seed = 1;
};

struct FakeTalkspurt {
  std::string role;
  double start_s, end_s;
};

/// Writes the session folder `dir` (must not exist) and returns its talkspurts.
inline std::vector<FakeTalkspurt> write_fake_session(const std::filesystem::path& dir, const FakeSessionOptions& o) {
  namespace f = dyad::formats;
  std::mt19937 g(o.seed);
  std::uniform_real_distribution<double> u(0, 1);
  f::create_session_dir(dir);
  // Turns: alternate A and B; mostly gaps, sometimes an overlap; backchannels of the listener.
  std::vector<FakeTalkspurt> spurts;
  struct TurnRow {
    std::string role;
    double a, b;
  };
  std::vector<TurnRow> turns;
  struct Ev {
    std::string type;
    double a, b;
    std::string from, to, ok;
  };
  std::vector<Ev> events;
  double t = 1.0;
  std::string who = "A";
  while (t < o.duration_s - 6) {
    std::string other = who == "A" ? "B" : "A";
    double len = 3 + 6 * u(g);
    double end = std::min(o.duration_s - 1, t + len);
    // the turn: two talkspurts with a pause
    double mid = t + (end - t) * (0.4 + 0.2 * u(g));
    spurts.push_back({who, t, mid - 0.25});
    spurts.push_back({who, mid + 0.25, end});
    events.push_back({"pause", mid - 0.25, mid + 0.25, who, who, "n/a"});
    turns.push_back({who, t, end});
    if (u(g) < 0.4 && end - mid > 2) {  // a backchannel of the listener
      double bc = mid + 0.6;
      spurts.push_back({other, bc, bc + 0.4});
      events.push_back({"overlap_within", bc, bc + 0.4, who, other, "n/a"});
      events.push_back({"backchannel", bc, bc + 0.4, who, other, "n/a"});
    }
    double next;
    if (u(g) < 0.25) {  // overlap: the next speaker starts before the end
      next = end - 0.3 - 0.5 * u(g);
      events.push_back({"overlap_between", next, end, who, other, "n/a"});
      if (end - next > 0.6 && u(g) < 0.5) events.push_back({"interruption", next, end, who, other, "1"});
    } else {
      next = end + 0.2 + 0.8 * u(g);
      events.push_back({"gap", end, next, who, other, "n/a"});
    }
    t = next;
    who = other;
  }
  std::sort(spurts.begin(), spurts.end(), [](auto& x, auto& y) { return x.start_s < y.start_s || (x.start_s == y.start_s && x.role < y.role); });
  std::sort(events.begin(), events.end(), [](auto& x, auto& y) { return x.a < y.a || (x.a == y.a && x.type < y.type); });

  // Audio: each partner's buzz during their talkspurts, quiet noise and -20 dB crosstalk otherwise.
  const auto frames = static_cast<std::int64_t>(o.duration_s * o.rate_hz);
  {
    f::AudioWriter w(dir / "audio.wav", o.rate_hz, 2);
    const std::int64_t block = 1 << 16;
    std::vector<float> buf(static_cast<std::size_t>(block * 2));
    std::vector<float> table(4096);
    for (std::size_t i = 0; i < table.size(); ++i) {
      double ph = 2 * M_PI * static_cast<double>(i) / static_cast<double>(table.size());
      table[i] = static_cast<float>(0.6 * std::sin(ph) + 0.25 * std::sin(2 * ph) + 0.12 * std::sin(3 * ph));
    }
    double phase[2] = {0, 0};
    const double f0[2] = {120, 210};
    std::size_t si[2] = {0, 0};
    std::vector<std::vector<FakeTalkspurt>> by_role(2);
    for (auto& s : spurts) by_role[s.role == "A" ? 0 : 1].push_back(s);
    std::uint32_t lcg = o.seed * 2654435761u + 1;
    for (std::int64_t f0f = 0; f0f < frames; f0f += block) {
      std::int64_t n = std::min(block, frames - f0f);
      for (int c = 0; c < 2; ++c) {
        auto& list = by_role[static_cast<std::size_t>(c)];
        for (std::int64_t i = 0; i < n; ++i) {
          double ts = static_cast<double>(f0f + i) / o.rate_hz;
          while (si[c] < list.size() && list[si[c]].end_s < ts) ++si[c];
          float env = 0;
          if (si[c] < list.size() && list[si[c]].start_s <= ts) {
            double a = ts - list[si[c]].start_s, b = list[si[c]].end_s - ts;
            env = static_cast<float>(std::min({1.0, a / 0.05, b / 0.05}) * (0.55 + 0.45 * std::sin(ts * 7.0 + c)));
          }
          phase[c] += f0[c] * (1 + 0.05 * std::sin(ts * 0.5)) / o.rate_hz;
          phase[c] -= std::floor(phase[c]);
          lcg = lcg * 1664525u + 1013904223u;
          float nz = (static_cast<float>(lcg >> 8) / 16777216.f - 0.5f) * 0.01f;
          buf[static_cast<std::size_t>(i * 2 + c)] = env * table[static_cast<std::size_t>(phase[c] * 4096) & 4095] + nz;
        }
      }
      for (std::int64_t i = 0; i < n; ++i) {  // crosstalk
        float a = buf[static_cast<std::size_t>(i * 2)], b = buf[static_cast<std::size_t>(i * 2 + 1)];
        buf[static_cast<std::size_t>(i * 2)] = a + 0.1f * b;
        buf[static_cast<std::size_t>(i * 2 + 1)] = b + 0.1f * a;
      }
      w.write(std::span<const float>(buf.data(), static_cast<std::size_t>(n * 2)));
    }
    w.close();
  }

  auto m = f::new_manifest("C07", 3, "dosing");
  m.participants = {{"A", "P013"}, {"B", "P014"}};
  m.audio = f::AudioSection{"audio.wav", o.rate_hz, "float32", {{1, "A"}, {2, "B"}}};
  if (o.streams) {
    auto hr = [&](double ts) { return 72 + 8 * std::sin(ts / 300) + 3 * std::sin(ts / 17); };
    {  // heart rate of A, beat by beat
      f::StreamSidecar sc;
      sc.name = "hr_A";
      sc.kind = "hr";
      sc.role = "A";
      sc.columns = {"hr"};
      sc.units = {"bpm"};
      f::StreamData d;
      d.values.resize(1);
      for (double ts = 0.5; ts < o.duration_s; ts += 60.0 / hr(ts)) {
        if (ts > o.duration_s * 0.6 && ts < o.duration_s * 0.62) continue;  // a dropout: a real gap
        d.time_s.push_back(ts);
        d.device_time_s.push_back(ts);
        d.values[0].push_back(std::round(hr(ts) * 10) / 10);
      }
      f::write_stream(dir, sc, d);
      m.streams.push_back({sc.name, sc.kind, sc.role});
    }
    {  // EDA of B at 4 Hz
      f::StreamSidecar sc;
      sc.name = "eda_B";
      sc.kind = "eda";
      sc.role = "B";
      sc.nominal_rate_hz = sc.measured_rate_hz = 4;
      sc.columns = {"eda"};
      sc.units = {"uS"};
      f::StreamData d;
      d.values.resize(1);
      for (std::int64_t i = 0; i < static_cast<std::int64_t>(o.duration_s * 4); ++i) {
        double ts = i / 4.0;
        d.time_s.push_back(ts);
        d.device_time_s.push_back(ts);
        double scr = std::fmod(ts, 45.0) < 8 ? 0.3 * std::exp(-std::fmod(ts, 45.0) / 3) * (std::fmod(ts, 45.0) > 1) : 0;
        d.values[0].push_back(std::round((4 + 0.5 * std::sin(ts / 600) + scr) * 1000) / 1000);
      }
      f::write_stream(dir, sc, d);
      m.streams.push_back({sc.name, sc.kind, sc.role});
    }
    if (o.duration_s <= 3600) {  // raw ECG of A at 250 Hz
      f::StreamSidecar sc;
      sc.name = "ecg_A";
      sc.kind = "ecg";
      sc.role = "A";
      sc.nominal_rate_hz = sc.measured_rate_hz = 250;
      sc.columns = {"ecg"};
      sc.units = {"mV"};
      f::StreamData d;
      d.values.resize(1);
      double beat = 0;
      for (std::int64_t i = 0; i < static_cast<std::int64_t>(o.duration_s * 250); ++i) {
        double ts = i / 250.0;
        if (ts - beat > 60.0 / hr(ts)) beat = ts;
        double x = ts - beat;
        double v = 1.2 * std::exp(-std::pow((x - 0.2) / 0.012, 2)) + 0.25 * std::exp(-std::pow((x - 0.45) / 0.05, 2)) -
                   0.15 * std::exp(-std::pow((x - 0.17) / 0.01, 2));
        d.time_s.push_back(ts);
        d.device_time_s.push_back(ts);
        d.values[0].push_back(std::round(v * 1000) / 1000);
      }
      f::write_stream(dir, sc, d);
      m.streams.push_back({sc.name, sc.kind, sc.role});
    }
    {  // cuff blood pressure of A, every quarter of the session
      f::StreamSidecar sc;
      sc.name = "bp_A";
      sc.kind = "bp";
      sc.role = "A";
      sc.columns = {"systolic", "diastolic", "mean"};
      sc.units = {"mmHg", "mmHg", "mmHg"};
      f::StreamData d;
      d.values.resize(3);
      for (int i = 1; i < 8; ++i) {
        double ts = o.duration_s * i / 8.0;
        double sys = 118 + 4 * i % 13, dia = 76 + 3 * i % 7;
        d.time_s.push_back(ts);
        d.device_time_s.push_back(ts);
        d.values[0].push_back(sys);
        d.values[1].push_back(dia);
        d.values[2].push_back(std::round((sys + 2 * dia) / 3));
      }
      f::write_stream(dir, sc, d);
      m.streams.push_back({sc.name, sc.kind, sc.role});
    }
  }
  f::write_manifest(dir, m);
  if (o.markers) {
    const double d = o.duration_s;
    f::write_markers(dir, {{0, 0.15 * d, "baseline", "n/a", "user"},
                           {0.15 * d, 0.55 * d, "dosing", "n/a", "user"},
                           {0.7 * d, 0.3 * d, "integration talk", "n/a", "user"},
                           {0.3 * d, 0, "door knock", "n/a", "recorder"},
                           {0.4 * d, 0, "bp", "128/84", "user"},
                           {0.5 * d, 0, "CADSS", "12", "user"}});
  }
  if (o.features) {
    f::make_private_dir(dir / "features");
    std::ofstream seg(dir / "features" / "segments.tsv");
    seg << "role\tstart_s\tend_s\n";
    for (auto& s : spurts) seg << f::tsv_line({s.role, f::format_number(s.start_s), f::format_number(s.end_s)});
    std::ofstream tu(dir / "features" / "turns.tsv");
    tu << "turn\trole\tstart_s\tend_s\tfto_s\n";
    for (std::size_t i = 0; i < turns.size(); ++i)
      tu << f::tsv_line({std::to_string(i + 1), turns[i].role, f::format_number(turns[i].a), f::format_number(turns[i].b),
                         i == 0 ? "n/a" : f::format_number(turns[i].a - turns[i - 1].b)});
    std::ofstream ev(dir / "features" / "events.tsv");
    ev << "type\tstart_s\tend_s\tfrom_role\tto_role\tsuccessful\n";
    for (auto& e : events) ev << f::tsv_line({e.type, f::format_number(e.a), f::format_number(e.b), e.from, e.to, e.ok});
    for (std::string role : {"A", "B"}) {
      std::ofstream p(dir / "features" / ("pitch_" + role + ".tsv"));
      p << "time_s\tf0_hz\tvoiced\tintensity_db\n";
      std::size_t k = 0;
      std::string buf;
      for (std::int64_t i = 0; i < static_cast<std::int64_t>(o.duration_s * 100); ++i) {
        double ts = i / 100.0;
        while (k < spurts.size() && (spurts[k].role != role || spurts[k].end_s < ts)) ++k;
        bool voiced = k < spurts.size() && spurts[k].start_s <= ts;
        double f0 = (role == "A" ? 120 : 210) * (1 + 0.05 * std::sin(ts * 0.5)) * (1 + 0.08 * std::sin(ts * 2.1));
        buf += f::format_fixed(ts, 2) + "\t" + (voiced ? f::format_fixed(f0, 1) : "n/a") + "\t" + (voiced ? "1" : "0") + "\t" +
               f::format_fixed(voiced ? 62 + 6 * std::sin(ts * 7.0) : 34 + 2 * std::sin(ts), 1) + "\n";
        if (buf.size() > (1 << 20)) {
          p << buf;
          buf.clear();
        }
      }
      p << buf;
    }
  }
  return spurts;
}

}  // namespace dyad::test
