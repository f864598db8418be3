// Voice quality and syllable nuclei against Praat 6.3.07 (issue 9); part of bench/eval_prosody.
//
// Voice (every file, channel 1): Praat runs bench/praat/voice.praat (To PointProcess (periodic, cc)
// 75-600 Hz, jitter and shimmer with the standard settings over the whole file, To Harmonicity (cc)
// 0.01 s, 75 Hz, 0.1, 1.0 and its mean, the Voice report). dyad runs PitchTracker, PulseTracker and
// HarmonicityTracker at Praat's frame times with Praat's global peak (as dyad voice and
// eval_prosody's pitch part do) and the same measures.
//   pulses matched     Praat pulses with a dyad pulse within 0.5 ms (and the other way round)
//   relative error     |dyad - Praat| / |Praat| per file and measure
//   defs only          the same measures computed by dyad from Praat's own pulses: the definitions
//                      alone, without the pulse finder
// Syllables: dyad's nuclei (IntensityTracker with a 50 Hz floor, PitchTracker voicing, sounding
// stretches from the intensity, dsp::syllable_nuclei, as dyad analyze) against the "syllable nuclei" tier of
// speech/the_north_wind_and_the_sun.TextGrid (match within 60 ms) and against bench/praat/
// syllable_nuclei.praat (de Jong & Wempe's procedure in Praat) on every file.
#include "eval_voice.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include "dyad/dsp/pitch.hpp"
#include "dyad/dsp/speech_rate.hpp"
#include "dyad/dsp/voice.hpp"
#include "dyad/formats/audio.hpp"

namespace fs = std::filesystem;

