#pragma once
/// \file The recording core (DESIGN.md "Clocks" and "Crash safety"): the real-time callback
/// copies whole blocks into a preallocated ring and counts; a writer thread drains the ring into
/// audio.wav through formats::AudioWriter, fits host time -> audio frame off the real-time thread,
/// writes lost frames as zeros and lists them as dropouts, so frame n stays at n / rate.
/// No PortAudio here: InputStream (stream.hpp) drives on_audio(); tests call it directly.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "dyad/capture/clock_fit.hpp"
#include "dyad/capture/ring_buffer.hpp"
#include "dyad/formats/audio.hpp"
#include "dyad/formats/manifest.hpp"

namespace dyad::capture {

/// CLOCK_MONOTONIC in nanoseconds (vDSO; safe on the real-time thread).
std::int64_t monotonic_ns() noexcept;

/// One callback as the real-time thread saw it; the clock fit and loss detection use these.
struct BlockStamp {
  std::int64_t device_frame = 0;  ///< frames the device delivered before this block
  std::int64_t host_ns = 0;       ///< CLOCK_MONOTONIC at callback entry
  std::uint32_t frames = 0;       ///< frames in the block
  std::uint8_t in_ring = 0;       ///< 1: the block is in the ring; 0: dropped (ring full)
  std::uint8_t overflow = 0;      ///< PortAudio flagged paInputOverflow on this callback
};

struct RecorderConfig {
  std::filesystem::path session_dir;  ///< created (must not exist or be empty)
  formats::Manifest manifest;         ///< couple, session, participants; audio/status filled in
  double sample_rate_hz = 48000;
  int device_channels = 2;            ///< interleaved channels per frame delivered by the device
  std::vector<int> channels;          ///< 1-based device channels kept, in file order
  std::vector<std::string> roles;     ///< role of each kept channel
  std::size_t frames_per_buffer = 256;
  std::size_t ring_frames = 0;        ///< ring capacity; 0 = 4 s of audio
  std::size_t stamp_capacity = 0;     ///< stamp queue capacity; 0 = enough for the ring in 32-frame blocks
  std::int64_t max_frames = -1;       ///< stop after this many frames in the file (-1: no limit)
  double lookahead_s = 0.3;           ///< how far past each block the loss detector looks (writer lag)
  /// Disk space set aside at the start (the file .dyad-reserve in the session) and given back when
  /// the recording ends, so that a full disk still leaves room to finish session.json, the
  /// sidecars and markers.tsv. 0: a quarter of the free space, from 64 KiB to 8 MiB.
  std::uint64_t disk_reserve_bytes = 0;
};

/// The reserve file's name inside the session folder (`dyad recover` removes a stale one).
inline constexpr const char* kDiskReserveFile = ".dyad-reserve";

/// A dropout as written: frames of zeros at a file frame.
struct DropoutFrames {
  std::int64_t start_frame = 0;
  std::int64_t frames = 0;
};

/// Snapshot for the live display and the end report. Any non-real-time thread.
struct RecorderStatus {
  std::int64_t frames_written = 0;   ///< frames in audio.wav (zeros included)
  std::int64_t callbacks = 0;
  std::int64_t overflows = 0;        ///< callbacks flagged paInputOverflow
  std::int64_t ring_dropped_frames = 0;  ///< frames the callback could not queue (ring or stamp queue full)
  std::int64_t device_lost_frames = 0;   ///< frames found missing from host time (device overflows)
  std::int64_t zero_filled_frames = 0;   ///< all zeros written for both reasons
  std::vector<float> peak;           ///< per kept channel, linear, since the previous snapshot
  std::vector<std::int64_t> clipped; ///< per kept channel: samples at |x| >= 0.999 so far
  double writer_lag_max_s = 0;       ///< longest time from a callback to its frames being written
  double drift_ppm = 0;              ///< device clock against CLOCK_MONOTONIC (fit so far)
  bool finished = false;             ///< the writer stopped (max_frames reached, or an error)
  std::string error;                 ///< why the writer stopped early ("" when it did not)
};

class Recorder {
 public:
  /// Creates the session folder, audio.wav and session.json (status `recording`); allocates
  /// the ring. Throws formats::FormatError or std::invalid_argument naming what is wrong.
  explicit Recorder(RecorderConfig cfg);
  ~Recorder();
  Recorder(const Recorder&) = delete;
  Recorder& operator=(const Recorder&) = delete;

  /// Starts the writer thread. Call once before the stream starts.
  void start_writer();

