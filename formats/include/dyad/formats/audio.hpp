#pragma once
/// \file audio.wav through libsndfile (DESIGN.md "Crash safety"): RF64 float with
/// SFC_RF64_AUTO_DOWNGRADE (a plain WAV until it passes 4 GiB) and SFC_SET_UPDATE_HEADER_AUTO,
/// fdatasync at least once a second.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

typedef struct sf_private_tag SNDFILE;

namespace dyad::formats {

struct AudioInfo {
  double sample_rate_hz = 0;
  int channels = 0;
  std::int64_t frames = 0;
  std::string format;  ///< e.g. "WAV float32", "RF64 float32", "WAV pcm16"
  double duration_s() const { return sample_rate_hz > 0 ? static_cast<double>(frames) / sample_rate_hz : 0; }
};

/// Reads any file libsndfile reads as interleaved float. One thread.
class AudioReader {
 public:
  /// Throws FormatError(io|unrecognised) naming the path and libsndfile's reason.
  explicit AudioReader(const std::filesystem::path& path);
  ~AudioReader();
  AudioReader(const AudioReader&) = delete;
  AudioReader& operator=(const AudioReader&) = delete;

  const AudioInfo& info() const noexcept { return info_; }
  /// Reads up to out.size()/channels frames, interleaved; returns frames read (0 at the end).
  std::int64_t read(std::span<float> interleaved);
  /// Moves to a frame.
  void seek(std::int64_t frame);

 private:
  SNDFILE* sf_ = nullptr;
  AudioInfo info_;
  std::filesystem::path path_;
  bool pcm16_ = false;         // 16-bit PCM in WAV, RF64 or AIFF: read as int16 and scaled here
  std::vector<short> shorts_;  // (the same values as libsndfile's float conversion, 1/32768 each)
};

/// When an AudioWriter forces its data to the disk.
enum class AudioSync {
  every_second,  ///< fdatasync at least once a second: a recording, which exists nowhere else
  on_close,      ///< only when closed: audio that can be made again (simulated, imported)
};

/// Writes the session audio: RF64/WAV float32, header kept valid while writing, file 0600.
/// One thread (the writer thread while recording).
class AudioWriter {
 public:
  /// Creates `path` (must not exist). Throws FormatError.
  AudioWriter(const std::filesystem::path& path, double sample_rate_hz, int channels,
              AudioSync sync = AudioSync::every_second);
  ~AudioWriter();
  AudioWriter(const AudioWriter&) = delete;
  AudioWriter& operator=(const AudioWriter&) = delete;

  /// Appends interleaved frames; with AudioSync::every_second fdatasyncs when the last sync is a
  /// second old.
  /// Throws FormatError(io) on a short write (e.g. disk full): what was written before stays valid.
  void write(std::span<const float> interleaved);
  /// Appends `frames` frames of silence (a dropout).
  void write_zeros(std::int64_t frames);
  void sync();
  /// Finishes the header and closes. Safe to call twice.
  void close();
  std::int64_t frames_written() const noexcept { return frames_; }
  int channels() const noexcept { return channels_; }

 private:
  SNDFILE* sf_ = nullptr;
  int fd_ = -1;
  int channels_ = 0;
  std::int64_t frames_ = 0;
  std::filesystem::path path_;
  std::chrono::steady_clock::time_point last_sync_{};
  AudioSync sync_ = AudioSync::every_second;
};

/// Info of an audio file without reading samples.
AudioInfo probe_audio(const std::filesystem::path& path);

}  // namespace dyad::formats
