#include "dyad/dsp/synth.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace dyad::dsp {

std::uint64_t mix64(std::uint64_t x) noexcept {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

Rng::Rng(std::uint64_t seed) noexcept {
  std::uint64_t x = seed;
  for (auto& v : s_) {
    x += 0x9e3779b97f4a7c15ULL;
    v = mix64(x);
  }
}

Rng Rng::fork(std::uint64_t stream) const noexcept { return Rng(mix64(s_[0] ^ mix64(stream + 0x5851f42d4c957f2dULL))); }

std::uint64_t Rng::next() noexcept {
  auto rotl = [](std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); };
  const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
  const std::uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

double Rng::normal() noexcept {
  if (has_spare_) {
    has_spare_ = false;
    return spare_;
  }
  double u1 = 1.0 - uniform();  // (0, 1]
  double u2 = uniform();
  double r = std::sqrt(-2.0 * std::log(u1));
  spare_ = r * std::sin(2 * M_PI * u2);
  has_spare_ = true;
  return r * std::cos(2 * M_PI * u2);
}

Resonator::Resonator(double f, double bw, double rate) {
  if (!(rate > 0) || !(f > 0) || !(f < rate / 2) || !(bw > 0))
    throw std::invalid_argument("Resonator: needs 0 < freq_hz < rate_hz/2 and bandwidth_hz > 0, got freq_hz " +
                                std::to_string(f) + ", bandwidth_hz " + std::to_string(bw) + ", rate_hz " + std::to_string(rate));
  double t = 1.0 / rate;
  c_ = -std::exp(-2 * M_PI * bw * t);
  b_ = 2 * std::exp(-M_PI * bw * t) * std::cos(2 * M_PI * f * t);
  a_ = 1 - b_ - c_;
}

FormantFilter::FormantFilter(const Formants& f, double rate) {
  for (std::size_t i = 0; i < r_.size(); ++i) {
    double fr = std::min(f.freq_hz[i], 0.45 * rate * (0.85 + 0.03 * static_cast<double>(i)));
    double bw = std::min(f.bandwidth_hz[i], 0.2 * rate);
    r_[i] = Resonator(fr, bw, rate);
  }
}

GlottalSource::GlottalSource(const GlottalConfig& c, std::uint64_t seed)
    : rate_(c.rate_hz), sj_(jitter_sd(c.jitter_local)), ss_(jitter_sd(c.shimmer_local)), rng_(seed) {
  if (!(c.rate_hz > 0)) throw std::invalid_argument("GlottalSource: rate_hz must be positive, got " + std::to_string(c.rate_hz));
  if (!(c.jitter_local >= 0) || !(c.shimmer_local >= 0) || c.jitter_local > 0.2 || c.shimmer_local > 0.5)
    throw std::invalid_argument("GlottalSource: jitter_local must be in [0, 0.2] and shimmer_local in [0, 0.5], got " +
                                std::to_string(c.jitter_local) + " and " + std::to_string(c.shimmer_local));
  if (!(c.open_quotient > 0.1 && c.open_quotient < 0.95))
    throw std::invalid_argument("GlottalSource: open_quotient must be in (0.1, 0.95), got " + std::to_string(c.open_quotient));
  open_ = c.open_quotient * (0.40 / 0.56);
  close_ = c.open_quotient - open_;
  for (std::size_t i = 0; i <= kTable; ++i) table_[i] = flow_exact(static_cast<double>(i) / kTable);
}

double GlottalSource::flow_exact(double p) const noexcept {
  // closed phase first, so the closure (the main excitation) ends the period: the intervals
  // between closures are exactly the drawn periods, as Praat's pulse-to-pulse jitter sees them
  const double c0 = 1.0 - open_ - close_;
  if (p < c0) return 0.0;
  if (p < c0 + open_) return 0.5 * (1.0 - std::cos(M_PI * (p - c0) / open_));
  return std::cos(0.5 * M_PI * std::min(1.0, (p - c0 - open_) / close_));
}

double ecg_beat(double dt, double rr) noexcept {
  struct Wave {
    double at_s, mv, width_s;
  };
  double q = std::sqrt(std::clamp(rr, 0.3, 2.0));  // QT scales with sqrt(RR)
  const Wave waves[] = {{-0.20 * q, 0.15, 0.025}, {-0.028, -0.10, 0.008}, {0.0, 1.20, 0.010},
                        {0.028, -0.25, 0.009},    {0.30 * q, 0.30, 0.045 * q}};
  double v = 0;
  for (auto& w : waves) {
    double z = (dt - w.at_s) / w.width_s;
    if (z > -6 && z < 6) v += w.mv * std::exp(-0.5 * z * z);
  }
  return v;
}

double scr_peak_time(double tr, double td) noexcept { return tr * td / (td - tr) * std::log(td / tr); }

double scr_shape(double t, double tr, double td) noexcept {
  if (t <= 0) return 0;
  double tp = scr_peak_time(tr, td);
  double peak = std::exp(-tp / td) - std::exp(-tp / tr);
  return (std::exp(-t / td) - std::exp(-t / tr)) / peak;
}

double breath_wave(double phase) noexcept {
  double p = phase - std::floor(phase);
  constexpr double kInhale = 0.4;
  if (p < kInhale) return 0.5 * (1 - std::cos(M_PI * p / kInhale));
  return 0.5 * (1 + std::cos(M_PI * (p - kInhale) / (1 - kInhale)));
}

}  // namespace dyad::dsp
