#include "dyad/dsp/voice.hpp"

#include <fftw3.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <string>

#include "sample_ring.hpp"
#include "sinc_peak.hpp"

namespace dyad::dsp {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string num(double v) {
  std::ostringstream s;
  s.imbue(std::locale::classic());
  s << v;
  return s.str();
}

double hnr_db(double r) {
  if (r <= 1e-15) return -150;
  if (r > 1 - 1e-15) return 150;
  return 10 * std::log10(r / (1 - r));
}

/// Vertex of the parabola through (-1, y0), (0, y1), (1, y2): offset in [-0.5, 0.5] and value.
/// No offset when the three points are not concave (for maxima) or not convex (for minima).
double parabola(double y0, double y1, double y2, bool maximum, double& value) {
  const double d2 = y0 - 2 * y1 + y2;
  value = y1;
  if (maximum ? !(d2 < 0) : !(d2 > 0)) return 0;
  const double off = 0.5 * (y0 - y2) / d2;
  value = y1 - 0.25 * (y0 - y2) * off;
  return off;
}

/// The amplitude of the period around pulse t (Praat's "To AmplitudeTier (period)"): RMS weighted
/// by a squared two-sided Hann window reaching 0.2 of the previous and of the next period.
/// `at(i)` gives sample i; [lo_ok, hi_ok] are the samples that exist.
template <class At>
float period_amplitude(At&& at, std::int64_t lo_ok, std::int64_t hi_ok, double fs, double t, double tprev, double tnext) {
  const double tp = t - tprev, tq = tnext - t;
  if (!(tp > 0 && tq > 0)) return std::numeric_limits<float>::quiet_NaN();
  const double c = t * fs;
  const std::int64_t lo = static_cast<std::int64_t>(std::ceil(c - 0.2 * tp * fs));
  const std::int64_t hi = static_cast<std::int64_t>(std::floor(c + 0.2 * tq * fs));
  if (lo < lo_ok || hi > hi_ok) return std::numeric_limits<float>::quiet_NaN();
  double sxx = 0, sww = 0;
  // w = 0.5 + 0.5 cos(pi tau / (0.2 T)) on each side; the cosine advances by a fixed angle per sample
  auto side = [&](std::int64_t from, std::int64_t to, double period) {
    if (to < from) return;
    const double k = M_PI / (0.2 * period * fs);  // angle per sample
    double cs = std::cos(k * (static_cast<double>(from) - c)), sn = std::sin(k * (static_cast<double>(from) - c));
    const double ck = std::cos(k), sk = std::sin(k);
    for (std::int64_t i = from; i <= to; ++i) {
      const double w = 0.5 + 0.5 * cs;
      const double x = at(i);
      sxx += w * w * x * x;
      sww += w * w;
      const double c2 = cs * ck - sn * sk;
      sn = sn * ck + cs * sk;
      cs = c2;
    }
  };
  const auto mid = static_cast<std::int64_t>(std::ceil(c));  // first sample with tau >= 0
  side(lo, std::min(hi, mid - 1), tp);
  side(std::max(lo, mid), hi, tq);
  return sww > 0 ? static_cast<float>(std::sqrt(sxx / sww)) : std::numeric_limits<float>::quiet_NaN();
}

/// out[0] = 0, out[i + 1] = out[i] + x[i]^2 for i < n, in four independent running sums (a quarter
/// of x each, then offset) so the additions do not wait for each other.
void prefix_sums_of_squares(const float* x, std::size_t n, double* out) noexcept {
  const std::size_t q = n / 4;
  out[0] = 0;
  if (q < 8) {
    for (std::size_t i = 0; i < n; ++i) out[i + 1] = out[i] + static_cast<double>(x[i]) * x[i];
    return;
  }
  double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  for (std::size_t i = 0; i < q; ++i) {  // quarter k's running sum (from 0) goes to out[k q + i + 1]
    const double a = x[i], b = x[q + i], c = x[2 * q + i], d = x[3 * q + i];
    s0 += a * a;
    s1 += b * b;
    s2 += c * c;
    s3 += d * d;
    out[i + 1] = s0;
    out[q + i + 1] = s1;
    out[2 * q + i + 1] = s2;
    out[3 * q + i + 1] = s3;
  }
  double s = s3;
  for (std::size_t i = 4 * q; i < n; ++i) {
    s += static_cast<double>(x[i]) * x[i];
    out[i + 1] = s;
  }
  const double o1 = s0, o2 = o1 + s1, o3 = o2 + s2;
  for (std::size_t i = q + 1; i <= 2 * q; ++i) out[i] += o1;
  for (std::size_t i = 2 * q + 1; i <= 3 * q; ++i) out[i] += o2;
  for (std::size_t i = 3 * q + 1; i <= n; ++i) out[i] += o3;
}

/// Sum of w[j] y[j] in eight lanes (vectorises without -ffast-math).
DYAD_HOT_CLONES float dot(const float* w, const float* y, std::size_t n) noexcept {
  float s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  std::size_t j = 0;
  for (; j + 8 <= n; j += 8)
    for (int k = 0; k < 8; ++k) s[k] += w[j + k] * y[j + k];
  float t = ((s[0] + s[4]) + (s[1] + s[5])) + ((s[2] + s[6]) + (s[3] + s[7]));
  for (; j < n; ++j) t += w[j] * y[j];
  return t;
}

}  // namespace

// ------------------------------------------------------------------------------------------------
// HarmonicityTracker

struct HarmonicityTracker::Impl {
  double fs = 0, step_samples = 0, first_sample = 0;
  // nw0: samples in periods_per_window / f0_min; nw: the correlation window, 2 (nw0 / 2 - 1) samples;
  // maxlag: samples in 1 / f0_min; span: nw0 + maxlag samples centred on the frame (its first nw
  // are the reference window); lags 0 .. lag_end are correlated (Praat 6.3's geometry, found by
  // matching its candidate strengths to 1e-6).
  std::size_t nw0 = 0, nw = 0, maxlag = 0, lag_end = 0, span = 0, nfft = 0;
  detail::SampleRing ring;
  std::vector<float> seg;          // span + 1 samples, mean removed
  std::vector<double> prefix;      // prefix sums of seg^2
  std::vector<double> r;           // r[0..lag_end]
  float* fa = nullptr;             // window, zero padded
  float* fsg = nullptr;            // span, zero padded
  fftwf_complex* sa = nullptr;
  fftwf_complex* ss = nullptr;
  float* fout = nullptr;
  fftwf_plan pa = nullptr, ps = nullptr, pinv = nullptr;
  detail::SincPeak sinc;
  detail::SincPeak sinc700;  // the same r, interpolated 700 samples each side (very short lags)
  struct Cand {
    std::size_t lag;
    double off, par, sharp;  // parabolic offset and value, second difference
  };
  bool exhaustive = false;
  std::vector<Cand> cand;
  std::int64_t next_frame = 0, peak_upto = 0;
  double running_peak = 0;
  std::size_t correlated = 0;

