#pragma once
/// \file Voice activity detection: talkspurts per audio channel, streaming.
///
/// `VoiceActivityDetector` is the interface the analysis pipeline drives: it gets every channel's
/// block of one time span together (so a detector may compare channels, e.g. to reject crosstalk,
/// issue 7) and yields closed talkspurts per channel. `EnergyVad` is the simple per-channel
/// implementation: frame energy against an adaptive noise floor, with hysteresis, then bridging of
/// short pauses and removal of short talkspurts. It does not reject crosstalk.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
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
  std::vector<Interval> take() { return std::exchange(out_, {}); }
  double noise_floor_dbfs() const noexcept { return floor_db_; }

 private:
  void frame_done(double energy_db);
  void close_raw(double end_s);

  EnergyVadConfig c_;
  std::size_t frame_len_ = 480;
  std::size_t in_frame_ = 0;
  double acc_ = 0;
  std::int64_t frame_index_ = 0;
  double floor_db_ = 0;
  bool floor_set_ = false;
  bool on_ = false;
  double raw_start_ = 0;
  bool pending_ = false;  // a talkspurt waiting to see whether the next pause is long enough
  Interval pend_{};
  std::vector<Interval> out_;
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

}  // namespace dyad::dsp
