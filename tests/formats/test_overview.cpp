// The audio overview pyramid: min and max exact against raw samples at every level.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <fstream>
#include <functional>
#include <limits>

#include "dyad/formats/audio.hpp"
#include "dyad/formats/error.hpp"
#include "dyad/formats/overview.hpp"
#include "dyad/formats/session.hpp"
#include "dyad/formats/stream.hpp"
#include "test_util.hpp"

using namespace dyad::formats;
namespace fs = std::filesystem;

namespace {
/// A two-channel file of seeded noise plus a sine; `frames` need not fill the last bin.
std::vector<float> write_audio(const fs::path& p, std::int64_t frames, int channels = 2) {
  auto a = dyad::test::noise(static_cast<std::size_t>(frames * channels), 0.3, 7);
  auto s = dyad::test::sine(3.0, 1000, static_cast<std::size_t>(frames * channels), 0.5);
  for (std::size_t i = 0; i < a.size(); ++i) a[i] += s[i];
  AudioWriter w(p, 1000, channels);
  w.write(a);
  w.close();
  return a;
}

struct PyramidCase {
  std::int64_t frames;
  std::uint32_t base, factor;
};
class PyramidExact : public ::testing::TestWithParam<PyramidCase> {};
}  // namespace

TEST_P(PyramidExact, EveryBinOfEveryLevelIsTheRawMinAndMax) {
  const auto c = GetParam();
  dyad::test::TempDir d;
  auto raw = write_audio(d / "audio.wav", c.frames);
  build_overview(d / "audio.wav", d / "o.minmax", {c.base, c.factor});
  Overview o(d / "o.minmax");
  EXPECT_EQ(o.channels(), 2);
  EXPECT_EQ(o.frames(), c.frames);
  EXPECT_EQ(o.sample_rate_hz(), 1000);
  ASSERT_GE(o.levels().size(), c.frames > c.base ? 2u : 1u);
  EXPECT_LE(o.levels().back().bins, 1u);
  for (std::size_t l = 0; l < o.levels().size(); ++l) {
    const auto& lv = o.levels()[l];
    EXPECT_EQ(lv.bin_frames, c.base * static_cast<std::uint64_t>(std::pow(c.factor, l)));
    EXPECT_EQ(lv.bins, (static_cast<std::uint64_t>(c.frames) + lv.bin_frames - 1) / lv.bin_frames) << "level " << l;
    for (std::uint64_t b = 0; b < lv.bins; ++b)
      for (int ch = 0; ch < 2; ++ch) {
        float mn = std::numeric_limits<float>::infinity(), mx = -mn;
        for (std::uint64_t f = b * lv.bin_frames; f < std::min<std::uint64_t>((b + 1) * lv.bin_frames, c.frames); ++f) {
          mn = std::min(mn, raw[f * 2 + ch]);
          mx = std::max(mx, raw[f * 2 + ch]);
        }
        auto m = o.bin(l, b, ch);
        ASSERT_EQ(m.min, mn) << "level " << l << " bin " << b << " channel " << ch;
        ASSERT_EQ(m.max, mx) << "level " << l << " bin " << b << " channel " << ch;
      }
  }
}

INSTANTIATE_TEST_SUITE_P(Sizes, PyramidExact,
                         ::testing::Values(PyramidCase{10000, 4, 4}, PyramidCase{9999, 4, 4}, PyramidCase{70001, 64, 4},
                                           PyramidCase{12345, 3, 5}, PyramidCase{1, 4, 4}, PyramidCase{262144, 16, 2}));

TEST(Overview, ColumnsCoverTheRangeFromACoarseEnoughLevel) {
  dyad::test::TempDir d;
  auto raw = write_audio(d / "audio.wav", 100000);
  build_overview(d / "audio.wav", d / "o.minmax", {4, 4});
  Overview o(d / "o.minmax");
  std::vector<MinMax> cols(100);
  int level = o.columns(0, 0, 100000, cols);
  ASSERT_GE(level, 0);
  EXPECT_LE(o.levels()[level].bin_frames * 2, 1000u);  // at least two bins per column
  EXPECT_GT(o.levels()[level].bin_frames * 8, 1000u);  // and the coarsest such level
  for (int i = 0; i < 100; ++i) {
    float mn = std::numeric_limits<float>::infinity(), mx = -mn;
    for (int f = i * 1000; f < (i + 1) * 1000; ++f) {
      mn = std::min(mn, raw[f * 2]);
      mx = std::max(mx, raw[f * 2]);
    }
    // Column edges fall on bin edges here (1000 frames = 1000/bin_frames bins), so exact.
    if (1000 % o.levels()[level].bin_frames == 0) {
      EXPECT_EQ(cols[i].min, mn);
      EXPECT_EQ(cols[i].max, mx);
    }
    EXPECT_LE(cols[i].min, mn);
    EXPECT_GE(cols[i].max, mx);
  }
  // Past the end: NaN; too fine a zoom: -1 (summarise raw samples instead).
  std::vector<MinMax> past(10);
  o.columns(0, 200000, 300000, past);
  EXPECT_TRUE(std::isnan(past[0].min));
  std::vector<MinMax> fine(100);
  EXPECT_EQ(o.columns(0, 0, 500, fine), -1);
}

