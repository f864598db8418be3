#include "dyad/dsp/prosody.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "dyad/dsp/order_statistics.hpp"

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

void FunctionalsAccumulator::close_part() {
  if (dir_ > 0) {
    rise_sum_ += (prev_ - part_start_) / (static_cast<double>(part_len_) * step_s_);
    ++rises_;
  } else if (dir_ < 0) {
    fall_sum_ += (part_start_ - prev_) / (static_cast<double>(part_len_) * step_s_);
    ++falls_;
  }
  dir_ = 0;
}

void FunctionalsAccumulator::skip(std::size_t count) {
  if (count == 0 || !in_run_) return;
  close_part();
  in_run_ = false;
}

void FunctionalsAccumulator::add(std::span<const double> v, std::span<const unsigned char> defined) {
  for (std::size_t i = 0; i < v.size(); ++i) {
    const double x = v[i];
    if (!(defined[i] && std::isfinite(x))) {
      skip();
      continue;
    }
    ++n_;
    sum_ += x;
    if (!in_run_) {
      in_run_ = true;
      dir_ = 0;
      part_start_ = x;
      part_len_ = 0;
    } else {
      const int d = x > prev_ ? 1 : (x < prev_ ? -1 : 0);
      if (d == 0) {  // a flat step ends the part; the next one starts here
        close_part();
        part_start_ = x;
        part_len_ = 0;
      } else if (d == dir_) {
        ++part_len_;
      } else {  // the turning point (the previous value) starts the next part
        close_part();
        dir_ = d;
        part_start_ = prev_;
        part_len_ = 1;
      }
    }
    prev_ = x;
  }
}

Functionals FunctionalsAccumulator::base() {
  skip();
  Functionals f;
  f.n = n_;
  if (n_ == 0) {
    f.mean = f.sd = f.cv = f.p20 = f.p50 = f.p80 = f.range_20_80 = f.rising_slope = f.falling_slope = kNaN;
    return f;
  }
  f.mean = sum_ / static_cast<double>(n_);
  f.rising_slope = rises_ ? rise_sum_ / static_cast<double>(rises_) : kNaN;
  f.falling_slope = falls_ ? fall_sum_ / static_cast<double>(falls_) : kNaN;
  return f;
}

Functionals FunctionalsAccumulator::result_sorted(const std::vector<double>& sorted, double sum_sq_dev) {
  Functionals f = base();
  if (f.n == 0) return f;
  const double ss = sum_sq_dev;
  f.sd = std::sqrt(ss / static_cast<double>(f.n));
  f.cv = f.mean != 0 ? f.sd / f.mean : kNaN;
  f.p20 = percentile_sorted(sorted, 0.2);
  f.p50 = percentile_sorted(sorted, 0.5);
  f.p80 = percentile_sorted(sorted, 0.8);
  f.range_20_80 = f.p80 - f.p20;
  return f;
}

Functionals FunctionalsAccumulator::result(const std::function<void(const std::function<void(double)>&)>& replay) {
  Functionals f = base();
  if (f.n == 0) return f;
  double ss = 0;
  replay([&](double x) { ss += (x - f.mean) * (x - f.mean); });
  f.sd = std::sqrt(ss / static_cast<double>(f.n));
  f.cv = f.mean != 0 ? f.sd / f.mean : kNaN;
  const double ps[] = {0.2, 0.5, 0.8};
  const auto p = percentiles(replay, f.n, ps);
  f.p20 = p[0];
  f.p50 = p[1];
  f.p80 = p[2];
  f.range_20_80 = f.p80 - f.p20;
  return f;
}

Functionals functionals(std::span<const double> v, std::span<const unsigned char> defined, double step_s,
                        std::vector<double>& scratch) {
  FunctionalsAccumulator acc(step_s);
  acc.add(v, defined);
  scratch.clear();
  for (std::size_t i = 0; i < v.size(); ++i)
    if (defined[i] && std::isfinite(v[i])) scratch.push_back(v[i]);
  const double mean = scratch.empty() ? 0 : acc.sum() / static_cast<double>(scratch.size());
  double ss = 0;
  for (double x : scratch) ss += (x - mean) * (x - mean);  // in the contour's order
  std::sort(scratch.begin(), scratch.end());
  return acc.result_sorted(scratch, ss);
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
