#include "dyad/capture/player.hpp"

#include <portaudio.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <stdexcept>

#include "dyad/capture/devices.hpp"
#include "dyad/formats/audio.hpp"

namespace dyad::capture {

struct Player::Impl {
  PortAudioSession pa;
};

namespace {
int trampoline(const void*, void* output, unsigned long frames, const PaStreamCallbackTimeInfo*, PaStreamCallbackFlags,
               void* user) {
  return static_cast<Player*>(user)->on_output(static_cast<float*>(output), frames);
}

bool contains(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }
}  // namespace

Player::Player(std::filesystem::path audio, PlayerConfig config)
    : audio_(std::move(audio)), config_(std::move(config)) {
  auto info = formats::probe_audio(audio_);
  rate_ = info.sample_rate_hz;
  file_channels_ = info.channels;
  file_frames_ = info.frames;
  impl_ = std::make_unique<Impl>();
  int n = Pa_GetDeviceCount();
  auto usable = [](int i) {
    const PaDeviceInfo* d = Pa_GetDeviceInfo(i);
    return d && d->maxOutputChannels > 0;
  };
  if (!config_.device.empty()) {
    for (int i = 0; i < n && device_ < 0; ++i) {
      const PaDeviceInfo* d = Pa_GetDeviceInfo(i);
      const PaHostApiInfo* h = d ? Pa_GetHostApiInfo(d->hostApi) : nullptr;
      if (usable(i) && (contains(d->name ? d->name : "", config_.device) || (h && h->name && contains(h->name, config_.device))))
        device_ = i;
    }
    if (device_ < 0) throw std::runtime_error("no audio output device matches '" + config_.device + "' (see 'dyad devices')");
  } else {
    int def = Pa_GetDefaultOutputDevice();
    if (def != paNoDevice && usable(def)) device_ = def;
    for (int i = 0; i < n && device_ < 0; ++i)
      if (usable(i)) device_ = i;
    if (device_ < 0) throw std::runtime_error("no audio output device found (PortAudio lists " + std::to_string(n) + " devices)");
  }
  const PaDeviceInfo* d = Pa_GetDeviceInfo(device_);
  const PaHostApiInfo* h = Pa_GetHostApiInfo(d->hostApi);
  device_name_ = std::string(d->name ? d->name : "?") + " (" + (h && h->name ? h->name : "?") + ")";
  out_channels_ = std::min(2, d->maxOutputChannels);
}

Player::~Player() { stop(); }

void Player::start(double from_s, const std::vector<float>& gains) {
  stop();
  gains_.assign(static_cast<std::size_t>(file_channels_), 0.f);
  for (std::size_t c = 0; c < gains_.size() && c < gains.size(); ++c) gains_[c] = gains[c];
  start_frame_ = std::clamp<std::int64_t>(static_cast<std::int64_t>(std::llround(from_s * rate_)), 0, file_frames_);
  ring_frames_ = 1;
  while (static_cast<double>(ring_frames_) < config_.buffer_s * rate_) ring_frames_ <<= 1;
  ring_.assign(ring_frames_ * static_cast<std::size_t>(out_channels_), 0.f);  // before the stream starts
  write_pos_ = 0;
  read_pos_ = 0;
  eof_ = false;
  stop_feeder_ = false;
  finished_ = false;
  underruns_ = 0;

  PaStreamParameters out{};
  out.device = device_;
  out.channelCount = out_channels_;
  out.sampleFormat = paFloat32;
  out.suggestedLatency = Pa_GetDeviceInfo(device_)->defaultLowOutputLatency;
  PaStream* s = nullptr;
  PaError e = Pa_OpenStream(&s, nullptr, &out, rate_, config_.frames_per_buffer, paDitherOff, &trampoline, this);
  if (e != paNoError) {
    finished_ = true;
    throw std::runtime_error("cannot open " + device_name_ + " for playback at " + std::to_string(static_cast<int>(rate_)) +
                             " Hz: " + Pa_GetErrorText(e));
  }
  stream_ = s;
  feeder_ = std::thread([this] { feed(); });
  // Let the feeder fill part of the ring so playback starts without an underrun.
  for (int i = 0; i < 200 && write_pos_.load() < ring_frames_ / 2 && !eof_.load(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  e = Pa_StartStream(s);
  if (e != paNoError) {
    stop();
    throw std::runtime_error("cannot start playback on " + device_name_ + ": " + Pa_GetErrorText(e));
  }
}

void Player::stop() {
  if (stream_) {
    auto* s = static_cast<PaStream*>(stream_);
    Pa_AbortStream(s);
    Pa_CloseStream(s);
    stream_ = nullptr;
  }
  stop_feeder_ = true;
  if (feeder_.joinable()) feeder_.join();
  finished_ = true;
}

bool Player::playing() const noexcept { return !finished_.load(std::memory_order_acquire); }

double Player::position_s() const noexcept {
  return static_cast<double>(start_frame_ + static_cast<std::int64_t>(read_pos_.load(std::memory_order_acquire))) / rate_;
}

void Player::feed() {
  try {
    formats::AudioReader r(audio_);
    r.seek(start_frame_);
    const auto ch = static_cast<std::size_t>(file_channels_);
    const auto oc = static_cast<std::size_t>(out_channels_);
    std::vector<float> in(4096 * ch);
    std::size_t have = 0, used = 0;  // frames in `in`, frames already copied
    while (!stop_feeder_.load(std::memory_order_relaxed)) {
      if (used == have) {
        std::int64_t n = r.read(in);
        if (n <= 0) break;
        have = static_cast<std::size_t>(n);
        used = 0;
      }
      const std::uint64_t w = write_pos_.load(std::memory_order_relaxed);
      const std::uint64_t free = ring_frames_ - (w - read_pos_.load(std::memory_order_acquire));
      if (free == 0) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
        continue;
      }
      const std::size_t k = std::min<std::size_t>(free, have - used);
      for (std::size_t i = 0; i < k; ++i) {
        float v = 0;
        for (std::size_t c = 0; c < ch; ++c) v += gains_[c] * in[(used + i) * ch + c];
        v = std::clamp(v, -1.f, 1.f);
        float* o = &ring_[((w + i) & (ring_frames_ - 1)) * oc];
        for (std::size_t c = 0; c < oc; ++c) o[c] = v;
      }
      used += k;
      write_pos_.store(w + k, std::memory_order_release);
    }
  } catch (...) {
    // An unreadable file ends playback like its end would; the viewer sees playing() turn false.
  }
  eof_.store(true, std::memory_order_release);
}

int Player::on_output(float* out, unsigned long frames) noexcept {
  const auto oc = static_cast<std::size_t>(out_channels_);
  const std::uint64_t r = read_pos_.load(std::memory_order_relaxed);
  const bool eof = eof_.load(std::memory_order_acquire);  // read before write_pos_: no frame is missed
  const std::uint64_t avail = write_pos_.load(std::memory_order_acquire) - r;
  const std::size_t k = std::min<std::size_t>(frames, avail);
  for (std::size_t i = 0; i < k; ++i) {
    const float* src = &ring_[((r + i) & (ring_frames_ - 1)) * oc];
    for (std::size_t c = 0; c < oc; ++c) out[i * oc + c] = src[c];
  }
  std::fill(out + k * oc, out + frames * oc, 0.f);
  read_pos_.store(r + k, std::memory_order_release);
  if (k == avail && eof) {
    finished_.store(true, std::memory_order_release);
    return paComplete;
  }
  if (k < frames) underruns_.fetch_add(1, std::memory_order_relaxed);
  return paContinue;
}

}  // namespace dyad::capture
