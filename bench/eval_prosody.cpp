// bench/eval_prosody: dyad's pitch and intensity against Praat 6.3.07 (run here through
// `praat --run bench/praat/pitch_intensity.praat`) on real speech, and both against the FDA-UE
// laryngograph truth; then voice quality (pulses, jitter, shimmer, HNR, the voice report) and
// syllable nuclei against Praat (eval_voice.cpp, issue 9).
//
// Usage: eval_prosody [--data DIR] [--praat-script FILE] [--tmp DIR] [--list] [--part pitch|voice|syllables]
//   DIR defaults to ../shared/data beside the source tree. Prints a Markdown report on stdout.
//   --part runs one part only (default: all three).
//
// Agreement with Praat (every file, frames at Praat's own frame times):
//   voicing agreement   share of frames where both say voiced or both unvoiced
//   within 1/2/5 %      share of jointly voiced frames with |f_dyad - f_praat| / f_praat below 1/2/5 %
//   intensity diff      mean and 99th percentile of |I_dyad - I_praat| (dB) over frames above 0 dB
// Against truth (FDA-UE *.f0ref: one value per 15 ms, frame i at i * 15 ms, 0 = unvoiced), each
// tracker read at the nearest of its own frames:
//   VDE  voicing decision error: frames whose voiced/unvoiced decision differs from the truth / all
//   GPE  gross pitch error: frames voiced in both with |f - f_ref| / f_ref > 20 % / frames voiced in both
//   FPE  fine pitch error: mean |f - f_ref| / f_ref (%) over the jointly voiced frames that are not gross
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "dyad/dsp/pitch.hpp"
#include "dyad/formats/audio.hpp"
#include "eval_voice.hpp"

namespace fs = std::filesystem;
using namespace dyad;

