// CrosstalkVad: voice activity per channel with the other channels' leak rejected (issue 7).
// See dyad/dsp/vad.hpp for the model.
#include <fftw3.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <stdexcept>

#include "common.hpp"
#include "dyad/dsp/vad.hpp"

namespace dyad::dsp {

namespace {

constexpr double kTiny = 1e-30;
// Leak-ratio histograms: 0.5 dB bins over [kHistLo, kHistHi) dB.
constexpr double kHistLo = -70, kHistHi = 10, kHistStep = 0.5;
constexpr int kHistBins = static_cast<int>((kHistHi - kHistLo) / kHistStep);
constexpr int kRefreshFrames = 20;

// The per-frame work is vector loops over the frequency bins: on x86-64 they are compiled twice,
// for AVX2 and for the baseline, and the loader picks one for the CPU (GCC function
// multiversioning).
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
#define DYAD_VAD_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define DYAD_VAD_CLONES
#endif  // leak gains are re-read from the histograms every 20 frames

void check(bool ok, const char* name, double v, const char* expected) {
  if (!ok) throw std::invalid_argument(std::string("CrosstalkVad: ") + name + " must be " + expected + ", got " + detail::num(v));
}

// Eight floats as one value (GCC/Clang vector extension: AVX registers where the clone has them).
typedef float V8 __attribute__((vector_size(32), aligned(4), may_alias));
#define DYAD_LOAD8(p) (*reinterpret_cast<const V8*>(p))
#define DYAD_STORE8(p, v) (*reinterpret_cast<V8*>(p) = (v))

/// 10 log10(x) for x > 0 from the float's exponent and a cubic in its mantissa (error < 0.01 dB):
/// the leak histograms have 0.5 dB bins and see one value per band and frame.
inline double fast_db(double x) {
  int e = 0;
  const double m = std::frexp(x, &e);  // x = m 2^e, m in [0.5, 1)
  const double u = 2 * m - 1;          // log2(2m) on [0, 1) ~ cubic
  const double log2m = u * (1.4425449 + u * (-0.7181452 + u * 0.2758266));
  return 3.0102999566 * (log2m + (e - 1));
}

double mel(double hz) { return 2595 * std::log10(1 + hz / 700); }
double mel_inv(double m) { return 700 * (std::pow(10.0, m / 2595) - 1); }

/// Means of consecutive groups of K samples, appended to out; acc/cnt carry a partial group.
template <int K>
std::size_t decimate_bulk(const float* x, std::size_t groups, float* out) {
  constexpr float inv = 1.0f / static_cast<float>(K);
  for (std::size_t g = 0; g < groups; ++g) {
    float s = 0;
    for (int k = 0; k < K; ++k) s += x[g * K + static_cast<std::size_t>(k)];
    out[g] = s * inv;
  }
  return groups * K;
}

}  // namespace

struct CrosstalkVad::Impl {
  CrosstalkVadConfig c;
  std::size_t C = 0;           // channels
  std::size_t frame_in = 0;    // input samples per frame
  int factor = 1;              // decimation
  double rate_a = 0;           // analysis rate
  std::size_t F = 0;           // decimated samples per frame
  std::size_t W = 0;           // window length (decimated samples)
  std::size_t nfft = 0;
  std::size_t lead = 0;        // window samples before the frame start: (W - F) / 2
  std::size_t K = 0;           // bands
  std::vector<std::size_t> band_lo, band_hi;  // bin ranges [lo, hi)
  std::size_t b0 = 0, nb = 0;                 // analysed bins [b0, b0 + nb)
  std::vector<std::size_t> band_of;           // band of each analysed bin
  std::vector<std::size_t> band_edge;         // K + 1 band edges in analysed bins (0 .. nb)
  std::vector<double> inv_width;              // 1 / bins per band
  std::vector<float> window;
  std::vector<float> pw0, pw1;  // scratch: bin powers of the two channels of a transform
  std::vector<float> zre, zim;  // scratch: that transform in split form (N + 1 bins, bin N = bin 0)
  double spec_scale = 1;       // |X|^2 -> mean square contribution
  int taps = 1;                // frames of leak delay held
  float decay = 0;             // per-frame factor of the predicted leak's decay
  double on_ratio = 0, off_ratio = 0, margin = 1, min_level = 0, floor_min = 0, rise = 1;
  double solo_ratio = 0, dominance = 1;
  double growth = 1;           // per-frame growth of the histogram weight (forgetting)
  double noise_step = 0.05;    // per-frame weight of a silent frame in the noise floor
  double noise_span = 4;       // the noise floor stays within this factor above the lower envelope
  double band_solo = 10;       // a band teaches the leak this far above its floor
  double level_window = 0.01;  // frames above this fraction of the speech level count in it
  double level_step = 0.002;   // per-frame weight of a speech frame in the speech level
  double below_level = 0;      // speech is at least this fraction of the speech level
  float leak_cap = 1;          // leak_cap_db as a ratio (0: no cap)
  double back_ratio = 0;       // onset_back_db as a ratio
  std::size_t back_frames = 0; // onset_back_s in frames
  double hold_ratio = 0;       // end_hold_db as a ratio
  double hold_below = 0;       // -end_hold_below_speech_level_db as a ratio
  double hold_drop = 0;        // -end_hold_drop_db as a ratio
  std::size_t hold_frames = 0; // end_hold_s in frames
  std::size_t hold_gap = 0;    // end_hold_gap_s in frames

  // FFT: the analysis windows of two channels at once, one as the real and one as the imaginary
  // part of a complex transform (one complex transform costs far less than two real ones here)
  fftwf_complex* zin = nullptr;
  fftwf_complex* zout = nullptr;
  fftwf_plan plan = nullptr;

  // Leak cancellation: partitioned-block frequency-domain NLMS (overlap-save, blocks of F samples,
  // transforms of NC = 2F, M partitions). Block u covers decimated samples [cancelled_to,
  // cancelled_to + F), the end of the window of the next frame; its residual replaces the samples.
  std::size_t M = 0;            // partitions (0: no cancellation)
  std::size_t NC = 0, NBc = 0;  // transform length, bins
  float* cin = nullptr;
  fftwf_complex* hspec = nullptr;          // the complex transform of NC / 2 points behind the real ones
  fftwf_plan hfwd = nullptr, hinv = nullptr;
  std::vector<float> hre, him, twc, tws;  // scratch: hspec in split form (NC / 2 + 1); cos, sin(2 pi k / NC)
  float cmu = 0.5f;
  double cancel_dominance = 4;  // the reference's raw block must be this much louder to adapt
  double cancel_reg = 30;       // normalization floor: this times the reference's noise
  double cancel_idle = 2;       // a block within this factor of the noise floor is quiet
  double adapt_above = 2;       // filters into a channel adapt only while its residual is this factor above its noise floor
  std::int64_t cancelled_to = 0;
  std::int64_t cur_block = 0;   // the block cancelled last
  bool cancel_started = false;
  std::vector<float> Wc;        // filters from -> to: (from * C + to) * M partitions of 2 * NBc (re, im)
  std::vector<char> open;       // C*C: the filter from -> to ran on the current block
  std::vector<float> cY, cE, cD, ct;  // scratch: output spectrum, error spectrum, normalization, time
  std::vector<const float*> term_w, term_x;  // scratch: the filter partitions and reference spectra summed into one channel

  // per channel
  struct Chan {
    std::vector<float> buf;  // decimated samples from absolute index buf0: the first len of them
    std::size_t len = 0;
    std::int64_t buf0 = 0;
    float acc = 0;
    int cnt = 0;
    // per band: power, lightly smoothed power, lower envelope, noise floor, power above the floor
    std::vector<double> P, Ps, Nmin, N, E;
    // per analysed bin: power, noise floor, power above it (the last `taps` frames, a ring), its
    // maximum over them (the source of the direct leak), and that decaying no faster than the
    // room's reverberation (the source of the whole leak)
    std::vector<float> Pb, Nb, Eb_taps, Db, Lb, Ib, Rb;  // Ib: the predicted leak, Rb: the power left (scratch)
    double level = 0;         // frame power (mean square)
    double speech_level = 0;  // active speech level (mean own power of the speech frames)
    double speech_frames = 0; // speech frames counted in it so far
    bool floor_set = false;
    bool speech = false;      // this frame's decision (before bridging)
    std::size_t back_run = 0; // frames in a row (up to back_frames) just before this one that were not speech but above onset_back_db
    std::size_t ext_left = 0; // frames left (of hold_frames) in which the last talkspurt's end may still move forward
    std::size_t ext_miss = 0; // frames in a row in that window that did not extend it
    bool ext_any = false;     // some frame extended it
    double ext_ref = 0;       // the power in the bands of the talkspurt's last frame
    double last_pw = 0;       // the previous frame's power in the bands
    // leak cancellation: this channel's raw samples of the previous and current block, the spectra
    // of its last M blocks (a ring; the reference of the other channels' filters), the residual
    std::vector<float> X, err;
    std::vector<float> raw_ring;          // raw blocks u (slot u % (M + 1)): the inputs of the spectra not yet taken
    std::vector<std::int64_t> x_block;    // block whose spectrum each slot of X holds (slot u % M; -1: none)
    std::size_t since_speech = 0;         // frames since this channel's last speech decision (at most max(M, taps) + 2: both tests below can be true)
    double raw_power = 0;     // mean square of the raw block
    double err_power = 0;     // mean square of the residual block
    std::size_t quiet = 0;    // blocks in a row within cancel_idle_db of the noise floor (at most M + 1)
    double solo_raw = 0, solo_res = 0;  // raw and residual power summed over blocks where another channel talked alone
    TalkspurtAssembler asm_;
  };
  std::vector<Chan> ch;
  std::int64_t dec_total = 0;  // decimated samples per channel so far (equal for all)
  std::int64_t in_total = 0;   // input samples per channel so far
  std::int64_t frame_index = 0;

