#include "dyad/dsp/pitch.hpp"

#include <fftw3.h>

#include "common.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <limits>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>

#include "sample_ring.hpp"
#include "sinc_peak.hpp"

// IntensityTracker's block moments use 8-float vectors (GCC / Clang vector extension) in internal,
// always-inlined helpers: GCC's note that passing them without AVX changes the ABI does not apply.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wpsabi"
#endif

namespace dyad::dsp {

namespace {

using detail::fftw_planner_mutex;
using detail::next_pow2;
using detail::SampleRing;

std::string num(double v) {
  std::ostringstream s;
  s.imbue(std::locale::classic());
  s << v;
  return s.str();
}

/// Modified Bessel function of the first kind, order 0 (power series).
double bessel_i0(double x) {
  double sum = 1, term = 1, q = x * x / 4;
  for (int k = 1; k < 500; ++k) {
    term *= q / (static_cast<double>(k) * k);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return sum;
}

}  // namespace

// ------------------------------------------------------------------------------------------------
// PitchTracker

struct PitchTracker::Impl {
  // analysis constants
  double fs = 0, step_samples = 0, first_sample = 0;
  std::size_t nw = 0, nfft = 0, nlag = 0;
  std::size_t nuse = 0;          // lags computed: those the candidates and their interpolation read
  std::int64_t half_period = 0;
  std::int64_t min_lag = 0, max_lag = 0;
  int max_voiced = 0;            // candidates besides the unvoiced one
  int sinc_depth = 70;
  double time_correction = 1;    // 0.01 / time_step_s
  double log2_ceiling = 0;
  std::vector<double> window;    // Hanning
  std::vector<float> windowf;
  std::vector<double> rw;        // normalised autocorrelation of the window
  std::vector<double> rwinv;     // 1 / rw
  std::vector<double> rwinv_signed;  // (-1)^lag / rw
  const PitchConfig* cfg = nullptr;
  /// What one analysing thread works in: two frames at a time, their transforms and candidates.
  struct Work {
    std::vector<float> frame_buf;    // two prepared frames (slots), nw samples each
    fftwf_complex* zin = nullptr;    // complex transforms of two frames at once
    fftwf_complex* zout = nullptr;
    fftwf_complex* zspec = nullptr;  // the two power spectra (input of the inverse transform)
    fftwf_plan zfwd = nullptr, zinv = nullptr;
    bool correlate[2]{};             // the slot's candidates are needed
    std::vector<std::uint8_t> flags;  // find_candidates(): lags that are local maxima
    detail::SincPeak sinc;           // rx mirrored for the windowed-sinc interpolation of its maxima
  };
  std::vector<std::unique_ptr<Work>> work;  // [0] the caller's thread, [1..] the workers'
  SampleRing ring;

  // streaming state
  std::int64_t next_frame = 0;       // index of the next frame not yet in a batch
  std::int64_t peak_upto = 0;        // running peak covers samples [0, peak_upto)
  double running_peak = 0;

  // path finder: pending (undecided) frames in a ring of records
  // (no initialisers: the records' memory is only touched when used)
  struct Record {
    double time_s, local_peak;
    double global_peak;                 // the peak its unvoiced strength is relative to
    double max_r;                       // strongest voiced candidate (before the path finder)
    int n;                              // candidates including unvoiced (index 0)
    struct Candidate {
      double f, r;                      // frequency (0: the unvoiced candidate, index 0) and strength
      double lf;                        // log2 f (voiced candidates)
      int psi;                          // best predecessor in the previous record
    };
    Candidate c[32];                    // (together: a frame's few candidates share cache lines)
  };
  std::unique_ptr<Record[]> pend;
  std::size_t pend_size = 0;
  std::size_t pend_head = 0, pend_count = 0;  // oldest at pend_head

  // The batch: frames [batch_first, batch_first + batch_n) analysed (candidates into batch[]) two
  // at a time by whichever thread takes the pair next, then given to the path finder in order. With
  // worker threads, a batch stays in flight after process() returns (the workers analyse it while
  // the caller reads its next block); at the next call it is settled (analysed), the next batch is
  // published into the other buffer, and the path finder runs over the settled one meanwhile.
  std::unique_ptr<Record[]> batch_buf[2];
  Record* batch = nullptr;         // the buffer of the batch in flight
  std::size_t batch_size = 0;      // capacity of each buffer
  const Record* settled = nullptr;  // analysed frames waiting for the path finder ...
  std::size_t settled_n = 0;        // ... and how many
  std::vector<double> batch_peak;  // each frame's peak (written by the caller's thread, apart from
                                   // the records the workers write: fewer cache lines change cores)
  std::int64_t batch_first = 0;
  std::size_t batch_n = 0, batch_pairs = 0;
  bool in_flight = false;
  // the pairs not taken yet: [low, high) as low | high << 32; the caller's thread takes them from
  // the low end, workers from the high end (each thread then works on neighbouring frames)
  std::atomic<std::uint64_t> untaken{0};
  std::atomic<std::uint32_t> done_units{0};  // pairs analysed + one per worker done with the batch
  std::atomic<std::uint32_t> job{0};         // incremented for each batch (and to stop)
  std::atomic<bool> stop{false};
  std::vector<std::thread> workers;
  std::int64_t frames_since_check = 0;
  double delta[32]{}, delta_new[32]{};
  bool have_prev = false;
  std::vector<int> path;  // scratch for backtracking, size pend_size

  Record& pend_at(std::size_t i) { return pend[(pend_head + i) % pend_size]; }

  ~Impl() {
    stop.store(true, std::memory_order_release);
    job.fetch_add(1, std::memory_order_release);
    job.notify_all();
    for (auto& t : workers) t.join();
    std::lock_guard<std::mutex> lock(fftw_planner_mutex());
    for (auto& w : work) {
      if (w->zfwd) fftwf_destroy_plan(w->zfwd);
      if (w->zinv) fftwf_destroy_plan(w->zinv);
      fftwf_free(w->zin);
      fftwf_free(w->zout);
      fftwf_free(w->zspec);
    }
  }

  double centre(std::int64_t k) const { return first_sample + static_cast<double>(k) * step_samples; }
  std::int64_t window_start(std::int64_t k) const {
    return static_cast<std::int64_t>(std::floor(centre(k))) - static_cast<std::int64_t>(nw / 2) + 1;
  }

  /// The peak frame k's unvoiced strength is relative to: the running peak up to its last sample
  /// (data-determined, independent of block cuts); in frame order, on the caller's thread.
  double frame_peak(std::int64_t k) {
    if (cfg->reference_peak > 0) return cfg->reference_peak;
    const std::int64_t end = window_start(k) + static_cast<std::int64_t>(nw);
    std::int64_t upto = std::min(end, ring.total());
    if (upto > peak_upto) running_peak = std::max(running_peak, static_cast<double>(ring.max_abs(std::max<std::int64_t>(peak_upto, 0), upto)));
    peak_upto = std::max(peak_upto, upto);
    return running_peak;
  }

