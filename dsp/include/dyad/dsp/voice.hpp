#pragma once
/// \file Voice quality as Praat documents it: harmonicity ("Sound: To Harmonicity (cc)..."), glottal
/// pulses ("Sound: To PointProcess (periodic, cc)..." = "To Pitch (ac)" then "Sound & Pitch: To
/// PointProcess (cc)"), jitter ("PointProcess: Get jitter (local/local, absolute/rap/ppq5/ddp)..."),
/// shimmer ("Sound & PointProcess: Get shimmer (local/local_dB/apq3/apq5/apq11/dda)...") and the
/// numbers of Praat's "Voice report". Implemented from Boersma (1993) and Praat 6.3's manual; where
/// the manual is silent (the amplitude of a period, the shimmer averaging, the cross-correlation
/// windows of the pulse search) the behaviour was determined by black-box comparison with Praat
/// 6.3.07 on probe signals, not from Praat's source.
///
/// Jitter and shimmer were defined for sustained vowels. On running speech they are exploratory:
/// they mix voice quality with intonation, voice onsets and offsets and the pulse finder's errors.
///
/// Time convention as in pitch.hpp: sample n of the signal is at n / sample_rate_hz.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "dyad/dsp/pitch.hpp"

namespace dyad::dsp {

// ------------------------------------------------------------------------------------------------
// Harmonicity

/// Parameters of HarmonicityTracker: Praat's "To Harmonicity (cc)" standard values.
struct HarmonicityConfig {
  double sample_rate_hz = 16000;    ///< > 0
  double time_step_s = 0.01;        ///< frame spacing, > 0
  double first_frame_s = 0;         ///< centre of frame 0
  double f0_min_hz = 75;            ///< "minimum pitch": the longest period (lag) searched is 1 / f0_min_hz
  double silence_threshold = 0.1;   ///< fraction of the reference peak, [0, 1)
  double periods_per_window = 1.0;  ///< window length in periods of f0_min_hz, (0, 10]
  /// Praat's global absolute peak of the whole sound; 0: the running peak (largest |x| so far).
  double reference_peak = 0;
  /// Refine every autocorrelation maximum, not only those that can be the largest (slower; gives
  /// the same frames on all of bench/eval_prosody's speech, which is how the shortcut was checked).
  bool exhaustive_refinement = false;
};

/// Harmonicity of frames judged silent, as Praat reports them.
inline constexpr double kHarmonicitySilentDb = -200.0;

/// Harmonics-to-noise ratio per frame (dB) by forward cross-correlation (Boersma 1993; Praat's
/// manual "Sound: To Harmonicity (cc)..."; the geometry below was matched to Praat 6.3.07's
/// candidate strengths to 1e-6): with n = floor(periods_per_window * rate / f0_min_hz) and
/// m = floor(rate / f0_min_hz), a span of n + m samples centred on the frame, its mean removed;
/// r(L) = normalised cross-correlation of the span's first 2 (n/2 - 1) samples with as many L
/// samples later, for L = 0 .. min(2 (n/2 - 1), m - 2); every maximum of r above 0 at lags from 2
/// samples (the Nyquist frequency, Praat's ceiling) is refined on the windowed-sinc interpolant of r
/// (70 samples each side, 700 for lags under 1 / 0.3 samples, fewer near the last lag) and the
/// largest gives r_max; HNR = 10 log10(r_max / (1 - r_max)). A frame is silent (kHarmonicitySilentDb)
/// when r has no maximum above 0 or when 2 - (local peak / reference peak) / silence_threshold is at
/// least r_max (Praat's unvoiced candidate with voicing threshold 0 and no path costs); the local
/// peak is the largest |x - mean| within n samples centred on the frame. FFT cross-correlation;
/// frames certainly silent are not correlated, and maxima that cannot be the largest are not
/// refined (both exact). One instance per thread; never allocates after construction.
class HarmonicityTracker {
 public:
  /// Throws std::invalid_argument naming the class and the values when a parameter is out of range.
  explicit HarmonicityTracker(const HarmonicityConfig& config);
  ~HarmonicityTracker();
  HarmonicityTracker(const HarmonicityTracker&) = delete;
  HarmonicityTracker& operator=(const HarmonicityTracker&) = delete;
  void reset() noexcept;
  /// Writes the HNR (dB) of each frame completed by this block; returns how many. `out` must hold
  /// max_output(block.size()) values. Results do not depend on how the signal is cut into blocks.
  std::size_t process(std::span<const float> block, std::span<double> out) noexcept;
  /// Ends the signal (zeros after it); writes the frames whose centre is before the end.
  std::size_t finish(std::span<double> out) noexcept;
  std::size_t max_output(std::size_t block_samples) const noexcept;
  const HarmonicityConfig& config() const noexcept { return cfg_; }
  /// Frames analysed so far whose cross-correlation was computed (the others were silent for sure).
  std::size_t correlated_frames() const noexcept;

