#include "dyad/capture/devices.hpp"

#include <portaudio.h>
#include <unistd.h>

#include <cstdio>

#include <stdexcept>

namespace dyad::capture {

PortAudioSession::PortAudioSession() {
  // The host libraries write their probing noise to file descriptor 2 directly: point it at an
  // unlinked temporary file for the duration of Pa_Initialize, then put stderr back.
  std::fflush(stderr);
  std::FILE* sink = std::tmpfile();
  const int saved = sink ? ::dup(2) : -1;
  if (saved >= 0) ::dup2(::fileno(sink), 2);
  PaError e = Pa_Initialize();
  if (saved >= 0) {
    std::fflush(stderr);
    ::dup2(saved, 2);
    ::close(saved);
    std::rewind(sink);
    char buf[4096];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, sink)) > 0 && messages_.size() < (1u << 20)) messages_.append(buf, n);
  }
  if (sink) std::fclose(sink);
  if (e != paNoError)
    throw std::runtime_error(std::string("PortAudio cannot start: ") + Pa_GetErrorText(e) +
                             (messages_.empty() ? "" : " (the audio system said: " + messages_.substr(0, messages_.find('\n')) + ")"));
}

PortAudioSession::~PortAudioSession() { Pa_Terminate(); }

std::vector<DeviceInfo> list_devices() {
  std::vector<DeviceInfo> out;
  int n = Pa_GetDeviceCount();
  for (int i = 0; i < n; ++i) {
    const PaDeviceInfo* d = Pa_GetDeviceInfo(i);
    if (!d) continue;
    const PaHostApiInfo* h = Pa_GetHostApiInfo(d->hostApi);
    out.push_back({i, d->name ? d->name : "", h && h->name ? h->name : "", d->maxInputChannels, d->maxOutputChannels,
                   d->defaultSampleRate});
  }
  return out;
}

}  // namespace dyad::capture
