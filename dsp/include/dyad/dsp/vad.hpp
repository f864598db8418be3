#pragma once
/// \file Voice activity detection: talkspurts per audio channel, streaming.
///
/// `VoiceActivityDetector` is the interface the analysis pipeline drives: it gets every channel's
/// block of one time span together (so a detector may compare channels) and yields closed
/// talkspurts per channel. Two implementations:
///  - `CrosstalkVad` (the default of `dyad analyze`, issue 7): every partner's own voice, with the
///    other partners' voices leaking into the microphone rejected. Band energies of all channels;
///    the leak path from each microphone to each other one (gain per band) is learned from the data
///    in frames where one partner clearly talks alone; a channel speaks when its band energies
///    clearly exceed its noise floor plus the leak that the other channels predict.
///  - `EnergyVad`: frame energy against an adaptive noise floor, per channel. It does not reject
///    crosstalk.
/// Both end with the same `TalkspurtAssembler`: bridging of short pauses and removal of short
/// talkspurts.
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dyad/dsp/types.hpp"

namespace dyad::dsp {

/// A named numeric parameter of a detector, written with the results (summary.json).
struct NamedParameter {
  std::string name;  ///< with its unit, e.g. "min_pause_s"
  double value = 0;
};

/// Streaming voice activity for several channels at one sample rate. One thread per instance.
class VoiceActivityDetector {
 public:
  virtual ~VoiceActivityDetector() = default;
  /// Short name written with the results, e.g. "energy".
  virtual std::string name() const = 0;
  /// Every parameter in effect.
  virtual std::vector<NamedParameter> parameters() const = 0;
  /// Number of channels it was made for.
  virtual std::size_t channels() const = 0;
  /// The next block of every channel: channels[c] holds the same number of samples for every c,
  /// continuing where the previous call stopped. Blocks may have any length (results do not
  /// depend on how the input is cut).
  virtual void process(std::span<const std::span<const float>> channels) = 0;
  /// True when channel c can be processed on its own (process_channel may then be called for each
  /// channel, from different threads, instead of process).
  virtual bool independent_channels() const { return false; }
  /// Processes one channel's next block; only when independent_channels().
  virtual void process_channel(std::size_t /*c*/, std::span<const float> /*block*/) {}
  /// Ends the input: closes the talkspurts still open.
  virtual void finish() = 0;
  /// Talkspurts of channel c closed so far (seconds from the first sample), in time order; the
  /// list is moved out, so each talkspurt is returned once.
  virtual std::vector<Interval> take(std::size_t c) = 0;
};

/// Per-frame speech decisions -> talkspurts: silences shorter than min_pause_s inside speech are
/// bridged, then talkspurts shorter than min_talkspurt_s are dropped. Times in seconds. One thread.
class TalkspurtAssembler {
 public:
  TalkspurtAssembler(double min_pause_s = 0.2, double min_talkspurt_s = 0.1) : min_pause_s_(min_pause_s), min_talkspurt_s_(min_talkspurt_s) {}
  void reset();
  /// The decision of the frame [t0_s, t1_s); frames must follow each other without holes. When
  /// speech starts in this frame, `onset_s` (<= t0_s; NaN: t0_s) is where it is taken to start:
  /// a detector may move an onset back over frames just before it (never before the end of the
  /// previous talkspurt).
  void frame(bool speech, double t0_s, double t1_s, double onset_s = std::numeric_limits<double>::quiet_NaN());
  /// While no talkspurt is open, moves the end of the last one forward to end_s (a detector may
  /// extend an end over frames just after it); nothing when that talkspurt is already final.
  void extend_end(double end_s);
  /// Ends the input at end_s (a talkspurt still open ends there).
  void finish(double end_s);
  bool speaking() const noexcept { return on_; }
  /// Talkspurts closed so far (moved out).
  std::vector<Interval> take() { return std::exchange(out_, {}); }