  /// Frame k's windowed samples (local mean removed, Hanning window) into slot `slot` of `w`, its
  /// local peak into `rec`; decides whether its autocorrelation is needed.
  void prepare(Work& w, std::int64_t k, int slot, Record& rec) const {
    rec.time_s = centre(k) / fs;
    rec.global_peak = batch_peak[static_cast<std::size_t>(k - batch_first)];
    const std::int64_t start = window_start(k);
    const std::int64_t ic = start + static_cast<std::int64_t>(nw / 2) - 1;
    const std::int64_t end = start + static_cast<std::int64_t>(nw);
    float* x = w.frame_buf.data() + static_cast<std::size_t>(slot) * nw;
    const float* src = ring.contiguous(start, nw);  // the samples in place, or a copy
    if (!src) {
      ring.copy(start, nw, x);
      src = x;
    }
    // local mean over two floor periods around the centre
    const std::int64_t a = std::max<std::int64_t>(ic + 1 - half_period, start), b = std::min<std::int64_t>(ic + half_period, end - 1);
    const double lp = window_frame(src, x, static_cast<std::size_t>(a - start), static_cast<std::size_t>(b - a + 1));
    rec.local_peak = lp;
    // A frame so quiet that its unvoiced candidate outscores any voiced one (strength <= 1) by more
    // than two voiced/unvoiced transitions is unvoiced on every best path: its voiced candidates
    // cannot change the result, so they are not computed.
    const bool hopeless = unvoiced_score(lp, rec.global_peak, *cfg) > 1 + 2 * cfg->voiced_unvoiced_cost * time_correction;
    w.correlate[slot] = lp > 0 && !hopeless;
  }

  /// Batch pair p (frames 2p and 2p + 1 of the batch; the last pair may have one frame): windows,
  /// one complex transform pair, candidates into their batch records.
  void analyse_pair(Work& w, std::size_t p) {
    const std::size_t i0 = 2 * p;
    const int count = i0 + 1 < batch_n ? 2 : 1;
    for (int slot = 0; slot < count; ++slot) prepare(w, batch_first + static_cast<std::int64_t>(i0) + slot, slot, batch[i0 + static_cast<std::size_t>(slot)]);
    if (w.correlate[0] || (count > 1 && w.correlate[1])) correlate(w, count);
    for (int slot = 0; slot < count; ++slot) candidates(w, slot, batch[i0 + static_cast<std::size_t>(slot)]);
  }

  /// Takes pairs of the current batch (from the low end, or the high end) until none is left;
  /// returns how many it analysed.
  std::uint32_t take_pairs(Work& w, bool from_high) {
    std::uint32_t mine = 0;
    std::uint64_t u = untaken.load(std::memory_order_relaxed);
    for (;;) {
      const std::uint32_t lo = static_cast<std::uint32_t>(u), hi = static_cast<std::uint32_t>(u >> 32);
      if (lo >= hi) return mine;
      const std::uint64_t next = from_high ? (lo | static_cast<std::uint64_t>(hi - 1) << 32) : ((lo + 1) | static_cast<std::uint64_t>(hi) << 32);
      if (!untaken.compare_exchange_weak(u, next, std::memory_order_relaxed)) continue;
      analyse_pair(w, from_high ? hi - 1 : lo);
      ++mine;
      u = untaken.load(std::memory_order_relaxed);
    }
  }

  void worker_loop(std::size_t index) {
    Work& w = *work[index];
    std::uint32_t seen = 0;
    for (;;) {
      job.wait(seen, std::memory_order_acquire);
      seen = job.load(std::memory_order_acquire);
      if (stop.load(std::memory_order_acquire)) return;
      // (read before adding: once every unit is in, the caller's thread may publish the next batch)
      const std::uint32_t expected = static_cast<std::uint32_t>(batch_pairs + workers.size());
      const std::uint32_t units = take_pairs(w, true) + 1;
      if (done_units.fetch_add(units, std::memory_order_acq_rel) + units == expected) done_units.notify_all();
    }
  }

  /// Frames [next_frame, next_frame + n) become the batch, in the buffer not waiting for the path
  /// finder: their peaks found here, in order; the workers (if any) start on their pairs.
  void publish(std::size_t n) {
    batch = batch_buf[batch == batch_buf[0].get() ? 1 : 0].get();
    batch_first = next_frame;
    batch_n = n;
    batch_pairs = (n + 1) / 2;
    for (std::size_t i = 0; i < n; ++i) batch_peak[i] = frame_peak(next_frame + static_cast<std::int64_t>(i));
    next_frame += static_cast<std::int64_t>(n);
    in_flight = true;
    if (workers.empty()) return;
    untaken.store(static_cast<std::uint64_t>(batch_pairs) << 32, std::memory_order_relaxed);
    done_units.store(0, std::memory_order_relaxed);
    job.fetch_add(1, std::memory_order_release);
    job.notify_all();
  }

  /// Analyses what is left of the batch in flight on this thread and waits for the workers; the
  /// batch then waits for the path finder (find_path(), which must have taken the one before).
  void settle() {
    if (!in_flight) return;
    in_flight = false;
    if (workers.empty()) {
      for (std::size_t p = 0; p < batch_pairs; ++p) analyse_pair(*work[0], static_cast<std::size_t>(p));
    } else {
      const std::uint32_t expected = static_cast<std::uint32_t>(batch_pairs + workers.size());
      const std::uint32_t mine = take_pairs(*work[0], false);
      std::uint32_t d = done_units.fetch_add(mine, std::memory_order_acq_rel) + mine;
      while (d != expected) {
        done_units.wait(d, std::memory_order_acquire);
        d = done_units.load(std::memory_order_acquire);
      }
    }
    settled = batch;
    settled_n = batch_n;
  }

  /// Runs the path finder over the settled frames in order; returns the frames decided (written to out).
  std::size_t find_path(PitchFrame* out) {
    std::size_t written = 0;
    for (std::size_t i = 0; i < settled_n; ++i) {
      push_record(settled[i]);
      path_step(*cfg);
      if (++frames_since_check >= 32) {
        frames_since_check = 0;
        written += emit_converged(out + written);
      }
      if (pend_count + 1 >= pend_size) written += emit_forced(out + written);
    }
    settled = nullptr;
    settled_n = 0;
    return written;
  }

  /// x = (src - the mean of src[a, a + cnt)) times the window, nw samples; returns the windowed
  /// frame's absolute peak. (src may be x.)
  DYAD_HOT_CLONES double window_frame(const float* src, float* x, std::size_t a, std::size_t cnt) const noexcept {
    float sum = 0;
    const float* q = src + a;
#pragma omp simd reduction(+ : sum)
    for (std::size_t i = 0; i < cnt; ++i) sum += q[i];
    const double mean = static_cast<double>(sum) / static_cast<double>(cnt);
    const float meanf = static_cast<float>(mean);
    const float* wf = windowf.data();
    // the absolute peak in four independent 8-float maxima (the maximum does not depend on the order)
    V8 m0{}, m1{}, m2{}, m3{};
    const I8 mag = I8{} + 0x7fffffff;  // every bit but the sign
    std::size_t j = 0;
    for (; j + 32 <= nw; j += 32) {
      const V8 v0 = (load8(src + j) - meanf) * load8(wf + j), v1 = (load8(src + j + 8) - meanf) * load8(wf + j + 8);
      const V8 v2 = (load8(src + j + 16) - meanf) * load8(wf + j + 16), v3 = (load8(src + j + 24) - meanf) * load8(wf + j + 24);
      store8(x + j, v0);
      store8(x + j + 8, v1);
      store8(x + j + 16, v2);
      store8(x + j + 24, v3);
      m0 = vmax(m0, vabs(v0, mag));
      m1 = vmax(m1, vabs(v1, mag));
      m2 = vmax(m2, vabs(v2, mag));
      m3 = vmax(m3, vabs(v3, mag));
    }
    const V8 m = vmax(vmax(m0, m1), vmax(m2, m3));
    float peak = 0;
    for (int l = 0; l < 8; ++l) peak = std::max(peak, m[l]);
    for (; j < nw; ++j) {
      x[j] = (src[j] - meanf) * wf[j];
      peak = std::max(peak, std::abs(x[j]));
    }
    return peak;
  }

