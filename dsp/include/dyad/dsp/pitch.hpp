#pragma once
/// \file F0 by autocorrelation (Boersma 1993) as Praat documents "Sound: To Pitch (ac)...", and
/// intensity as Praat's "Sound: To Intensity...". Streaming: one instance per channel and thread.
///
/// Time convention: sample n of the signal is at n / sample_rate_hz (DESIGN.md). Frame k is
/// centred at first_frame_s + k * time_step_s. Samples before the start are zeros; samples after
/// the end (finish()) are zeros.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace dyad::dsp {

/// The pitch tracker's limits for audio at `rate_hz` (PitchTracker refuses a config that breaks
/// them; commands check them first to name their own options): the ceiling below half the rate,
/// and the window, 3 / floor, at least 16 samples long.
constexpr bool pitch_ceiling_fits(double f0_max_hz, double rate_hz) { return f0_max_hz < rate_hz / 2; }
constexpr bool pitch_floor_fits(double f0_min_hz, double rate_hz) { return 3.0 / f0_min_hz * rate_hz >= 16; }

/// Parameters of PitchTracker. Defaults are Praat's "To Pitch (ac)" standard values, except the
/// time step: Praat's automatic step is 0.75 / f0_min_hz, which is 0.01 s for the 75 Hz floor;
/// dyad uses 0.01 s whatever the floor unless told otherwise.
struct PitchConfig {
  double sample_rate_hz = 16000;       ///< > 0
  double time_step_s = 0.01;           ///< frame spacing, > 0
  double first_frame_s = 0;            ///< centre of frame 0 (may be negative)
  double f0_min_hz = 75;               ///< pitch floor; the Hanning window is 3 / f0_min_hz long
  double f0_max_hz = 600;              ///< pitch ceiling, > f0_min_hz and < sample_rate_hz / 2
  int max_candidates = 15;             ///< including the unvoiced candidate, >= 2
  double silence_threshold = 0.03;     ///< fraction of the reference peak, [0, 1)
  double voicing_threshold = 0.45;     ///< autocorrelation strength, [0, 1)
  double octave_cost = 0.01;           ///< per octave, >= 0
  double octave_jump_cost = 0.35;      ///< per octave, at 0.01 s steps (scaled by 0.01 / step), >= 0
  double voiced_unvoiced_cost = 0.14;  ///< at 0.01 s steps (scaled by 0.01 / step), >= 0
  /// Praat's "global absolute peak" of the whole sound. When 0 (streaming without a first pass),
  /// the largest absolute sample seen so far is used, which only differs from Praat while the
  /// loudest sample of the recording is still ahead.
  double reference_peak = 0;
  /// Bound on undecided frames kept by the path finder (seconds). The path finder decides a frame
  /// as soon as all surviving paths agree on it, which gives exactly the whole-file Viterbi
  /// result; only if paths disagree for longer than this is the best path so far forced.
  double max_undecided_s = 30;
  /// Threads analysing frames (1..64): with more than 1, threads - 1 workers started by the
  /// constructor take pairs of frames (windows, transforms, candidates) side by side with the
  /// caller's thread, and a batch of frames stays in flight between process() calls (its frames
  /// come out at the next call or at finish()). The frames are the same, bit for bit, whatever the
  /// number of threads; only the path finder runs on the caller's thread, in frame order.
  int threads = 1;
};

/// One pitch frame.
struct PitchFrame {
  double time_s = 0;     ///< frame centre in seconds
  double f0_hz = 0;      ///< 0 when unvoiced
  double strength = 0;   ///< autocorrelation strength of the chosen candidate (0 when unvoiced)
  double local_peak = 0; ///< absolute peak of the windowed frame (linear, signal units)
  /// Strength of the strongest voiced candidate whatever the path finder chose (0 when none): a
  /// frame is "locally unvoiced" (Praat's voice report) when this is below the voicing threshold or
  /// local_peak is below the silence threshold times the global peak.
  double max_strength = 0;
  bool voiced() const { return f0_hz > 0; }
};

