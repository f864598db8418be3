// The session simulator: a generative conversation, voices on their own microphones with
// crosstalk and noise, physiology on drifting sensor clocks, and the exact truth of it all.
#include "dyad/analysis/simulate.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <memory>
#include <cmath>
#include <ctime>
#include <limits>
#include <stdexcept>
#include <thread>

#include <nlohmann/json.hpp>

#include "dyad/dsp/filter.hpp"
#include "dyad/dsp/synth.hpp"
#include "dyad/formats/audio.hpp"
#include "dyad/formats/error.hpp"
#include "dyad/formats/features.hpp"
#include "dyad/formats/files.hpp"
#include "dyad/formats/markers.hpp"
#include "dyad/formats/session.hpp"
#include "dyad/formats/stream.hpp"
#include "dyad/formats/text.hpp"
#include "dyad/version.hpp"

namespace dyad::analysis {

namespace {

using formats::format_number;
using json = nlohmann::json;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Sub-stream ids of the master generator: one per purpose, so changing e.g. the SNR never
// reshuffles the conversation.
enum Stream : std::uint64_t { kSchedule = 1, kSpurts, kVoice, kNoise, kPhysio, kClock, kClinical, kIds };

// ---------------------------------------------------------------------------------------------
// Conversation schedule (times in integer milliseconds so the truth is exact and readable)

struct Voice {
  std::string role;
  double f0_lo, f0_hi;     // range of the contour
  double base_lo, base_hi; // range of a talkspurt's base F0
  double formant_scale;
  double jitter, shimmer;
};

struct Spurt {
  int role;
  std::int64_t s_ms, e_ms;
};

struct Schedule {
  std::vector<Spurt> spurts;  // in generation order
};

Schedule make_schedule(const SimulationConfig& c, int nroles, dsp::Rng rng) {
  Schedule out;
  const std::int64_t D = static_cast<std::int64_t>(std::llround(c.duration_s * 1000));
  std::vector<std::int64_t> last_end(static_cast<std::size_t>(nroles), std::numeric_limits<std::int64_t>::min() / 2);
  auto ms = [](double v) { return static_cast<std::int64_t>(std::llround(v)); };
  int holder = 0;
  std::int64_t t = 500 + ms(rng.uniform(0, 1000));
  std::int64_t incoming = 0;  // overlap the new holder's first talkspurt must outlast
  bool done = false;
  while (!done) {
    int n = 1;
    while (n < 5 && rng.uniform() < 0.45) ++n;
    for (int k = 0; k < n; ++k) {
      std::int64_t dur = std::clamp(ms(rng.lognormal(1800, 0.55)), std::int64_t{400}, std::int64_t{7000});
      if (k == 0) dur = std::max(dur, incoming + 600);
      std::int64_t s = t, e = s + dur;
      if (e > D - 300) {
        if (s < D - 1000) e = D - 300;
        else {
          done = true;
          break;
        }
        done = true;
      }
      out.spurts.push_back({holder, s, e});
      bool last = k == n - 1 || done;
      std::int64_t next_start = 0;
      int next = holder;
      if (last && !done) {
        if (nroles == 3)
          next = holder == 2 ? (rng.uniform() < 0.5 ? 0 : 1) : (rng.uniform() < 0.12 ? 2 : 1 - holder);
        else
          next = 1 - holder;
        double r = rng.uniform();
        if (r < 0.07 && dur >= 2600) {  // a successful interruption: the holder stops first
          next_start = e - std::min(ms(rng.uniform(1100, 2000)), dur - 800);
        } else if (r < 0.43) {  // overlapping speaker change (some become gaps below: about 40 % overlap)
          next_start = e - std::min(ms(rng.uniform(60, 900)), dur - 300);
        } else {  // gap
          next_start = e + std::clamp(ms(rng.lognormal(200, 0.7)), std::int64_t{20}, std::int64_t{2500});
        }
        if (next_start < last_end[static_cast<std::size_t>(next)] + 150)
          next_start = std::max(e + 20, last_end[static_cast<std::size_t>(next)] + 150);
      } else if (!last) {
        next_start = e + std::clamp(ms(rng.lognormal(450, 0.5)), std::int64_t{180}, std::int64_t{2000});
      }
      // Listener vocalisations inside this talkspurt: backchannels, now and then a failed
      // interruption (the holder talks on). One listener at a time, clear of both ends.
      std::int64_t lo = s + std::max<std::int64_t>(400, incoming + 300);
      std::int64_t hi = (last && !done && next_start < e ? next_start : e) - 400;
      if (k > 0) lo = s + 400;
      std::int64_t pos = lo;
      while (pos < hi) {
        pos += ms(rng.exponential(4000));
        int who = nroles == 3 ? (holder == 2 ? (rng.uniform() < 0.5 ? 0 : 1)
                                             : (rng.uniform() < 0.85 ? 1 - holder : 2))
                              : 1 - holder;
        std::int64_t len = (rng.uniform() < 0.12 && hi - pos > 2200) ? ms(rng.uniform(1100, 1900)) : ms(rng.uniform(200, 850));
        if (pos + len > hi) break;
        if (pos >= last_end[static_cast<std::size_t>(who)] + 150) {
          out.spurts.push_back({who, pos, pos + len});
          last_end[static_cast<std::size_t>(who)] = pos + len;
        }
        pos += len + 300;
      }
      last_end[static_cast<std::size_t>(holder)] = e;
      if (done) break;
      if (last) {
        incoming = std::max<std::int64_t>(0, e - next_start);
        holder = next;
        t = next_start;
        break;
      }
      incoming = 0;
      t = next_start;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Talkspurt plans: F0 contour, voiced and unvoiced stretches, level

struct Sub {
  std::int64_t n0, n1;  // audio samples [n0, n1)
  bool voiced;
  int vowel;
  std::size_t plan;
};

struct Plan {
  int role;
  std::int64_t s_ms, e_ms;
  double base_hz, mod, period_s, phase, decl;
  double level_db;  // nominal RMS of the dry voice, dBFS
  double f0(double t) const {
    double s = static_cast<double>(s_ms) / 1000.0, d = static_cast<double>(e_ms - s_ms) / 1000.0;
    return base_hz * (1 + mod * std::sin(2 * M_PI * (t - s) / period_s + phase)) * (1 - decl * (t - s) / d);
  }
};

constexpr int kVowels = 5;
const dsp::Formants kVowelTable[kVowels] = {
    {{730, 1090, 2440, 3400}, {80, 90, 120, 180}},   // a
    {{530, 1840, 2480, 3500}, {70, 100, 120, 180}},  // e
    {{270, 2290, 3010, 3700}, {60, 100, 120, 180}},  // i
    {{570, 840, 2410, 3400}, {70, 80, 120, 180}},    // o
    {{300, 870, 2240, 3300}, {60, 80, 120, 180}},    // u
};
constexpr double kTargetRms = 0.05;  // about -26 dBFS while speaking
constexpr double kUnvoicedDb = -12;  // unvoiced noise relative to the voiced level
constexpr double kRampS = 0.004;     // raised-cosine ramps at every stretch edge

struct Plans {
  std::vector<Plan> plans;
  std::vector<std::vector<Sub>> subs;  // per role, in time order
};

Plans make_plans(const std::vector<Spurt>& spurts, const std::vector<Voice>& voices, double rate, dsp::Rng rng) {
  Plans out;
  out.subs.resize(voices.size());
  std::vector<Spurt> sorted = spurts;
  std::sort(sorted.begin(), sorted.end(), [](auto& a, auto& b) { return a.s_ms != b.s_ms ? a.s_ms < b.s_ms : a.role < b.role; });
  auto sample = [&](std::int64_t ms) { return static_cast<std::int64_t>(std::llround(static_cast<double>(ms) * rate / 1000.0)); };
  for (auto& sp : sorted) {
    const Voice& v = voices[static_cast<std::size_t>(sp.role)];
    Plan p{sp.role, sp.s_ms, sp.e_ms, rng.uniform(v.base_lo, v.base_hi), rng.uniform(0.02, 0.07), rng.uniform(0.6, 1.6),
           rng.uniform(0, 2 * M_PI), rng.uniform(0, 0.06), -26.0 + rng.uniform(-3, 3)};
    std::size_t pi = out.plans.size();
    out.plans.push_back(p);
    auto& subs = out.subs[static_cast<std::size_t>(sp.role)];
    std::int64_t pos = sp.s_ms;
    const std::int64_t end = sp.e_ms;
    if (end - pos < 350) {
      subs.push_back({sample(pos), sample(end), true, static_cast<int>(rng.uniform() * kVowels), pi});
      continue;
    }
    while (pos < end) {
      std::int64_t vd = std::clamp<std::int64_t>(std::llround(rng.lognormal(260, 0.4)), 120, 600);
      std::int64_t ud = std::llround(rng.uniform(40, 110));
      int vowel = static_cast<int>(rng.uniform() * kVowels);
      if (pos + vd + ud + 250 >= end) {  // the last stretch is voiced and reaches the end
        subs.push_back({sample(pos), sample(end), true, vowel, pi});
        break;
      }
      subs.push_back({sample(pos), sample(pos + vd), true, vowel, pi});
      subs.push_back({sample(pos + vd), sample(pos + vd + ud), false, 0, pi});
      pos += vd + ud;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Voice synthesis, streamed block by block

class VoiceSynth {
 public:
  VoiceSynth(const Voice& v, const std::vector<Sub>& subs, const std::vector<Plan>& plans, double rate, std::uint64_t seed)
      : subs_(subs), plans_(plans), rate_(rate),
        src_(dsp::GlottalConfig{rate, v.jitter, v.shimmer, 0.56}, dsp::mix64(seed)), noise_(dsp::mix64(seed + 1)) {
    ramp_ = std::max<std::int64_t>(1, std::llround(kRampS * rate));
    for (int i = 0; i < kVowels; ++i) {
      dsp::Formants f = kVowelTable[i];
      for (auto& x : f.freq_hz) x *= v.formant_scale;
      filt_[i] = dsp::FormantFilter(f, rate);
    }
    nf_ = dsp::Resonator(std::min(4500.0, 0.3 * rate), std::min(2500.0, 0.15 * rate), rate);
    // Calibrate each vowel's and the noise's gain to unit RMS at the middle of the F0 range.
    double f0 = 0.5 * (v.base_lo + v.base_hi);
    const std::int64_t n = static_cast<std::int64_t>(0.4 * rate), skip = static_cast<std::int64_t>(0.05 * rate);
    for (int i = 0; i < kVowels; ++i) {
      dsp::GlottalSource g(dsp::GlottalConfig{rate, 0, 0, 0.56}, 7);
      dsp::FormantFilter f = filt_[i];
      double ss = 0;
      for (std::int64_t k = 0; k < n; ++k) {
        float y = f.process(g.next(k, [&](std::int64_t) { return f0; }));
        if (k >= skip) ss += static_cast<double>(y) * y;
      }
      gain_[i] = 1.0 / std::sqrt(ss / static_cast<double>(n - skip));
    }
    dsp::Rng r(9);
    dsp::Resonator nf = nf_;
    double ss = 0;
    for (std::int64_t k = 0; k < n; ++k) {
      float y = nf.process(r.fast_normal());
      if (k >= skip) ss += static_cast<double>(y) * y;
    }
    ngain_ = std::pow(10.0, kUnvoicedDb / 20) / std::sqrt(ss / static_cast<double>(n - skip));
  }

  /// Dry voice for samples [n0, n0 + out.size()); consecutive calls must be contiguous.
  void render(std::int64_t n0, float* out, std::size_t len) {
    std::fill(out, out + len, 0.0f);
    const std::int64_t n1 = n0 + static_cast<std::int64_t>(len);
    while (cur_ < subs_.size() && subs_[cur_].n1 <= n0) ++cur_;
    for (std::size_t i = cur_; i < subs_.size() && subs_[i].n0 < n1; ++i) {
      const Sub& s = subs_[i];
      const Plan& p = plans_[s.plan];
      const double level = kTargetRms * std::pow(10.0, (p.level_db + 26.0) / 20);
      std::int64_t a = std::max(n0, s.n0), b = std::min(n1, s.n1);
      if (a == s.n0) {  // a stretch starts: a fresh period, filters at rest
        src_.restart();
        for (auto& f : filt_) f.reset();
        nf_.reset();
      }
      auto f0_at = [&](std::int64_t n) { return p.f0(static_cast<double>(n) / rate_); };
      dsp::FormantFilter& f = filt_[s.vowel];
      const double g = s.voiced ? gain_[s.vowel] * level : ngain_ * level;
      for (std::int64_t n = a; n < b; ++n) {
        float x = s.voiced ? f.process(src_.next(n, f0_at)) : nf_.process(noise_.fast_normal());
        std::int64_t edge = std::min(n - s.n0, s.n1 - 1 - n);
        double env = edge < ramp_ ? 0.5 * (1 - std::cos(M_PI * (static_cast<double>(edge) + 0.5) / static_cast<double>(ramp_))) : 1.0;
        out[n - n0] = static_cast<float>(x * g * env);
      }
    }
  }

 private:
  const std::vector<Sub>& subs_;
  const std::vector<Plan>& plans_;
  double rate_;
  dsp::GlottalSource src_;
  dsp::Rng noise_;
  dsp::FormantFilter filt_[kVowels];
  dsp::Resonator nf_;
  double gain_[kVowels] = {};
  double ngain_ = 1;
  std::int64_t ramp_ = 1;
  std::size_t cur_ = 0;
};

/// The room response carrying one talker into another's microphone: a direct path at the
/// delay and four reflections 0.9-5.3 ms later, scaled so its energy is the crosstalk level.
std::vector<std::pair<std::int64_t, double>> room_response(double crosstalk_db, double delay_ms, double rate) {
  const double rel_ms[] = {0, 0.9, 2.1, 3.7, 5.3};
  const double gain[] = {1.0, 0.55, -0.4, 0.3, -0.2};
  double e = 0;
  for (double x : gain) e += x * x;
  double scale = std::pow(10.0, crosstalk_db / 20) / std::sqrt(e);
  std::vector<std::pair<std::int64_t, double>> taps;
  for (int i = 0; i < 5; ++i)
    taps.push_back({static_cast<std::int64_t>(std::llround((delay_ms + rel_ms[i]) * rate / 1000.0)), gain[i] * scale});
  return taps;
}

// ---------------------------------------------------------------------------------------------
// Sensor clocks

struct Clock {
  double drift_ppm = 0;
  double device_at_zero_s = 0;  // device time at session time 0
  double offset_s = 0;          // true: t_session = offset + (1 + drift) * t_device
  double connect_s = 0;         // session time of the first sample
  formats::ClockFit fit;
  double max_fit_error_ms = 0;
  double device(double t) const { return t / (1 + drift_ppm * 1e-6) + device_at_zero_s; }
  double session(double dev) const { return offset_s + (1 + drift_ppm * 1e-6) * dev; }
};

/// A recorder's fit from jittered time probes (one a second): the lower envelope of
/// receive-minus-send delay in 30 s windows, then least squares (DESIGN.md "Clocks").
Clock make_clock(const SimulationConfig& c, dsp::Rng rng) {
  Clock k;
  k.drift_ppm = rng.uniform(-c.drift_ppm, c.drift_ppm);
  k.device_at_zero_s = std::floor(rng.uniform(50, 5000) * 1000) / 1000;
  k.offset_s = -(1 + k.drift_ppm * 1e-6) * k.device_at_zero_s;
  k.connect_s = rng.uniform(0.05, 0.6);
  std::vector<double> xs, ys;
  double d0 = k.device(k.connect_s), d_end = k.device(c.duration_s);
  double best_x = 0, best_delay = std::numeric_limits<double>::infinity();
  int in_window = 0;
  for (double d = d0; d <= d_end + 1e-9; d += 1.0) {
    double delay = 0.0002 + rng.exponential(c.jitter_ms / 1000.0) + (rng.uniform() < 0.02 ? rng.uniform(0.02, 0.2) : 0);
    if (delay < best_delay) {
      best_delay = delay;
      best_x = d;
    }
    if (++in_window == 30) {
      xs.push_back(best_x);
      ys.push_back(k.session(best_x) + best_delay);
      in_window = 0;
      best_delay = std::numeric_limits<double>::infinity();
    }
  }
  if (in_window > 0) {
    xs.push_back(best_x);
    ys.push_back(k.session(best_x) + best_delay);
  }
  double mx = 0, my = 0;
  for (std::size_t i = 0; i < xs.size(); ++i) {
    mx += xs[i];
    my += ys[i];
  }
  mx /= static_cast<double>(xs.size());
  my /= static_cast<double>(xs.size());
  double sxx = 0, sxy = 0;
  for (std::size_t i = 0; i < xs.size(); ++i) {
    sxx += (xs[i] - mx) * (xs[i] - mx);
    sxy += (xs[i] - mx) * (ys[i] - my);
  }
  double slope = sxx > 0 ? sxy / sxx : 1.0;
  if (xs.size() < 2) slope = 1 + k.drift_ppm * 1e-6;  // too short to fit a slope: assume nominal
  k.fit.drift_ppm = (slope - 1) * 1e6;
  k.fit.offset_s = my - slope * mx;
  double ss = 0;
  for (std::size_t i = 0; i < xs.size(); ++i) {
    double r = ys[i] - k.fit.map(xs[i]);
    ss += r * r;
  }
  k.fit.residual_ms = std::sqrt(ss / static_cast<double>(xs.size())) * 1000;
  k.fit.method = "simulated: lower envelope of 1 Hz probe delays in 30 s windows, least squares";
  for (double t : {k.connect_s, c.duration_s})
    k.max_fit_error_ms = std::max(k.max_fit_error_ms, std::abs(k.fit.map(k.device(t)) - t) * 1000);
  return k;
}

// ---------------------------------------------------------------------------------------------
// Physiology

struct Scr {
  double onset_s, amplitude_us;
};

struct Physio {
  // per partner (A, B)
  std::vector<double> beats[2];
  std::vector<Scr> scrs[2];
  std::vector<double> arousal[2];  // effective arousal on the 10 Hz grid
  std::vector<double> hr_dev[2];   // heart rate minus baseline, without RSA, on the grid (bpm)
  std::vector<double> eda_level[2];  // slow tonic arousal on the grid (two 30 s low-passes of arousal)
  std::vector<double> resp_phase[2];
  double hr0[2] = {}, tonic0[2] = {}, resp_bpm[2] = {};
};

constexpr double kGrid = 0.1;
constexpr double kTauRise = 0.7, kTauDecay = 3.0;

double grid_at(const std::vector<double>& g, double t) {
  double x = t / kGrid;
  if (x <= 0) return g.front();
  std::size_t i = static_cast<std::size_t>(x);
  if (i + 1 >= g.size()) return g.back();
  double f = x - static_cast<double>(i);
  return g[i] * (1 - f) + g[i + 1] * f;
}

Physio make_physio(const SimulationConfig& c, const std::vector<Spurt>& spurts, const TurnTaking& tt,
                   const std::vector<formats::Marker>& phases, dsp::Rng rng) {
  Physio p;
  const std::size_t n = static_cast<std::size_t>(std::ceil((c.duration_s + 5) / kGrid)) + 1;
  std::vector<double> own[2];
  const char* names[2] = {"A", "B"};
  double dose_s = 0, dose_e = 0;
  for (auto& m : phases)
    if (m.label == "dosing") {
      dose_s = m.onset_s;
      dose_e = m.onset_s + m.duration_s;
    }
  for (int r = 0; r < 2; ++r) {
    std::vector<double> speaking(n, 0.0), kick(n, 0.0);
    for (auto& sp : spurts)
      if (sp.role == r)
        for (std::size_t i = static_cast<std::size_t>(static_cast<double>(sp.s_ms) / 1000 / kGrid);
             i < n && static_cast<double>(i) * kGrid < static_cast<double>(sp.e_ms) / 1000; ++i)
          speaking[i] = 1;
    for (auto& e : tt.events)
      if (e.type == "interruption" && e.from_role == names[r]) {
        std::size_t i = static_cast<std::size_t>(e.start_s / kGrid);
        if (i < n) kick[i] += 0.5;
      }
    own[r].assign(n, 0.0);
    double a = 0;
    for (std::size_t i = 0; i < n; ++i) {
      double t = static_cast<double>(i) * kGrid;
      double dose = (t > dose_s && t < dose_e) ? std::min(1.0, (t - dose_s) / 60.0) * 0.4 : 0;
      a += (speaking[i] * 0.6 + dose - a) * kGrid / 10.0 + kick[i];
      own[r][i] = a;
    }
  }
  p.arousal[0] = own[0];
  p.arousal[1].assign(n, 0.0);
  for (std::size_t i = 0; i < n; ++i)  // B follows A by the coupling lag
    p.arousal[1][i] = (1 - c.coupling) * own[1][i] + c.coupling * grid_at(own[0], std::max(0.0, static_cast<double>(i) * kGrid - c.coupling_lag_s));
  // Heart rate minus baseline, without the respiratory part: 10 bpm per unit of arousal, a
  // low-frequency wave (0.04-0.15 Hz band-passed noise, SD 2 bpm) and a 90 s wave, each partner's
  // own; B's is (1 - coupling) * its own + coupling * A's at t - lag, so the coupling is in the
  // heart-rate series itself. RSA (each partner's own breathing) and RR noise stay independent.
  std::vector<double> own_dev[2];
  for (int r = 0; r < 2; ++r) {
    dsp::Rng g = rng.fork(static_cast<std::uint64_t>(r) + 30);
    const std::size_t warm = static_cast<std::size_t>(120 / kGrid);
    std::vector<double> lf(n + warm);
    for (auto& v : lf) v = g.normal();
    const dsp::Biquad hp = dsp::butter_highpass(0.04, 1 / kGrid), lp = dsp::butter_lowpass(0.15, 1 / kGrid);
    dsp::biquad_forward(hp, lf);
    dsp::biquad_forward(lp, lf);
    lf.erase(lf.begin(), lf.begin() + static_cast<std::ptrdiff_t>(warm));
    double ss = 0;
    for (double v : lf) ss += v * v;
    const double scale = 2.0 / std::sqrt(ss / static_cast<double>(n) + 1e-300);
    const double slow = g.uniform(0, 2 * M_PI);
    own_dev[r].assign(n, 0.0);
    for (std::size_t i = 0; i < n; ++i) {
      const double t = static_cast<double>(i) * kGrid;
      own_dev[r][i] = 10 * own[r][i] + scale * lf[i] + 1.5 * std::sin(2 * M_PI * t / 90 + slow);
    }
  }
  p.hr_dev[0] = own_dev[0];
  p.hr_dev[1].assign(n, 0.0);
  for (std::size_t i = 0; i < n; ++i)
    p.hr_dev[1][i] = (1 - c.coupling) * own_dev[1][i] + c.coupling * grid_at(own_dev[0], std::max(0.0, static_cast<double>(i) * kGrid - c.coupling_lag_s));
  // The skin-conductance level follows arousal only slowly (two 30 s low-passes): a faster tonic
  // change would itself be a rise of 0.01 uS or more within 10 s, i.e. an SCR the truth omits.
  for (int r = 0; r < 2; ++r) {
    p.eda_level[r].assign(n, 0.0);
    double l1 = p.arousal[r][0], l2 = l1;
    for (std::size_t i = 0; i < n; ++i) {
      l1 += (p.arousal[r][i] - l1) * kGrid / 30.0;
      l2 += (l1 - l2) * kGrid / 30.0;
      p.eda_level[r][i] = l2;
    }
  }
  for (int r = 0; r < 2; ++r) {
    dsp::Rng g = rng.fork(static_cast<std::uint64_t>(r) + 10);
    p.hr0[r] = (r == 0 ? 66 : 72) + g.uniform(-4, 4);
    p.tonic0[r] = (r == 0 ? 2.5 : 4.0) + g.uniform(-0.5, 0.5);
    // respiration phase (cycles): each partner's own mean rate (12.5-15.5 breaths/min) varying
    // by +-2 with its own period. Equal mean rates would keep the partners' breathing, and so
    // their RSA, in a fixed phase relation for the whole session: a heart-rate synchrony at a
    // lag the truth does not have.
    p.resp_phase[r].assign(n, 0.0);
    double ph = g.uniform(0, 1), wob = g.uniform(0, 2 * M_PI);
    const double base_bpm = g.uniform(12.5, 15.5), wob_period = g.uniform(90, 150);
    p.resp_bpm[r] = base_bpm;
    for (std::size_t i = 0; i < n; ++i) {
      double t = static_cast<double>(i) * kGrid;
      p.resp_phase[r][i] = ph;
      double bpm = base_bpm + 2 * std::sin(2 * M_PI * t / wob_period + wob);
      ph += bpm / 60 * kGrid;
    }
    // beats: RR from the heart rate at the last beat, with RSA and beat-to-beat variability
    (void)g.uniform(0, 2 * M_PI);  // was the 90 s wave's phase (now in hr_dev); keeps the draws in step
    double t = g.uniform(0.2, 0.8);
    while (t < c.duration_s + 2) {
      p.beats[r].push_back(t);
      double hr = p.hr0[r] + grid_at(p.hr_dev[r], t) + 2.5 * std::sin(2 * M_PI * grid_at(p.resp_phase[r], t));
      t += std::clamp(60.0 / hr + 0.012 * g.normal(), 0.35, 1.6);
    }
  }
  // skin conductance responses: spontaneous (about 1.5 a minute), after being interrupted, at
  // some own turn starts, and for B copies of A's at the coupling lag; at least 5 s apart
  for (int r = 0; r < 2; ++r) {
    dsp::Rng g = rng.fork(static_cast<std::uint64_t>(r) + 20);
    std::vector<Scr> cand;
    for (double t = g.exponential(40); t < c.duration_s; t += g.exponential(40)) cand.push_back({t, g.uniform(0.05, 0.3)});
    for (auto& e : tt.events)
      if (e.type == "interruption" && e.from_role == names[r] && g.uniform() < 0.7)
        cand.push_back({e.start_s + g.uniform(1.0, 3.0), g.uniform(0.2, 0.6)});
    for (auto& tu : tt.turns)
      if (tu.role == names[r] && g.uniform() < 0.15) cand.push_back({tu.start_s + g.uniform(0.5, 2.5), g.uniform(0.1, 0.4)});
    if (r == 1)
      for (auto& s : p.scrs[0])
        if (g.uniform() < c.coupling) cand.push_back({s.onset_s + c.coupling_lag_s, s.amplitude_us * g.uniform(0.7, 1.1)});
    std::sort(cand.begin(), cand.end(), [](auto& a, auto& b) { return a.onset_s < b.onset_s; });
    for (auto& s : cand) {
      s.onset_s = std::round(s.onset_s * 1000) / 1000;
      s.amplitude_us = std::round(s.amplitude_us * 1000) / 1000;
      if (s.onset_s < 2 || s.onset_s > c.duration_s - 8) continue;
      if (!p.scrs[r].empty() && s.onset_s - p.scrs[r].back().onset_s < 5) continue;
      p.scrs[r].push_back(s);
    }
  }
  return p;
}

// Rounds to a multiple of q (q = 10^-k), so the result prints as its short decimal.
double round_to(double v, double q) {
  const double inv = std::round(1.0 / q);
  return std::round(v * inv) / inv;
}

// ---------------------------------------------------------------------------------------------
// Files

std::string iso_from_epoch(std::int64_t secs) {
  std::time_t tt = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S.000Z", &tm);
  return buf;
}

void write_text(const std::filesystem::path& p, const std::string& text) { formats::write_file_new(p, text, false); }

}  // namespace

void validate(const SimulationConfig& c) {
  auto range = [](const char* opt, double v, double lo, double hi, const char* unit) {
    if (!(v >= lo && v <= hi))
      throw std::invalid_argument(std::string("simulate: ") + opt + " must be between " + format_number(lo) + " and " +
                                  format_number(hi) + unit + ", found " + format_number(v));
  };
  range("--duration", c.duration_s, 10, 86400, " seconds");
  range("--rate", c.rate_hz, 8000, 192000, " Hz");
  if (c.rate_hz != std::floor(c.rate_hz))
    throw std::invalid_argument("simulate: --rate must be a whole number of Hz, found " + format_number(c.rate_hz));
  range("--crosstalk-db", c.crosstalk_db, -120, 0, " dB");
  range("--delay-ms", c.delay_ms, 0, 50, " ms");
  range("--snr-db", c.snr_db, 0, 120, " dB");
  range("--drift-ppm", c.drift_ppm, 0, 1000, " ppm");
  range("--jitter-ms", c.jitter_ms, 0, 100, " ms");
  range("--coupling", c.coupling, 0, 1, "");
  range("--coupling-lag-s", c.coupling_lag_s, 0, 30, " seconds");
  range("--physio-noise", c.physio_noise, 0, 100, " (a multiple of the default sensor noise)");
  range("backchannel_max_s", c.backchannel_max_s, 0.05, 10, " seconds");
  if (!formats::is_valid_session_type(c.session_type))
    throw std::invalid_argument("simulate: --session-type must be preparation, dosing, integration or other, found '" +
                                c.session_type + "'");
  if (c.couple_id.empty() || c.couple_id.find_first_of("\t\r\n") != std::string::npos)
    throw std::invalid_argument("simulate: --couple must be a non-empty id without tabs or line breaks");
  if (c.session_number < 0)
    throw std::invalid_argument("simulate: --session-number must be 0 or more, found " + std::to_string(c.session_number));
}

SimulationSummary simulate_session(const std::filesystem::path& out, const SimulationConfig& c,
                                   const std::function<void(double)>& progress) {
  validate(c);
  std::error_code ec;
  const bool existed = std::filesystem::exists(out, ec);
  formats::create_session_dir(out);
  try {
    SimulationSummary sum;
    const dsp::Rng master(c.seed);
    const double rate = c.rate_hz;
    std::vector<Voice> voices = {{"A", 90, 150, 108, 135, 1.0, 0.010, 0.040},
                                 {"B", 170, 260, 200, 235, 1.17, 0.008, 0.035}};
    if (c.therapist) voices.push_back({"therapist", 130, 200, 150, 175, 1.08, 0.007, 0.030});
    const int R = static_cast<int>(voices.size());
    std::vector<std::string> role_names;
    for (auto& v : voices) role_names.push_back(v.role);

    // --- conversation and its truth
    Schedule sched = make_schedule(c, R, master.fork(kSchedule));
    std::vector<dsp::Segment> segs;
    for (auto& s : sched.spurts)
      segs.push_back({role_names[static_cast<std::size_t>(s.role)], static_cast<double>(s.s_ms) / 1000, static_cast<double>(s.e_ms) / 1000});
    std::sort(segs.begin(), segs.end(), [](auto& a, auto& b) { return a.start_s != b.start_s ? a.start_s < b.start_s : a.role < b.role; });
    TurnTaking tt = classify_turn_taking(segs, c.backchannel_max_s);
    Plans plans = make_plans(sched.spurts, voices, rate, master.fork(kSpurts));
    sum.talkspurts = segs.size();
    sum.turns = tt.turns.size();
    sum.events = tt.events.size();

    // --- audio
    const std::int64_t frames = static_cast<std::int64_t>(std::llround(c.duration_s * rate));
    {
      std::vector<std::unique_ptr<VoiceSynth>> synth;
      for (int r = 0; r < R; ++r)
        synth.push_back(std::make_unique<VoiceSynth>(voices[static_cast<std::size_t>(r)], plans.subs[static_cast<std::size_t>(r)],
                                                     plans.plans, rate, master.fork(kVoice + 100 * static_cast<std::uint64_t>(r)).next()));
      auto taps = room_response(c.crosstalk_db, c.delay_ms, rate);
      std::int64_t hist = 0;
      for (auto& t : taps) hist = std::max(hist, t.first);
      const std::size_t H = static_cast<std::size_t>(hist), B = 32768;
      std::vector<std::vector<float>> dry(static_cast<std::size_t>(R), std::vector<float>(H + B, 0.0f));
      std::vector<dsp::Rng> noise;
      for (int r = 0; r < R; ++r) noise.push_back(master.fork(kNoise + 100 * static_cast<std::uint64_t>(r)));
      const float noise_sd = static_cast<float>(kTargetRms * std::pow(10.0, -c.snr_db / 20));
      std::vector<float> inter(B * static_cast<std::size_t>(R)), mic(B);
      formats::AudioWriter w(out / "audio.wav", rate, R, formats::AudioSync::on_close);
      for (std::int64_t n0 = 0; n0 < frames; n0 += static_cast<std::int64_t>(B)) {
        const std::size_t len = static_cast<std::size_t>(std::min<std::int64_t>(static_cast<std::int64_t>(B), frames - n0));
        if (R > 1 && std::thread::hardware_concurrency() > 1) {  // voices are independent: render them side by side
          std::vector<std::thread> th;
          for (int r = 1; r < R; ++r) th.emplace_back([&, r] { synth[static_cast<std::size_t>(r)]->render(n0, dry[static_cast<std::size_t>(r)].data() + H, len); });
          synth[0]->render(n0, dry[0].data() + H, len);
          for (auto& t : th) t.join();
        } else {
          for (int r = 0; r < R; ++r) synth[static_cast<std::size_t>(r)]->render(n0, dry[static_cast<std::size_t>(r)].data() + H, len);
        }
        for (int r = 0; r < R; ++r) {  // own voice + noise + every other voice through the room
          const float* self = dry[static_cast<std::size_t>(r)].data() + H;
          dsp::Rng& nz = noise[static_cast<std::size_t>(r)];
          for (std::size_t i = 0; i < len; ++i) mic[i] = self[i] + noise_sd * nz.fast_normal();
          for (int o = 0; o < R; ++o) {
            if (o == r) continue;
            const float* other = dry[static_cast<std::size_t>(o)].data() + H;
            for (auto& [d, gtap] : taps) {
              const float g = static_cast<float>(gtap);
              const float* src = other - d;
              for (std::size_t i = 0; i < len; ++i) mic[i] += g * src[i];
            }
          }
          for (std::size_t i = 0; i < len; ++i) inter[i * static_cast<std::size_t>(R) + static_cast<std::size_t>(r)] = mic[i];
        }
        w.write(std::span<const float>(inter.data(), len * static_cast<std::size_t>(R)));
        for (auto& d : dry)
          if (H > 0) std::copy(d.begin() + static_cast<std::ptrdiff_t>(len), d.begin() + static_cast<std::ptrdiff_t>(len + H), d.begin());
        if (progress) progress(0.85 * static_cast<double>(n0 + static_cast<std::int64_t>(len)) / static_cast<double>(frames));
      }
      w.close();
      sum.audio_frames = w.frames_written();
    }

    // --- markers: phases and clinical entries
    const double D = c.duration_s;
    std::vector<formats::Marker> markers;
    markers.push_back({0, std::min(120.0, round_to(0.1 * D, 0.001)), "baseline", "n/a", "simulator"});
    markers.push_back({round_to(0.15 * D, 0.001), round_to(0.5 * D, 0.001), "dosing", "n/a", "simulator"});
    markers.push_back({round_to(0.7 * D, 0.001), round_to(0.3 * D, 0.001), "integration_talk", "n/a", "simulator"});
    Physio phys = make_physio(c, sched.spurts, tt, markers, master.fork(kPhysio));

    // --- streams
    formats::Manifest m;
    {
      dsp::Rng ids = master.fork(kIds);
      char hex[32];
      std::snprintf(hex, sizeof hex, "%012llx", static_cast<unsigned long long>(ids.next() & 0xffffffffffffULL));
      m.id = std::string("sim-") + std::to_string(c.seed) + "-" + hex;
      m.created = iso_from_epoch(1767258000 + static_cast<std::int64_t>(c.seed % 31536000ULL));  // 2026-01-01T09:00Z + seed s
      m.start_utc = m.created;
      m.couple_id = c.couple_id;
      m.session_number = c.session_number;
      m.session_type = c.session_type;
      m.dyad_version = dyad::kVersion;
      formats::AudioSection a;
      a.sample_rate_hz = rate;
      for (int r = 0; r < R; ++r) {
        m.participants.push_back({role_names[static_cast<std::size_t>(r)], "sim-" + role_names[static_cast<std::size_t>(r)]});
        a.channels.push_back({r + 1, role_names[static_cast<std::size_t>(r)]});
      }
      m.audio = a;
      m.extra["simulated"] = {{"seed", c.seed}, {"truth", "truth/"}};
    }
    json clock_truth = {{"convention", "t_session = offset_s + (1 + drift_ppm * 1e-6) * t_device"},
                        {"audio", {{"offset_s", 0}, {"drift_ppm", 0}, {"note", "the audio sample clock is the session clock"}}},
                        {"streams", json::object()}};
    std::uint64_t clock_id = 0;
    auto write_physio_stream = [&](const std::string& name, const std::string& kind, int role, double rate_hz,
                                   const std::vector<std::string>& cols, const std::vector<std::string>& units,
                                   const std::vector<double>& irregular_times, const auto& value_at) {
      Clock k = make_clock(c, master.fork(kClock + 100 * ++clock_id));
      formats::StreamSidecar sc;
      sc.name = name;
      sc.kind = kind;
      sc.role = role_names[static_cast<std::size_t>(role)];
      sc.nominal_rate_hz = rate_hz;
      sc.columns = cols;
      sc.units = units;
      sc.clock = k.fit;
      sc.extra["source"] = "dyad simulate";
      std::vector<double> row(cols.size());
      formats::StreamWriter sw(out, sc, false);
      double first = kNaN, last = kNaN, first_true = kNaN, last_true = kNaN;
      std::size_t count = 0;
      auto emit = [&](double dev) {
        double t_true = k.session(dev);
        value_at(t_true, row.data());
        double ts = k.fit.map(dev);
        sw.append(ts, dev, row.data(), row.size());
        if (count++ == 0) {
          first = ts;
          first_true = t_true;
        }
        last = ts;
        last_true = t_true;
      };
      if (rate_hz > 0) {
        const double d0 = k.device(k.connect_s);
        for (std::int64_t i = 0;; ++i) {
          double dev = d0 + static_cast<double>(i) / rate_hz;
          if (k.session(dev) >= D) break;
          emit(dev);
        }
      } else {
        for (double t : irregular_times) emit(k.device(t));
      }
      sw.close();
      sc.measured_rate_hz = rate_hz > 0 && count > 1 ? static_cast<double>(count - 1) / (last - first) : 0;
      formats::write_sidecar(out, sc);
      m.streams.push_back({name, kind, sc.role});
      clock_truth["streams"][name] = {{"offset_s", k.offset_s},
                                      {"drift_ppm", k.drift_ppm},
                                      {"device_time_at_session_zero_s", k.device_at_zero_s},
                                      {"first_sample_s", first_true},
                                      {"last_sample_s", last_true},
                                      {"delivery", {{"base_ms", 0.2}, {"jitter_mean_ms", c.jitter_ms}, {"spike_probability", 0.02}, {"spike_ms", {20, 200}}}},
                                      {"fit", {{"offset_s", k.fit.offset_s}, {"drift_ppm", k.fit.drift_ppm}, {"residual_ms", k.fit.residual_ms}}},
                                      {"max_fit_error_ms", k.max_fit_error_ms}};
      return std::make_pair(first_true, last_true);
    };

    std::vector<formats::Marker> clinical;
    dsp::Rng clin = master.fork(kClinical);
    std::string beats_files[2], scr_files[2];
    for (int r = 0; r < 2; ++r) {
      const std::string rn = role_names[static_cast<std::size_t>(r)];
      dsp::Rng g = master.fork(kPhysio + 1000 + static_cast<std::uint64_t>(r));
      const auto& beats = phys.beats[r];
      const auto& scrs = phys.scrs[r];
      const double hr0 = phys.hr0[r], tonic0 = phys.tonic0[r];
      const auto& aro = phys.arousal[r];
      const auto& lvl = phys.eda_level[r];
      const auto& resp = phys.resp_phase[r];
      // ECG, 500 Hz, mV
      std::size_t bi = 0;
      dsp::Rng en = g.fork(1);
      auto [e0, e1] = write_physio_stream("ecg_" + rn, "ecg", r, 500, {"ecg"}, {"mV"}, {}, [&](double t, double* v) {
        while (bi < beats.size() && beats[bi] < t - 0.8) ++bi;
        double x = 0.04 * std::sin(2 * M_PI * grid_at(resp, t));
        for (std::size_t j = bi; j < beats.size() && beats[j] < t + 0.6; ++j) {
          double rr = j > 0 ? beats[j] - beats[j - 1] : 60.0 / hr0;
          x += dsp::ecg_beat(t - beats[j], rr);
        }
        v[0] = round_to(x + 0.008 * c.physio_noise * en.normal(), 0.001);
      });
      {
        std::string txt = formats::tsv_line({"time_s", "rr_s", "hr_bpm", "corrected"});
        double prev = kNaN;
        for (double b : beats) {
          if (b < e0 || b > e1) continue;
          double rr = std::isnan(prev) ? kNaN : b - prev;
          txt += formats::tsv_line({format_number(b), format_number(rr), format_number(60.0 / rr), "0"});
          prev = b;
          ++sum.beats;
        }
        beats_files[r] = txt;
      }
      // EDA, 32 Hz, microsiemens
      std::size_t si = 0;
      dsp::Rng dn = g.fork(2);
      auto [d0, d1] = write_physio_stream("eda_" + rn, "eda", r, 32, {"eda"}, {"uS"}, {}, [&](double t, double* v) {
        while (si < scrs.size() && scrs[si].onset_s < t - 40) ++si;
        double x = tonic0 + 0.5 * grid_at(lvl, t) + 0.1 * std::sin(2 * M_PI * t / 600);
        for (std::size_t j = si; j < scrs.size() && scrs[j].onset_s < t; ++j) x += scrs[j].amplitude_us * dsp::scr_shape(t - scrs[j].onset_s, kTauRise, kTauDecay);
        v[0] = round_to(x + 0.002 * c.physio_noise * dn.normal(), 0.0001);
      });
      {
        const double tp = dsp::scr_peak_time(kTauRise, kTauDecay);
        std::string txt = formats::tsv_line({"onset_s", "peak_s", "amplitude_uS", "rise_time_s"});
        for (auto& s : scrs) {
          if (s.onset_s < d0 || s.onset_s + tp > d1) continue;
          txt += formats::tsv_line({format_number(s.onset_s), format_number(s.onset_s + tp), format_number(s.amplitude_us), format_number(tp)});
          ++sum.scrs;
        }
        scr_files[r] = txt;
      }
      // respiration, 25 Hz, arbitrary units
      dsp::Rng rn2 = g.fork(3);
      write_physio_stream("resp_" + rn, "resp", r, 25, {"resp"}, {"a.u."}, {}, [&](double t, double* v) {
        v[0] = round_to(dsp::breath_wave(grid_at(resp, t)) + 0.01 * c.physio_noise * rn2.normal(), 0.0001);
      });
      // cuff blood pressure at irregular times; the clinician types each reading as a marker
      std::vector<double> times;
      const double step_max = std::min(1200.0, D / 3.5);
      for (double t = clin.uniform(0.3, 1.0) * std::min(120.0, D / 4); t < D - 1; t += clin.uniform(0.6, 1.0) * step_max)
        times.push_back(round_to(t, 0.001));
      std::vector<std::array<double, 3>> bp;
      for (double t : times) {
        double a = grid_at(aro, t);
        double sys = std::round((r == 0 ? 118 : 124) + 12 * a + 3 * clin.normal());
        double dia = std::round((r == 0 ? 76 : 80) + 7 * a + 2 * clin.normal());
        bp.push_back({sys, dia, round_to(dia + (sys - dia) / 3, 0.1)});
        clinical.push_back({t, 0, "bp", format_number(sys) + "/" + format_number(dia), "simulator:" + rn});
      }
      std::size_t bpi = 0;
      write_physio_stream("bp_" + rn, "bp", r, 0, {"systolic", "diastolic", "mean"}, {"mmHg", "mmHg", "mmHg"}, times,
                          [&](double, double* v) {
                            v[0] = bp[bpi][0];
                            v[1] = bp[bpi][1];
                            v[2] = bp[bpi][2];
                            ++bpi;
                          });
      // dissociation ratings (CADSS) during dosing: at least one per partner
      const double ds = markers[1].onset_s, de = markers[1].onset_s + markers[1].duration_s;
      for (double t = ds + std::min(600.0, 0.3 * (de - ds)); t < de; t += std::min(1800.0, 0.5 * (de - ds)))
        clinical.push_back({round_to(t + clin.uniform(0, std::min(30.0, 0.1 * (de - ds))), 0.001), 0, "cadss",
                            format_number(std::round(6 + 20 * std::min(1.0, grid_at(aro, t)) + clin.uniform(0, 6))), "simulator:" + rn});
      if (progress) progress(0.85 + 0.06 * (r + 1));
    }
    markers.insert(markers.end(), clinical.begin(), clinical.end());
    std::stable_sort(markers.begin(), markers.end(), [](auto& a, auto& b) { return a.onset_s < b.onset_s; });
    formats::write_markers(out, markers);
    formats::write_manifest(out, m);

    // --- truth
    const auto tdir = out / "truth";
    formats::make_private_dir(tdir);
    {
      std::string txt = formats::tsv_line({"role", "start_s", "end_s"});
      for (auto& s : segs) txt += formats::tsv_line({s.role, format_number(s.start_s), format_number(s.end_s)});
      write_text(tdir / "segments.tsv", txt);
      txt = formats::tsv_line({"type", "start_s", "end_s", "from_role", "to_role", "successful", "duration_s"});  // as features/
      for (auto& e : tt.events)
        txt += formats::tsv_line({e.type, format_number(e.start_s), format_number(e.end_s), e.from_role, e.to_role,
                                  e.successful < 0 ? "n/a" : std::to_string(e.successful), format_number(e.end_s - e.start_s)});
      write_text(tdir / "events.tsv", txt);
      txt = formats::tsv_line({"turn", "role", "start_s", "end_s", "fto_s"});
      for (auto& t : tt.turns)
        txt += formats::tsv_line({std::to_string(t.turn), t.role, format_number(t.start_s), format_number(t.end_s), format_number(round_to(t.fto_s, 0.001))});
      write_text(tdir / "turns.tsv", txt);
    }
    for (int r = 0; r < R; ++r) {  // the true F0 every 10 ms
      std::string txt = formats::tsv_line({"time_s", "f0_hz", "voiced", "intensity_db"});
      const auto& subs = plans.subs[static_cast<std::size_t>(r)];
      std::size_t j = 0;
      const std::int64_t nframes = static_cast<std::int64_t>(std::floor(D / 0.01 + 1e-9));
      for (std::int64_t k = 0; k <= nframes; ++k) {
        double t = static_cast<double>(k) / 100.0;
        double n = t * rate;
        while (j < subs.size() && static_cast<double>(subs[j].n1) <= n) ++j;
        const Sub* s = (j < subs.size() && static_cast<double>(subs[j].n0) <= n) ? &subs[j] : nullptr;
        if (!s) {
          txt += formats::tsv_line({format_number(t), "n/a", "0", "n/a"});
          continue;
        }
        const Plan& p = plans.plans[s->plan];
        // as features/ (Praat's To Intensity): the signal taken as pascal, dB re (2e-5 Pa)^2,
        // i.e. the dry voice's nominal RMS in dBFS + 10 log10(1 / 4e-10) = + 93.98 dB
        const double praat_offset_db = 10 * std::log10(1 / 4e-10);
        double idb = p.level_db + (s->voiced ? 0 : kUnvoicedDb) + praat_offset_db;
        txt += formats::tsv_line({format_number(t), s->voiced ? format_number(round_to(p.f0(t), 0.001)) : "n/a",
                                  s->voiced ? "1" : "0", format_number(round_to(idb, 0.01))});
      }
      write_text(tdir / ("pitch_" + role_names[static_cast<std::size_t>(r)] + ".tsv"), txt);
      // Syllable nuclei: each voiced stretch is one vowel, i.e. one syllable nucleus (its middle).
      txt = formats::tsv_line({"time_s", "start_s", "end_s"});
      for (auto& sub : subs)
        if (sub.voiced)
          txt += formats::tsv_line({format_number(round_to(0.5 * static_cast<double>(sub.n0 + sub.n1) / rate, 1e-6)),
                                    format_number(round_to(static_cast<double>(sub.n0) / rate, 1e-6)),
                                    format_number(round_to(static_cast<double>(sub.n1) / rate, 1e-6))});
      write_text(tdir / ("syllables_" + role_names[static_cast<std::size_t>(r)] + ".tsv"), txt);
    }
    for (int r = 0; r < 2; ++r) {
      write_text(tdir / ("beats_ecg_" + role_names[static_cast<std::size_t>(r)] + ".tsv"), beats_files[r]);
      write_text(tdir / ("scr_eda_" + role_names[static_cast<std::size_t>(r)] + ".tsv"), scr_files[r]);
    }
    write_text(tdir / "clock.json", clock_truth.dump(2) + "\n");
    {  // a codebook beside every truth table, as in features/ (DESIGN.md)
      using formats::ColumnDoc;
      auto book = [&](const std::string& file, const std::string& what, const std::vector<ColumnDoc>& cols) {
        write_text(tdir / (file.substr(0, file.size() - 4) + ".json"), formats::codebook_json(file, what, cols).dump(2) + "\n");
      };
      book("segments.tsv", "True talkspurts per partner (simulated)", formats::segments_columns());
      book("events.tsv", "True turn-taking events, from the true talkspurts (Heldner & Edlund 2010)", formats::events_columns());
      book("turns.tsv", "True turns: the floor changes at gaps and between-speaker overlaps",
           {{"turn", "turn number, from 1", "count", ""},
            {"role", "the floor holder", "", ""},
            {"start_s", "start of the talkspurt by which the holder took the floor", "s", "true session seconds"},
            {"end_s", "end of the holder's last talkspurt before the floor passed on", "s", "true session seconds"},
            {"fto_s", "floor transfer offset", "s", "start_s minus the previous turn's end_s; n/a for turn 1"}});
      const std::vector<ColumnDoc> pitch = {
          {"time_s", "frame time, every 10 ms", "s", "true session seconds"},
          {"f0_hz", "the true F0 contour of the glottal source", "Hz", "n/a when not voiced"},
          {"voiced", "1 inside a voiced stretch of a talkspurt", "", ""},
          {"intensity_db", "the dry voice's nominal RMS level on Praat's scale", "dB", "dBFS + 93.98; n/a in silence"}};
      const std::vector<ColumnDoc> beats = {
          {"time_s", "R peak", "s", "true session seconds"},
          {"rr_s", "interval from the previous beat", "s", "n/a for the first"},
          {"hr_bpm", "instantaneous heart rate", "1/min", "60 / rr_s"},
          {"corrected", "always 0: true beats are not corrected", "", ""}};
      const std::vector<ColumnDoc> scr = {
          {"onset_s", "SCR onset", "s", "true session seconds"},
          {"peak_s", "peak of the response alone", "s", ""},
          {"amplitude_uS", "peak amplitude of the response alone", "uS", "neighbours and the tonic level add to it in the signal"},
          {"rise_time_s", "onset to peak", "s", ""}};
      for (int r = 0; r < R; ++r) book("pitch_" + role_names[static_cast<std::size_t>(r)] + ".tsv", "True F0 and intensity", pitch);
      for (int r = 0; r < 2; ++r) {
        book("beats_ecg_" + role_names[static_cast<std::size_t>(r)] + ".tsv", "True heart beats in the recorded ECG", beats);
        book("scr_eda_" + role_names[static_cast<std::size_t>(r)] + ".tsv", "True skin-conductance responses as generated", scr);
      }
    }
    json roles = json::array();
    for (auto& v : voices)
      roles.push_back({{"role", v.role},
                       {"f0_range_hz", {v.f0_lo, v.f0_hi}},
                       {"talkspurt_base_f0_hz", {v.base_lo, v.base_hi}},
                       {"f0_contour", "base * (1 + mod * sin(2 pi (t - start) / period + phase)) * (1 - decl * (t - start) / duration); mod 0.02-0.07, period 0.6-1.6 s, decl 0-0.06"},
                       {"jitter_local", v.jitter},
                       {"shimmer_local", v.shimmer},
                       {"formant_scale", v.formant_scale}});
    json vowels = json::array();
    for (auto& f : kVowelTable) vowels.push_back({{"freq_hz", f.freq_hz}, {"bandwidth_hz", f.bandwidth_hz}});
    json taps = json::array();
    for (auto& [d, g] : room_response(c.crosstalk_db, c.delay_ms, rate)) taps.push_back({{"delay_samples", d}, {"gain", g}});
    json params = {
        {"generator", std::string("dyad simulate ") + dyad::kVersion},
        {"seed", c.seed},
        {"duration_s", c.duration_s},
        {"rate_hz", rate},
        {"crosstalk_db", c.crosstalk_db},
        {"delay_ms", c.delay_ms},
        {"snr_db", c.snr_db},
        {"drift_ppm", c.drift_ppm},
        {"jitter_ms", c.jitter_ms},
        {"therapist", c.therapist},
        {"coupling", c.coupling},
        {"coupling_lag_s", c.coupling_lag_s},
        {"physio_noise", c.physio_noise},
        {"backchannel_max_s", c.backchannel_max_s},
        {"couple_id", c.couple_id},
        {"session_number", c.session_number},
        {"session_type", c.session_type},
        {"voices", roles},
        {"vowels", vowels},
        {"speech_level", {{"talkspurt_rms_dbfs", {-29, -23}}, {"unvoiced_relative_db", kUnvoicedDb}, {"edge_ramp_s", kRampS}}},
        {"noise_rms_dbfs", 20 * std::log10(kTargetRms) - c.snr_db},
        {"room_response", {{"description", "direct path at delay_ms, reflections 0.9, 2.1, 3.7, 5.3 ms later (gains 1, 0.55, -0.4, 0.3, -0.2), energy = crosstalk_db"}, {"taps", taps}}},
        {"conversation",
         {{"talkspurt_ms", "lognormal median 1800, sigma 0.55, 400-7000"},
          {"talkspurts_per_turn", "1 + geometric(0.45), at most 5"},
          {"pause_ms", "lognormal median 450, sigma 0.5, 180-2000"},
          {"gap_ms", "lognormal median 200, sigma 0.7, 20-2500"},
          {"speaker_change", "7 % successful interruption (overlap 1.1-2.0 s), 36 % overlap 60-900 ms, 57 % gap (an overlap the next speaker cannot start becomes a gap: about 40 % of changes overlap)"},
          {"listener", "every exponential(4 s) inside a talkspurt: a backchannel 200-850 ms, or (12 %) a failed interruption 1.1-1.9 s"},
          {"therapist", "takes 12 % of the partners' speaker changes and hands the floor to A or B"}}},
        {"physiology",
         {{"hr_baseline_bpm", {phys.hr0[0], phys.hr0[1]}},
          {"hr_model", "hr0 + dev + 2.5 * sin(respiration phase), RR = 60 / hr at the last beat + 12 ms SD noise; own dev = 10 * own arousal + "
                       "LF wave (0.04-0.15 Hz band-passed noise, SD 2 bpm) + 1.5 * sin(2 pi t / 90 s + phase); dev_A = own A, "
                       "dev_B = (1 - coupling) * own B + coupling * dev_A(t - lag); RSA and RR noise are each partner's own"},
          {"arousal", "low-pass (10 s) of 0.6 * speaking + 0.4 during dosing, +0.5 when interrupted; B = (1 - coupling) * B + coupling * A(t - lag)"},
          {"ecg", "500 Hz, sum of Gaussian P Q R S T waves, R peak at the beat time, white noise 8 uV * physio_noise, resp baseline wander"},
          {"eda_model", "tonic0 + 0.5 * level + 0.1 * sin(2 pi t / 600 s) + SCRs + white noise 0.002 uS * physio_noise; level = arousal through two 30 s low-passes"},
          {"resp_noise", "white, 0.01 * physio_noise (the breath wave spans 0-1)"},
          {"eda_tonic_uS", {phys.tonic0[0], phys.tonic0[1]}},
          {"scr", {{"tau_rise_s", kTauRise}, {"tau_decay_s", kTauDecay}, {"rise_time_s", dsp::scr_peak_time(kTauRise, kTauDecay)}, {"min_spacing_s", 5}}},
          {"eda", "32 Hz"},
          {"resp", "25 Hz; per partner a mean rate drawn in 12.5-15.5 breaths/min, +-2 in a sine of period 90-150 s"},
          {"resp_mean_bpm", {phys.resp_bpm[0], phys.resp_bpm[1]}},
          {"bp", "irregular cuff readings; each also a clinical marker 'bp' (source simulator:<role>)"}}},
        {"phases", {{"baseline", "0 to min(120 s, 10 %)"}, {"dosing", "15 % to 65 %"}, {"integration_talk", "70 % to the end"}}},
    };
    write_text(tdir / "parameters.json", params.dump(2) + "\n");
    if (progress) progress(1.0);
    return sum;
  } catch (...) {
    if (!existed) std::filesystem::remove_all(out, ec);
    throw;
  }
}

}  // namespace dyad::analysis