  typedef float V8 __attribute__((vector_size(32)));  // GCC / Clang vector extension: 8 floats
  typedef int I8 __attribute__((vector_size(32)));
  [[gnu::always_inline]] static inline V8 load8(const float* p) noexcept {
    V8 v;
    std::memcpy(&v, p, sizeof v);
    return v;
  }
  [[gnu::always_inline]] static inline void store8(float* p, V8 v) noexcept { std::memcpy(p, &v, sizeof v); }
  [[gnu::always_inline]] static inline V8 vmax(V8 a, V8 b) noexcept { return a > b ? a : b; }
  [[gnu::always_inline]] static inline V8 vabs(V8 a, I8 mag) noexcept {
    return reinterpret_cast<V8>(reinterpret_cast<I8>(a) & mag);
  }

  /// The autocorrelations of the prepared slots [0, count) that need one, by one complex transform
  /// pair: slot 0 is the real part, slot 1 the imaginary part (two real frames for the price of
  /// one complex transform each way). Slot s's autocorrelation (times 4 nfft) is then zout[l][s].
  DYAD_HOT_CLONES void correlate(Work& w, int count) const noexcept {
    const bool use0 = w.correlate[0], use1 = count > 1 && w.correlate[1];
    const float* x0 = w.frame_buf.data();
    const float* x1 = w.frame_buf.data() + nw;
    float* zi = reinterpret_cast<float*>(w.zin);
    if (use0 && use1) {
#pragma omp simd
      for (std::size_t j = 0; j < nw; ++j) {
        zi[2 * j] = x0[j];
        zi[2 * j + 1] = x1[j];
      }
    } else {
      const float* x = use0 ? x0 : x1;
      const std::size_t o = use0 ? 0 : 1;
#pragma omp simd
      for (std::size_t j = 0; j < nw; ++j) {
        zi[2 * j + o] = x[j];
        zi[2 * j + 1 - o] = 0.f;
      }
    }
    fftwf_execute(w.zfwd);  // (out of place: zin's zero tail stays)
    // |X0|^2 = |Z[k] + conj Z[N-k]|^2 / 4 and |X1|^2 = |Z[k] - conj Z[N-k]|^2 / 4, both even in k:
    // their sum X0^2 + i X1^2 transforms back to r0 + i r1 (the common factor 4 is normalised away)
    const float* z = reinterpret_cast<const float*>(w.zout);
    float* y = reinterpret_cast<float*>(w.zspec);
    auto spectra = [&](std::size_t k, float zkr, float zki, float zmr, float zmi) {
      const float ar = zkr + zmr, ai = zki - zmi, br = zkr - zmr, bi = zki + zmi;
      y[2 * k] = ar * ar + ai * ai;
      y[2 * k + 1] = br * br + bi * bi;
    };
    spectra(0, z[0], z[1], z[0], z[1]);
    // four bins at a time: Z[k .. k + 3] and Z[N - k - 3 .. N - k] in reversed order
    std::size_t k = 1;
    for (; k + 4 <= nfft; k += 4) {
      const V8 a = load8(z + 2 * k);
      const V8 rev = load8(z + 2 * (nfft - k - 3));
      const V8 m = __builtin_shufflevector(rev, rev, 6, 7, 4, 5, 2, 3, 0, 1);
      const V8 sum = a + m, dif = a - m;  // (re: zk + zm, im: zk - zm) and (re: zk - zm, im: zk + zm)
      // X0^2 = (re of sum)^2 + (im of dif)^2, X1^2 = (re of dif)^2 + (im of sum)^2
      const V8 p = __builtin_shufflevector(sum, dif, 0, 9, 2, 11, 4, 13, 6, 15);  // re sum, im dif
      const V8 q = __builtin_shufflevector(dif, sum, 0, 9, 2, 11, 4, 13, 6, 15);  // re dif, im sum
      const V8 pp = p * p, qq = q * q;
      // y = (pp.re + pp.im, qq.re + qq.im) per bin
      store8(y + 2 * k, __builtin_shufflevector(pp, qq, 0, 8, 2, 10, 4, 12, 6, 14) + __builtin_shufflevector(pp, qq, 1, 9, 3, 11, 5, 13, 7, 15));
    }
    for (; k < nfft; ++k) spectra(k, z[2 * k], z[2 * k + 1], z[2 * (nfft - k)], z[2 * (nfft - k) + 1]);
    fftwf_execute(w.zinv);
  }

  /// The candidates of the frame in slot `slot` of `w` (prepared, correlated) into its record.
  void candidates(Work& w, int slot, Record& rec) const {
    rec.n = 1;
    rec.max_r = 0;
    rec.c[0].f = 0;
    rec.c[0].r = 0;
    rec.c[0].lf = 0;
    if (w.correlate[slot]) {
      const double r0 = w.zout[0][slot];
      if (r0 > 0) {
        const double inv0 = 1.0 / r0;
        normalise(w, slot, inv0);
        w.sinc.mirror(nuse + 1);
        w.sinc.mirror_signed(nuse + 1);
        find_candidates(w, rec, *cfg);
        for (int j = 1; j < rec.n; ++j) rec.max_r = std::max(rec.max_r, rec.c[j].r);
      }
    }
  }

  /// The corrected, normalised autocorrelation of slot `slot`, lags 0..nuse, into the sinc
  /// interpolator's array (which the candidates read as rx).
  /// Also its signed copy (-1)^i r[i] for the sinc refinement, by the same products with
  /// (-1)^i / rw (exact sign changes: the same values).
  DYAD_HOT_CLONES void normalise(Work& w, int slot, double inv0) const noexcept {
    double* q = w.sinc.data();
    double* qs = w.sinc.signed_data();
    const float* z = reinterpret_cast<const float*>(w.zout) + slot;
    const double* wi = rwinv.data();
    const double* ws = rwinv_signed.data();
#pragma omp simd
    for (std::size_t i = 0; i <= nuse; ++i) {
      const double zi = static_cast<double>(z[2 * i]) * inv0;
      q[i] = zi * wi[i];
      qs[i] = zi * ws[i];
    }
  }

  DYAD_HOT_CLONES void find_candidates(Work& w, Record& rec, const PitchConfig& cfg) const {
    const detail::SincPeak& sinc = w.sinc;
    const double* rx = sinc.data();
    const double thr = 0.5 * cfg.voicing_threshold;
    double rank[32];
    // (bounds in locals: the record's stores could otherwise alias them, reloaded every lag)
    const std::int64_t lo = std::max<std::int64_t>(min_lag, 1), hi = std::min<std::int64_t>(max_lag, static_cast<std::int64_t>(nuse) - 1);
    // the local maxima above the threshold, flagged without branches (vectorised), then visited in order
    std::uint8_t* flag = w.flags.data();
    const std::size_t nl = hi >= lo ? static_cast<std::size_t>(hi - lo + 1) : 0;
    const double* rl0 = rx + lo;
    for (std::size_t j = 0; j < nl; ++j)
      flag[j] = static_cast<std::uint8_t>((rl0[j] > thr) & (rl0[j] > rl0[j - 1]) & (rl0[j] >= rl0[j + 1]));
    for (std::size_t j = nl; j % 8; ++j) flag[j] = 0;
    for (std::size_t j8 = 0; j8 < nl; j8 += 8) {
      std::uint64_t word;
      std::memcpy(&word, flag + j8, 8);
      for (; word; word &= word - 1) {
        const std::int64_t i = lo + static_cast<std::int64_t>(j8) + (__builtin_ctzll(word) >> 3);
        double r = rx[static_cast<std::size_t>(i)];
        // parabolic first guess, then the sinc-interpolated maximum
        double rl = rx[static_cast<std::size_t>(i - 1)], rr = rx[static_cast<std::size_t>(i + 1)];
        double dr = 0.5 * (rr - rl), d2r = 2 * r - rl - rr;
        double x0 = static_cast<double>(i) + (d2r > 0 ? dr / d2r : 0);
        x0 = std::clamp(x0, static_cast<double>(i) - 0.5, static_cast<double>(i) + 0.5);
        double val = 0;
        // (a last Newton step below 0.05 lag samples is taken: the lag within 6e-5 and the strength
        // within 3e-5 of what 0.02 gives, on an hour of speech; 0.02 needs ~22 % more evaluations)
        double lag = sinc.refine<true>(static_cast<double>(i), x0, val, 0.05);
        if (val > 1) val = 1 / val;  // a strength above 1 is an artefact of the window division
        double f = fs / lag;
        if (!(f >= cfg.f0_min_hz && f <= cfg.f0_max_hz)) continue;
        const double lf = std::log2(f);
        double score = val - cfg.octave_cost * (log2_ceiling - lf);  // as local_score ranks it
        if (rec.n - 1 < max_voiced) {
          rank[rec.n] = score;
          rec.c[rec.n].f = f;
          rec.c[rec.n].r = val;
          rec.c[rec.n].lf = lf;
          ++rec.n;
        } else {
          int worst = 1;
          for (int j = 2; j < rec.n; ++j) if (rank[j] < rank[worst]) worst = j;
          if (score > rank[worst]) { rank[worst] = score; rec.c[worst].f = f; rec.c[worst].r = val; rec.c[worst].lf = lf; }
        }
      }
    }
  }

