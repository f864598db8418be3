#pragma once
/// \file Electrodermal activity: tonic level and skin-conductance responses (trough-to-peak on
/// the low-passed signal, Boucsein 2012; amplitude >= 0.01 uS by default). Peaks and troughs are
/// found with hysteresis of half the minimum amplitude; the onset is placed where the slope, going
/// back from the steepest point of the rise, falls to onset_slope_fraction of its maximum, and the
/// amplitude is measured from there to the peak.
///
/// Noise-adaptive minimum amplitude: a fixed 0.01 uS counts the ripples of a noisy sensor as
/// responses. Each run's white-noise SD is estimated robustly from the decimated signal
/// (1.4826 x MAD of first differences / sqrt 2: responses and tonic drift are slow and sparse,
/// so they barely move the median), scaled by the low-pass's noise gain (sqrt of the summed
/// squared impulse response of the zero-phase filter) to the noise left in the smoothed signal,
/// and the minimum amplitude becomes max(min_amplitude_us, noise_amplitude_factor x that).
#include <span>
#include <vector>

namespace dyad::dsp {

struct EdaConfig {
  double sample_rate_hz = 100;        ///< > 0
  double lowpass_hz = 1.0;            ///< smoothing before the derivative (Hz)
  double tonic_cutoff_hz = 0.05;      ///< tonic level = low-pass at this cut-off (Hz)
  double min_amplitude_us = 0.01;     ///< smallest SCR kept (uS); the floor of the adaptive minimum
  /// Minimum amplitude = max(min_amplitude_us, noise_amplitude_factor x the noise SD left in the
  /// low-passed EDA); 0 turns the adaptation off (the fixed min_amplitude_us alone).
  double noise_amplitude_factor = 6;
  double min_rise_s = 0.1, max_rise_s = 10;  ///< SCR rise time limits (s)
  double onset_slope_fraction = 0.1;  ///< onset: where the slope falls to this x its maximum, before the steepest rise
  double internal_rate_hz = 20;       ///< faster input is block-averaged down to about this (Hz)
};

struct Scr {
  double onset_s = 0, peak_s = 0, amplitude_us = 0, rise_time_s = 0;
};

struct EdaResult {
  std::vector<Scr> scrs;       ///< times in seconds from the run's first sample
  double noise_sd_us = 0;      ///< robust SD of the white noise in the (decimated) input, uS
  double smoothed_noise_sd_us = 0;  ///< the part left after the low-pass, uS
  double min_amplitude_us = 0;      ///< the minimum amplitude used, uS (>= the configured floor)
  std::vector<double> time_s;  ///< times of `tonic_us` and `smoothed_us` (internal rate)
  std::vector<double> tonic_us, smoothed_us;
};

/// One contiguous EDA run (uS). Const; shareable.
class EdaAnalyzer {
 public:
  explicit EdaAnalyzer(const EdaConfig& c);
  EdaResult compute(std::span<const double> eda_us) const;
  /// compute() on the run already block-averaged by decimation() (dsp::decimate_mean's blocks,
  /// the last one possibly shorter): a reader can average as it reads and never hold the run at
  /// its sample rate. Times are those of compute().
  EdaResult compute_decimated(std::vector<double> averaged) const;
  /// Samples per block average (1 = none).
  std::size_t decimation() const noexcept;

 private:
  EdaConfig c_;
};

}  // namespace dyad::dsp
