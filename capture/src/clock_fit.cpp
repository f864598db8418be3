#include "dyad/capture/clock_fit.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace dyad::capture {

bool lower_support_line(const double* x, const double* y, std::size_t n, double& a, double& b) {
  if (n == 0) return false;
  double mx = 0;
  for (std::size_t i = 0; i < n; ++i) mx += x[i];
  mx /= static_cast<double>(n);
  // lower hull, monotone chain (x sorted ascending)
  std::vector<std::size_t> h;
  h.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    if (!h.empty() && x[h.back()] == x[i]) {
      if (y[i] >= y[h.back()]) continue;
      h.pop_back();
    }
    while (h.size() >= 2) {
      const std::size_t p = h[h.size() - 2], q = h.back();
      const double cross = (x[q] - x[p]) * (y[i] - y[p]) - (y[q] - y[p]) * (x[i] - x[p]);
      if (cross <= 0)
        h.pop_back();
      else
        break;
    }
    h.push_back(i);
  }
  if (h.size() == 1) {
    a = y[h[0]];
    b = 0;
    return true;
  }
  std::size_t k = 0;
  while (k + 2 < h.size() && x[h[k + 1]] < mx) ++k;
  const std::size_t p = h[k], q = h[k + 1];
  b = (y[q] - y[p]) / (x[q] - x[p]);
  a = y[p] - b * x[p];
  return true;
}

SensorClock::SensorClock(SensorClockConfig c) : c_(c) {
  if (!(c_.bucket_s > 0) || !(c_.segment_s > 0) || !(c_.live_window_s > 0) || c_.max_buckets < 4 || c_.max_pieces < 1)
    throw std::invalid_argument("SensorClock: bucket_s, segment_s and live_window_s must be positive, max_buckets at least 4, max_pieces at least 1");
}

void SensorClock::add(double device_s, double host_s) {
  // (beyond 1e12 s the bucket index would not fit a long long; the line protocol refuses such times)
  if (!std::isfinite(device_s) || !std::isfinite(host_s) || std::abs(device_s) > kMaxDeviceTimeS) return;
  const double y = host_s - device_s;
  const auto bk = static_cast<long long>(std::floor(device_s / c_.bucket_s));
  if (pts_.empty() || pts_.back().bucket < bk) {
    pts_.push_back({bk, device_s, y});
  } else {
    auto it = std::lower_bound(pts_.begin(), pts_.end(), bk, [](const Pt& p, long long b) { return p.bucket < b; });
    if (it != pts_.end() && it->bucket == bk) {
      if (y < it->y) {
        it->x = device_s;
        it->y = y;
      } else {
        return;
      }
    } else {
      pts_.insert(it, {bk, device_s, y});
    }
  }
  if (pts_.size() > c_.max_buckets) coarsen();
  dirty_ = true;
  if (!live_ok_ || device_s - last_refit_x_ >= c_.live_refit_s || device_s < last_refit_x_) refit_live();
}

void SensorClock::coarsen() {
  // Double the bucket width until at most half the cap is used, keeping each new bucket's minimum
  // delay: memory stays bounded whatever device times a sender makes up.
  while (pts_.size() > c_.max_buckets / 2) {
    c_.bucket_s *= 2;
    std::size_t out = 0;
    for (std::size_t i = 0; i < pts_.size(); ++i) {
      Pt p = pts_[i];
      p.bucket = static_cast<long long>(std::floor(p.x / c_.bucket_s));
      if (out > 0 && pts_[out - 1].bucket == p.bucket) {
        if (p.y < pts_[out - 1].y) pts_[out - 1] = p;
      } else {
        pts_[out++] = p;
      }
    }
    pts_.resize(out);
  }
}

void SensorClock::refit_live() {
  if (pts_.empty()) return;
  const double xe = pts_.back().x;
  auto first = std::lower_bound(pts_.begin(), pts_.end(), xe - c_.live_window_s, [](const Pt& p, double v) { return p.x < v; });
  std::vector<double> xs, ys;
  for (auto it = first; it != pts_.end(); ++it) {
    xs.push_back(it->x);
    ys.push_back(it->y);
  }
  // a line through fewer than ~2 s of envelope is too noisy for a drift: hold the minimum
  if (xs.back() - xs.front() < 2.0) {
    la_ = *std::min_element(ys.begin(), ys.end());
    lb_ = 0;
  } else {
    lower_support_line(xs.data(), ys.data(), xs.size(), la_, lb_);
  }
  live_ok_ = true;
  dirty_ = false;
  last_refit_x_ = xe;
}