  /// A copy of the analysed record `b` as the newest pending frame.
  void push_record(const Record& b) {
    Record& rec = pend[(pend_head + pend_count) % pend_size];
    ++pend_count;
    rec.time_s = b.time_s;
    rec.local_peak = b.local_peak;
    rec.global_peak = b.global_peak;
    rec.max_r = b.max_r;
    rec.n = b.n;
    std::copy(b.c, b.c + b.n, rec.c);
  }

  static double unvoiced_score(double local_peak, double global_peak, const PitchConfig& cfg) {
    double ratio = global_peak > 0 ? local_peak / global_peak : 0;
    return cfg.voicing_threshold + std::max(0.0, 2 - ratio / (cfg.silence_threshold / (1 + cfg.voicing_threshold)));
  }

  double local_score(const Record& rec, int j, const PitchConfig& cfg) const {
    if (j == 0) return unvoiced_score(rec.local_peak, rec.global_peak, cfg);
    return rec.c[j].r - cfg.octave_cost * (log2_ceiling - rec.c[j].lf);
  }

  double transition(double f1, double lf1, double f2, double lf2, const PitchConfig& cfg) const {
    bool v1 = f1 > 0, v2 = f2 > 0;
    if (!v1 && !v2) return 0;
    if (v1 != v2) return cfg.voiced_unvoiced_cost * time_correction;
    return cfg.octave_jump_cost * time_correction * std::abs(lf1 - lf2);
  }

  void path_step(const PitchConfig& cfg) {
    Record& cur = pend_at(pend_count - 1);
    if (!have_prev) {
      for (int j = 0; j < cur.n; ++j) { delta[j] = local_score(cur, j, cfg); cur.c[j].psi = 0; }
      have_prev = true;
      return;
    }
    const Record& prev = pend_at(pend_count - 2);
    double best_all = -std::numeric_limits<double>::infinity();
    for (int j = 0; j < cur.n; ++j) {
      double best = -std::numeric_limits<double>::infinity();
      int arg = 0;
      for (int i = 0; i < prev.n; ++i) {
        double v = delta[i] - transition(prev.c[i].f, prev.c[i].lf, cur.c[j].f, cur.c[j].lf, cfg);
        if (v > best) { best = v; arg = i; }
      }
      delta_new[j] = best + local_score(cur, j, cfg);
      cur.c[j].psi = arg;
      best_all = std::max(best_all, delta_new[j]);
    }
    for (int j = 0; j < cur.n; ++j) delta[j] = delta_new[j] - best_all;  // keep numbers small
  }

  /// Writes decided frames [0, count) of the pending ring, given the state of frame count-1.
  std::size_t emit(std::size_t count, int last_state, PitchFrame* out) {
    int s = last_state;
    for (std::size_t i = count; i-- > 0;) {
      path[i] = s;
      s = pend_at(i).c[s].psi;
    }
    for (std::size_t i = 0; i < count; ++i) {
      const Record& r = pend_at(i);
      int j = path[i];
      PitchFrame& f = out[i];
      f.time_s = r.time_s;
      f.local_peak = r.local_peak;
      f.max_strength = r.max_r;
      bool voiced = r.c[j].f > 0;  // index 0 is unvoiced, except after a forced decision kept one state
      f.f0_hz = voiced ? r.c[j].f : 0;
      f.strength = voiced ? r.c[j].r : 0;
    }
    pend_head = (pend_head + count) % pend_size;
    pend_count -= count;
    return count;
  }

  /// Emits every frame on which all surviving paths agree (exactly the whole-signal result).
  std::size_t emit_converged(PitchFrame* out) {
    if (pend_count < 2) return 0;
    // trace all states of the newest frame back until they merge
    int states[32], n = pend_at(pend_count - 1).n;
    for (int j = 0; j < n; ++j) states[j] = j;
    for (std::size_t i = pend_count - 1;; --i) {
      // states[] are states of frame i
      bool same = true;
      for (int j = 1; j < n; ++j) if (states[j] != states[0]) { same = false; break; }
      if (same) {
        if (i == 0) return 0;
        // frame i is decided with state states[0]; frames before it follow its back pointers
        // emit frames [0, i) with frame i-1 in state psi_i[states[0]]
        int s = pend_at(i).c[states[0]].psi;
        return emit(i, s, out);
      }
      if (i == 0) return 0;
      const Record& r = pend_at(i);
      for (int j = 0; j < n; ++j) states[j] = r.c[states[j]].psi;
    }
  }