  // leaks from -> to: gains per band, the same per bin with the margin (Gb), histograms
  std::vector<double> G;       // C*C*K
  std::vector<float> Gb;       // C*C*nb
  std::vector<double> hist;    // C*C*K*kHistBins
  std::vector<double> rest_k;  // K scratch
  std::vector<float> nb_k;     // K scratch
  std::vector<std::uint32_t> band_of32;  // band of each analysed bin
  std::vector<char> dirty;     // C*C*K: histogram changed since the gains were read
  double weight = 1;
  int refresh = 0;

  ~Impl() {
    std::lock_guard<std::mutex> lock(detail::fftw_planner_mutex());
    if (plan) fftwf_destroy_plan(plan);
    fftwf_free(zin);
    fftwf_free(zout);
    if (hfwd) fftwf_destroy_plan(hfwd);
    if (hinv) fftwf_destroy_plan(hinv);
    fftwf_free(cin);
    fftwf_free(hspec);
  }

  std::size_t gi(std::size_t from, std::size_t to, std::size_t k) const { return (from * C + to) * K + k; }

  void reset() {
    for (auto& x : ch) {
      std::fill(x.buf.begin(), x.buf.end(), 0.f);  // zeros before the start: the first window is centred on frame 0
      x.len = lead;
      x.buf0 = -static_cast<std::int64_t>(lead);
      x.acc = 0;
      x.cnt = 0;
      for (auto* v : {&x.P, &x.Ps, &x.Nmin, &x.N, &x.E}) std::fill(v->begin(), v->end(), 0.0);
      for (auto* v : {&x.Pb, &x.Nb, &x.Eb_taps, &x.Db, &x.Lb, &x.Ib, &x.Rb}) std::fill(v->begin(), v->end(), 0.f);
      x.level = 0;
      x.speech_level = 0;
      x.speech_frames = 0;
      x.floor_set = false;
      x.speech = false;
      x.back_run = 0;
      x.ext_left = x.ext_miss = 0;
      x.ext_any = false;
      x.ext_ref = x.last_pw = 0;
      for (auto* v : {&x.raw_ring, &x.X, &x.err}) std::fill(v->begin(), v->end(), 0.f);
      std::fill(x.x_block.begin(), x.x_block.end(), -1);
      x.since_speech = std::max(M, static_cast<std::size_t>(taps)) + 2;
      x.raw_power = 0;
      x.quiet = 0;
      x.solo_raw = x.solo_res = 0;
      x.asm_ = TalkspurtAssembler(c.min_pause_s, c.min_talkspurt_s);
    }
    std::fill(Wc.begin(), Wc.end(), 0.f);
    cancelled_to = static_cast<std::int64_t>(lead);  // the first lead samples (before any filter is learned) stay as they are
    cur_block = 0;
    std::fill(open.begin(), open.end(), 0);
    cancel_started = false;
    dec_total = 0;
    in_total = 0;
    frame_index = 0;
    weight = 1;
    refresh = 0;
    std::fill(hist.begin(), hist.end(), 0.0);
    const double prior = c.leak_prior_s / c.frame_s;
    const int pb = std::clamp(static_cast<int>((c.leak_prior_db - kHistLo) / kHistStep), 0, kHistBins - 1);
    for (std::size_t f = 0; f < C; ++f)
      for (std::size_t t = 0; t < C; ++t)
        for (std::size_t k = 0; k < K; ++k)
          if (f != t) hist[gi(f, t, k) * kHistBins + static_cast<std::size_t>(pb)] = prior;
    std::fill(dirty.begin(), dirty.end(), 1);
    update_gains();
  }

  /// G from the histograms: the leak_quantile of each, linear within a bin; Gb per bin with the margin.
  void update_gains() {
    for (std::size_t f = 0; f < C; ++f)
      for (std::size_t t = 0; t < C; ++t)
        for (std::size_t k = 0; k < K; ++k) {
          if (!dirty[gi(f, t, k)]) continue;
          dirty[gi(f, t, k)] = 0;
          double g = 0;
          if (f != t) {
            const double* h = &hist[gi(f, t, k) * kHistBins];
            double total = 0;
            for (int b = 0; b < kHistBins; ++b) total += h[b];
            const double want = c.leak_quantile * total;
            double run = 0, db = kHistLo;
            for (int b = 0; b < kHistBins; ++b) {
              if (run + h[b] >= want && h[b] > 0) {
                db = kHistLo + kHistStep * (b + (want - run) / h[b]);
                break;
              }
              run += h[b];
            }
            g = db <= kHistLo ? 0.0 : std::pow(10.0, db / 10);
          }
          G[gi(f, t, k)] = g;
        }
    for (std::size_t f = 0; f < C; ++f)
      for (std::size_t t = 0; t < C; ++t)
        for (std::size_t b = 0; b < nb; ++b) Gb[(f * C + t) * nb + b] = static_cast<float>(margin * G[gi(f, t, band_of[b])]);
  }

  DYAD_VAD_CLONES void decimate(Chan& x, const float* in, std::size_t n) {
    std::size_t i = 0;
    const float inv = 1.0f / static_cast<float>(factor);
    while (x.cnt > 0 && i < n) {  // complete a partial group
      x.acc += in[i++];
      if (++x.cnt == factor) {
        x.buf[x.len++] = x.acc * inv;
        x.acc = 0;
        x.cnt = 0;
      }
    }
    const std::size_t groups = (n - i) / static_cast<std::size_t>(factor);
    if (x.len + groups + 1 > x.buf.size()) throw std::logic_error("CrosstalkVad: decimation buffer overrun");
    float* out = x.buf.data() + x.len;
    const float* src = in + i;
    switch (factor) {
      case 1: i += decimate_bulk<1>(src, groups, out); break;
      case 2: i += decimate_bulk<2>(src, groups, out); break;
      case 3: i += decimate_bulk<3>(src, groups, out); break;
      case 4: i += decimate_bulk<4>(src, groups, out); break;
      case 5: i += decimate_bulk<5>(src, groups, out); break;
      case 6: i += decimate_bulk<6>(src, groups, out); break;
      case 8: i += decimate_bulk<8>(src, groups, out); break;
      default:
        for (std::size_t g = 0; g < groups; ++g) {
          float s = 0;
          for (int k = 0; k < factor; ++k) s += src[g * static_cast<std::size_t>(factor) + static_cast<std::size_t>(k)];
          out[g] = s * inv;
        }
        i += groups * static_cast<std::size_t>(factor);
    }
    x.len += groups;
    for (; i < n; ++i) {
      x.acc += in[i];
      ++x.cnt;
    }
  }

  /// Per-band sums of a per-bin array (plain loops: the bands are a few bins wide).
  void band_sums(const float* __restrict v, double* __restrict out) const {
    const std::size_t* __restrict edge = band_edge.data();
    std::size_t b = 0;
    for (std::size_t k = 0; k < K; ++k) {
      const std::size_t hi = edge[k + 1];
      float acc = 0;
      for (; b < hi; ++b) acc += v[b];
      out[k] = acc;
    }
  }

  /// Channel x's Hann-windowed samples from decimated index a into the real (part 0) or imaginary
  /// (part 1) parts of zin.
  DYAD_VAD_CLONES void window_into(const Chan& x, std::int64_t a, int part) {
    const std::size_t off = static_cast<std::size_t>(a - x.buf0);
    const std::size_t avail = x.len > off ? std::min(W, x.len - off) : 0;
    const float* __restrict s = x.buf.data() + off;
    const float* __restrict w = window.data();
    float* __restrict in = &zin[0][0] + part;
    for (std::size_t n = 0; n < avail; ++n) in[2 * n] = s[n] * w[n];
    for (std::size_t n = avail; n < nfft; ++n) in[2 * n] = 0.f;
  }