namespace dyad::bench {

namespace {

std::vector<float> read_channel0(const fs::path& p, double& rate) {
  formats::AudioReader r(p);
  rate = r.info().sample_rate_hz;
  int ch = r.info().channels;
  std::vector<float> buf(4096 * static_cast<std::size_t>(ch)), x;
  std::int64_t n;
  while ((n = r.read(buf)) > 0)
    for (std::int64_t i = 0; i < n; ++i) x.push_back(buf[static_cast<std::size_t>(i * ch)]);
  return x;
}

std::map<std::string, double> read_measures(const fs::path& p) {
  std::map<std::string, double> m;
  std::ifstream in(p);
  std::string k, v;
  while (in >> k >> v) {
    try { m[k] = v == "--undefined--" ? NAN : std::stod(v); } catch (...) { m[k] = NAN; }
  }
  return m;
}

std::vector<double> read_column(const fs::path& p, int col) {
  std::vector<double> out;
  std::ifstream in(p);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream s(line);
    double v = 0;
    for (int i = 0; i <= col; ++i) s >> v;
    if (s) out.push_back(v);
  }
  return out;
}

std::string f2(double v, int digits = 2) {
  if (!std::isfinite(v)) return "n/a";
  char b[32];
  std::snprintf(b, sizeof b, "%.*f", digits, v);
  return b;
}

/// Share of `a` with an element of sorted `b` within tol.
std::size_t matched(const std::vector<double>& a, const std::vector<double>& b, double tol) {
  std::size_t n = 0;
  for (double t : a) {
    auto it = std::lower_bound(b.begin(), b.end(), t);
    double d = 1e9;
    if (it != b.end()) d = std::min(d, *it - t);
    if (it != b.begin()) d = std::min(d, t - *std::prev(it));
    if (d <= tol) ++n;
  }
  return n;
}

struct DyadVoice {
  std::vector<dsp::PitchFrame> frames;
  std::vector<dsp::GlottalPulse> pulses;
  std::vector<double> hnr;
};

/// dyad on the whole signal at Praat's frame times (sample n at (n + 0.5) / rate in Praat).
DyadVoice run_dyad(const std::vector<float>& x, double rate, double pitch_t1, std::size_t pitch_frames, double hnr_t1,
                   std::size_t hnr_frames, double peak) {
  dsp::PitchConfig pc;
  pc.sample_rate_hz = rate;
  pc.first_frame_s = pitch_t1 - 0.5 / rate;
  pc.reference_peak = peak;
  dsp::PitchTracker pt(pc);
  dsp::PulseConfig qc;
  qc.sample_rate_hz = rate;
  qc.first_frame_s = pc.first_frame_s;
  qc.reference_peak = peak;
  dsp::PulseTracker pu(qc);
  dsp::HarmonicityConfig hc;
  hc.sample_rate_hz = rate;
  hc.first_frame_s = hnr_t1 - 0.5 / rate;
  hc.reference_peak = peak;
  dsp::HarmonicityTracker ht(hc);
  DyadVoice d;
  const std::size_t block = 4096;
  std::vector<dsp::PitchFrame> pf(pt.max_output(block));
  std::vector<double> hf(ht.max_output(block));
  auto keep = [&](std::size_t n) {  // Praat has fewer frames at the end: feed only those
    std::size_t k = std::min(n, pitch_frames > d.frames.size() ? pitch_frames - d.frames.size() : 0);
    d.frames.insert(d.frames.end(), pf.begin(), pf.begin() + static_cast<long>(k));
    return std::span<const dsp::PitchFrame>(pf.data(), k);
  };
  for (std::size_t i = 0; i < x.size(); i += block) {
    std::span<const float> b(x.data() + i, std::min(block, x.size() - i));
    pu.process(b, keep(pt.process(b, pf)), d.pulses);
    std::size_t n = ht.process(b, hf);
    d.hnr.insert(d.hnr.end(), hf.begin(), hf.begin() + static_cast<long>(n));
  }
  pu.finish(keep(pt.finish(pf)), d.pulses);
  std::size_t n = ht.finish(hf);
  d.hnr.insert(d.hnr.end(), hf.begin(), hf.begin() + static_cast<long>(n));
  if (d.hnr.size() > hnr_frames) d.hnr.resize(hnr_frames);
  for (auto& p : d.pulses) p.time_s += 0.5 / rate;  // to Praat's time
  for (auto& f : d.frames) f.time_s += 0.5 / rate;
  return d;
}

/// dyad's pulse finder on given pitch frames (f0 per frame, 0 unvoiced, first at pitch_t1 in
/// Praat's time): separates the pulse finder from the pitch tracker.
std::vector<dsp::GlottalPulse> pulses_on(const std::vector<float>& x, double rate, double pitch_t1, const std::vector<double>& f0,
                                         double peak) {
  dsp::PulseConfig qc;
  qc.sample_rate_hz = rate;
  qc.first_frame_s = pitch_t1 - 0.5 / rate;
  qc.reference_peak = peak;
  dsp::PulseTracker pu(qc);
  std::vector<dsp::PitchFrame> fr(f0.size());
  for (std::size_t k = 0; k < f0.size(); ++k) {
    fr[k].time_s = qc.first_frame_s + 0.01 * static_cast<double>(k);
    fr[k].f0_hz = f0[k];
  }
  std::vector<dsp::GlottalPulse> out;
  pu.process(x, {}, out);
  pu.finish(fr, out);
  for (auto& p : out) p.time_s += 0.5 / rate;
  return out;
}

const char* kMeasures[] = {"jitter_local", "jitter_local_abs_s", "jitter_rap", "jitter_ppq5", "jitter_ddp", "shimmer_local",
                           "shimmer_local_db", "shimmer_apq3", "shimmer_apq5", "shimmer_apq11", "shimmer_dda", "hnr_mean_db"};

double measure(const dsp::VoiceQuality& q, const std::string& k) {
  if (k == "jitter_local") return q.jitter_local;
  if (k == "jitter_local_abs_s") return q.jitter_local_abs_s;
  if (k == "jitter_rap") return q.jitter_rap;
  if (k == "jitter_ppq5") return q.jitter_ppq5;
  if (k == "jitter_ddp") return q.jitter_ddp;
  if (k == "shimmer_local") return q.shimmer_local;
  if (k == "shimmer_local_db") return q.shimmer_local_db;
  if (k == "shimmer_apq3") return q.shimmer_apq3;
  if (k == "shimmer_apq5") return q.shimmer_apq5;
  if (k == "shimmer_apq11") return q.shimmer_apq11;
  if (k == "shimmer_dda") return q.shimmer_dda;
  return NAN;
}

struct Errors {
  std::vector<double> rel;  // per file, %
  void add(double d, double p) {
    if (std::isfinite(d) && std::isfinite(p) && p != 0) rel.push_back(100 * std::abs(d - p) / std::abs(p));
    else if (std::isfinite(d) != std::isfinite(p)) rel.push_back(INFINITY);
  }
  double median() const {
    if (rel.empty()) return NAN;
    auto v = rel;
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  }
  double within(double pct) const {
    if (rel.empty()) return NAN;
    return 100.0 * static_cast<double>(std::count_if(rel.begin(), rel.end(), [&](double e) { return e <= pct; })) /
           static_cast<double>(rel.size());
  }
};

}  // namespace