  /// Forces a decision on all but the newest frame (only when paths disagree for too long).
  std::size_t forced = 0;
  std::size_t emit_forced(PitchFrame* out) {
    ++forced;
    const Record& last = pend_at(pend_count - 1);
    int best = 0;
    for (int j = 1; j < last.n; ++j) if (delta[j] > delta[best]) best = j;
    std::size_t n = emit(pend_count - 1, pend_at(pend_count - 1).c[best].psi, out);
    // the newest frame keeps only the chosen state
    Record& r = pend_at(0);
    r.c[0].f = r.c[best].f;
    r.c[0].r = r.c[best].r;
    r.c[0].lf = r.c[best].lf;
    r.n = 1;
    delta[0] = 0;
    return n;
  }
};

PitchTracker::PitchTracker(const PitchConfig& c) : cfg_(c) {
  auto fail = [](const std::string& what) { throw std::invalid_argument("PitchTracker: " + what); };
  if (!(c.sample_rate_hz > 0 && std::isfinite(c.sample_rate_hz)))
    fail("sample_rate_hz must be positive, got " + num(c.sample_rate_hz) + ".");
  if (!(c.time_step_s > 0 && std::isfinite(c.time_step_s)))
    fail("time_step_s must be positive, got " + num(c.time_step_s) + ".");
  if (!std::isfinite(c.first_frame_s)) fail("first_frame_s must be finite, got " + num(c.first_frame_s) + ".");
  if (!(c.f0_min_hz > 0 && c.f0_max_hz > c.f0_min_hz && pitch_ceiling_fits(c.f0_max_hz, c.sample_rate_hz)))
    fail("need 0 < f0_min_hz < f0_max_hz < sample_rate_hz / 2, got f0_min_hz " + num(c.f0_min_hz) +
         ", f0_max_hz " + num(c.f0_max_hz) + ", sample_rate_hz " + num(c.sample_rate_hz) + ".");
  if (!pitch_floor_fits(c.f0_min_hz, c.sample_rate_hz))
    fail("the window (3 / f0_min_hz = " + num(3.0 / c.f0_min_hz) + " s) must span at least 16 samples at " +
         num(c.sample_rate_hz) + " Hz.");
  if (c.max_candidates < 2 || c.max_candidates > 32)
    fail("max_candidates must be between 2 and 32, got " + num(c.max_candidates) + ".");
  if (!(c.silence_threshold >= 0 && c.silence_threshold < 1))
    fail("silence_threshold must be in [0, 1), got " + num(c.silence_threshold) + ".");
  if (!(c.voicing_threshold >= 0 && c.voicing_threshold < 1))
    fail("voicing_threshold must be in [0, 1), got " + num(c.voicing_threshold) + ".");
  if (!(c.octave_cost >= 0) || !(c.octave_jump_cost >= 0) || !(c.voiced_unvoiced_cost >= 0))
    fail("costs must be non-negative, got octave_cost " + num(c.octave_cost) + ", octave_jump_cost " +
         num(c.octave_jump_cost) + ", voiced_unvoiced_cost " + num(c.voiced_unvoiced_cost) + ".");
  if (!(c.reference_peak >= 0)) fail("reference_peak must be 0 (running peak) or positive, got " + num(c.reference_peak) + ".");
  if (!(c.max_undecided_s >= 10 * c.time_step_s))
    fail("max_undecided_s must be at least 10 time steps, got " + num(c.max_undecided_s) + " s with time_step_s " +
         num(c.time_step_s) + ".");
  if (c.threads < 1 || c.threads > 64) fail("threads must be between 1 and 64, got " + num(c.threads) + ".");

  impl_ = std::make_unique<Impl>();
  Impl& m = *impl_;
  m.fs = c.sample_rate_hz;
  m.step_samples = c.time_step_s * c.sample_rate_hz;
  m.first_sample = c.first_frame_s * c.sample_rate_hz;
  std::size_t nw = static_cast<std::size_t>(std::floor(3.0 / c.f0_min_hz * c.sample_rate_hz));
  nw -= nw % 2;
  m.nw = nw_ = nw;
  m.nlag = nw / 2;
  m.half_period = static_cast<std::int64_t>(std::floor(c.sample_rate_hz / c.f0_min_hz));
  m.min_lag = static_cast<std::int64_t>(std::floor(c.sample_rate_hz / c.f0_max_hz));
  m.max_lag = static_cast<std::int64_t>(std::ceil(c.sample_rate_hz / c.f0_min_hz)) + 1;
  m.max_voiced = c.max_candidates - 1;
  // The candidates read lags up to max_lag + 1 and their sinc interpolation depth lags beyond: the
  // lags after that are never used, so the FFT only has to be long enough for those (no wrap-around
  // for lags <= nfft - nw), and need not be a power of two. Same values as the full autocorrelation.
  m.nuse = std::min<std::size_t>(m.nlag, static_cast<std::size_t>(m.max_lag) + static_cast<std::size_t>(m.sinc_depth) + 2);
  m.nfft = detail::fast_fft_size(nw + m.nuse + 1);
  m.time_correction = 0.01 / c.time_step_s;
  m.log2_ceiling = std::log2(c.f0_max_hz);
  m.window.resize(nw);
  for (std::size_t j = 0; j < nw; ++j)
    m.window[j] = 0.5 - 0.5 * std::cos(2 * M_PI * static_cast<double>(j + 1) / static_cast<double>(nw + 1));
  m.windowf.assign(m.window.begin(), m.window.end());
  m.rw.resize(m.nlag + 1);
  for (std::size_t l = 0; l <= m.nlag; ++l) {
    double s = 0;
    for (std::size_t j = 0; j + l < nw; ++j) s += m.window[j] * m.window[j + l];
    m.rw[l] = s;
  }
  for (std::size_t l = m.nlag + 1; l-- > 0;) m.rw[l] /= m.rw[0];
  for (double v : m.rw) m.rwinv.push_back(1.0 / v);
  for (std::size_t l = 0; l < m.rwinv.size(); ++l) m.rwinv_signed.push_back(l % 2 ? -m.rwinv[l] : m.rwinv[l]);
  m.cfg = &cfg_;
  // With worker threads the ring holds a batch of up to about 512 frames (5 s at 0.01 s steps):
  // the threads hand over once per batch, and a batch is at most the frames one process() call
  // completes, so blocks of a few seconds work best; alone, a few blocks of 4096 samples.
  const std::size_t step_ceil = static_cast<std::size_t>(std::ceil(m.step_samples));
  m.ring.init(nw + step_ceil * (c.threads > 1 ? 512 : 1) + 4096);
  m.batch_size = m.ring.capacity() / std::max<std::size_t>(1, static_cast<std::size_t>(std::floor(m.step_samples))) + 2;
  for (auto& b : m.batch_buf) b.reset(new Impl::Record[m.batch_size]);
  m.batch = m.batch_buf[0].get();
  m.batch_peak.resize(m.batch_size);
  std::size_t max_pending = static_cast<std::size_t>(std::ceil(c.max_undecided_s / c.time_step_s)) + 2;
  m.pend_size = max_pending + 1;
  m.pend.reset(new Impl::Record[m.pend_size]);
  m.path.resize(max_pending + 1);
  for (int t = 0; t < c.threads; ++t) {
    auto w = std::make_unique<Impl::Work>();
    w->sinc.init(m.sinc_depth, m.nlag);
    w->flags.assign(static_cast<std::size_t>(m.max_lag) + 16, 0);
    w->frame_buf.assign(2 * nw, 0.f);
    {
      std::lock_guard<std::mutex> lock(fftw_planner_mutex());
      w->zin = fftwf_alloc_complex(m.nfft);
      w->zout = fftwf_alloc_complex(m.nfft);
      w->zspec = fftwf_alloc_complex(m.nfft);
      if (w->zin && w->zout && w->zspec) {
        w->zfwd = fftwf_plan_dft_1d(static_cast<int>(m.nfft), w->zin, w->zout, FFTW_FORWARD, FFTW_ESTIMATE | FFTW_PRESERVE_INPUT);
        std::memset(static_cast<void*>(w->zin), 0, m.nfft * sizeof(fftwf_complex));
        w->zinv = fftwf_plan_dft_1d(static_cast<int>(m.nfft), w->zspec, w->zout, FFTW_BACKWARD, FFTW_ESTIMATE);
      }
    }
    const bool planned = w->zfwd && w->zinv;
    m.work.push_back(std::move(w));
    if (!planned) throw std::runtime_error("PitchTracker: FFTW could not plan a transform of " + num(static_cast<double>(m.nfft)) + " points.");
  }
  reset();
  // the workers start last: everything they read is in place
  for (std::size_t t = 1; t < m.work.size(); ++t) {
    try {
      m.workers.emplace_back([&m, t] { m.worker_loop(t); });
    } catch (const std::system_error& e) {
      throw std::runtime_error(std::string("PitchTracker: cannot start a worker thread (") + e.what() + ").");
    }
  }
}

PitchTracker::~PitchTracker() = default;

void PitchTracker::reset() noexcept {
  Impl& m = *impl_;
  m.settle();  // let the workers finish the batch in flight; its frames are dropped
  m.settled = nullptr;
  m.settled_n = 0;
  m.ring.clear();
  // first frame whose window may already have started: frames with centres far before 0 still exist
  // (zeros); the first frame is k = 0
  m.next_frame = 0;
  m.peak_upto = 0;
  m.running_peak = 0;
  m.pend_head = m.pend_count = 0;
  m.frames_since_check = 0;
  m.have_prev = false;
  m.forced = 0;
}

std::size_t PitchTracker::forced_decisions() const noexcept { return impl_->forced; }

std::size_t PitchTracker::max_output(std::size_t block_samples) const noexcept {
  const Impl& m = *impl_;
  // undecided frames, the block's, a batch analysed since (in flight) and finish()'s last frames
  // (those whose window reaches past the end)
  return m.pend_size + static_cast<std::size_t>(static_cast<double>(block_samples + m.nw) / m.step_samples) + 4 + m.batch_size;
}

std::size_t PitchTracker::process(std::span<const float> block, std::span<PitchFrame> out) noexcept {
  Impl& m = *impl_;
  std::size_t written = 0;
  std::size_t pos = 0;
  while (pos < block.size()) {
    m.settle();  // the batch in flight reads the ring: finish its analysis first
    // keep every sample from the next frame's window start
    std::int64_t keep_from = std::max<std::int64_t>(0, m.window_start(m.next_frame));
    if (cfg_.reference_peak <= 0) keep_from = std::min(keep_from, m.peak_upto);
    std::int64_t room = static_cast<std::int64_t>(m.ring.capacity()) - (m.ring.total() - keep_from);
    std::size_t take = std::min<std::size_t>(block.size() - pos, static_cast<std::size_t>(std::max<std::int64_t>(room, 0)));
    m.ring.push(block.data() + pos, take);
    pos += take;
    // frames two by two once both windows are complete (finish() takes the last one)
    std::size_t n = 0;
    while (m.window_start(m.next_frame + static_cast<std::int64_t>(n) + 1) + static_cast<std::int64_t>(m.nw) <= m.ring.total()) n += 2;
    if (n > 0) m.publish(n);
    // the settled batch's path while the workers analyse the new one
    written += m.find_path(out.data() + written);
    // alone, analyse it now; with workers it stays in flight while the caller reads its next block
    if (m.workers.empty() && n > 0) {
      m.settle();
      written += m.find_path(out.data() + written);
    }
  }
  return written;
}

std::size_t PitchTracker::finish(std::span<PitchFrame> out) noexcept {
  Impl& m = *impl_;
  m.settle();
  std::size_t written = m.find_path(out.data());
  const double n = static_cast<double>(m.ring.total());
  std::size_t tail = 0;
  while (m.centre(m.next_frame + static_cast<std::int64_t>(tail)) < n) ++tail;
  if (tail > 0) {
    m.publish(tail);
    m.settle();
    written += m.find_path(out.data() + written);
  }
  if (m.pend_count > 0) {
    const Impl::Record& last = m.pend_at(m.pend_count - 1);
    int best = 0;
    for (int j = 1; j < last.n; ++j) if (m.delta[j] > m.delta[best]) best = j;
    written += m.emit(m.pend_count, best, out.data() + written);
  }
  m.have_prev = false;
  return written;
}

// ------------------------------------------------------------------------------------------------
// IntensityTracker

struct IntensityTracker::Impl {
  double fs = 0, step_samples = 0, first_sample = 0, half = 0;  // half window in samples
  double beta = 20.24, i0beta = 1;
  bool table_ok = false;        // frame centres share one sub-sample phase: weights precomputed
  std::vector<float> table;     // weights from the first sample of the window
  float table_sum = 0;
  double table_phase = 0;
  SampleRing ring;
  std::int64_t next_frame = 0;
  mutable std::vector<float> scratch;

