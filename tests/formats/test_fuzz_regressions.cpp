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
                         [](const auto& target) { return std::string(target.param.name); });

// ---- Bugs the fuzzers found, each with the behaviour the fixed parser has now. ----------------

#include <cmath>
#include <cstring>
#include <fstream>
#include <functional>

#include "dyad/formats/annotations.hpp"
#include "dyad/formats/error.hpp"
#include "dyad/formats/manifest.hpp"
#include "dyad/formats/overview.hpp"
#include "dyad/formats/stream.hpp"
#include "dyad/formats/xml.hpp"
#include "test_util.hpp"

using dyad::formats::FormatError;

namespace {
std::string regression(const std::string& target, const std::string& name) {
  return dyad::fuzz::read_bytes(std::filesystem::path(DYAD_TEST_DATA) / "fuzz_regressions" / target / name);
}
std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const FormatError& e) {
    return e.what();
  }
  return "";
}
}  // namespace

// fuzz_textgrid: a count of 5.6e78 intervals was cast to int (undefined behaviour).
TEST(FuzzRegressions, TextGridCountsMustBeWholeNumbersInRange) {
  const auto tg = regression("textgrid", "crash-97b93517fd6d2bad1b4d4f3b6a154a74982d0008");
  EXPECT_EQ(error_of([&] { dyad::formats::parse_textgrid(tg, "f.TextGrid"); }),
            "f.TextGrid:14: expected the number of intervals (a whole number from 0 to 10000000), found 5.5555555555555555e+78");
  const std::string head = "File type = \"ooTextFile\"\nObject class = \"TextGrid\"\nxmin = 0\nxmax = 1\ntiers? <exists>\nsize = ";
  EXPECT_EQ(error_of([&] { dyad::formats::parse_textgrid(head + "-3\n", "g.TextGrid"); }),
            "g.TextGrid:6: expected the number of tiers (a whole number from 0 to 10000000), found -3");
  EXPECT_EQ(error_of([&] { dyad::formats::parse_textgrid(head + "1.5\n", "g.TextGrid"); }),
            "g.TextGrid:6: expected the number of tiers (a whole number from 0 to 10000000), found 1.5");
}

// fuzz_eaf and fuzz_xml: "&#;" and "&#x#65;" made std::stoul throw std::invalid_argument, which no
// caller expected (`dyad import --xdf` and `dyad import-annotations` would have died with "stoul").
TEST(FuzzRegressions, CharacterReferencesThatAreNotCharactersAreKeptAsWritten) {
  EXPECT_NO_THROW(dyad::formats::parse_eaf(regression("eaf", "crash-c63ec645c91a45fd117209404fb39f2e0a96d3c2"), "f.eaf"));
  auto x = dyad::formats::parse_xml("<a>&#;&#xZZ;&#x#65;&#99999999999;&#xD800;&#65;&#x1F600;</a>");
  EXPECT_EQ(x.text, "&#;&#xZZ;&#x#65;&#99999999999;&#xD800;A\xF0\x9F\x98\x80");  // astral characters in 4 bytes
  const std::string eaf =
      "<ANNOTATION_DOCUMENT><TIME_ORDER><TIME_SLOT TIME_SLOT_ID=\"t1\" TIME_VALUE=\"0\"/><TIME_SLOT TIME_SLOT_ID=\"t2\" "
      "TIME_VALUE=\"1000\"/></TIME_ORDER><TIER TIER_ID=\"A\"><ANNOTATION><ALIGNABLE_ANNOTATION ANNOTATION_ID=\"a\" "
      "TIME_SLOT_REF1=\"t1\" TIME_SLOT_REF2=\"t2\"><ANNOTATION_VALUE>yes &#; &#233;</ANNOTATION_VALUE></ALIGNABLE_ANNOTATION>"
      "</ANNOTATION></TIER></ANNOTATION_DOCUMENT>";
  auto tiers = dyad::formats::parse_eaf(eaf, "g.eaf");
  ASSERT_EQ(tiers.size(), 1u);
  ASSERT_EQ(tiers[0].items.size(), 1u);
  EXPECT_EQ(tiers[0].items[0].text, "yes &#; \xC3\xA9");
  // the XML reader's own error (std::runtime_error, which the XDF reader turns into a FormatError)
  try {
    dyad::formats::parse_xml(regression("xml", "crash-5f80fee0e6c9d8f5f83837ed6bdcaf91a9473960"));
    ADD_FAILURE() << "parsed";
  } catch (const std::invalid_argument&) {
    ADD_FAILURE() << "std::stoul again";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "</channel> closes <channe|> at XML byte 320");
  }
}

