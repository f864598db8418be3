#include "dyad/dsp/prosody.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace dyad::dsp {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double percentile_sorted(const std::vector<double>& s, double p) {
  if (s.empty()) return kNaN;
  double pos = p * static_cast<double>(s.size() - 1);
  std::size_t i = static_cast<std::size_t>(std::floor(pos));
  if (i + 1 >= s.size()) return s.back();
  double f = pos - static_cast<double>(i);
  return s[i] + f * (s[i + 1] - s[i]);
}
}  // namespace

double hz_to_semitones(double f0_hz) noexcept { return 12.0 * std::log2(f0_hz / 27.5); }
double semitones_to_hz(double st) noexcept { return 27.5 * std::exp2(st / 12.0); }

Functionals functionals(std::span<const double> v, std::span<const unsigned char> defined, double step_s,
                        std::vector<double>& scratch) {
  Functionals f;
  scratch.clear();
  double sum = 0;
  for (std::size_t i = 0; i < v.size(); ++i)
    if (defined[i] && std::isfinite(v[i])) { scratch.push_back(v[i]); sum += v[i]; }
  f.n = scratch.size();
  if (f.n == 0) {
    f.mean = f.sd = f.cv = f.p20 = f.p50 = f.p80 = f.range_20_80 = f.rising_slope = f.falling_slope = kNaN;
    return f;
  }
  f.mean = sum / static_cast<double>(f.n);
  double ss = 0;
  for (double x : scratch) ss += (x - f.mean) * (x - f.mean);
  f.sd = std::sqrt(ss / static_cast<double>(f.n));
  f.cv = f.mean != 0 ? f.sd / f.mean : kNaN;
  std::sort(scratch.begin(), scratch.end());
  f.p20 = percentile_sorted(scratch, 0.2);
  f.p50 = percentile_sorted(scratch, 0.5);
  f.p80 = percentile_sorted(scratch, 0.8);
  f.range_20_80 = f.p80 - f.p20;
  // monotone parts inside runs of defined values
  double rise_sum = 0, fall_sum = 0;
  std::size_t rises = 0, falls = 0;
  std::size_t i = 0;
  auto ok = [&](std::size_t k) { return defined[k] && std::isfinite(v[k]); };
  while (i < v.size()) {
    if (!ok(i)) { ++i; continue; }
    std::size_t j = i;
    while (j + 1 < v.size() && ok(j + 1)) ++j;  // run [i, j]
    std::size_t a = i;
    while (a < j) {
      std::size_t b = a;
      if (v[a + 1] > v[a]) {
        while (b < j && v[b + 1] > v[b]) ++b;
        rise_sum += (v[b] - v[a]) / (static_cast<double>(b - a) * step_s);
        ++rises;
      } else if (v[a + 1] < v[a]) {
        while (b < j && v[b + 1] < v[b]) ++b;
        fall_sum += (v[a] - v[b]) / (static_cast<double>(b - a) * step_s);
        ++falls;
      } else {
        b = a + 1;
      }
      a = b;
    }
    i = j + 1;
  }
  f.rising_slope = rises ? rise_sum / static_cast<double>(rises) : kNaN;
  f.falling_slope = falls ? fall_sum / static_cast<double>(falls) : kNaN;
  return f;
}

ProsodyFunctionals prosody_functionals(std::span<const PitchFrame> frames, std::span<const double> intensity_db,
                                       double start_s, double end_s, double step_s, double min_intensity_db) {
  std::vector<double> f0, in, scratch;
  std::vector<unsigned char> f0_def, in_def;
  for (std::size_t i = 0; i < frames.size(); ++i) {
    double t = frames[i].time_s;
    if (t < start_s || t >= end_s) continue;
    bool v = frames[i].voiced();
    f0.push_back(v ? hz_to_semitones(frames[i].f0_hz) : kNaN);
    f0_def.push_back(v);
    double d = i < intensity_db.size() ? intensity_db[i] : kNaN;
    in.push_back(d);
    in_def.push_back(std::isfinite(d) && d > min_intensity_db);
  }
  ProsodyFunctionals p;
  p.f0_st = functionals(f0, f0_def, step_s, scratch);
  p.intensity_db = functionals(in, in_def, step_s, scratch);
  return p;
}

double pearson(std::span<const double> x, std::span<const double> y) noexcept {
  std::size_t n = std::min(x.size(), y.size());
  if (n < 3) return kNaN;
  double mx = 0, my = 0;
  for (std::size_t i = 0; i < n; ++i) { mx += x[i]; my += y[i]; }
  mx /= static_cast<double>(n);
  my /= static_cast<double>(n);
  double sxy = 0, sxx = 0, syy = 0;
  for (std::size_t i = 0; i < n; ++i) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) * (x[i] - mx);
    syy += (y[i] - my) * (y[i] - my);
  }
  if (sxx <= 0 || syy <= 0) return kNaN;
  return sxy / std::sqrt(sxx * syy);
}

Entrainment entrainment(std::span<const TurnValue> turns, const std::string& leader, const std::string& follower) {
  std::vector<double> a, b;
  for (std::size_t i = 1; i < turns.size(); ++i) {
    if (turns[i].role != follower || turns[i - 1].role != leader) continue;
    if (!std::isfinite(turns[i].value) || !std::isfinite(turns[i - 1].value)) continue;
    a.push_back(turns[i - 1].value);
    b.push_back(turns[i].value);
  }
  Entrainment e;
  e.pairs = a.size();
  e.r = pearson(a, b);
  return e;
}

}  // namespace dyad::dsp