 private:
  struct Impl;
  HarmonicityConfig cfg_;
  std::unique_ptr<Impl> impl_;
};

// ------------------------------------------------------------------------------------------------
// Glottal pulses

/// One glottal pulse (a point of Praat's PointProcess) with the amplitude of its period.
struct GlottalPulse {
  double time_s = 0;
  /// Praat's peak amplitude of the pulse ("To AmplitudeTier (period)"): the RMS of the signal
  /// weighted by a squared two-sided Hann window reaching 0.2 of the previous period before the pulse
  /// and 0.2 of the next period after it: sqrt(sum w^2 x^2 / sum w^2). NaN for a pulse without a
  /// previous or next pulse within PulseConfig::amplitude_max_period_s.
  float amplitude = 0;
};

/// Parameters of PulseTracker. The pitch range must be the one the pitch frames were made with.
struct PulseConfig {
  double sample_rate_hz = 16000;  ///< > 0
  double time_step_s = 0.01;      ///< spacing of the pitch frames fed in
  double first_frame_s = 0;       ///< centre of the first pitch frame fed in
  double f0_min_hz = 75;          ///< the pitch floor of the frames (bounds the longest period)
  /// A voiced stretch longer than this is analysed in pieces of this length (never in speech).
  double max_interval_s = 10;
  /// How late the pitch frames may arrive behind the samples (PitchConfig::max_undecided_s + margin).
  double max_latency_s = 31;
  /// Amplitudes are measured only for pulses whose previous and next periods are at most this long
  /// (shimmer ignores longer periods anyway: Praat's longest period is 0.02 s).
  double amplitude_max_period_s = 0.05;
  /// Praat's global absolute peak of the whole sound: a pulse whose period of signal peaks below
  /// 0.01 of it is dropped (0.023333 for the extra pulse past an interval's edge). 0: the running
  /// peak (largest |x| so far), which differs from Praat's only before the recording's loudest sample.
  double reference_peak = 0;
};

/// Glottal pulses by waveform matching, as Praat's manual describes "Sound & Pitch: To PointProcess
/// (cc)": for every voiced interval of the pitch track (consecutive voiced frames, each frame
/// counting half a step either side), the first pulse is the absolute extremum of the signal
/// within half a period of the interval's midpoint; from it, pulses are searched to the left and to
/// the right between 0.8 and 1.25 periods away (period from the pitch track, linearly interpolated)
/// at the maximum of the normalised cross-correlation of one period of signal around the last pulse
/// with one period around the candidate (parabolic interpolation between samples), until the search
/// passes the interval's edge, where one more pulse is kept if its correlation exceeds 0.7; pulses
/// with a correlation below 0.3 are dropped. The details the manual leaves open were found by
/// comparing pulses with Praat 6.3.07's on real speech (from Praat's own pitch frames the pulses
/// then match Praat's 99.99 % within 0.5 ms, most to 1 us): sample ranges rounded outwards; the
/// reference window from the sample nearest t - T/2 to the one nearest t + T/2; the largest local
/// maximum of the correlation, two starts before the search range counting as correlation 0 (no
/// maximum at all: the chain skips a period); pulses whose period of signal peaks below 0.01 of the
/// global peak dropped (0.0233 for the extra pulse past the edge; never the first pulse); a
/// leftward chain's pulse within 0.8 periods after the last pulse of an earlier interval's
/// rightward chain dropped. Streaming: feed each block of samples together with the pitch frames
/// decided so far; pulses come out in time order once no later interval can add a pulse before
/// them. Memory is bounded by max_interval_s + max_latency_s of samples. One instance per thread.
class PulseTracker {
 public:
  explicit PulseTracker(const PulseConfig& config);
  ~PulseTracker();
  PulseTracker(const PulseTracker&) = delete;
  PulseTracker& operator=(const PulseTracker&) = delete;
  void reset() noexcept;
  /// The next samples, then the pitch frames the pitch tracker emitted after seeing them (frames in
  /// order, consecutive, on the configured grid). Appends finished pulses to `out` (may allocate when
  /// `out` grows). Results do not depend on how the signal is cut into blocks.
  void process(std::span<const float> block, std::span<const PitchFrame> frames, std::vector<GlottalPulse>& out);
  /// Ends the signal: the last frames (from PitchTracker::finish), then every remaining pulse.
  void finish(std::span<const PitchFrame> frames, std::vector<GlottalPulse>& out);
  const PulseConfig& config() const noexcept { return cfg_; }
  /// Voiced intervals cut because they were longer than max_interval_s.
  std::size_t cut_intervals() const noexcept;

