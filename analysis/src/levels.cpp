#include "dyad/analysis/levels.hpp"

#include "dyad/dsp/level.hpp"
#include "dyad/formats/audio.hpp"

namespace dyad::analysis {

std::vector<ChannelLevel> channel_levels(const formats::Session& s, const std::function<void(double)>& progress) {
  std::vector<ChannelLevel> out;
  if (!s.audio) return out;
  formats::AudioReader r(s.audio_path());
  const int ch = r.info().channels;
  std::vector<dsp::LevelMeter> meters(static_cast<std::size_t>(ch));
  std::vector<float> buf(static_cast<std::size_t>(65536 * ch));
  std::int64_t done = 0;
  for (;;) {
    auto n = r.read(buf);
    if (n <= 0) break;
    std::span<const float> block(buf.data(), static_cast<std::size_t>(n * ch));
    for (int c = 0; c < ch; ++c) meters[static_cast<std::size_t>(c)].process(block, static_cast<std::size_t>(ch), static_cast<std::size_t>(c));
    done += n;
    if (progress && r.info().frames > 0) progress(static_cast<double>(done) / static_cast<double>(r.info().frames));
  }
  for (int c = 0; c < ch; ++c) {
    auto& m = meters[static_cast<std::size_t>(c)];
    out.push_back({c + 1, s.manifest.role_of_channel(c + 1), m.peak_dbfs(), m.rms_dbfs(), m.clipped()});
  }
  return out;
}

}  // namespace dyad::analysis