  // Block moments (the fast path for frames whose whole window is inside the signal, when frame
  // centres share one phase and the step is a multiple of the block length B, 8, 16 or 32). For each
  // block of B samples, with t the distance to the block's middle: sums of t^k x^2 and of t^k x,
  // k = 0, 1, 2 (float sums: 8 lanes, then added up), one row per k and x^2 or x, so that a frame's
  // products over its blocks vectorise. Over each whole block inside a window the weights are replaced by
  // their least-squares parabola in t (the Kaiser window is smooth: errors below 0.005 dB, tested); the
  // partial blocks at both ends of the window use the exact weights. Each frame then costs 6 vector
  // products per block instead of 3 passes over its samples.
  static constexpr std::size_t kLanes = 8;
  typedef float V8 __attribute__((vector_size(32)));  // GCC / Clang vector extension: 8 floats
  [[gnu::always_inline]] static inline V8 load8(const float* p) noexcept {
    V8 v;
    std::memcpy(&v, p, sizeof v);
    return v;
  }
  // Sums of 8 lanes, all in the order ((v0 + v1) + (v2 + v3)) + ((v4 + v5) + (v6 + v7)): one vector's
  // (hsum), or six vectors' at once by a transposing tree of shuffles (hsum6: 9 additions instead of 42)
  [[gnu::always_inline]] static inline float hsum(V8 v) noexcept {
    return ((v[0] + v[1]) + (v[2] + v[3])) + ((v[4] + v[5]) + (v[6] + v[7]));
  }
  [[gnu::always_inline]] static inline V8 pair_add(V8 a, V8 b) noexcept {
    return __builtin_shufflevector(a, b, 0, 8, 2, 10, 4, 12, 6, 14) + __builtin_shufflevector(a, b, 1, 9, 3, 11, 5, 13, 7, 15);
  }
  [[gnu::always_inline]] static inline V8 quad_add(V8 a, V8 b) noexcept {
    return __builtin_shufflevector(a, b, 0, 1, 8, 9, 4, 5, 12, 13) + __builtin_shufflevector(a, b, 2, 3, 10, 11, 6, 7, 14, 15);
  }
  [[gnu::always_inline]] static inline V8 half_add(V8 a, V8 b) noexcept {
    return __builtin_shufflevector(a, b, 0, 1, 2, 3, 8, 9, 10, 11) + __builtin_shufflevector(a, b, 4, 5, 6, 7, 12, 13, 14, 15);
  }
  /// Lanes 0..5: the sums of a..f (lanes 6, 7: of e and f again).
  [[gnu::always_inline]] static inline V8 hsum6(V8 a, V8 b, V8 c, V8 d, V8 e, V8 f) noexcept {
    const V8 ef = pair_add(e, f);
    return half_add(quad_add(pair_add(a, b), pair_add(c, d)), quad_add(ef, ef));
  }
  bool fast = false;
  std::size_t B = 0, head = 0, nblk = 0;   // window = head samples, nblk whole blocks, the rest
  std::vector<float> fit0, fit1, fit2;     // per whole block of the window: the parabola's coefficients
  std::vector<float> mom;                  // 7 rows of mom_cap blocks (a ring, capacity a power of two)
  std::vector<float> fitsum;               // per whole block of the window: the parabola summed over t
  std::size_t mom_cap = 0, mom_mask = 0;
  std::int64_t blocks_done = 0;            // blocks [0, blocks_done) have their moments
  double table_sum_d = 0;
  std::vector<float> tpow1, tpow2;         // t and t^2 for the B samples of a block

  std::int64_t mod_b(std::int64_t i) const {
    const auto b = static_cast<std::int64_t>(B);
    return ((i % b) + b) % b;
  }

