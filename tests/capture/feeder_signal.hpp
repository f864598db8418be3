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
