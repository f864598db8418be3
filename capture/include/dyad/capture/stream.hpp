#pragma once
/// \file A PortAudio input stream that hands each callback's block to a sink (the Recorder, or
/// the pre-flight level probe), and measures how long each callback took.
#include <array>
#include <atomic>
#include <cstdint>
#include <limits>
#include <algorithm>
#include <string>
#include <vector>

#include "dyad/capture/devices.hpp"

namespace dyad::capture {

class Recorder;

/// Callback durations in 1 µs bins up to 50 ms (longer ones land in the last bin). The
/// real-time thread adds (wait-free, relaxed atomics); any thread reads.
class DurationHistogram {
 public:
  static constexpr std::size_t kBins = 50001;
  void add(std::int64_t ns) noexcept {
    auto us = static_cast<std::size_t>(ns < 0 ? 0 : ns / 1000);
    bins_[std::min(us, kBins - 1)].fetch_add(1, std::memory_order_relaxed);
    max_ns_store(ns);
  }
  /// Duration in seconds below which `q` (0..1) of the callbacks fall (bin upper edge).
  double quantile_s(double q) const;
  double max_s() const noexcept { return static_cast<double>(max_ns_.load(std::memory_order_relaxed)) * 1e-9; }
  std::int64_t count() const;

 private:
  void max_ns_store(std::int64_t ns) noexcept {
    std::int64_t cur = max_ns_.load(std::memory_order_relaxed);
    while (ns > cur && !max_ns_.compare_exchange_weak(cur, ns, std::memory_order_relaxed)) {
    }
  }
  std::array<std::atomic<std::uint32_t>, kBins> bins_{};
  std::atomic<std::int64_t> max_ns_{0};
};

/// Finds an input device by index ("3") or by name (exact, else a unique case-insensitive
/// substring) with at least `channels` input channels. Throws std::runtime_error naming the
/// candidates ("no input device matches 'x'; input devices: 0 'hw:...' (2 ch), ...").
DeviceInfo find_input_device(const std::string& name_or_index, int channels);

struct StreamParams {
  int device = -1;
  int channels = 2;                      ///< interleaved channels opened (1..max input channels)
  double sample_rate_hz = 48000;
  unsigned long frames_per_buffer = 256;
  bool low_latency = false;              ///< PortAudio's low (true) or high suggested input latency
};

/// One PortAudio float32 input stream (paClipOff | paDitherOff). Needs a live PortAudioSession.
/// Control thread only; the callback runs on PortAudio's real-time thread.
class InputStream {
 public:
  /// Real-time sink: whole block, overflow flag, CLOCK_MONOTONIC at callback entry.
  using Sink = void (*)(void* ctx, const float* in, std::size_t frames, bool overflow, std::int64_t host_ns) noexcept;

  InputStream(const StreamParams& p, Sink sink, void* ctx);
  /// Drives a Recorder.
  InputStream(const StreamParams& p, Recorder& rec);
  ~InputStream();
  InputStream(const InputStream&) = delete;
  InputStream& operator=(const InputStream&) = delete;

  void start();
  /// Stops after the pending buffers (Pa_StopStream). Safe to call twice.
  void stop();
  bool active() const;
  const DurationHistogram& callback_durations() const noexcept { return hist_; }
  /// The input latency PortAudio reports (diagnostics only; nonsense under JACK).
  double reported_latency_s() const;

 private:
  friend struct StreamAccess;
  void* stream_ = nullptr;
  Sink sink_;
  void* ctx_;
  DurationHistogram hist_;
  bool started_ = false;
};

/// Levels of each opened channel over a few seconds (pre-flight).
struct ChannelLevel {
  double peak_dbfs = -std::numeric_limits<double>::infinity();
  double rms_dbfs = -std::numeric_limits<double>::infinity();
  std::int64_t clipped = 0;  ///< samples at |x| >= 0.999
};
/// Opens the device, listens `seconds`, returns the level of each of p.channels channels.
std::vector<ChannelLevel> measure_levels(const StreamParams& p, double seconds);

}  // namespace dyad::capture
