// Accuracy and speed of the physiology algorithms (issue 10). Prints figures for bench/RESULTS.md.
//   eval_physio [--data DIR] [--fixtures OUTDIR] [--skip-speed | --speed-only]
//   eval_physio --write-session DIR [--hours H]; eval_physio --analyze-session DIR
//     a physiology-only session of H hours (default 3), then run_physiology on it in a new
//     process: wall, CPU and peak RSS of the whole physiology analysis, reading included.
//   eval_physio --sim [--sim-seeds N] [--sim-duration S] [--sim-noise F,F,...] [--sim-coupling C] [--sim-lag S]
// DIR defaults to ../shared/data/physio beside the repository. --sim evaluates against
// `dyad simulate` sessions instead: their exact beats, SCRs and coupling, over noise levels.
#include <algorithm>
#include <functional>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include <sys/resource.h>

#include "dyad/analysis/physiology.hpp"
#include "dyad/analysis/simulate.hpp"
#include "dyad/dsp/chunked.hpp"
#include "dyad/dsp/ecg.hpp"
#include "dyad/dsp/eda.hpp"
#include "dyad/dsp/filter.hpp"
#include "dyad/dsp/hrv.hpp"
#include "dyad/dsp/ppg.hpp"
#include "dyad/dsp/respiration.hpp"
#include "dyad/dsp/synchrony.hpp"
#include "dyad/formats/session.hpp"
#include "physio_synth.hpp"
#include "physio_truth.hpp"
#include "test_util.hpp"
#include "wfdb.hpp"

using namespace dyad;
namespace fs = std::filesystem;

