#pragma once
/// \file Electrodermal activity: tonic level and skin-conductance responses (trough-to-peak on
/// the low-passed signal, Boucsein 2012; amplitude >= 0.01 uS by default). Peaks and troughs are
/// found with hysteresis of min_amplitude / 2; the onset is placed where the slope, going back
/// from the steepest point of the rise, falls to onset_slope_fraction of its maximum, and the
/// amplitude is measured from there to the peak.
#include <span>
#include <vector>

namespace dyad::dsp {

struct EdaConfig {
  double sample_rate_hz = 100;        ///< > 0
  double lowpass_hz = 1.0;            ///< smoothing before the derivative (Hz)
  double tonic_cutoff_hz = 0.05;      ///< tonic level = low-pass at this cut-off (Hz)
  double min_amplitude_us = 0.01;     ///< smallest SCR kept (uS)
  double min_rise_s = 0.1, max_rise_s = 10;  ///< SCR rise time limits (s)
  double onset_slope_fraction = 0.1;  ///< onset: where the slope falls to this x its maximum, before the steepest rise
  double internal_rate_hz = 20;       ///< faster input is block-averaged down to about this (Hz)
};

struct Scr {
  double onset_s = 0, peak_s = 0, amplitude_us = 0, rise_time_s = 0;
};

struct EdaResult {
  std::vector<Scr> scrs;       ///< times in seconds from the run's first sample
  std::vector<double> time_s;  ///< times of `tonic_us` and `smoothed_us` (internal rate)
  std::vector<double> tonic_us, smoothed_us;
};

/// One contiguous EDA run (uS). Const; shareable.
class EdaAnalyzer {
 public:
  explicit EdaAnalyzer(const EdaConfig& c);
  EdaResult compute(std::span<const double> eda_us) const;

 private:
  EdaConfig c_;
};

}  // namespace dyad::dsp