void eval_voice(const std::vector<fs::path>& files, const fs::path& script, const fs::path& tmp, const RunFn& run) {
  std::size_t praat_pulses = 0, dyad_pulses = 0, praat_matched = 0, dyad_matched = 0;
  std::map<std::string, Errors> err, defs, report;
  std::vector<double> hnr_frame_diff;
  std::size_t hnr_frames = 0, hnr_silence_disagree = 0;
  // pooled over all files: per-file values averaged
  std::map<std::string, std::pair<double, double>> pooled;  // measure -> (sum dyad, sum praat)
  std::map<std::string, std::size_t> pooled_n;
  std::cout << "\n## Voice quality against Praat 6.3.07, per file\n\n"
               "| file | Praat pulses | matched 0.5 ms | dyad pulses | jitter local Praat / dyad % | shimmer local Praat / dyad % | "
               "HNR Praat / dyad dB | error local / abs / rap / ppq5 / ddp % |\n|---|---|---|---|---|---|---|---|\n";
  for (auto& f : files) {
    double rate = 0;
    std::vector<float> x;
    try { x = read_channel0(f, rate); } catch (const std::exception& e) { std::cerr << "skip " << f << ": " << e.what() << "\n"; continue; }
    if (x.size() < static_cast<std::size_t>(0.1 * rate)) continue;
    // DYAD_EVAL_VOICE_CACHE=DIR keeps Praat's outputs per file there (reused when present) and adds
    // dyad's pulses (dyad_pulses.txt) and pitch frames (dyad_frames.txt): for studying differences.
    const char* cache = std::getenv("DYAD_EVAL_VOICE_CACHE");
    fs::path out = cache ? fs::path(cache) / (f.parent_path().filename().string() + "_" + f.stem().string()) : tmp / "voice";
    const bool reuse = cache && fs::exists(out / "measures.txt");
    if (!reuse) {
      fs::remove_all(out);
      fs::create_directories(out);
    }
    if ((!reuse && run({"praat", "--run", script.string(), f.string(), out.string()}) != 0) || !fs::exists(out / "measures.txt")) {
      std::cerr << "praat failed on " << f << "\n";
      continue;
    }
    auto M = read_measures(out / "measures.txt");
    auto P = read_column(out / "pulses.txt", 0);
    auto H = read_column(out / "hnr.txt", 1);
    double peak = 0;
    for (float v : x) peak = std::max(peak, static_cast<double>(std::abs(v)));
    DyadVoice D = run_dyad(x, rate, M["pitch_t1"], static_cast<std::size_t>(M["pitch_frames"]), M["hnr_t1"],
                           static_cast<std::size_t>(M["hnr_frames"]), peak);
    // DYAD_EVAL_VOICE_PRAAT_PITCH=1: dyad's pulses from Praat's pitch frames (pitch.txt)
    if (std::getenv("DYAD_EVAL_VOICE_PRAAT_PITCH")) D.pulses = pulses_on(x, rate, M["pitch_t1"], read_column(out / "pitch.txt", 0), peak);
    std::vector<double> dt;
    for (auto& p : D.pulses) dt.push_back(p.time_s);
    if (cache) {
      std::ofstream dp(out / "dyad_pulses.txt");
      dp.precision(9);
      for (double t : dt) dp << std::fixed << t << "\n";
      std::ofstream df(out / "dyad_frames.txt");
      df.precision(6);
      for (auto& fr : D.frames) df << std::fixed << fr.time_s << " " << (fr.voiced() ? fr.f0_hz : 0.0) << "\n";
    }
    const std::size_t pm = matched(P, dt, 0.0005), dm = matched(dt, P, 0.0005);
    praat_pulses += P.size();
    dyad_pulses += dt.size();
    praat_matched += pm;
    dyad_matched += dm;
    dsp::VoiceQuality q = dsp::voice_quality(D.pulses);
    // the definitions alone: Praat's pulses, dyad's amplitudes and measures
    std::vector<dsp::GlottalPulse> pp;
    for (double t : P) pp.push_back({t - 0.5 / rate, 0.f});
    dsp::period_amplitudes(x, rate, pp);
    dsp::VoiceQuality qd = dsp::voice_quality(pp);
    double hsum = 0;
    std::size_t hn = 0;
    for (std::size_t i = 0; i < D.hnr.size(); ++i)
      if (D.hnr[i] > dsp::kHarmonicitySilentDb) { hsum += D.hnr[i]; ++hn; }
    const double hmean = hn ? hsum / static_cast<double>(hn) : NAN;
    for (std::size_t i = 0; i < H.size() && i < D.hnr.size(); ++i) {
      ++hnr_frames;
      const bool ps = H[i] <= -200, ds = D.hnr[i] <= dsp::kHarmonicitySilentDb;
      if (ps != ds) ++hnr_silence_disagree;
      else if (!ps) hnr_frame_diff.push_back(std::abs(H[i] - D.hnr[i]));
    }
    for (const char* k : kMeasures) {
      const double pv = M[k];
      const double dv = std::string(k) == "hnr_mean_db" ? hmean : measure(q, k);
      err[k].add(dv, pv);
      if (std::string(k) != "hnr_mean_db") defs[k].add(measure(qd, k), pv);
      if (std::isfinite(pv) && std::isfinite(dv)) {
        pooled[k].first += dv;
        pooled[k].second += pv;
        ++pooled_n[k];
      }
    }
    // the voice report
    dsp::VoiceReportConfig vc;
    vc.reference_peak = peak;
    dsp::VoiceReport vr = dsp::voice_report(D.frames, D.pulses, 0, static_cast<double>(x.size()) / rate, vc);
    const double dur = static_cast<double>(x.size()) / rate;
    const std::pair<const char*, double> rep[] = {
        {"vr_median_hz", vr.f0_median_hz},
        {"vr_mean_hz", vr.f0_mean_hz},
        {"vr_sd_hz", vr.f0_sd_hz},
        {"vr_min_hz", vr.f0_min_hz},
        {"vr_max_hz", vr.f0_max_hz},
        {"vr_pulses", static_cast<double>(vr.quality.pulses)},
        {"vr_periods", static_cast<double>(vr.quality.periods)},
        {"vr_mean_period_s", vr.quality.mean_period_s},
        {"vr_sd_period_s", vr.quality.sd_period_s},
        {"vr_unvoiced_fraction", vr.frames ? static_cast<double>(vr.locally_unvoiced_frames) / static_cast<double>(vr.frames) : NAN},
        {"vr_voice_breaks", static_cast<double>(vr.voice_breaks)},
        {"vr_break_degree", vr.voice_break_s / dur},
        {"vr_jitter_local", vr.quality.jitter_local},
        {"vr_shimmer_local", vr.quality.shimmer_local},
        {"vr_mean_autocorrelation", vr.mean_autocorrelation},
        {"vr_mean_nhr", vr.mean_nhr},
        {"vr_mean_hnr_db", vr.mean_hnr_db},
    };
    for (auto& [k, v] : rep) report[k].add(v, M[k]);
    std::cout << "| " << f.parent_path().filename().string() << "/" << f.filename().string() << " | " << P.size() << " | "
              << f2(P.empty() ? NAN : 100.0 * static_cast<double>(pm) / static_cast<double>(P.size())) << " % | " << dt.size()
              << " | " << f2(100 * M["jitter_local"], 3) << " / " << f2(100 * q.jitter_local, 3) << " | "
              << f2(100 * M["shimmer_local"], 2) << " / " << f2(100 * q.shimmer_local, 2) << " | " << f2(M["hnr_mean_db"])
              << " / " << f2(hmean) << " |";
    for (const char* k : {"jitter_local", "jitter_local_abs_s", "jitter_rap", "jitter_ppq5", "jitter_ddp"})
      std::cout << " " << f2(100 * std::abs(measure(q, k) - M[k]) / std::abs(M[k]), 1);
    std::cout << " |\n";
  }
  std::cout << "\n## Glottal pulses against Praat (all files)\n\n"
            << "Praat pulses " << praat_pulses << ", with a dyad pulse within 0.5 ms: " << praat_matched << " ("
            << f2(100.0 * static_cast<double>(praat_matched) / static_cast<double>(std::max<std::size_t>(praat_pulses, 1))) << " %); dyad pulses "
            << dyad_pulses << ", with a Praat pulse within 0.5 ms: " << dyad_matched << " ("
            << f2(100.0 * static_cast<double>(dyad_matched) / static_cast<double>(std::max<std::size_t>(dyad_pulses, 1))) << " %).\n";
  std::sort(hnr_frame_diff.begin(), hnr_frame_diff.end());
  double hsum = 0;
  for (double v : hnr_frame_diff) hsum += v;
  std::cout << "\nHarmonicity frames: " << hnr_frames << ", silent/non-silent disagreements " << hnr_silence_disagree << " ("
            << f2(100.0 * static_cast<double>(hnr_silence_disagree) / static_cast<double>(std::max<std::size_t>(hnr_frames, 1)))
            << " %); over the frames both call non-silent, mean |dyad - Praat| "
            << f2(hnr_frame_diff.empty() ? NAN : hsum / static_cast<double>(hnr_frame_diff.size()), 3) << " dB, median "
            << f2(hnr_frame_diff.empty() ? NAN : hnr_frame_diff[hnr_frame_diff.size() / 2], 3) << " dB, p95 "
            << f2(hnr_frame_diff.empty() ? NAN : hnr_frame_diff[static_cast<std::size_t>(0.95 * static_cast<double>(hnr_frame_diff.size() - 1))], 3)
            << " dB.\n";
  std::cout << "\n## Jitter, shimmer and HNR per file against Praat (whole files, standard settings)\n\n"
               "| measure | files | median rel. error % | files within 5 % | files within 10 % | mean over files Praat | dyad | rel. diff of means % | defs only: median % | defs only: within 1 % |\n"
               "|---|---|---|---|---|---|---|---|---|---|\n";
  for (const char* k : kMeasures) {
    auto& e = err[k];
    auto& d = defs[k];
    const double n = static_cast<double>(std::max<std::size_t>(pooled_n[k], 1));
    const double pmn = pooled[k].second / n, dmn = pooled[k].first / n;
    std::cout << "| " << k << " | " << e.rel.size() << " | " << f2(e.median()) << " | " << f2(e.within(5), 1) << " % | "
              << f2(e.within(10), 1) << " % | " << f2(pmn, 6) << " | " << f2(dmn, 6) << " | " << f2(100 * std::abs(dmn - pmn) / std::abs(pmn))
              << " | " << (d.rel.empty() ? "" : f2(d.median(), 4)) << " | " << (d.rel.empty() ? "" : f2(d.within(1), 1) + " %") << " |\n";
  }
  std::cout << "\n## Voice report against Praat's (whole files)\n\n| quantity | files | median rel. error % | files within 5 % |\n|---|---|---|---|\n";
  for (auto& [k, e] : report)
    std::cout << "| " << k.substr(3) << " | " << e.rel.size() << " | " << f2(e.median()) << " | " << f2(e.within(5), 1) << " % |\n";
}

