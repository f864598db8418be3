#pragma once
// Scores a simulated session's features/ physiology against its truth/ (issue 10): R peaks and
// heart rate against the true beats, SCRs against the true SCRs, synchrony against the true
// coupling lag. Shared by bench/eval_physio --sim and the CI tests, so both measure the same way.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "dyad/dsp/filter.hpp"
#include "dyad/formats/text.hpp"

namespace dyad::test {

struct OneToOne {
  int tp = 0, fp = 0, fn = 0;
  double abs_err_sum = 0;  ///< sum of |detection - reference| over the matches (s)
  void add(const OneToOne& o) {
    tp += o.tp;
    fp += o.fp;
    fn += o.fn;
    abs_err_sum += o.abs_err_sum;
  }
  double se() const { return tp + fn ? 100.0 * tp / (tp + fn) : 100; }
  double ppv() const { return tp + fp ? 100.0 * tp / (tp + fp) : 100; }
  double f1() const { return tp + fp + fn ? 200.0 * tp / (2.0 * tp + fp + fn) : 100; }
  double mean_abs_err_s() const { return tp ? abs_err_sum / tp : std::nan(""); }
};

/// One-to-one matching of sorted detections to sorted references within `tol` seconds (each
/// reference takes the nearest unused detection).
inline OneToOne match_times(const std::vector<double>& ref, const std::vector<double>& det, double tol) {
  OneToOne m;
  std::vector<char> used(det.size(), 0);
  std::size_t j = 0;
  for (double r : ref) {
    while (j < det.size() && det[j] < r - tol) ++j;
    std::size_t best = det.size();
    for (std::size_t k = j; k < det.size() && det[k] <= r + tol; ++k)
      if (!used[k] && (best == det.size() || std::abs(det[k] - r) < std::abs(det[best] - r))) best = k;
    if (best < det.size()) {
      used[best] = 1;
      ++m.tp;
      m.abs_err_sum += std::abs(det[best] - r);
    } else {
      ++m.fn;
    }
  }
  for (char u : used) m.fp += !u;
  return m;
}

inline std::vector<double> table_column(const std::filesystem::path& p, const std::string& name) {
  const auto t = formats::read_table_file(p.string());
  std::vector<double> v;
  const auto c = t.require_column(name);
  for (std::size_t r = 0; r < t.rows.size(); ++r) v.push_back(t.number(r, c));
  return v;
}

/// Heart rate per window [k w, (k + 1) w) as 60 / the mean of the RR intervals ending in it
/// (the physio_windows.tsv definition); NaN without an interval.
inline std::vector<double> windowed_hr(const std::vector<double>& t, double w, double duration) {
  const auto n = static_cast<std::size_t>(std::floor(duration / w));
  std::vector<double> sum(n, 0.0), cnt(n, 0.0);
  for (std::size_t i = 1; i < t.size(); ++i) {
    const auto k = static_cast<std::size_t>(std::max(0.0, t[i] / w));
    if (k < n) {
      sum[k] += t[i] - t[i - 1];
      cnt[k] += 1;
    }
  }
  std::vector<double> hr(n, std::nan(""));
  for (std::size_t k = 0; k < n; ++k)
    if (cnt[k] > 0) hr[k] = 60 / (sum[k] / cnt[k]);
  return hr;
}

struct SyncScore {
  int windows = 0, above = 0;  ///< valid windows and those with |peak r| above the surrogate p95
  double median_lag_s = std::nan("");
  double within_step = 0;  ///< share of valid windows whose lag is within `lag_tol` of the truth
  double above_fraction() const { return windows ? static_cast<double>(above) / windows : std::nan(""); }
};

struct SimPhysioScore {
  OneToOne beats, scrs;           ///< both partners together
  double hr_abs_err_sum = 0;      ///< over 10 s windows, bpm
  int hr_windows = 0;
  SyncScore hr, eda;
  double hr_mae_bpm() const { return hr_windows ? hr_abs_err_sum / hr_windows : std::nan(""); }
};

/// Scores features/ against truth/ of a simulated session (dyad analyze or run_physiology must
/// have run). Beats match within `beat_tol_s` (150 ms, the MIT-BIH convention); SCR onsets within
/// `scr_tol_s`; a synchrony window's lag is right when within `lag_tol_s` of `true_lag_s`.
inline SimPhysioScore score_sim_physio(const std::filesystem::path& session, double true_lag_s, double beat_tol_s = 0.15,
                                       double scr_tol_s = 1.0, double lag_tol_s = 0.25) {
  SimPhysioScore s;
  const auto truth = session / "truth", feat = session / "features";
  for (const std::string role : {"A", "B"}) {
    const auto tb = table_column(truth / ("beats_ecg_" + role + ".tsv"), "time_s");
    const auto fb = table_column(feat / ("beats_ecg_" + role + ".tsv"), "time_s");
    s.beats.add(match_times(tb, fb, beat_tol_s));
    const double dur = tb.empty() ? 0 : tb.back();
    const auto ht = windowed_hr(tb, 10, dur), hf = windowed_hr(fb, 10, dur);
    for (std::size_t k = 0; k < ht.size(); ++k)
      if (std::isfinite(ht[k]) && std::isfinite(hf[k])) {
        s.hr_abs_err_sum += std::abs(ht[k] - hf[k]);
        ++s.hr_windows;
      }
    s.scrs.add(match_times(table_column(truth / ("scr_eda_" + role + ".tsv"), "onset_s"),
                           table_column(feat / ("scr_eda_" + role + ".tsv"), "onset_s"), scr_tol_s));
  }
  const auto t = formats::read_table_file((feat / "synchrony.tsv").string());
  const auto cs = t.require_column("signal"), cl = t.require_column("lag_s"), ca = t.require_column("above_surrogate");
  for (const std::string sig : {"hr", "eda"}) {
    SyncScore& ss = sig == "hr" ? s.hr : s.eda;
    std::vector<double> lags;
    int right = 0;
    for (std::size_t r = 0; r < t.rows.size(); ++r) {
      if (t.rows[r][cs] != sig) continue;
      const double lag = t.number(r, cl);
      if (!std::isfinite(lag)) continue;
      lags.push_back(lag);
      ++ss.windows;
      ss.above += t.rows[r][ca] == "1";
      right += std::abs(lag - true_lag_s) <= lag_tol_s + 1e-9;
    }
    if (!lags.empty()) {
      ss.median_lag_s = dsp::quantile(lags, 0.5);
      ss.within_step = static_cast<double>(right) / static_cast<double>(lags.size());
    }
  }
  return s;
}

}  // namespace dyad::test
