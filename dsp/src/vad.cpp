#include "dyad/dsp/vad.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace dyad::dsp {

namespace {
void check(bool ok, const char* name, double v, const char* expected) {
  if (!ok)
    throw std::invalid_argument(std::string("EnergyVad: ") + name + " must be " + expected + ", got " + std::to_string(v));
}
}  // namespace

EnergyChannelVad::EnergyChannelVad(const EnergyVadConfig& c) : c_(c) {
  check(std::isfinite(c.sample_rate_hz) && c.sample_rate_hz > 0, "sample_rate_hz", c.sample_rate_hz, "> 0");
  check(std::isfinite(c.frame_s) && c.frame_s > 0 && c.frame_s <= 1, "frame_s", c.frame_s, "in (0, 1]");
  check(std::isfinite(c.on_above_floor_db) && c.on_above_floor_db >= 0, "on_above_floor_db", c.on_above_floor_db, ">= 0");
  check(std::isfinite(c.off_above_floor_db) && c.off_above_floor_db >= 0 && c.off_above_floor_db <= c.on_above_floor_db,
        "off_above_floor_db", c.off_above_floor_db, "between 0 and on_above_floor_db");
  check(std::isfinite(c.min_level_dbfs), "min_level_dbfs", c.min_level_dbfs, "finite");
  check(std::isfinite(c.noise_floor_min_dbfs), "noise_floor_min_dbfs", c.noise_floor_min_dbfs, "finite");
  check(std::isfinite(c.noise_rise_db_per_s) && c.noise_rise_db_per_s >= 0, "noise_rise_db_per_s", c.noise_rise_db_per_s, ">= 0");
  check(std::isfinite(c.min_pause_s) && c.min_pause_s >= 0, "min_pause_s", c.min_pause_s, ">= 0");
  check(std::isfinite(c.min_talkspurt_s) && c.min_talkspurt_s >= 0, "min_talkspurt_s", c.min_talkspurt_s, ">= 0");
  frame_len_ = static_cast<std::size_t>(std::max(1.0, std::round(c.sample_rate_hz * c.frame_s)));
  reset();
}

void TalkspurtAssembler::reset() {
  on_ = false;
  pending_ = false;
  last_end_ = -std::numeric_limits<double>::infinity();
  out_.clear();
}

void TalkspurtAssembler::close_raw(double end_s) {
  last_end_ = end_s;
  if (pending_ && raw_start_ - pend_.end_s < min_pause_s_) {
    pend_.end_s = end_s;
    return;
  }
  if (pending_ && pend_.duration_s() >= min_talkspurt_s_) out_.push_back(pend_);
  pend_ = {raw_start_, end_s};
  pending_ = true;
}

void TalkspurtAssembler::frame(bool speech, double t0, double t1, double onset_s) {
  // (NaN: t0) an onset moved back stays after the previous talkspurt, and after a whole pause
  // when that one is already final
  if (speech && !on_) raw_start_ = onset_s < t0 ? std::min(t0, std::max(onset_s, pending_ ? last_end_ : last_end_ + min_pause_s_)) : t0;
  if (!speech && on_) close_raw(t0);
  on_ = speech;
  // A talkspurt followed by a long enough silence is final.
  if (!on_ && pending_ && t1 - pend_.end_s >= min_pause_s_) {
    if (pend_.duration_s() >= min_talkspurt_s_) out_.push_back(pend_);
    pending_ = false;
  }
}

void TalkspurtAssembler::extend_end(double end_s) {
  if (on_ || !pending_ || !(end_s > pend_.end_s)) return;
  pend_.end_s = end_s;
  last_end_ = end_s;
}

void TalkspurtAssembler::finish(double end_s) {
  if (on_) close_raw(end_s);
  on_ = false;
  if (pending_ && pend_.duration_s() >= min_talkspurt_s_) out_.push_back(pend_);
  pending_ = false;
}