double SensorClock::host_at(double device_s) {
  if (!live_ok_) return device_s;
  return device_s + la_ + lb_ * device_s;
}

double SensorClockModel::host_at(double device_s) const {
  if (pieces.empty()) return device_s;
  if (device_s <= pieces.front().device_end_s) return pieces.front().host_at(device_s);
  auto it = std::lower_bound(pieces.begin(), pieces.end(), device_s,
                             [](const ClockPiece& p, double v) { return p.device_end_s < v; });
  if (it == pieces.end()) return pieces.back().host_at(device_s);
  return it->host_at(device_s);
}

double SensorClockModel::device_at(double host_s) const {
  if (pieces.empty()) return host_s;
  double d = host_s - (host_at(0) - 0.0);
  for (int i = 0; i < 4; ++i) d = host_s - (host_at(d) - d);
  return d;
}

SensorClockModel SensorClock::fit() const {
  SensorClockModel m;
  if (pts_.empty()) return m;
  m.points = pts_.size();
  const double x0 = pts_.front().x, x1 = pts_.back().x;
  const double span = x1 - x0;
  // Pieces of segment_s over the span, but never more pieces than envelope points: a device clock
  // that leaps (a first sample at 0, the next at 1.7e9 s) must not make the fit allocate and scan
  // millions of empty pieces (found by fuzzing: tests/data/fuzz_regressions/sensor_line).
  const double want = std::floor(span / c_.segment_s);
  const double most = static_cast<double>(std::min(pts_.size(), c_.max_pieces));
  const std::size_t nseg = !(want >= 1) ? 1 : want >= most ? static_cast<std::size_t>(most) : static_cast<std::size_t>(want);
  const double seg = span > 0 ? span / static_cast<double>(nseg) : 0;
  struct L {
    double a, b;
  };
  std::vector<L> lines(nseg);
  std::vector<double> xs, ys;
  for (std::size_t k = 0; k < nseg; ++k) {
    const double lo = x0 + seg * static_cast<double>(k), hi = k + 1 == nseg ? x1 : lo + seg;
    xs.clear();
    ys.clear();
    // pts_ is sorted by bucket, so by device time: the piece's points are one run
    auto first = std::lower_bound(pts_.begin(), pts_.end(), lo, [](const Pt& p, double v) { return p.x < v; });
    for (auto it = first; it != pts_.end() && it->x <= hi; ++it) {
      xs.push_back(it->x);
      ys.push_back(it->y);
    }
    if (xs.empty() || xs.back() - xs.front() < 2.0) {
      // too short for a drift: the minimum, or the previous piece's line
      if (k > 0)
        lines[k] = lines[k - 1];
      else
        lines[k] = {xs.empty() ? pts_.front().y : *std::min_element(ys.begin(), ys.end()), 0};
      continue;
    }
    lower_support_line(xs.data(), ys.data(), xs.size(), lines[k].a, lines[k].b);
  }
  // knots at segment boundaries: the mean of the two neighbouring lines there
  std::vector<double> kx(nseg + 1), ky(nseg + 1);
  for (std::size_t j = 0; j <= nseg; ++j) {
    kx[j] = j == nseg ? x1 : x0 + seg * static_cast<double>(j);
    const L& left = lines[j == 0 ? 0 : j - 1];
    const L& right = lines[j == nseg ? nseg - 1 : j];
    ky[j] = 0.5 * ((left.a + left.b * kx[j]) + (right.a + right.b * kx[j]));
  }
  for (std::size_t k = 0; k < nseg; ++k) m.pieces.push_back({kx[k], kx[k + 1], ky[k], ky[k + 1]});
  double ss = 0;
  for (auto& p : pts_) {
    const double r = p.y - (m.host_at(p.x) - p.x);
    ss += r * r;
  }
  m.residual_ms = std::sqrt(ss / static_cast<double>(pts_.size())) * 1e3;
  return m;
}

}  // namespace dyad::capture