namespace {

/// dyad's nuclei on a whole file: intensity (50 Hz floor) and pitch at 0.01 s from 0, sounding
/// stretches from the intensity, nuclei inside them.
struct DyadSyl {
  std::vector<double> nuclei;
  double speaking_s = 0, duration_s = 0;
};

DyadSyl dyad_syllables(const std::vector<float>& x, double rate) {
  dsp::IntensityConfig ic;
  ic.sample_rate_hz = rate;
  ic.f0_min_hz = 50;
  ic.time_step_s = 0.016;  // Praat's automatic step for a 50 Hz floor, as de Jong & Wempe's script
  dsp::IntensityTracker it(ic);
  dsp::PitchConfig pc;
  pc.sample_rate_hz = rate;
  dsp::PitchTracker pt(pc);
  std::vector<float> I;
  std::vector<unsigned char> V;
  const std::size_t block = 4096;
  std::vector<double> inf(it.max_output(block));
  std::vector<dsp::PitchFrame> pf(pt.max_output(block));
  for (std::size_t i = 0; i < x.size(); i += block) {
    std::span<const float> b(x.data() + i, std::min(block, x.size() - i));
    std::size_t n = it.process(b, inf);
    for (std::size_t k = 0; k < n; ++k) I.push_back(static_cast<float>(inf[k]));
    n = pt.process(b, pf);
    for (std::size_t k = 0; k < n; ++k) V.push_back(pf[k].voiced());
  }
  std::size_t n = it.finish(inf);
  for (std::size_t k = 0; k < n; ++k) I.push_back(static_cast<float>(inf[k]));
  n = pt.finish(pf);
  for (std::size_t k = 0; k < n; ++k) V.push_back(pf[k].voiced());
  std::vector<unsigned char> Vs(I.size());  // voicing of the nearest pitch frame
  for (std::size_t k = 0; k < I.size(); ++k) {
    const auto j = static_cast<std::size_t>(std::floor(static_cast<double>(k) * 1.6 + 0.5));
    Vs[k] = j < V.size() && V[j];
  }
  auto nuc = dsp::syllable_nuclei(I, Vs, 0, 0.016);
  auto snd = dsp::sounding_intervals(I, 0, 0.016, nuc.threshold_db);
  DyadSyl d;
  d.duration_s = static_cast<double>(x.size()) / rate;
  for (auto& [a, b] : snd) d.speaking_s += std::min(b, d.duration_s) - std::max(a, 0.0);
  for (double t : nuc.times_s)
    for (auto& [a, b] : snd)
      if (t >= a && t < b) { d.nuclei.push_back(t); break; }
  return d;
}

}  // namespace