 private:
  struct Impl;
  PulseConfig cfg_;
  std::unique_ptr<Impl> impl_;
};

/// Sets GlottalPulse::amplitude of every pulse from a whole signal (sample n at n / sample_rate_hz),
/// as PulseTracker does: NaN when the previous or next pulse is missing or farther than
/// max_period_s, or when the window leaves the signal. `pulses` must be sorted.
void period_amplitudes(std::span<const float> signal, double sample_rate_hz, std::span<GlottalPulse> pulses,
                       double max_period_s = 0.05);

// ------------------------------------------------------------------------------------------------
// Jitter and shimmer

/// Settings of the period and amplitude perturbation measures: Praat's standard values for
/// "Get jitter (...)" and "Get shimmer (...)". The voice report uses 0.8 / f0_max as floor and
/// 1.25 / f0_min as ceiling instead.
struct PerturbationConfig {
  double period_floor_s = 0.0001;    ///< shortest period used
  double period_ceiling_s = 0.02;    ///< longest period used
  double max_period_factor = 1.3;    ///< largest ratio of consecutive periods used
  double max_amplitude_factor = 1.6; ///< largest ratio of consecutive amplitudes used
};

/// Jitter and shimmer of a sequence of pulses (NaN when undefined: too few usable periods).
struct VoiceQuality {
  std::size_t pulses = 0;       ///< pulses given
  std::size_t periods = 0;      ///< periods counted in the mean period
  double mean_period_s = 0;     ///< mean of those periods
  double sd_period_s = 0;       ///< their sample standard deviation (n - 1)
  double jitter_local = 0;      ///< mean |T_i - T_i-1| / mean period (fraction)
  double jitter_local_abs_s = 0;///< mean |T_i - T_i-1| (s)
  double jitter_rap = 0;        ///< mean |T_i - (T_i-1 + T_i + T_i+1) / 3| / mean period
  double jitter_ppq5 = 0;       ///< mean |T_i - mean of T_i-2..T_i+2| / mean period
  double jitter_ddp = 0;        ///< mean |(T_i+1 - T_i) - (T_i - T_i-1)| / mean period (= 3 RAP)
  std::size_t amplitudes = 0;   ///< periods with an amplitude (Praat's AmplitudeTier points)
  double shimmer_local = 0;     ///< mean |A_k - A_k-1| / mean amplitude (fraction)
  double shimmer_local_db = 0;  ///< mean |20 log10(A_k / A_k-1)| (dB)
  double shimmer_apq3 = 0;      ///< mean |A_k - mean of A_k-1..A_k+1| / mean amplitude
  double shimmer_apq5 = 0;      ///< the same over 5 amplitudes
  double shimmer_apq11 = 0;     ///< the same over 11 amplitudes
  double shimmer_dda = 0;       ///< mean |(A_k+1 - A_k) - (A_k - A_k-1)| / mean amplitude (= 3 APQ3)
};

/// Jitter per Praat's manual ("PointProcess: Get jitter (...)"): T_i are the intervals between
/// consecutive pulses; a term is used only when every interval in it lies within [floor, ceiling]
/// and every ratio of adjacent intervals in it is at most max_period_factor; the mean period counts
/// every interval within [floor, ceiling] that has a neighbour within [floor, ceiling] and within
/// the factor. Shimmer as Praat 6.3 computes it (determined by probing): the amplitude of pulse i
/// (GlottalPulse::amplitude) counts when both its intervals lie within [floor, ceiling] with a
/// ratio at most max_period_factor; consecutive counted amplitudes form a term when their pulses
/// are within [floor, ceiling] of each other and their ratio is at most max_amplitude_factor; the
/// mean amplitude is the mean of the counted amplitudes but the last. `pulses` must be sorted.
VoiceQuality voice_quality(std::span<const GlottalPulse> pulses, const PerturbationConfig& config = {});

/// voice_quality() of a pulse train too long to hold, fed in pieces split where consecutive pulses
/// are more than period_ceiling_s apart (no term, mean or amplitude pair spans such a gap, so the
/// sums add up exactly; the sample SD of the period is merged from the pieces' means and squared
/// deviations). One piece gives voice_quality() itself.
class VoiceQualityAccumulator {
 public:
  explicit VoiceQualityAccumulator(const PerturbationConfig& config = {}) : c_(config) {}
  /// The next piece (sorted, after the previous one, separated from it by more than the ceiling).
  void add(std::span<const GlottalPulse> pulses);
  VoiceQuality result() const;

