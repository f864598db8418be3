#pragma once
/// \file Respiration: breaths from the band-passed belt signal (peaks between zero crossings,
/// small breaths rejected, as in Khodadad et al. 2018), rate and its variability.
#include <span>
#include <vector>

namespace dyad::dsp {

struct RespConfig {
  double sample_rate_hz = 100;           ///< > 0
  double band_low_hz = 0.05, band_high_hz = 1.0;  ///< band-pass (Hz)
  double min_amplitude_fraction = 0.3;   ///< breaths smaller than this x the median are merged away
  double internal_rate_hz = 20;          ///< faster input is block-averaged down to about this (Hz)
};

struct Breath {
  double trough_s = 0, peak_s = 0;  ///< inhalation onset and end (s from the run's first sample)
  double amplitude = 0;             ///< peak minus trough, input units
};

struct RespResult {
  std::vector<Breath> breaths;
  double rate_bpm = 0;      ///< 60 / mean peak-to-peak interval (breaths/min); NaN if < 2 breaths
  double interval_sd_s = 0; ///< SD of peak-to-peak intervals (s)
  double interval_rmssd_s = 0;
  double rate_cv = 0;       ///< SD / mean of the intervals
};

class RespirationAnalyzer {
 public:
  explicit RespirationAnalyzer(const RespConfig& c);
  RespResult compute(std::span<const double> resp) const;
  /// compute() on the run already block-averaged by decimation() (dsp::decimate_mean's blocks).
  RespResult compute_decimated(std::vector<double> averaged) const;
  /// Samples per block average (1 = none).
  std::size_t decimation() const noexcept;
  /// Rate and variability of breath peak times (s) inside [start_s, end_s).
  static RespResult summarise(const std::vector<Breath>& breaths, double start_s, double end_s);

 private:
  RespConfig c_;
};

}  // namespace dyad::dsp
