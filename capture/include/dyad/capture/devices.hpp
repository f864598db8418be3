#pragma once
/// \file Audio devices as PortAudio sees them (`dyad devices`).
#include <string>
#include <vector>

namespace dyad::capture {

struct DeviceInfo {
  int index = -1;
  std::string name;
  std::string host_api;
  int max_input_channels = 0;
  int max_output_channels = 0;
  double default_sample_rate_hz = 0;
};

/// Initialises PortAudio for the lifetime of the object (RAII); throws std::runtime_error with
/// PortAudio's text when it cannot. What the host libraries print while PortAudio probes them
/// (ALSA's "cannot find card '0'" and the like, dozens of lines on a machine without a sound card)
/// is kept in messages() instead of going to stderr; `dyad devices --verbose` shows it.
class PortAudioSession {
 public:
  PortAudioSession();
  ~PortAudioSession();
  PortAudioSession(const PortAudioSession&) = delete;
  PortAudioSession& operator=(const PortAudioSession&) = delete;
  const std::string& messages() const noexcept { return messages_; }

 private:
  std::string messages_;
};

/// Every device PortAudio lists. Needs a live PortAudioSession.
std::vector<DeviceInfo> list_devices();

}  // namespace dyad::capture