  ~Impl() {
    std::lock_guard<std::mutex> lock(detail::fftw_planner_mutex());
    if (pa) fftwf_destroy_plan(pa);
    if (ps) fftwf_destroy_plan(ps);
    if (pinv) fftwf_destroy_plan(pinv);
    fftwf_free(fa);
    fftwf_free(fsg);
    fftwf_free(sa);
    fftwf_free(ss);
    fftwf_free(fout);
  }

  double centre(std::int64_t k) const { return first_sample + static_cast<double>(k) * step_samples; }
  std::int64_t span_start(std::int64_t k) const {
    return static_cast<std::int64_t>(std::floor(centre(k) - 0.5 * static_cast<double>(span)));
  }

  DYAD_HOT_CLONES double frame(std::int64_t k, const HarmonicityConfig& cfg) {
    const double c = centre(k);
    const std::int64_t start = span_start(k);
    const std::int64_t end = start + static_cast<std::int64_t>(span) + 1;
    if (cfg.reference_peak <= 0) {
      const std::int64_t upto = std::min(end, ring.total());
      if (upto > peak_upto)
        running_peak = std::max(running_peak, static_cast<double>(ring.max_abs(std::max<std::int64_t>(peak_upto, 0), upto)));
      peak_upto = std::max(peak_upto, upto);
    }
    const double gp = cfg.reference_peak > 0 ? cfg.reference_peak : running_peak;
    if (!(gp > 0)) return kHarmonicitySilentDb;
    ring.copy(start, span + 1, seg.data());
    double sum = 0;
    const float* sg = seg.data();
#pragma omp simd reduction(+ : sum)
    for (std::size_t i = 0; i <= span; ++i) sum += sg[i];
    const float mean = static_cast<float>(sum / static_cast<double>(span + 1));
    float* sgw = seg.data();
    for (std::size_t i = 0; i <= span; ++i) sgw[i] -= mean;
    // local peak: one window centred on the frame, samples inside the signal only
    const std::int64_t ci = static_cast<std::int64_t>(std::floor(c));
    const std::int64_t h = static_cast<std::int64_t>(nw0 / 2);
    const std::int64_t a = std::max<std::int64_t>(ci - h, 0), b = std::min<std::int64_t>(ci + h, ring.total() - 1);
    float lp = 0;
    {
      const float* q = sg + (a - start);
      const std::size_t cnt = b >= a ? static_cast<std::size_t>(b - a + 1) : 0;
#pragma omp simd reduction(max : lp)
      for (std::size_t i = 0; i < cnt; ++i) lp = std::max(lp, std::abs(q[i]));
    }
    const double unvoiced = cfg.silence_threshold > 0 ? std::max(0.0, 2 - (lp / gp) / cfg.silence_threshold) : 0.0;
    if (unvoiced >= 1) return kHarmonicitySilentDb;  // no correlation can exceed 1: silent for sure
    ++correlated;
    // numerator of r(L) for L = 0..lag_end by FFT (no wrap-around: nfft > span >= nw + lag_end)
    std::copy(seg.begin(), seg.begin() + static_cast<long>(nw), fa);
    std::fill(fa + nw, fa + nfft, 0.f);
    std::copy(seg.begin(), seg.end(), fsg);
    std::fill(fsg + span + 1, fsg + nfft, 0.f);
    fftwf_execute(pa);
    fftwf_execute(ps);
    const std::size_t nb = nfft / 2 + 1;
    for (std::size_t i = 0; i < nb; ++i) {  // conj(A) * S
      const float ar = sa[i][0], ai = sa[i][1], sr = ss[i][0], si = ss[i][1];
      ss[i][0] = ar * sr + ai * si;
      ss[i][1] = ar * si - ai * sr;
    }
    fftwf_execute(pinv);
    prefix_sums_of_squares(sg, span + 1, prefix.data());
    const double ea = prefix[nw];
    const double scale = 1.0 / static_cast<double>(nfft);
    // r(L) = num(L) / sqrt(ea eb(L)), in simple loops that vectorise (sqrt and division per lag)
    double* rv = r.data();
    const double* pre = prefix.data();
    const float* fo = fout;
    const std::size_t nlags = lag_end + 1, nwin = nw;
    for (std::size_t L = 0; L < nlags; ++L) {
      const double den = ea * (pre[L + nwin] - pre[L]);
      const double v = static_cast<double>(fo[L]) * scale / __builtin_sqrt(den > 1e-300 ? den : 1e-300);
      rv[L] = den > 0 ? v : 0.0;  // (den <= 0: v is finite, 1e150 at most)
    }
    std::copy(rv, rv + lag_end, sinc.data());
    sinc.mirror(lag_end);
    // Candidates: the maxima of r above 0 at lags 2 .. nw - 1, each refined on the windowed-sinc
    // interpolant of r[0 .. nw - 1] (70 samples each side; 700 for lags under 1 / 0.3 samples, i.e.
    // frequencies above 0.3 of the sample rate; a maximum at the last lag is not interpolated).
    // Refining is the costly part, so maxima that cannot be the largest are skipped: those whose
    // parabolic estimate is more than kMargin below the best parabolic estimate, unless sharp (a
    // large second difference: the parabola may badly underestimate such a peak). Exhaustive
    // refinement gives the same frames on all of bench/eval_prosody's speech (checked with
    // HarmonicityConfig::exhaustive_refinement).
    const double margin = exhaustive ? 1e9 : 0.1, sharp_min = exhaustive ? -1e9 : 0.3;
    cand.clear();
    double best_par = -1;
    for (std::size_t L = 2; L + 1 <= lag_end; ++L) {
      const double v = r[L];
      if (!(v > 0 && v > r[L - 1] && v >= r[L + 1])) continue;
      double pv = 0;
      const double off = parabola(r[L - 1], v, r[L + 1], true, pv);
      cand.push_back({L, off, pv, 2 * v - r[L - 1] - r[L + 1]});
      best_par = std::max(best_par, pv);
    }
    double best = -1;
    bool have700 = false;
    for (const Cand& cd : cand) {
      if (cd.par < best_par - margin && cd.sharp < sharp_min) continue;
      double val = r[cd.lag];
      if (cd.lag + 1 < lag_end) {
        const double x0 = static_cast<double>(cd.lag) + cd.off;
        const bool deep = x0 < 1 / 0.3;
        if (deep && !have700) {
          double* q = sinc700.data();
          for (std::size_t L = 0; L < lag_end; ++L) q[L] = r[L];
          sinc700.mirror(lag_end);
          have700 = true;
        }
        const detail::SincPeak& sp = deep ? sinc700 : sinc;
        const auto last = static_cast<std::int64_t>(lag_end) - 1;
        if (static_cast<std::int64_t>(cd.lag) + sp.depth() <= last) sp.refine(static_cast<double>(cd.lag), x0, val);
        else sp.refine_limited(static_cast<double>(cd.lag), x0, last, val);  // near the end of r
      }
      if (val > 1) val = 1 / val;
      best = std::max(best, val);
    }
    if (best <= 0 || best <= unvoiced) return kHarmonicitySilentDb;
    return hnr_db(best);
  }
};

