#include "dyad/formats/audio.hpp"

#include <fcntl.h>
#include <sndfile.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "dyad/formats/error.hpp"

namespace dyad::formats {

namespace {
std::string describe_format(int format) {
  std::string c;
  switch (format & SF_FORMAT_TYPEMASK) {
    case SF_FORMAT_WAV: c = "WAV"; break;
    case SF_FORMAT_RF64: c = "RF64"; break;
    case SF_FORMAT_WAVEX: c = "WAVEX"; break;
    case SF_FORMAT_FLAC: c = "FLAC"; break;
    case SF_FORMAT_AIFF: c = "AIFF"; break;
    case SF_FORMAT_OGG: c = "OGG"; break;
    default: c = "audio"; break;
  }
  switch (format & SF_FORMAT_SUBMASK) {
    case SF_FORMAT_PCM_16: return c + " pcm16";
    case SF_FORMAT_PCM_24: return c + " pcm24";
    case SF_FORMAT_PCM_32: return c + " pcm32";
    case SF_FORMAT_PCM_U8: return c + " pcm8";
    case SF_FORMAT_FLOAT: return c + " float32";
    case SF_FORMAT_DOUBLE: return c + " float64";
    default: return c;
  }
}
}  // namespace

AudioReader::AudioReader(const std::filesystem::path& path) : path_(path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec))
    throw FormatError(ErrorKind::io, path.string() + ": audio file is missing");
  SF_INFO si{};
  sf_ = sf_open(path.c_str(), SFM_READ, &si);
  if (!sf_)
    throw FormatError(ErrorKind::unrecognised,
                      path.string() + ": cannot be read as audio: " + sf_strerror(nullptr));
  info_.sample_rate_hz = si.samplerate;
  info_.channels = si.channels;
  info_.frames = si.frames;
  info_.format = describe_format(si.format);
  const int container = si.format & SF_FORMAT_TYPEMASK;
  pcm16_ = (si.format & SF_FORMAT_SUBMASK) == SF_FORMAT_PCM_16 &&
           (container == SF_FORMAT_WAV || container == SF_FORMAT_RF64 || container == SF_FORMAT_WAVEX || container == SF_FORMAT_AIFF);
}

AudioReader::~AudioReader() {
  if (sf_) sf_close(sf_);
}

std::int64_t AudioReader::read(std::span<float> out) {
  sf_count_t want = static_cast<sf_count_t>(out.size() / static_cast<std::size_t>(info_.channels));
  if (want == 0) return 0;
  sf_count_t got = 0;
  if (pcm16_) {
    // libsndfile's int16 -> float conversion is a scalar loop: read the int16 samples and scale them
    // here (x / 32768 exactly, as libsndfile's normalised conversion), a loop that vectorises
    const std::size_t n = static_cast<std::size_t>(want) * static_cast<std::size_t>(info_.channels);
    if (shorts_.size() < n) shorts_.resize(n);
    got = sf_readf_short(sf_, shorts_.data(), want);
    if (got > 0) {
      const std::size_t m = static_cast<std::size_t>(got) * static_cast<std::size_t>(info_.channels);
      const short* src = shorts_.data();
      float* dst = out.data();
      for (std::size_t i = 0; i < m; ++i) dst[i] = static_cast<float>(src[i]) * (1.0f / 32768.0f);
    }
  } else {
    got = sf_readf_float(sf_, out.data(), want);
  }
  if (got < 0) throw FormatError(ErrorKind::io, path_.string() + ": read error: " + sf_strerror(sf_));
  return got;
}

void AudioReader::seek(std::int64_t frame) {
  if (sf_seek(sf_, frame, SEEK_SET) < 0)
    throw FormatError(ErrorKind::io, path_.string() + ": cannot seek to frame " + std::to_string(frame));
}

AudioInfo probe_audio(const std::filesystem::path& path) { return AudioReader(path).info(); }

AudioWriter::AudioWriter(const std::filesystem::path& path, double rate, int channels, AudioSync sync)
    : channels_(channels), path_(path), sync_(sync) {
  if (channels < 1) throw FormatError(ErrorKind::malformed, path.string() + ": an audio file needs at least one channel");
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd_ < 0) {
    if (errno == EEXIST) throw FormatError(ErrorKind::exists, path.string() + ": already exists; refusing to overwrite audio");
    throw FormatError(ErrorKind::io, path.string() + ": cannot create: " + std::strerror(errno));
  }
  SF_INFO si{};
  si.samplerate = static_cast<int>(rate);
  si.channels = channels;
  si.format = SF_FORMAT_RF64 | SF_FORMAT_FLOAT;
  sf_ = sf_open_fd(fd_, SFM_WRITE, &si, SF_FALSE);
  if (!sf_) {
    ::close(fd_);
    fd_ = -1;
    throw FormatError(ErrorKind::io, path.string() + ": libsndfile cannot create RF64: " + sf_strerror(nullptr));
  }
  sf_command(sf_, SFC_RF64_AUTO_DOWNGRADE, nullptr, SF_TRUE);
  sf_command(sf_, SFC_SET_UPDATE_HEADER_AUTO, nullptr, SF_TRUE);
  last_sync_ = std::chrono::steady_clock::now();
}

AudioWriter::~AudioWriter() {
  try {
    close();
  } catch (...) {
  }
}

void AudioWriter::write(std::span<const float> in) {
  if (!sf_) throw FormatError(ErrorKind::io, path_.string() + ": audio writer is closed");
  sf_count_t frames = static_cast<sf_count_t>(in.size() / static_cast<std::size_t>(channels_));
  sf_count_t n = sf_writef_float(sf_, in.data(), frames);
  if (n > 0) frames_ += n;
  if (n != frames)
    throw FormatError(ErrorKind::io, path_.string() + ": write failed after " + std::to_string(frames_) +
                                         " frames: " + sf_strerror(sf_) + " (disk full?)");
  if (sync_ != AudioSync::every_second) return;
  auto now = std::chrono::steady_clock::now();
  if (now - last_sync_ >= std::chrono::seconds(1)) sync();
}

void AudioWriter::write_zeros(std::int64_t frames) {
  std::vector<float> z(static_cast<std::size_t>(4096 * channels_), 0.0f);
  while (frames > 0) {
    std::int64_t n = std::min<std::int64_t>(frames, 4096);
    write(std::span<const float>(z.data(), static_cast<std::size_t>(n * channels_)));
    frames -= n;
  }
}

void AudioWriter::sync() {
  if (!sf_) return;
  sf_write_sync(sf_);
  if (::fdatasync(fd_) != 0)
    throw FormatError(ErrorKind::io, path_.string() + ": fdatasync failed: " + std::strerror(errno));
  last_sync_ = std::chrono::steady_clock::now();
}

void AudioWriter::close() {
  if (sf_) {
    sf_write_sync(sf_);
    sf_close(sf_);
    sf_ = nullptr;
  }
  if (fd_ >= 0) {
    ::fsync(fd_);
    ::close(fd_);
    fd_ = -1;
  }
}

}  // namespace dyad::formats
