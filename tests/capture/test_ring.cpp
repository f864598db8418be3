#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

#include "dyad/capture/ring_buffer.hpp"

using dyad::capture::FrameRing;
using dyad::capture::SpscQueue;

namespace {
std::vector<float> block(std::size_t first_frame, std::size_t frames, int ch) {
  std::vector<float> b(frames * static_cast<std::size_t>(ch));
  for (std::size_t i = 0; i < frames; ++i)
    for (int c = 0; c < ch; ++c) b[i * static_cast<std::size_t>(ch) + static_cast<std::size_t>(c)] = static_cast<float>((first_frame + i) * 10 + static_cast<std::size_t>(c));
  return b;
}
}  // namespace

TEST(FrameRing, RefusesBadSizes) {
  EXPECT_THROW(FrameRing(0, 2), std::invalid_argument);
  EXPECT_THROW(FrameRing(8, 0), std::invalid_argument);
}

TEST(FrameRing, WholeBlocksOrNothing) {
  FrameRing r(10, 2);
  auto b = block(0, 4, 2);
  EXPECT_TRUE(r.try_write_frames(b.data(), 4));
  EXPECT_TRUE(r.try_write_frames(b.data(), 4));
  EXPECT_FALSE(r.try_write_frames(b.data(), 4));  // 2 free: nothing written, not 2 frames
  EXPECT_EQ(r.readable_frames(), 8u);
  EXPECT_TRUE(r.try_write_frames(b.data(), 2));
  EXPECT_EQ(r.readable_frames(), 10u);
  EXPECT_FALSE(r.try_write_frames(b.data(), 1));
}

TEST(FrameRing, ReadsTwoRegionsWithoutCopyingWhenWrapped) {
  FrameRing r(8, 3);
  auto a = block(0, 6, 3);
  ASSERT_TRUE(r.try_write_frames(a.data(), 6));
  r.consume(5);
  auto b = block(6, 5, 3);
  ASSERT_TRUE(r.try_write_frames(b.data(), 5));  // frames 6..10, wraps after frame 7
  auto reg = r.read_regions();
  EXPECT_EQ(reg.frames, 6u);
  EXPECT_EQ(reg.first.size(), 3u * 3);   // positions 5,6,7
  EXPECT_EQ(reg.second.size(), 3u * 3);  // positions 0,1,2
  std::vector<float> got(reg.first.begin(), reg.first.end());
  got.insert(got.end(), reg.second.begin(), reg.second.end());
  for (std::size_t i = 0; i < 6; ++i)
    for (int c = 0; c < 3; ++c) EXPECT_EQ(got[i * 3 + static_cast<std::size_t>(c)], static_cast<float>((5 + i) * 10 + static_cast<std::size_t>(c)));
  r.consume(6);
  EXPECT_EQ(r.readable_frames(), 0u);
  EXPECT_EQ(r.read_regions().frames, 0u);
}

TEST(SpscQueue, FifoAndFull) {
  SpscQueue<int> q(3);
  EXPECT_TRUE(q.try_push(1));
  EXPECT_TRUE(q.try_push(2));
  EXPECT_TRUE(q.try_push(3));
  EXPECT_FALSE(q.try_push(4));
  int v = 0;
  EXPECT_TRUE(q.try_pop(v));
  EXPECT_EQ(v, 1);
  EXPECT_TRUE(q.try_push(4));
  for (int want : {2, 3, 4}) {
    ASSERT_TRUE(q.try_pop(v));
    EXPECT_EQ(v, want);
  }
  EXPECT_FALSE(q.try_pop(v));
}

// Producer and consumer on two threads with odd block sizes and a small ring: every frame the
// producer says it wrote arrives once, in order, with its channels in place. Run under
// ThreadSanitizer with -DDYAD_TSAN=ON (dyad_ring_tsan_tests).
TEST(FrameRing, StressTwoThreadsNoLossNoRotation) {
  const int ch = 3;
  FrameRing r(97, ch);
  SpscQueue<std::uint64_t> accepted(1 << 16);
  const std::size_t total_blocks = 60000;
  std::atomic<bool> done{false};
  std::uint64_t written_frames = 0, refused = 0;
  std::thread prod([&] {
    std::vector<float> buf(64 * ch);
    std::uint64_t next = 0;
    for (std::size_t b = 0; b < total_blocks; ++b) {
      std::size_t n = 1 + (b * 7) % 31;
      for (std::size_t i = 0; i < n; ++i)
        for (int c = 0; c < ch; ++c) buf[i * ch + static_cast<std::size_t>(c)] = static_cast<float>(((next + i) % 100000) * 4 + static_cast<std::uint64_t>(c));
      if (r.try_write_frames(buf.data(), n)) {
        next += n;
        written_frames += n;
      } else {
        ++refused;
      }
    }
    done.store(true, std::memory_order_release);
  });
  std::uint64_t expect = 0;
  bool ok = true;
  while (true) {
    bool fin = done.load(std::memory_order_acquire);
    auto reg = r.read_regions();
    for (auto region : {reg.first, reg.second})
      for (std::size_t i = 0; i + ch <= region.size(); i += ch, ++expect)
        for (int c = 0; c < ch; ++c)
          if (region[i + static_cast<std::size_t>(c)] != static_cast<float>((expect % 100000) * 4 + static_cast<std::uint64_t>(c))) ok = false;
    r.consume(reg.frames);
    if (fin && r.readable_frames() == 0) break;
  }
  prod.join();
  EXPECT_TRUE(ok);
  EXPECT_EQ(expect, written_frames);
  EXPECT_GT(written_frames, 0u);
  (void)refused;
  (void)accepted;
}

TEST(SpscQueue, StressTwoThreads) {
  SpscQueue<std::uint64_t> q(7);
  const std::uint64_t n = 50000;
  std::thread prod([&] {
    for (std::uint64_t i = 0; i < n;)
      if (q.try_push(i)) ++i;
  });
  std::uint64_t want = 0, v = 0;
  bool ok = true;
  while (want < n)
    if (q.try_pop(v)) ok = ok && (v == want++);
  prod.join();
  EXPECT_TRUE(ok);
}
