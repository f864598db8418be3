#include "dyad/dsp/speech_rate.hpp"

#include <algorithm>
#include <cmath>
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

SyllableNuclei syllable_nuclei(std::span<const float> I, std::span<const unsigned char> voiced, double first_s, double step_s,
                               const SyllableConfig& c) {
  SyllableNuclei out;
  std::vector<float> scratch;
  const double top = intensity_quantile(I, c.quantile, c.min_db, scratch);
  if (!std::isfinite(top)) {
    out.threshold_db = std::numeric_limits<double>::quiet_NaN();
    return out;
  }
  double lowest = std::numeric_limits<double>::infinity();
  for (float v : I)
    if (std::isfinite(v) && v > c.min_db) lowest = std::min(lowest, static_cast<double>(v));
  out.threshold_db = std::max(top + c.silence_db, lowest);
  // peaks above the threshold
  std::vector<std::size_t> peaks;
  for (std::size_t k = 1; k + 1 < I.size(); ++k)
    if (I[k] > I[k - 1] && I[k] >= I[k + 1] && I[k] > out.threshold_db) peaks.push_back(k);
  out.peaks = peaks.size();
  for (std::size_t p = 0; p < peaks.size(); ++p) {
    const std::size_t a = peaks[p], b = p + 1 < peaks.size() ? peaks[p + 1] : I.size() - 1;
    double dip = I[a];
    for (std::size_t k = a; k <= b; ++k)
      if (I[k] > c.min_db) dip = std::min(dip, static_cast<double>(I[k]));
    if (!(I[a] - dip > c.min_dip_db)) continue;
    if (a >= voiced.size() || !voiced[a]) continue;
    out.times_s.push_back(first_s + static_cast<double>(a) * step_s);
  }
  return out;
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
