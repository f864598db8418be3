#include "dyad/dsp/blood_pressure.hpp"

#include <charconv>
#include <cmath>
#include <vector>

#include "common.hpp"

namespace dyad::dsp {

using detail::num;
using detail::require;

BpFlagger::BpFlagger(const BpThresholds& t) : t_(t) {
  require(t.systolic_high_mmhg > 0 && t.diastolic_high_mmhg > 0,
          "BpFlagger: thresholds must be above 0 mmHg (got " + num(t.systolic_high_mmhg) + "/" + num(t.diastolic_high_mmhg) + ").");
}

BpReading BpFlagger::make(double time_s, double sys, double dia, double mean) const {
  BpReading r;
  r.time_s = time_s;
  r.systolic_mmhg = sys;
  r.diastolic_mmhg = dia;
  r.mean_mmhg = (std::isfinite(mean) && mean > 0) ? mean : dia + (sys - dia) / 3;
  r.flagged = sys >= t_.systolic_high_mmhg || dia >= t_.diastolic_high_mmhg;
  return r;
}

std::optional<BpReading> parse_bp_text(std::string_view s) {
  std::vector<double> v;
  std::size_t i = 0;
  while (i <= s.size()) {
    std::size_t j = s.find('/', i);
    if (j == std::string_view::npos) j = s.size();
    auto part = s.substr(i, j - i);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    while (!part.empty() && part.back() == ' ') part.remove_suffix(1);
    double d = 0;
    auto [p, ec] = std::from_chars(part.data(), part.data() + part.size(), d);
    if (part.empty() || ec != std::errc() || p != part.data() + part.size() || !(d > 0) || !std::isfinite(d)) return std::nullopt;
    v.push_back(d);
    i = j + 1;
  }
  if (v.size() < 2 || v.size() > 3 || v[0] < v[1]) return std::nullopt;
  BpReading r;
  r.systolic_mmhg = v[0];
  r.diastolic_mmhg = v[1];
  r.mean_mmhg = v.size() == 3 ? v[2] : v[1] + (v[0] - v[1]) / 3;
  return r;
}

}  // namespace dyad::dsp
