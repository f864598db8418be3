#pragma once
/// \file Playback of a session's audio through PortAudio (the viewer's play head). No Qt here:
/// the viewer polls position_s() on a timer, as LabRecorder's GUI polls its recorder.
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace dyad::capture {

struct PlayerConfig {
  /// Output device: the first whose name or host API name contains this text (e.g. "JACK");
  /// "" takes PortAudio's default output, else the first device with outputs.
  std::string device;
  unsigned long frames_per_buffer = 256;
  double buffer_s = 0.5;  ///< audio read ahead of the device by the feeder thread
};

/// Plays audio.wav from a time, mixing the chosen channels to the output (both ears).
/// Threads: construct, start, stop and the getters from one controlling thread (the GUI);
/// a feeder thread reads the file into a ring; PortAudio's callback copies from the ring and
/// counts, nothing else (wait-free).
class Player {
 public:
  /// Opens PortAudio (kept for the player's lifetime) and probes the file. Throws
  /// std::runtime_error naming the file or PortAudio's reason.
  explicit Player(std::filesystem::path audio, PlayerConfig config = {});
  ~Player();
  Player(const Player&) = delete;
  Player& operator=(const Player&) = delete;

  /// Starts playing at `from_s` (clamped to the file); `gains` has one gain per file channel
  /// (0 mutes a partner; missing entries are 0). Stops what played before. Throws
  /// std::runtime_error when the device cannot be opened at the file's rate.
  void start(double from_s, const std::vector<float>& gains);
  /// Stops now (no fade); the position stays where playback was. Safe when not playing.
  void stop();
  /// True from start() until stop() or the end of the file has been played.
  bool playing() const noexcept;
  /// Session time of the frame the device was last given (s).
  double position_s() const noexcept;
  /// Output buffers the feeder did not fill in time (silence was played instead).
  std::uint64_t underruns() const noexcept { return underruns_.load(std::memory_order_relaxed); }
  /// The device in use, "name (host API)".
  const std::string& device_name() const noexcept { return device_name_; }
  double sample_rate_hz() const noexcept { return rate_; }
  int channels() const noexcept { return file_channels_; }

  /// PortAudio's callback (real-time thread; public for the trampoline). Wait-free.
  int on_output(float* out, unsigned long frames) noexcept;

 private:
  void feed();

  std::filesystem::path audio_;
  PlayerConfig config_;
  struct Impl;
  std::unique_ptr<Impl> impl_;
  double rate_ = 0;
  int file_channels_ = 0;
  std::int64_t file_frames_ = 0;
  int device_ = -1;
  int out_channels_ = 2;
  std::string device_name_;
  std::vector<float> gains_;
  std::int64_t start_frame_ = 0;
  // Ring of interleaved output frames: feeder writes, callback reads.
  std::vector<float> ring_;
  std::size_t ring_frames_ = 0;
  std::atomic<std::uint64_t> write_pos_{0}, read_pos_{0};
  std::atomic<bool> eof_{false}, stop_feeder_{false}, finished_{true};
  std::atomic<std::uint64_t> underruns_{0};
  std::thread feeder_;
  void* stream_ = nullptr;  ///< PaStream*
};

}  // namespace dyad::capture