void EnergyChannelVad::reset() {
  in_frame_ = 0;
  acc_ = 0;
  frame_index_ = 0;
  floor_db_ = c_.noise_floor_min_dbfs;
  floor_set_ = false;
  asm_ = TalkspurtAssembler(c_.min_pause_s, c_.min_talkspurt_s);
}

void EnergyChannelVad::process(std::span<const float> block) {
  for (float x : block) {
    acc_ += static_cast<double>(x) * x;
    if (++in_frame_ == frame_len_) {
      frame_done(10 * std::log10(acc_ / static_cast<double>(frame_len_) + 1e-30));
      acc_ = 0;
      in_frame_ = 0;
      ++frame_index_;
    }
  }
}

void EnergyChannelVad::frame_done(double e) {
  const double rate = c_.sample_rate_hz;
  const double t0 = static_cast<double>(frame_index_ * static_cast<std::int64_t>(frame_len_)) / rate;
  const double t1 = static_cast<double>((frame_index_ + 1) * static_cast<std::int64_t>(frame_len_)) / rate;
  if (!floor_set_) {
    floor_db_ = std::max(e, c_.noise_floor_min_dbfs);
    floor_set_ = true;
  }
  const bool on = asm_.speaking();
  bool speech = on ? (e >= floor_db_ + c_.off_above_floor_db) : (e > floor_db_ + c_.on_above_floor_db);
  speech = speech && e > c_.min_level_dbfs;
  asm_.frame(speech, t0, t1);
  // Noise floor: down at once, up slowly.
  if (e < floor_db_)
    floor_db_ = std::max(e, c_.noise_floor_min_dbfs);
  else
    floor_db_ = std::min(e, floor_db_ + c_.noise_rise_db_per_s * c_.frame_s);
}

void EnergyChannelVad::finish() {
  const double end = static_cast<double>(frame_index_ * static_cast<std::int64_t>(frame_len_) +
                                         static_cast<std::int64_t>(in_frame_)) / c_.sample_rate_hz;
  if (in_frame_ > 0) {
    // The last, partial frame: decide on its own samples; it ends at the last sample.
    double e = 10 * std::log10(acc_ / static_cast<double>(in_frame_) + 1e-30);
    const bool on = asm_.speaking();
    bool speech = on ? (e >= floor_db_ + c_.off_above_floor_db) : (e > floor_db_ + c_.on_above_floor_db);
    speech = speech && e > c_.min_level_dbfs && floor_set_;
    const double t0 = static_cast<double>(frame_index_ * static_cast<std::int64_t>(frame_len_)) / c_.sample_rate_hz;
    asm_.frame(speech, t0, end);
    in_frame_ = 0;
    acc_ = 0;
  }
  asm_.finish(end);
}

EnergyVad::EnergyVad(const EnergyVadConfig& c, std::size_t channels) : c_(c) {
  ch_.reserve(channels);
  for (std::size_t i = 0; i < channels; ++i) ch_.emplace_back(c);
}

std::vector<NamedParameter> EnergyVad::parameters() const {
  return {{"frame_s", c_.frame_s},
          {"on_above_floor_db", c_.on_above_floor_db},
          {"off_above_floor_db", c_.off_above_floor_db},
          {"min_level_dbfs", c_.min_level_dbfs},
          {"noise_floor_min_dbfs", c_.noise_floor_min_dbfs},
          {"noise_rise_db_per_s", c_.noise_rise_db_per_s},
          {"min_pause_s", c_.min_pause_s},
          {"min_talkspurt_s", c_.min_talkspurt_s}};
}

void EnergyVad::process(std::span<const std::span<const float>> channels) {
  if (channels.size() != ch_.size())
    throw std::invalid_argument("EnergyVad: expected " + std::to_string(ch_.size()) + " channels, got " +
                                std::to_string(channels.size()));
  for (std::size_t c = 0; c < ch_.size(); ++c) ch_[c].process(channels[c]);
}

void EnergyVad::finish() {
  for (auto& c : ch_) c.finish();
}

}  // namespace dyad::dsp
