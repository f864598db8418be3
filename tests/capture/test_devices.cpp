#include <gtest/gtest.h>

#include <cstdlib>

#include "dyad/capture/devices.hpp"

// PortAudio initialises and lists devices even on a machine without a sound card; the real
// capture tests run against a JACK dummy server (issue: real-time capture).
TEST(Devices, PortAudioInitialisesAndListsConsistently) {
  ::setenv("ALSA_CONFIG_PATH", DYAD_TEST_DATA "/alsa/minimal.conf", 1);
  dyad::capture::PortAudioSession pa;
  auto devs = dyad::capture::list_devices();
  for (auto& d : devs) {
    EXPECT_GE(d.index, 0);
    EXPECT_FALSE(d.name.empty());
    EXPECT_GE(d.max_input_channels + d.max_output_channels, 0);
  }
}