HarmonicityTracker::HarmonicityTracker(const HarmonicityConfig& c) : cfg_(c) {
  auto fail = [](const std::string& what) { throw std::invalid_argument("HarmonicityTracker: " + what); };
  if (!(c.sample_rate_hz > 0 && std::isfinite(c.sample_rate_hz)))
    fail("sample_rate_hz must be positive, got " + num(c.sample_rate_hz) + ".");
  if (!(c.time_step_s > 0 && std::isfinite(c.time_step_s)))
    fail("time_step_s must be positive, got " + num(c.time_step_s) + ".");
  if (!std::isfinite(c.first_frame_s)) fail("first_frame_s must be finite, got " + num(c.first_frame_s) + ".");
  if (!(c.f0_min_hz > 0 && c.sample_rate_hz / c.f0_min_hz >= 8))
    fail("f0_min_hz must be positive and its period at least 8 samples, got f0_min_hz " + num(c.f0_min_hz) +
         " at sample_rate_hz " + num(c.sample_rate_hz) + ".");
  if (!(c.silence_threshold >= 0 && c.silence_threshold < 1))
    fail("silence_threshold must be in [0, 1), got " + num(c.silence_threshold) + ".");
  if (!(c.periods_per_window > 0 && c.periods_per_window <= 10))
    fail("periods_per_window must be in (0, 10], got " + num(c.periods_per_window) + ".");
  if (!(c.reference_peak >= 0)) fail("reference_peak must be 0 (running peak) or positive, got " + num(c.reference_peak) + ".");
  impl_ = std::make_unique<Impl>();
  Impl& m = *impl_;
  m.fs = c.sample_rate_hz;
  m.step_samples = c.time_step_s * c.sample_rate_hz;
  m.first_sample = c.first_frame_s * c.sample_rate_hz;
  m.nw0 = static_cast<std::size_t>(std::floor(c.periods_per_window * c.sample_rate_hz / c.f0_min_hz));
  m.maxlag = static_cast<std::size_t>(std::floor(c.sample_rate_hz / c.f0_min_hz));
  if (m.nw0 < 8) fail("the window (periods_per_window / f0_min_hz) must span at least 8 samples.");
  m.nw = 2 * (m.nw0 / 2 - 1);
  m.lag_end = std::min(m.nw, m.maxlag - 2);
  m.span = m.nw0 + m.maxlag;
  m.nfft = detail::fast_fft_size(m.span + 1);
  m.seg.assign(m.span + 1, 0.f);
  m.prefix.assign(m.span + 2, 0.0);
  m.r.assign(m.lag_end + 1, 0.0);
  m.sinc.init(70, m.lag_end);
  m.sinc700.init(700, m.lag_end);
  m.exhaustive = c.exhaustive_refinement;
  m.cand.reserve(m.maxlag / 2 + 2);
  m.ring.init(m.span + 2 + static_cast<std::size_t>(std::ceil(m.step_samples)) + 4096);
  {
    std::lock_guard<std::mutex> lock(detail::fftw_planner_mutex());
    m.fa = fftwf_alloc_real(m.nfft);
    m.fsg = fftwf_alloc_real(m.nfft);
    m.sa = fftwf_alloc_complex(m.nfft / 2 + 1);
    m.ss = fftwf_alloc_complex(m.nfft / 2 + 1);
    m.fout = fftwf_alloc_real(m.nfft);
    m.pa = fftwf_plan_dft_r2c_1d(static_cast<int>(m.nfft), m.fa, m.sa, FFTW_ESTIMATE);
    m.ps = fftwf_plan_dft_r2c_1d(static_cast<int>(m.nfft), m.fsg, m.ss, FFTW_ESTIMATE);
    m.pinv = fftwf_plan_dft_c2r_1d(static_cast<int>(m.nfft), m.ss, m.fout, FFTW_ESTIMATE);
  }
  if (!m.pa || !m.ps || !m.pinv)
    throw std::runtime_error("HarmonicityTracker: FFTW could not plan a transform of " + num(static_cast<double>(m.nfft)) + " points.");
  reset();
}

HarmonicityTracker::~HarmonicityTracker() = default;

void HarmonicityTracker::reset() noexcept {
  Impl& m = *impl_;
  m.ring.clear();
  m.next_frame = 0;
  m.peak_upto = 0;
  m.running_peak = 0;
  m.correlated = 0;
}

std::size_t HarmonicityTracker::correlated_frames() const noexcept { return impl_->correlated; }

std::size_t HarmonicityTracker::max_output(std::size_t block_samples) const noexcept {
  return static_cast<std::size_t>(static_cast<double>(block_samples + impl_->span) / impl_->step_samples) + 4;
}

std::size_t HarmonicityTracker::process(std::span<const float> block, std::span<double> out) noexcept {
  Impl& m = *impl_;
  std::size_t written = 0, pos = 0;
  while (pos < block.size()) {
    std::int64_t keep_from = std::max<std::int64_t>(0, m.span_start(m.next_frame));
    if (cfg_.reference_peak <= 0) keep_from = std::min(keep_from, m.peak_upto);
    const std::int64_t room = static_cast<std::int64_t>(m.ring.capacity()) - (m.ring.total() - keep_from);
    const std::size_t take = std::min<std::size_t>(block.size() - pos, static_cast<std::size_t>(std::max<std::int64_t>(room, 0)));
    m.ring.push(block.data() + pos, take);
    pos += take;
    while (m.span_start(m.next_frame) + static_cast<std::int64_t>(m.span) + 1 <= m.ring.total()) {
      out[written++] = m.frame(m.next_frame, cfg_);
      ++m.next_frame;
    }
  }
  return written;
}