void eval_syllables(const std::vector<fs::path>& files, const fs::path& data, const fs::path& script, const fs::path& tmp,
                    const RunFn& run) {
  // the North Wind recording against its TextGrid
  {
    const fs::path wav = data / "speech" / "the_north_wind_and_the_sun.wav";
    const fs::path tg = data / "speech" / "the_north_wind_and_the_sun.TextGrid";
    std::vector<double> truth;
    std::ifstream in(tg);
    std::string line;
    bool nuclei_tier = false;
    while (std::getline(in, line)) {
      if (line.find("name = \"syllable nuclei\"") != std::string::npos) nuclei_tier = true;
      auto p = line.find("number = ");
      if (nuclei_tier && p != std::string::npos) truth.push_back(std::stod(line.substr(p + 9)));
    }
    if (fs::exists(wav) && !truth.empty()) {
      double rate = 0;
      auto x = read_channel0(wav, rate);
      DyadSyl d = dyad_syllables(x, rate);
      fs::path out = tmp / "syl.txt";
      fs::remove(out);
      std::vector<double> praat;
      if (run({"praat", "--run", script.string(), wav.string(), out.string()}) == 0) praat = read_column(out, 0);
      std::cout << "\n## Syllable nuclei: the North Wind recording against its TextGrid\n\n"
                << "TextGrid nuclei " << truth.size() << "; dyad " << d.nuclei.size() << " (" << matched(truth, d.nuclei, 0.06)
                << " of the TextGrid's within 60 ms); de Jong & Wempe's procedure in Praat " << praat.size() << " ("
                << matched(truth, praat, 0.06) << " within 60 ms).\n\nTextGrid:";
      for (double t : truth) std::cout << " " << f2(t, 3);
      std::cout << "\ndyad:    ";
      for (double t : d.nuclei) std::cout << " " << f2(t, 3);
      std::cout << "\nPraat:   ";
      for (double t : praat) std::cout << " " << f2(t, 3);
      std::cout << "\n";
    }
  }
  // every file: counts against the procedure in Praat
  std::size_t nd = 0, np = 0, files_n = 0, exact = 0, within1 = 0;
  double abs_diff = 0;
  std::cout << "\n## Syllable counts against de Jong & Wempe's procedure in Praat, per file\n\n"
               "| file | Praat nuclei | dyad nuclei | matched within 60 ms | Praat speech rate /s | dyad speech rate /s |\n|---|---|---|---|---|---|\n";
  for (auto& f : files) {
    double rate = 0;
    std::vector<float> x;
    try { x = read_channel0(f, rate); } catch (...) { continue; }
    if (x.size() < static_cast<std::size_t>(0.3 * rate)) continue;
    fs::path out = tmp / "syl.txt";
    fs::remove(out);
    if (run({"praat", "--run", script.string(), f.string(), out.string()}) != 0) continue;
    auto praat = read_column(out, 0);
    DyadSyl d = dyad_syllables(x, rate);
    ++files_n;
    nd += d.nuclei.size();
    np += praat.size();
    const double diff = std::abs(static_cast<double>(d.nuclei.size()) - static_cast<double>(praat.size()));
    abs_diff += diff;
    exact += diff == 0;
    within1 += diff <= 1;
    std::cout << "| " << f.parent_path().filename().string() << "/" << f.filename().string() << " | " << praat.size() << " | "
              << d.nuclei.size() << " | " << matched(praat, d.nuclei, 0.06) << " | " << f2(static_cast<double>(praat.size()) / d.duration_s)
              << " | " << f2(static_cast<double>(d.nuclei.size()) / d.duration_s) << " |\n";
  }
  std::cout << "\nFiles " << files_n << ": nuclei Praat " << np << ", dyad " << nd << "; same count in " << exact << " files, within one in "
            << within1 << "; mean |difference| " << f2(files_n ? abs_diff / static_cast<double>(files_n) : NAN) << " per file.\n";
}

}  // namespace dyad::bench