  /// Bin and band powers of the windows starting at decimated index a of channels c and c + 1 (or
  /// of c alone when it is the last): z = x_c + i x_{c+1}, Z = DFT(z), and then
  /// X_c[k] = (Z[k] + conj Z[N-k]) / 2, X_{c+1}[k] = (Z[k] - conj Z[N-k]) / 2i.
  DYAD_VAD_CLONES void spectra_pair(std::size_t c0, std::int64_t a) {
    const bool two = c0 + 1 < C;
    const Chan& x0 = ch[c0];
    const Chan* x1 = two ? &ch[c0 + 1] : nullptr;
    const auto full = [&](const Chan& x) { return a >= x.buf0 && a + static_cast<std::int64_t>(W) <= x.buf0 + static_cast<std::int64_t>(x.len); };
    if (two && W == nfft && full(x0) && full(*x1)) {  // the usual case: one interleaving loop
      const float* __restrict s0 = x0.buf.data() + (a - x0.buf0);
      const float* __restrict s1 = x1->buf.data() + (a - x1->buf0);
      const float* __restrict w = window.data();
      float* __restrict in = &zin[0][0];
      for (std::size_t n = 0; n < nfft; ++n) {
        in[2 * n] = s0[n] * w[n];
        in[2 * n + 1] = s1[n] * w[n];
      }
    } else {
      window_into(x0, a, 0);
      if (two) {
        window_into(*x1, a, 1);
      } else {
        float* __restrict in = &zin[0][0];
        for (std::size_t n = 0; n < nfft; ++n) in[2 * n + 1] = 0.f;
      }
    }
    fftwf_execute(plan);
    const std::size_t half = nfft / 2;
    // split form first (plain vector loops below; bin N - k read backwards)
    const float* __restrict z = &zout[0][0];
    float* __restrict zr = zre.data();
    float* __restrict zi = zim.data();
    for (std::size_t k = 0; k < nfft; ++k) {
      zr[k] = z[2 * k];
      zi[k] = z[2 * k + 1];
    }
    zr[nfft] = zr[0];  // bin N is bin 0
    zi[nfft] = zi[0];
    float* __restrict p0 = pw0.data();
    float* __restrict p1 = pw1.data();
    for (std::size_t k = 0; k <= half; ++k) {
      const float ar = zr[k], ai = zi[k], br = zr[nfft - k], bi = zi[nfft - k];
      const float sr = ar + br, si = ai - bi, dr = ar - br, di = ai + bi;
      p0[k] = 0.25f * (sr * sr + si * si);
      p1[k] = 0.25f * (dr * dr + di * di);
    }
    for (std::size_t q = 0; q < (two ? 2u : 1u); ++q) {
      Chan& x = ch[c0 + q];
      const float* __restrict pk = q == 0 ? p0 : p1;
      float total = 0;
#pragma omp simd reduction(+ : total)
      for (std::size_t k = 0; k <= half; ++k) total += pk[k];
      total = 2 * total - (pk[0] + pk[half]);  // one-sided: every bin but DC and Nyquist twice
      x.level = static_cast<double>(total) * spec_scale;
      const float sc = static_cast<float>(2 * spec_scale);
      float* __restrict pb = x.Pb.data();
      for (std::size_t b = 0; b < nb; ++b) pb[b] = sc * pk[b0 + b];
      band_sums(pb, x.P.data());
    }
  }

  /// Frame t (all channels): features, decisions, learning.
  DYAD_VAD_CLONES void frame(std::int64_t t, double t0, double t1) {
    const std::int64_t a = t * static_cast<std::int64_t>(F) - static_cast<std::int64_t>(lead);
    const std::size_t tap = static_cast<std::size_t>(t % taps);
    for (std::size_t c0 = 0; c0 < C; c0 += 2) spectra_pair(c0, a);
    for (auto& x : ch) {
      if (!x.floor_set) {
        for (std::size_t k = 0; k < K; ++k) x.Ps[k] = x.Nmin[k] = x.N[k] = std::max(x.P[k], floor_min);
        x.floor_set = true;
      }
      for (std::size_t k = 0; k < K; ++k) {
        // Lower envelope of a lightly smoothed power: down at once, up at noise_rise_db_per_s; the
        // floor itself (a mean of silent frames, below) stays within 6 dB above it.
        x.Ps[k] = 0.5 * (x.Ps[k] + x.P[k]);
        x.Nmin[k] = x.Ps[k] < x.Nmin[k] ? std::max(x.Ps[k], floor_min) : std::min(x.Ps[k], x.Nmin[k] * rise);
        x.N[k] = std::clamp(x.N[k], x.Nmin[k], x.Nmin[k] * noise_span);
        x.E[k] = std::max(x.P[k] - x.N[k], 0.0);
      }
      // per bin: the noise floor, the power above it (this frame in the ring of the last `taps`),
      // its maximum over them and that decaying at most at the reverberation's rate
      float* __restrict nbv = x.Nb.data();
      float* __restrict nk = nb_k.data();
      for (std::size_t k = 0; k < K; ++k) nk[k] = static_cast<float>(x.N[k] * inv_width[k]);
      const std::uint32_t* __restrict bk = band_of32.data();
      for (std::size_t b = 0; b < nb; ++b) nbv[b] = nk[bk[b]];  // no short inner loops (their branches cost more than the copies)
      const float* __restrict pb = x.Pb.data();
      float* __restrict e = x.Eb_taps.data() + tap * nb;
      float* __restrict d = x.Db.data();
      float* __restrict l = x.Lb.data();
      const float dec = decay;
      for (std::size_t b = 0; b < nb; ++b) e[b] = std::max(pb[b] - nbv[b], 0.f);
      std::copy(e, e + nb, d);
      for (std::size_t k = 0; k < static_cast<std::size_t>(taps); ++k) {
        if (k == tap) continue;
        const float* __restrict o = x.Eb_taps.data() + k * nb;
        for (std::size_t b = 0; b < nb; ++b) d[b] = std::max(d[b], o[b]);
      }
      for (std::size_t b = 0; b < nb; ++b) l[b] = std::max(d[b], l[b] * dec);
    }
    // Decisions: own power above the noise floor plus the predicted leak, bin by bin.
    for (std::size_t i = 0; i < C; ++i) {
      auto& x = ch[i];
      // the predicted leak per bin (with its margin), and the power left after removing it
      float* __restrict lk = x.Ib.data();
      float* __restrict rest = x.Rb.data();
      const float* __restrict pb = x.Pb.data();
      bool first = true;
      for (std::size_t j = 0; j < C; ++j) {
        if (j == i) continue;
        const float* __restrict g = Gb.data() + (j * C + i) * nb;
        const float* __restrict l = ch[j].Lb.data();
        if (first)
          for (std::size_t b = 0; b < nb; ++b) lk[b] = g[b] * l[b];
        else
          for (std::size_t b = 0; b < nb; ++b) lk[b] += g[b] * l[b];
        first = false;
      }
      if (first) std::fill(lk, lk + nb, 0.f);
      // while the channel speaks, the leak counted against its own energy is at most the power
      // there, bin by bin (raised by leak_cap_db): where the prediction exceeds the power heard
      // it is overestimated (the cancellation removed more of the leak than the band gains
      // learned), and in double talk that overestimate would end the partner's own softer speech
      // early (the ends of turns overlapped by the other partner). Onsets keep the whole
      // prediction, so the leak alone does not start a talkspurt.
      float leak_sum = 0;
      if (x.asm_.speaking() && leak_cap > 0) {
        const float cap = leak_cap;
#pragma omp simd reduction(+ : leak_sum)
        for (std::size_t b = 0; b < nb; ++b) {
          rest[b] = std::max(pb[b] - lk[b], 0.f);
          leak_sum += std::min(lk[b], cap * pb[b]);
        }
      } else {
#pragma omp simd reduction(+ : leak_sum)
        for (std::size_t b = 0; b < nb; ++b) {
          rest[b] = std::max(pb[b] - lk[b], 0.f);
          leak_sum += lk[b];
        }
      }
      // per band: what is left above the band's noise floor, against the noise plus the leak (only
      // its total counts)
      band_sums(rest, rest_k.data());
      double own = 0, noise = 0;
      for (std::size_t k = 0; k < K; ++k) {
        own += std::max(rest_k[k] - x.N[k], 0.0);
        noise += x.N[k];
      }
      const double leak = leak_sum;
      const double den = noise + leak;
      const double ratio = own / (static_cast<double>(den) + kTiny);
      bool speech = x.asm_.speaking() ? ratio >= off_ratio : ratio > on_ratio;
      speech = speech && x.level > min_level && own >= x.speech_level * below_level;
      // an onset moves back over the frames just before it that were above onset_back_db (a
      // hysteresis backwards: the rise of the voice from the noise)
      const double onset = speech && !x.asm_.speaking() && x.back_run > 0 ? static_cast<double>((t - static_cast<std::int64_t>(x.back_run)) * static_cast<std::int64_t>(frame_in)) / c.sample_rate_hz : t0;
      const bool ended = !speech && x.asm_.speaking();
      x.asm_.frame(speech, t0, t1, onset);
      // A talkspurt's end moves forward over the frames just after it (within end_hold_s, gaps of
      // at most end_hold_gap_s) whose power in the bands stayed end_hold_db above the noise floor
      // and within end_hold_below_speech_level_db of the speech level: a voice's last syllable
      // fading into the noise, or a soft ending under the other partner's leak, where the
      // predicted leak (an upper estimate) hides it but the cancellation's residual still shows
      // it. Not after a voice that stopped: the first such frame is at most end_hold_drop_db
      // below the talkspurt's last frame.
      double pw = 0;
      for (std::size_t k = 0; k < K; ++k) pw += x.P[k];
      bool extended = false;
      if (speech) {
        x.ext_left = 0;
      } else {
        if (ended) {
          x.ext_left = hold_frames;
          x.ext_miss = 0;
          x.ext_any = false;
          x.ext_ref = x.last_pw;
        }
        if (x.ext_left > 0) {
          --x.ext_left;
          if (x.level > min_level && pw >= hold_ratio * noise && pw >= x.speech_level * hold_below && (x.ext_any || pw >= hold_drop * x.ext_ref)) {
            x.asm_.extend_end(t1);
            x.ext_any = extended = true;
            x.ext_miss = 0;
          } else if (++x.ext_miss > hold_gap) {
            x.ext_left = 0;
          }
        }
      }
      x.last_pw = pw;
      x.back_run = !speech && back_frames > 0 && ratio >= back_ratio && x.level > min_level && own >= x.speech_level * below_level ? std::min(x.back_run + 1, back_frames) : 0;
      x.speech = speech;
      x.since_speech = speech ? 0 : std::min(x.since_speech + 1, std::max(M, static_cast<std::size_t>(taps)) + 2);
      // The channel's active speech level: mean own power of its speech frames within 20 dB of
      // it (a running mean at first, then forgetting with speech_level_memory_s).
      if (speech && own >= level_window * x.speech_level) {
        x.speech_frames += 1;
        x.speech_level += std::max(level_step, 1.0 / x.speech_frames) * (own - x.speech_level);
      }
      // The noise floor: the mean of the frames where nobody is heard in this channel (the
      // predicted leak, without its margin, is below the noise).
      if (!speech && !extended && ratio < off_ratio && leak < margin * noise)
        for (std::size_t k = 0; k < K; ++k) x.N[k] += noise_step * (x.P[k] - x.N[k]);
    }
    if (C > 1) learn();
  }