  /// Moments of every block completed by the samples pushed so far.
  DYAD_HOT_CLONES void update_moments() noexcept {
    const auto b = static_cast<std::int64_t>(B);
    const float* t1 = tpow1.data();
    const float* t2 = tpow2.data();
    float* x = scratch.data();
    const std::int64_t per_copy = static_cast<std::int64_t>(scratch.size()) / b;
    while ((blocks_done + 1) * b <= ring.total()) {
      const std::int64_t nb = std::min(ring.total() / b - blocks_done, per_copy);
      ring.copy(blocks_done * b, static_cast<std::size_t>(nb * b), x);
      for (std::int64_t j = 0; j < nb; ++j) {
        const float* v = x + j * b;
        V8 acc{};
        for (std::size_t h = 0; h < B; h += kLanes) acc += load8(v + h);
        const float ref = hsum(acc) / static_cast<float>(B);  // the block's mean: moments of x - ref
        V8 m0{}, m1{}, m2{}, n0{}, n1{}, n2{};
        for (std::size_t h = 0; h < B; h += kLanes) {
          const V8 u = load8(v + h) - ref, y = u * u, a1 = load8(t1 + h), a2 = load8(t2 + h);
          m0 += y;
          m1 += a1 * y;
          m2 += a2 * y;
          n0 += u;
          n1 += a1 * u;
          n2 += a2 * u;
        }
        const std::size_t slot = static_cast<std::size_t>(blocks_done + j) & mom_mask;
        const V8 sums = hsum6(m0, m1, m2, n0, n1, n2);
        for (std::size_t q = 0; q < 6; ++q) mom[q * mom_cap + slot] = sums[q];
        mom[6 * mom_cap + slot] = ref;
      }
      blocks_done += nb;
    }
  }

  /// The fast path's intensity of the frame whose window is samples [a, a + table.size()). Each
  /// block's moments are of d = x - r (r: the block's mean), so with the frame's mean m and e = r - m,
  /// sum f (x - m)^2 = sum f d^2 + 2 e sum f d + e^2 sum f: no cancellation whatever the DC offset.
  DYAD_HOT_CLONES double frame_fast(std::int64_t a, const IntensityConfig& cfg) const noexcept {
    const std::size_t n = table.size();
    float* x = scratch.data();
    const float* w = table.data();
    const std::size_t tail0 = head + nblk * B;
    const std::size_t ntail = n - tail0;
    float* xt = x + head;
    ring.copy(a, head, x);
    ring.copy(a + static_cast<std::int64_t>(tail0), ntail, xt);
    const std::size_t j0 = static_cast<std::size_t>((a + static_cast<std::int64_t>(head)) / static_cast<std::int64_t>(B));
    const float* mm = mom.data();
    const std::size_t mask = mom_mask;
    const auto fb = static_cast<float>(B);
    // the window's mean
    double mean = 0;
    if (cfg.subtract_mean) {
      double sx = 0;
      for (std::size_t i = 0; i < head + ntail; ++i) sx += x[i];
      for (std::size_t q = 0; q < nblk;) {
        const std::size_t slot = (j0 + q) & mask;
        const std::size_t run = std::min(nblk - q, mom_cap - slot);
        const float* N0 = mm + 3 * mom_cap + slot;
        const float* R = mm + 6 * mom_cap + slot;
        float acc = 0;
#pragma omp simd reduction(+ : acc)
        for (std::size_t i = 0; i < run; ++i) acc += N0[i] + fb * R[i];
        sx += acc;
        q += run;
      }
      mean = sx / static_cast<double>(n);
    }
    // partial blocks at both ends: exact weights
    double sum = 0;
    for (std::size_t i = 0; i < head; ++i) {
      const double v = x[i] - mean;
      sum += w[i] * v * v;
    }
    for (std::size_t i = 0; i < ntail; ++i) {
      const double v = xt[i] - mean;
      sum += w[tail0 + i] * v * v;
    }
    // whole blocks: the parabolas against the moments (the blocks' slots may wrap around the ring)
    const float* f0 = fit0.data();
    const float* f1 = fit1.data();
    const float* f2 = fit2.data();
    const float* fsum = fitsum.data();
    const auto meanf = static_cast<float>(mean);
    for (std::size_t q = 0; q < nblk;) {
      const std::size_t slot = (j0 + q) & mask;
      const std::size_t run = std::min(nblk - q, mom_cap - slot);
      const float* M0 = mm + slot;
      const float* M1 = M0 + mom_cap;
      const float* M2 = M1 + mom_cap;
      const float* N0 = M2 + mom_cap;
      const float* N1 = N0 + mom_cap;
      const float* N2 = N1 + mom_cap;
      const float* R = N2 + mom_cap;
      const float* c0 = f0 + q;
      const float* c1 = f1 + q;
      const float* c2 = f2 + q;
      const float* cs = fsum + q;
      float acc = 0;
#pragma omp simd reduction(+ : acc)
      for (std::size_t i = 0; i < run; ++i) {
        const float e = R[i] - meanf;
        const float dd = c0[i] * M0[i] + c1[i] * M1[i] + c2[i] * M2[i];
        const float d1 = c0[i] * N0[i] + c1[i] * N1[i] + c2[i] * N2[i];
        acc += dd + e * (2 * d1 + e * cs[i]);
      }
      sum += acc;
      q += run;
    }
    const double p = sum / table_sum_d;
    if (!(p > 4e-40)) return kIntensityFloorDb;
    return 10 * std::log10(p / 4e-10);
  }

  double centre(std::int64_t k) const { return first_sample + static_cast<double>(k) * step_samples; }
  std::int64_t first_index(double c) const { return static_cast<std::int64_t>(std::ceil(c - half)); }
  std::int64_t last_index(double c) const { return static_cast<std::int64_t>(std::floor(c + half)); }
  double weight(double d) const {
    double x = d / half;
    if (x * x >= 1) return 0;
    return bessel_i0(beta * std::sqrt(1 - x * x)) / i0beta;
  }

