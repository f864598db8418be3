#pragma once
/// \file Heart-rate variability (Task Force of the ESC and NASPE 1996): time domain and
/// Lomb-Scargle spectrum of the RR tachogram.
#include <span>

namespace dyad::dsp {

struct HrvConfig {
  double vlf_low_hz = 0.0033, lf_low_hz = 0.04, hf_low_hz = 0.15, hf_high_hz = 0.4;  ///< bands (Hz)
  double frequency_step_hz = 0.001;  ///< Lomb-Scargle grid step (Hz)
  double min_rr_s = 0.25, max_rr_s = 2.0;  ///< RR outside this range are left out (s)
};

/// HRV of one stretch of beats. NaN where there are too few intervals (< 2 for time domain,
/// < 10 or under 60 s for the spectrum).
struct HrvResult {
  int n_rr = 0;
  double mean_rr_ms = 0, sdnn_ms = 0, rmssd_ms = 0, pnn50_pct = 0, mean_hr_bpm = 0;
  double lf_ms2 = 0, hf_ms2 = 0, lf_hf = 0, lf_nu = 0, hf_nu = 0;
};

/// Computes HRV from beat times; `corrected` marks beats whose intervals are kept out of the
/// successive differences (may be empty). SDNN uses n - 1. pNN50: % of successive differences
/// > 50 ms. Spectrum: Lomb-Scargle of the linearly detrended RR (ms) against beat time, scaled
/// to a one-sided PSD (ms^2/Hz) whose integral is the variance; band powers are its integrals.
class HrvAnalyzer {
 public:
  explicit HrvAnalyzer(const HrvConfig& c = {});
  HrvResult compute(std::span<const double> beat_times_s) const;

 private:
  HrvConfig c_;
};

}  // namespace dyad::dsp
