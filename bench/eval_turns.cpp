// Voice activity with crosstalk rejection (issue 7): accuracy of the detectors against the truth,
// over crosstalk levels, leak delays, SNRs and overlap rates, on simulated sessions (`dyad
// simulate`) and on conversations composed from real read speech (FDA-UE, two speakers).
//
//   eval_turns [--quick] [--data DIR] [--seeds N] [--duration S] [--sim-duration S] [--tsv FILE]
//              [--no-sim] [--no-composed] [--no-baselines] [--truth-db DB] [--keep DIR] [--dump DIR] [--dump-all DIR] [--set NAME=VALUE]...
//              [--point XT_DB,DELAY_MS,SNR_DB,OVERLAP_RATE]...   (composed conversations at these points only)
//   eval_turns score SESSION...     score SESSION/features/segments.tsv against SESSION/truth/
//
// Detectors: `crosstalk` (dsp::CrosstalkVad, the default of dyad analyze), `energy`
// (dsp::EnergyVad, per channel) and `energy+level` (EnergyVad's frames kept only where the
// channel is the loudest: a plain level comparison between channels, for reference).
// Scores (analysis/vad_eval.hpp): DER without collar and with a 0.25 s collar (missed + false
// alarm over reference speech, roles fixed by microphone, overlap scored), event F1 per type
// (onsets within 100 ms, same roles), FTO mean absolute error over matched floor transfers.
// Pooled over seeds (ratios of sums). Prints Markdown tables; --tsv writes one row per run;
// --dump DIR writes the first conversation (audio.wav, truth.tsv, one <detector>.tsv each);
// --dump-all DIR writes every case's truth and detections (not the audio) into DIR/0, DIR/1, ...
// (in the order run);
// --set NAME=VALUE changes a parameter of the crosstalk detector (dsp::set_parameter names).
#include <sys/resource.h>

#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "dyad/analysis/compose.hpp"
#include "dyad/analysis/simulate.hpp"
#include "dyad/analysis/vad_eval.hpp"
#include "dyad/dsp/vad.hpp"
#include "dyad/formats/audio.hpp"
#include "dyad/formats/features.hpp"

namespace fs = std::filesystem;
using namespace dyad;

