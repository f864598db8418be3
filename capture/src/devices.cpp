#include "dyad/capture/devices.hpp"

#include <portaudio.h>

#include <stdexcept>

namespace dyad::capture {

PortAudioSession::PortAudioSession() {
  PaError e = Pa_Initialize();
  if (e != paNoError) throw std::runtime_error(std::string("PortAudio cannot start: ") + Pa_GetErrorText(e));
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
