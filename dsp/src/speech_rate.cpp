#include "dyad/dsp/speech_rate.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>

namespace dyad::dsp {

double intensity_quantile(std::span<const float> x, double q, double min_db, std::vector<float>& scratch) {
  scratch.clear();
  for (float v : x)
    if (std::isfinite(v) && v > min_db) scratch.push_back(v);
  if (scratch.empty()) return std::numeric_limits<double>::quiet_NaN();
  const double pos = std::clamp(q, 0.0, 1.0) * static_cast<double>(scratch.size() - 1);
  const auto i = static_cast<std::size_t>(std::floor(pos));
  std::nth_element(scratch.begin(), scratch.begin() + static_cast<long>(i), scratch.end());
  const double a = scratch[i];
  if (i + 1 >= scratch.size()) return a;
  const double b = *std::min_element(scratch.begin() + static_cast<long>(i) + 1, scratch.end());
  return a + (pos - static_cast<double>(i)) * (b - a);
}

double syllable_threshold(const ValueReplay& replay, const SyllableConfig& c) {
  std::uint64_t n = 0;
  double lowest = std::numeric_limits<double>::infinity();
  replay([&](double v) {
    if (std::isfinite(v) && v > c.min_db) {
      ++n;
      lowest = std::min(lowest, v);
    }
  });
  if (n == 0) return std::numeric_limits<double>::quiet_NaN();
  const double q[] = {std::clamp(c.quantile, 0.0, 1.0)};
  const double top = percentiles(
      [&](const std::function<void(double)>& sink) {
        replay([&](double v) {
          if (std::isfinite(v) && v > c.min_db) sink(v);
        });
      },
      n, q)[0];
  return std::max(top + c.silence_db, lowest);
}

void SyllablePeakScanner::close_pending() {
  if (!pending_) return;
  pending_ = false;
  if (!(pend_v_ - pend_dip_ > c_.min_dip_db)) return;
  if (!pend_voiced_) return;
  out_.times_s.push_back(first_s_ + static_cast<double>(pend_k_) * step_s_);
}

void SyllablePeakScanner::add(std::span<const float> I, std::span<const unsigned char> voiced) {
  for (std::size_t i = 0; i < I.size(); ++i, ++k_) {
    const float x = I[i];
    // is the previous frame a peak? (a frame louder than the one before, not quieter than the next)
    if (k_ >= 2 && prev_ > prev2_ && prev_ >= x && prev_ > thr_) {
      close_pending();  // its stretch ends at this peak (included in its dip already)
      ++out_.peaks;
      pending_ = true;
      pend_k_ = k_ - 1;
      pend_v_ = prev_;
      pend_dip_ = prev_;
      pend_voiced_ = prev_voiced_ != 0;
    }
    if (pending_ && x > c_.min_db) pend_dip_ = std::min(pend_dip_, static_cast<double>(x));
    prev2_ = prev_;
    prev_ = x;
    prev_voiced_ = i < voiced.size() ? voiced[i] : 0;
  }
}

SyllableNuclei SyllablePeakScanner::finish() {
  close_pending();
  out_.threshold_db = thr_;
  return std::move(out_);
}

SyllableNuclei syllable_nuclei(std::span<const float> I, std::span<const unsigned char> voiced, double first_s, double step_s,
                               const SyllableConfig& c) {
  const double thr = syllable_threshold(
      [&](const std::function<void(double)>& sink) {
        for (float v : I) sink(v);
      },
      c);
  if (!std::isfinite(thr)) {
    SyllableNuclei out;
    out.threshold_db = std::numeric_limits<double>::quiet_NaN();
    return out;
  }
  SyllablePeakScanner scan(thr, first_s, step_s, c);
  std::vector<unsigned char> v(I.size(), 0);
  std::copy_n(voiced.begin(), std::min(voiced.size(), v.size()), v.begin());
  scan.add(I, v);
  return scan.finish();
}

std::vector<std::pair<double, double>> sounding_intervals(std::span<const float> I, double first_s, double step_s,
                                                          double threshold_db, double min_silent_s, double min_sounding_s) {
  // runs of equal state: (sounding, first frame, frame count)
  struct Run {
    bool sounding;
    std::size_t a, n;
  };
  std::vector<Run> runs;
  for (std::size_t k = 0; k < I.size(); ++k) {
    const bool s = I[k] >= threshold_db;
    if (runs.empty() || runs.back().sounding != s) runs.push_back({s, k, 1});
    else ++runs.back().n;
  }
  auto merge = [&](bool remove_sounding, double min_s) {
    for (auto& r : runs)
      if (r.sounding == remove_sounding && static_cast<double>(r.n) * step_s < min_s) r.sounding = !remove_sounding;
    std::vector<Run> m;
    for (auto& r : runs) {
      if (!m.empty() && m.back().sounding == r.sounding) m.back().n += r.n;
      else m.push_back(r);
    }
    runs = std::move(m);
  };
  merge(true, min_sounding_s);
  merge(false, min_silent_s);
  std::vector<std::pair<double, double>> out;
  for (auto& r : runs)
    if (r.sounding)
      out.emplace_back(first_s + (static_cast<double>(r.a) - 0.5) * step_s, first_s + (static_cast<double>(r.a + r.n) - 0.5) * step_s);
  return out;
}

}  // namespace dyad::dsp
