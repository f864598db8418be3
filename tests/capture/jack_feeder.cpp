// dyad_jack_feeder: a JACK client that plays a known signal on its output ports, so a capture
// through PortAudio's JACK host API can be checked sample for sample. The value depends only on
// JACK's frame time, so a cycle lost anywhere shows up as a jump, as it would for real sound.
//   dyad_jack_feeder [CLIENT_NAME] [CHANNELS]      runs until SIGTERM/SIGINT; prints "ready"
#include <jack/jack.h>
#include <unistd.h>

#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "feeder_signal.hpp"

namespace {
std::vector<jack_port_t*> g_ports;
jack_client_t* g_client = nullptr;
volatile std::sig_atomic_t g_stop = 0;

int process(jack_nframes_t n, void*) {
  static std::uint64_t t = 0;  // frames played so far (the process thread only)
  for (std::size_t c = 0; c < g_ports.size(); ++c) {
    auto* out = static_cast<float*>(jack_port_get_buffer(g_ports[c], n));
    for (jack_nframes_t i = 0; i < n; ++i) out[i] = dyad::test::feeder_value(t + i, static_cast<int>(c));
  }
  t += n;
  return 0;
}
void on_signal(int) { g_stop = 1; }
}  // namespace

int main(int argc, char** argv) {
  const char* name = argc > 1 ? argv[1] : "dyad_feeder";
  const int channels = argc > 2 ? std::atoi(argv[2]) : 2;
  jack_status_t st;
  g_client = jack_client_open(name, JackNoStartServer, &st);
  if (!g_client) {
    std::fprintf(stderr, "dyad_jack_feeder: no JACK server (status 0x%x)\n", static_cast<unsigned>(st));
    return 1;
  }
  for (int c = 0; c < channels; ++c)
    g_ports.push_back(jack_port_register(g_client, ("out_" + std::to_string(c + 1)).c_str(), JACK_DEFAULT_AUDIO_TYPE,
                                         JackPortIsOutput, 0));
  jack_set_process_callback(g_client, process, nullptr);
  if (jack_activate(g_client) != 0) {
    std::fprintf(stderr, "dyad_jack_feeder: cannot activate\n");
    return 1;
  }
  std::signal(SIGTERM, on_signal);
  std::signal(SIGINT, on_signal);
  std::printf("ready\n");
  std::fflush(stdout);
  while (!g_stop) ::usleep(50000);
  jack_client_close(g_client);
  return 0;
}