std::size_t HarmonicityTracker::finish(std::span<double> out) noexcept {
  Impl& m = *impl_;
  std::size_t written = 0;
  const double n = static_cast<double>(m.ring.total());
  while (m.centre(m.next_frame) < n) {
    out[written++] = m.frame(m.next_frame, cfg_);
    ++m.next_frame;
  }
  return written;
}

// ------------------------------------------------------------------------------------------------
// PulseTracker

struct PulseTracker::Impl {
  double fs = 0, dt = 0, first = 0, f0_min = 0;
  std::int64_t max_run_frames = 0;
  std::int64_t stride = 1;  // coarse scan step of the pulse search: one sample per 1/16000 s
  detail::SampleRing ring;
  std::int64_t frames_seen = 0;      // index of the next pitch frame
  // the open voiced run
  std::int64_t run_first = -1;       // frame index, -1 when no run is open
  std::vector<double> run_f0;
  // closed runs waiting for their samples
  struct Interval {
    std::int64_t first_frame = 0;
    std::vector<double> f0;
    double tleft = 0, tright = 0;
  };
  std::vector<Interval> waiting;     // in time order
  std::vector<GlottalPulse> pend;    // found, sorted, not yet emitted
  std::vector<GlottalPulse> found;   // scratch: the pulses of one interval
  double last_emitted = kNaN;        // time of the last emitted pulse
  std::size_t cut = 0;
  bool finished = false;
  // scratch
  struct Pt {
    double t, corr;
    float peak;  // largest |x| in the pulse's period of signal
  };
  std::vector<Pt> pts;
  double added_right = -std::numeric_limits<double>::infinity();  // last pulse kept by a rightward chain
  double reference_peak = 0;  // 0: the running peak below
  // The running peak: largest |x| over samples [0, peak_upto). An interval is judged with the peak
  // of the samples up to the last one its analysis needs, whatever the block sizes.
  float running_peak = 0;
  std::int64_t peak_upto = 0;
  void extend_peak(std::int64_t upto) {
    upto = std::min(upto, ring.total());
    if (upto <= peak_upto) return;
    running_peak = std::max(running_peak, ring.max_abs(std::max(peak_upto, ring.oldest()), upto));
    peak_upto = upto;
  }
  std::vector<float> wa;

  double frame_time(std::int64_t k) const { return first + static_cast<double>(k) * dt; }

  /// Praat's "Get value at time" with linear interpolation on the frames of one voiced run: the
  /// nearest frame must be voiced (else undefined); between two voiced frames, linear; else the
  /// nearest frame's value.
  static double f0_at(const Interval& iv, double t, double first_s, double step) {
    const double kr = (t - (first_s + static_cast<double>(iv.first_frame) * step)) / step;
    const auto n = static_cast<std::int64_t>(iv.f0.size());
    const auto j = static_cast<std::int64_t>(std::floor(kr + 0.5));
    if (j < 0 || j >= n) return kNaN;
    const double fj = iv.f0[static_cast<std::size_t>(j)];
    if (kr >= static_cast<double>(j)) {
      if (j + 1 < n) return fj + (kr - static_cast<double>(j)) * (iv.f0[static_cast<std::size_t>(j + 1)] - fj);
      return fj;
    }
    if (j >= 1) {
      const double fp = iv.f0[static_cast<std::size_t>(j - 1)];
      return fp + (kr - static_cast<double>(j - 1)) * (fj - fp);
    }
    return fj;
  }

  /// The normalised cross-correlation of the reference window (n samples in wa, energy ea) with the
  /// windows of n samples starting at s in [a, b], computed on demand: prepare() copies the samples
  /// once (zeros outside the signal), at(s) computes (and keeps) one value.
  struct CorrRange {
    std::vector<double> rr, prefix;
    std::vector<float> reg;
    std::int64_t a = 0, b = -1;
    std::size_t n = 0;
    double ea = 0;
    const float* w = nullptr;
    double at(std::int64_t s) {
      double& v = rr[static_cast<std::size_t>(s - a)];
      if (!std::isnan(v)) return v;
      const std::size_t o = static_cast<std::size_t>(s - a);
      const float sab = dot(w, reg.data() + o, n);  // float products: r to ~1e-6, far below what moves a maximum
      const double eb = std::max(0.0, prefix[o + n] - prefix[o]);
      const double den = std::sqrt(ea * eb);
      v = den > 0 ? static_cast<double>(sab) / den : 0.0;
      if (std::isnan(v)) v = 0;
      return v;
    }
    /// Largest |x| in the window starting at s.
    float peak(std::int64_t s) const {
      const float* y = reg.data() + (s - a);
      float m = 0;
      for (std::size_t j = 0; j < n; ++j) m = std::max(m, std::abs(y[j]));
      return m;
    }
  } cr;
  void corr_prepare(std::int64_t a, std::int64_t b, std::size_t n, double ea) {
    CorrRange& c = cr;
    c.a = a;
    c.b = b;
    c.n = n;
    c.ea = ea;
    c.w = wa.data();
    c.rr.assign(static_cast<std::size_t>(b - a + 1), kNaN);
    const std::size_t len = static_cast<std::size_t>(b - a) + n;
    if (c.reg.size() < len) c.reg.resize(len);
    ring.copy(a, len, c.reg.data());
    c.prefix.resize(len + 1);
    c.prefix[0] = 0;
    for (std::size_t j = 0; j < len; ++j) c.prefix[j + 1] = c.prefix[j] + static_cast<double>(c.reg[j]) * c.reg[j];
  }