TEST(Overview, EnsureBuildsOnceAndRebuildsWhenTheAudioChanges) {
  dyad::test::TempDir d;
  write_audio(d / "audio.wav", 5000);
  bool built = false;
  auto p = ensure_overview(d.path(), d / "audio.wav", {}, &built);
  EXPECT_TRUE(built);
  EXPECT_EQ(p, d / "features" / "overview" / "audio.minmax");
  EXPECT_EQ(dyad::test::mode_of(p), 0600u);
  ensure_overview(d.path(), d / "audio.wav", {}, &built);
  EXPECT_FALSE(built);
  fs::remove(d / "audio.wav");
  write_audio(d / "audio.wav", 6000);
  ensure_overview(d.path(), d / "audio.wav", {}, &built);
  EXPECT_TRUE(built);
  EXPECT_EQ(Overview(p).frames(), 6000);
}

TEST(Overview, RefusesAFileThatIsNotAnOverview) {
  dyad::test::TempDir d;
  std::ofstream(d / "x.minmax") << std::string(100, 'x');
  try {
    Overview o(d / "x.minmax");
    FAIL();
  } catch (const FormatError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::unrecognised);
    EXPECT_EQ(std::string(e.what()), (d / "x.minmax").string() + ": not an audio overview (magic is not DYADMMX1)");
  }
}

namespace {
StreamSidecar ecg_sidecar() {
  StreamSidecar sc;
  sc.name = "ecg_A";
  sc.kind = "ecg";
  sc.role = "A";
  sc.nominal_rate_hz = 100;
  sc.columns = {"ecg"};
  sc.units = {"mV"};
  return sc;
}
StreamData ramp(std::size_t n, double scale) {
  StreamData d;
  for (std::size_t i = 0; i < n; ++i) {
    d.time_s.push_back(0.01 * static_cast<double>(i));
    d.device_time_s.push_back(0.01 * static_cast<double>(i));
  }
  d.values.assign(1, {});
  for (std::size_t i = 0; i < n; ++i) d.values[0].push_back(i == 3 ? std::nan("") : scale * static_cast<double>(i));
  return d;
}
}  // namespace

TEST(StreamCache, SameColumnsAsTheTextAndRebuiltWhenTheStreamChanges) {
  dyad::test::TempDir d;
  create_session_dir(d / "s");
  auto sc = ecg_sidecar();
  write_stream(d / "s", sc, ramp(500, 0.5));
  EXPECT_FALSE(cached_stream_extent(d / "s", sc).has_value());
  auto first = read_stream_columns(d / "s", sc);  // builds the cache
  ASSERT_TRUE(fs::exists(stream_cache_path(d / "s", "ecg_A")));
  EXPECT_EQ(dyad::test::mode_of(stream_cache_path(d / "s", "ecg_A")), 0600u);
  auto again = read_stream_columns(d / "s", sc);  // from the cache
  auto text = read_stream_data(d / "s", sc);
  ASSERT_EQ(again.time_s, text.time_s);
  ASSERT_EQ(again.values.size(), 1u);
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (std::isnan(text.values[0][i])) {
      EXPECT_TRUE(std::isnan(again.values[0][i]));
    } else {
      EXPECT_EQ(again.values[0][i], static_cast<float>(text.values[0][i]));
    }
  }
  auto ext = cached_stream_extent(d / "s", sc);
  ASSERT_TRUE(ext.has_value());
  EXPECT_EQ(ext->samples, 500u);
  EXPECT_DOUBLE_EQ(ext->last_s, 4.99);
  // A rewritten stream (other length) is read again, not served from the stale cache.
  fs::remove(stream_tsv_path(d / "s", "ecg_A"));
  fs::remove(stream_json_path(d / "s", "ecg_A"));
  write_stream(d / "s", sc, ramp(300, 2.0));
  EXPECT_FALSE(cached_stream_extent(d / "s", sc).has_value());
  auto fresh = read_stream_columns(d / "s", sc);
  ASSERT_EQ(fresh.time_s.size(), 300u);
  EXPECT_EQ(fresh.values[0][10], 20.0f);
}

TEST(StreamCache, ADamagedCacheIsIgnoredAndRebuilt) {
  dyad::test::TempDir d;
  create_session_dir(d / "s");
  auto sc = ecg_sidecar();
  write_stream(d / "s", sc, ramp(200, 1.0));
  read_stream_columns(d / "s", sc);
  auto cache = stream_cache_path(d / "s", "ecg_A");
  for (std::uintmax_t size : {std::uintmax_t{0}, std::uintmax_t{7}, std::uintmax_t{60}, fs::file_size(cache) - 1}) {
    fs::resize_file(cache, size);
    EXPECT_FALSE(cached_stream_extent(d / "s", sc).has_value()) << size;
    auto c = read_stream_columns(d / "s", sc);
    ASSERT_EQ(c.time_s.size(), 200u) << size;
    EXPECT_EQ(c.values[0][199], 199.0f);
  }
}

