#pragma once
/// \file A synthetic session of tone bursts: each role's channel carries a sine during its
/// talkspurts and faint noise elsewhere, so a voice activity detector finds exactly those
/// talkspurts (at its frame resolution). With crosstalk_db above -200, every channel also hears
/// the other roles' tones that much quieter, crosstalk_delay_s late (a microphone's leak).
/// Header-only; needs dyad::formats.
#include <cmath>
#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "dyad/formats/audio.hpp"
#include "dyad/formats/markers.hpp"
#include "dyad/formats/session.hpp"
#include "test_util.hpp"

namespace dyad::test {

struct ToneSpec {
  double rate_hz = 16000;
  double duration_s = 10;
  std::vector<std::string> roles = {"A", "B"};
  std::map<std::string, std::vector<std::pair<double, double>>> bursts;  ///< per role
  std::vector<formats::Marker> markers;
  double crosstalk_db = -300;       ///< level of the other roles' tones in each channel (-300: none)
  double crosstalk_delay_s = 0.003;
};

inline void make_tone_session(const std::filesystem::path& dir, const ToneSpec& spec) {
  formats::create_session_dir(dir);
  auto m = formats::new_manifest("C1", 1, "integration");
  formats::AudioSection a;
  a.sample_rate_hz = spec.rate_hz;
  const auto n = static_cast<std::size_t>(std::llround(spec.duration_s * spec.rate_hz));
  const std::size_t nch = spec.roles.size();
  std::vector<float> inter(n * nch);
  for (std::size_t c = 0; c < nch; ++c) {
    a.channels.push_back({static_cast<int>(c + 1), spec.roles[c]});
    m.participants.push_back({spec.roles[c], "P" + std::to_string(c + 1)});
    auto x = noise(n, 1e-4, static_cast<std::uint32_t>(11 + c));
    for (std::size_t o = 0; o < nch; ++o) {  // own tones, and the others' through the leak
      const double gain = o == c ? 0.3 : 0.3 * std::pow(10.0, spec.crosstalk_db / 20);
      const double delay = o == c ? 0 : spec.crosstalk_delay_s;
      if (o != c && spec.crosstalk_db <= -200) continue;
      auto it = spec.bursts.find(spec.roles[o]);
      if (it == spec.bursts.end()) continue;
      for (auto [s, e] : it->second)
        for (auto i = static_cast<std::size_t>(std::llround((s + delay) * spec.rate_hz));
             i < static_cast<std::size_t>(std::llround((e + delay) * spec.rate_hz)) && i < n; ++i)
          x[i] += static_cast<float>(gain * std::sin(2 * M_PI * (220.0 + 110.0 * static_cast<double>(o)) *
                                                     (static_cast<double>(i) / spec.rate_hz - delay)));
    }
    for (std::size_t i = 0; i < n; ++i) inter[i * nch + c] = x[i];
  }
  m.audio = a;
  {
    formats::AudioWriter w(dir / "audio.wav", spec.rate_hz, static_cast<int>(nch));
    w.write(inter);
    w.close();
  }
  formats::write_manifest(dir, m);
  if (!spec.markers.empty()) formats::write_markers(dir, spec.markers);
}

}  // namespace dyad::test
