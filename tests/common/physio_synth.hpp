#pragma once
/// \file Seeded synthetic physiology for tests and benchmarks: ECG from Gaussian P-QRS-T waves
/// at known beat times (McSharry et al. 2003 style), EDA with Bateman-shaped SCRs at known onsets,
/// and a sinusoidal respiration belt.
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

namespace dyad::test {

/// Beat times with mean RR `rr_s`, Gaussian RR jitter `sd_s`, a 0.1 Hz and a 0.25 Hz modulation.
inline std::vector<double> beat_times(double duration_s, double rr_s, double sd_s, std::uint32_t seed, double start_s = 0.5) {
  std::mt19937 g(seed);
  std::normal_distribution<double> d(0, sd_s);
  std::vector<double> t;
  for (double x = start_s; x < duration_s - 0.6;) {
    t.push_back(x);
    x += rr_s + d(g) + 0.02 * std::sin(2 * M_PI * 0.1 * x) + 0.015 * std::sin(2 * M_PI * 0.25 * x);
  }
  return t;
}

struct EcgSynthOptions {
  double rate_hz = 1000, noise_sd = 0.02, wander_amp = 0.3, wander_hz = 0.25;
  double amp_mod = 0.0;      ///< relative amplitude modulation depth at 0.05 Hz
  double polarity = 1.0;
  std::uint32_t seed = 7;
};

inline std::vector<double> synth_ecg(const std::vector<double>& beats, double duration_s, const EcgSynthOptions& o = {}) {
  const auto n = static_cast<std::size_t>(duration_s * o.rate_hz);
  std::vector<double> x(n, 0.0);
  struct W { double dt, a, w; };
  const W waves[] = {{-0.2, 0.12, 0.025}, {-0.025, -0.12, 0.008}, {0, 1.0, 0.01}, {0.025, -0.25, 0.008}, {0.25, 0.3, 0.045}};
  for (double tb : beats) {
    const double amp = o.polarity * (1 + o.amp_mod * std::sin(2 * M_PI * 0.05 * tb));
    const auto lo = static_cast<long>((tb - 0.35) * o.rate_hz), hi = static_cast<long>((tb + 0.45) * o.rate_hz);
    for (long i = std::max(0L, lo); i < std::min(static_cast<long>(n), hi); ++i) {
      const double t = static_cast<double>(i) / o.rate_hz - tb;
      double v = 0;
      for (const auto& w : waves) v += w.a * std::exp(-0.5 * (t - w.dt) * (t - w.dt) / (w.w * w.w));
      x[static_cast<std::size_t>(i)] += amp * v;
    }
  }
  std::mt19937 g(o.seed);
  std::normal_distribution<double> nd(0, o.noise_sd);
  for (std::size_t i = 0; i < n; ++i)
    x[i] += o.wander_amp * std::sin(2 * M_PI * o.wander_hz * static_cast<double>(i) / o.rate_hz) + nd(g);
  return x;
}

struct SynthScr { double onset_s, amplitude_us; };

/// EDA: tonic `tonic_us` drifting slowly, plus SCRs (Bateman: tau rise 0.75 s, decay 2 s).
inline std::vector<double> synth_eda(const std::vector<SynthScr>& scrs, double duration_s, double rate_hz, double tonic_us = 5,
                                     double noise_sd = 0.001, std::uint32_t seed = 3) {
  const auto n = static_cast<std::size_t>(duration_s * rate_hz);
  std::vector<double> x(n);
  const double t1 = 0.75, t2 = 2.0;
  // Bateman peak for normalisation
  const double tp = std::log(t2 / t1) * t1 * t2 / (t2 - t1);
  const double bmax = std::exp(-tp / t2) - std::exp(-tp / t1);
  std::mt19937 g(seed);
  std::normal_distribution<double> nd(0, noise_sd);
  for (std::size_t i = 0; i < n; ++i) {
    const double t = static_cast<double>(i) / rate_hz;
    x[i] = tonic_us + 0.3 * std::sin(2 * M_PI * t / 600) + nd(g);
  }
  for (const auto& s : scrs) {
    const auto lo = static_cast<std::size_t>(std::max(0.0, std::ceil(s.onset_s * rate_hz)));
    const auto hi = std::min(n, static_cast<std::size_t>((s.onset_s + 40) * rate_hz));
    for (std::size_t i = lo; i < hi; ++i) {
      const double u = static_cast<double>(i) / rate_hz - s.onset_s;
      if (u > 0) x[i] += s.amplitude_us * (std::exp(-u / t2) - std::exp(-u / t1)) / bmax;
    }
  }
  return x;
}

/// Bateman time to peak for the shape above (s).
inline double scr_rise_time_s() {
  const double t1 = 0.75, t2 = 2.0;
  return std::log(t2 / t1) * t1 * t2 / (t2 - t1);
}

inline std::vector<double> synth_resp(double duration_s, double rate_hz, double breaths_per_min, double noise_sd = 0.02, std::uint32_t seed = 5) {
  const auto n = static_cast<std::size_t>(duration_s * rate_hz);
  std::vector<double> x(n);
  std::mt19937 g(seed);
  std::normal_distribution<double> nd(0, noise_sd);
  for (std::size_t i = 0; i < n; ++i) {
    const double t = static_cast<double>(i) / rate_hz;
    x[i] = std::sin(2 * M_PI * breaths_per_min / 60 * t) + 0.1 * std::sin(2 * M_PI * 0.01 * t) + nd(g);
  }
  return x;
}

}  // namespace dyad::test
