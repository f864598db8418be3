#pragma once
/// \file Replays, in the ordinary GoogleTest suites (so under ASan+UBSan with g++ too), every
/// input a fuzzer found a bug with (tests/data/fuzz_regressions/<target>/) and every seed
/// (tests/fuzz/seeds/<target>/) through the fuzz entries.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "entries.hpp"

namespace dyad::fuzz {

inline std::vector<std::filesystem::path> replay_inputs(const std::string& target) {
  std::vector<std::filesystem::path> out;
  const std::filesystem::path data = DYAD_TEST_DATA;
  for (auto dir : {data / "fuzz_regressions" / target, data / ".." / "fuzz" / "seeds" / target}) {
    std::error_code ec;
    for (auto& e : std::filesystem::directory_iterator(dir, ec))
      if (e.is_regular_file()) out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

inline std::string read_bytes(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

/// Runs each input of `target` through its entry; returns how many ran.
inline std::size_t replay(const Target& target) {
  std::size_t n = 0;
  for (auto& p : replay_inputs(target.name)) {
    const std::string bytes = read_bytes(p);
    SCOPED_TRACE(p.string());
    EXPECT_NO_THROW(target.entry(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));
    ++n;
  }
  return n;
}

}  // namespace dyad::fuzz