 private:
  void close_raw(double end_s);
  double min_pause_s_, min_talkspurt_s_;
  bool on_ = false;
  double raw_start_ = 0;
  bool pending_ = false;  // a talkspurt waiting to see whether the next pause is long enough
  Interval pend_{};
  double last_end_ = -std::numeric_limits<double>::infinity();  // end of the last raw talkspurt
  std::vector<Interval> out_;
};

/// Parameters of EnergyVad. Levels are frame mean-square energies in dB relative to full scale.
struct EnergyVadConfig {
  double sample_rate_hz = 48000;
  double frame_s = 0.01;             ///< analysis frame (and time resolution)
  double on_above_floor_db = 12;     ///< a frame is speech when it is this far above the noise floor ...
  double off_above_floor_db = 6;     ///< ... and stays speech until it falls below this (hysteresis)
  double min_level_dbfs = -60;       ///< frames below this level are never speech
  double noise_floor_min_dbfs = -100;  ///< the noise floor never goes below this (digital silence)
  double noise_rise_db_per_s = 0.5;  ///< the floor follows a quieter frame at once, a louder one at this rate
  double min_pause_s = 0.2;          ///< silences shorter than this inside speech are bridged
  double min_talkspurt_s = 0.1;      ///< talkspurts shorter than this (after bridging) are dropped
};

/// The energy detector of one channel. process() allocates only when a talkspurt closes.
class EnergyChannelVad {
 public:
  /// Throws std::invalid_argument naming the parameter when a value is out of range.
  explicit EnergyChannelVad(const EnergyVadConfig& c);
  void reset();
  void process(std::span<const float> block);
  void finish();
  std::vector<Interval> take() { return asm_.take(); }
  double noise_floor_dbfs() const noexcept { return floor_db_; }

 private:
  void frame_done(double energy_db);

  EnergyVadConfig c_;
  std::size_t frame_len_ = 480;
  std::size_t in_frame_ = 0;
  double acc_ = 0;
  std::int64_t frame_index_ = 0;
  double floor_db_ = 0;
  bool floor_set_ = false;
  TalkspurtAssembler asm_;
};

/// EnergyChannelVad on every channel; channels are independent.
class EnergyVad : public VoiceActivityDetector {
 public:
  EnergyVad(const EnergyVadConfig& c, std::size_t channels);
  std::string name() const override { return "energy"; }
  std::vector<NamedParameter> parameters() const override;
  std::size_t channels() const override { return ch_.size(); }
  void process(std::span<const std::span<const float>> channels) override;
  bool independent_channels() const override { return true; }
  void process_channel(std::size_t c, std::span<const float> block) override { ch_.at(c).process(block); }
  void finish() override;
  std::vector<Interval> take(std::size_t c) override { return ch_.at(c).take(); }

