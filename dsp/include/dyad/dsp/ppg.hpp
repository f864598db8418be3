#pragma once
/// \file PPG systolic peaks (Elgendi et al. 2013, two event-related moving averages).
#include <cstddef>
#include <span>
#include <vector>

namespace dyad::dsp {

struct PpgConfig {
  double sample_rate_hz = 100;  ///< > 0; at least 20 Hz
  double band_low_hz = 0.5, band_high_hz = 8;  ///< band-pass (Hz)
  double peak_window_s = 0.111;  ///< W1, systolic-peak moving average (s)
  double beat_window_s = 0.667;  ///< W2, beat moving average (s)
  double beta = 0.02;            ///< offset, fraction of the mean squared signal
  double refractory_s = 0.3;     ///< minimum distance between peaks (s)
};

/// Pulse peaks of one contiguous PPG run. Const; shareable.
class PpgPeakDetector {
 public:
  explicit PpgPeakDetector(const PpgConfig& c);
  std::vector<std::size_t> detect(std::span<const double> ppg) const;

 private:
  PpgConfig c_;
};

}  // namespace dyad::dsp
