#pragma once
/// \file ECG R-peak detection (Pan & Tompkins 1985, with search-back and T-wave discrimination),
/// beat correction (Lipponen & Tarvainen 2019) and heart rate.
#include <cstddef>
#include <span>
#include <vector>

namespace dyad::dsp {

/// Parameters of EcgPeakDetector (defaults from Pan & Tompkins 1985).
struct EcgConfig {
  double sample_rate_hz = 1000;       ///< > 0; at least 100 Hz
  double band_low_hz = 5;             ///< QRS band-pass, low edge (Hz)
  double band_high_hz = 15;           ///< QRS band-pass, high edge (Hz)
  double integration_window_s = 0.15; ///< moving-window integration length (s)
  double refractory_s = 0.2;          ///< no two beats closer than this (s)
  double t_wave_window_s = 0.36;      ///< a candidate this soon after a beat is tested for T wave (s)
  double searchback_factor = 1.66;    ///< search back when no beat for this x the mean RR
  double detection_rate_hz = 250;     ///< input at 2x this or more is block-averaged to about this
                                      ///< rate for detection; R peaks are then placed on the full-rate samples
};

/// Finds R peaks in one contiguous run of ECG samples (any polarity, any amplitude; baseline
/// wander is removed by the band-pass). Whole-run (batch) algorithm; const, so one instance may
/// be shared by threads.
class EcgPeakDetector {
 public:
  /// Throws std::invalid_argument naming the bad parameter.
  explicit EcgPeakDetector(const EcgConfig& c);
  /// Sample indices of the R peaks, increasing.
  std::vector<std::size_t> detect(std::span<const double> ecg) const;
  const EcgConfig& config() const noexcept { return c_; }
  /// The block-averaging factor detect() applies before detection (1 = none): a run cut into
  /// chunks gives the same blocks when each chunk starts at a multiple of it.
  std::size_t decimation() const noexcept;

 private:
  std::vector<std::size_t> detect_at(std::span<const double> ecg, double fs, double& polarity) const;
  EcgConfig c_;
};

/// One heart beat after correction.
struct Beat {
  double time_s = 0;
  bool corrected = false;  ///< inserted, moved, or its interval changed by a removal
};

/// Parameters of BeatCorrector (Lipponen & Tarvainen 2019, their constants).
struct BeatCorrectionConfig {
  double alpha = 5.2;           ///< threshold = alpha x quartile deviation
  std::size_t window_beats = 91; ///< beats over which the quartile deviation is taken
  std::size_t median_beats = 11; ///< beats of the running median RR
  double c1 = 0.13, c2 = 0.17;   ///< ectopic decision boundary
  double min_threshold_s = 0.01; ///< floor of both thresholds (s), for very regular rhythms
  int max_passes = 3;            ///< correction passes
};

/// Classifies RR artefacts as missed, extra, ectopic or long/short beats and fixes them:
/// a missed beat is inserted halfway, an extra beat removed, an ectopic or misplaced beat moved
/// halfway between its neighbours. Needs at least 10 beats; shorter input is returned as is.
class BeatCorrector {
 public:
  explicit BeatCorrector(const BeatCorrectionConfig& c = {});
  std::vector<Beat> correct(std::span<const double> beat_times_s) const;

 private:
  BeatCorrectionConfig c_;
};

/// Instantaneous heart rate 60 / RR (bpm) at each beat; NaN for the first.
std::vector<double> instantaneous_hr_bpm(std::span<const double> beat_times_s);

/// Heart rate in [start_s, end_s): 60 / mean of the RR intervals whose second beat is inside it
/// (bpm); NaN when there is none.
double window_hr_bpm(std::span<const double> beat_times_s, double start_s, double end_s);

}  // namespace dyad::dsp