  /// Intensity of the frame centred at sample position c, using samples in [0, n_valid).
  DYAD_HOT_CLONES double frame(double c, const IntensityConfig& cfg) const {
    std::int64_t a = first_index(c), b = last_index(c);
    if (fast && a >= 0 && b < ring.total() && static_cast<std::size_t>(b - a + 1) == table.size() &&
        std::abs((c - std::floor(c)) - table_phase) < 1e-6 && static_cast<std::size_t>(mod_b(a + static_cast<std::int64_t>(head))) == 0 &&
        (a + static_cast<std::int64_t>(head)) / static_cast<std::int64_t>(B) + static_cast<std::int64_t>(nblk) <= blocks_done)
      return frame_fast(a, cfg);
    std::int64_t a0 = std::max<std::int64_t>(a, 0), b0 = std::min<std::int64_t>(b, ring.total() - 1);
    if (b0 < a0) return kIntensityFloorDb;
    const std::size_t n = static_cast<std::size_t>(b0 - a0 + 1);
    float* x = scratch.data();
    ring.copy(a0, n, x);
    float meanf = 0;
    if (cfg.subtract_mean) {
      float s = 0;
#pragma omp simd reduction(+ : s)
      for (std::size_t i = 0; i < n; ++i) s += x[i];
      meanf = s / static_cast<float>(n);
    }
    double sxw = 0, sw = 0;
    bool use_table = table_ok && std::abs((c - std::floor(c)) - table_phase) < 1e-6 &&
                     static_cast<std::size_t>(b - a + 1) == table.size();
    if (use_table) {
      const float* w = table.data() + (a0 - a);
      float acc = 0, wsum = 0;
      if (a0 == a && b0 == b) {
#pragma omp simd reduction(+ : acc)
        for (std::size_t i = 0; i < n; ++i) {
          float v = x[i] - meanf;
          acc += w[i] * v * v;
        }
        wsum = table_sum;
      } else {
#pragma omp simd reduction(+ : acc, wsum)
        for (std::size_t i = 0; i < n; ++i) {
          float v = x[i] - meanf;
          acc += w[i] * v * v;
          wsum += w[i];
        }
      }
      sxw = acc;
      sw = wsum;
    } else {
      for (std::size_t i = 0; i < n; ++i) {
        double w = weight(static_cast<double>(a0 + static_cast<std::int64_t>(i)) - c);
        double v = x[i] - meanf;
        sxw += w * v * v;
        sw += w;
      }
    }
    double p = sw > 0 ? sxw / sw : 0;
    if (!(p > 4e-40)) return kIntensityFloorDb;
    return 10 * std::log10(p / 4e-10);
  }
};

IntensityTracker::IntensityTracker(const IntensityConfig& c) : cfg_(c) {
  auto fail = [](const std::string& what) { throw std::invalid_argument("IntensityTracker: " + what); };
  if (!(c.sample_rate_hz > 0 && std::isfinite(c.sample_rate_hz)))
    fail("sample_rate_hz must be positive, got " + num(c.sample_rate_hz) + ".");
  if (!(c.time_step_s > 0 && std::isfinite(c.time_step_s)))
    fail("time_step_s must be positive, got " + num(c.time_step_s) + ".");
  if (!std::isfinite(c.first_frame_s)) fail("first_frame_s must be finite, got " + num(c.first_frame_s) + ".");
  if (!(c.f0_min_hz > 0 && 3.2 / c.f0_min_hz * c.sample_rate_hz >= 4))
    fail("f0_min_hz must be positive and give a window (6.4 / f0_min_hz) of at least 8 samples, got f0_min_hz " +
         num(c.f0_min_hz) + " at sample_rate_hz " + num(c.sample_rate_hz) + ".");
  impl_ = std::make_unique<Impl>();
  Impl& m = *impl_;
  m.fs = c.sample_rate_hz;
  m.step_samples = c.time_step_s * c.sample_rate_hz;
  m.first_sample = c.first_frame_s * c.sample_rate_hz;
  m.half = 3.2 / c.f0_min_hz * c.sample_rate_hz;
  m.i0beta = bessel_i0(m.beta);
  // precompute the weights when every frame centre has the same sub-sample phase
  if (std::abs(m.step_samples - std::round(m.step_samples)) < 1e-9) {
    double c0 = m.first_sample;
    m.table_phase = c0 - std::floor(c0);
    std::int64_t a = m.first_index(c0), b = m.last_index(c0);
    m.table.resize(static_cast<std::size_t>(b - a + 1));
    double sum = 0;
    for (std::int64_t i = a; i <= b; ++i) {
      m.table[static_cast<std::size_t>(i - a)] = static_cast<float>(m.weight(static_cast<double>(i) - c0));
      sum += m.table[static_cast<std::size_t>(i - a)];
    }
    m.table_sum = static_cast<float>(sum);
    m.table_ok = true;
  }
  m.ring.init(static_cast<std::size_t>(2 * m.half + m.step_samples) + 4096);
  m.scratch.assign(static_cast<std::size_t>(2 * m.half) + 4, 0.f);
  if (m.table_ok) {
    // the block length: 32, 16 or 8 samples dividing the step, so every frame's window starts at the
    // same place in its block (otherwise, e.g. a 441-sample step at 44.1 kHz, every frame is direct)
    const auto step = static_cast<std::int64_t>(std::llround(m.step_samples));
    // and short against the window (at most 1/80 of it: the parabola fits the weights to ~1e-5)
    const std::size_t n = m.table.size();
    for (std::int64_t b : {32, 16, 8})
      if (m.B == 0 && step % b == 0 && static_cast<std::size_t>(b) * 80 <= n) m.B = static_cast<std::size_t>(b);
    if (m.B > 0 && n >= 4 * m.B) {
      m.fast = true;
      const std::int64_t a0 = m.first_index(m.first_sample);
      m.head = static_cast<std::size_t>(m.mod_b(-a0));
      m.nblk = (n - m.head) / m.B;
      // least-squares parabola c0 + c1 t + c2 t^2 of each whole block's weights, t = i - (B - 1) / 2
      const double mid = 0.5 * static_cast<double>(m.B - 1);
      double s2 = 0, s4 = 0;
      for (std::size_t i = 0; i < m.B; ++i) {
        const double t = static_cast<double>(i) - mid;
        s2 += t * t;
        s4 += t * t * t * t;
      }
      const double s0 = static_cast<double>(m.B), det = s0 * s4 - s2 * s2;
      for (std::size_t q = 0; q < m.nblk; ++q) {
        double w0 = 0, w1 = 0, w2 = 0;
        for (std::size_t i = 0; i < m.B; ++i) {
          const double t = static_cast<double>(i) - mid, w = m.table[m.head + q * m.B + i];
          w0 += w;
          w1 += t * w;
          w2 += t * t * w;
        }
        m.fit0.push_back(static_cast<float>((s4 * w0 - s2 * w2) / det));
        m.fit1.push_back(static_cast<float>(w1 / s2));
        m.fit2.push_back(static_cast<float>((s0 * w2 - s2 * w0) / det));
        m.fitsum.push_back(m.fit0.back() * static_cast<float>(s0) + m.fit2.back() * static_cast<float>(s2));
      }
      for (float w : m.table) m.table_sum_d += w;
      for (std::size_t i = 0; i < m.B; ++i) {
        m.tpow1.push_back(static_cast<float>(static_cast<double>(i) - mid));
        m.tpow2.push_back(m.tpow1.back() * m.tpow1.back());
      }
      const std::size_t cap = next_pow2(m.ring.capacity() / m.B + 4);
      m.mom.assign(7 * cap, 0.f);
      m.mom_cap = cap;
      m.mom_mask = cap - 1;
    }
  }
  reset();
}

IntensityTracker::~IntensityTracker() = default;

void IntensityTracker::reset() noexcept {
  impl_->ring.clear();
  impl_->next_frame = 0;
  impl_->blocks_done = 0;
}

std::size_t IntensityTracker::max_output(std::size_t block_samples) const noexcept {
  return static_cast<std::size_t>(static_cast<double>(block_samples) / impl_->step_samples) +
         static_cast<std::size_t>(2 * impl_->half / impl_->step_samples) + 4;
}

std::size_t IntensityTracker::process(std::span<const float> block, std::span<double> out) noexcept {
  Impl& m = *impl_;
  std::size_t written = 0, pos = 0;
  while (pos < block.size()) {
    std::int64_t keep_from = std::max<std::int64_t>(0, m.first_index(m.centre(m.next_frame)));
    if (m.fast) keep_from = std::min(keep_from, m.blocks_done * static_cast<std::int64_t>(m.B));  // the block being filled
    std::int64_t room = static_cast<std::int64_t>(m.ring.capacity()) - (m.ring.total() - keep_from);
    std::size_t take = std::min<std::size_t>(block.size() - pos, static_cast<std::size_t>(std::max<std::int64_t>(room, 0)));
    m.ring.push(block.data() + pos, take);
    pos += take;
    if (m.fast) m.update_moments();
    while (m.last_index(m.centre(m.next_frame)) < m.ring.total()) {
      out[written++] = m.frame(m.centre(m.next_frame), cfg_);
      ++m.next_frame;
    }
  }
  return written;
}

std::size_t IntensityTracker::finish(std::span<double> out) noexcept {
  Impl& m = *impl_;
  std::size_t written = 0;
  const double n = static_cast<double>(m.ring.total());
  while (m.centre(m.next_frame) < n) {
    out[written++] = m.frame(m.centre(m.next_frame), cfg_);
    ++m.next_frame;
  }
  return written;
}

}  // namespace dyad::dsp
