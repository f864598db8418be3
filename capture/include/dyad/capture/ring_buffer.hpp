#pragma once
/// \file Wait-free single-producer / single-consumer queues for the real-time path
/// (STYLE.md "The real-time callback copies and counts, nothing else"): a ring of interleaved
/// float frames, and a fixed-capacity queue of small trivially copyable records.
///
/// Thread rules (as farbot / ReaderWriterQueue state them): exactly one producer thread and one
/// consumer thread; every method says which. `try_` methods never block, never allocate and
/// never throw. All memory is allocated by the constructor, before any stream starts.
#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <span>
#include <stdexcept>
#include <string>
#include <type_traits>

namespace dyad::capture {

inline constexpr std::size_t kCacheLine = 64;

/// A ring of interleaved float frames. Whole blocks or nothing: a write never stores part of a
/// frame or part of a block, so channels can never rotate. Failure policy: a write that does not
/// fit is refused (the caller counts the frames as dropped); nothing already queued is touched.
class FrameRing {
 public:
  /// Any thread, before use. Throws std::invalid_argument for 0 frames or channels.
  FrameRing(std::size_t capacity_frames, int channels)
      : channels_(static_cast<std::size_t>(channels)), capacity_(capacity_frames) {
    if (capacity_frames == 0 || channels < 1)
      throw std::invalid_argument("FrameRing: capacity (" + std::to_string(capacity_frames) + " frames) and channels (" +
                                  std::to_string(channels) + ") must be at least 1");
    data_ = std::make_unique<float[]>(capacity_ * channels_);
  }
  FrameRing(const FrameRing&) = delete;
  FrameRing& operator=(const FrameRing&) = delete;

  /// Producer thread (the real-time callback). Wait-free. Copies `frames` interleaved frames and
  /// returns true, or copies nothing and returns false when fewer than `frames` frames are free.
  bool try_write_frames(const float* interleaved, std::size_t frames) noexcept {
    const std::size_t w = write_.load(std::memory_order_relaxed);
    if (capacity_ - (w - read_cache_) < frames) {
      read_cache_ = read_.load(std::memory_order_acquire);
      if (capacity_ - (w - read_cache_) < frames) return false;
    }
    const std::size_t pos = w % capacity_;
    const std::size_t first = std::min(frames, capacity_ - pos);
    copy(data_.get() + pos * channels_, interleaved, first * channels_);
    copy(data_.get(), interleaved + first * channels_, (frames - first) * channels_);
    write_.store(w + frames, std::memory_order_release);
    return true;
  }

  /// Producer thread. Frames that can be written now (a lower bound).
  std::size_t free_frames_producer() const noexcept {
    return capacity_ - (write_.load(std::memory_order_relaxed) - read_.load(std::memory_order_acquire));
  }

  /// The readable data as at most two contiguous regions (no copy), oldest first.
  struct Regions {
    std::span<const float> first;   ///< interleaved samples
    std::span<const float> second;  ///< continues `first` (empty unless the data wraps)
    std::size_t frames = 0;         ///< frames in both together
  };

  /// Consumer thread. Wait-free. The regions stay valid until consume().
  Regions read_regions() const noexcept {
    const std::size_t r = read_.load(std::memory_order_relaxed);
    const std::size_t avail = write_.load(std::memory_order_acquire) - r;
    const std::size_t pos = r % capacity_;
    const std::size_t first = std::min(avail, capacity_ - pos);
    Regions out;
    out.first = {data_.get() + pos * channels_, first * channels_};
    out.second = {data_.get(), (avail - first) * channels_};
    out.frames = avail;
    return out;
  }

  /// Consumer thread. Releases `frames` frames (at most what read_regions() showed).
  void consume(std::size_t frames) noexcept {
    read_.store(read_.load(std::memory_order_relaxed) + frames, std::memory_order_release);
  }

  /// Consumer thread. Frames ready to read.
  std::size_t readable_frames() const noexcept {
    return write_.load(std::memory_order_acquire) - read_.load(std::memory_order_relaxed);
  }

  std::size_t capacity_frames() const noexcept { return capacity_; }
  int channels() const noexcept { return static_cast<int>(channels_); }

 private:
  static void copy(float* dst, const float* src, std::size_t n) noexcept {
    for (std::size_t i = 0; i < n; ++i) dst[i] = src[i];
  }

  const std::size_t channels_;
  const std::size_t capacity_;
  std::unique_ptr<float[]> data_;
  // Counters only grow (size_t wraps after 2^64 frames: never). Separate cache lines so the
  // producer and the consumer do not false-share.
  alignas(kCacheLine) std::atomic<std::size_t> write_{0};
  std::size_t read_cache_ = 0;  ///< producer's last view of read_
  alignas(kCacheLine) std::atomic<std::size_t> read_{0};
};

/// A fixed-capacity SPSC queue of trivially copyable records (e.g. callback time stamps).
/// Failure policy: try_push on a full queue refuses the new record.
template <typename T>
class SpscQueue {
  static_assert(std::is_trivially_copyable_v<T>);

 public:
  explicit SpscQueue(std::size_t capacity) : capacity_(capacity) {
    if (capacity == 0) throw std::invalid_argument("SpscQueue: capacity must be at least 1");
    data_ = std::make_unique<T[]>(capacity);
  }
  SpscQueue(const SpscQueue&) = delete;
  SpscQueue& operator=(const SpscQueue&) = delete;

  /// Producer thread. Wait-free.
  bool try_push(const T& v) noexcept {
    const std::size_t w = write_.load(std::memory_order_relaxed);
    if (w - read_.load(std::memory_order_acquire) >= capacity_) return false;
    data_[w % capacity_] = v;
    write_.store(w + 1, std::memory_order_release);
    return true;
  }
  /// Producer thread. Records that can be pushed now (a lower bound).
  std::size_t free_producer() const noexcept {
    return capacity_ - (write_.load(std::memory_order_relaxed) - read_.load(std::memory_order_acquire));
  }
  /// Consumer thread. Wait-free.
  bool try_pop(T& out) noexcept {
    const std::size_t r = read_.load(std::memory_order_relaxed);
    if (write_.load(std::memory_order_acquire) == r) return false;
    out = data_[r % capacity_];
    read_.store(r + 1, std::memory_order_release);
    return true;
  }
  /// Consumer thread.
  std::size_t size_consumer() const noexcept {
    return write_.load(std::memory_order_acquire) - read_.load(std::memory_order_relaxed);
  }
  std::size_t capacity() const noexcept { return capacity_; }

 private:
  const std::size_t capacity_;
  std::unique_ptr<T[]> data_;
  alignas(kCacheLine) std::atomic<std::size_t> write_{0};
  alignas(kCacheLine) std::atomic<std::size_t> read_{0};
};

}  // namespace dyad::capture
