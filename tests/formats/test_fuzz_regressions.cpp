// Every fuzz seed and every input a fuzzer crashed on, replayed through the fuzz entries of the
// formats/ parsers (tests/fuzz/entries_formats.cpp); then, for each bug the fuzzers found, the
// clear error the fixed parser now gives.
#include <gtest/gtest.h>

#include "replay.hpp"

namespace {
class FormatsFuzzReplay : public ::testing::TestWithParam<dyad::fuzz::Target> {};
}  // namespace

TEST_P(FormatsFuzzReplay, SeedsAndRegressionsRunCleanly) { EXPECT_GT(dyad::fuzz::replay(GetParam()), 0u); }

INSTANTIATE_TEST_SUITE_P(Targets, FormatsFuzzReplay, ::testing::ValuesIn(dyad::fuzz::formats_targets()),
                         [](const auto& info) { return std::string(info.param.name); });
