#pragma once
/// \file Peak detection over a run of any length in bounded memory: the run arrives in blocks, is
/// cut into chunks of `core_s` seconds and each chunk is given to a whole-run detector (ECG R
/// peaks, PPG pulse peaks) with `pre_s` seconds before it and `post_s` after it, so its filters'
/// edges, adaptive thresholds and search-back have settled by the core; only the peaks inside a
/// core are kept, so each is found once. On MIT-BIH record 100, the NeuroKit recordings and the
/// simulator the peaks equal the whole run's (bench/RESULTS.md, tests/dsp/test_physio.cpp); they
/// could differ where a detector's adaptive state has not settled within pre_s, and whatever a
/// detector estimates over its whole input (EcgPeakDetector's polarity vote, PpgPeakDetector's
/// mean level) is then estimated per chunk.
#include <cstddef>
#include <functional>
#include <span>
#include <vector>

namespace dyad::dsp {

struct ChunkConfig {
  double core_s = 300;  ///< peaks kept per chunk; 0 = the whole run at once (memory grows with it)
  double pre_s = 30;    ///< context before each core (after the first), s
  double post_s = 10;   ///< context after each core (before the last), s
};

/// One run of one stream. push() blocks in order, then finish(); peak_times() gives the time of
/// every peak. Holds at most (pre_s + core_s + post_s) of samples plus one block.
class ChunkedPeakDetector {
 public:
  /// `detect` finds the peaks of a contiguous stretch (indices into it, ascending); `align`
  /// samples: chunk starts are multiples of it from the run's start (a detector that
  /// block-averages by k sees the same blocks as on the whole run when align = k);
  /// `min_distance` samples: a peak closer than this to the previous one kept is dropped (the
  /// detector's refractory period; peaks of two chunks never come closer than it).
  ChunkedPeakDetector(std::function<std::vector<std::size_t>(std::span<const double>)> detect, double rate_hz, const ChunkConfig& c,
                      std::size_t align, std::size_t min_distance);
  /// Appends samples and their times (equal lengths).
  void push(std::span<const double> time_s, std::span<const double> x);
  /// Detects in what is left; call once, after the last push.
  void finish();
  /// Times of the peaks found so far.
  const std::vector<double>& peak_times() const noexcept { return peaks_; }
  /// Samples pushed so far.
  std::size_t samples() const noexcept { return total_; }

 private:
  void run_chunk(std::size_t end, bool last);  // detect in x_[0, end), keep the peaks in the core (to the end when last)
  std::function<std::vector<std::size_t>(std::span<const double>)> detect_;
  std::size_t core_ = 0, pre_ = 0, post_ = 0, min_distance_ = 0;
  std::vector<double> t_, x_;       // samples from global index start_
  std::size_t start_ = 0;           // global index of x_[0]
  std::size_t core_begin_ = 0;      // global index of the current core's first sample
  std::size_t total_ = 0;
  bool have_last_ = false;
  std::size_t last_ = 0;            // global index of the last peak kept
  std::vector<double> peaks_;
};

}  // namespace dyad::dsp
