// The analyses `dyad analyze` runs besides turn-taking. To add one, write a FeatureExtension
// (see analyze.hpp) and add its factory here; the order here is the order of added columns.
#include "dyad/analysis/analyze.hpp"
#include "dyad/analysis/physiology.hpp"
#include "dyad/analysis/prosody.hpp"

namespace dyad::analysis {

std::vector<ExtensionFactory> default_extensions() {
  std::vector<ExtensionFactory> out;
  out.push_back([] { return make_prosody_extension(); });  // pitch_<role>.tsv, F0 and intensity columns
  out.push_back([] { return make_physiology_extension(); });  // beats, HRV, EDA, respiration, synchrony
  return out;
}

}  // namespace dyad::analysis