 private:
  PerturbationConfig c_;
  std::size_t pulses_ = 0, periods_ = 0, local_n_ = 0, rap_n_ = 0, ppq5_n_ = 0;
  double period_sum_ = 0, period_m2_ = 0, local_s_ = 0, rap_s_ = 0, ddp_s_ = 0, ppq5_s_ = 0;
  std::size_t amplitudes_ = 0, sh_n_ = 0, apq_n_[3] = {0, 0, 0}, dda_n_ = 0;
  double amp_sum_ = 0, last_amp_ = 0, sh_s_ = 0, sh_db_ = 0, apq_s_[3] = {0, 0, 0}, dda_s_ = 0;
  std::vector<double> T_, ta_, A_;
  std::vector<unsigned char> pair_;
};

/// The numbers of Praat's "Voice report" (Sound, Pitch and PointProcess selected) for [start_s, end_s].
struct VoiceReport {
  double start_s = 0, end_s = 0;
  // Pitch: voiced frames with centres in the range (Hz); min/max refined by parabolic interpolation
  std::size_t voiced_frames = 0;
  double f0_median_hz = 0, f0_mean_hz = 0, f0_sd_hz = 0, f0_min_hz = 0, f0_max_hz = 0;
  // Pulses and periods (floor 0.8 / f0_max, ceiling 1.25 / f0_min); jitter and shimmer likewise
  VoiceQuality quality;
  // Voicing
  std::size_t frames = 0;                ///< pitch frames with centres in the range
  std::size_t locally_unvoiced_frames = 0;
  std::size_t voice_breaks = 0;          ///< intervals between consecutive pulses longer than 1.25 / f0_min
  double voice_break_s = 0;              ///< their total duration
  // Harmonicity of the voiced frames, from their autocorrelation strength r
  double mean_autocorrelation = 0;       ///< mean r
  double mean_nhr = 0;                   ///< mean (1 - r) / r
  double mean_hnr_db = 0;                ///< mean 10 log10(r / (1 - r))
};

/// Settings of the voice report (Praat's "Voice report..." arguments).
struct VoiceReportConfig {
  double f0_min_hz = 75, f0_max_hz = 600;
  double max_period_factor = 1.3, max_amplitude_factor = 1.6;
  double silence_threshold = 0.03, voicing_threshold = 0.45;
  double reference_peak = 1;  ///< the global peak the pitch analysis used (for locally unvoiced frames)
};

/// Praat's voice report over [start_s, end_s] from the whole pitch track and all pulses (sorted).
VoiceReport voice_report(std::span<const PitchFrame> frames, std::span<const GlottalPulse> pulses, double start_s,
                         double end_s, const VoiceReportConfig& config);

}  // namespace dyad::dsp
