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
                         [](const auto& target) { return std::string(target.param.name); });

// ---- Bugs the fuzzers found, each with the behaviour the fixed code has now. ------------------

#include <chrono>

#include "dyad/capture/clock_fit.hpp"
#include "dyad/capture/ingest.hpp"
#include "dyad/formats/stream.hpp"
#include "dyad/capture/line_protocol.hpp"
#include "dyad/capture/recover.hpp"
#include "dyad/formats/error.hpp"

using namespace dyad::capture;

// fuzz_sensor_line: a sensor whose device time leapt (1000 s, then 1.1e17 s) made the clock fit
// allocate one piece per 300 s of the span (terabytes): the recorder's network thread, which
// refits every 10 s, would have died. Device times past 1e12 s are now malformed lines, the fit
// has at most one piece per envelope point, and the envelope itself is bounded.
TEST(FuzzRegressions, LeapingDeviceClocksCannotExhaustTheRecordersMemory) {
  const std::string art = dyad::fuzz::read_bytes(std::filesystem::path(DYAD_TEST_DATA) / "fuzz_regressions" / "sensor_line" /
                                                 "crash-11957a02e4a32e74c8d964b3f420392d44915e27");
  EXPECT_EQ(dyad::fuzz::capture_targets()[0].entry(reinterpret_cast<const std::uint8_t*>(art.data()), art.size()), 0);
  double dev = 0, v[1];
  EXPECT_EQ(parse_sample("109999999999900.004 -1e-3", 1, dev, v), "S line: device time 109999999999900 s is out of range (at most 1e12 s)");
  std::string label;
  EXPECT_EQ(parse_marker("-2e12 clap", dev, label), "M line: device time -2e+12 s is out of range (at most 1e12 s)");
  std::string_view echo;
  EXPECT_EQ(parse_probe("1e13", dev, echo), "T line: device time 1e+13 s is out of range (at most 1e12 s)");
  // a sensor that starts at 0 and then sends Unix time: two points, at most two pieces, at once
  SensorClock c;
  c.add(0, 100);
  c.add(1.7e9, 101);
  const auto t0 = std::chrono::steady_clock::now();
  auto m = c.fit();
  EXPECT_LE(m.pieces.size(), 2u);
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 1.0);
  // made-up device times never grow the envelope past its cap
  SensorClockConfig cfg;
  cfg.max_buckets = 1024;
  SensorClock lying(cfg);
  for (int i = 0; i < 100000; ++i) lying.add(i * 1000.0, 100 + i * 1e-4);
  EXPECT_LE(lying.buckets(), 1024u);
  EXPECT_GT(lying.bucket_s(), 0.25);
  EXPECT_FALSE(lying.fit().pieces.empty());
  // an honest hour at 0.25 s buckets stays below the default cap, untouched
  SensorClock honest;
  for (int i = 0; i < 14400; ++i) honest.add(i * 0.25, 5 + i * 0.25);
  EXPECT_EQ(honest.bucket_s(), 0.25);
  EXPECT_EQ(honest.buckets(), 14400u);
}

// fuzz_wav_header: a chunk size of 0xFFFFFFF8 wrapped `pos += 8 + size` to 0 in 32 bits, so
// `dyad recover` looped for ever on such a header.
TEST(FuzzRegressions, AHugeChunkSizeInTheWavHeaderDoesNotHangRecover) {
  const std::string art = dyad::fuzz::read_bytes(std::filesystem::path(DYAD_TEST_DATA) / "fuzz_regressions" / "wav_header" /
                                                 "timeout-4460b086898dc14cffb2ecdc23028cbf9e86f421");
  std::span<const unsigned char> head(reinterpret_cast<const unsigned char*>(art.data()) + 5, art.size() - 5);
  const auto t0 = std::chrono::steady_clock::now();
  auto fix = plan_wav_header_fix(head, head.size(), "audio.wav");
  EXPECT_FALSE(fix.readable);
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 1.0);
}

// Found by review, confirmed by fuzz_sidecar_clock: clock pieces that are not objects made
// nlohmann's value() throw a type_error out of `dyad recover`. parse_sidecar now refuses them with
// a clear message, and session_time_of() skips what is not a piece.
TEST(FuzzRegressions, ClockPiecesThatAreNotObjectsAreAClearError) {
  const std::string art = dyad::fuzz::read_bytes(std::filesystem::path(DYAD_TEST_DATA) / "fuzz_regressions" / "sidecar_clock" /
                                                 "review-segments-not-objects.json");
  try {
    dyad::formats::parse_sidecar(art, "ecg_A.json");
    ADD_FAILURE() << "accepted";
  } catch (const dyad::formats::FormatError& e) {
    EXPECT_STREQ(e.what(), "ecg_A.json: key 'clock.segments[0]': expected an object");
  }
  dyad::formats::ClockFit f;
  f.offset_s = 2;
  f.segments = nlohmann::json::parse(R"([1, "x", {"device_end_s": "late", "offset_s": 5}])");
  EXPECT_EQ(session_time_of(f, 10), 15);
  f.segments = nlohmann::json::parse(R"([null])");
  EXPECT_EQ(session_time_of(f, 10), 12);
}