  /// Learning the leaks from frames where one channel very probably talks alone.
  void learn() {
    weight *= growth;
    if (weight > 1e100) {
      for (auto& h : hist) h *= 1e-100;
      weight *= 1e-100;
    }
    for (std::size_t j = 0; j < C; ++j) {
      const auto& s = ch[j];
      double e = 0, n = 0, p = 0;
      for (std::size_t k = 0; k < K; ++k) {
        e += s.E[k];
        n += s.N[k];
        p += s.P[k];
      }
      if (!(e >= solo_ratio * n) || !(s.level > min_level)) continue;
      bool dominant = true;
      for (std::size_t i = 0; i < C && dominant; ++i) {
        if (i == j) continue;
        double q = 0;
        for (std::size_t k = 0; k < K; ++k) q += ch[i].P[k];
        dominant = p >= dominance * q;
      }
      if (!dominant) continue;
      for (std::size_t k = 0; k < K; ++k) {
        if (!(s.E[k] >= band_solo * s.N[k])) continue;  // too weak in this band to measure a leak
        float dk = 0;
        for (std::size_t b = band_lo[k] - b0; b < band_hi[k] - b0; ++b) dk += s.Db[b];
        if (!(dk > 0)) continue;
        for (std::size_t i = 0; i < C; ++i) {
          if (i == j) continue;
          const double r = fast_db(std::max(ch[i].E[k], kTiny) / dk);
          const int b = std::clamp(static_cast<int>((r - kHistLo) / kHistStep), 0, kHistBins - 1);
          hist[gi(j, i, k) * kHistBins + static_cast<std::size_t>(b)] += weight;
          dirty[gi(j, i, k)] = 1;
        }
      }
    }
    if (++refresh == kRefreshFrames) {
      refresh = 0;
      update_gains();
    }
  }

  /// Raw decimated sample at absolute index `idx` of channel x (0 outside what is held).
  static float held(const Chan& x, std::int64_t idx) {
    return idx >= x.buf0 && idx < x.buf0 + static_cast<std::int64_t>(x.len) ? x.buf[static_cast<std::size_t>(idx - x.buf0)] : 0.f;
  }

  /// The real transform of the NC samples in cin, in split form (NBc real parts, then NBc
  /// imaginary parts, so the filter's complex products are plain vector loops), from one complex
  /// transform of NC / 2 points (z[n] = cin[2n] + i cin[2n+1]; far cheaper here than FFTW's real
  /// transform of NC): X[k] = E[k] + W^k O[k], E[k] = (Z[k] + conj Z[H-k]) / 2,
  /// O[k] = (Z[k] - conj Z[H-k]) / 2i, W = exp(-2 pi i / NC), H = NC / 2.
  DYAD_VAD_CLONES void fwd_split(float* __restrict out) {
    fftwf_execute(hfwd);
    const std::size_t H = NC / 2;
    const float* __restrict z = &hspec[0][0];
    float* __restrict zr = hre.data();
    float* __restrict zi = him.data();
    for (std::size_t k = 0; k < H; ++k) {
      zr[k] = z[2 * k];
      zi[k] = z[2 * k + 1];
    }
    zr[H] = zr[0];  // bin H is bin 0
    zi[H] = zi[0];
    const float* __restrict tc = twc.data();
    const float* __restrict ts = tws.data();
    float* __restrict xr = out;
    float* __restrict xi = out + NBc;
    for (std::size_t k = 0; k <= H; ++k) {
      const float ar = zr[k], ai = zi[k], br = zr[H - k], bi = zi[H - k];
      const float er = 0.5f * (ar + br), ei = 0.5f * (ai - bi);
      const float orr = 0.5f * (ai + bi), oi = -0.5f * (ar - br);
      xr[k] = er + (tc[k] * orr + ts[k] * oi);
      xi[k] = ei + (tc[k] * oi - ts[k] * orr);
    }
  }

  /// The inverse (unnormalized, NC times the samples, as FFTW's c2r) of a split spectrum of NC / 2
  /// + 1 bins into cin, from one complex transform of NC / 2 points: Z[k] = P[k] + i Q[k],
  /// P[k] = X[k] + conj X[H-k], Q[k] = (X[k] - conj X[H-k]) W^-k.
  DYAD_VAD_CLONES void inv_split(const float* __restrict in) {
    const std::size_t H = NC / 2;
    const float* __restrict xr = in;
    const float* __restrict xi = in + NBc;
    const float* __restrict tc = twc.data();
    const float* __restrict ts = tws.data();
    float* __restrict z = &hspec[0][0];
    for (std::size_t k = 0; k < H; ++k) {
      const float ar = xr[k], ai = xi[k], br = xr[H - k], bi = xi[H - k];
      const float pr = ar + br, pi = ai - bi, dr = ar - br, di = ai + bi;
      const float qr = dr * tc[k] - di * ts[k], qi = dr * ts[k] + di * tc[k];
      z[2 * k] = pr - qi;
      z[2 * k + 1] = pi + qr;
    }
    fftwf_execute(hinv);
  }

  /// Raw decimated samples [idx, idx + F) of channel x into out (0 outside what is held).
  void held_block(const Chan& x, std::int64_t idx, float* out) const {
    if (idx >= x.buf0 && idx + static_cast<std::int64_t>(F) <= x.buf0 + static_cast<std::int64_t>(x.len)) {
      std::memcpy(out, x.buf.data() + (idx - x.buf0), F * sizeof(float));
      return;
    }
    for (std::size_t n = 0; n < F; ++n) out[n] = held(x, idx + static_cast<std::int64_t>(n));
  }

  /// Makes sure channel x's spectra of blocks u - M + 1 .. u are in its ring X (a block's spectrum
  /// is taken from the raw ring only when a filter first needs it; blocks before the first are zero).
  void ensure_spectra(Chan& x, std::int64_t u) {
    const std::size_t nbin2 = 2 * NBc;
    const auto R = static_cast<std::int64_t>(M + 1);
    for (std::size_t m = 0; m < M; ++m) {
      const std::int64_t b = u - static_cast<std::int64_t>(m);
      if (b < 0) break;
      const auto slot = static_cast<std::size_t>(b % static_cast<std::int64_t>(M));
      if (x.x_block[slot] == b) continue;
      std::memcpy(cin, x.raw_ring.data() + static_cast<std::size_t>((b - 1 + R) % R) * F, F * sizeof(float));
      std::memcpy(cin + F, x.raw_ring.data() + static_cast<std::size_t>(b % R) * F, F * sizeof(float));
      fwd_split(x.X.data() + slot * nbin2);
      x.x_block[slot] = b;
    }
  }

