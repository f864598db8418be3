#include "dyad/dsp/order_statistics.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>

namespace dyad::dsp {

namespace {
/// A key whose unsigned order is the order of the doubles (negative values reversed).
std::uint64_t key_of(double x) {
  const auto b = std::bit_cast<std::uint64_t>(x);
  return (b >> 63) ? ~b : b | (std::uint64_t{1} << 63);
}
double value_of(std::uint64_t k) {
  return std::bit_cast<double>((k >> 63) ? k & ~(std::uint64_t{1} << 63) : ~k);
}
}  // namespace

std::vector<double> order_statistics(const ValueReplay& replay, std::span<const std::uint64_t> ranks) {
  const std::size_t R = ranks.size();
  std::vector<std::uint64_t> prefix(R, 0), left(ranks.begin(), ranks.end());  // rank left within the prefix
  std::vector<std::uint64_t> counts;
  for (int pass = 0; pass < 4; ++pass) {
    const int shift = 48 - 16 * pass;
    const std::uint64_t high_mask = pass == 0 ? 0 : ~std::uint64_t{0} << (shift + 16);
    counts.assign(R << 16, 0);
    replay([&](double x) {
      const auto k = key_of(x);
      const auto digit = (k >> shift) & 0xffff;
      for (std::size_t r = 0; r < R; ++r)
        if ((k & high_mask) == prefix[r]) ++counts[(r << 16) + digit];
    });
    for (std::size_t r = 0; r < R; ++r) {
      std::uint64_t d = 0;
      for (; d < 0xffff; ++d) {
        const auto c = counts[(r << 16) + d];
        if (left[r] < c) break;
        left[r] -= c;
      }
      prefix[r] |= d << shift;
    }
  }
  std::vector<double> out(R);
  for (std::size_t r = 0; r < R; ++r) out[r] = value_of(prefix[r]);
  return out;
}

std::vector<double> percentiles(const ValueReplay& replay, std::uint64_t n, std::span<const double> p) {
  std::vector<double> out(p.size(), std::numeric_limits<double>::quiet_NaN());
  if (n == 0) return out;
  std::vector<std::uint64_t> ranks;
  for (double q : p) {
    const double pos = q * static_cast<double>(n - 1);
    const auto i = static_cast<std::uint64_t>(std::floor(pos));
    ranks.push_back(std::min(i, n - 1));
    ranks.push_back(std::min(i + 1, n - 1));
  }
  const auto v = order_statistics(replay, ranks);
  for (std::size_t j = 0; j < p.size(); ++j) {
    const double pos = p[j] * static_cast<double>(n - 1);
    const auto i = static_cast<std::uint64_t>(std::floor(pos));
    if (i + 1 >= n) out[j] = v[2 * j + 1];
    else out[j] = v[2 * j] + (pos - static_cast<double>(i)) * (v[2 * j + 1] - v[2 * j]);
  }
  return out;
}

}  // namespace dyad::dsp
