#include "dyad/dsp/ecg.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>
#include <string>

#include "dyad/dsp/filter.hpp"

namespace dyad::dsp {

namespace {

std::string num(double v) {
  std::string s = std::to_string(v);
  while (s.size() > 1 && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

void require(bool ok, const std::string& msg) {
  if (!ok) throw std::invalid_argument(msg);
}

struct Candidate {
  std::size_t i = 0;
  double height = 0, slope = 0;
  bool accepted = false;
};

}  // namespace

EcgPeakDetector::EcgPeakDetector(const EcgConfig& c) : c_(c) {
  require(c.sample_rate_hz >= 100, "EcgPeakDetector: sample_rate_hz must be at least 100 Hz (got " + num(c.sample_rate_hz) + ").");
  require(c.band_low_hz > 0 && c.band_low_hz < c.band_high_hz && c.band_high_hz < c.sample_rate_hz / 2,
          "EcgPeakDetector: the band must satisfy 0 < band_low_hz < band_high_hz < sample_rate_hz / 2 (got " + num(c.band_low_hz) +
              " to " + num(c.band_high_hz) + " Hz at " + num(c.sample_rate_hz) + " Hz).");
  require(c.integration_window_s > 0 && c.integration_window_s <= 1,
          "EcgPeakDetector: integration_window_s must be in (0, 1] s (got " + num(c.integration_window_s) + ").");
  require(c.refractory_s > 0 && c.refractory_s < 1, "EcgPeakDetector: refractory_s must be in (0, 1) s (got " + num(c.refractory_s) + ").");
  require(c.t_wave_window_s >= c.refractory_s, "EcgPeakDetector: t_wave_window_s must not be shorter than refractory_s (got " +
                                                   num(c.t_wave_window_s) + " s).");
  require(c.detection_rate_hz >= 100, "EcgPeakDetector: detection_rate_hz must be at least 100 Hz (got " + num(c.detection_rate_hz) + ").");
  require(c.searchback_factor > 1, "EcgPeakDetector: searchback_factor must be above 1 (got " + num(c.searchback_factor) + ").");
}

std::size_t EcgPeakDetector::decimation() const noexcept {
  return c_.sample_rate_hz >= 2 * c_.detection_rate_hz ? static_cast<std::size_t>(std::floor(c_.sample_rate_hz / c_.detection_rate_hz))
                                                       : std::size_t{1};
}

std::vector<std::size_t> EcgPeakDetector::detect(std::span<const double> ecg) const {
  const auto factor = decimation();
  if (factor == 1) {
    double pol = 1;
    return detect_at(ecg, c_.sample_rate_hz, pol);
  }
  // Detect on block means, then place each R peak on the full-rate samples nearby.
  const auto xd = decimate_mean(ecg, factor);
  double pol = 1;
  const auto coarse = detect_at(xd, c_.sample_rate_hz / static_cast<double>(factor), pol);
  const std::size_t n = ecg.size();
  const auto reach = factor + static_cast<std::size_t>(0.01 * c_.sample_rate_hz);
  const auto refr = static_cast<std::size_t>(c_.refractory_s * c_.sample_rate_hz);
  std::vector<std::size_t> peaks;
  peaks.reserve(coarse.size());
  for (auto q : coarse) {
    const std::size_t c = std::min(n - 1, q * factor + factor / 2);
    const std::size_t lo = c > reach ? c - reach : 0, hi = std::min(n - 1, c + reach);
    // The extreme of a 9-ms centred mean, so that a noise spike does not move the peak.
    const auto h = static_cast<std::size_t>(std::lround(0.004 * c_.sample_rate_hz));
    auto smooth = [&](std::size_t k) {
      const std::size_t a = k > h ? k - h : 0, b = std::min(n - 1, k + h);
      double sum = 0;
      for (std::size_t j = a; j <= b; ++j) sum += ecg[j];
      return pol * sum / static_cast<double>(b - a + 1);
    };
    std::size_t best = lo;
    double best_v = smooth(lo);
    for (std::size_t k = lo + 1; k <= hi; ++k) {
      const double v = smooth(k);
      if (v > best_v) {
        best_v = v;
        best = k;
      }
    }
    if (!peaks.empty() && best < peaks.back() + refr) continue;
    peaks.push_back(best);
  }
  return peaks;
}

std::vector<std::size_t> EcgPeakDetector::detect_at(std::span<const double> ecg, double fs, double& polarity) const {
  const std::size_t n = ecg.size();
  if (n < static_cast<std::size_t>(fs)) return {};
  // 1. QRS band-pass (zero phase), 2. five-point derivative, 3. squaring, 4. centred integration.
  std::vector<double> x(ecg.begin(), ecg.end());
  const Biquad band[] = {butter_highpass(c_.band_low_hz, fs), butter_lowpass(c_.band_high_hz, fs)};
  filtfilt(band, x);
  // The derivative, its square's moving integral and the candidates are computed in one pass,
  // without arrays of their own: on a three-hour ECG each would be another 20 MB to fault in.
  auto d = [&](std::size_t i) { return i >= 2 && i + 2 < n ? (2 * x[i + 2] + x[i + 1] - x[i - 1] - 2 * x[i - 2]) * fs / 8 : 0.0; };
  const auto refr = static_cast<std::size_t>(c_.refractory_s * fs);
  const auto twave = static_cast<std::size_t>(c_.t_wave_window_s * fs);
  const auto half_w = static_cast<std::size_t>(c_.integration_window_s * fs / 2);
  const std::size_t learn = std::min(n, static_cast<std::size_t>(2 * fs));
  double learn_max = -INFINITY, learn_sum = 0;

  // Candidate peaks: local maxima of the integrated signal, the larger of any two within refr.
  std::vector<Candidate> cand;
  {
    const auto w = std::max<std::size_t>(1, static_cast<std::size_t>(std::lround(c_.integration_window_s * fs)));
    const std::size_t before = (w - 1) / 2, after = w - 1 - before;
    double s = 0;
    std::size_t lo = 0, hi = 0;  // sum over [lo, hi)
    auto mwi_next = [&](std::size_t i) {
      const std::size_t want_hi = std::min(n, i + after + 1), want_lo = i >= before ? i - before : 0;
      while (hi < want_hi) {
        const double v = d(hi);
        s += v * v;
        ++hi;
      }
      while (lo < want_lo) {
        const double v = d(lo);
        s -= v * v;
        ++lo;
      }
      const double m = std::max(0.0, s) / static_cast<double>(w);
      if (i < learn) {
        learn_max = std::max(learn_max, m);
        learn_sum += m;
      }
      return m;
    };
    double prev = mwi_next(0), cur = n > 1 ? mwi_next(1) : 0;
    for (std::size_t i = 1; i + 1 < n; ++i) {
      const double next = mwi_next(i + 1);
      if (cur > prev && cur >= next) {
        if (!cand.empty() && i - cand.back().i < refr) {
          if (cur > cand.back().height) cand.back() = {i, cur, 0, false};
        } else {
          cand.push_back({i, cur, 0, false});
        }
      }
      prev = cur;
      cur = next;
    }
  }
  for (auto& c : cand) {
    const std::size_t lo = c.i > half_w ? c.i - half_w : 0, hi = std::min(n - 1, c.i + half_w);
    double m = 0;
    for (std::size_t k = lo; k <= hi; ++k) m = std::max(m, std::abs(d(k)));
    c.slope = m;
  }

  // Adaptive thresholds (Pan & Tompkins 1985), learnt on the first two seconds.
  double spk = learn_max / 3;
  double npk = learn_sum / static_cast<double>(learn) / 2;
  double thr1 = npk + 0.25 * (spk - npk), thr2 = 0.5 * thr1;
  std::vector<std::size_t> qrs;
  std::vector<double> rr;  // last intervals, samples
  double last_slope = 0;
  auto rr_mean = [&]() {
    if (rr.empty()) return 0.0;
    const std::size_t k = std::min<std::size_t>(8, rr.size());
    return std::accumulate(rr.end() - static_cast<std::ptrdiff_t>(k), rr.end(), 0.0) / static_cast<double>(k);
  };
  auto accept = [&](Candidate& c, double weight) {
    if (!qrs.empty()) rr.push_back(static_cast<double>(c.i - qrs.back()));
    qrs.push_back(c.i);
    c.accepted = true;
    last_slope = c.slope;
    spk = weight * c.height + (1 - weight) * spk;
  };
  auto update = [&]() {
    thr1 = npk + 0.25 * (spk - npk);
    thr2 = 0.5 * thr1;
  };
  for (std::size_t k = 0; k < cand.size(); ++k) {
    auto& c = cand[k];
    // Search back for a missed beat among the candidates rejected since the last beat.
    for (int guard = 0; guard < 8 && !qrs.empty(); ++guard) {
      const double m = rr_mean();
      if (m <= 0 || static_cast<double>(c.i - qrs.back()) <= c_.searchback_factor * m) break;
      std::size_t best = cand.size();
      for (std::size_t j = k; j-- > 0;) {
        if (cand[j].i <= qrs.back()) break;
        if (cand[j].i - qrs.back() < refr || c.i - cand[j].i < refr || cand[j].height <= thr2) continue;
        if (best == cand.size() || cand[j].height > cand[best].height) best = j;
      }
      if (best == cand.size()) break;
      accept(cand[best], 0.25);
      update();
    }
    if (!qrs.empty() && c.i - qrs.back() < refr) continue;
    if (c.height > thr1) {
      if (!qrs.empty() && c.i - qrs.back() < twave && c.slope < 0.5 * last_slope) {
        npk = 0.125 * c.height + 0.875 * npk;  // a T wave
      } else {
        accept(c, 0.125);
      }
    } else {
      npk = 0.125 * c.height + 0.875 * npk;
    }
    update();
  }

  // R peak: the extreme of the broadly filtered ECG near each QRS, with the record's polarity.
  std::copy(ecg.begin(), ecg.end(), x.begin());
  const Biquad wide[] = {butter_highpass(0.5, fs), butter_lowpass(std::min(40.0, 0.45 * fs), fs)};
  filtfilt(wide, x);
  const auto near = static_cast<std::size_t>(0.1 * fs);
  long vote = 0;
  for (auto q : qrs) {
    const std::size_t lo = q > near ? q - near : 0, hi = std::min(n - 1, q + near);
    const auto [mn, mx] = std::minmax_element(x.begin() + static_cast<std::ptrdiff_t>(lo), x.begin() + static_cast<std::ptrdiff_t>(hi) + 1);
    vote += (*mx > -*mn) ? 1 : -1;
  }
  const double pol = vote >= 0 ? 1.0 : -1.0;
  polarity = pol;
  std::vector<std::size_t> peaks;
  peaks.reserve(qrs.size());
  for (auto q : qrs) {
    const std::size_t lo = q > near ? q - near : 0, hi = std::min(n - 1, q + near);
    std::size_t best = lo;
    for (std::size_t k = lo; k <= hi; ++k)
      if (pol * x[k] > pol * x[best]) best = k;
    if (!peaks.empty() && best < peaks.back() + refr) continue;
    peaks.push_back(best);
  }
  return peaks;
}

// ---------------------------------------------------------------------------------------------

namespace {

/// The centred window [i - half, i + half] (clipped at the ends) of v, kept sorted as i moves on:
/// each step inserts at most one value and removes at most one, O(window) instead of a selection
/// per index. The order statistics are those nth_element would give on the same window.
class SortedWindow {
 public:
  SortedWindow(const std::vector<double>& v, std::size_t window) : v_(v), half_(window / 2) { buf_.reserve(window + 1); }
  /// Moves the window to centre i (i must not decrease) and returns it sorted.
  const std::vector<double>& at(std::size_t i) {
    const std::size_t lo = i > half_ ? i - half_ : 0, hi = std::min(v_.size(), i + half_ + 1);
    for (; hi_ < hi; ++hi_) buf_.insert(std::upper_bound(buf_.begin(), buf_.end(), v_[hi_]), v_[hi_]);
    for (; lo_ < lo; ++lo_) {
      const auto it = std::lower_bound(buf_.begin(), buf_.end(), v_[lo_]);
      if (it != buf_.end()) buf_.erase(it);
    }
    return buf_;
  }

 private:
  const std::vector<double>& v_;
  std::size_t half_, lo_ = 0, hi_ = 0;
  std::vector<double> buf_;
};

/// Quartile deviation (Q3 - Q1) / 2 of v over a centred window, at every index. Of the signed
/// values: with |v| (as NeuroKit2 does) 5.2 x QD is only 2.2 SD of Gaussian beat-to-beat
/// variability, and about 3 % of normal beats would be "corrected". Nearest-rank quartiles.
std::vector<double> rolling_qd(const std::vector<double>& v, std::size_t window) {
  std::vector<double> out(v.size());
  SortedWindow w(v, window);
  for (std::size_t i = 0; i < v.size(); ++i) {
    const auto& b = w.at(i);
    const std::size_t m = b.size() - 1;
    out[i] = (b[(3 * m) / 4] - b[m / 4]) / 2;
  }
  return out;
}

std::vector<double> rolling_median(const std::vector<double>& v, std::size_t window) {
  std::vector<double> out(v.size());
  SortedWindow w(v, window);
  for (std::size_t i = 0; i < v.size(); ++i) {
    const auto& b = w.at(i);
    out[i] = b[b.size() / 2];
  }
  return out;
}

enum class Artefact { none, ectopic, missed, extra, longshort };

}  // namespace

BeatCorrector::BeatCorrector(const BeatCorrectionConfig& c) : c_(c) {
  require(c.alpha > 0, "BeatCorrector: alpha must be above 0 (got " + num(c.alpha) + ").");
  require(c.window_beats >= 5, "BeatCorrector: window_beats must be at least 5 (got " + std::to_string(c.window_beats) + ").");
  require(c.median_beats >= 3, "BeatCorrector: median_beats must be at least 3 (got " + std::to_string(c.median_beats) + ").");
  require(c.min_threshold_s > 0, "BeatCorrector: min_threshold_s must be above 0 (got " + num(c.min_threshold_s) + ").");
  require(c.max_passes >= 1, "BeatCorrector: max_passes must be at least 1 (got " + std::to_string(c.max_passes) + ").");
}

std::vector<Beat> BeatCorrector::correct(std::span<const double> times) const {
  // (the rolling order statistics below need finite, comparable values)
  for (std::size_t i = 0; i < times.size(); ++i)
    require(std::isfinite(times[i]), "BeatCorrector: beat time " + std::to_string(i) + " is not a finite number (got " + num(times[i]) + ").");
  std::vector<double> t(times.begin(), times.end());
  std::vector<char> fixed(t.size(), 0);
  for (int pass = 0; pass < c_.max_passes; ++pass) {
    const std::size_t n = t.size();
    if (n < 10) break;
    std::vector<double> rr(n), drr(n, 0.0);
    for (std::size_t i = 1; i < n; ++i) rr[i] = t[i] - t[i - 1];
    rr[0] = (t.back() - t.front()) / static_cast<double>(n - 1);
    for (std::size_t i = 1; i < n; ++i) drr[i] = rr[i] - rr[i - 1];
    auto th1 = rolling_qd(drr, c_.window_beats);
    auto med = rolling_median(rr, c_.median_beats);
    std::vector<double> mrr(n);
    for (std::size_t i = 0; i < n; ++i) {
      mrr[i] = rr[i] - med[i];
      if (mrr[i] < 0) mrr[i] *= 2;
    }
    auto th2 = rolling_qd(mrr, c_.window_beats);
    std::vector<double> drrs(n), mrrs(n);
    for (std::size_t i = 0; i < n; ++i) {
      th1[i] = std::max(c_.min_threshold_s, c_.alpha * th1[i]);
      th2[i] = std::max(c_.min_threshold_s, c_.alpha * th2[i]);
      drrs[i] = drr[i] / th1[i];
      mrrs[i] = mrr[i] / th2[i];
    }
    auto D = [&](std::size_t i) { return i < n ? drrs[i] : 0.0; };
    std::vector<Artefact> kind(n, Artefact::none);
    for (std::size_t i = 1; i < n; ++i) {
      const double s11 = drrs[i];
      if (std::abs(s11) <= 1 && std::abs(mrrs[i]) <= 3) continue;
      if (std::abs(s11) > 1) {
        const double s12 = s11 > 0 ? std::max(D(i - 1), D(i + 1)) : std::min(D(i - 1), D(i + 1));
        if ((s11 > 1 && s12 < -c_.c1 * s11 - c_.c2) || (s11 < -1 && s12 > -c_.c1 * s11 + c_.c2)) {
          kind[i] = Artefact::ectopic;
          continue;
        }
      }
      const double s22 = s11 >= 0 ? std::min(D(i + 1), D(i + 2)) : std::max(D(i + 1), D(i + 2));
      const bool longb = s11 > 1 && s22 < -1, shortb = s11 < -1 && s22 > 1, odd = std::abs(mrrs[i]) > 3;
      if (!(longb || shortb || odd)) continue;
      const bool missed = std::abs(rr[i] / 2 - med[i]) < th2[i];
      const bool extra = i + 1 < n && std::abs(rr[i] + rr[i + 1] - med[i]) < th2[i];
      if ((shortb || odd) && extra && rr[i] < med[i]) kind[i] = Artefact::extra;
      else if ((longb || odd) && missed && rr[i] > med[i]) kind[i] = Artefact::missed;
      else kind[i] = Artefact::longshort;
    }
    // Apply: an ectopic flag at interval i means beat i-1 is premature or late.
    std::vector<double> nt;
    std::vector<char> nf;
    nt.reserve(n + 8);
    nf.reserve(n + 8);
    bool changed = false, flag_next = false;
    std::vector<char> move(n, 0);
    for (std::size_t i = 1; i < n; ++i) {
      if (kind[i] == Artefact::ectopic && i >= 2 && i - 1 + 1 < n) move[i - 1] = 1;
      if (kind[i] == Artefact::longshort && i + 1 < n && !move[i - 1]) move[i] = 1;
    }
    for (std::size_t i = 0; i < n; ++i) {
      if (i >= 1 && kind[i] == Artefact::missed) {
        nt.push_back((t[i - 1] + t[i]) / 2);
        nf.push_back(1);
        changed = true;
      }
      if (kind[i] == Artefact::extra && i + 1 < n) {
        changed = true;
        flag_next = true;
        continue;
      }
      double ti = t[i];
      char fi = fixed[i] || flag_next;
      flag_next = false;
      if (move[i] && i >= 1 && i + 1 < n) {
        ti = (t[i - 1] + t[i + 1]) / 2;
        fi = 1;
        changed = true;
      }
      nt.push_back(ti);
      nf.push_back(fi);
    }
    t.swap(nt);
    fixed.swap(nf);
    if (!changed) break;
  }
  std::vector<Beat> out(t.size());
  for (std::size_t i = 0; i < t.size(); ++i) out[i] = {t[i], fixed[i] != 0};
  return out;
}

std::vector<double> instantaneous_hr_bpm(std::span<const double> t) {
  std::vector<double> hr(t.size(), std::nan(""));
  for (std::size_t i = 1; i < t.size(); ++i)
    if (t[i] > t[i - 1]) hr[i] = 60.0 / (t[i] - t[i - 1]);
  return hr;
}

double window_hr_bpm(std::span<const double> t, double start_s, double end_s) {
  double sum = 0;
  int k = 0;
  auto it = std::lower_bound(t.begin(), t.end(), start_s);
  for (; it != t.end() && *it < end_s; ++it) {
    if (it == t.begin()) continue;
    sum += *it - *(it - 1);
    ++k;
  }
  return k > 0 ? 60.0 * k / sum : std::nan("");
}

}  // namespace dyad::dsp
