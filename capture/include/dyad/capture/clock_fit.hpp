#pragma once
/// \file Device time -> host time for one sensor stream (DESIGN.md "Clocks"): the lower envelope
/// of receive-minus-send delay, as NTP and Lab Streaming Layer do. Every (device_s, host_s) pair
/// (a sample's device time and when it arrived, or a time probe's send time and when it arrived)
/// lies on or above the true line host = offset + (1 + drift) * device, by the delivery delay.
/// Pairs are reduced to the minimum delay per bucket of device time (memory grows with the
/// session's length, not its sample rate); the fit is the line below every bucket minimum that
/// touches the lower convex hull at the points' mean (the linear programme of Moon, Skelly and
/// Towsley 1999), piecewise over segments of device time joined continuously.
/// Pure: no threads, no I/O. One thread per instance.
#include <cstddef>
#include <vector>

namespace dyad::capture {

/// Device times beyond this magnitude (about 31 700 years) are not clock readings: the line
/// protocol counts them as malformed and SensorClock ignores them.
inline constexpr double kMaxDeviceTimeS = 1e12;

struct SensorClockConfig {
  double bucket_s = 0.25;       ///< device seconds per envelope bucket
  double segment_s = 300;       ///< device seconds per piece of the final fit
  double live_window_s = 300;   ///< device seconds of history the live fit uses
  double live_refit_s = 1;      ///< the live fit is redone after this many device seconds
  /// At most this many envelope buckets (about 4.5 h at 0.25 s); past it the buckets are widened
  /// (their minima merged), so a sender making up device times cannot grow memory without bound.
  std::size_t max_buckets = 65536;
  /// At most this many pieces in the whole-session fit (85 h at 300 s); a longer span gets longer
  /// pieces, so a sender making up device times cannot make the fit, the sidecar written every
  /// 10 s and the retiming of its file grow with them.
  std::size_t max_pieces = 1024;
};

/// host_s = a + b * (device_s - x0) + device_s over [device_start_s, device_end_s].
struct ClockPiece {
  double device_start_s = 0, device_end_s = 0;
  double delay_at_start_s = 0;  ///< host - device at device_start_s
  double delay_at_end_s = 0;    ///< host - device at device_end_s
  double host_at(double device_s) const {
    const double span = device_end_s - device_start_s;
    const double f = span > 0 ? (device_s - device_start_s) / span : 0;
    return device_s + delay_at_start_s + f * (delay_at_end_s - delay_at_start_s);
  }
};

/// The whole-session fit: continuous, piecewise linear in device time.
struct SensorClockModel {
  std::vector<ClockPiece> pieces;  ///< in device time order; empty: no data
  double residual_ms = 0;          ///< RMS of the bucket minima above the fit
  std::size_t points = 0;          ///< envelope buckets used
  /// Host seconds of a device time (extrapolates the first/last piece).
  double host_at(double device_s) const;
  /// The device time of a host time (the inverse of host_at; the map's slope is within a few
  /// hundred ppm of 1, so a few fixed-point steps are exact to the nanosecond).
  double device_at(double host_s) const;
};

class SensorClock {
 public:
  explicit SensorClock(SensorClockConfig c = {});
  /// One observation: something stamped `device_s` by the device arrived at host time `host_s`.
  void add(double device_s, double host_s);
  /// Host seconds of a device time from what has arrived so far (the live map).
  double host_at(double device_s);
  /// The whole-session fit.
  SensorClockModel fit() const;
  std::size_t buckets() const noexcept { return pts_.size(); }
  double bucket_s() const noexcept { return c_.bucket_s; }
  bool empty() const noexcept { return pts_.empty(); }
  /// Slope of the live map's delay (host - device) per device second; 0 before a fit.
  double live_slope() const noexcept { return live_ok_ ? lb_ : 0.0; }

 private:
  struct Pt {
    long long bucket;
    double x, y;  ///< device_s, delay_s
  };
  SensorClockConfig c_;
  std::vector<Pt> pts_;  ///< sorted by bucket
  // live fit: delay = la_ + lb_ * device_s
  double la_ = 0, lb_ = 0, last_refit_x_ = -1e300;
  bool live_ok_ = false, dirty_ = false;
  void refit_live();
  void coarsen();
};

/// The line under all points (x sorted) touching their lower hull at the mean x:
/// y = a + b * x. Returns false when there are no points.
bool lower_support_line(const double* x, const double* y, std::size_t n, double& a, double& b);

}  // namespace dyad::capture
