#pragma once
/// \file Exact order statistics and percentiles of a data set too large to hold: the caller feeds
/// the values again on every pass (from a file, a recomputation...), memory does not depend on
/// their number.
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

namespace dyad::dsp {

/// Calls its argument once for every value of the data set, in any order, the same set each time.
using ValueReplay = std::function<void(const std::function<void(double)>&)>;

/// The values of 0-based ranks `ranks` (each < the number of values) in the sorted data set, exactly:
/// four passes over the data (16 bits of the ordered 64-bit key per pass), 512 KiB per rank.
/// Values must not be NaN.
std::vector<double> order_statistics(const ValueReplay& replay, std::span<const std::uint64_t> ranks);

/// Percentiles p (0..1) of `n` values with linear interpolation between the order statistics at
/// p * (n - 1), as functionals() computes them from a sorted array; NaN for n == 0.
std::vector<double> percentiles(const ValueReplay& replay, std::uint64_t n, std::span<const double> p);

}  // namespace dyad::dsp
