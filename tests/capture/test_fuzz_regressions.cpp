// Every fuzz seed and every input a fuzzer crashed on, replayed through the fuzz entries of the
// capture/ parsers (tests/fuzz/entries_capture.cpp): the sensor line protocol, the WAV header
// repair of `dyad recover`, a sidecar's clock.
#include <gtest/gtest.h>

#include "replay.hpp"

namespace {
class CaptureFuzzReplay : public ::testing::TestWithParam<dyad::fuzz::Target> {};
}  // namespace

TEST_P(CaptureFuzzReplay, SeedsAndRegressionsRunCleanly) { EXPECT_GT(dyad::fuzz::replay(GetParam()), 0u); }

INSTANTIATE_TEST_SUITE_P(Targets, CaptureFuzzReplay, ::testing::ValuesIn(dyad::fuzz::capture_targets()),
                         [](const auto& info) { return std::string(info.param.name); });
