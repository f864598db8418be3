// The analyses `dyad analyze` runs besides turn-taking. To add one, write a FeatureExtension
// (see analyze.hpp) and add its factory here; the order here is the order of added columns.
#include "dyad/analysis/analyze.hpp"

namespace dyad::analysis {

std::vector<ExtensionFactory> default_extensions() {
  std::vector<ExtensionFactory> out;
  // e.g. out.push_back([] { return std::make_unique<PitchExtension>(); });
  return out;
}

}  // namespace dyad::analysis