namespace {

std::vector<std::vector<double>> read_csv(const std::string& path, std::vector<std::string>& header) {
  std::ifstream f(path);
  if (!f) throw std::runtime_error(path + ": cannot open");
  std::string line;
  std::getline(f, line);
  header.clear();
  std::stringstream hs(line);
  std::string h;
  while (std::getline(hs, h, ',')) {
    if (!h.empty() && h.back() == '\r') h.pop_back();
    header.push_back(h);
  }
  std::vector<std::vector<double>> cols(header.size());
  while (std::getline(f, line)) {
    if (line.empty()) continue;
    std::stringstream ls(line);
    std::string v;
    std::size_t c = 0;
    while (std::getline(ls, v, ',') && c < cols.size()) cols[c++].push_back(std::strtod(v.c_str(), nullptr));
  }
  return cols;
}

std::vector<double> column(const std::vector<std::vector<double>>& cols, const std::vector<std::string>& header, const std::string& name) {
  for (std::size_t i = 0; i < header.size(); ++i)
    if (header[i] == name) return cols[i];
  throw std::runtime_error("no column " + name);
}

std::vector<double> to_times(const std::vector<std::size_t>& idx, double fs) {
  std::vector<double> t;
  for (auto i : idx) t.push_back(static_cast<double>(i) / fs);
  return t;
}

double mean_of(const std::vector<double>& v) {
  double s = 0;
  int k = 0;
  for (double x : v)
    if (std::isfinite(x)) {
      s += x;
      ++k;
    }
  return k ? s / k : std::nan("");
}

/// HR (bpm) of beats on a uniform grid (linear interpolation of 60/RR).
std::vector<double> hr_grid(const std::vector<double>& beats, double fs, std::size_t n) {
  if (beats.size() < 3) return std::vector<double>(n, std::nan(""));
  std::vector<double> t, v;
  for (std::size_t i = 1; i < beats.size(); ++i) {
    t.push_back(beats[i]);
    v.push_back(60.0 / (beats[i] - beats[i - 1]));
  }
  std::vector<double> at(n);
  for (std::size_t i = 0; i < n; ++i) at[i] = static_cast<double>(i) / fs;
  return dsp::interpolate_linear(t, v, at);
}

/// Peaks found in overlapping chunks (how dyad analyze reads a stream, dsp::ChunkedPeakDetector)
/// against the whole run's: prints how many differ, for the default chunks and for 60 s ones.
void check_chunked(const char* what, const std::vector<double>& x, double fs, std::size_t align, double refractory_s,
                   const std::function<std::vector<std::size_t>(std::span<const double>)>& detect) {
  const auto whole = detect(x);
  std::vector<double> t(x.size());
  for (std::size_t i = 0; i < t.size(); ++i) t[i] = static_cast<double>(i);
  std::printf("  %s in chunks (bounded memory) vs the whole run (%zu peaks):", what, whole.size());
  for (double core : {300.0, 60.0}) {
    dsp::ChunkConfig cc;
    cc.core_s = core;
    dsp::ChunkedPeakDetector d(detect, fs, cc, align, static_cast<std::size_t>(refractory_s * fs));
    for (std::size_t i = 0; i < x.size(); i += 65536) {
      const std::size_t n = std::min<std::size_t>(65536, x.size() - i);
      d.push(std::span<const double>(t.data() + i, n), std::span<const double>(x.data() + i, n));
    }
    d.finish();
    std::vector<double> w;
    for (auto k : whole) w.push_back(static_cast<double>(k));
    std::size_t same = 0;
    for (double p : d.peak_times()) same += std::binary_search(w.begin(), w.end(), p);
    std::printf("  core %.0f s: %zu peaks, %zu only in chunks, %zu only whole%s", core, d.peak_times().size(), d.peak_times().size() - same,
                whole.size() - same, d.peak_times() == w ? " (identical)" : "");
  }
  std::printf("\n");
}

void eval_mitdb(const fs::path& dir, const fs::path& fixtures) {
  const auto rec = bench::read_wfdb((dir / "mitdb_100" / "100").string());
  const auto ann = bench::read_wfdb_annotations((dir / "mitdb_100" / "100.atr").string());
  std::vector<double> ref;
  for (const auto& a : ann)
    if (bench::wfdb_is_beat(a.code)) ref.push_back(static_cast<double>(a.sample) / rec.rate_hz);
  dsp::EcgConfig c;
  c.sample_rate_hz = rec.rate_hz;
  auto t0 = std::chrono::steady_clock::now();
  const auto peaks = dsp::EcgPeakDetector(c).detect(rec.signals_mv[0]);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const auto det = to_times(peaks, rec.rate_hz);
  const auto m = test::match_times(ref, det, 0.15);
  const auto corrected = dsp::BeatCorrector().correct(det);
  std::vector<double> ct;
  int ncorr = 0;
  for (const auto& b : corrected) {
    ct.push_back(b.time_s);
    ncorr += b.corrected;
  }
  const auto mc = test::match_times(ref, ct, 0.15);
  double err = 0;
  {  // mean absolute localisation error of matched beats
    int k = 0;
    std::size_t j = 0;
    for (double r : ref) {
      while (j + 1 < det.size() && det[j + 1] <= r) ++j;
      double best = 1e9;
      for (std::size_t q = j; q < std::min(det.size(), j + 2); ++q) best = std::min(best, std::abs(det[q] - r));
      if (best <= 0.15) {
        err += best;
        ++k;
      }
    }
    err = k ? err / k * 1000 : 0;
  }
  std::printf("MIT-BIH record 100 (lead %s, %zu samples at %.0f Hz, %zu reference beats)\n", rec.names[0].c_str(),
              rec.signals_mv[0].size(), rec.rate_hz, ref.size());
  std::printf("  detector:           TP %d FP %d FN %d  Se %.2f %%  PPV %.2f %%  F1 %.2f %%  (mean |error| %.1f ms, %.3f s)\n", m.tp, m.fp,
              m.fn, m.se(), m.ppv(), m.f1(), err, secs);
  std::printf("  after correction:   TP %d FP %d FN %d  Se %.2f %%  PPV %.2f %%  F1 %.2f %%  (%d beats marked corrected)\n", mc.tp, mc.fp,
              mc.fn, mc.se(), mc.ppv(), mc.f1(), ncorr);
  {
    const dsp::EcgPeakDetector ecg_det(c);
    check_chunked("R peaks", rec.signals_mv[0], rec.rate_hz, ecg_det.decimation(), c.refractory_s,
                  [&](std::span<const double> x) { return ecg_det.detect(x); });
  }
  if (!fixtures.empty()) {
    // First 120 s of lead MLII in ADC units, and the reference beats in it.
    fs::create_directories(fixtures);
    std::ofstream f(fixtures / "mitdb100_120s.tsv");
    f << "# MIT-BIH Arrhythmia Database record 100, lead MLII, first 120 s, ADC units (gain 200 adu/mV, baseline 1024), 360 Hz.\n"
         "# Source: MIT-LCP/wfdb-python @ 6850ad1a : sample-data/100.dat (PhysioNet, ODC-BY; repository MIT).\n"
         "adu\n";
    const auto nfix = static_cast<std::size_t>(120 * rec.rate_hz);
    for (std::size_t i = 0; i < nfix; ++i) f << rec.adu[0][i] << "\n";
    std::ofstream a(fixtures / "mitdb100_120s_beats.tsv");
    a << "# Reference beat annotations of MIT-BIH record 100 in the first 120 s (sample index at 360 Hz, MIT code).\n"
         "# Source: MIT-LCP/wfdb-python @ 6850ad1a : sample-data/100.atr (PhysioNet, ODC-BY; repository MIT).\n"
         "sample\tcode\n";
    for (const auto& x : ann)
      if (bench::wfdb_is_beat(x.code) && x.sample < static_cast<long>(nfix)) a << x.sample << "\t" << x.code << "\n";
  }
}

void eval_neurokit(const fs::path& dir, const fs::path& fixtures) {
  std::vector<std::string> h;
  const double fs = 100;
  {
    const auto cols = read_csv((dir / "neurokit" / "bio_resting_5min_100hz.csv").string(), h);
    const auto ecg = column(cols, h, "ECG"), ppg = column(cols, h, "PPG"), rsp = column(cols, h, "RSP");
    dsp::EcgConfig ec;
    ec.sample_rate_hz = fs;
    dsp::PpgConfig pc;
    pc.sample_rate_hz = fs;
    auto eb = dsp::BeatCorrector().correct(to_times(dsp::EcgPeakDetector(ec).detect(ecg), fs));
    auto pb = dsp::BeatCorrector().correct(to_times(dsp::PpgPeakDetector(pc).detect(ppg), fs));
    std::vector<double> et, pt;
    for (auto& b : eb) et.push_back(b.time_s);
    for (auto& b : pb) pt.push_back(b.time_s);
    const double dur = static_cast<double>(ecg.size()) / fs;
    const double hr_e = dsp::window_hr_bpm(et, 0, dur), hr_p = dsp::window_hr_bpm(pt, 0, dur);
    double mad = 0, maxd = 0;
    int k = 0;
    for (double s = 0; s + 10 <= dur; s += 10) {
      const double a = dsp::window_hr_bpm(et, s, s + 10), b = dsp::window_hr_bpm(pt, s, s + 10);
      if (!std::isfinite(a) || !std::isfinite(b)) continue;
      mad += std::abs(a - b);
      maxd = std::max(maxd, std::abs(a - b));
      ++k;
    }
    std::printf("NeuroKit bio_resting_5min_100hz (%.0f s)\n", dur);
    std::printf("  ECG beats %zu, PPG beats %zu; mean HR ECG %.2f bpm, PPG %.2f bpm (diff %.2f)\n", et.size(), pt.size(), hr_e, hr_p,
                hr_e - hr_p);
    std::printf("  10-s windows: mean |HR_ECG - HR_PPG| %.2f bpm, max %.2f bpm over %d windows\n", mad / std::max(1, k), maxd, k);
    {
      const dsp::EcgPeakDetector de(ec);
      const dsp::PpgPeakDetector dp(pc);
      check_chunked("ECG R peaks", ecg, fs, de.decimation(), ec.refractory_s, [&](std::span<const double> x) { return de.detect(x); });
      check_chunked("PPG peaks", ppg, fs, 1, pc.refractory_s, [&](std::span<const double> x) { return dp.detect(x); });
    }
    const auto hrv = dsp::HrvAnalyzer().compute(et);
    std::printf("  HRV (ECG): mean RR %.1f ms, SDNN %.1f ms, RMSSD %.1f ms, pNN50 %.1f %%, LF %.0f ms2, HF %.0f ms2, LF/HF %.2f\n", hrv.mean_rr_ms,
                hrv.sdnn_ms, hrv.rmssd_ms, hrv.pnn50_pct, hrv.lf_ms2, hrv.hf_ms2, hrv.lf_hf);
    dsp::RespConfig rc;
    rc.sample_rate_hz = fs;
    const auto rr = dsp::RespirationAnalyzer(rc).compute(rsp);
    std::printf("  respiration: %zu breaths, rate %.2f /min, interval SD %.2f s\n", rr.breaths.size(), rr.rate_bpm, rr.interval_sd_s);
    // Independent check: the dominant frequency of the belt signal (0.1-0.7 Hz), by a direct DFT.
    double best_f = 0, best_p = -1;
    for (double f = 0.1; f <= 0.7; f += 0.002) {
      double c = 0, s = 0;
      for (std::size_t i = 0; i < rsp.size(); i += 5) {
        c += rsp[i] * std::cos(2 * M_PI * f * static_cast<double>(i) / fs);
        s += rsp[i] * std::sin(2 * M_PI * f * static_cast<double>(i) / fs);
      }
      if (c * c + s * s > best_p) {
        best_p = c * c + s * s;
        best_f = f;
      }
    }
    std::printf("  respiration spectral peak: %.2f /min\n", best_f * 60);
    if (!fixtures.empty()) {
      std::ofstream f(fixtures / "neurokit_resting_90s.tsv");
      f << "# First 90 s of NeuroKit bio_resting_5min_100hz.csv (ECG, PPG, RSP at 100 Hz), values rounded to 5 decimals.\n"
           "# Source: mixue-t/NeuroKit @ f2bb3452 : data/bio_resting_5min_100hz.csv (a fork of NeuroKit2), MIT licence.\n"
           "ecg\tppg\trsp\n";
      char buf[128];
      for (std::size_t i = 0; i < 9000; ++i) {
        std::snprintf(buf, sizeof buf, "%.5f\t%.5f\t%.5f\n", ecg[i], ppg[i], rsp[i]);
        f << buf;
      }
    }
  }
  for (const char* name : {"bio_resting_8min_100hz.csv", "bio_eventrelated_100hz.csv"}) {
    const auto cols = read_csv((dir / "neurokit" / name).string(), h);
    const auto eda = column(cols, h, "EDA"), rsp = column(cols, h, "RSP"), ecg = column(cols, h, "ECG");
    std::vector<double> photo;
    for (std::size_t i = 0; i < h.size(); ++i)
      if (h[i] == "Photosensor" || h[i] == "PhotoSensor") photo = cols[i];
    dsp::EdaConfig c;
    c.sample_rate_hz = fs;
    const auto r = dsp::EdaAnalyzer(c).compute(eda);
    const double dur = static_cast<double>(eda.size()) / fs;
    double amp = 0;
    for (const auto& s : r.scrs) amp += s.amplitude_us;
    std::printf("NeuroKit %s (%.0f s)\n", name, dur);
    std::printf("  SCRs >= 0.01 uS: %zu (%.2f /min), mean amplitude %.3f uS; tonic mean %.2f uS\n", r.scrs.size(), r.scrs.size() / dur * 60,
                r.scrs.empty() ? 0.0 : amp / r.scrs.size(), mean_of(r.tonic_us));
    // Events: photosensor drops below half its range.
    if (!photo.empty()) {
      const auto [mn, mx] = std::minmax_element(photo.begin(), photo.end());
      const double thr = (*mn + *mx) / 2;
      std::vector<double> ev;
      for (std::size_t i = 1; i < photo.size(); ++i)
        if ((photo[i] < thr) != (photo[i - 1] < thr) && photo[i] < thr) ev.push_back(static_cast<double>(i) / fs);
      int with = 0;
      for (double e : ev) {
        bool any = false;
        for (const auto& s : r.scrs) any |= s.onset_s >= e + 1 && s.onset_s <= e + 5;
        with += any;
      }
      std::printf("  photosensor events: %zu; events followed by an SCR onset 1-5 s later: %d\n", ev.size(), with);
    }
    dsp::RespConfig rc;
    rc.sample_rate_hz = fs;
    const auto rr = dsp::RespirationAnalyzer(rc).compute(rsp);
    dsp::EcgConfig ec;
    ec.sample_rate_hz = fs;
    const auto et = to_times(dsp::EcgPeakDetector(ec).detect(ecg), fs);
    std::printf("  respiration %.2f /min (%zu breaths); ECG HR %.1f bpm (%zu beats)\n", rr.rate_bpm, rr.breaths.size(),
                dsp::window_hr_bpm(et, 0, dur), et.size());
  }
}

void eval_synchrony() {
  const double fs = 4, dur = 3600;
  const auto n = static_cast<std::size_t>(dur * fs);
  auto smooth_noise = [&](std::uint32_t seed) {
    auto w = test::noise(n, 1.0, seed);
    std::vector<double> x(w.begin(), w.end());
    const dsp::Biquad lp[] = {dsp::butter_lowpass(0.1, fs)};
    dsp::filtfilt(lp, x);
    return x;
  };
  dsp::SynchronyConfig c;
  for (double lag_true : {-3.0, 0.0, 2.0, 4.5}) {
    auto a = smooth_noise(11);
    auto e = smooth_noise(12);
    std::vector<double> b(n);
    const long L = std::lround(lag_true * fs);
    for (std::size_t i = 0; i < n; ++i) {
      const long j = static_cast<long>(i) - L;
      b[i] = (j >= 0 && j < static_cast<long>(n) ? a[static_cast<std::size_t>(j)] : 0) + 0.5 * e[i];
    }
    const auto r = dsp::WindowedCrossCorrelation(c).compute(a, b, 0);
    int within = 0;
    for (const auto& w : r.windows) within += std::abs(w.lag_s - lag_true) <= c.step_s / 5 + 1e-9 ? 1 : 0;
    std::printf("  coupled, true lag %+.2f s: median lag %+.2f s, windows within one lag step (%.2f s): %d/%zu, mean |r| %.2f, above p95 %.1f %%\n",
                lag_true, r.median_lag_s, 1 / fs, within, r.windows.size(), r.mean_abs_peak_r, 100 * r.fraction_above_surrogate);
  }
  double worst = 0, sum = 0;
  for (std::uint32_t seed = 1; seed <= 10; ++seed) {
    const auto a = smooth_noise(100 + seed), b = smooth_noise(200 + seed);
    const auto r = dsp::WindowedCrossCorrelation(c).compute(a, b, 0);
    worst = std::max(worst, r.fraction_above_surrogate);
    sum += r.fraction_above_surrogate;
    if (seed == 1) std::printf("  independent: %zu windows, surrogate p95 %.3f\n", r.windows.size(), r.surrogate_p95);
  }
  std::printf("  independent partners, 10 seeds x 1 h: windows above surrogate p95: mean %.1f %%, worst %.1f %%\n", 10 * sum, 100 * worst);
}

struct Partner {
  std::vector<double> ecg, eda, resp;
};
constexpr double kSpeedEcgHz = 1000, kSpeedSlowHz = 100;

/// Two partners' synthetic ECG (kSpeedEcgHz), EDA and respiration (kSpeedSlowHz) for `dur` s.
std::vector<Partner> synth_partners(double dur) {
  std::vector<Partner> p(2);
  for (int k = 0; k < 2; ++k) {
    test::EcgSynthOptions o;
    o.seed = 10u + static_cast<unsigned>(k);
    o.amp_mod = 0.3;
    o.rate_hz = kSpeedEcgHz;
    p[k].ecg = test::synth_ecg(test::beat_times(dur, 0.8 + 0.05 * k, 0.03, 20u + static_cast<unsigned>(k)), dur, o);
    std::vector<test::SynthScr> s;
    for (double t = 20; t < dur - 60; t += 37 + 11 * k) s.push_back({t, 0.1});
    p[k].eda = test::synth_eda(s, dur, kSpeedSlowHz);
    p[k].resp = test::synth_resp(dur, kSpeedSlowHz, 14 + k);
  }
  return p;
}

/// A physiology-only session folder of `hours` (no audio): per partner ecg_<role> (1000 Hz),
/// eda_<role> and resp_<role> (100 Hz), as the recorder writes them.
void write_long_session(const fs::path& dir, double hours) {
  const double dur = hours * 3600;
  const auto p = synth_partners(dur);
  formats::create_session_dir(dir);
  auto m = formats::new_manifest("bench", 1, "dosing");
  m.participants = {{"A", "pA"}, {"B", "pB"}};
  for (int k = 0; k < 2; ++k) {
    const std::string role = k == 0 ? "A" : "B";
    auto put = [&](const std::string& kind, const std::vector<double>& x, double fs, const std::string& unit, double step) {
      formats::StreamSidecar sc;
      sc.name = kind + "_" + role;
      sc.kind = kind;
      sc.role = role;
      sc.nominal_rate_hz = sc.measured_rate_hz = fs;
      sc.columns = {kind};
      sc.units = {unit};
      formats::StreamData d;
      d.time_s.resize(x.size());
      for (std::size_t i = 0; i < x.size(); ++i) d.time_s[i] = static_cast<double>(i) / fs;
      d.device_time_s = d.time_s;
      d.values.push_back(x);
      for (auto& v : d.values[0]) v = std::round(v / step) * step;  // a sensor's resolution
      formats::write_stream(dir, sc, d);
      m.streams.push_back({sc.name, kind, role});
    };
    put("ecg", p[static_cast<std::size_t>(k)].ecg, kSpeedEcgHz, "mV", 0.001);
    put("eda", p[static_cast<std::size_t>(k)].eda, kSpeedSlowHz, "uS", 0.0001);
    put("resp", p[static_cast<std::size_t>(k)].resp, kSpeedSlowHz, "a.u.", 0.0001);
  }
  formats::write_manifest(dir, m);
  std::printf("wrote %s: %.1f h, 2 partners, ECG %.0f Hz, EDA and respiration %.0f Hz\n", dir.string().c_str(), hours, kSpeedEcgHz, kSpeedSlowHz);
}

/// run_physiology on a session (e.g. from --write-session) in this process: wall, CPU, peak RSS.
void analyze_long_session(const fs::path& dir, unsigned threads, double chunk_s) {
  analysis::PhysioConfig pc;
  pc.threads = threads;
  pc.chunk.core_s = chunk_s;
  // run_physiology's three steps, timed apart: opening the session (which reads and checks every
  // stream row once, as `dyad analyze` does once for all its analyses), the physiology (which
  // reads its streams again, in blocks), and writing features/.
  using clk = std::chrono::steady_clock;
  auto since = [](clk::time_point t) { return std::chrono::duration<double>(clk::now() - t).count(); };
  auto cpu_since = [](std::clock_t c) { return static_cast<double>(std::clock() - c) / CLOCKS_PER_SEC; };  // every thread's
  const auto t0 = clk::now();
  const std::clock_t c0 = std::clock();
  const auto s = formats::Session::open(dir);
  const double open_wall = since(t0), open_cpu = cpu_since(c0);
  const auto t1 = clk::now();
  const std::clock_t c1 = std::clock();
  const auto out = analysis::analyze_physiology(s, pc, {}, {});
  const double an_wall = since(t1), an_cpu = cpu_since(c1);
  analysis::write_physiology(dir / "features", out);
  const double wall = since(t0), cpu = cpu_since(c0);
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  std::printf("run_physiology %s (threads %u, chunks %.0f s): wall %.2f s, CPU %.2f s, peak RSS %.0f MB, %zu tables\n"
              "  of which Session::open (every stream row read and checked) wall %.2f s, CPU %.2f s; analyze_physiology (its "
              "streams read again, analysed) wall %.2f s, CPU %.2f s\n",
              dir.string().c_str(), threads, chunk_s, wall, cpu, static_cast<double>(ru.ru_maxrss) / 1024, out.tables.size(), open_wall,
              open_cpu, an_wall, an_cpu);
}

void eval_speed() {
  const double dur = 3 * 3600.0, fs_ecg = kSpeedEcgHz, fs_slow = kSpeedSlowHz;
  std::printf("Speed: three-hour session, two partners, ECG %.0f Hz, EDA and respiration %.0f Hz (synthetic)\n", fs_ecg, fs_slow);
  const auto p = synth_partners(dur);
  const auto t0 = std::chrono::steady_clock::now();
  const std::clock_t c0 = std::clock();
  std::vector<std::vector<double>> hr(2), eda4(2);
  double cpu_ecg = 0, cpu_corr = 0, cpu_hrv = 0, cpu_rest = 0;
  std::size_t beats = 0, scrs = 0, breaths = 0;
  const double gfs = 4;
  const auto ng = static_cast<std::size_t>(dur * gfs);
  for (int k = 0; k < 2; ++k) {
    std::clock_t a = std::clock();
    dsp::EcgConfig ec;
    ec.sample_rate_hz = fs_ecg;
    const auto det = to_times(dsp::EcgPeakDetector(ec).detect(p[k].ecg), fs_ecg);
    cpu_ecg += static_cast<double>(std::clock() - a) / CLOCKS_PER_SEC;
    a = std::clock();
    auto bt = dsp::BeatCorrector().correct(det);
    cpu_corr += static_cast<double>(std::clock() - a) / CLOCKS_PER_SEC;
    a = std::clock();
    std::vector<double> t;
    for (auto& b : bt) t.push_back(b.time_s);
    beats += t.size();
    dsp::HrvAnalyzer hrv;
    for (double s = 0; s + 300 <= dur; s += 60) {
      auto lo = std::lower_bound(t.begin(), t.end(), s), hi = std::lower_bound(t.begin(), t.end(), s + 300);
      (void)hrv.compute(std::span<const double>(&*lo, static_cast<std::size_t>(hi - lo)));
    }
    (void)hrv.compute(t);
    cpu_hrv += static_cast<double>(std::clock() - a) / CLOCKS_PER_SEC;
    a = std::clock();
    hr[k] = hr_grid(t, gfs, ng);
    dsp::EdaConfig c;
    c.sample_rate_hz = fs_slow;
    auto er = dsp::EdaAnalyzer(c).compute(p[k].eda);
    scrs += er.scrs.size();
    std::vector<double> at(ng);
    for (std::size_t i = 0; i < ng; ++i) at[i] = static_cast<double>(i) / gfs;
    eda4[k] = dsp::interpolate_linear(er.time_s, er.smoothed_us, at);
    dsp::RespConfig rc;
    rc.sample_rate_hz = fs_slow;
    breaths += dsp::RespirationAnalyzer(rc).compute(p[k].resp).breaths.size();
    cpu_rest += static_cast<double>(std::clock() - a) / CLOCKS_PER_SEC;
  }
  std::clock_t a = std::clock();
  dsp::SynchronyConfig sc;
  auto s1 = dsp::WindowedCrossCorrelation(sc).compute(hr[0], hr[1], 0);
  auto s2 = dsp::WindowedCrossCorrelation(sc).compute(eda4[0], eda4[1], 0);
  const double cpu_sync = static_cast<double>(std::clock() - a) / CLOCKS_PER_SEC;
  const double total = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("  CPU: R peaks %.3f s, beat correction %.3f s, HRV %.3f s, EDA + respiration + resampling %.3f s, synchrony %.3f s\n",
              cpu_ecg, cpu_corr, cpu_hrv, cpu_rest, cpu_sync);
  const double cpu = static_cast<double>(std::clock() - c0) / CLOCKS_PER_SEC;
  std::printf("  CPU time %.3f s (one thread)\n", cpu);
  std::printf("  wall %.3f s; %zu beats, %zu SCRs, %zu breaths, %zu + %zu synchrony windows\n", total,
              beats, scrs, breaths, s1.windows.size(), s2.windows.size());
}


// Against the simulator's exact truth: sessions of `duration` s at each physiology noise level
// (--physio-noise) and seed, analysed by run_physiology, scored by test::score_sim_physio.
struct SimOptions {
  int seeds = 3;
  double duration_s = 600;
  std::vector<double> noise = {0, 1, 3, 10, 30};
  double coupling = 0.8, lag_s = 2;
};

void eval_sim(const SimOptions& o) {
  std::printf("Against the simulator's truth: %d seed(s) x %.0f s per noise level, coupling %.2f at lag %.2f s; "
              "beats matched within 150 ms, SCR onsets within 1 s, lags within 0.25 s (one lag step)\n",
              o.seeds, o.duration_s, o.coupling, o.lag_s);
  std::printf("%6s | %6s %6s %7s %6s %7s | %5s %5s %6s %6s %6s | %-24s %6s %6s | %-24s %6s\n", "noise", "beats", "Se%", "PPV%", "F1%",
              "|dt|ms", "SCRs", "det", "Se%", "PPV%", "|dt|s", "HR lag per seed (s)", "right", "above", "EDA lag per seed (s)", "above");
  std::string hr_above, eda_above;  // per seed, of the last run
  auto run = [&](double noise, double coupling, bool print) {
    test::SimPhysioScore tot;
    hr_above.clear();
    eda_above.clear();
    std::string hr_lags, eda_lags;
    int hr_right = 0, hr_n = 0;
    for (int seed = 1; seed <= o.seeds; ++seed) {
      test::TempDir d;
      analysis::SimulationConfig c;
      c.duration_s = o.duration_s;
      c.seed = static_cast<std::uint64_t>(seed);
      c.rate_hz = 8000;  // the audio is not scored here
      c.coupling = coupling;
      c.coupling_lag_s = o.lag_s;
      c.physio_noise = noise;
      analysis::simulate_session(d / "s", c);
      analysis::run_physiology(d / "s");
      const auto s = test::score_sim_physio(d / "s", o.lag_s);
      tot.beats.add(s.beats);
      tot.scrs.add(s.scrs);
      tot.hr_abs_err_sum += s.hr_abs_err_sum;
      tot.hr_windows += s.hr_windows;
      tot.hr.windows += s.hr.windows;
      tot.hr.above += s.hr.above;
      tot.eda.windows += s.eda.windows;
      tot.eda.above += s.eda.above;
      hr_right += static_cast<int>(std::lround(s.hr.within_step * s.hr.windows));
      hr_n += s.hr.windows;
      char b[32];
      std::snprintf(b, sizeof b, "%s%.2f", hr_lags.empty() ? "" : " ", s.hr.median_lag_s);
      hr_lags += b;
      std::snprintf(b, sizeof b, "%s%.2f", eda_lags.empty() ? "" : " ", s.eda.median_lag_s);
      eda_lags += b;
      std::snprintf(b, sizeof b, " %.1f", 100.0 * s.hr.above / std::max(1, s.hr.windows));
      hr_above += b;
      std::snprintf(b, sizeof b, " %.1f", 100.0 * s.eda.above / std::max(1, s.eda.windows));
      eda_above += b;
    }
    if (print)
      std::printf("%6g | %6d %6.2f %7.2f %6.2f %7.2f | %5d %5d %6.1f %6.1f %6.2f | %-24s %5.0f%% %5.0f%% | %-24s %5.0f%%   HR error %.2f bpm (10 s windows)\n",
                  noise, tot.beats.tp + tot.beats.fn, tot.beats.se(), tot.beats.ppv(), tot.beats.f1(), 1000 * tot.beats.mean_abs_err_s(),
                  tot.scrs.tp + tot.scrs.fn, tot.scrs.tp + tot.scrs.fp, tot.scrs.se(), tot.scrs.ppv(), tot.scrs.mean_abs_err_s(),
                  hr_lags.c_str(), hr_n ? 100.0 * hr_right / hr_n : 0.0, 100 * tot.hr.above_fraction(), eda_lags.c_str(),
                  100 * tot.eda.above_fraction(), tot.hr_mae_bpm());
    return tot;
  };
  for (double noise : o.noise) (void)run(noise, o.coupling, true);
  // Uncoupled partners (coupling 0) at the default noise: how often a window beats chance.
  const auto u = run(1, 0, false);
  std::printf("coupling 0 (noise 1, %d seeds): windows above the surrogate p95: HR %.1f %% of %d, EDA %.1f %% of %d\n", o.seeds,
              100 * u.hr.above_fraction(), u.hr.windows, 100 * u.eda.above_fraction(), u.eda.windows);
  std::printf("  per seed, %% above: HR%s; EDA%s\n", hr_above.c_str(), eda_above.c_str());
}
}  // namespace