  void analyse(const Interval& iv, std::vector<GlottalPulse>& found) {
    pts.clear();
    const double gp = reference_peak > 0 ? reference_peak : static_cast<double>(running_peak);
    const double tmid = 0.5 * (iv.tleft + iv.tright);
    const double f0m = f0_at(iv, tmid, first, dt);
    if (!(f0m > 0)) return;
    double T0 = 1 / f0m;
    // first pulse: the absolute extremum within half a period of the middle
    std::int64_t n0 = static_cast<std::int64_t>(std::floor((tmid - 0.5 * T0) * fs));
    std::int64_t n1 = static_cast<std::int64_t>(std::ceil((tmid + 0.5 * T0) * fs));
    n0 = std::max(n0, std::max<std::int64_t>(ring.oldest(), 0));
    n1 = std::min(n1, ring.total() - 1);
    if (n1 < n0) return;
    std::int64_t m = n0;
    float mv = -1;
    for (std::int64_t i = n0; i <= n1; ++i) {
      const float v = std::abs(ring.at(i));
      if (v > mv) { mv = v; m = i; }
    }
    double off = 0, pv = 0;
    if (m - 1 >= ring.oldest() && m + 1 < ring.total())
      off = parabola(std::abs(ring.at(m - 1)), mv, std::abs(ring.at(m + 1)), true, pv);
    const double t1 = (static_cast<double>(m) + off) / fs;
    pts.push_back({t1, 1.0, std::numeric_limits<float>::infinity()});
    // A pulse of a leftward chain within 0.8 periods after the last pulse a rightward chain kept
    // (of an earlier interval) would fill a short unvoiced gap twice: it is not kept (as Praat
    // 6.3.07, found by comparing pulses).
    auto keep = [&](double tn, double val, float pk, int dir, double T) {
      if (dir < 0 && !(tn - added_right > 0.8 * T)) return;
      pts.push_back({tn, val, pk});
      if (dir > 0) added_right = tn;
    };
    for (int dir = -1; dir <= 1; dir += 2) {
      double t = t1;
      for (int guard = 0; guard < 100000; ++guard) {
        const double f = f0_at(iv, t, first, dt);
        if (!(f > 0)) break;
        T0 = 1 / f;
        // The reference window: the samples nearest to t - T0 / 2 and t + T0 / 2 and those between;
        // candidate windows of the same length start at s, the start times covering the search range
        // [t -/+ 1.25 T0, t -/+ 0.8 T0] shifted by -T0 / 2, rounded outwards (this geometry, rather
        // than a window centred on the nearest sample, gives Praat 6.3.07's pulse times to ~1 us).
        const auto nearest = [&](double x) { return static_cast<std::int64_t>(std::floor(x * fs + 0.5)); };
        const std::int64_t wl = nearest(t - 0.5 * T0), wr = nearest(t + 0.5 * T0);
        if (wr - wl < 2) break;
        const double lo_t = dir < 0 ? t - 1.25 * T0 : t + 0.8 * T0;
        const double hi_t = dir < 0 ? t - 0.8 * T0 : t + 1.25 * T0;
        const std::int64_t lo = static_cast<std::int64_t>(std::floor((lo_t - 0.5 * T0) * fs));
        const std::int64_t hi = static_cast<std::int64_t>(std::ceil((hi_t - 0.5 * T0) * fs));
        const std::size_t n = static_cast<std::size_t>(wr - wl + 1);
        // samples before the signal count as zeros; before the held history (streaming) the chain stops
        if (std::min(wl, lo - 1) < ring.oldest() && ring.oldest() > 0) break;
        if (std::max(wr, hi + 1 + static_cast<std::int64_t>(n)) > ring.total() && !finished) break;
        if (wa.size() < n) wa.resize(n);
        ring.copy(wl, n, wa.data());
        double ea = 0;
        for (std::size_t j = 0; j < n; ++j) ea += static_cast<double>(wa[j]) * wa[j];
        corr_prepare(lo, hi, n, ea);
        // The largest local maximum of the correlation over the starts lo - 1 .. hi - 1, where the
        // two starts before the range count as correlation 0 (a maximum must not be lower than its
        // neighbours; the last start cannot be one). With these rules Praat 6.3.07's chains are
        // reproduced, including where the correlation has no maximum inside the range (the chain
        // then moves to the interpolated maximum at the range's start and keeps no pulse there).
        // At rates above 16 kHz a coarse scan every `stride` starts comes first (the correlation of
        // speech is smooth at these rates), then every start within a stride of a coarse local
        // maximum or of the range's ends (the same pulses as every start on eval_prosody's files).
        auto rv = [&](std::int64_t s2) { return s2 < lo ? 0.0 : cr.at(s2); };
        double best = -1;
        std::int64_t bi = lo - 2;
        auto consider = [&](std::int64_t s2) {  // s2 in [lo - 1, hi - 1]
          const double v = rv(s2);
          if (v > best && v >= rv(s2 - 1) && v >= rv(s2 + 1)) {
            best = v;
            bi = s2;
          }
        };
        if (stride == 1) {
          for (std::int64_t s2 = lo - 1; s2 < hi; ++s2) consider(s2);
        } else {
          // every start within a stride of a coarse local maximum, and of the range's ends, in order
          std::int64_t done = lo - 2;  // starts up to here are considered
          auto around = [&](std::int64_t c) {
            for (std::int64_t s2 = std::max(done + 1, c - stride + 1); s2 <= std::min(hi - 1, c + stride - 1); ++s2) consider(s2);
            done = std::max(done, std::min(hi - 1, c + stride - 1));
          };
          around(lo - 1);
          for (std::int64_t s2 = lo - 1 + stride; s2 < hi; s2 += stride) {
            const double v = rv(s2);
            if (v >= rv(s2 - stride) && v >= rv(std::min(s2 + stride, hi))) around(s2);
          }
          around(hi - 1);
        }
        if (bi < lo - 1) {
          // no maximum at all: no pulse here; the chain goes on one period further
          t += dir * T0;
          if ((dir < 0 && t < iv.tleft) || (dir > 0 && t > iv.tright)) break;
          continue;
        }
        double val = best;
        const double offset = parabola(rv(bi - 1), best, rv(bi + 1), true, val);
        const double tn = t + (static_cast<double>(bi - wl) + offset) / fs;
        const float pk = bi >= lo ? cr.peak(bi) : 0.f;  // the peak of the matched period of signal
        if ((dir < 0 && tn < iv.tleft) || (dir > 0 && tn > iv.tright)) {
          // one extra pulse past the edge: a strong match that is not too quiet (Praat 6.3.07 keeps
          // no such pulse peaking below 0.0233 of the global peak, found by comparing pulses)
          if (val > 0.7 && pk > 0.023333 * gp) keep(tn, val, pk, dir, T0);
          break;
        }
        if (val >= 0.3 && pk > 0.01 * gp) keep(tn, val, pk, dir, T0);
        t = tn;
      }
    }
    for (const Pt& p : pts) found.push_back({p.t, 0.f});
    std::sort(found.begin(), found.end(), [](auto& a, auto& b) { return a.time_s < b.time_s; });
  }

  float amplitude(double t, double tprev, double tnext) const {
    return period_amplitude([this](std::int64_t i) { return ring.at(i); }, std::max<std::int64_t>(ring.oldest(), 0),
                            ring.total() - 1, fs, t, tprev, tnext);
  }

  /// Earliest time a pulse not yet found could have.
  double horizon() const {
    if (finished) return std::numeric_limits<double>::infinity();
    double t = frame_time(frames_seen) - 0.5 * dt;
    if (run_first >= 0) t = std::min(t, frame_time(run_first) - 0.5 * dt);
    for (auto& w : waiting) t = std::min(t, w.tleft);
    return t - 1.25 / f0_min - 2 / fs;
  }

