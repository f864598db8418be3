#pragma once
// Internal: maxima of an even sequence r[-n..n] (an autocorrelation or cross-correlation, with
// r[-i] = r[i]) between its samples, by windowed-sinc interpolation as Praat's manual describes
// for "To Pitch (ac)" and "To Harmonicity (cc)": kernel sinc(pi d) (0.5 + 0.5 cos(pi d / (depth +
// 0.5))), `depth` samples each side (70 in Praat's analyses).
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace dyad::dsp::detail {

class SincPeak {
 public:
  struct Interp {
    double f = 0, d1 = 0, d2 = 0;
  };

  /// Prepares tables for sequences of up to max_lag + 1 values (r[0..max_lag]).
  void init(int depth, std::size_t max_lag) {
    depth_ = depth;
    max_lag_ = max_lag;
    rxp_.assign(max_lag + 1 + 2 * static_cast<std::size_t>(depth) + 2 + static_cast<std::size_t>(depth) + 2, 0.0);
    rxs_.assign(rxp_.size(), 0.0);
    tm_.clear();
    tsign_.clear();
    tcos_.clear();
    tsin_.clear();
    for (int k = 0; k < 2 * depth; ++k) {
      int mm = depth - 1 - k;
      tm_.push_back(mm);
      tsign_.push_back((mm & 1) ? -1.0 : 1.0);
      tcos_.push_back(std::cos(M_PI / (depth + 0.5) * mm));
      tsin_.push_back(std::sin(M_PI / (depth + 0.5) * mm));
    }
  }
  int depth() const noexcept { return depth_; }

  /// Where to write r[0..max_lag]: data()[i] = r[i]; call mirror() afterwards. Values beyond the
  /// last written lag must be zero (they are, unless a longer sequence was written before).
  double* data() noexcept { return rxp_.data() + depth_; }
  const double* data() const noexcept { return rxp_.data() + depth_; }
  /// Fills r[-1..-depth] from r[1..depth] (r is even).
  void mirror(std::size_t n_written) noexcept {
    double* p = data();
    for (int j = 1; j <= depth_ && static_cast<std::size_t>(j) < n_written; ++j) p[-j] = p[j];
  }

  /// Where to write (-1)^i r[i], i = 0..max_lag, for eval3<true> (as data(): zero beyond the last
  /// written lag); then mirror_signed().
  double* signed_data() noexcept { return rxs_.data() + depth_; }
  /// Fills (-1)^i r[i] for i = -1..-depth from i = 1..depth (it is even, like r).
  void mirror_signed(std::size_t n_written) noexcept {
    double* p = rxs_.data() + depth_;
    for (int j = 1; j <= depth_ && static_cast<std::size_t>(j) < n_written; ++j) p[-j] = p[j];
  }

  /// The interpolant at fractional lag x with its first and second derivatives.
  /// (Always inlined: the callers' AVX2 clones then get an AVX2 copy of this loop.)
  /// Signed: the taps' alternating signs (-1)^m = (-1)^(floor(x) - i) are taken from the signed copy
  /// (signed_data()) and one factor (-1)^floor(x) instead of three products per tap (same values:
  /// the sign changes are exact).
  template <bool Signed = false>
  [[gnu::always_inline]] inline Interp eval3(double x) const noexcept {
    std::int64_t ix = static_cast<std::int64_t>(std::floor(x));
    double frac = x - static_cast<double>(ix);
    if (frac < 1e-7) frac = 1e-7;
    if (frac > 1 - 1e-7) frac = 1 - 1e-7;
    const double a = M_PI / (depth_ + 0.5);
    double sp, cp, caf, saf;
    sincos_pi(frac, sp, cp);
    small_sincos(a * frac, saf, caf);
    const double* r = (Signed ? rxs_.data() : rxp_.data()) + (ix - depth_ + 1 + depth_);
    const int n = 2 * depth_;
    const double spi = sp * (1.0 / M_PI), hpa = -0.5 * a, hpa2 = -0.5 * a * a, mpisp = -M_PI * sp;
    double f = 0, f1 = 0, f2 = 0;
    const double* tsg = tsign_.data();
    const double* tmm = tm_.data();
    const double* tc = tcos_.data();
    const double* ts = tsin_.data();
    if constexpr (Signed) {
#pragma omp simd reduction(+ : f, f1, f2)
      for (int k = 0; k < n; ++k) {
        const double inv = 1.0 / (frac + tmm[k]);
        const double cm = tc[k], sm = ts[k];
        const double cad = caf * cm - saf * sm, sad = saf * cm + caf * sm;
        const double S = spi * inv;
        const double S1 = (cp - S) * inv;
        const double S2 = (mpisp - 2 * S1) * inv;
        const double W = 0.5 + 0.5 * cad, W1 = hpa * sad, W2 = hpa2 * cad;
        const double rk = r[k];
        f += rk * (S * W);
        f1 += rk * (S1 * W + S * W1);
        f2 += rk * (S2 * W + 2 * S1 * W1 + S * W2);
      }
      if (ix & 1) return {-f, -f1, -f2};
      return {f, f1, f2};
    }
#pragma omp simd reduction(+ : f, f1, f2)
    for (int k = 0; k < n; ++k) {
      const double sign = tsg[k];
      const double inv = 1.0 / (frac + tmm[k]);
      const double cm = tc[k], sm = ts[k];
      const double cad = caf * cm - saf * sm, sad = saf * cm + caf * sm;
      const double S = sign * spi * inv;
      const double S1 = (sign * cp - S) * inv;
      const double S2 = (sign * mpisp - 2 * S1) * inv;
      const double W = 0.5 + 0.5 * cad, W1 = hpa * sad, W2 = hpa2 * cad;
      const double rk = r[k];
      f += rk * (S * W);
      f1 += rk * (S1 * W + S * W1);
      f2 += rk * (S2 * W + 2 * S1 * W1 + S * W2);
    }
    return {f, f1, f2};
  }
  double eval(double x) const noexcept { return eval3(x).f; }

  /// sin(pi f) and cos(pi f) for f in [0, 1], by symmetry from an angle t in [0, pi / 4] and the
  /// Taylor series to t^17 and t^18 (remainders below 1e-19: within an ulp or two of libm's sincos,
  /// and without its rounding of pi f near f = 1). Inlined: no library call per interpolation.
  [[gnu::always_inline]] static inline void sincos_pi(double f, double& s, double& c) noexcept {
    const bool upper = f > 0.5;
    const double g = upper ? 1 - f : f;  // sin(pi f) = sin(pi g), cos(pi f) = -cos(pi g) when upper
    const bool swap = g > 0.25;
    const double t = M_PI * (swap ? 0.5 - g : g);  // sin(pi g) = cos(t), cos(pi g) = sin(t) when swap
    const double t2 = t * t;
    const double st = t * (1 - t2 / 6 * (1 - t2 / 20 * (1 - t2 / 42 * (1 - t2 / 72 * (1 - t2 / 110 * (1 - t2 / 156 * (1 - t2 / 210 * (1 - t2 / 272))))))));
    const double ct = 1 - t2 / 2 * (1 - t2 / 12 * (1 - t2 / 30 * (1 - t2 / 56 * (1 - t2 / 90 * (1 - t2 / 132 * (1 - t2 / 182 * (1 - t2 / 240 * (1 - t2 / 306))))))));
    s = swap ? ct : st;
    c = swap ? st : ct;
    if (upper) c = -c;
  }

  /// sin and cos of t; for |t| <= 0.05 (the window's angle at depth >= 62) by their Taylor series
  /// to t^9 and t^10 (remainder below 1e-22, i.e. the libm values to the last bit or two).
  [[gnu::always_inline]] static inline void small_sincos(double t, double& s, double& c) noexcept {
    if (std::abs(t) > 0.05) {
      s = std::sin(t);
      c = std::cos(t);
      return;
    }
    const double t2 = t * t;
    s = t * (1 - t2 / 6 * (1 - t2 / 20 * (1 - t2 / 42 * (1 - t2 / 72))));
    c = 1 - t2 / 2 * (1 - t2 / 12 * (1 - t2 / 30 * (1 - t2 / 56 * (1 - t2 / 90))));
  }

  /// Brent's method: the maximum of f on [a, b] starting from x0; returns its place, sets value.
  template <class F>
  static double brent_max(F&& f, double a, double b, double x0, double& value) noexcept {
    const double cgold = 0.3819660112501051, tol = 1e-6;
    double x = x0, w = x0, v = x0;
    double fx = -f(x), fw = fx, fv = fx;
    double d = 0, e = 0;
    for (int it = 0; it < 60; ++it) {
      double xm = 0.5 * (a + b);
      double tol1 = tol * std::abs(x) + 1e-10, tol2 = 2 * tol1;
      if (std::abs(x - xm) <= tol2 - 0.5 * (b - a)) break;
      bool golden = true;
      if (std::abs(e) > tol1) {
        double r = (x - w) * (fx - fv), q = (x - v) * (fx - fw), p = (x - v) * q - (x - w) * r;
        q = 2 * (q - r);
        if (q > 0) p = -p;
        q = std::abs(q);
        double etemp = e;
        e = d;
        if (!(std::abs(p) >= std::abs(0.5 * q * etemp) || p <= q * (a - x) || p >= q * (b - x))) {
          d = p / q;
          double u = x + d;
          if (u - a < tol2 || b - u < tol2) d = xm - x >= 0 ? tol1 : -tol1;
          golden = false;
        }
      }
      if (golden) {
        e = (x >= xm ? a - x : b - x);
        d = cgold * e;
      }
      double u = std::abs(d) >= tol1 ? x + d : x + (d >= 0 ? tol1 : -tol1);
      double fu = -f(u);
      if (fu <= fx) {
        if (u >= x) a = x; else b = x;
        v = w; fv = fw; w = x; fw = fx; x = u; fx = fu;
      } else {
        if (u < x) a = u; else b = u;
        if (fu <= fw || w == x) { v = w; fv = fw; w = u; fw = fu; }
        else if (fu <= fv || v == x || v == w) { v = u; fv = fu; }
      }
    }
    value = -fx;
    return x;
  }

  /// Brent's method on the interpolant: its maximum on [a, b].
  double maximise(double a, double b, double x0, double& value) const noexcept {
    return brent_max([this](double x) { return eval(x); }, a, b, x0, value);
  }

  /// The interpolant when only r[0..last] exist beyond 0 (r mirrored below 0): the kernel's depth
  /// shrinks to the distance to `last` (linear interpolation within 2 samples of it; r[last] at
  /// and beyond it), so the end of the sequence is never treated as zeros.
  double eval_limited(double x, std::int64_t last) const noexcept {
    const double* r = data();
    if (x >= static_cast<double>(last)) return r[last];
    const auto ix = static_cast<std::int64_t>(std::floor(x));
    const double frac = x - static_cast<double>(ix);
    if (frac == 0) return r[ix];
    const std::int64_t d = std::min<std::int64_t>(depth_, last - ix);
    if (d <= 2) return r[ix] + frac * (r[ix + 1] - r[ix]);
    // taps i = ix - m, m = -d .. d - 1, at distance u = frac + m: sin(pi u) = (-1)^m sin(pi frac),
    // and cos(a u) by rotation from m = -d (no transcendental call per tap)
    const double a = M_PI / (static_cast<double>(d) + 0.5);
    const double sf = std::sin(M_PI * frac) / M_PI;
    const double ca = std::cos(a), sa = std::sin(a);
    double c = std::cos(a * (frac - static_cast<double>(d))), s = std::sin(a * (frac - static_cast<double>(d)));
    double f = 0;
    for (std::int64_t m = -d; m < d; ++m) {
      const double u = frac + static_cast<double>(m);
      const double sign = (m & 1) ? -1.0 : 1.0;
      f += r[ix - m] * (sign * sf / u) * (0.5 + 0.5 * c);
      const double c2 = c * ca - s * sa;
      s = s * ca + c * sa;
      c = c2;
    }
    return f;
  }

  /// The maximum near discrete peak i of a sequence that ends at `last` (see eval_limited).
  double refine_limited(double i, double x0, std::int64_t last, double& value) const noexcept {
    return brent_max([&](double x) { return eval_limited(x, last); }, i - 1, std::min(i + 1, static_cast<double>(last)), x0, value);
  }

  /// The maximum of the interpolant near discrete peak i, starting from x0: Newton steps on the
  /// derivative (1 to 3 passes from the parabolic guess), Brent's method if they fail. A Newton step
  /// shorter than `accept_step` (lag samples) is taken as the last: the error of its estimate grows
  /// as the step squared (0.05 instead of 0.02 moves lags by at most 6e-5 of the lag on an hour of
  /// speech).
  /// (Signed: with eval3<true>, after signed_data() is written and mirror_signed().)
  template <bool Signed = false>
  [[gnu::always_inline]] inline double refine(double i, double x0, double& value, double accept_step = 0.02) const noexcept {
    double x = x0;
    for (int it = 0; it < 6; ++it) {
      Interp v = eval3<Signed>(x);
      if (!(v.d2 < 0)) break;
      double step = -v.d1 / v.d2;
      if (std::abs(step) > 0.5) break;
      if (std::abs(step) < accept_step) {
        value = v.f + 0.5 * v.d1 * step;
        return x + step;
      }
      x += step;
      if (x < i - 1 || x > i + 1) break;
    }
    return maximise(i - 1, i + 1, x0, value);
  }

 private:
  int depth_ = 70;
  std::size_t max_lag_ = 0;
  // r mirrored and zero-padded: rxp[j + depth] = r[|j|] for |j| <= max_lag, else 0
  std::vector<double> rxp_;
  std::vector<double> rxs_;  // (-1)^(index - depth) rxp_[index] (signed_data(), mirror_signed())
  // Per-tap tables, tap k = 0 .. 2 depth - 1 takes lag i = floor(x) - depth + 1 + k, m = depth - 1 - k:
  // cos(a m), sin(a m), (-1)^m, and m itself.
  std::vector<double> tcos_, tsin_, tsign_, tm_;
};

}  // namespace dyad::dsp::detail