namespace {

struct Opts {
  bool quick = false, sim = true, composed = true;
  fs::path data = fs::path(DYAD_SHARED_DATA) / "pitch" / "fda_ue_dev";
  int seeds = 2;
  double truth_db = analysis::ComposeConfig{}.truth_threshold_db;
  double duration_s = 300, sim_duration_s = 600;
  std::string tsv;
  fs::path keep, dump;
  std::vector<std::array<double, 4>> points;  // --point XT,DELAY,SNR,OVERLAP (composed only)
};

fs::path g_dump;
fs::path g_dump_all;  // --dump-all DIR: every case into DIR/NN/ (cases numbered in run order from 0)
int g_dump_case = 0;
bool g_baselines = true;  // --no-baselines: the crosstalk detector only
dsp::CrosstalkVadConfig g_cfg;  // --set NAME=VALUE  // --dump: the first case's audio, truth and detections go here

/// A conversation to score: channels in role order and the truth.
struct Case {
  double rate_hz = 0;
  std::vector<std::string> roles;
  std::vector<std::vector<float>> mics;
  std::vector<dsp::Segment> truth;
  double duration_s = 0;
};

/// EnergyVad's talkspurts, then each 10 ms frame kept only when its channel is the loudest.
std::vector<dsp::Segment> energy_level(const Case& k) {
  dsp::EnergyVadConfig ec;
  ec.sample_rate_hz = k.rate_hz;
  dsp::EnergyVad ev(ec, k.mics.size());
  auto segs = analysis::detect_talkspurts(ev, k.mics, k.roles);
  const std::size_t fl = static_cast<std::size_t>(std::round(ec.frame_s * k.rate_hz));
  const std::size_t n = k.mics[0].size(), frames = (n + fl - 1) / fl;
  std::vector<std::vector<double>> e(k.mics.size(), std::vector<double>(frames, 0));
  for (std::size_t c = 0; c < k.mics.size(); ++c)
    for (std::size_t f = 0; f < frames; ++f) {
      double s = 0;
      for (std::size_t i = f * fl; i < std::min(n, (f + 1) * fl); ++i) s += static_cast<double>(k.mics[c][i]) * k.mics[c][i];
      e[c][f] = s;
    }
  std::vector<dsp::Segment> out;
  for (std::size_t c = 0; c < k.mics.size(); ++c) {
    std::vector<bool> on(frames, false);
    for (auto& s : segs)
      if (s.role == k.roles[c])
        for (auto f = static_cast<std::size_t>(std::llround(s.start_s * k.rate_hz)) / fl;
             f < frames && static_cast<double>(f * fl) / k.rate_hz < s.end_s; ++f)
          on[f] = true;
    dsp::TalkspurtAssembler as(ec.min_pause_s, ec.min_talkspurt_s);
    for (std::size_t f = 0; f < frames; ++f) {
      bool loudest = true;
      for (std::size_t o = 0; o < k.mics.size(); ++o)
        if (o != c && e[o][f] >= e[c][f]) loudest = false;
      as.frame(on[f] && loudest, static_cast<double>(f * fl) / k.rate_hz, static_cast<double>(std::min(n, (f + 1) * fl)) / k.rate_hz);
    }
    as.finish(static_cast<double>(n) / k.rate_hz);
    for (auto iv : as.take()) out.push_back({k.roles[c], iv.start_s, iv.end_s});
  }
  return out;
}

struct DetectorRun {
  std::string name;
  analysis::TalkspurtScore score;
  double cpu_s = 0;
};

double cpu_now() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

void dump(const std::string& name, const std::vector<dsp::Segment>& segs, const std::vector<std::string>& roles) {
  if (g_dump.empty()) return;
  fs::create_directories(g_dump);
  std::ofstream(g_dump / (name + ".tsv")) << formats::serialise_segments(segs);
  dsp::TurnConfig tc;
  tc.roles = roles;
  auto tt = dsp::compute_turn_taking(segs, {}, tc);
  std::ofstream(g_dump / (name + "_events.tsv")) << formats::serialise_events(tt.events);
  std::ofstream t(g_dump / (name + "_turns.tsv"));
  t << "role\tstart_s\tend_s\tfto_s\tprev_role\n";
  for (auto& x : tt.turns) t << x.role << '\t' << x.start_s << '\t' << x.end_s << '\t' << x.fto_s << '\t' << x.prev_role << '\n';
}

std::vector<DetectorRun> run_detectors(const Case& k) {
  std::vector<DetectorRun> out;
  if (!g_dump_all.empty()) g_dump = g_dump_all / std::to_string(g_dump_case++);
  if (!g_dump.empty() && g_dump_all.empty()) {
    fs::create_directories(g_dump);
    fs::remove(g_dump / "audio.wav");
    formats::AudioWriter w(g_dump / "audio.wav", k.rate_hz, static_cast<int>(k.mics.size()));
    std::vector<float> inter(k.mics[0].size() * k.mics.size());
    for (std::size_t i = 0; i < k.mics[0].size(); ++i)
      for (std::size_t c = 0; c < k.mics.size(); ++c) inter[i * k.mics.size() + c] = k.mics[c][i];
    w.write(inter);
    w.close();
  }
  dump("truth", k.truth, k.roles);
  {
    dsp::CrosstalkVadConfig cc = g_cfg;
    cc.sample_rate_hz = k.rate_hz;
    dsp::CrosstalkVad v(cc, k.mics.size());
    const double t0 = cpu_now();
    auto segs = analysis::detect_talkspurts(v, k.mics, k.roles);
    const double t1 = cpu_now();
    dump("crosstalk", segs, k.roles);
    out.push_back({"crosstalk", analysis::score_talkspurts(k.truth, segs, k.roles, k.duration_s), t1 - t0});
  }
  if (!g_baselines) {
    g_dump.clear();
    return out;
  }
  {
    dsp::EnergyVadConfig ec;
    ec.sample_rate_hz = k.rate_hz;
    dsp::EnergyVad v(ec, k.mics.size());
    auto segs = analysis::detect_talkspurts(v, k.mics, k.roles);
    dump("energy", segs, k.roles);
    out.push_back({"energy", analysis::score_talkspurts(k.truth, segs, k.roles, k.duration_s), 0});
  }
  auto el = energy_level(k);
  dump("energy_level", el, k.roles);
  out.push_back({"energy+level", analysis::score_talkspurts(k.truth, el, k.roles, k.duration_s), 0});
  g_dump.clear();  // the first case only
  return out;
}

std::string pct(double v) {
  if (!std::isfinite(v)) return "n/a";
  char b[32];
  std::snprintf(b, sizeof b, "%.1f", 100 * v);
  return b;
}
std::string ms(double v) {
  if (!std::isfinite(v)) return "n/a";
  char b[32];
  std::snprintf(b, sizeof b, "%.0f", 1000 * v);
  return b;
}

/// One grid point: its label and pooled scores per detector.
struct Point {
  std::string set, label;
  std::map<std::string, analysis::TalkspurtScore> pooled;
  std::vector<std::string> order;
};

std::ofstream tsv_out;

void tsv_row(const std::string& set, const std::string& label, std::uint64_t seed, const DetectorRun& r) {
  if (!tsv_out.is_open()) return;
  const auto& s = r.score;
  tsv_out << set << '\t' << label << '\t' << seed << '\t' << r.name << '\t' << s.der_no_collar.der() << '\t' << s.der_collar.der() << '\t'
          << s.der_no_collar.missed_s / s.der_no_collar.reference_s << '\t' << s.der_no_collar.false_alarm_s / s.der_no_collar.reference_s;
  for (auto& e : s.events) tsv_out << '\t' << e.f1();
  tsv_out << '\t' << s.fto.mae_s << '\t' << s.fto.matched << '\t' << s.fto.reference << '\n';
}

void add(Point& p, const std::vector<DetectorRun>& runs, std::uint64_t seed) {
  for (auto& r : runs) {
    if (!p.pooled.count(r.name)) p.order.push_back(r.name);
    analysis::accumulate(p.pooled[r.name], r.score);
    tsv_row(p.set, p.label, seed, r);
  }
}

void print_header() {
  std::printf("| set | condition | detector | DER no collar | DER 0.25 s collar | miss / FA (no collar) | F1 pause | F1 gap | F1 overlap | F1 backch. | F1 interr. | F1 all | FTO MAE ms (matched) |\n");
  std::printf("|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
}

void print_point(const Point& p) {
  for (auto& name : p.order) {
    const auto& s = p.pooled.at(name);
    const auto& d = s.der_no_collar;
    std::printf("| %s | %s | %s | %s %% | %s %% | %s / %s %% |", p.set.c_str(), p.label.c_str(), name.c_str(), pct(d.der()).c_str(),
                pct(s.der_collar.der()).c_str(), pct(d.missed_s / d.reference_s).c_str(), pct(d.false_alarm_s / d.reference_s).c_str());
    for (auto& e : s.events) std::printf(" %s |", pct(e.f1()).c_str());
    std::printf(" %s (%zu/%zu) |\n", ms(s.fto.mae_s).c_str(), s.fto.matched, s.fto.reference);
  }
  std::fflush(stdout);
}

// ---- composed conversations

struct Composer {
  analysis::Utterances a, b;
  Case make(const analysis::ComposeConfig& c) const {
    auto conv = analysis::compose_conversation(a, b, c);
    Case k;
    k.rate_hz = conv.rate_hz;
    k.roles = conv.roles;
    k.mics = std::move(conv.mics);
    k.truth = std::move(conv.truth);
    k.duration_s = static_cast<double>(k.mics[0].size()) / k.rate_hz;
    return k;
  }
};

// ---- simulated sessions

Case simulated(const analysis::SimulationConfig& sc, const fs::path& dir) {
  fs::remove_all(dir);
  analysis::simulate_session(dir, sc);
  formats::AudioReader r(dir / "audio.wav");
  const int nch = r.info().channels;
  const auto frames = r.info().frames;
  Case k;
  k.rate_hz = r.info().sample_rate_hz;
  k.roles = {"A", "B"};
  if (nch == 3) k.roles.push_back("therapist");
  k.mics.assign(static_cast<std::size_t>(nch), std::vector<float>(static_cast<std::size_t>(frames)));
  std::vector<float> buf(static_cast<std::size_t>(65536 * nch));
  std::int64_t at = 0;
  for (;;) {
    auto n = r.read(buf);
    if (n <= 0) break;
    for (std::int64_t i = 0; i < n; ++i)
      for (int c = 0; c < nch; ++c) k.mics[static_cast<std::size_t>(c)][static_cast<std::size_t>(at + i)] = buf[static_cast<std::size_t>(i * nch + c)];
    at += n;
  }
  k.truth = formats::read_segments(dir / "truth" / "segments.tsv");
  k.duration_s = static_cast<double>(frames) / k.rate_hz;
  return k;
}

std::string fmt(const char* f, double v) {
  char b[64];
  std::snprintf(b, sizeof b, f, v);
  return b;
}

int score_sessions(int argc, char** argv, int first) {
  print_header();
  for (int i = first; i < argc; ++i) {
    fs::path s = argv[i];
    auto truth = formats::read_segments(s / "truth" / "segments.tsv");
    auto got = formats::read_segments(s / "features" / "segments.tsv");
    formats::AudioReader r(s / "audio.wav");
    std::vector<std::string> roles = {"A", "B"};
    if (r.info().channels >= 3) roles.push_back("therapist");
    Point p{"session", s.filename().string()};
    add(p, {{"features/segments.tsv", analysis::score_talkspurts(truth, got, roles, r.info().duration_s()), 0}}, 0);
    print_point(p);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::string(argv[1]) == "score") return score_sessions(argc, argv, 2);
  Opts o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "eval_turns: %s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--quick") o.quick = true;
    else if (a == "--no-sim") o.sim = false;
    else if (a == "--no-composed") o.composed = false;
    else if (a == "--no-baselines") g_baselines = false;
    else if (a == "--truth-db") o.truth_db = std::atof(next().c_str());
    else if (a == "--point") {
      std::array<double, 4> q{};
      if (std::sscanf(next().c_str(), "%lf,%lf,%lf,%lf", &q[0], &q[1], &q[2], &q[3]) != 4) {
        std::fprintf(stderr, "eval_turns: --point needs XT_DB,DELAY_MS,SNR_DB,OVERLAP_RATE\n");
        return 2;
      }
      o.points.push_back(q);
      o.sim = false;
    }
    else if (a == "--data") o.data = next();
    else if (a == "--seeds") o.seeds = std::atoi(next().c_str());
    else if (a == "--duration") o.duration_s = std::atof(next().c_str());
    else if (a == "--sim-duration") o.sim_duration_s = std::atof(next().c_str());
    else if (a == "--tsv") o.tsv = next();
    else if (a == "--keep") o.keep = next();
    else if (a == "--dump") o.dump = next();
    else if (a == "--dump-all") g_dump_all = next();
    else if (a == "--set") {
      auto kv = next();
      auto eq = kv.find('=');
      if (eq == std::string::npos || !dsp::set_parameter(g_cfg, kv.substr(0, eq), std::atof(kv.c_str() + eq + 1))) {
        std::fprintf(stderr, "eval_turns: --set needs NAME=VALUE with a CrosstalkVad parameter, got '%s'\n", kv.c_str());
        return 2;
      }
    }
    else {
      std::fprintf(stderr, "usage: eval_turns [--quick] [--data DIR] [--seeds N] [--duration S] [--sim-duration S] [--tsv FILE] [--no-sim] [--no-composed] [--no-baselines] [--truth-db DB] [--keep DIR] [--dump DIR] [--dump-all DIR] [--set NAME=VALUE]... [--point XT,DELAY,SNR,OVERLAP]...\n"
                           "       eval_turns score SESSION...\n");
      return 2;
    }
  }
  if (!o.tsv.empty()) {
    tsv_out.open(o.tsv);
    tsv_out << "set\tcondition\tseed\tdetector\tder\tder_collar\tmissed\tfalse_alarm\tf1_pause\tf1_gap\tf1_overlap\tf1_backchannel\tf1_"
               "interruption\tf1_all\tfto_mae_s\tfto_matched\tfto_reference\n";
  }
  g_dump = o.dump;
  const double t_start = cpu_now();
  print_header();
  double vad_cpu = 0, vad_audio = 0;
  auto run_seeds = [&](const std::string& set, const std::string& label, const std::function<Case(std::uint64_t)>& make) {
    Point p{set, label};
    for (int s = 0; s < o.seeds; ++s) {
      Case k = make(static_cast<std::uint64_t>(s + 1));
      auto runs = run_detectors(k);
      vad_cpu += runs[0].cpu_s;
      vad_audio += k.duration_s;
      add(p, runs, static_cast<std::uint64_t>(s + 1));
    }
    print_point(p);
  };