  void emit(std::vector<GlottalPulse>& out, double amax) {
    const double h = horizon();
    std::size_t k = 0;
    for (; k < pend.size(); ++k) {
      const double t = pend[k].time_s;
      if (!(t < h)) break;
      double next = kNaN;
      if (k + 1 < pend.size() && pend[k + 1].time_s < h) next = pend[k + 1].time_s;
      else if (!(t + amax < h)) break;  // a later interval may still put a pulse right after it
      GlottalPulse p = pend[k];
      const bool prev_ok = std::isfinite(last_emitted) && t - last_emitted <= amax;
      const bool next_ok = std::isfinite(next) && next - t <= amax;
      p.amplitude = prev_ok && next_ok ? amplitude(t, last_emitted, next) : std::numeric_limits<float>::quiet_NaN();
      out.push_back(p);
      last_emitted = t;
    }
    pend.erase(pend.begin(), pend.begin() + static_cast<long>(k));
  }

  void close_run(bool at_end, std::int64_t end_frame_exclusive) {
    if (run_first < 0) return;
    Interval iv;
    iv.first_frame = run_first;
    iv.f0 = run_f0;
    iv.tleft = std::max(0.0, frame_time(run_first) - 0.5 * dt);
    iv.tright = frame_time(end_frame_exclusive - 1) + 0.5 * dt;
    if (at_end) iv.tright = std::min(iv.tright, static_cast<double>(ring.total()) / fs);
    if (iv.tright > iv.tleft) waiting.push_back(std::move(iv));
    run_first = -1;
    run_f0.clear();
  }

  void run_waiting(std::vector<GlottalPulse>& found_scratch) {
    std::size_t k = 0;
    for (; k < waiting.size(); ++k) {
      const Interval& iv = waiting[k];
      const double need = iv.tright * fs + 2.0 * fs / f0_min + 4;
      if (!finished && static_cast<double>(ring.total()) < need) break;
      found_scratch.clear();
      if (reference_peak <= 0) extend_peak(static_cast<std::int64_t>(std::ceil(need)));
      analyse(iv, found_scratch);
      for (auto& p : found_scratch) {
        auto it = std::lower_bound(pend.begin(), pend.end(), p.time_s, [](const GlottalPulse& a, double t) { return a.time_s < t; });
        if (it != pend.end() && it->time_s == p.time_s) continue;  // a point is added once
        if (std::isfinite(last_emitted) && p.time_s <= last_emitted) continue;  // never out of order
        pend.insert(it, p);
      }
    }
    waiting.erase(waiting.begin(), waiting.begin() + static_cast<long>(k));
  }

  void take_frames(std::span<const PitchFrame> frames) {
    for (auto& f : frames) {
      const std::int64_t k = frames_seen++;
      if (f.voiced()) {
        if (run_first < 0) run_first = k;
        run_f0.push_back(f.f0_hz);
        if (static_cast<std::int64_t>(run_f0.size()) >= max_run_frames) {  // too long: analyse this piece
          close_run(false, k + 1);
          ++cut;
        }
      } else {
        close_run(false, k);
      }
    }
  }
};

PulseTracker::PulseTracker(const PulseConfig& c) : cfg_(c) {
  auto fail = [](const std::string& what) { throw std::invalid_argument("PulseTracker: " + what); };
  if (!(c.sample_rate_hz > 0 && std::isfinite(c.sample_rate_hz)))
    fail("sample_rate_hz must be positive, got " + num(c.sample_rate_hz) + ".");
  if (!(c.time_step_s > 0 && std::isfinite(c.time_step_s)))
    fail("time_step_s must be positive, got " + num(c.time_step_s) + ".");
  if (!std::isfinite(c.first_frame_s)) fail("first_frame_s must be finite, got " + num(c.first_frame_s) + ".");
  if (!(c.f0_min_hz > 0 && c.sample_rate_hz / c.f0_min_hz >= 8))
    fail("f0_min_hz must be positive and its period at least 8 samples, got f0_min_hz " + num(c.f0_min_hz) +
         " at sample_rate_hz " + num(c.sample_rate_hz) + ".");
  if (!(c.max_interval_s >= 10 * c.time_step_s && c.max_interval_s <= 600))
    fail("max_interval_s must be between 10 time steps and 600 s, got " + num(c.max_interval_s) + ".");
  if (!(c.max_latency_s >= 0 && c.max_latency_s <= 600)) fail("max_latency_s must be in [0, 600], got " + num(c.max_latency_s) + ".");
  if (!(c.amplitude_max_period_s > 0)) fail("amplitude_max_period_s must be positive, got " + num(c.amplitude_max_period_s) + ".");
  if (!(c.reference_peak >= 0 && std::isfinite(c.reference_peak)))
    fail("reference_peak must be 0 (running peak) or positive, got " + num(c.reference_peak) + ".");
  impl_ = std::make_unique<Impl>();
  Impl& m = *impl_;
  m.fs = c.sample_rate_hz;
  m.dt = c.time_step_s;
  m.first = c.first_frame_s;
  m.f0_min = c.f0_min_hz;
  m.reference_peak = c.reference_peak;
  m.max_run_frames = std::max<std::int64_t>(2, static_cast<std::int64_t>(std::floor(c.max_interval_s / c.time_step_s)));
  m.stride = std::max<std::int64_t>(1, static_cast<std::int64_t>(std::floor(c.sample_rate_hz / 16000)));
  m.ring.init(static_cast<std::size_t>(std::ceil((c.max_interval_s + c.max_latency_s + 1.0 + 4.0 / c.f0_min_hz) * c.sample_rate_hz)));
  m.run_f0.reserve(static_cast<std::size_t>(m.max_run_frames) + 1);
  m.wa.assign(static_cast<std::size_t>(2 * c.sample_rate_hz / c.f0_min_hz) + 3, 0.f);
  reset();
}

PulseTracker::~PulseTracker() = default;

void PulseTracker::reset() noexcept {
  Impl& m = *impl_;
  m.ring.clear();
  m.frames_seen = 0;
  m.run_first = -1;
  m.run_f0.clear();
  m.waiting.clear();
  m.pend.clear();
  m.last_emitted = kNaN;
  m.running_peak = 0;
  m.peak_upto = 0;
  m.added_right = -std::numeric_limits<double>::infinity();
  m.cut = 0;
  m.finished = false;
}

std::size_t PulseTracker::cut_intervals() const noexcept { return impl_->cut; }