namespace {

struct Track {
  std::vector<double> t, v;
};

Track read_pairs(const fs::path& p) {
  Track tr;
  std::ifstream in(p);
  double a, b;
  while (in >> a >> b) { tr.t.push_back(a); tr.v.push_back(b); }
  return tr;
}

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

int run(const std::vector<std::string>& args) {
  pid_t pid = fork();
  if (pid == 0) {
    std::vector<char*> av;
    for (auto& a : args) av.push_back(const_cast<char*>(a.c_str()));
    av.push_back(nullptr);
    int devnull = ::open("/dev/null", O_WRONLY);
    if (devnull >= 0) { dup2(devnull, 1); }
    execvp(av[0], av.data());
    _exit(127);
  }
  int st = 0;
  waitpid(pid, &st, 0);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

struct DyadResult {
  std::vector<dsp::PitchFrame> pitch;
  std::vector<double> intensity;
};

/// dyad on the whole signal, frames at Praat's times (Praat puts sample n at (n + 0.5) / rate).
DyadResult run_dyad(const std::vector<float>& x, double rate, double pitch_t1, double int_t1) {
  double peak = 0;
  for (float v : x) peak = std::max(peak, static_cast<double>(std::abs(v)));
  dsp::PitchConfig pc;
  pc.sample_rate_hz = rate;
  pc.first_frame_s = pitch_t1 - 0.5 / rate;
  pc.reference_peak = peak;
  dsp::PitchTracker pt(pc);
  dsp::IntensityConfig ic;
  ic.sample_rate_hz = rate;
  ic.first_frame_s = int_t1 - 0.5 / rate;
  dsp::IntensityTracker it(ic);
  DyadResult r;
  const std::size_t block = 4096;
  std::vector<dsp::PitchFrame> pf(pt.max_output(block));
  std::vector<double> inf(it.max_output(block));
  for (std::size_t i = 0; i < x.size(); i += block) {
    std::span<const float> b(x.data() + i, std::min(block, x.size() - i));
    std::size_t n = pt.process(b, pf);
    r.pitch.insert(r.pitch.end(), pf.begin(), pf.begin() + static_cast<long>(n));
    n = it.process(b, inf);
    r.intensity.insert(r.intensity.end(), inf.begin(), inf.begin() + static_cast<long>(n));
  }
  std::size_t n = pt.finish(pf);
  r.pitch.insert(r.pitch.end(), pf.begin(), pf.begin() + static_cast<long>(n));
  n = it.finish(inf);
  r.intensity.insert(r.intensity.end(), inf.begin(), inf.begin() + static_cast<long>(n));
  return r;
}

struct Agree {
  long frames = 0, voicing_same = 0, joint = 0, w1 = 0, w2 = 0, w5 = 0;
  long ifr = 0;
  double isum = 0;
  std::vector<double> idiff;
  void add(const Agree& o) {
    frames += o.frames; voicing_same += o.voicing_same; joint += o.joint; w1 += o.w1; w2 += o.w2; w5 += o.w5;
    ifr += o.ifr; isum += o.isum; idiff.insert(idiff.end(), o.idiff.begin(), o.idiff.end());
  }
};

struct Truth {
  long frames = 0, vde = 0, joint = 0, gross = 0, fine_n = 0;
  double fine_sum = 0;
  void add(const Truth& o) {
    frames += o.frames; vde += o.vde; joint += o.joint; gross += o.gross; fine_n += o.fine_n; fine_sum += o.fine_sum;
  }
};

void score_truth(Truth& s, const std::vector<double>& ref, const std::vector<double>& times, const std::vector<double>& f0) {
  for (std::size_t i = 0; i < ref.size(); ++i) {
    double t = static_cast<double>(i) * 0.015;
    // nearest frame
    auto it = std::lower_bound(times.begin(), times.end(), t);
    std::size_t k;
    if (it == times.end()) k = times.size() - 1;
    else if (it == times.begin()) k = 0;
    else { k = static_cast<std::size_t>(it - times.begin()); if (t - times[k - 1] < times[k] - t) --k; }
    double f = times.empty() ? 0 : (std::abs(times[k] - t) <= 0.0051 ? f0[k] : 0);
    bool rv = ref[i] > 0, dv = f > 0;
    ++s.frames;
    if (rv != dv) ++s.vde;
    if (rv && dv) {
      ++s.joint;
      double e = std::abs(f - ref[i]) / ref[i];
      if (e > 0.2) ++s.gross;
      else { ++s.fine_n; s.fine_sum += e * 100; }
    }
  }
}

double pct(long a, long b) { return b ? 100.0 * static_cast<double>(a) / static_cast<double>(b) : NAN; }
std::string f2(double v) { char b[32]; std::snprintf(b, sizeof b, "%.2f", v); return b; }
double p99(std::vector<double> v) {
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  return v[static_cast<std::size_t>(0.99 * static_cast<double>(v.size() - 1))];
}

}  // namespace

int main(int argc, char** argv) {
  fs::path src = fs::path(__FILE__).parent_path().parent_path();
  fs::path data = src / ".." / "shared" / "data";
  fs::path script = src / "bench" / "praat" / "pitch_intensity.praat";
  fs::path tmp = fs::temp_directory_path() / ("dyad-eval-prosody-" + std::to_string(::getpid()));
  bool list = false;
  std::string part;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--part" && i + 1 < argc) part = argv[++i];
    else if (a == "--data" && i + 1 < argc) data = argv[++i];
    else if (a == "--praat-script" && i + 1 < argc) script = argv[++i];
    else if (a == "--tmp" && i + 1 < argc) tmp = argv[++i];
    else if (a == "--list") list = true;
    else {
      std::cerr << "usage: eval_prosody [--data DIR] [--praat-script FILE] [--tmp DIR] [--list] [--part pitch|voice|syllables]\n";
      return 2;
    }
  }
  fs::create_directories(tmp);
  std::vector<fs::path> files;
  for (auto sub : {"speech", "speech/praat_test", "pitch/fda_ue_dev"}) {
    if (!fs::is_directory(data / sub)) continue;
    for (auto& e : fs::directory_iterator(data / sub))
      if (e.path().extension() == ".wav") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  if (part == "voice" || part == "syllables") {
    if (part == "voice") dyad::bench::eval_voice(files, src / "bench" / "praat" / "voice.praat", tmp, run);
    else dyad::bench::eval_syllables(files, data, src / "bench" / "praat" / "syllable_nuclei.praat", tmp, run);
    fs::remove_all(tmp);
    return 0;
  }
  std::map<std::string, Agree> agree;    // group -> agreement
  std::map<std::string, Truth> tr_dyad, tr_praat;
  std::cout << "| file | frames | voicing agree % | within 1 % | within 2 % | within 5 % | intensity mean abs diff dB |\n"
               "|---|---|---|---|---|---|---|\n";
  for (auto& f : files) {
    double rate = 0;
    std::vector<float> x;
    try { x = read_channel0(f, rate); } catch (const std::exception& e) { std::cerr << "skip " << f << ": " << e.what() << "\n"; continue; }
    if (x.size() < static_cast<std::size_t>(0.1 * rate)) continue;
    fs::path pp = tmp / "p.txt", ip = tmp / "i.txt";
    fs::remove(pp); fs::remove(ip);
    if (run({"praat", "--run", script.string(), f.string(), pp.string(), ip.string()}) != 0 || !fs::exists(pp)) {
      std::cerr << "praat failed on " << f << "\n";
      continue;
    }
    Track P = read_pairs(pp), I = read_pairs(ip);
    if (P.t.empty() || I.t.empty()) continue;
    DyadResult D = run_dyad(x, rate, P.t[0], I.t[0]);
    Agree a;
    for (std::size_t i = 0; i < P.t.size() && i < D.pitch.size(); ++i) {
      bool pv = P.v[i] > 0, dv = D.pitch[i].voiced();
      ++a.frames;
      if (pv == dv) ++a.voicing_same;
      if (pv && dv) {
        ++a.joint;
        double e = std::abs(D.pitch[i].f0_hz - P.v[i]) / P.v[i];
        if (e < 0.01) ++a.w1;
        if (e < 0.02) ++a.w2;
        if (e < 0.05) ++a.w5;
      }
      if (list) std::cerr << f.filename().string() << " " << P.t[i] << " " << P.v[i] << " " << D.pitch[i].f0_hz << "\n";
    }
    for (std::size_t i = 0; i < I.t.size() && i < D.intensity.size(); ++i) {
      if (I.v[i] <= 0) continue;
      double d = std::abs(D.intensity[i] - I.v[i]);
      ++a.ifr;
      a.isum += d;
      a.idiff.push_back(d);
    }
    std::string name = f.filename().string();
    std::string group = f.parent_path().filename().string();
    std::cout << "| " << group << "/" << name << " | " << a.frames << " | " << f2(pct(a.voicing_same, a.frames)) << " | "
              << f2(pct(a.w1, a.joint)) << " | " << f2(pct(a.w2, a.joint)) << " | " << f2(pct(a.w5, a.joint)) << " | "
              << f2(a.ifr ? a.isum / static_cast<double>(a.ifr) : NAN) << " |\n";
    agree[group].add(a);
    agree["all"].add(a);
    fs::path ref = f;
    ref.replace_extension(".f0ref");
    if (fs::exists(ref)) {
      Track R;
      std::ifstream in(ref);
      std::vector<double> refv;
      double v;
      while (in >> v) refv.push_back(v);
      std::vector<double> dt, df;
      for (auto& fr : D.pitch) { dt.push_back(fr.time_s + 0.5 / rate); df.push_back(fr.f0_hz); }
      std::string spk = name.substr(0, 2);
      score_truth(tr_dyad[spk], refv, dt, df);
      score_truth(tr_dyad["all"], refv, dt, df);
      score_truth(tr_praat[spk], refv, P.t, P.v);
      score_truth(tr_praat["all"], refv, P.t, P.v);
    }
  }
  std::cout << "\n## Agreement with Praat 6.3.07 (To Pitch (ac) standard settings, To Intensity 75 Hz)\n\n"
               "| set | frames | voicing agree % | jointly voiced | within 1 % | within 2 % | within 5 % | intensity mean abs diff dB | p99 dB |\n"
               "|---|---|---|---|---|---|---|---|---|\n";
  for (auto& [g, a] : agree)
    std::cout << "| " << g << " | " << a.frames << " | " << f2(pct(a.voicing_same, a.frames)) << " | " << a.joint << " | "
              << f2(pct(a.w1, a.joint)) << " | " << f2(pct(a.w2, a.joint)) << " | " << f2(pct(a.w5, a.joint)) << " | "
              << f2(a.ifr ? a.isum / static_cast<double>(a.ifr) : NAN) << " | " << f2(p99(a.idiff)) << " |\n";
  std::cout << "\n## Against the FDA-UE laryngograph truth (50 development utterances)\n\n"
               "| speaker | frames | dyad VDE % | Praat VDE % | dyad GPE % | Praat GPE % | dyad FPE % | Praat FPE % |\n"
               "|---|---|---|---|---|---|---|---|\n";
  for (auto& [spk, d] : tr_dyad) {
    const Truth& p = tr_praat[spk];
    std::cout << "| " << spk << " | " << d.frames << " | " << f2(pct(d.vde, d.frames)) << " | " << f2(pct(p.vde, p.frames))
              << " | " << f2(pct(d.gross, d.joint)) << " | " << f2(pct(p.gross, p.joint)) << " | "
              << f2(d.fine_n ? d.fine_sum / static_cast<double>(d.fine_n) : NAN) << " | "
              << f2(p.fine_n ? p.fine_sum / static_cast<double>(p.fine_n) : NAN) << " |\n";
  }
  if (part.empty()) {
    dyad::bench::eval_voice(files, src / "bench" / "praat" / "voice.praat", tmp, run);
    dyad::bench::eval_syllables(files, data, src / "bench" / "praat" / "syllable_nuclei.praat", tmp, run);
  }
  fs::remove_all(tmp);
  return 0;
}
