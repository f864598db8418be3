#include "dyad/dsp/chunked.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <stdexcept>

#include "common.hpp"

namespace dyad::dsp {

using detail::num;
using detail::require;

ChunkedPeakDetector::ChunkedPeakDetector(std::function<std::vector<std::size_t>(std::span<const double>)> detect, double rate_hz,
                                         const ChunkConfig& c, std::size_t align, std::size_t min_distance)
    : detect_(std::move(detect)), min_distance_(min_distance) {
  require(rate_hz > 0, "ChunkedPeakDetector: rate_hz must be above 0 (got " + num(rate_hz) + ").");
  require(c.core_s >= 0 && c.pre_s >= 0 && c.post_s >= 0, "ChunkedPeakDetector: core_s, pre_s and post_s must not be negative (got " +
                                                              num(c.core_s) + ", " + num(c.pre_s) + " and " + num(c.post_s) + ").");
  require(c.core_s == 0 || c.core_s >= 1, "ChunkedPeakDetector: core_s must be 0 (the whole run) or at least 1 s (got " + num(c.core_s) + ").");
  if (align == 0) align = 1;
  auto samples = [&](double s) {
    const auto n = static_cast<std::size_t>(std::ceil(s * rate_hz));
    return (n + align - 1) / align * align;  // whole blocks of `align`
  };
  core_ = samples(c.core_s);
  pre_ = samples(c.pre_s);
  post_ = static_cast<std::size_t>(std::ceil(c.post_s * rate_hz));
}

void ChunkedPeakDetector::push(std::span<const double> time_s, std::span<const double> x) {
  require(time_s.size() == x.size(), "ChunkedPeakDetector: push needs as many times as samples.");
  t_.insert(t_.end(), time_s.begin(), time_s.end());
  x_.insert(x_.end(), x.begin(), x.end());
  total_ += x.size();
  if (core_ == 0) return;
  // Whole chunks: the core and post_s after it are here.
  while (start_ + x_.size() >= core_begin_ + core_ + post_) {
    run_chunk(core_begin_ + core_ + post_ - start_, false);
    core_begin_ += core_;
    const std::size_t keep_from = core_begin_ - std::min(core_begin_, pre_);  // a multiple of align
    const auto drop = static_cast<std::ptrdiff_t>(keep_from - start_);
    t_.erase(t_.begin(), t_.begin() + drop);
    x_.erase(x_.begin(), x_.begin() + drop);
    start_ = keep_from;
  }
}

void ChunkedPeakDetector::finish() {
  if (!x_.empty()) run_chunk(x_.size(), true);
  core_begin_ = start_ + x_.size();
  t_ = {};
  x_ = {};
}

void ChunkedPeakDetector::run_chunk(std::size_t end, bool last) {
  const auto idx = detect_(std::span<const double>(x_.data(), end));
  const std::size_t core_end = core_ == 0 || last ? SIZE_MAX : core_begin_ + core_;
  for (auto k : idx) {
    const std::size_t g = start_ + k;
    if (g < core_begin_ || g >= core_end) continue;
    if (have_last_ && g < last_ + min_distance_) continue;
    peaks_.push_back(t_[k]);
    last_ = g;
    have_last_ = true;
  }
}

}  // namespace dyad::dsp