/// F0 tracker: Boersma (1993) "Accurate short-term analysis of the fundamental frequency and the
/// harmonics-to-noise ratio of a sampled sound", IFA Proceedings 17, as Praat's manual documents
/// "Sound: To Pitch (ac)..." (Hanning window of 3 periods of the floor, division by the window's
/// autocorrelation, sinc interpolation of maxima, octave cost, Viterbi path finder with
/// octave-jump and voiced/unvoiced costs). Constructor validates, allocates, plans FFTs (under
/// dyad's FFTW planner lock) and starts the workers of PitchConfig::threads. process() and finish()
/// never allocate. One instance per calling thread.
class PitchTracker {
 public:
  /// Throws std::invalid_argument naming the class and the values when a parameter is out of range.
  explicit PitchTracker(const PitchConfig& config);
  ~PitchTracker();
  PitchTracker(const PitchTracker&) = delete;
  PitchTracker& operator=(const PitchTracker&) = delete;

  /// Clears all history (next sample is sample 0 again); keeps buffers and plans.
  void reset() noexcept;
  /// Feeds the next samples. Writes the frames decided so far (in time order) to `out` and returns
  /// how many. `out` must hold max_output(block.size()) frames. Results do not depend on how the
  /// signal is cut into blocks.
  std::size_t process(std::span<const float> block, std::span<PitchFrame> out) noexcept;
  /// Ends the signal: analyses the frames whose centre is before the end (zeros after it) and
  /// writes every remaining frame. `out` must hold max_output(0) frames.
  std::size_t finish(std::span<PitchFrame> out) noexcept;
  /// Size `out` must have for a block of `block_samples`.
  std::size_t max_output(std::size_t block_samples) const noexcept;

  const PitchConfig& config() const noexcept { return cfg_; }
  /// How many times the path finder had to force a decision (paths disagreeing for longer than
  /// max_undecided_s); 0 means the result equals the whole-signal Viterbi search.
  std::size_t forced_decisions() const noexcept;
  /// Window length in samples.
  std::size_t window_samples() const noexcept { return nw_; }

 private:
  struct Impl;
  PitchConfig cfg_;
  std::size_t nw_ = 0;
  std::unique_ptr<Impl> impl_;
};

/// Parameters of IntensityTracker (Praat's "Sound: To Intensity...").
struct IntensityConfig {
  double sample_rate_hz = 16000;  ///< > 0
  double time_step_s = 0.01;      ///< Praat's automatic step is 0.8 / f0_min_hz; dyad uses 0.01 s
  double first_frame_s = 0;       ///< centre of frame 0
  double f0_min_hz = 75;          ///< Kaiser-20 window of effective length 3.2 / f0_min_hz (total 6.4 / f0_min_hz)
  bool subtract_mean = true;      ///< subtract the window's mean pressure first (Praat's default)
};

/// Intensity in dB re 2e-5 (the signal taken as pascal, as Praat does): the squared signal
/// weighted by a Kaiser window (beta 20.24, sidelobes below -190 dB) of total length
/// 6.4 / f0_min_hz. Frames with no energy give -300 dB (Praat's floor). Never allocates after
/// construction. One instance per thread.
class IntensityTracker {
 public:
  explicit IntensityTracker(const IntensityConfig& config);
  ~IntensityTracker();
  IntensityTracker(const IntensityTracker&) = delete;
  IntensityTracker& operator=(const IntensityTracker&) = delete;
  void reset() noexcept;
  /// Writes the intensity (dB) of each frame completed by this block; returns how many.
  /// `out` must hold max_output(block.size()) values.
  std::size_t process(std::span<const float> block, std::span<double> out) noexcept;
  /// Ends the signal (zeros after it); writes the frames whose centre is before the end.
  std::size_t finish(std::span<double> out) noexcept;
  std::size_t max_output(std::size_t block_samples) const noexcept;
  const IntensityConfig& config() const noexcept { return cfg_; }

 private:
  struct Impl;
  IntensityConfig cfg_;
  std::unique_ptr<Impl> impl_;
};

/// Intensity floor reported for frames without energy (dB), as Praat.
inline constexpr double kIntensityFloorDb = -300.0;

}  // namespace dyad::dsp