void PulseTracker::process(std::span<const float> block, std::span<const PitchFrame> frames, std::vector<GlottalPulse>& out) {
  Impl& m = *impl_;
  std::vector<GlottalPulse>& found = m.found;
  // Push in pieces so that a waiting interval is analysed before its samples could be overwritten.
  std::size_t pos = 0;
  const std::size_t piece = std::max<std::size_t>(1, m.ring.capacity() / 4);
  while (pos < block.size()) {
    const std::size_t take = std::min(piece, block.size() - pos);
    if (m.reference_peak <= 0)  // samples about to leave the ring
      m.extend_peak(m.ring.total() + static_cast<std::int64_t>(take) - static_cast<std::int64_t>(m.ring.capacity()));
    m.ring.push(block.data() + pos, take);
    pos += take;
    m.run_waiting(found);
  }
  m.take_frames(frames);
  m.run_waiting(found);
  m.emit(out, cfg_.amplitude_max_period_s);
}

void PulseTracker::finish(std::span<const PitchFrame> frames, std::vector<GlottalPulse>& out) {
  Impl& m = *impl_;
  std::vector<GlottalPulse>& found = m.found;
  m.take_frames(frames);
  m.close_run(true, m.frames_seen);
  m.finished = true;
  m.run_waiting(found);
  m.emit(out, cfg_.amplitude_max_period_s);
}

void period_amplitudes(std::span<const float> x, double fs, std::span<GlottalPulse> pulses, double max_period_s) {
  const auto n = static_cast<std::int64_t>(x.size());
  for (std::size_t i = 0; i < pulses.size(); ++i) {
    const double t = pulses[i].time_s;
    const bool ok = i > 0 && i + 1 < pulses.size() && t - pulses[i - 1].time_s <= max_period_s &&
                    pulses[i + 1].time_s - t <= max_period_s;
    pulses[i].amplitude = ok ? period_amplitude([&](std::int64_t k) { return x[static_cast<std::size_t>(k)]; }, 0, n - 1, fs, t,
                                                pulses[i - 1].time_s, pulses[i + 1].time_s)
                             : std::numeric_limits<float>::quiet_NaN();
  }
}

// ------------------------------------------------------------------------------------------------
// Jitter, shimmer, voice report

void VoiceQualityAccumulator::add(std::span<const GlottalPulse> pulses) {
  const PerturbationConfig& c = c_;
  pulses_ += pulses.size();
  const std::size_t np = pulses.size();
  const std::size_t N = np >= 2 ? np - 1 : 0;  // intervals
  T_.resize(N);
  auto& T = T_;
  for (std::size_t i = 0; i < N; ++i) T[i] = pulses[i + 1].time_s - pulses[i].time_s;
  auto valid = [&](std::size_t i) { return T[i] >= c.period_floor_s && T[i] <= c.period_ceiling_s; };
  auto ok = [&](std::size_t i, std::size_t j) {  // adjacent intervals usable together
    return valid(i) && valid(j) && std::max(T[i], T[j]) / std::min(T[i], T[j]) <= c.max_period_factor;
  };
  // mean period: intervals that took part in at least one pair; this piece's mean and sum of
  // squared deviations, merged into the running ones (Chan et al.)
  double sum = 0, sum2 = 0;
  std::size_t cnt = 0;
  auto counted = [&](std::size_t i) { return valid(i) && ((i > 0 && ok(i - 1, i)) || (i + 1 < N && ok(i, i + 1))); };
  for (std::size_t i = 0; i < N; ++i)
    if (counted(i)) {
      sum += T[i];
      ++cnt;
    }
  if (cnt) {
    const double m = sum / static_cast<double>(cnt);
    for (std::size_t i = 0; i < N; ++i)
      if (counted(i)) sum2 += (T[i] - m) * (T[i] - m);
    if (periods_ == 0) {
      period_sum_ = sum;
      period_m2_ = sum2;
    } else {
      const double ma = period_sum_ / static_cast<double>(periods_), d = m - ma;
      const double na = static_cast<double>(periods_), nb = static_cast<double>(cnt);
      period_m2_ += sum2 + d * d * na * nb / (na + nb);
      period_sum_ += sum;
    }
    periods_ += cnt;
  }
  for (std::size_t i = 1; i < N; ++i)
    if (ok(i - 1, i)) {
      local_s_ += std::abs(T[i] - T[i - 1]);
      ++local_n_;
    }
  for (std::size_t i = 1; i + 1 < N; ++i)
    if (ok(i - 1, i) && ok(i, i + 1)) {
      rap_s_ += std::abs(T[i] - (T[i - 1] + T[i] + T[i + 1]) / 3);
      ddp_s_ += std::abs((T[i + 1] - T[i]) - (T[i] - T[i - 1]));
      ++rap_n_;
    }
  for (std::size_t i = 2; i + 2 < N; ++i)
    if (ok(i - 2, i - 1) && ok(i - 1, i) && ok(i, i + 1) && ok(i + 1, i + 2)) {
      ppq5_s_ += std::abs(T[i] - (T[i - 2] + T[i - 1] + T[i] + T[i + 1] + T[i + 2]) / 5);
      ++ppq5_n_;
    }
  // shimmer: the amplitude tier of pulses with two usable periods
  ta_.clear();
  A_.clear();
  for (std::size_t i = 1; i + 1 < np; ++i) {
    if (!ok(i - 1, i)) continue;
    const double a = pulses[i].amplitude;
    if (!(std::isfinite(a) && a > 0)) continue;
    ta_.push_back(pulses[i].time_s);
    A_.push_back(a);
  }
  const auto& A = A_;
  const std::size_t K = A.size();
  if (K == 0) return;
  amplitudes_ += K;
  for (double a : A) amp_sum_ += a;
  last_amp_ = A.back();
  pair_.assign(K, 0);  // pair[k]: amplitudes k-1 and k usable together
  for (std::size_t k = 1; k < K; ++k) {
    const double d = ta_[k] - ta_[k - 1];
    pair_[k] = d >= c.period_floor_s && d <= c.period_ceiling_s &&
               std::max(A[k], A[k - 1]) / std::min(A[k], A[k - 1]) <= c.max_amplitude_factor;
  }
  const auto& pair = pair_;
  for (std::size_t k = 1; k < K; ++k)
    if (pair[k]) {
      sh_s_ += std::abs(A[k] - A[k - 1]);
      sh_db_ += std::abs(20 * std::log10(A[k] / A[k - 1]));
      ++sh_n_;
    }
  const std::size_t hs[3] = {1, 2, 5};
  for (int a = 0; a < 3; ++a) {
    const std::size_t h = hs[a];
    for (std::size_t k = h; k + h < K; ++k) {
      bool all = true;
      for (std::size_t j = k - h + 1; j <= k + h && all; ++j) all = pair[j];
      if (!all) continue;
      double m = 0;
      for (std::size_t j = k - h; j <= k + h; ++j) m += A[j];
      m /= static_cast<double>(2 * h + 1);
      apq_s_[a] += std::abs(A[k] - m);
      ++apq_n_[a];
    }
  }
  for (std::size_t k = 1; k + 1 < K; ++k)
    if (pair[k] && pair[k + 1]) {
      dda_s_ += std::abs((A[k + 1] - A[k]) - (A[k] - A[k - 1]));
      ++dda_n_;
    }
}