namespace {
/// An overview file: header, level table, data (2 levels of `bins` bins, `ch` channels).
std::vector<float> overview_bytes(std::uint32_t ch, std::uint64_t bin_frames, std::uint64_t bins, std::uint64_t table_bins) {
  std::string b = "DYADMMX1";
  auto put = [&](auto v) { b.append(reinterpret_cast<const char*>(&v), sizeof v); };
  put(std::uint32_t{1});
  put(ch);
  put(8000.0);
  put(std::int64_t(bins * bin_frames));
  put(std::uint64_t{0});
  put(std::int64_t{0});
  put(std::uint32_t(bin_frames));
  put(std::uint32_t{4});
  put(std::uint32_t{1});
  put(std::uint32_t{0});
  put(bin_frames);
  put(table_bins);
  put(std::uint64_t{88});
  b.append(static_cast<std::size_t>(bins * ch * 8), '\0');
  std::vector<float> f(b.size() / 4 + 1);
  std::memcpy(f.data(), b.data(), b.size());
  f.resize(b.size() / 4);
  return f;
}
std::span<const std::uint8_t> bytes_of(const std::vector<float>& f) {
  return {reinterpret_cast<const std::uint8_t*>(f.data()), f.size() * 4};
}
}  // namespace

// fuzz_overview: bins of 0 frames made columns() cast NaN to an integer; a level table whose
// bins x channels overflowed passed the bounds check (reads past the mapped file).
TEST(FuzzRegressions, OverviewRefusesZeroFrameBinsAndLevelsPastTheEnd) {
  auto art = regression("overview", "crash-c32b1d15cb8f73c7bccffc4e1810652f00fde58a");
  std::vector<float> al(art.size() / 4 + 1);
  std::memcpy(al.data(), art.data(), art.size());
  EXPECT_EQ(error_of([&] { dyad::formats::Overview(std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(al.data()), art.size()), "audio.minmax"); }),
            "audio.minmax: audio overview level 0 has bins of 0 frames");
  auto good = overview_bytes(2, 64, 10, 10);
  dyad::formats::Overview ok(bytes_of(good), "ok.minmax");
  std::vector<dyad::formats::MinMax> cols(2);
  EXPECT_EQ(ok.columns(0, 0, 640, cols), 0);
  EXPECT_EQ(ok.columns(2, 0, 640, cols), -1) << "a channel the file does not have";
  EXPECT_EQ(ok.columns(0, 0, NAN, cols), -1);
  auto overflow = overview_bytes(8, 64, 1, std::uint64_t{1} << 61);  // 2^61 bins x 64 bytes wraps to 0
  EXPECT_EQ(error_of([&] { dyad::formats::Overview(bytes_of(overflow), "o.minmax"); }),
            "o.minmax: audio overview level 0 runs past the end of the file (truncated?)");
}

// Found by fault injection (tests/cli/test_faults_cli.cpp, manifest_huge_number): nlohmann's
// parser throws out_of_range, not parse_error, for 1e400; it escaped as "[json.exception...]".
TEST(FuzzRegressions, ANumberPastADoubleInJsonIsAClearError) {
  EXPECT_EQ(error_of([] { dyad::formats::parse_manifest(regression("manifest", "fault-number-overflow.json"), "s/session.json"); }),
            "s/session.json: not valid JSON: a number is too large for a double (expected a JSON object)");
  EXPECT_EQ(error_of([] { dyad::formats::parse_sidecar("{\"name\": 1e999}", "ecg_A.json"); }),
            "ecg_A.json: not valid JSON: a number is too large for a double (expected a JSON object)");
}

// Found reading open_column_cache for fuzz_column_cache: the viewer's stream and table caches
// checked their size as header + rows x row size, which a damaged row count wraps around (3 + 2^60
// rows of 16 bytes "are" 48 bytes): the viewer then asked for 2^60 rows (std::length_error, a
// crash). The count now comes from the file's size, and such a cache counts as absent.
TEST(FuzzRegressions, AColumnCacheWhoseRowCountWrapsAroundCountsAsAbsent) {
  dyad::test::TempDir d;
  const auto dir = d / "s";
  std::filesystem::create_directories(dir);
  dyad::formats::StreamSidecar sc;
  sc.name = "ecg_A";
  sc.role = "A";
  sc.columns = {"ecg", "resp"};
  sc.units = {"mV", "a.u."};
  dyad::formats::StreamData data;
  data.time_s = {0, 0.004, 0.008};
  data.device_time_s = {10, 10.004, 10.008};
  data.values = {{0.1, 0.2, -0.3}, {1, 2, 3}};
  dyad::formats::write_stream(dir, sc, data);
  auto [size, mtime] = dyad::formats::file_size_and_mtime(dyad::formats::stream_tsv_path(dir, "ecg_A"));
  auto art = regression("column_cache", "rows-wrap-around-stream.bin").substr(1);  // the fuzz input's first byte is its options
  std::memcpy(art.data() + 24, &size, 8);
  std::memcpy(art.data() + 32, &mtime, 8);
  const auto cache = dyad::formats::stream_cache_path(dir, "ecg_A");
  std::filesystem::create_directories(cache.parent_path());
  std::ofstream(cache, std::ios::binary).write(art.data(), static_cast<std::streamsize>(art.size()));
  EXPECT_FALSE(dyad::formats::cached_stream_extent(dir, sc).has_value());
  auto c = dyad::formats::read_stream_columns(dir, sc);  // from the TSV, and a new cache
  ASSERT_EQ(c.time_s.size(), 3u);
  EXPECT_EQ(c.values[1][2], 3.0f);
  auto e = dyad::formats::cached_stream_extent(dir, sc);
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->samples, 3u);
  EXPECT_DOUBLE_EQ(e->last_s, 0.008);
}