  /// Real-time thread. Wait-free: no allocation, lock, I/O, logging or throw. `in` holds
  /// `frames` interleaved frames of device_channels (nullptr: nothing delivered, counted as
  /// dropped). Copies the whole block into the ring or drops it whole, and stamps it.
  void on_audio(const float* in, std::size_t frames, bool overflow, std::int64_t host_ns) noexcept;

  /// Any thread: asks the writer to drain what is queued and stop. Call after the stream stopped.
  /// Joins the writer, closes the audio, rewrites the manifest with status `complete`, the
  /// dropouts, start_utc and the clock fit. Returns the final status. Safe to call twice.
  RecorderStatus finish();

  /// Control thread, only when start_writer() was never called (tests): writes what is queued
  /// now, as the writer thread would (judging losses with the blocks queued so far).
  void drain();

  /// Any non-real-time thread.
  RecorderStatus status();
  /// Session seconds (audio clock) of a CLOCK_MONOTONIC time, from the fit so far (markers).
  double session_time_at(std::int64_t host_ns);
  /// Dropouts written so far.
  std::vector<DropoutFrames> dropouts();
  const RecorderConfig& config() const noexcept { return cfg_; }
  const std::filesystem::path& session_dir() const noexcept { return cfg_.session_dir; }

  /// Frames of the ring (for tests).
  std::size_t ring_capacity_frames() const noexcept { return ring_.capacity_frames(); }

 private:
  void make_disk_reserve();
  void release_disk_reserve();
  void writer_loop();
  bool writer_pass(bool stopping);
  void process(const BlockStamp& s, std::size_t pending_index);
  void write_block_from_ring(std::size_t frames);
  void write_zeros(std::int64_t frames);
  void add_dropout(std::int64_t start, std::int64_t frames);
  void write_manifest_now(const std::string& status);
  void note_delay(std::int64_t host_ns, std::int64_t end_frame);
  RecorderStatus snapshot(bool reset_peaks);

  RecorderConfig cfg_;
  FrameRing ring_;
  SpscQueue<BlockStamp> stamps_;

  // real-time thread only
  std::int64_t device_frame_ = 0;
  // shared counters (relaxed)
  std::atomic<std::int64_t> callbacks_{0}, overflows_{0}, ring_dropped_{0};
  std::atomic<bool> stop_{false};
  std::atomic<bool> writer_done_{false};

  // writer thread
  std::unique_ptr<formats::AudioWriter> audio_;
  std::thread writer_;
  std::deque<BlockStamp> pending_;
  std::vector<float> scratch_;
  std::int64_t expected_device_frame_ = 0;
  std::int64_t file_frames_ = 0;     ///< frames written (the session frame of the next write)
  std::int64_t prev_host_ns_ = -1;
  std::uint32_t prev_frames_ = 0;
  std::deque<std::pair<std::int64_t, double>> recent_delay_;  ///< (host_ns, delay_s) of the last ~1 s
  bool wrote_start_manifest_ = false;
  std::chrono::steady_clock::time_point last_manifest_{};
  std::int64_t start_mono_ns_ = 0;
  std::int64_t start_real_ns_ = 0;

  // shared under mutex_ (writer and control threads; never the real-time thread)
  std::mutex mutex_;
  std::vector<DropoutFrames> dropouts_;
  bool dropouts_dirty_ = false;
  std::deque<std::chrono::steady_clock::time_point> write_ahead_times_;  ///< writer thread only
  std::int64_t device_lost_ = 0, zero_filled_ = 0;
  std::vector<float> peak_;
  std::vector<std::int64_t> clipped_;
  double lag_max_s_ = 0;
  std::string error_;
  // The audio clock (DESIGN.md "Clocks"): frame time (end_frame / rate) -> CLOCK_MONOTONIC, the
  // lower envelope of the callbacks' delay per second of audio, live over the last 5 minutes and,
  // once finished, piecewise over the whole session (pieces of 5 minutes joined continuously),
  // the same fit as a sensor stream's.
  SensorClock audio_clock_{SensorClockConfig{1.0, 300.0, 300.0, 1.0, 65536}};
  std::optional<SensorClockModel> final_clock_;
  /// Host seconds of a frame time, from the whole-session fit once finished, else the live one.
  double host_of_frame_time(double frame_s);  // under mutex_
  /// Frame time of a host time: the inverse of host_of_frame_time.
  double frame_time_of_host(double host_s);  // under mutex_
  bool finished_ = false;
  RecorderStatus final_{};
};

}  // namespace dyad::capture