int main(int argc, char** argv) {
  fs::path data = fs::path(DYAD_SOURCE_DIR) / ".." / "shared" / "data" / "physio";
  fs::path fixtures;
  bool speed = true, sim = false, speed_only = false;
  fs::path write_dir, analyze_dir;
  double hours = 3;
  unsigned threads = 0;
  double chunk_s = analysis::PhysioConfig{}.chunk.core_s;
  SimOptions so;
  for (int i = 1; i < argc; ++i) {
    auto num = [&](double lo, double hi) {
      const double v = std::strtod(argv[++i], nullptr);
      if (!(v >= lo && v <= hi)) {
        std::fprintf(stderr, "eval_physio: %s must be between %g and %g, found %s\n", argv[i - 1], lo, hi, argv[i]);
        std::exit(2);
      }
      return v;
    };
    if (!std::strcmp(argv[i], "--sim")) sim = true;
    else if (!std::strcmp(argv[i], "--sim-seeds") && i + 1 < argc) so.seeds = static_cast<int>(num(1, 100));
    else if (!std::strcmp(argv[i], "--sim-duration") && i + 1 < argc) so.duration_s = num(60, 86400);
    else if (!std::strcmp(argv[i], "--sim-coupling") && i + 1 < argc) so.coupling = num(0, 1);
    else if (!std::strcmp(argv[i], "--sim-lag") && i + 1 < argc) so.lag_s = num(0, 5);
    else if (!std::strcmp(argv[i], "--sim-noise") && i + 1 < argc) {
      so.noise.clear();
      std::stringstream ss(argv[++i]);
      std::string f;
      while (std::getline(ss, f, ',')) so.noise.push_back(std::strtod(f.c_str(), nullptr));
    } else if (!std::strcmp(argv[i], "--data") && i + 1 < argc) data = argv[++i];
    else if (!std::strcmp(argv[i], "--fixtures") && i + 1 < argc) fixtures = argv[++i];
    else if (!std::strcmp(argv[i], "--skip-speed")) speed = false;
    else if (!std::strcmp(argv[i], "--speed-only")) speed_only = true;
    else if (!std::strcmp(argv[i], "--write-session") && i + 1 < argc) write_dir = argv[++i];
    else if (!std::strcmp(argv[i], "--hours") && i + 1 < argc) hours = num(0.05, 24);
    else if (!std::strcmp(argv[i], "--analyze-session") && i + 1 < argc) analyze_dir = argv[++i];
    else if (!std::strcmp(argv[i], "--threads") && i + 1 < argc) threads = static_cast<unsigned>(num(0, 64));
    else if (!std::strcmp(argv[i], "--chunk-s") && i + 1 < argc) chunk_s = num(0, 86400);
    else {
      std::fprintf(stderr,
                   "usage: eval_physio [--data DIR] [--fixtures OUTDIR] [--skip-speed | --speed-only]\n"
                   "       eval_physio --write-session DIR [--hours H]   (then, in a new process:)\n"
                   "       eval_physio --analyze-session DIR [--threads N (0 = one per core)] [--chunk-s S (0 = runs whole)]\n"
                   "       eval_physio --sim [--sim-seeds N] [--sim-duration S] [--sim-noise F,F,...] [--sim-coupling C] [--sim-lag S]\n");
      return 2;
    }
  }
  try {
    if (sim) {
      eval_sim(so);
      return 0;
    }
    if (speed_only) {
      eval_speed();
      return 0;
    }
    if (!write_dir.empty()) {
      write_long_session(write_dir, hours);
      return 0;
    }
    if (!analyze_dir.empty()) {
      analyze_long_session(analyze_dir, threads, chunk_s);
      return 0;
    }
    eval_mitdb(data, fixtures);
    eval_neurokit(data, fixtures);
    std::printf("Synchrony (synthetic, 1 h at 4 Hz, window 30 s, step 5 s, lags +-5 s)\n");
    eval_synchrony();
    if (speed) eval_speed();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "eval_physio: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
