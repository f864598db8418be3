// One libFuzzer program per target: DYAD_FUZZ_TARGET names it (tests/fuzz/CMakeLists.txt).
#include <cstdlib>
#include <cstring>

#include "entries.hpp"

namespace {
dyad::fuzz::Entry find_entry() {
  for (auto* list : {&dyad::fuzz::formats_targets, &dyad::fuzz::capture_targets})
    for (auto& t : (*list)())
      if (std::strcmp(t.name, DYAD_FUZZ_TARGET) == 0) return t.entry;
  std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const dyad::fuzz::Entry entry = find_entry();
  return entry(data, size);
}