  if (o.composed) {
    Composer comp{analysis::load_utterances(o.data, "rl"), analysis::load_utterances(o.data, "sb")};
    auto point = [&](double xt, double delay, double snr, double overlap) {
      const std::string label = "xt " + fmt("%g", xt) + " dB, delay " + fmt("%g", delay) + " ms, SNR " + fmt("%g", snr) + " dB, overlap " + fmt("%g", overlap);
      run_seeds("composed", label, [&](std::uint64_t seed) {
        analysis::ComposeConfig c;
        c.duration_s = o.duration_s;
        c.seed = seed;
        c.crosstalk_db = xt;
        c.delay_ms = delay;
        c.snr_db = snr;
        c.overlap_rate = overlap;
        c.truth_threshold_db = o.truth_db;
        return comp.make(c);
      });
    };
    for (auto& q : o.points) point(q[0], q[1], q[2], q[3]);
    if (o.points.empty()) point(-10, 3, 20, 0.3);  // the goal point
    if (!o.quick && o.points.empty()) {
      for (double xt : {-6.0, -15.0, -20.0, -25.0, -30.0}) point(xt, 3, 20, 0.3);
      for (double d : {0.5, 10.0, 20.0}) point(-10, d, 20, 0.3);
      for (double snr : {10.0, 30.0, 40.0}) point(-10, 3, snr, 0.3);
      for (double ov : {0.1, 0.5}) point(-10, 3, 20, ov);
      for (double xt : {-6.0, -30.0})
        for (double snr : {10.0, 40.0}) point(xt, 3, snr, 0.3);
    }
  }
  if (o.sim) {
    const fs::path dir = o.keep.empty() ? fs::temp_directory_path() / ("eval_turns_sim_" + std::to_string(::getpid())) : o.keep;
    auto point = [&](double xt, double delay, double snr, bool therapist, double rate) {
      const std::string label = "xt " + fmt("%g", xt) + " dB, delay " + fmt("%g", delay) + " ms, SNR " + fmt("%g", snr) + " dB" +
                                (therapist ? ", therapist" : "") + ", " + fmt("%g", rate / 1000) + " kHz";
      run_seeds("simulated", label, [&](std::uint64_t seed) {
        analysis::SimulationConfig sc;
        sc.duration_s = o.sim_duration_s;
        sc.seed = seed;
        sc.rate_hz = rate;
        sc.crosstalk_db = xt;
        sc.delay_ms = delay;
        sc.snr_db = snr;
        sc.therapist = therapist;
        return simulated(sc, dir);
      });
    };
    point(-10, 3, 20, false, 48000);
    if (!o.quick) {
      point(-10, 3, 20, true, 48000);
      for (double xt : {-6.0, -15.0, -20.0, -30.0}) point(xt, 3, 20, false, 16000);
      for (double d : {1.0, 10.0, 20.0}) point(-10, d, 20, false, 16000);
      for (double snr : {10.0, 30.0, 40.0}) point(-10, 3, snr, false, 16000);
      point(-6, 3, 10, true, 16000);
    }
    if (o.keep.empty()) fs::remove_all(dir);
  }
  std::printf("\ncrosstalk detector: %.1f s of audio in %.2f s CPU (%.0fx real time, including rates up to 48 kHz); whole run %.0f s CPU\n",
              vad_audio, vad_cpu, vad_audio / vad_cpu, cpu_now() - t_start);
  return 0;
}
