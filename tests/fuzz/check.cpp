#include <cstdio>
#include <cstdlib>

#include "entries.hpp"

namespace dyad::fuzz {
void check(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "dyad fuzz: invariant broken: %s\n", what);
  std::abort();
}
}  // namespace dyad::fuzz
