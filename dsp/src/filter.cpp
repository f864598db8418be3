#include "dyad/dsp/filter.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace dyad::dsp {

namespace {
void check_cutoff(const char* what, double fc, double fs) {
  if (!(fs > 0) || !(fc > 0) || !(fc < fs / 2))
    throw std::invalid_argument(std::string(what) + ": the cut-off must be above 0 and below half the sample rate (cut-off " +
                                std::to_string(fc) + " Hz, rate " + std::to_string(fs) + " Hz).");
}
}  // namespace

Biquad butter_lowpass(double fc, double fs) {
  check_cutoff("butter_lowpass", fc, fs);
  const double w0 = 2 * M_PI * fc / fs, cw = std::cos(w0), alpha = std::sin(w0) / (2 * M_SQRT1_2);
  const double a0 = 1 + alpha;
  return {(1 - cw) / 2 / a0, (1 - cw) / a0, (1 - cw) / 2 / a0, -2 * cw / a0, (1 - alpha) / a0};
}

Biquad butter_highpass(double fc, double fs) {
  check_cutoff("butter_highpass", fc, fs);
  const double w0 = 2 * M_PI * fc / fs, cw = std::cos(w0), alpha = std::sin(w0) / (2 * M_SQRT1_2);
  const double a0 = 1 + alpha;
  return {(1 + cw) / 2 / a0, -(1 + cw) / a0, (1 + cw) / 2 / a0, -2 * cw / a0, (1 - alpha) / a0};
}

void biquad_forward(const Biquad& s, std::span<double> x) noexcept {
  if (x.empty()) return;
  const double x0 = x[0];
  const double gain = (s.b0 + s.b1 + s.b2) / (1 + s.a1 + s.a2);
  const double y0 = gain * x0;
  double s1 = y0 - s.b0 * x0, s2 = s.b2 * x0 - s.a2 * y0;  // transposed direct form II, steady state
  for (double& v : x) {
    const double in = v;
    const double y = s.b0 * in + s1;
    s1 = s.b1 * in - s.a1 * y + s2;
    s2 = s.b2 * in - s.a2 * y;
    v = y;
  }
}

void filtfilt(std::span<const Biquad> sections, std::span<double> x) noexcept {
  for (const auto& s : sections) biquad_forward(s, x);
  std::reverse(x.begin(), x.end());
  for (const auto& s : sections) biquad_forward(s, x);
  std::reverse(x.begin(), x.end());
}

std::vector<double> moving_average(std::span<const double> x, std::size_t width) {
  const std::size_t n = x.size();
  std::vector<double> out(n);
  if (n == 0) return out;
  if (width < 1) width = 1;
  std::vector<double> cum(n + 1, 0.0);
  for (std::size_t i = 0; i < n; ++i) cum[i + 1] = cum[i] + x[i];
  const std::size_t before = (width - 1) / 2, after = width - 1 - before;
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t lo = i >= before ? i - before : 0;
    const std::size_t hi = std::min(n - 1, i + after);
    out[i] = (cum[hi + 1] - cum[lo]) / static_cast<double>(hi + 1 - lo);
  }
  return out;
}

std::vector<double> decimate_mean(std::span<const double> x, std::size_t factor) {
  if (factor <= 1) return {x.begin(), x.end()};
  std::vector<double> out;
  out.reserve(x.size() / factor + 1);
  for (std::size_t i = 0; i < x.size(); i += factor) {
    const std::size_t e = std::min(x.size(), i + factor);
    double s = 0;
    for (std::size_t k = i; k < e; ++k) s += x[k];
    out.push_back(s / static_cast<double>(e - i));
  }
  return out;
}

std::vector<double> interpolate_linear(std::span<const double> t, std::span<const double> v, std::span<const double> at) {
  std::vector<double> out(at.size(), std::nan(""));
  if (t.empty()) return out;
  std::size_t j = 0;
  for (std::size_t i = 0; i < at.size(); ++i) {
    const double q = at[i];
    if (!(q >= t.front()) || !(q <= t.back())) continue;
    if (j > 0 && t[j - 1] > q) j = 0;  // unsorted query: restart
    while (j + 1 < t.size() && t[j + 1] < q) ++j;
    if (j + 1 >= t.size()) {
      out[i] = v.back();
      continue;
    }
    const double t0 = t[j], t1 = t[j + 1];
    out[i] = t1 > t0 ? v[j] + (v[j + 1] - v[j]) * (q - t0) / (t1 - t0) : v[j];
  }
  return out;
}

double quantile(std::vector<double> values, double q) {
  values.erase(std::remove_if(values.begin(), values.end(), [](double d) { return !std::isfinite(d); }), values.end());
  if (values.empty()) return std::nan("");
  std::sort(values.begin(), values.end());
  const double pos = std::clamp(q, 0.0, 1.0) * static_cast<double>(values.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(pos));
  const std::size_t hi = std::min(values.size() - 1, lo + 1);
  return values[lo] + (values[hi] - values[lo]) * (pos - static_cast<double>(lo));
}

}  // namespace dyad::dsp