  /// Cancels the leak in the next block (u): the filter from j into i runs only while j may be
  /// heard in i, that is while j has spoken within the filter's span, or its raw block is at least
  /// as loud as i's while i has been silent for longer than the leak's delay (and j is not near its
  /// noise floor); otherwise j's microphone carries only noise or i's own voice, and the filter,
  /// learned while j talked alone, has nothing to remove.
  DYAD_VAD_CLONES void cancel_block(std::int64_t u) {
    const std::int64_t s = cancelled_to;
    const std::size_t nbin2 = 2 * NBc;
    const auto R = static_cast<std::int64_t>(M + 1);
    cur_block = u;
    for (auto& x : ch) {
      if (!cancel_started) held_block(x, s - static_cast<std::int64_t>(F), x.raw_ring.data() + static_cast<std::size_t>((u - 1 + R) % R) * F);
      float* cur = x.raw_ring.data() + static_cast<std::size_t>(u % R) * F;
      held_block(x, s, cur);
      float pw = 0;
#pragma omp simd reduction(+ : pw)
      for (std::size_t n = 0; n < F; ++n) pw += cur[n] * cur[n];
      x.raw_power = static_cast<double>(pw) / static_cast<double>(F);
      double noise = 0;
      for (std::size_t k = 0; k < K; ++k) noise += x.N[k];
      x.quiet = x.floor_set && x.raw_power < cancel_idle * noise ? std::min(x.quiet + 1, M + 1) : 0;
    }
    cancel_started = true;
    // j's raw block being louder (j may be starting to speak) counts only when i has not spoken
    // within the leak's delay: right after i stops, j's microphone still carries i's own delayed
    // voice, and the filter would map it back onto i and lengthen i's talkspurt by the delay.
    for (std::size_t i = 0; i < C; ++i)
      for (std::size_t j = 0; j < C; ++j)
        open[j * C + i] = j != i && ch[j].quiet <= M &&
                          (ch[j].since_speech <= M ||
                           (ch[j].raw_power >= ch[i].raw_power && ch[i].since_speech > static_cast<std::size_t>(taps)));
    const float inv_n = 1.0f / static_cast<float>(NC);
    for (std::size_t i = 0; i < C; ++i) {
      auto& x = ch[i];
      const float* cur = x.raw_ring.data() + static_cast<std::size_t>(u % R) * F;
      bool any = false;
      for (std::size_t j = 0; j < C; ++j) any = any || open[j * C + i];
      if (!any) {
        std::copy(cur, cur + F, x.err.begin());
        x.err_power = x.raw_power;
        continue;
      }
      // the filters' outputs, summed over the open filters and their partitions in registers, eight
      // bins at a time (the same sums in the same order per bin as one bin at a time)
      float* __restrict yr = cY.data();
      float* __restrict yi = cY.data() + NBc;
      const float** wp = term_w.data();
      const float** xp = term_x.data();
      std::size_t terms = 0;
      for (std::size_t j = 0; j < C; ++j) {
        if (!open[j * C + i]) continue;
        ensure_spectra(ch[j], u);
        const std::size_t parts = static_cast<std::size_t>(std::min<std::int64_t>(static_cast<std::int64_t>(M), u + 1));
        for (std::size_t m = 0; m < parts; ++m) {
          wp[terms] = Wc.data() + ((j * C + i) * M + m) * nbin2;
          xp[terms] = ch[j].X.data() + static_cast<std::size_t>((u - static_cast<std::int64_t>(m)) % static_cast<std::int64_t>(M)) * nbin2;
          ++terms;
        }
      }
      std::size_t b = 0;
      for (; b + 8 <= NBc; b += 8) {
        V8 ar{}, ai{};
        for (std::size_t q = 0; q < terms; ++q) {
          const V8 wr = DYAD_LOAD8(wp[q] + b), wi = DYAD_LOAD8(wp[q] + NBc + b), xr = DYAD_LOAD8(xp[q] + b), xi = DYAD_LOAD8(xp[q] + NBc + b);
          ar += wr * xr - wi * xi;
          ai += wr * xi + wi * xr;
        }
        DYAD_STORE8(yr + b, ar);
        DYAD_STORE8(yi + b, ai);
      }
      for (; b < NBc; ++b) {
        float ar = 0, ai = 0;
        for (std::size_t q = 0; q < terms; ++q) {
          const float wr = wp[q][b], wi = wp[q][NBc + b], xr = xp[q][b], xi = xp[q][NBc + b];
          ar += wr * xr - wi * xi;
          ai += wr * xi + wi * xr;
        }
        yr[b] = ar;
        yi[b] = ai;
      }
      inv_split(yr);
      float* __restrict e = x.err.data();
      const float* __restrict yt = cin + F;
      for (std::size_t n = 0; n < F; ++n) e[n] = cur[n] - yt[n] * inv_n;
      float ep = 0;
#pragma omp simd reduction(+ : ep)
      for (std::size_t n = 0; n < F; ++n) ep += e[n] * e[n];
      x.err_power = static_cast<double>(ep) / static_cast<double>(F);
      // the residual replaces the samples held (those beyond the end at a flush are not held)
      if (s >= x.buf0 && s + static_cast<std::int64_t>(F) <= x.buf0 + static_cast<std::int64_t>(x.len)) {
        std::memcpy(x.buf.data() + (s - x.buf0), e, F * sizeof(float));
        continue;
      }
      for (std::size_t n = 0; n < F; ++n) {
        const std::int64_t idx = s + static_cast<std::int64_t>(n);
        if (idx >= x.buf0 && idx < x.buf0 + static_cast<std::int64_t>(x.len)) x.buf[static_cast<std::size_t>(idx - x.buf0)] = e[n];
      }
    }
    cancelled_to += static_cast<std::int64_t>(F);
  }

  /// Adapts the filters from every channel that talked alone in the frame just decided (it speaks,
  /// is solo_snr_db above its floor, and no other channel speaks) into every other channel.
  DYAD_VAD_CLONES void adapt() {
    const std::size_t nbin2 = 2 * NBc;
    const float inv_n = 1.0f / static_cast<float>(NC);
    for (std::size_t j = 0; j < C; ++j) {
      auto& s = ch[j];
      if (!s.speech) continue;
      double e = 0, n = 0;
      for (std::size_t k = 0; k < K; ++k) {
        e += s.E[k];
        n += s.N[k];
      }
      if (!(e >= solo_ratio * n)) continue;
      // ... and its raw block is cancel_dominance_db louder than every other channel's (when one
      // of those partners speaks too, the other microphone hears them louder than the leak)
      bool alone = true;
      for (std::size_t i = 0; i < C; ++i) alone = alone && (i == j || (!ch[i].speech && s.raw_power >= cancel_dominance * ch[i].raw_power));
      if (!alone) continue;
      ensure_spectra(ch[j], cur_block);
      // normalization per bin: the reference's power over the filter's span, plus cancel_floor_db
      // above its noise (the noise floor's mean square times the transform length), so bins where
      // the reference is only noise hardly adapt (their filter would wander as far as the leak)
      float* __restrict d = cD.data();
      const float reg = static_cast<float>(cancel_reg * static_cast<double>(NC) * n * (static_cast<double>(NBc) / static_cast<double>(nb)) + 1e-20);
      for (std::size_t b = 0; b < NBc; ++b) d[b] = reg;
      for (std::size_t m = 0; m < M; ++m) {
        const float* __restrict xs = s.X.data() + m * nbin2;
        for (std::size_t b = 0; b < NBc; ++b) d[b] += xs[b] * xs[b] + xs[NBc + b] * xs[NBc + b];
      }
      for (std::size_t b = 0; b < NBc; ++b) d[b] = cmu / d[b];
      for (std::size_t i = 0; i < C; ++i) {
        if (i == j || !open[j * C + i]) continue;
        ch[i].solo_raw += ch[i].raw_power;
        ch[i].solo_res += ch[i].err_power;
        // what is left of the leak is lost in i's noise: adapting would only add that noise to the
        // filter (and cost time)
        double noise_i = 0;
        for (std::size_t k = 0; k < K; ++k) noise_i += ch[i].N[k];
        if (ch[i].err_power < adapt_above * noise_i) continue;
        // the error's spectrum: F zeros, then the residual
        std::fill(cin, cin + F, 0.f);
        std::copy(ch[i].err.begin(), ch[i].err.end(), cin + F);
        fwd_split(cE.data());
        const float* __restrict er = cE.data();
        const float* __restrict ei = cE.data() + NBc;
        for (std::size_t m = 0; m < M; ++m) {
          float* __restrict w = Wc.data() + ((j * C + i) * M + m) * nbin2;
          if (static_cast<std::int64_t>(m) > cur_block) break;  // blocks before the first: no reference yet
          const float* __restrict xs = s.X.data() + static_cast<std::size_t>((cur_block - static_cast<std::int64_t>(m)) % static_cast<std::int64_t>(M)) * nbin2;
          // gradient conj(X) E, normalized; then one partition per block in turn is constrained
          // to F taps (the rest of its transform's time span zeroed)
          const bool constrain = m == static_cast<std::size_t>(cancelled_to / static_cast<std::int64_t>(F)) % M;
          float* __restrict g = constrain ? cY.data() : w;
          const float* __restrict xr = xs;
          const float* __restrict xi = xs + NBc;
          for (std::size_t b = 0; b < NBc; ++b) {
            const float gr = xr[b] * er[b] + xi[b] * ei[b];
            const float gi_ = xr[b] * ei[b] - xi[b] * er[b];
            g[b] = w[b] + d[b] * gr;
            g[NBc + b] = w[NBc + b] + d[b] * gi_;
          }
          if (!constrain) continue;
          inv_split(g);
          for (std::size_t n2 = 0; n2 < F; ++n2) cin[n2] *= inv_n;
          std::fill(cin + F, cin + NC, 0.f);
          fwd_split(w);
        }
      }
    }
  }

