// dyad recover: turn a folder left by a killed recorder or a power loss into a valid session.
#include <iostream>

#include "common.hpp"
#include "dyad/capture/recover.hpp"
#include "dyad/formats/session.hpp"
#include "dyad/formats/text.hpp"

namespace dyad::cli {

void add_recover(CLI::App& app) {
  auto dir = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand(
      "recover",
      "Make a session folder left by a crash, kill -9 or power loss valid again: fix or rebuild the audio header from "
      "the data on disk, cut partial lines from text files, close open phases, and mark the manifest 'recovered'.");
  cmd->add_option("SESSION", *dir, "The session folder")->required();
  cmd->callback([dir] {
    auto rep = capture::recover_session(*dir);
    auto s = formats::Session::open(*dir);  // must now be valid
    for (auto& a : rep.actions) std::cout << "  " << a << "\n";
    if (!rep.changed) {
      std::cout << *dir << ": already complete and valid; nothing changed\n";
      return;
    }
    std::cout << *dir << ": recovered (was '" << rep.previous_status << "'): " << format_hms(s.duration_s()) << " of audio ("
              << rep.audio_frames << " frames), " << s.markers.size() << " marker(s), " << s.manifest.dropouts.size()
              << " dropout(s)\n";
  });
}

}  // namespace dyad::cli
