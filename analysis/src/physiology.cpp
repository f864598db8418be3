#include "dyad/analysis/physiology.hpp"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cmath>
#include <exception>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <system_error>
#include <thread>

#include "dyad/dsp/chunked.hpp"
#include "dyad/dsp/filter.hpp"
#include "dyad/formats/stream.hpp"
#include "dyad/formats/error.hpp"
#include "dyad/formats/files.hpp"
#include "dyad/formats/text.hpp"
#include "dyad/version.hpp"

namespace dyad::analysis {

namespace {

using formats::format_number;
const double kNan = std::nan("");

std::string fmt(double v) { return std::isfinite(v) ? format_number(v) : "n/a"; }
/// Seconds (times, intervals) to the nanosecond: 0.58, not 0.5800000000000001.
std::string fmt_s(double v) { return std::isfinite(v) ? formats::format_seconds(v) : "n/a"; }
/// A measured value (amplitude, rate) to 9 significant digits: 11.71875, not 11.718750000000002.
std::string fmt_sig(double v) { return std::isfinite(v) ? format_number(formats::round_significant(v, 9)) : "n/a"; }
std::string fmt_int(long long v) { return std::to_string(v); }
nlohmann::json jnum(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }

using Intervals = std::vector<std::pair<double, double>>;

bool in_any(const Intervals& iv, double t) {
  for (const auto& [a, b] : iv)
    if (t >= a && t < b) return true;
  return false;
}

/// Index ranges [b, e) of samples that are contiguous (no jump over gap_factor / rate) and outside
/// the exclusion intervals.
std::vector<std::pair<std::size_t, std::size_t>> runs_of(const std::vector<double>& t, double rate, double gap_factor, const Intervals& excl) {
  std::vector<std::pair<std::size_t, std::size_t>> runs;
  const double max_dt = rate > 0 ? gap_factor / rate : 1e300;
  std::size_t b = 0;
  bool open = false;
  for (std::size_t i = 0; i < t.size(); ++i) {
    const bool ex = in_any(excl, t[i]);
    if (open && (ex || t[i] - t[i - 1] > max_dt)) {
      runs.emplace_back(b, i);
      open = false;
    }
    if (!ex && !open) {
      b = i;
      open = true;
    }
  }
  if (open) runs.emplace_back(b, t.size());
  return runs;
}

/// Points (t, v) on a uniform grid: linear between neighbours no more than max_gap apart, else NaN.
std::vector<double> to_grid(const std::vector<double>& t, const std::vector<double>& v, double fs, std::size_t n, double max_gap) {
  std::vector<double> g(n, kNan);
  std::size_t j = 0;
  for (std::size_t i = 0; i < n && !t.empty(); ++i) {
    const double q = static_cast<double>(i) / fs;
    while (j + 1 < t.size() && t[j + 1] <= q) ++j;
    if (q < t[j]) continue;
    if (q == t[j]) {
      g[i] = v[j];
      continue;
    }
    if (j + 1 >= t.size()) continue;
    if (t[j + 1] - t[j] > max_gap) continue;
    g[i] = v[j] + (v[j + 1] - v[j]) * (q - t[j]) / (t[j + 1] - t[j]);
  }
  return g;
}

/// Zero-phase low-pass of each stretch of finite values (NaN gaps stay gaps).
void lowpass_finite_stretches(std::vector<double>& g, double cutoff_hz, double fs) {
  const dsp::Biquad lp[] = {dsp::butter_lowpass(cutoff_hz, fs)};
  for (std::size_t i = 0; i < g.size();) {
    if (!std::isfinite(g[i])) {
      ++i;
      continue;
    }
    std::size_t e = i;
    while (e < g.size() && std::isfinite(g[e])) ++e;
    dsp::filtfilt(lp, std::span<double>(g.data() + i, e - i));
    i = e;
  }
}

/// Mean of the finite grid values with times in [a, b).
double grid_mean(const std::vector<double>& g, double fs, double a, double b) {
  if (g.empty() || !(b > a)) return kNan;
  const auto lo = static_cast<long>(std::ceil(std::max(0.0, a) * fs));
  const auto hi = std::min(static_cast<long>(g.size()), static_cast<long>(std::ceil(b * fs)));
  double s = 0;
  long k = 0;
  for (long i = lo; i < hi; ++i)
    if (std::isfinite(g[static_cast<std::size_t>(i)])) {
      s += g[static_cast<std::size_t>(i)];
      ++k;
    }
  return k ? s / static_cast<double>(k) : kNan;
}

struct BeatRow {
  double time_s, rr_s;
  bool corrected;
};

struct RoleData {
  std::string hr_stream, hr_kind, eda_stream, resp_stream;
  std::vector<BeatRow> beats;            // of hr_stream
  std::vector<dsp::Scr> scrs;            // of eda_stream, session times
  std::vector<double> tonic_t, tonic_v;  // of eda_stream
  std::vector<double> eda_t, eda_v;      // smoothed EDA
  std::vector<dsp::Breath> breaths;      // of resp_stream
  std::vector<double> hr_grid, eda_grid;
};

struct BpRow {
  dsp::BpReading r;
  std::string role, source;
};

std::string lower(std::string s) {
  for (auto& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return s;
}

std::vector<PhysioColumn> beats_columns() {
  return {{"time_s", "time of the heart beat (R peak, pulse peak, or the strap's beat)", "s", "session seconds"},
          {"rr_s", "interval from the previous beat", "s", "n/a for the first beat of each contiguous stretch of the stream"},
          {"hr_bpm", "instantaneous heart rate", "1/min", "60 / rr_s"},
          {"corrected", "1 if the beat was inserted or moved, or its interval changed by a removal, by beat correction", "",
           "Lipponen & Tarvainen 2019 (missed, extra, ectopic, long/short beats)"}};
}

std::vector<PhysioColumn> scr_columns() {
  return {{"onset_s", "onset of the skin-conductance response", "s",
           "going back from the steepest point of the rise, where the slope of the low-passed EDA falls to onset_slope_fraction of its maximum"},
          {"peak_s", "peak of the response", "s", "local maximum of the low-passed EDA (hysteresis: half the run's minimum amplitude)"},
          {"amplitude_uS", "peak minus onset level", "uS",
           ">= the run's minimum amplitude: max(min_amplitude_us (default 0.01), noise_amplitude_factor (default 6) x the robust noise SD "
           "left in the low-passed EDA); per run in summary.json streams[].scr_min_amplitude_uS"},
          {"rise_time_s", "peak_s - onset_s", "s", ""}};
}

}  // namespace

void validate(const PhysioConfig& c) {
  auto req = [](bool ok, const std::string& m) {
    if (!ok) throw std::invalid_argument(m);
  };
  req(c.window_s > 0 && c.step_s > 0, "PhysioConfig: window_s and step_s must be above 0 (got " + format_number(c.window_s) + " and " +
                                           format_number(c.step_s) + ").");
  req(c.gap_factor >= 1, "PhysioConfig: gap_factor must be at least 1 (got " + format_number(c.gap_factor) + ").");
  req(c.max_beat_gap_s > 0, "PhysioConfig: max_beat_gap_s must be above 0 (got " + format_number(c.max_beat_gap_s) + ").");
  req(c.reactivity_before_s > 0 && c.reactivity_after_s > 0, "PhysioConfig: reactivity_before_s and reactivity_after_s must be above 0 (got " +
                                                                 format_number(c.reactivity_before_s) + " and " +
                                                                 format_number(c.reactivity_after_s) + ").");
  req(c.sync_hr_lowpass_hz >= 0 && c.sync_hr_lowpass_hz < c.synchrony.sample_rate_hz / 2,
      "PhysioConfig: sync_hr_lowpass_hz must be 0 (off) or below half synchrony.sample_rate_hz (got " + format_number(c.sync_hr_lowpass_hz) +
          " Hz at " + format_number(c.synchrony.sample_rate_hz) + " Hz).");
  dsp::HrvAnalyzer h(c.hrv);
  dsp::BeatCorrector b(c.correction);
  dsp::BpFlagger f(c.bp);
  dsp::WindowedCrossCorrelation w(c.synchrony);
  dsp::ChunkedPeakDetector chunked({}, 1, c.chunk, 1, 0);
}

nlohmann::json physio_codebook(const PhysioTable& t) {
  nlohmann::json cols = nlohmann::json::array();
  for (const auto& c : t.columns) cols.push_back({{"name", c.name}, {"meaning", c.meaning}, {"unit", c.unit}, {"definition", c.definition}});
  return {{"file", t.name + ".tsv"}, {"description", t.description}, {"missing_value", "n/a"}, {"columns", cols}};
}

PhysioOutput analyze_physiology(const formats::Session& s, const PhysioConfig& c, std::span<const dsp::Segment> segments,
                                std::span<const PhysioTurn> turns) {
  validate(c);
  PhysioOutput out;
  const Intervals excl = formats::exclusion_intervals(s.markers);
  const double duration = s.duration_s();
  const double gfs = c.synchrony.sample_rate_hz;
  const auto ng = static_cast<std::size_t>(std::max(0.0, std::floor(duration * gfs))) + 1;
  std::map<std::string, RoleData> roles;
  std::vector<BpRow> bp;
  const dsp::BpFlagger flagger(c.bp);
  nlohmann::json streams = nlohmann::json::array();

  // One stream at a time per thread; a stream that cannot be analysed (e.g. a rate too low for
  // its kind) is reported and skipped, so it never costs the session its other features. The
  // stream is read in blocks and never held whole: ECG and PPG runs go through chunked peak
  // detection (c.chunk), EDA and respiration are block-averaged to their internal rate as they
  // are read (exactly what their analyzers do first), so memory does not grow with the
  // session's length at the sample rate (only per-beat, per-breath and internal-rate outputs).
  struct StreamResult {
    bool used = false;        // reached the role's analysis (the role exists)
    bool has_info = false;    // listed in summary.json streams
    nlohmann::json info;
    std::vector<PhysioTable> tables;
    std::vector<std::string> warnings;
    std::vector<BpRow> bp;
    std::string role, kind, name;
    std::vector<BeatRow> beats;
    std::vector<dsp::Scr> scrs;
    std::vector<double> tonic_t, tonic_v, eda_v;
    std::vector<dsp::Breath> breaths;
    std::exception_ptr error;
  };
  auto process_stream = [&](const formats::StreamSidecar& sc, StreamResult& res) {
    const std::string kind = sc.kind;
    if (kind != "ecg" && kind != "ppg" && kind != "hr" && kind != "eda" && kind != "resp" && kind != "bp") return;
    const double rate = sc.nominal_rate_hz > 0 ? sc.nominal_rate_hz : sc.measured_rate_hz;
    const std::string role = sc.role.empty() ? "n/a" : sc.role;
    res.role = role;
    res.kind = kind;
    res.name = sc.name;
    nlohmann::json info = {{"stream", sc.name}, {"kind", kind}, {"role", role}, {"rate_hz", rate}};
    const bool sampled = kind == "ecg" || kind == "ppg" || kind == "eda" || kind == "resp";
    // The analyzers, built (and their parameters checked) before reading. A stream they refuse is
    // still read to the end, so a malformed file is an error as before, and then reported.
    std::optional<std::invalid_argument> refused;
    std::function<std::vector<std::size_t>(std::span<const double>)> detect;
    std::size_t align = 1, refractory = 0, factor = 1;
    std::optional<dsp::EdaAnalyzer> eda_an;
    std::optional<dsp::RespirationAnalyzer> resp_an;
    if (sampled && rate > 0) {
      try {
        if (kind == "ecg") {
          auto ec = c.ecg;
          ec.sample_rate_hz = rate;
          ec.detection_rate_hz = std::min(ec.detection_rate_hz, std::max(100.0, rate));
          const dsp::EcgPeakDetector det(ec);
          align = det.decimation();
          refractory = static_cast<std::size_t>(ec.refractory_s * rate);
          detect = [det](std::span<const double> x) { return det.detect(x); };
        } else if (kind == "ppg") {
          auto pc = c.ppg;
          pc.sample_rate_hz = rate;
          const dsp::PpgPeakDetector det(pc);
          refractory = static_cast<std::size_t>(pc.refractory_s * rate);
          detect = [det](std::span<const double> x) { return det.detect(x); };
        } else if (kind == "eda") {
          auto ecfg = c.eda;
          ecfg.sample_rate_hz = rate;
          ecfg.internal_rate_hz = std::min(ecfg.internal_rate_hz, rate);
          eda_an.emplace(ecfg);
          factor = eda_an->decimation();
        } else {
          auto rc = c.resp;
          rc.sample_rate_hz = rate;
          rc.internal_rate_hz = std::min(rc.internal_rate_hz, rate);
          resp_an.emplace(rc);
          factor = resp_an->decimation();
        }
      } catch (const std::invalid_argument& e) {
        refused.emplace(e);
      }
    }

    // Per run of a sampled stream: the chunked detector, or the block averages.
    struct Run {
      double t0 = 0;
      std::optional<dsp::ChunkedPeakDetector> peaks;
      std::vector<double> avg;  // block means of `factor` samples
      double sum = 0;
      std::size_t in_sum = 0;
    };
    std::vector<Run> runs;  // finished ones have their detector finished
    auto close_run = [&] {
      if (runs.empty()) return;
      auto& r = runs.back();
      if (r.peaks) r.peaks->finish();
      if (r.in_sum) r.avg.push_back(r.sum / static_cast<double>(r.in_sum));
      r.in_sum = 0;
    };
    // Held whole: hr and bp streams (a value per beat or reading).
    formats::StreamData data;
    const std::size_t keep = std::min<std::size_t>(sc.columns.size(), kind == "bp" ? 3 : 1);
    data.values.assign(keep, {});
    std::size_t rows = 0;
    const double max_dt = kind == "hr" ? 1e300 : rate > 0 ? c.gap_factor / rate : 1e300;
    bool open = false;
    double prev_t = 0;
    std::vector<std::size_t> cols(keep);
    for (std::size_t k = 0; k < keep; ++k) cols[k] = k;
    std::vector<double> bt, bx;  // a block's part in one run
    formats::read_stream_blocks(s.dir, sc, cols, [&](const formats::StreamBlock& blk) {
      rows += blk.size();
      if (!sampled) {
        data.time_s.insert(data.time_s.end(), blk.time_s.begin(), blk.time_s.end());
        for (std::size_t k = 0; k < keep; ++k) data.values[k].insert(data.values[k].end(), blk.values[k].begin(), blk.values[k].end());
        return;
      }
      if (!(sampled && rate > 0)) return;  // checked, not kept
      const auto& tv = blk.time_s;
      const auto& xv = blk.values[0];
      auto flush_part = [&] {
        if (!bt.empty() && runs.back().peaks) runs.back().peaks->push(bt, bx);
        bt.clear();
        bx.clear();
      };
      for (std::size_t i = 0; i < tv.size(); ++i) {
        // The runs: contiguous (no jump over gap_factor / rate) and outside the exclusions.
        const double t = tv[i];
        const bool ex = in_any(excl, t);
        if (open && (ex || t - prev_t > max_dt)) {
          flush_part();
          close_run();
          open = false;
        }
        if (!ex && !open) {
          runs.emplace_back();
          runs.back().t0 = t;
          if (detect) runs.back().peaks.emplace(detect, rate, c.chunk, align, refractory);
          open = true;
        }
        prev_t = t;
        if (!open || refused) continue;
        if (detect) {
          bt.push_back(t);
          bx.push_back(xv[i]);
        } else {
          auto& r = runs.back();
          r.sum += xv[i];
          if (++r.in_sum == factor) {
            r.avg.push_back(r.sum / static_cast<double>(factor));
            r.sum = 0;
            r.in_sum = 0;
          }
        }
      }
      if (open) flush_part();
    });
    if (open) close_run();
    if (rows == 0 || keep == 0) return;
    if (kind == "bp") {
      const auto& v = data.values[0];
      for (std::size_t i = 0; i < data.size(); ++i) {
        if (in_any(excl, data.time_s[i])) continue;
        const double sys = v[i], dia = data.values.size() > 1 ? data.values[1][i] : kNan;
        const double mean = data.values.size() > 2 ? data.values[2][i] : kNan;
        if (!std::isfinite(sys) || !std::isfinite(dia)) continue;
        res.bp.push_back({flagger.make(data.time_s[i], sys, dia, mean), role, sc.name});
      }
      res.info = info;
      res.has_info = true;
      return;
    }
    if (sampled && !(rate > 0)) {
      res.warnings.push_back("stream " + sc.name + ": no sample rate in its sidecar; skipped");
      return;
    }
    if (refused && !runs.empty()) throw *refused;  // (as before: refused when the first run is analysed)
    res.used = true;
    if (kind == "hr") {
      const auto hr_runs = runs_of(data.time_s, 0, c.gap_factor, excl);
      info["runs"] = hr_runs.size();
      // Beat-to-beat strap data taken as given: a column named rr* holds intervals (ms when its
      // unit says so or values exceed 3), otherwise the value is the rate in bpm.
      const auto& v = data.values[0];
      const bool is_rr = !sc.columns.empty() && lower(sc.columns[0]).rfind("rr", 0) == 0;
      const bool ms = !sc.units.empty() && lower(sc.units[0]) == "ms";
      for (const auto& [b, e] : hr_runs)
        for (std::size_t i = b; i < e; ++i) {
          double rr = is_rr ? v[i] : 60.0 / v[i];
          if (is_rr && (ms || v[i] > 3)) rr = v[i] / 1000;
          if (!(rr > 0) || !std::isfinite(rr)) continue;
          res.beats.push_back({data.time_s[i], i == b ? kNan : rr, false});
        }
    } else {
      info["runs"] = runs.size();
    }
    if (kind == "ecg" || kind == "ppg" || kind == "hr") {
      auto& rows_out = res.beats;
      if (kind != "hr")
        for (const auto& r : runs) {
          const auto& times = r.peaks->peak_times();
          std::vector<dsp::Beat> beats;
          if (c.correct_beats) beats = dsp::BeatCorrector(c.correction).correct(times);
          else
            for (double t : times) beats.push_back({t, false});
          for (std::size_t k = 0; k < beats.size(); ++k)
            rows_out.push_back({beats[k].time_s, k == 0 ? kNan : beats[k].time_s - beats[k - 1].time_s, beats[k].corrected});
        }
      long corrected = 0;
      for (const auto& r : rows_out) corrected += r.corrected;
      info["beats"] = rows_out.size();
      info["corrected_beats"] = corrected;
      PhysioTable t{"beats_" + sc.name, "Heart beats of stream " + sc.name + " (" + kind + ", role " + role + ")", beats_columns(), {}};
      for (const auto& r : rows_out)
        t.rows.push_back({fmt_s(r.time_s), fmt_s(r.rr_s), fmt(std::isfinite(r.rr_s) ? 60 / formats::round_seconds(r.rr_s) : kNan), r.corrected ? "1" : "0"});
      res.tables.push_back(std::move(t));
    } else if (kind == "eda") {
      nlohmann::json noise = nlohmann::json::array(), min_amp = nlohmann::json::array();
      for (auto& run : runs) {
        const auto r = eda_an->compute_decimated(std::move(run.avg));
        noise.push_back(jnum(r.smoothed_noise_sd_us));
        min_amp.push_back(jnum(r.min_amplitude_us));
        const double t0 = run.t0;
        for (auto x : r.scrs) {
          x.onset_s += t0;
          x.peak_s += t0;
          res.scrs.push_back(x);
        }
        for (std::size_t i = 0; i < r.time_s.size(); ++i) {
          res.tonic_t.push_back(t0 + r.time_s[i]);
          res.tonic_v.push_back(r.tonic_us[i]);
          res.eda_v.push_back(r.smoothed_us[i]);
        }
      }
      info["scrs"] = res.scrs.size();
      info["eda_noise_sd_uS"] = noise;         // per run: the noise SD left in the low-passed EDA
      info["scr_min_amplitude_uS"] = min_amp;  // per run: the minimum SCR amplitude used
      PhysioTable t{"scr_" + sc.name, "Skin-conductance responses of stream " + sc.name + " (role " + role + ")", scr_columns(), {}};
      for (const auto& x : res.scrs)
        t.rows.push_back({fmt_s(x.onset_s), fmt_s(x.peak_s), fmt_sig(x.amplitude_us), fmt_s(formats::round_seconds(x.peak_s) - formats::round_seconds(x.onset_s))});
      res.tables.push_back(std::move(t));
    } else if (kind == "resp") {
      auto& br = res.breaths;
      for (auto& run : runs) {
        const auto r = resp_an->compute_decimated(std::move(run.avg));
        for (auto x : r.breaths) {
          x.trough_s += run.t0;
          x.peak_s += run.t0;
          br.push_back(x);
        }
      }
      info["breaths"] = br.size();
      PhysioTable t{"breaths_" + sc.name, "Breaths of stream " + sc.name + " (role " + role + ")",
                    {{"trough_s", "start of inhalation (trough of the band-passed belt signal)", "s", ""},
                     {"peak_s", "end of inhalation (peak)", "s", ""},
                     {"amplitude", "peak minus trough of the band-passed signal", sc.units.empty() ? "" : sc.units[0], ""},
                     {"rate_bpm", "60 / interval from the previous breath's peak", "1/min", "n/a for the first breath"}},
                    {}};
      for (std::size_t i = 0; i < br.size(); ++i)
        t.rows.push_back({fmt_s(br[i].trough_s), fmt_s(br[i].peak_s), fmt_sig(br[i].amplitude),
                          fmt_sig(i ? 60 / (formats::round_seconds(br[i].peak_s) - formats::round_seconds(br[i - 1].peak_s)) : kNan)});
      res.tables.push_back(std::move(t));
    }
    res.info = info;
    res.has_info = true;
  };
  // Streams side by side (each thread takes the next stream), then merged in the session's order.
  std::vector<StreamResult> results(s.streams.size());
  {
    std::atomic<std::size_t> next{0};
    auto worker = [&] {
      for (std::size_t k; (k = next.fetch_add(1)) < results.size();) {
        try {
          process_stream(s.streams[k].sidecar, results[k]);
        } catch (...) {
          results[k].error = std::current_exception();
        }
      }
    };
    unsigned jobs = c.threads ? c.threads : std::max(1u, std::thread::hardware_concurrency());
    jobs = static_cast<unsigned>(std::min<std::size_t>(jobs, results.size()));
    std::vector<std::thread> th;
    try {
      for (unsigned j = 1; j < jobs; ++j) th.emplace_back(worker);
    } catch (const std::system_error&) {  // no thread to be had: the rest on this one
    }
    worker();
    for (auto& t : th) t.join();
  }
  for (std::size_t k = 0; k < results.size(); ++k) {
    auto& r = results[k];
    const auto& sc = s.streams[k].sidecar;
    if (r.error) {
      try {
        std::rethrow_exception(r.error);
      } catch (const std::invalid_argument& e) {
        out.warnings.push_back("streams/" + sc.name + ".tsv: not analysed (" + sc.kind + "): " + e.what());
        continue;
      }
    }
    for (auto& w : r.warnings) out.warnings.push_back(std::move(w));
    for (auto& b : r.bp) bp.push_back(std::move(b));
    for (auto& t : r.tables) out.tables.push_back(std::move(t));
    if (r.has_info) streams.push_back(std::move(r.info));
    if (!r.used) continue;
    auto& rd = roles[r.role];
    if (r.kind == "ecg" || r.kind == "ppg" || r.kind == "hr") {
      // The role's heart rate comes from its first ECG, else hr, else PPG stream.
      auto rank = [](const std::string& kd) { return kd == "ecg" ? 0 : kd == "hr" ? 1 : 2; };
      if (rd.hr_stream.empty() || rank(r.kind) < rank(rd.hr_kind)) {
        rd.hr_stream = r.name;
        rd.hr_kind = r.kind;
        rd.beats = std::move(r.beats);
      }
    } else if (r.kind == "eda") {
      if (rd.eda_stream.empty()) {
        rd.eda_stream = r.name;
        rd.scrs = std::move(r.scrs);
        rd.eda_t = r.tonic_t;
        rd.tonic_t = std::move(r.tonic_t);
        rd.tonic_v = std::move(r.tonic_v);
        rd.eda_v = std::move(r.eda_v);
      }
    } else if (r.kind == "resp") {
      if (rd.resp_stream.empty()) {
        rd.resp_stream = r.name;
        rd.breaths = std::move(r.breaths);
      }
    }
  }
  // Clinical entries: markers labelled bp with "120/80".
  for (const auto& m : s.markers) {
    if (lower(m.label) != "bp" || in_any(excl, m.onset_s)) continue;
    auto p = dsp::parse_bp_text(m.value);
    if (!p) {
      out.warnings.push_back("markers.tsv: a bp marker at " + format_number(m.onset_s) + " s has no reading like 120/80: '" + m.value + "'");
      continue;
    }
    bp.push_back({flagger.make(m.onset_s, p->systolic_mmhg, p->diastolic_mmhg, p->mean_mmhg), "n/a", "marker"});
  }
  std::sort(bp.begin(), bp.end(), [](const BpRow& a, const BpRow& b) { return a.r.time_s < b.r.time_s; });
  if (!bp.empty()) {
    PhysioTable t{"bp_events", "Blood-pressure readings (bp streams and clinical-entry markers labelled bp)",
                  {{"time_s", "time of the reading", "s", ""},
                   {"role", "whose reading (n/a for a marker)", "", ""},
                   {"source", "stream name, or marker", "", ""},
                   {"systolic_mmHg", "systolic pressure", "mmHg", ""},
                   {"diastolic_mmHg", "diastolic pressure", "mmHg", ""},
                   {"mean_mmHg", "mean arterial pressure", "mmHg", "as given, else diastolic + (systolic - diastolic) / 3"},
                   {"flagged", "1 if systolic >= systolic_high_mmhg or diastolic >= diastolic_high_mmhg", "", ""}},
                  {}};
    for (const auto& b : bp)
      t.rows.push_back({fmt(b.r.time_s), b.role, b.source, fmt(b.r.systolic_mmhg), fmt(b.r.diastolic_mmhg), fmt(b.r.mean_mmhg),
                        b.r.flagged ? "1" : "0"});
    out.tables.push_back(std::move(t));
  }

  // Uniform HR and EDA series (for synchrony, states and turns); missing inside exclusions.
  for (auto& [role, rd] : roles) {
    std::vector<double> t, v;
    for (const auto& b : rd.beats)
      if (std::isfinite(b.rr_s) && b.rr_s >= c.hrv.min_rr_s && b.rr_s <= c.hrv.max_rr_s) {
        const double tm = c.hr_at_interval_midpoint ? b.time_s - b.rr_s / 2 : b.time_s;
        if (!t.empty() && tm <= t.back()) continue;  // keep the series increasing
        t.push_back(tm);
        v.push_back(60 / b.rr_s);
      }
    rd.hr_grid = rd.beats.empty() ? std::vector<double>{} : to_grid(t, v, gfs, ng, c.max_beat_gap_s);
    rd.eda_grid = rd.eda_t.empty() ? std::vector<double>{} : to_grid(rd.eda_t, rd.eda_v, gfs, ng, 1.0);
    for (auto* g : {&rd.hr_grid, &rd.eda_grid})
      for (std::size_t i = 0; i < g->size(); ++i)
        if (in_any(excl, static_cast<double>(i) / gfs)) (*g)[i] = kNan;
  }

  // physio_windows.tsv
  {
    PhysioTable t{"physio_windows", "Physiology per partner in sliding windows (window_s, step_s)",
                  {{"window", "window number, from 1", "", ""},
                   {"start_s", "window start", "s", ""},
                   {"end_s", "window end", "s", ""},
                   {"role", "partner", "", ""},
                   {"hr_bpm", "mean heart rate", "1/min", "60000 / mean_rr_ms"},
                   {"n_rr", "RR intervals used", "count", "intervals ending in the window, within [min_rr_s, max_rr_s]"},
                   {"mean_rr_ms", "mean RR interval", "ms", ""},
                   {"sdnn_ms", "SD of RR intervals", "ms", "Task Force 1996; n - 1"},
                   {"rmssd_ms", "root mean square of successive differences", "ms", "Task Force 1996"},
                   {"pnn50_pct", "successive differences over 50 ms", "%", "Task Force 1996"},
                   {"lf_ms2", "low-frequency power, 0.04-0.15 Hz", "ms^2", "Lomb-Scargle of the detrended RR series; needs >= 60 s and 10 intervals"},
                   {"hf_ms2", "high-frequency power, 0.15-0.4 Hz", "ms^2", "as lf_ms2"},
                   {"lf_hf", "lf_ms2 / hf_ms2", "", ""},
                   {"eda_tonic_uS", "mean tonic skin conductance", "uS", "EDA low-passed at tonic_cutoff_hz"},
                   {"scr_count", "SCR onsets in the window", "count", ""},
                   {"scr_per_min", "SCR rate", "1/min", "scr_count / covered minutes"},
                   {"resp_rate_bpm", "breathing rate", "1/min", "60 / mean peak-to-peak interval"},
                   {"resp_interval_sd_s", "SD of breath-to-breath intervals (breathing variability)", "s", ""},
                   {"bp_readings", "blood-pressure readings of this partner in the window", "count", ""},
                   {"bp_flagged", "of those, flagged above the thresholds", "count", ""}},
                  {}};
    const bool any = !roles.empty();
    std::vector<std::pair<double, double>> wins;
    for (double a = 0; !roles.empty() && a + c.window_s <= duration + 1e-9; a += c.step_s) wins.emplace_back(a, a + c.window_s);
    if (wins.empty() && duration > 0 && !roles.empty()) wins.emplace_back(0, duration);
    dsp::HrvAnalyzer hrv(c.hrv);
    for (std::size_t w = 0; w < wins.size(); ++w) {
      const auto [a, b] = wins[w];
      for (const auto& [role, rd] : roles) {
        std::vector<double> bt;
        for (const auto& x : rd.beats)
          if (x.time_s >= a && x.time_s < b) bt.push_back(x.time_s);
        const auto h = rd.beats.empty() ? dsp::HrvResult{0, kNan, kNan, kNan, kNan, kNan, kNan, kNan, kNan, kNan, kNan} : hrv.compute(bt);
        double tonic = kNan;
        long scr = 0;
        std::string scr_s = "n/a", rate_s = "n/a";
        if (!rd.eda_stream.empty()) {
          double sum = 0;
          long k = 0;
          for (std::size_t i = 0; i < rd.tonic_t.size(); ++i)
            if (rd.tonic_t[i] >= a && rd.tonic_t[i] < b) {
              sum += rd.tonic_v[i];
              ++k;
            }
          tonic = k ? sum / static_cast<double>(k) : kNan;
          for (const auto& x : rd.scrs) scr += x.onset_s >= a && x.onset_s < b;
          scr_s = fmt_int(scr);
          double covered = 0;  // seconds of EDA in the window, from the grid
          for (auto i = static_cast<long>(std::ceil(a * gfs)); i < static_cast<long>(std::ceil(b * gfs)) && i < static_cast<long>(rd.eda_grid.size()); ++i)
            covered += std::isfinite(rd.eda_grid[static_cast<std::size_t>(i)]) ? 1 / gfs : 0;
          rate_s = covered > 0 ? fmt(static_cast<double>(scr) / covered * 60) : "n/a";
        }
        const auto resp = rd.resp_stream.empty() ? dsp::RespResult{{}, kNan, kNan, kNan, kNan}
                                                 : dsp::RespirationAnalyzer::summarise(rd.breaths, a, b);
        long nbp = 0, nflag = 0;
        for (const auto& x : bp)
          if (x.role == role && x.r.time_s >= a && x.r.time_s < b) {
            ++nbp;
            nflag += x.r.flagged;
          }
        t.rows.push_back({fmt_int(static_cast<long long>(w + 1)), fmt(a), fmt(b), role, fmt(h.mean_hr_bpm), fmt_int(h.n_rr), fmt(h.mean_rr_ms),
                          fmt(h.sdnn_ms), fmt(h.rmssd_ms), fmt(h.pnn50_pct), fmt(h.lf_ms2), fmt(h.hf_ms2), fmt(h.lf_hf), fmt(tonic), scr_s,
                          rate_s, fmt(resp.rate_bpm), fmt(resp.interval_sd_s), fmt_int(nbp), fmt_int(nflag)});
      }
    }
    if (any) out.tables.push_back(std::move(t));
  }

  // synchrony.tsv
  nlohmann::json sync_summary = nlohmann::json::object();
  {
    PhysioTable t{"synchrony", "Windowed lagged cross-correlation of partners A and B (Boker et al. 2002); positive lag: B follows A",
                  {{"signal", "hr (heart rate) or eda (low-passed skin conductance)", "",
                    "both resampled to synchrony.sample_rate_hz; hr with 60 / RR at the middle of each interval (hr_at_interval_midpoint), "
                    "low-passed at sync_hr_lowpass_hz (default 0.15 Hz: without each partner's own respiratory sinus arrhythmia)"},
                   {"start_s", "window start (A's window)", "s", ""},
                   {"end_s", "window end", "s", ""},
                   {"peak_r", "the Pearson r with the largest |r| over lags -max_lag_s..+max_lag_s", "",
                    "each window of A and B linearly detrended first (synchrony.detrend)"},
                   {"lag_s", "lag of peak_r; positive: B follows A", "s",
                    "r(A(t), B(t + lag)); a multiple of 1 / synchrony.sample_rate_hz unless synchrony.refine_lag (parabola through |r| at the best lag and its neighbours)"},
                   {"surrogate_p95", "chance level: 95th percentile of max-over-lags |r| between mismatched windows of A and B", "",
                    "windows at least window_s + 2 max_lag_s apart, detrended and searched over lags as peak_r; surrogate_pairs pairs, seeded"},
                   {"above_surrogate", "1 if |peak_r| > surrogate_p95", "", ""}},
                  {}};
    const bool both = roles.count("A") && roles.count("B");
    for (const char* sig : {"hr", "eda"}) {
      if (!both) break;
      auto ga = std::string(sig) == "hr" ? roles["A"].hr_grid : roles["A"].eda_grid;
      auto gb = std::string(sig) == "hr" ? roles["B"].hr_grid : roles["B"].eda_grid;
      if (ga.empty() || gb.empty()) continue;
      if (std::string(sig) == "hr" && c.sync_hr_lowpass_hz > 0) {
        lowpass_finite_stretches(ga, c.sync_hr_lowpass_hz, gfs);
        lowpass_finite_stretches(gb, c.sync_hr_lowpass_hz, gfs);
      }
      const auto r = dsp::WindowedCrossCorrelation(c.synchrony).compute(ga, gb, 0);
      for (const auto& w : r.windows)
        t.rows.push_back({sig, fmt(w.start_s), fmt(w.end_s), fmt(w.peak_r), fmt(w.lag_s), fmt(r.surrogate_p95),
                          std::isfinite(w.peak_r) && std::isfinite(r.surrogate_p95) ? (std::abs(w.peak_r) > r.surrogate_p95 ? "1" : "0")
                                                                                      : "n/a"});
      sync_summary[sig] = {{"windows", r.windows.size()},
                           {"valid_windows", r.valid_windows},
                           {"mean_abs_peak_r", jnum(r.mean_abs_peak_r)},
                           {"median_lag_s", jnum(r.median_lag_s)},
                           {"surrogate_p95", jnum(r.surrogate_p95)},
                           {"surrogate_pairs", r.surrogate_n},
                           {"fraction_above_surrogate", jnum(r.fraction_above_surrogate)}};
    }
    if (both) out.tables.push_back(std::move(t));
  }

  // States while speaking, listening, overlapping (segments known).
  nlohmann::json roles_json = nlohmann::json::object();
  if (!segments.empty() && !roles.empty()) {
    PhysioTable t{"physio_states", "Heart rate and EDA per partner while speaking, listening, overlapping and in mutual silence",
                  {{"role", "partner", "", ""},
                   {"state", "speaking (only this partner talks), listening (another talks, not this partner), overlapping (this partner and another), silence", "", "from segments.tsv"},
                   {"seconds", "time in the state with a heart-rate or EDA value", "s", ""},
                   {"hr_bpm", "mean heart rate in the state", "1/min", "mean of the heart-rate series"},
                   {"eda_uS", "mean skin conductance in the state", "uS", "mean of the low-passed EDA series"}},
                  {}};
    std::map<std::string, std::vector<std::pair<double, double>>> talk;
    for (const auto& sg : segments) talk[sg.role].emplace_back(sg.start_s, sg.end_s);
    for (auto& [r, v] : talk) std::sort(v.begin(), v.end());
    auto speaking = [&](const std::string& r, double tm, std::size_t& ptr) {
      auto it = talk.find(r);
      if (it == talk.end()) return false;
      const auto& v = it->second;
      while (ptr < v.size() && v[ptr].second <= tm) ++ptr;
      return ptr < v.size() && v[ptr].first <= tm;
    };
    const char* names[] = {"speaking", "listening", "overlapping", "silence"};
    for (auto& [role, rd] : roles) {
      if (role != "A" && role != "B" && role != "therapist") continue;
      double sec[4] = {0, 0, 0, 0}, hs[4] = {0, 0, 0, 0}, es[4] = {0, 0, 0, 0};
      long hn[4] = {0, 0, 0, 0}, en[4] = {0, 0, 0, 0};
      std::map<std::string, std::size_t> ptr;
      for (std::size_t i = 0; i < ng; ++i) {
        const double tm = static_cast<double>(i) / gfs;
        const double h = i < rd.hr_grid.size() ? rd.hr_grid[i] : kNan, e = i < rd.eda_grid.size() ? rd.eda_grid[i] : kNan;
        if (!std::isfinite(h) && !std::isfinite(e)) continue;
        bool me = false, other = false;
        for (const auto& [r, v] : talk) {
          const bool sp = speaking(r, tm, ptr[r]);
          (r == role ? me : other) |= sp;
        }
        const int st = me ? (other ? 2 : 0) : (other ? 1 : 3);
        sec[st] += 1 / gfs;
        if (std::isfinite(h)) {
          hs[st] += h;
          ++hn[st];
        }
        if (std::isfinite(e)) {
          es[st] += e;
          ++en[st];
        }
      }
      nlohmann::json sj = nlohmann::json::object();
      for (int k = 0; k < 4; ++k) {
        const double hm = hn[k] ? hs[k] / static_cast<double>(hn[k]) : kNan, em = en[k] ? es[k] / static_cast<double>(en[k]) : kNan;
        t.rows.push_back({role, names[k], fmt(sec[k]), fmt(hm), fmt(em)});
        sj[names[k]] = {{"seconds", sec[k]}, {"hr_bpm", jnum(hm)}, {"eda_uS", jnum(em)}};
      }
      roles_json[role]["states"] = sj;
    }
    out.tables.push_back(std::move(t));
  }

  // Per-turn columns.
  if (!turns.empty() && !roles.empty()) {
    const double bef = c.reactivity_before_s, aft = c.reactivity_after_s;
    out.turn_columns = {
        {"hr_bpm", "speaker's mean heart rate during the turn", "1/min", ""},
        {"hr_change_bpm", "speaker's mean heart rate during the turn minus in the reactivity_before_s before it", "1/min", ""},
        {"listener_hr_change_bpm", "the other partner's mean heart rate in the reactivity_after_s after the turn's end minus in the reactivity_before_s before it",
         "1/min", "partner reactivity; A <-> B, n/a for therapist turns"},
        {"listener_scr_count", "SCR onsets of the other partner in the reactivity_after_s after the turn's end", "count", "n/a without EDA"},
        {"listener_scr_max_uS", "largest of those SCRs", "uS", "n/a when none"}};
    out.turn_values.assign(out.turn_columns.size(), {});
    for (const auto& tu : turns) {
      const auto me = roles.find(tu.role);
      const std::string other_role = tu.role == "A" ? "B" : tu.role == "B" ? "A" : "";
      const auto ot = other_role.empty() ? roles.end() : roles.find(other_role);
      double hr = kNan, dhr = kNan, lhr = kNan, smax = kNan;
      std::string scount = "n/a";
      if (me != roles.end() && !me->second.hr_grid.empty()) {
        hr = grid_mean(me->second.hr_grid, gfs, tu.start_s, tu.end_s);
        dhr = hr - grid_mean(me->second.hr_grid, gfs, tu.start_s - bef, tu.start_s);
      }
      if (ot != roles.end()) {
        if (!ot->second.hr_grid.empty())
          lhr = grid_mean(ot->second.hr_grid, gfs, tu.end_s, tu.end_s + aft) - grid_mean(ot->second.hr_grid, gfs, tu.end_s - bef, tu.end_s);
        if (!ot->second.eda_stream.empty()) {
          long k = 0;
          for (const auto& x : ot->second.scrs)
            if (x.onset_s >= tu.end_s && x.onset_s < tu.end_s + aft) {
              ++k;
              smax = std::isfinite(smax) ? std::max(smax, x.amplitude_us) : x.amplitude_us;
            }
          scount = fmt_int(k);
        }
      }
      out.turn_values[0].push_back(fmt(hr));
      out.turn_values[1].push_back(fmt(dhr));
      out.turn_values[2].push_back(fmt(lhr));
      out.turn_values[3].push_back(scount);
      out.turn_values[4].push_back(fmt(smax));
    }
  }

  // Summary.
  dsp::HrvAnalyzer hrv(c.hrv);
  for (const auto& [role, rd] : roles) {
    auto& j = roles_json[role];
    j["hr_source"] = rd.hr_stream.empty() ? nlohmann::json(nullptr) : nlohmann::json(rd.hr_stream);
    if (!rd.beats.empty()) {
      std::vector<double> bt;
      long corrected = 0;
      for (const auto& b : rd.beats) {
        bt.push_back(b.time_s);
        corrected += b.corrected;
      }
      const auto h = hrv.compute(bt);
      j["beats"] = rd.beats.size();
      j["corrected_beats"] = corrected;
      j["hr_bpm"] = jnum(h.mean_hr_bpm);
      j["hrv"] = {{"n_rr", h.n_rr}, {"mean_rr_ms", jnum(h.mean_rr_ms)}, {"sdnn_ms", jnum(h.sdnn_ms)}, {"rmssd_ms", jnum(h.rmssd_ms)},
                  {"pnn50_pct", jnum(h.pnn50_pct)}, {"lf_ms2", jnum(h.lf_ms2)}, {"hf_ms2", jnum(h.hf_ms2)}, {"lf_hf", jnum(h.lf_hf)}};
    }
    if (!rd.eda_stream.empty()) {
      double covered = 0;
      for (double g : rd.eda_grid) covered += std::isfinite(g) ? 1 / gfs : 0;
      j["eda_source"] = rd.eda_stream;
      j["scr_count"] = rd.scrs.size();
      j["scr_per_min"] = jnum(covered > 0 ? static_cast<double>(rd.scrs.size()) / covered * 60 : kNan);
      double sum = 0;
      for (double v : rd.tonic_v) sum += v;
      j["eda_tonic_uS"] = jnum(rd.tonic_v.empty() ? kNan : sum / static_cast<double>(rd.tonic_v.size()));
    }
    if (!rd.resp_stream.empty()) {
      const auto r = dsp::RespirationAnalyzer::summarise(rd.breaths, -1e300, 1e300);
      j["resp_source"] = rd.resp_stream;
      j["breaths"] = rd.breaths.size();
      j["resp_rate_bpm"] = jnum(r.rate_bpm);
      j["resp_interval_sd_s"] = jnum(r.interval_sd_s);
      j["resp_rate_cv"] = jnum(r.rate_cv);
    }
  }
  long flagged = 0;
  for (const auto& b : bp) flagged += b.r.flagged;
  out.summary = {
      {"dyad_version", dyad::kVersion},
      {"streams", streams},
      {"roles", roles_json},
      {"synchrony", sync_summary},
      {"blood_pressure", {{"readings", bp.size()}, {"flagged", flagged}}},
      {"warnings", out.warnings},
      {"parameters",
       {{"ecg", {{"band_low_hz", c.ecg.band_low_hz}, {"band_high_hz", c.ecg.band_high_hz}, {"integration_window_s", c.ecg.integration_window_s},
                 {"refractory_s", c.ecg.refractory_s}, {"t_wave_window_s", c.ecg.t_wave_window_s}, {"searchback_factor", c.ecg.searchback_factor},
                 {"detection_rate_hz", c.ecg.detection_rate_hz}}},
        {"beat_correction", {{"enabled", c.correct_beats}, {"alpha", c.correction.alpha}, {"window_beats", c.correction.window_beats},
                             {"median_beats", c.correction.median_beats}, {"c1", c.correction.c1}, {"c2", c.correction.c2},
                             {"min_threshold_s", c.correction.min_threshold_s}, {"max_passes", c.correction.max_passes}}},
        {"ppg", {{"band_low_hz", c.ppg.band_low_hz}, {"band_high_hz", c.ppg.band_high_hz}, {"peak_window_s", c.ppg.peak_window_s},
                 {"beat_window_s", c.ppg.beat_window_s}, {"beta", c.ppg.beta}, {"refractory_s", c.ppg.refractory_s}}},
        {"hrv", {{"vlf_low_hz", c.hrv.vlf_low_hz}, {"lf_low_hz", c.hrv.lf_low_hz}, {"hf_low_hz", c.hrv.hf_low_hz}, {"hf_high_hz", c.hrv.hf_high_hz},
                 {"frequency_step_hz", c.hrv.frequency_step_hz}, {"min_rr_s", c.hrv.min_rr_s}, {"max_rr_s", c.hrv.max_rr_s}}},
        {"eda", {{"lowpass_hz", c.eda.lowpass_hz}, {"tonic_cutoff_hz", c.eda.tonic_cutoff_hz}, {"min_amplitude_us", c.eda.min_amplitude_us},
                 {"noise_amplitude_factor", c.eda.noise_amplitude_factor}, {"min_rise_s", c.eda.min_rise_s}, {"max_rise_s", c.eda.max_rise_s}, {"onset_slope_fraction", c.eda.onset_slope_fraction},
                 {"internal_rate_hz", c.eda.internal_rate_hz}}},
        {"resp", {{"band_low_hz", c.resp.band_low_hz}, {"band_high_hz", c.resp.band_high_hz},
                  {"min_amplitude_fraction", c.resp.min_amplitude_fraction}, {"internal_rate_hz", c.resp.internal_rate_hz}}},
        {"bp", {{"systolic_high_mmhg", c.bp.systolic_high_mmhg}, {"diastolic_high_mmhg", c.bp.diastolic_high_mmhg}}},
        {"synchrony", {{"sample_rate_hz", c.synchrony.sample_rate_hz}, {"window_s", c.synchrony.window_s}, {"step_s", c.synchrony.step_s},
                       {"max_lag_s", c.synchrony.max_lag_s}, {"surrogate_pairs", c.synchrony.surrogate_pairs},
                       {"surrogate_percentile", c.synchrony.surrogate_percentile}, {"min_valid_fraction", c.synchrony.min_valid_fraction},
                       {"detrend", c.synchrony.detrend}, {"refine_lag", c.synchrony.refine_lag},
                       {"seed", c.synchrony.seed}}},
        {"chunk", {{"core_s", c.chunk.core_s}, {"pre_s", c.chunk.pre_s}, {"post_s", c.chunk.post_s}}},
        {"window_s", c.window_s}, {"step_s", c.step_s}, {"gap_factor", c.gap_factor}, {"max_beat_gap_s", c.max_beat_gap_s},
        {"hr_at_interval_midpoint", c.hr_at_interval_midpoint}, {"sync_hr_lowpass_hz", c.sync_hr_lowpass_hz},
        {"reactivity_before_s", c.reactivity_before_s}, {"reactivity_after_s", c.reactivity_after_s}}}};
  return out;
}

void write_physiology(const std::filesystem::path& dir, const PhysioOutput& out) {
  if (!std::filesystem::exists(dir)) formats::make_private_dir(dir);
  for (const auto& t : out.tables) {
    std::vector<std::string> head;
    for (const auto& c : t.columns) head.push_back(c.name);
    std::string text = formats::tsv_line(head);
    for (const auto& r : t.rows) text += formats::tsv_line(r);
    formats::write_file_atomic(dir / (t.name + ".tsv"), text);
    formats::write_file_atomic(dir / (t.name + ".json"), physio_codebook(t).dump(2) + "\n");
  }
  const auto turns_path = dir / "turns.tsv";
  if (!out.turn_columns.empty() && std::filesystem::exists(turns_path)) {
    auto tab = formats::read_table_file(turns_path.string());
    for (std::size_t k = 0; k < out.turn_columns.size(); ++k) {
      if (out.turn_values[k].size() != tab.rows.size())
        throw formats::FormatError(formats::ErrorKind::malformed, turns_path.string() + ": has " + std::to_string(tab.rows.size()) +
                                                                      " turns, the physiology has " + std::to_string(out.turn_values[k].size()));
      int col = tab.column(out.turn_columns[k].name);
      if (col < 0) {
        tab.header.push_back(out.turn_columns[k].name);
        col = static_cast<int>(tab.header.size()) - 1;
        for (auto& r : tab.rows) r.emplace_back();
      }
      for (std::size_t r = 0; r < tab.rows.size(); ++r) tab.rows[r][static_cast<std::size_t>(col)] = out.turn_values[k][r];
    }
    std::string text = formats::tsv_line(tab.header);
    for (const auto& r : tab.rows) text += formats::tsv_line(r);
    formats::write_file_atomic(turns_path, text);
    // Document the new columns in the turns codebook when there is one.
    const auto cb = dir / "turns.json";
    if (std::filesystem::exists(cb)) {
      auto j = nlohmann::json::parse(formats::read_file(cb), nullptr, false);
      if (j.is_object() && j.contains("columns") && j["columns"].is_array()) {
        auto& cols = j["columns"];
        for (const auto& c : out.turn_columns) {
          nlohmann::json e = {{"name", c.name}, {"meaning", c.meaning}, {"unit", c.unit}, {"definition", c.definition}};
          bool found = false;
          for (auto& x : cols)
            if (x.value("name", "") == c.name) {
              x = e;
              found = true;
            }
          if (!found) cols.push_back(e);
        }
        formats::write_file_atomic(cb, j.dump(2) + "\n");
      }
    }
  }
  const auto sp = dir / "summary.json";
  nlohmann::json sum = nlohmann::json::object();
  if (std::filesystem::exists(sp)) {
    sum = nlohmann::json::parse(formats::read_file(sp), nullptr, false);
    if (!sum.is_object()) sum = nlohmann::json::object();
  }
  sum["physiology"] = out.summary;
  formats::write_file_atomic(sp, sum.dump(2) + "\n");
}

PhysioOutput run_physiology(const std::filesystem::path& session_dir, const PhysioConfig& c) {
  const auto s = formats::Session::open(session_dir);
  const auto fdir = session_dir / "features";
  std::vector<dsp::Segment> segs;
  std::vector<PhysioTurn> turns;
  if (std::filesystem::exists(fdir / "segments.tsv")) {
    const auto t = formats::read_table_file((fdir / "segments.tsv").string());
    const auto r = t.require_column("role"), a = t.require_column("start_s"), b = t.require_column("end_s");
    for (std::size_t i = 0; i < t.rows.size(); ++i) segs.push_back({t.rows[i][r], t.required_number(i, a), t.required_number(i, b)});
  }
  if (std::filesystem::exists(fdir / "turns.tsv")) {
    const auto t = formats::read_table_file((fdir / "turns.tsv").string());
    const auto n = t.require_column("turn"), r = t.require_column("role"), a = t.require_column("start_s"), b = t.require_column("end_s");
    for (std::size_t i = 0; i < t.rows.size(); ++i)
      turns.push_back({static_cast<long>(t.required_number(i, n)), t.rows[i][r], t.required_number(i, a), t.required_number(i, b)});
  }
  auto out = analyze_physiology(s, c, segs, turns);
  write_physiology(fdir, out);
  return out;
}

}  // namespace dyad::analysis
