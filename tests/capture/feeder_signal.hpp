#pragma once
/// \file The feeder's known signal: channel c at JACK frame k. Exact in float32 (20-bit
/// integers over 2^19), unique within 2^20 frames, different on every channel.
#include <cstdint>

namespace dyad::test {
inline float feeder_value(std::uint64_t k, int c) {
  const std::uint64_t v = (k * (c == 0 ? 1u : 7919u) + static_cast<std::uint64_t>(c) * 12345u) % 1048576u;
  return static_cast<float>(static_cast<double>(v) - 524288.0) / 524288.0f;
}
/// The frame k (mod 2^20) whose channel-0 value is x.
inline std::int64_t feeder_frame_of(float x) { return static_cast<std::int64_t>(static_cast<double>(x) * 524288.0 + 524288.0 + 0.5); }
}  // namespace dyad::test

#include <cstddef>
#include <vector>

namespace dyad::test {
/// Result of comparing a 2-channel capture of the feeder with its signal.
struct FeederCheck {
  std::int64_t compared = 0;        ///< frames outside dropouts compared with the source
  std::int64_t mismatched = 0;      ///< of those, frames that differ from the source
  std::int64_t nonzero_in_dropout = 0;  ///< frames inside a listed dropout that are not zeros
  std::int64_t losses = 0;          ///< dropouts after which the source moved on by the dropout's length
  std::int64_t slips = 0;           ///< dropouts after which the source did not move on (see below)
  std::int64_t bad_jumps = 0;       ///< segments whose source offset is neither: a real error
};

/// Checks interleaved stereo `x` against the feeder, given which frames are listed dropouts.
/// Each stretch between dropouts must be one contiguous run of the source on both channels
/// (never rotated), and each dropout zeros. Across a dropout of L frames the source must have
/// moved on by L (frames the device lost: the source played on) or by 0 (or in between): a *slip*, which the
/// JACK dummy driver makes when a cycle runs late (it re-anchors its clock; no sample is lost but
/// time is, and the recorder rightly fills that time so frame n stays at n / rate).
inline FeederCheck check_feeder_capture(const std::vector<float>& x, const std::vector<char>& dropped) {
  FeederCheck r;
  const auto n = static_cast<std::int64_t>(dropped.size());
  std::int64_t offset = 0, run = 0;  // source frame = file frame + offset (mod 2^20)
  bool have = false;
  for (std::int64_t f = 0; f < n; ++f) {
    const auto i = static_cast<std::size_t>(2 * f);
    if (dropped[static_cast<std::size_t>(f)]) {
      if (x[i] != 0.0f || x[i + 1] != 0.0f) ++r.nonzero_in_dropout;
      ++run;
      continue;
    }
    if (!have || run > 0) {
      const std::int64_t o = ((feeder_frame_of(x[i]) - f) % 1048576 + 1048576) % 1048576;
      if (have) {
        // loss: the source played on during the dropout, so the offset is unchanged;
        // slip: the source waited, so it now lags the file by the dropout's length
        // (a late cycle can be both: the source moved on by between 0 and the dropout's length)
        const std::int64_t moved = ((o - offset) % 1048576 + 1048576 + 524288) % 1048576 - 524288;  // -run..0
        if (moved == 0) ++r.losses;
        else if (moved >= -run && moved < 0) ++r.slips;
        else ++r.bad_jumps;
      }
      offset = o;
      have = true;
      run = 0;
    }
    const auto k = static_cast<std::uint64_t>(f + offset + (1LL << 40));
    if (x[i] != feeder_value(k, 0) || x[i + 1] != feeder_value(k, 1)) ++r.mismatched;
    ++r.compared;
  }
  return r;
}
}  // namespace dyad::test