TEST(StreamCache, AFreshCacheIsMappedAndAViewOutlivesItsReplacement) {
  dyad::test::TempDir d;
  create_session_dir(d / "s");
  auto sc = ecg_sidecar();
  write_stream(d / "s", sc, ramp(500, 0.5));
  auto first = map_stream_columns(d / "s", sc);  // from the TSV (owned), and a new cache
  EXPECT_FALSE(first.mapped);
  auto view = map_stream_columns(d / "s", sc);
  ASSERT_TRUE(view.mapped);
  ASSERT_EQ(view.time_s.size(), 500u);
  ASSERT_EQ(view.values.size(), 1u);
  EXPECT_TRUE(std::isnan(view.values[0][3]));
  EXPECT_EQ(view.values[0][499], 249.5f);
  EXPECT_EQ(view.time_s[499], first.time_s[499]);
  // the stream is rewritten: the next open rebuilds the cache (a new file renamed over the old
  // one), and the view in use still reads the old, whole file
  fs::remove(stream_tsv_path(d / "s", "ecg_A"));
  fs::remove(stream_json_path(d / "s", "ecg_A"));
  write_stream(d / "s", sc, ramp(300, 2.0));
  auto fresh = map_stream_columns(d / "s", sc);
  EXPECT_FALSE(fresh.mapped);
  EXPECT_EQ(fresh.values[0][10], 20.0f);
  EXPECT_TRUE(map_stream_columns(d / "s", sc).mapped);
  EXPECT_EQ(view.time_s.size(), 500u);
  EXPECT_EQ(view.values[0][499], 249.5f);
  // the spans stay valid when only a copy of the storage is left
  auto keep = view.storage;
  auto values = view.values[0];
  view = {};
  EXPECT_EQ(values[10], 5.0f);
}

TEST(StreamCache, TableColumnsAreMappedWhenFresh) {
  dyad::test::TempDir d;
  create_session_dir(d / "s");
  fs::create_directories(d / "s" / "features");
  const auto tsv = d / "s" / "features" / "pitch_A.tsv";
  std::ofstream(tsv) << "time_s\tf0_hz\tvoiced\n0.00\t100\t1\n0.01\tn/a\t0\n0.02\t120.5\t1\n";
  auto a = map_table_columns(d / "s", tsv, {"time_s", "f0_hz", "voiced"});
  auto b = map_table_columns(d / "s", tsv, {"time_s", "f0_hz", "voiced"});
  EXPECT_FALSE(a.mapped);
  ASSERT_TRUE(b.mapped);
  ASSERT_EQ(b.time_s.size(), 3u);
  ASSERT_EQ(b.values.size(), 2u);
  EXPECT_EQ(b.time_s[2], 0.02);
  EXPECT_EQ(b.values[0][2], 120.5f);
  EXPECT_TRUE(std::isnan(b.values[0][1]));
  EXPECT_EQ(b.values[1][1], 0.0f);
  // another column set is another cache
  EXPECT_FALSE(map_table_columns(d / "s", tsv, {"time_s", "voiced"}).mapped);
}

TEST(StreamCache, AReadOnlySessionUsesOnlyItsOwnCacheInTheTemporaryFolder) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to plant a file of another user's";
  dyad::test::TempDir d;
  create_session_dir(d / "s");
  auto sc = ecg_sidecar();
  write_stream(d / "s", sc, ramp(200, 1.0));
  // no features/overview/ can be made: the cache goes to the temporary folder
  std::ofstream(d / "s" / "features") << "a file where the folder would be";
  EXPECT_FALSE(map_stream_columns(d / "s", sc).mapped);
  auto again = map_stream_columns(d / "s", sc);
  ASSERT_TRUE(again.mapped);  // this user's own file in the temporary folder
  // the same file, owned by someone else (anyone can create files there): refused, the TSV is read
  const auto key = std::hash<std::string>{}(fs::absolute(d / "s").lexically_normal().string());
  const fs::path planted = fs::temp_directory_path() / ("dyad-" + std::to_string(key) + "-streams-ecg_A.bin");
  ASSERT_TRUE(fs::exists(planted));
  again = {};
  ASSERT_EQ(::chown(planted.c_str(), 65534, 65534), 0);
  auto c = map_stream_columns(d / "s", sc);
  EXPECT_FALSE(c.mapped);
  ASSERT_EQ(c.time_s.size(), 200u);
  EXPECT_EQ(c.values[0][199], 199.0f);
  fs::remove(planted);
}