VoiceQuality VoiceQualityAccumulator::result() const {
  VoiceQuality q;
  q.pulses = pulses_;
  q.periods = periods_;
  q.mean_period_s = periods_ ? period_sum_ / static_cast<double>(periods_) : kNaN;
  q.sd_period_s = periods_ > 1 ? std::sqrt(period_m2_ / static_cast<double>(periods_ - 1)) : kNaN;
  auto rel = [&](double s, std::size_t n) { return n ? s / static_cast<double>(n) / q.mean_period_s : kNaN; };
  q.jitter_local_abs_s = local_n_ ? local_s_ / static_cast<double>(local_n_) : kNaN;
  q.jitter_local = rel(local_s_, local_n_);
  q.jitter_rap = rel(rap_s_, rap_n_);
  q.jitter_ddp = rel(ddp_s_, rap_n_);
  q.jitter_ppq5 = rel(ppq5_s_, ppq5_n_);
  const std::size_t K = amplitudes_;
  q.amplitudes = K;
  q.shimmer_local = q.shimmer_local_db = q.shimmer_apq3 = q.shimmer_apq5 = q.shimmer_apq11 = q.shimmer_dda = kNaN;
  if (K < 2) return q;
  const double den = (amp_sum_ - last_amp_) / static_cast<double>(K - 1);  // the counted amplitudes but the last
  auto mean_over = [&](double s, std::size_t n) { return n ? s / static_cast<double>(n) / den : kNaN; };
  if (sh_n_) {
    q.shimmer_local = sh_s_ / static_cast<double>(sh_n_) / den;
    q.shimmer_local_db = sh_db_ / static_cast<double>(sh_n_);
  }
  q.shimmer_apq3 = mean_over(apq_s_[0], apq_n_[0]);
  q.shimmer_apq5 = mean_over(apq_s_[1], apq_n_[1]);
  q.shimmer_apq11 = mean_over(apq_s_[2], apq_n_[2]);
  q.shimmer_dda = mean_over(dda_s_, dda_n_);
  return q;
}

VoiceQuality voice_quality(std::span<const GlottalPulse> pulses, const PerturbationConfig& c) {
  VoiceQualityAccumulator acc(c);
  acc.add(pulses);
  return acc.result();
}

VoiceReport voice_report(std::span<const PitchFrame> frames, std::span<const GlottalPulse> pulses, double start_s,
                         double end_s, const VoiceReportConfig& c) {
  VoiceReport r;
  r.start_s = start_s;
  r.end_s = end_s;
  std::vector<double> f0, strength;
  std::size_t kmin = 0, kmax = 0;
  for (std::size_t k = 0; k < frames.size(); ++k) {
    const PitchFrame& f = frames[k];
    if (f.time_s < start_s || f.time_s > end_s) continue;
    ++r.frames;
    if (f.local_peak < c.silence_threshold * c.reference_peak || f.max_strength < c.voicing_threshold) ++r.locally_unvoiced_frames;
    if (!f.voiced()) continue;
    if (f0.empty() || f.f0_hz < frames[kmin].f0_hz) kmin = k;
    if (f0.empty() || f.f0_hz > frames[kmax].f0_hz) kmax = k;
    f0.push_back(f.f0_hz);
    strength.push_back(f.strength);
  }
  // the extrema, refined by a parabola through their voiced neighbours
  auto refined = [&](std::size_t k, bool maximum) {
    double v = frames[k].f0_hz;
    if (k > 0 && k + 1 < frames.size() && frames[k - 1].voiced() && frames[k + 1].voiced())
      parabola(frames[k - 1].f0_hz, frames[k].f0_hz, frames[k + 1].f0_hz, maximum, v);
    return v;
  };
  const double fmin = f0.empty() ? kNaN : refined(kmin, false), fmax = f0.empty() ? kNaN : refined(kmax, true);
  r.voiced_frames = f0.size();
  if (f0.empty()) {
    r.f0_median_hz = r.f0_mean_hz = r.f0_sd_hz = r.f0_min_hz = r.f0_max_hz = kNaN;
    r.mean_autocorrelation = r.mean_nhr = r.mean_hnr_db = kNaN;
  } else {
    std::vector<double> s = f0;
    std::sort(s.begin(), s.end());
    const std::size_t n = s.size();
    r.f0_median_hz = n % 2 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
    double m = 0;
    for (double v : f0) m += v;
    m /= static_cast<double>(n);
    double v2 = 0;
    for (double v : f0) v2 += (v - m) * (v - m);
    r.f0_mean_hz = m;
    r.f0_sd_hz = n > 1 ? std::sqrt(v2 / static_cast<double>(n - 1)) : kNaN;
    r.f0_min_hz = fmin;
    r.f0_max_hz = fmax;
    double sr = 0, snhr = 0, shnr = 0;
    for (double x : strength) {
      const double rr = std::clamp(x, 1e-15, 1 - 1e-15);
      sr += x;
      snhr += (1 - rr) / rr;
      shnr += hnr_db(x);
    }
    r.mean_autocorrelation = sr / static_cast<double>(n);
    r.mean_nhr = snhr / static_cast<double>(n);
    r.mean_hnr_db = shnr / static_cast<double>(n);
  }
  // pulses in the range
  auto lo = std::lower_bound(pulses.begin(), pulses.end(), start_s, [](const GlottalPulse& p, double t) { return p.time_s < t; });
  auto hi = std::upper_bound(pulses.begin(), pulses.end(), end_s, [](double t, const GlottalPulse& p) { return t < p.time_s; });
  std::span<const GlottalPulse> in(lo, hi);
  PerturbationConfig pc;
  pc.period_floor_s = 0.8 / c.f0_max_hz;
  pc.period_ceiling_s = 1.25 / c.f0_min_hz;
  pc.max_period_factor = c.max_period_factor;
  pc.max_amplitude_factor = c.max_amplitude_factor;
  r.quality = voice_quality(in, pc);
  for (std::size_t i = 1; i < in.size(); ++i) {
    const double d = in[i].time_s - in[i - 1].time_s;
    if (d > 1.25 / c.f0_min_hz) {
      ++r.voice_breaks;
      r.voice_break_s += d;
    }
  }
  return r;
}

}  // namespace dyad::dsp