 private:
  EnergyVadConfig c_;
  std::vector<EnergyChannelVad> ch_;
};

/// Parameters of CrosstalkVad. Powers are mean squares re full scale (dBFS); "dB above" compares
/// powers. Defaults are `dyad analyze`'s.
struct CrosstalkVadConfig {
  double sample_rate_hz = 48000;
  double frame_s = 0.01;              ///< hop between decisions, and the time resolution of talkspurts
  double window_s = 0.016;            ///< Hann window centred on each frame for the band energies
  double analysis_rate_hz = 16000;    ///< channels are decimated (means of k samples) to the lowest rate >= 0.9 times this whose k divides the frame
  int bands = 16;                     ///< mel-spaced bands between band_low_hz and band_high_hz
  double band_low_hz = 100;
  double band_high_hz = 8000;         ///< clipped to the analysis Nyquist frequency
  double on_db = -2;                  ///< a channel starts speaking when its own energy is this far above its noise floor plus the predicted leak ...
  double off_db = -6;                 ///< ... and keeps speaking while it stays this far above (hysteresis)
  double min_level_dbfs = -60;        ///< frames quieter than this are never speech
  double noise_floor_min_dbfs = -100; ///< the noise floor of a band never goes below this (digital silence)
  double noise_rise_db_per_s = 0.5;   ///< a band's lower envelope follows a quieter frame at once, a louder one at this rate
  double noise_memory_s = 0.2;        ///< the noise floor is the mean of the silent frames with this time constant ...
  double noise_above_envelope_db = 6; ///< ... kept between the band's lower envelope and this far above it
  double leak_margin_db = 3;          ///< the predicted leak is raised by this before it is compared (the leak's spread from frame to frame)
  double leak_prior_db = -12;         ///< leak gain (per band) assumed before any is learned
  double leak_prior_s = 0.5;          ///< weight of that assumption, in seconds of solo speech
  double leak_memory_s = 60;          ///< the learned leak forgets older frames with this time constant (partners may move)
  double leak_quantile = 0.85;        ///< the leak gain of a band is this quantile of the energy ratios seen in solo frames
  double solo_snr_db = 15;            ///< a channel teaches the leak only in frames this far above its noise floor ...
  double solo_dominance_db = 3;       ///< ... and this far above every other channel ...
  double solo_band_snr_db = 10;       ///< ... and only in bands where it is this far above its noise floor
  double max_leak_delay_s = 0.02;     ///< the leak may arrive this late (direct path; the predicted leak holds its maximum this long)
  double leak_decay_db_per_s = 200;   ///< after a partner stops, the predicted leak decays no faster than this (room reverberation)
  double cancel_length_s = 0.05;      ///< leak cancellation: each microphone's leak from every other one is predicted by an adaptive filter this long (from the other microphones' signals) and subtracted before the decision; 0: off
  double cancel_step = 0.1;           ///< its normalized step size (0, 1]; it adapts only in frames where the other partner talks alone ...
  double cancel_dominance_db = 6;     ///< ... (that partner speaks, nobody else does, and their raw microphone is this far above every other one)
  double cancel_floor_db = 15;        ///< the filter's step is normalized by the other microphone's power per bin plus its noise floor raised by this (bins with only noise hardly adapt)
  double cancel_idle_db = 3;          ///< nothing is cancelled while every other microphone has stayed within this of its noise floor over the filter's length (saves time in silence)
  double cancel_adapt_above_noise_db = 3; ///< a filter into a microphone adapts only while the residual there is this far above its noise floor (the leak left below that is lost in the noise; adapting on it only adds noise to the filter)
  double below_speech_level_db = 25;  ///< own energy more than this below the channel's active speech level is not speech
  double speech_level_memory_s = 10;  ///< time constant of that level (mean own power of the speech frames ...
  double speech_level_window_db = 20; ///< ... within this of it)
  double leak_cap_db = 0;             ///< while a channel speaks, the predicted leak counted against its own energy is at most the channel's power, bin by bin, raised by this (100: no cap)
  double onset_back_db = -10;         ///< a talkspurt's start is moved back over the frames just before it whose own energy was this far above the noise floor plus the predicted leak ...
  double onset_back_s = 0.05;         ///< ... by at most this (0: off)
  double end_hold_db = 4;             ///< a talkspurt's end is moved forward over the frames just after it whose power in the bands stayed this far above the noise floor ...
  double end_hold_below_speech_level_db = 22; ///< ... and within this of the channel's active speech level ...
  double end_hold_drop_db = 6;        ///< ... the first of them at most this far below the talkspurt's last frame (a voice fading out, not one that stopped) ...
  double end_hold_gap_s = 0;          ///< ... with gaps of at most this between them ...
  double end_hold_s = 0.1;            ///< ... by at most this (0: off)
  double min_pause_s = 0.2;           ///< silences shorter than this inside speech are bridged
  double min_talkspurt_s = 0.1;       ///< talkspurts shorter than this (after bridging) are dropped
};

/// Sets the parameter called `name` (as CrosstalkVad::parameters() names it) to `value`; false
/// when there is no such parameter. Values are checked when a CrosstalkVad is made.
bool set_parameter(CrosstalkVadConfig& c, std::string_view name, double value);

/// Voice activity per channel that rejects the other channels' voices leaking into it
/// (issue 7). Works for any number of channels (two partners, a therapist; one channel is a plain
/// noise-floor detector).
///
/// Per frame (frame_s), each channel is decimated to about analysis_rate_hz and its power spectrum
/// P[b] taken with a Hann window (window_s) centred on the frame; bins are grouped into mel-spaced
/// bands k. Each band keeps a noise floor N[k]: the mean power of frames where nothing is heard in
/// that channel, kept between the band's lower envelope (down at once, up at noise_rise_db_per_s)
/// and 6 dB above it. The leak from channel j into channel i is modelled bin by bin as
/// G_ji[k] * L_j[b], where L_j is j's power above its floor, held at its maximum over
/// max_leak_delay_s and decaying at most leak_decay_db_per_s (the path's delay and the room's
/// reverberation). The gain G_ji[k] of each band is learned from the data: in frames where j is at
/// least solo_snr_db above its floor and solo_dominance_db above every other channel (j very
/// probably talks alone), the ratio of i's band power above its floor to j's (held) goes into a
/// histogram per band (forgetting with leak_memory_s); G is its leak_quantile (the prior:
/// leak_prior_db, weighted as leak_prior_s of solo speech). Decision for channel i: the predicted
/// leak, raised by leak_margin_db, is removed from every bin, R[b] = max(P[b] - margin * leak[b], 0);
/// own = sum_k max(sum_{b in k} R[b] - N[k], 0); i speaks when own / sum_k (N[k] + margin * leak[k])
/// exceeds on_db (off_db to continue), the frame is louder than min_level_dbfs and own is within
/// below_speech_level_db of i's active speech level (the mean own power of its speech frames,
/// time constant speech_level_memory_s). While i speaks, the leak in that denominator is capped
/// bin by bin at i's power P[b] raised by leak_cap_db (a prediction above what is heard is an
/// overestimate; uncapped it ends a partner's soft speech early when the other talks over it).
/// When i starts speaking, the start is moved back over the frames just before (at most
/// onset_back_s) whose ratio was at least onset_back_db, louder than min_level_dbfs and within
/// below_speech_level_db of the speech level (a hysteresis backwards: the voice's rise from the
/// noise). When i stops speaking, the end is moved forward over the frames just after it (at most
/// end_hold_s, gaps of at most end_hold_gap_s) whose power in the bands stayed end_hold_db above
/// the noise floor and within end_hold_below_speech_level_db of the speech level, the first of them
/// at most end_hold_drop_db below the talkspurt's last frame: the tail of a voice fading into the
/// noise, or a soft ending under the other partner's leak that the predicted leak (an upper
/// estimate) hides while the cancellation's residual still shows it; not after a voice that
/// stopped at once. Those frames stay non-speech for every other purpose (the decision's state,
/// the leak and cancellation), except that they do not update the noise floor. Decisions then go
/// through TalkspurtAssembler (min_pause_s, min_talkspurt_s).
///
/// Before all this, the leak is cancelled in the time domain (cancel_length_s > 0, two or more
/// channels): for every microphone i and every other one j, an adaptive FIR filter of
/// cancel_length_s predicts j's leak into i from j's (decimated) signal and it is subtracted, as an
/// acoustic echo canceller does: a partitioned-block frequency-domain NLMS (blocks of one frame,
/// transforms of two), adapted only in frames where j talks alone (j speaks and is solo_snr_db
/// above its floor, no other channel speaks, j's raw block is cancel_dominance_db above every
/// other microphone's), with the step normalized per bin by j's power plus its noise floor raised
/// by cancel_floor_db, frozen otherwise, and only while i's residual is cancel_adapt_above_noise_db
/// above i's noise floor. The filter j -> i runs only while j may be heard in i (j spoke within the
/// filter's span, or j's raw block is at least as loud as i's while i has been silent for longer
/// than max_leak_delay_s, and j is not within cancel_idle_db of its floor); j's block spectra are
/// taken only when a filter needs them. The decision above
/// then runs on the residual, and the band gains learn the leak left in it.
///
/// Streaming with bounded memory; results do not depend on how the input is cut into blocks.
/// process() does not allocate except when talkspurts close. One thread per instance; several
/// instances may be made on different threads (FFTW planning is serialised).
class CrosstalkVad : public VoiceActivityDetector {
 public:
  /// Validates (std::invalid_argument naming the parameter and value), allocates, plans the FFT.
  CrosstalkVad(const CrosstalkVadConfig& c, std::size_t channels);
  ~CrosstalkVad() override;
  CrosstalkVad(const CrosstalkVad&) = delete;
  CrosstalkVad& operator=(const CrosstalkVad&) = delete;

  std::string name() const override { return "crosstalk"; }
  std::vector<NamedParameter> parameters() const override;
  std::size_t channels() const override;
  void process(std::span<const std::span<const float>> channels) override;
  void finish() override;
  std::vector<Interval> take(std::size_t c) override;
  /// Clears all history and learned leaks.
  void reset();

  /// The learned leak gain from channel `from` into channel `to`: energy-weighted over the bands
  /// (dB), for diagnostics and tests.
  double leak_gain_db(std::size_t from, std::size_t to) const;
  /// How much the leak cancellation lowered microphone c's power in the frames where another
  /// partner talked alone (residual over raw power, dB; 0 before any such frame or without
  /// cancellation), for diagnostics and tests.
  double cancelled_db(std::size_t c) const;
  /// Noise floor of channel c summed over the bands (dBFS).
  double noise_floor_dbfs(std::size_t c) const;
  /// The analysis rate actually used (Hz) and the number of bands.
  double analysis_rate_hz() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> p_;
};

}  // namespace dyad::dsp