  /// Runs every frame whose window is complete; with `flush`, also those that reach past the end.
  void run_frames(bool flush) {
    for (;;) {
      const std::int64_t start_in = frame_index * static_cast<std::int64_t>(frame_in);
      if (flush) {
        if (start_in >= in_total) break;
      } else {
        const std::int64_t need = frame_index * static_cast<std::int64_t>(F) + static_cast<std::int64_t>(W - lead);
        if (dec_total < need) break;
      }
      const double t0 = static_cast<double>(start_in) / c.sample_rate_hz;
      const double t1 = static_cast<double>(std::min(start_in + static_cast<std::int64_t>(frame_in), in_total)) / c.sample_rate_hz;
      if (M > 0) cancel_block(frame_index);
      frame(frame_index, t0, t1);
      if (M > 0) adapt();
      ++frame_index;
    }
    // Drop decimated samples no later window needs.
    const std::int64_t keep_from = frame_index * static_cast<std::int64_t>(F) - static_cast<std::int64_t>(lead);
    for (auto& x : ch) {
      const std::int64_t drop = keep_from - x.buf0;
      if (drop > 0) {
        const std::size_t d = std::min(static_cast<std::size_t>(drop), x.len);
        std::memmove(x.buf.data(), x.buf.data() + d, (x.len - d) * sizeof(float));
        x.len -= d;
        x.buf0 += static_cast<std::int64_t>(d);
      }
    }
  }
};

CrosstalkVad::CrosstalkVad(const CrosstalkVadConfig& c, std::size_t channels) : p_(std::make_unique<Impl>()) {
  check(std::isfinite(c.sample_rate_hz) && c.sample_rate_hz >= 1000, "sample_rate_hz", c.sample_rate_hz, ">= 1000");
  check(std::isfinite(c.frame_s) && c.frame_s >= 0.002 && c.frame_s <= 0.1, "frame_s", c.frame_s, "between 0.002 and 0.1");
  check(std::isfinite(c.window_s) && c.window_s >= c.frame_s && c.window_s <= 4 * c.frame_s, "window_s", c.window_s,
        "between frame_s and 4 * frame_s");
  check(std::isfinite(c.analysis_rate_hz) && c.analysis_rate_hz >= 1000, "analysis_rate_hz", c.analysis_rate_hz, ">= 1000");
  check(c.bands >= 1 && c.bands <= 64, "bands", c.bands, "between 1 and 64");
  check(std::isfinite(c.band_low_hz) && c.band_low_hz >= 0, "band_low_hz", c.band_low_hz, ">= 0");
  check(std::isfinite(c.band_high_hz) && c.band_high_hz > c.band_low_hz, "band_high_hz", c.band_high_hz, "above band_low_hz");
  check(std::isfinite(c.on_db), "on_db", c.on_db, "finite");
  check(std::isfinite(c.off_db) && c.off_db <= c.on_db, "off_db", c.off_db, "at most on_db");
  check(std::isfinite(c.min_level_dbfs), "min_level_dbfs", c.min_level_dbfs, "finite");
  check(std::isfinite(c.noise_floor_min_dbfs), "noise_floor_min_dbfs", c.noise_floor_min_dbfs, "finite");
  check(std::isfinite(c.noise_rise_db_per_s) && c.noise_rise_db_per_s >= 0, "noise_rise_db_per_s", c.noise_rise_db_per_s, ">= 0");
  check(std::isfinite(c.noise_memory_s) && c.noise_memory_s >= c.frame_s, "noise_memory_s", c.noise_memory_s, ">= frame_s");
  check(std::isfinite(c.noise_above_envelope_db) && c.noise_above_envelope_db >= 0, "noise_above_envelope_db", c.noise_above_envelope_db,
        ">= 0");
  check(std::isfinite(c.solo_band_snr_db) && c.solo_band_snr_db >= 0, "solo_band_snr_db", c.solo_band_snr_db, ">= 0");
  check(std::isfinite(c.speech_level_window_db) && c.speech_level_window_db > 0, "speech_level_window_db", c.speech_level_window_db, "> 0");
  check(std::isfinite(c.leak_margin_db) && c.leak_margin_db >= 0, "leak_margin_db", c.leak_margin_db, ">= 0");
  check(std::isfinite(c.leak_prior_db) && c.leak_prior_db <= 0, "leak_prior_db", c.leak_prior_db, "<= 0");
  check(std::isfinite(c.leak_prior_s) && c.leak_prior_s > 0, "leak_prior_s", c.leak_prior_s, "> 0");
  check(std::isfinite(c.leak_memory_s) && c.leak_memory_s >= 1, "leak_memory_s", c.leak_memory_s, ">= 1");
  check(std::isfinite(c.leak_quantile) && c.leak_quantile > 0 && c.leak_quantile < 1, "leak_quantile", c.leak_quantile, "in (0, 1)");
  check(std::isfinite(c.solo_snr_db) && c.solo_snr_db >= 0, "solo_snr_db", c.solo_snr_db, ">= 0");
  check(std::isfinite(c.solo_dominance_db) && c.solo_dominance_db >= 0, "solo_dominance_db", c.solo_dominance_db, ">= 0");
  check(std::isfinite(c.max_leak_delay_s) && c.max_leak_delay_s >= 0 && c.max_leak_delay_s <= 0.2, "max_leak_delay_s",
        c.max_leak_delay_s, "between 0 and 0.2");
  check(std::isfinite(c.leak_decay_db_per_s) && c.leak_decay_db_per_s > 0, "leak_decay_db_per_s", c.leak_decay_db_per_s, "> 0");
  check(std::isfinite(c.cancel_length_s) && c.cancel_length_s >= 0 && c.cancel_length_s <= 0.2, "cancel_length_s", c.cancel_length_s,
        "between 0 and 0.2");
  check(std::isfinite(c.cancel_step) && c.cancel_step > 0 && c.cancel_step <= 1, "cancel_step", c.cancel_step, "in (0, 1]");
  check(std::isfinite(c.cancel_dominance_db) && c.cancel_dominance_db >= 0, "cancel_dominance_db", c.cancel_dominance_db, ">= 0");
  check(std::isfinite(c.cancel_floor_db) && c.cancel_floor_db >= 0, "cancel_floor_db", c.cancel_floor_db, ">= 0");
  check(std::isfinite(c.cancel_idle_db) && c.cancel_idle_db >= 0, "cancel_idle_db", c.cancel_idle_db, ">= 0");
  check(std::isfinite(c.cancel_adapt_above_noise_db), "cancel_adapt_above_noise_db", c.cancel_adapt_above_noise_db, "finite");
  check(std::isfinite(c.below_speech_level_db) && c.below_speech_level_db > 0, "below_speech_level_db", c.below_speech_level_db, "> 0");
  check(std::isfinite(c.speech_level_memory_s) && c.speech_level_memory_s >= c.frame_s, "speech_level_memory_s", c.speech_level_memory_s,
        ">= frame_s");
  check(std::isfinite(c.leak_cap_db) && c.leak_cap_db <= 100, "leak_cap_db", c.leak_cap_db, "at most 100");
  check(std::isfinite(c.onset_back_db), "onset_back_db", c.onset_back_db, "finite");
  check(std::isfinite(c.onset_back_s) && c.onset_back_s >= 0 && c.onset_back_s <= 1, "onset_back_s", c.onset_back_s, "between 0 and 1");
  check(std::isfinite(c.end_hold_db), "end_hold_db", c.end_hold_db, "finite");
  check(std::isfinite(c.end_hold_below_speech_level_db), "end_hold_below_speech_level_db", c.end_hold_below_speech_level_db, "finite");
  check(std::isfinite(c.end_hold_drop_db), "end_hold_drop_db", c.end_hold_drop_db, "finite");
  check(std::isfinite(c.end_hold_gap_s) && c.end_hold_gap_s >= 0 && c.end_hold_gap_s <= 1, "end_hold_gap_s", c.end_hold_gap_s, "between 0 and 1");
  check(std::isfinite(c.end_hold_s) && c.end_hold_s >= 0 && c.end_hold_s <= 1, "end_hold_s", c.end_hold_s, "between 0 and 1");
  check(std::isfinite(c.min_pause_s) && c.min_pause_s >= 0, "min_pause_s", c.min_pause_s, ">= 0");
  check(std::isfinite(c.min_talkspurt_s) && c.min_talkspurt_s >= 0, "min_talkspurt_s", c.min_talkspurt_s, ">= 0");
  if (channels < 1 || channels > 16)
    throw std::invalid_argument("CrosstalkVad: channels must be between 1 and 16, got " + std::to_string(channels));

  auto& p = *p_;
  p.c = c;
  p.C = channels;
  p.frame_in = static_cast<std::size_t>(std::max(1.0, std::round(c.sample_rate_hz * c.frame_s)));
  // The largest decimation factor dividing the frame that keeps the rate >= 0.9 analysis_rate_hz
  // (44.1 kHz: 3, to 14.7 kHz).
  p.factor = 1;
  for (int f = 2; f <= 64; ++f)
    if (p.frame_in % static_cast<std::size_t>(f) == 0 && c.sample_rate_hz / f >= 0.9 * c.analysis_rate_hz) p.factor = f;
  p.rate_a = c.sample_rate_hz / p.factor;
  p.F = p.frame_in / static_cast<std::size_t>(p.factor);
  const double frame_true_s = static_cast<double>(p.frame_in) / c.sample_rate_hz;
  p.W = std::max(p.F, static_cast<std::size_t>(std::lround(c.window_s * p.rate_a)));
  if ((p.W - p.F) % 2) ++p.W;
  p.lead = (p.W - p.F) / 2;
  p.nfft = 16;
  while (p.nfft < p.W) p.nfft <<= 1;
  // Hann window; spec_scale makes the summed spectrum the window-weighted mean square.
  p.window.resize(p.W);
  double w2 = 0;
  for (std::size_t n = 0; n < p.W; ++n) {
    p.window[n] = static_cast<float>(0.5 - 0.5 * std::cos(2 * M_PI * (static_cast<double>(n) + 0.5) / static_cast<double>(p.W)));
    w2 += static_cast<double>(p.window[n]) * p.window[n];
  }
  p.spec_scale = 1.0 / (static_cast<double>(p.nfft) * w2);
  p.pw0.assign(p.nfft / 2 + 1, 0.f);
  p.pw1.assign(p.nfft / 2 + 1, 0.f);
  p.zre.assign(p.nfft + 1, 0.f);
  p.zim.assign(p.nfft + 1, 0.f);
  // Bands: mel-spaced edges, at least one bin each.
  const double nyq = p.rate_a / 2, bin_hz = p.rate_a / static_cast<double>(p.nfft);
  const double hi = std::min(c.band_high_hz, nyq);
  check(c.band_low_hz < hi, "band_low_hz", c.band_low_hz, "below the analysis Nyquist frequency");
  std::size_t prev = static_cast<std::size_t>(std::max(0.0, std::ceil(c.band_low_hz / bin_hz - 0.5)));
  const std::size_t last = std::min(p.nfft / 2 + 1, static_cast<std::size_t>(std::floor(hi / bin_hz - 0.5)) + 1);
  for (int k = 0; k < c.bands && prev < last; ++k) {
    const double e = mel_inv(mel(c.band_low_hz) + (mel(hi) - mel(c.band_low_hz)) * (k + 1) / c.bands);
    std::size_t b = std::min(last, std::max(prev + 1, static_cast<std::size_t>(std::ceil(e / bin_hz - 0.5))));
    if (k == c.bands - 1) b = std::max(b, last);
    p.band_lo.push_back(prev);
    p.band_hi.push_back(b);
    prev = b;
  }
  p.K = p.band_lo.size();
  p.b0 = p.band_lo.front();
  p.nb = p.band_hi.back() - p.b0;
  for (std::size_t k = 0; k < p.K; ++k) p.band_edge.push_back(p.band_lo[k] - p.b0);
  p.band_edge.push_back(p.nb);
  for (std::size_t k = 0; k < p.K; ++k) {
    p.inv_width.push_back(1.0 / static_cast<double>(p.band_hi[k] - p.band_lo[k]));
    for (std::size_t b = p.band_lo[k]; b < p.band_hi[k]; ++b) p.band_of.push_back(k);
  }
  p.taps = 1 + static_cast<int>(std::ceil(c.max_leak_delay_s / frame_true_s - 1e-9));
  p.decay = static_cast<float>(std::pow(10.0, -c.leak_decay_db_per_s * frame_true_s / 10));
  p.on_ratio = std::pow(10.0, c.on_db / 10);
  p.off_ratio = std::pow(10.0, c.off_db / 10);
  p.margin = std::pow(10.0, c.leak_margin_db / 10);
  p.min_level = std::pow(10.0, c.min_level_dbfs / 10);
  p.floor_min = std::pow(10.0, c.noise_floor_min_dbfs / 10);
  p.rise = std::pow(10.0, c.noise_rise_db_per_s * frame_true_s / 10);
  p.solo_ratio = std::pow(10.0, c.solo_snr_db / 10);
  p.dominance = std::pow(10.0, c.solo_dominance_db / 10);
  p.growth = std::exp(frame_true_s / c.leak_memory_s);
  p.below_level = std::pow(10.0, -c.below_speech_level_db / 10);
  p.back_ratio = std::pow(10.0, c.onset_back_db / 10);
  p.leak_cap = c.leak_cap_db >= 100 ? 0.f : static_cast<float>(std::pow(10.0, c.leak_cap_db / 10));
  p.back_frames = static_cast<std::size_t>(std::floor(c.onset_back_s / frame_true_s + 1e-9));
  p.hold_ratio = std::pow(10.0, c.end_hold_db / 10);
  p.hold_below = std::pow(10.0, -c.end_hold_below_speech_level_db / 10);
  p.hold_drop = std::pow(10.0, -c.end_hold_drop_db / 10);
  p.hold_frames = static_cast<std::size_t>(std::floor(c.end_hold_s / frame_true_s + 1e-9));
  p.hold_gap = static_cast<std::size_t>(std::floor(c.end_hold_gap_s / frame_true_s + 1e-9));
  p.noise_step = 1 - std::exp(-frame_true_s / c.noise_memory_s);
  p.noise_span = std::pow(10.0, c.noise_above_envelope_db / 10);
  p.band_solo = std::pow(10.0, c.solo_band_snr_db / 10);
  p.level_window = std::pow(10.0, -c.speech_level_window_db / 10);
  p.level_step = 1 - std::exp(-frame_true_s / c.speech_level_memory_s);
  p.ch.resize(channels);
  for (auto& x : p.ch) {
    for (auto* v : {&x.P, &x.Ps, &x.Nmin, &x.N, &x.E}) v->assign(p.K, 0.0);
    for (auto* v : {&x.Pb, &x.Nb, &x.Db, &x.Lb, &x.Ib, &x.Rb}) v->assign(p.nb, 0.f);
    x.Eb_taps.assign(static_cast<std::size_t>(p.taps) * p.nb, 0.f);
    // what is kept between slices (< W) + one slice of process() (16 frames) + a partial group
    x.buf.assign(p.W + p.lead + 17 * p.F + 2, 0.f);
  }
  p.G.assign(p.C * p.C * p.K, 0.0);
  p.Gb.assign(p.C * p.C * p.nb, 0.f);
  p.hist.assign(p.C * p.C * p.K * kHistBins, 0.0);
  p.dirty.assign(p.C * p.C * p.K, 1);
  p.rest_k.assign(p.K, 0.0);
  p.nb_k.assign(p.K, 0.f);
  for (std::size_t k : p.band_of) p.band_of32.push_back(static_cast<std::uint32_t>(k));
  {
    std::lock_guard<std::mutex> lock(detail::fftw_planner_mutex());
    p.zin = fftwf_alloc_complex(p.nfft);
    p.zout = fftwf_alloc_complex(p.nfft);
    p.plan = fftwf_plan_dft_1d(static_cast<int>(p.nfft), p.zin, p.zout, FFTW_FORWARD, FFTW_ESTIMATE);
  }
  if (!p.plan) throw std::runtime_error("CrosstalkVad: FFTW could not plan a transform of " + std::to_string(p.nfft));
  if (c.cancel_length_s > 0 && channels > 1) {
    p.M = static_cast<std::size_t>(std::ceil(c.cancel_length_s / frame_true_s - 1e-9));
    p.NC = 2 * p.F;
    p.NBc = p.NC / 2 + 1;
    p.cmu = static_cast<float>(c.cancel_step);
    p.cancel_dominance = std::pow(10.0, c.cancel_dominance_db / 10);
    p.cancel_reg = std::pow(10.0, c.cancel_floor_db / 10);
    p.cancel_idle = std::pow(10.0, c.cancel_idle_db / 10);
    p.adapt_above = std::pow(10.0, c.cancel_adapt_above_noise_db / 10);
    const std::size_t nbin2 = 2 * p.NBc;
    for (auto& x : p.ch) {
      x.err.assign(p.F, 0.f);
      x.raw_ring.assign((p.M + 1) * p.F, 0.f);
      x.X.assign(p.M * nbin2, 0.f);
      x.x_block.assign(p.M, -1);
    }
    p.Wc.assign(p.C * p.C * p.M * nbin2, 0.f);
    p.open.assign(p.C * p.C, 0);
    p.term_w.assign((p.C - 1) * p.M, nullptr);
    p.term_x.assign((p.C - 1) * p.M, nullptr);
    p.cY.assign(nbin2, 0.f);
    p.cE.assign(nbin2, 0.f);
    p.cD.assign(p.NBc, 0.f);
    p.hre.assign(p.F + 1, 0.f);
    p.him.assign(p.F + 1, 0.f);
    for (std::size_t k = 0; k <= p.F; ++k) {
      const double ang = 2 * M_PI * static_cast<double>(k) / static_cast<double>(p.NC);
      p.twc.push_back(static_cast<float>(std::cos(ang)));
      p.tws.push_back(k == p.F ? 0.f : static_cast<float>(std::sin(ang)));
    }
    std::lock_guard<std::mutex> lock(detail::fftw_planner_mutex());
    p.cin = fftwf_alloc_real(p.NC);
    p.hspec = fftwf_alloc_complex(p.F);
    auto* hz = reinterpret_cast<fftwf_complex*>(p.cin);  // NC reals as NC / 2 complex values (FFTW's alignment)
    p.hfwd = fftwf_plan_dft_1d(static_cast<int>(p.F), hz, p.hspec, FFTW_FORWARD, FFTW_ESTIMATE);
    p.hinv = fftwf_plan_dft_1d(static_cast<int>(p.F), p.hspec, hz, FFTW_BACKWARD, FFTW_ESTIMATE);
    if (!p.hfwd || !p.hinv) throw std::runtime_error("CrosstalkVad: FFTW could not plan a transform of " + std::to_string(p.NC));
  }
  p.reset();
}

CrosstalkVad::~CrosstalkVad() = default;

bool set_parameter(CrosstalkVadConfig& c, std::string_view name, double v) {
  struct Field {
    const char* name;
    double CrosstalkVadConfig::*field;
  };
  static const Field fields[] = {{"frame_s", &CrosstalkVadConfig::frame_s},
                                 {"window_s", &CrosstalkVadConfig::window_s},
                                 {"analysis_rate_hz", &CrosstalkVadConfig::analysis_rate_hz},
                                 {"band_low_hz", &CrosstalkVadConfig::band_low_hz},
                                 {"band_high_hz", &CrosstalkVadConfig::band_high_hz},
                                 {"on_db", &CrosstalkVadConfig::on_db},
                                 {"off_db", &CrosstalkVadConfig::off_db},
                                 {"min_level_dbfs", &CrosstalkVadConfig::min_level_dbfs},
                                 {"noise_floor_min_dbfs", &CrosstalkVadConfig::noise_floor_min_dbfs},
                                 {"noise_rise_db_per_s", &CrosstalkVadConfig::noise_rise_db_per_s},
                                 {"noise_memory_s", &CrosstalkVadConfig::noise_memory_s},
                                 {"noise_above_envelope_db", &CrosstalkVadConfig::noise_above_envelope_db},
                                 {"leak_margin_db", &CrosstalkVadConfig::leak_margin_db},
                                 {"leak_prior_db", &CrosstalkVadConfig::leak_prior_db},
                                 {"leak_prior_s", &CrosstalkVadConfig::leak_prior_s},
                                 {"leak_memory_s", &CrosstalkVadConfig::leak_memory_s},
                                 {"leak_quantile", &CrosstalkVadConfig::leak_quantile},
                                 {"solo_snr_db", &CrosstalkVadConfig::solo_snr_db},
                                 {"solo_dominance_db", &CrosstalkVadConfig::solo_dominance_db},
                                 {"solo_band_snr_db", &CrosstalkVadConfig::solo_band_snr_db},
                                 {"max_leak_delay_s", &CrosstalkVadConfig::max_leak_delay_s},
                                 {"leak_decay_db_per_s", &CrosstalkVadConfig::leak_decay_db_per_s},
                                 {"cancel_length_s", &CrosstalkVadConfig::cancel_length_s},
                                 {"cancel_step", &CrosstalkVadConfig::cancel_step},
                                 {"cancel_dominance_db", &CrosstalkVadConfig::cancel_dominance_db},
                                 {"cancel_floor_db", &CrosstalkVadConfig::cancel_floor_db},
                                 {"cancel_idle_db", &CrosstalkVadConfig::cancel_idle_db},
                                 {"cancel_adapt_above_noise_db", &CrosstalkVadConfig::cancel_adapt_above_noise_db},
                                 {"below_speech_level_db", &CrosstalkVadConfig::below_speech_level_db},
                                 {"speech_level_memory_s", &CrosstalkVadConfig::speech_level_memory_s},
                                 {"speech_level_window_db", &CrosstalkVadConfig::speech_level_window_db},
                                 {"leak_cap_db", &CrosstalkVadConfig::leak_cap_db},
                                 {"onset_back_db", &CrosstalkVadConfig::onset_back_db},
                                 {"onset_back_s", &CrosstalkVadConfig::onset_back_s},
                                 {"end_hold_db", &CrosstalkVadConfig::end_hold_db},
                                 {"end_hold_below_speech_level_db", &CrosstalkVadConfig::end_hold_below_speech_level_db},
                                 {"end_hold_drop_db", &CrosstalkVadConfig::end_hold_drop_db},
                                 {"end_hold_gap_s", &CrosstalkVadConfig::end_hold_gap_s},
                                 {"end_hold_s", &CrosstalkVadConfig::end_hold_s},
                                 {"min_pause_s", &CrosstalkVadConfig::min_pause_s},
                                 {"min_talkspurt_s", &CrosstalkVadConfig::min_talkspurt_s}};
  if (name == "bands") {
    if (!(v == std::floor(v)) || !(std::abs(v) < 1e6))
      throw std::invalid_argument("CrosstalkVad: bands must be a whole number, got " + detail::num(v));
    c.bands = static_cast<int>(v);
    return true;
  }
  for (auto& f : fields)
    if (name == f.name) {
      c.*(f.field) = v;
      return true;
    }
  return false;
}

void CrosstalkVad::reset() { p_->reset(); }

std::size_t CrosstalkVad::channels() const { return p_->C; }

double CrosstalkVad::analysis_rate_hz() const { return p_->rate_a; }

std::vector<NamedParameter> CrosstalkVad::parameters() const {
  const auto& c = p_->c;
  return {{"frame_s", c.frame_s},
          {"window_s", c.window_s},
          {"analysis_rate_hz", c.analysis_rate_hz},
          {"bands", static_cast<double>(c.bands)},
          {"band_low_hz", c.band_low_hz},
          {"band_high_hz", c.band_high_hz},
          {"on_db", c.on_db},
          {"off_db", c.off_db},
          {"min_level_dbfs", c.min_level_dbfs},
          {"noise_floor_min_dbfs", c.noise_floor_min_dbfs},
          {"noise_rise_db_per_s", c.noise_rise_db_per_s},
          {"noise_memory_s", c.noise_memory_s},
          {"noise_above_envelope_db", c.noise_above_envelope_db},
          {"leak_margin_db", c.leak_margin_db},
          {"leak_prior_db", c.leak_prior_db},
          {"leak_prior_s", c.leak_prior_s},
          {"leak_memory_s", c.leak_memory_s},
          {"leak_quantile", c.leak_quantile},
          {"solo_snr_db", c.solo_snr_db},
          {"solo_dominance_db", c.solo_dominance_db},
          {"solo_band_snr_db", c.solo_band_snr_db},
          {"max_leak_delay_s", c.max_leak_delay_s},
          {"leak_decay_db_per_s", c.leak_decay_db_per_s},
          {"cancel_length_s", c.cancel_length_s},
          {"cancel_step", c.cancel_step},
          {"cancel_dominance_db", c.cancel_dominance_db},
          {"cancel_floor_db", c.cancel_floor_db},
          {"cancel_idle_db", c.cancel_idle_db},
          {"cancel_adapt_above_noise_db", c.cancel_adapt_above_noise_db},
          {"below_speech_level_db", c.below_speech_level_db},
          {"speech_level_memory_s", c.speech_level_memory_s},
          {"speech_level_window_db", c.speech_level_window_db},
          {"leak_cap_db", c.leak_cap_db},
          {"onset_back_db", c.onset_back_db},
          {"onset_back_s", c.onset_back_s},
          {"end_hold_db", c.end_hold_db},
          {"end_hold_below_speech_level_db", c.end_hold_below_speech_level_db},
          {"end_hold_drop_db", c.end_hold_drop_db},
          {"end_hold_gap_s", c.end_hold_gap_s},
          {"end_hold_s", c.end_hold_s},
          {"min_pause_s", c.min_pause_s},
          {"min_talkspurt_s", c.min_talkspurt_s}};
}

void CrosstalkVad::process(std::span<const std::span<const float>> channels) {
  auto& p = *p_;
  if (channels.size() != p.C)
    throw std::invalid_argument("CrosstalkVad: expected " + std::to_string(p.C) + " channels, got " + std::to_string(channels.size()));
  const std::size_t n = channels.empty() ? 0 : channels[0].size();
  for (auto& s : channels)
    if (s.size() != n)
      throw std::invalid_argument("CrosstalkVad: every channel's block must have the same length, got " + std::to_string(n) + " and " +
                                  std::to_string(s.size()));
  // In slices, so the decimated history stays small whatever the block length.
  const std::size_t slice = 16 * p.frame_in;
  for (std::size_t off = 0; off < n; off += slice) {
    const std::size_t m = std::min(slice, n - off);
    for (std::size_t c = 0; c < p.C; ++c) p.decimate(p.ch[c], channels[c].data() + off, m);
    p.in_total += static_cast<std::int64_t>(m);
    p.dec_total = p.in_total / p.factor;
    p.run_frames(false);
  }
}

void CrosstalkVad::finish() {
  auto& p = *p_;
  // The partial decimation group counts as a sample (its mean).
  for (auto& x : p.ch)
    if (x.cnt > 0) {
      x.buf[x.len++] = x.acc / static_cast<float>(x.cnt);
      x.acc = 0;
      x.cnt = 0;
    }
  p.run_frames(true);
  const double end = static_cast<double>(p.in_total) / p.c.sample_rate_hz;
  for (auto& x : p.ch) x.asm_.finish(end);
}

std::vector<Interval> CrosstalkVad::take(std::size_t c) { return p_->ch.at(c).asm_.take(); }

double CrosstalkVad::leak_gain_db(std::size_t from, std::size_t to) const {
  const auto& p = *p_;
  if (from >= p.C || to >= p.C || from == to) throw std::out_of_range("CrosstalkVad::leak_gain_db: no such pair of channels");
  // The gain of a source with a flat spectrum: bands weighted by their bins.
  double g = 0;
  double w = 0;
  for (std::size_t k = 0; k < p.K; ++k) {
    const double bw = static_cast<double>(p.band_hi[k] - p.band_lo[k]);
    g += bw * p.G[p.gi(from, to, k)];
    w += bw;
  }
  return 10 * std::log10(g / w + kTiny);
}

double CrosstalkVad::cancelled_db(std::size_t c) const {
  const auto& x = p_->ch.at(c);
  return x.solo_raw > 0 ? 10 * std::log10((x.solo_res + kTiny) / x.solo_raw) : 0.0;
}

double CrosstalkVad::noise_floor_dbfs(std::size_t c) const {
  double n = 0;
  for (double v : p_->ch.at(c).N) n += v;
  return 10 * std::log10(n + kTiny);
}

}  // namespace dyad::dsp
