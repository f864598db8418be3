// dyad devices: list audio devices as PortAudio sees them.
#include <iostream>

#include "common.hpp"
#include "dyad/capture/devices.hpp"
#include "dyad/formats/text.hpp"

namespace dyad::cli {

void add_devices(CLI::App& app) {
  auto* cmd = app.add_subcommand("devices", "List audio input and output devices with channel counts and default rates.");
  auto inputs_only = std::make_shared<bool>(false);
  cmd->add_flag("--inputs", *inputs_only, "Only devices with input channels");
  auto verbose = std::make_shared<bool>(false);
  cmd->add_flag("--verbose", *verbose, "Also print what the audio libraries (ALSA, JACK) said while PortAudio probed them");
  cmd->callback([inputs_only, verbose] {
    capture::PortAudioSession pa;
    if (*verbose && !pa.messages().empty()) std::cerr << pa.messages() << (pa.messages().back() == '\n' ? "" : "\n");
    auto devs = capture::list_devices();
    std::cout << "index\tinputs\toutputs\trate_hz\thost_api\tname\n";
    for (auto& d : devs) {
      if (*inputs_only && d.max_input_channels == 0) continue;
      std::cout << d.index << "\t" << d.max_input_channels << "\t" << d.max_output_channels << "\t"
                << formats::format_number(d.default_sample_rate_hz) << "\t" << d.host_api << "\t" << d.name << "\n";
    }
    if (devs.empty())
      note("no audio devices found: no sound card, and no JACK server running (README, \"Recording without a sound card\"; "
           "--verbose shows what the audio libraries said)");
  });
}

}  // namespace dyad::cli
