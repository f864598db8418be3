#pragma once
/// \file Whole-session audio levels per channel (used by `dyad info --levels` and the recorder's
/// pre-flight): streams the audio in blocks, bounded memory at any length.
#include <functional>
#include <string>
#include <vector>

#include "dyad/formats/session.hpp"

namespace dyad::analysis {

struct ChannelLevel {
  int channel = 0;  ///< 1-based
  std::string role;
  double peak_dbfs = 0, rms_dbfs = 0;
  long long clipped = 0;
};

/// Reads the session audio once. `progress` (may be empty) gets fractions in [0, 1].
std::vector<ChannelLevel> channel_levels(const formats::Session& s,
                                         const std::function<void(double)>& progress = {});

}  // namespace dyad::analysis
