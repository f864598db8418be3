#pragma once
/// \file The demo's live-capture step (kept apart from cmd_demo.cpp, which others edit too).
#include <filesystem>

namespace dyad::cli {
/// Records a few seconds through the real capture pipeline into `out`: when jackd is installed,
/// from a private JACK dummy server with a known source (two sines through the ALSA `file`
/// plugin, RECIPES.md), so it works without a sound card. Prints what it did; returns false
/// (after saying why) when no capture device can be made.
bool demo_live_capture(const std::filesystem::path& self, const std::filesystem::path& out);
}  // namespace dyad::cli
