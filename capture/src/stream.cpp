#include "dyad/capture/stream.hpp"

#include <portaudio.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <stdexcept>
#include <thread>

#include "dyad/capture/recorder.hpp"
#include "dyad/capture/ring_buffer.hpp"

namespace dyad::capture {

double DurationHistogram::quantile_s(double q) const {
  const std::int64_t n = count();
  if (n == 0) return 0;
  const auto want = static_cast<std::int64_t>(std::ceil(q * static_cast<double>(n)));
  std::int64_t acc = 0;
  for (std::size_t i = 0; i < kBins; ++i) {
    acc += bins_[i].load(std::memory_order_relaxed);
    if (acc >= want) return static_cast<double>(i + 1) * 1e-6;
  }
  return max_s();
}

std::int64_t DurationHistogram::count() const {
  std::int64_t n = 0;
  for (auto& b : bins_) n += b.load(std::memory_order_relaxed);
  return n;
}

namespace {
std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string pa_error(const std::string& what, PaError e) { return what + ": " + Pa_GetErrorText(e); }

void recorder_sink(void* ctx, const float* in, std::size_t frames, bool overflow, std::int64_t host_ns) noexcept {
  static_cast<Recorder*>(ctx)->on_audio(in, frames, overflow, host_ns);
}
}  // namespace

struct StreamAccess {
  /// Real-time thread: stamp, hand the block on, time it. Nothing else.
  static int callback(const void* input, void*, unsigned long frames, const PaStreamCallbackTimeInfo*,
                      PaStreamCallbackFlags flags, void* user) noexcept {
    auto* self = static_cast<InputStream*>(user);
    const std::int64_t t0 = monotonic_ns();
    self->sink_(self->ctx_, static_cast<const float*>(input), frames, (flags & paInputOverflow) != 0, t0);
    self->hist_.add(monotonic_ns() - t0);
    return paContinue;
  }
};

DeviceInfo find_input_device(const std::string& key, int channels) {
  auto devs = list_devices();
  std::vector<DeviceInfo> inputs;
  for (auto& d : devs)
    if (d.max_input_channels > 0) inputs.push_back(d);
  auto describe = [&] {
    std::string s;
    for (auto& d : inputs)
      s += (s.empty() ? "" : ", ") + std::to_string(d.index) + " '" + d.name + "' (" + std::to_string(d.max_input_channels) + " ch)";
    return s.empty() ? std::string("none (see 'dyad devices')") : s;
  };
  auto check = [&](const DeviceInfo& d) {
    if (d.max_input_channels < channels)
      throw std::runtime_error("device " + std::to_string(d.index) + " '" + d.name + "' has " +
                               std::to_string(d.max_input_channels) + " input channel(s); channel " + std::to_string(channels) +
                               " was asked for");
    return d;
  };
  if (!key.empty() && std::all_of(key.begin(), key.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
    int idx = std::stoi(key);
    for (auto& d : devs)
      if (d.index == idx) {
        if (d.max_input_channels == 0)
          throw std::runtime_error("device " + key + " '" + d.name + "' has no input channels; input devices: " + describe());
        return check(d);
      }
    throw std::runtime_error("no device with index " + key + "; input devices: " + describe());
  }
  for (auto& d : inputs)
    if (d.name == key) return check(d);
  std::vector<DeviceInfo> hits;
  for (auto& d : inputs)
    if (lower(d.name).find(lower(key)) != std::string::npos) hits.push_back(d);
  if (hits.size() == 1) return check(hits[0]);
  if (hits.empty()) throw std::runtime_error("no input device matches '" + key + "'; input devices: " + describe());
  std::string names;
  for (auto& d : hits) names += (names.empty() ? "" : ", ") + std::to_string(d.index) + " '" + d.name + "'";
  throw std::runtime_error("'" + key + "' matches several input devices: " + names + "; give the index or the full name");
}

InputStream::InputStream(const StreamParams& p, Sink sink, void* ctx) : sink_(sink), ctx_(ctx) {
  const PaDeviceInfo* di = Pa_GetDeviceInfo(p.device);
  if (!di) throw std::runtime_error("no audio device with index " + std::to_string(p.device));
  PaStreamParameters in{};
  in.device = p.device;
  in.channelCount = p.channels;
  in.sampleFormat = paFloat32;  // PortAudio dithers float -> int16: capture float32 (RECIPES.md)
  in.suggestedLatency = p.low_latency ? di->defaultLowInputLatency : di->defaultHighInputLatency;  // recording needs no low latency: larger device buffers ride out a busy machine
  in.hostApiSpecificStreamInfo = nullptr;
  PaStream* s = nullptr;
  PaError e = Pa_OpenStream(&s, &in, nullptr, p.sample_rate_hz, p.frames_per_buffer, paClipOff | paDitherOff,
                            &StreamAccess::callback, this);
  if (e != paNoError)
    throw std::runtime_error(pa_error("cannot open device " + std::to_string(p.device) + " '" + di->name + "' with " +
                                          std::to_string(p.channels) + " channel(s) at " +
                                          std::to_string(static_cast<int>(p.sample_rate_hz)) + " Hz",
                                      e));
  stream_ = s;
}

InputStream::InputStream(const StreamParams& p, Recorder& rec) : InputStream(p, &recorder_sink, &rec) {}

InputStream::~InputStream() {
  if (stream_) {
    if (started_) Pa_AbortStream(static_cast<PaStream*>(stream_));
    Pa_CloseStream(static_cast<PaStream*>(stream_));
  }
}

void InputStream::start() {
  PaError e = Pa_StartStream(static_cast<PaStream*>(stream_));
  if (e != paNoError) throw std::runtime_error(pa_error("cannot start the audio stream", e));
  started_ = true;
}

void InputStream::stop() {
  if (!started_) return;
  Pa_StopStream(static_cast<PaStream*>(stream_));
  started_ = false;
}

bool InputStream::active() const { return stream_ && Pa_IsStreamActive(static_cast<PaStream*>(stream_)) == 1; }

double InputStream::reported_latency_s() const {
  const PaStreamInfo* i = Pa_GetStreamInfo(static_cast<PaStream*>(stream_));
  return i ? i->inputLatency : 0;
}

namespace {
void ring_sink(void* ctx, const float* in, std::size_t frames, bool, std::int64_t) noexcept {
  if (in) static_cast<FrameRing*>(ctx)->try_write_frames(in, frames);
}
}  // namespace

std::vector<ChannelLevel> measure_levels(const StreamParams& p, double seconds) {
  FrameRing ring(static_cast<std::size_t>(p.sample_rate_hz), p.channels);
  InputStream st(p, &ring_sink, &ring);
  const auto n = static_cast<std::int64_t>(seconds * p.sample_rate_hz);
  const auto ch = static_cast<std::size_t>(p.channels);
  std::vector<double> peak(ch, 0), sumsq(ch, 0);
  std::vector<std::int64_t> clip(ch, 0);
  std::int64_t got = 0;
  st.start();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds * 2 + 2);
  while (got < n && std::chrono::steady_clock::now() < deadline) {
    auto r = ring.read_regions();
    for (auto region : {r.first, r.second})
      for (std::size_t i = 0; i + ch <= region.size() && got < n; i += ch, ++got)
        for (std::size_t c = 0; c < ch; ++c) {
          double a = std::fabs(region[i + c]);
          peak[c] = std::max(peak[c], a);
          sumsq[c] += a * a;
          if (a >= 0.999) ++clip[c];
        }
    ring.consume(r.frames);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  st.stop();
  if (got == 0) throw std::runtime_error("the device delivered no audio in " + std::to_string(static_cast<int>(seconds * 2 + 2)) + " s");
  std::vector<ChannelLevel> out(ch);
  for (std::size_t c = 0; c < ch; ++c) {
    out[c].peak_dbfs = peak[c] > 0 ? 20 * std::log10(peak[c]) : -std::numeric_limits<double>::infinity();
    double rms = std::sqrt(sumsq[c] / static_cast<double>(got));
    out[c].rms_dbfs = rms > 0 ? 20 * std::log10(rms) : -std::numeric_limits<double>::infinity();
    out[c].clipped = clip[c];
  }
  return out;
}

}  // namespace dyad::capture
