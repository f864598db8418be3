// The analyses `dyad analyze` runs besides turn-taking. To add one, write a FeatureExtension
// (see analyze.hpp) and add its factory here; the order here is the order of added columns.
#include "dyad/analysis/analyze.hpp"
#include "dyad/analysis/physiology.hpp"
#include "dyad/analysis/prosody.hpp"

namespace dyad::analysis {

std::vector<ExtensionFactory> default_extensions() { return default_extensions(ProsodyOptions{}, PhysioConfig{}); }

std::vector<ExtensionFactory> default_extensions(const ProsodyOptions& prosody, const PhysioConfig& physio) {
  std::vector<ExtensionFactory> out;
  out.push_back([prosody] { return make_prosody_extension(prosody); });  // pitch_<role>.tsv, F0, intensity, voice columns
  out.push_back([physio] { return make_physiology_extension(physio); });  // beats, HRV, EDA, respiration, synchrony
  return out;
}

}  // namespace dyad::analysis
