#include "dyad/dsp/level.hpp"

#include <cmath>

namespace dyad::dsp {

double amplitude_to_dbfs(double a) noexcept {
  a = std::abs(a);
  if (a <= 3.1622776601683795e-08 || !(a == a)) return kSilenceDbfs;
  return 20.0 * std::log10(a);
}

void LevelMeter::process(std::span<const float> x, std::size_t stride, std::size_t offset) noexcept {
  for (std::size_t i = offset; i < x.size(); i += stride) {
    double v = x[i];
    double a = std::abs(v);
    if (a > peak_) peak_ = a;
    if (a >= clip_) ++clipped_;
    sum_sq_ += v * v;
    ++n_;
  }
}

double LevelMeter::rms_dbfs() const noexcept {
  return n_ ? amplitude_to_dbfs(std::sqrt(sum_sq_ / static_cast<double>(n_))) : kSilenceDbfs;
}

}  // namespace dyad::dsp
