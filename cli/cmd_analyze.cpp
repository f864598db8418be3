// dyad analyze SESSION...: turn-taking features of sessions into their features/ folders.
#include <glob.h>

#include <algorithm>
#include <iostream>
#include <mutex>
#include <optional>

#include "common.hpp"
#include "dyad/analysis/analyze.hpp"
#include "dyad/analysis/physiology.hpp"
#include "dyad/analysis/prosody.hpp"
#include "dyad/dsp/pitch.hpp"
#include "dyad/formats/manifest.hpp"
#include "dyad/formats/text.hpp"

namespace dyad::cli {

namespace fs = std::filesystem;

namespace {
struct AnalyzeCli {
  std::vector<std::string> inputs;
  analysis::AnalyzeOptions opt;
  unsigned jobs = 0;
  bool no_annotations = false;
  std::optional<double> on_db, off_db, frame_s, min_level, noise_rise, min_pause, min_talkspurt;
  std::vector<std::string> params;
  analysis::ProsodyOptions prosody;
  analysis::PhysioConfig physio;
  std::vector<std::string> f0_ranges;
  bool no_voice_quality = false;
};

/// "A=75-300" -> role A, 75 to 300 Hz.
std::pair<std::string, analysis::PitchRange> parse_f0_range(const std::string& text) {
  const auto eq = text.find('=');
  const auto dash = eq == std::string::npos ? std::string::npos : text.find('-', eq + 2);
  std::optional<double> lo, hi;
  if (dash != std::string::npos) {
    lo = formats::parse_number(text.substr(eq + 1, dash - eq - 1));
    hi = formats::parse_number(text.substr(dash + 1));
  }
  const std::string role = eq == std::string::npos ? "" : text.substr(0, eq);
  if (!lo || !hi || role.empty() || !(*lo > 0) || !(*hi > *lo))
    throw UsageError("analyze: --f0-range must be ROLE=MIN-MAX in Hz with 0 < MIN < MAX (e.g. A=75-300), got '" + text + "'");
  if (role != "A" && role != "B" && role != "therapist")
    throw UsageError("analyze: --f0-range: the role must be A, B or therapist, got '" + role + "'");
  return {role, {*lo, *hi}};
}

/// The pitch ranges against each session's audio rate, before any work, named as the options (the
/// pitch tracker's own check names its parameters). A session whose manifest does not read is left
/// to the analysis, which reports it.
void check_pitch_ranges(const std::vector<fs::path>& dirs, const analysis::ProsodyOptions& p) {
  for (auto& d : dirs) {
    std::optional<formats::Manifest> m;
    try {
      m = formats::read_manifest(d);
    } catch (const std::exception&) {
      continue;
    }
    if (!m->audio) continue;
    const double rate = m->audio->sample_rate_hz;
    auto check = [&](const analysis::PitchRange& r, const std::string& max_option, const std::string& min_option) {
      const auto num = [](double v) { return formats::format_number(v); };
      if (!dsp::pitch_ceiling_fits(r.f0_max_hz, rate))
        throw std::runtime_error(d.string() + ": " + max_option + ": the pitch ceiling " + num(r.f0_max_hz) +
                                 " Hz must be below half the session's sample rate (" + num(rate) + " Hz); nothing was analysed");
      if (!dsp::pitch_floor_fits(r.f0_min_hz, rate))
        throw std::runtime_error(d.string() + ": " + min_option + ": the pitch floor " + num(r.f0_min_hz) + " Hz is too high for " + num(rate) +
                                 " Hz audio (the window, 3 / floor, must hold 16 samples); nothing was analysed");
    };
    check(p.default_range, "--f0-max", "--f0-min");
    for (auto& [role, r] : p.ranges) {
      const std::string option = "--f0-range " + role + "=" + formats::format_number(r.f0_min_hz) + "-" + formats::format_number(r.f0_max_hz);
      if (m->channel_of_role(role) > 0) check(r, option, option);
    }
  }
}

bool is_session(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p / "session.json", ec);
}
}  // namespace

std::vector<fs::path> expand_sessions(const std::vector<std::string>& inputs) {
  std::vector<fs::path> out;
  for (auto& in : inputs) {
    std::vector<std::string> paths;
    if (in.find_first_of("*?[") != std::string::npos) {
      glob_t g{};
      if (::glob(in.c_str(), 0, nullptr, &g) == 0)
        for (std::size_t i = 0; i < g.gl_pathc; ++i) paths.emplace_back(g.gl_pathv[i]);
      ::globfree(&g);
      if (paths.empty()) paths.push_back(in);  // reported as missing
    } else {
      paths.push_back(in);
    }
    for (auto& p : paths) {
      std::error_code ec;
      if (!is_session(p) && fs::is_directory(p, ec)) {
        std::vector<fs::path> inside;
        for (auto& e : fs::directory_iterator(p, ec))
          if (e.is_directory() && is_session(e.path())) inside.push_back(e.path());
        std::sort(inside.begin(), inside.end());
        if (!inside.empty()) {
          out.insert(out.end(), inside.begin(), inside.end());
          continue;
        }
      }
      out.emplace_back(p);  // a session, or an error reported for it
    }
  }
  return out;
}

void add_analyze(CLI::App& app) {
  auto o = std::make_shared<AnalyzeCli>();
  auto* cmd = app.add_subcommand(
      "analyze",
      "Compute every feature of each session into its features/ folder: talkspurts, turn-taking events, turns, windows, "
      "pitch, intensity, voice quality (jitter, shimmer, HNR) and speech rate, physiology (heart rate, HRV, EDA, breathing, "
      "blood pressure) and synchrony, with codebooks and summary.json.\n"
      "SESSION may be a session folder, a folder of sessions or a glob. features/ is replaced whole; nothing else changes.\n"
      "Exit status: the number of sessions that failed (at most 100).");
  cmd->add_option("SESSION", o->inputs, "Session folders, folders of sessions or globs")->required();
  auto& a = o->opt;
  cmd->add_option("--backchannel-max", a.backchannel_max_s,
                  "Within-speaker overlaps shorter than this are backchannels; overlaps longer are interruptions (s)")
      ->capture_default_str()->check(check::non_negative());
  cmd->add_option("--window", a.window_s, "Window length of windows.tsv (s, 1 to 86400)")->capture_default_str()->check(check::between(1, 86400));
  cmd->add_option("--jobs", o->jobs, "Sessions analysed at once (0 = one per CPU)")->capture_default_str()->check(check::whole());
  cmd->add_flag("--no-annotations", o->no_annotations, "Ignore annotations/segments.tsv and run the voice activity detector");
  // Voice activity: options common to both detectors apply to the one chosen.
  cmd->add_option("--vad", a.vad_detector,
                  "Voice activity detector: crosstalk (rejects the other partners' voices leaking into each microphone) or energy "
                  "(per channel, counts crosstalk as speech)")
      ->capture_default_str()->check(CLI::IsMember({"crosstalk", "energy"}));
  cmd->add_option("--vad-on-db", o->on_db,
                  "VAD: speech starts when the frame is this far above the noise floor plus the predicted leak (crosstalk, default -2) "
                  "or above the noise floor (energy, default 12) (dB)")
      ->check(check::number());
  cmd->add_option("--vad-off-db", o->off_db, "VAD: speech continues while it stays this far above (crosstalk, default -6; energy, default 6) (dB)")
      ->check(check::number());
  cmd->add_option("--vad-frame", o->frame_s, "VAD: analysis frame and time resolution (default 0.01) (s)")->check(check::positive());
  cmd->add_option("--vad-min-level", o->min_level, "VAD: frames quieter than this are never speech (default -60) (dBFS)")
      ->check(check::number());
  cmd->add_option("--vad-noise-rise", o->noise_rise, "VAD: how fast a noise floor may rise (default 0.5) (dB/s)")
      ->check(check::non_negative());
  cmd->add_option("--min-pause", o->min_pause, "VAD: shorter silences inside speech are bridged (default 0.2) (s)")
      ->check(check::non_negative());
  cmd->add_option("--min-talkspurt", o->min_talkspurt, "VAD: shorter talkspurts are dropped (default 0.1) (s)")->check(check::non_negative());
  cmd->add_option("--vad-leak-margin", a.crosstalk_vad.leak_margin_db,
                  "VAD crosstalk: the predicted leak is raised by this before it is compared (dB)")
      ->capture_default_str()->check(check::non_negative());
  cmd->add_option("--vad-below-level", a.crosstalk_vad.below_speech_level_db,
                  "VAD crosstalk: sound this far below the partner's own speech level is not speech (dB)")
      ->capture_default_str()->check(check::positive());
  cmd->add_option("--vad-param", o->params,
                  "VAD crosstalk: set any parameter by name, NAME=VALUE (repeatable; the names are those written in summary.json, "
                  "see the README)");
  // Pitch, intensity and voice quality.
  cmd->add_option("--f0-min", o->prosody.default_range.f0_min_hz, "Pitch floor for every partner without --f0-range (Hz)")
      ->capture_default_str()->check(check::positive());
  cmd->add_option("--f0-max", o->prosody.default_range.f0_max_hz, "Pitch ceiling for every partner without --f0-range (Hz)")
      ->capture_default_str()->check(check::positive());
  cmd->add_option("--f0-range", o->f0_ranges,
                  "One partner's pitch range, ROLE=MIN-MAX in Hz (repeatable; e.g. A=75-300 B=100-500: Praat's advice is 75-300 for "
                  "a male and 100-500 for a female voice)");
  cmd->add_flag("--no-voice-quality", o->no_voice_quality,
                "Skip jitter, shimmer, harmonicity and syllable nuclei (pitch and intensity are still computed; faster)");
  // Physiology and synchrony.
  auto& ph = o->physio;
  cmd->add_option("--sync-window", ph.synchrony.window_s, "Synchrony: window of the lagged cross-correlation of HR and EDA (s)")
      ->capture_default_str()->check(check::positive());
  cmd->add_option("--sync-step", ph.synchrony.step_s, "Synchrony: step between windows (s)")->capture_default_str()->check(check::positive());
  cmd->add_option("--sync-max-lag", ph.synchrony.max_lag_s, "Synchrony: lags from -this to +this are tried; positive means B follows A (s)")
      ->capture_default_str()->check(check::non_negative());
  cmd->add_option("--physio-window", ph.window_s, "Window of physio_windows.tsv (HR, HRV, EDA, breathing) (s)")
      ->capture_default_str()->check(check::positive());
  cmd->add_option("--physio-step", ph.step_s, "Step of physio_windows.tsv (s)")->capture_default_str()->check(check::positive());
  cmd->add_option("--bp-systolic-high", ph.bp.systolic_high_mmhg, "Blood pressure: flag readings with systolic at or above this (mmHg)")
      ->capture_default_str()->check(check::positive());
  cmd->add_option("--bp-diastolic-high", ph.bp.diastolic_high_mmhg, "Blood pressure: flag readings with diastolic at or above this (mmHg)")
      ->capture_default_str()->check(check::positive());
  cmd->callback([o] {
    o->opt.use_annotations = !o->no_annotations;
    auto& opt = o->opt;
    auto both = [](const std::optional<double>& v, double& x, double& y) {
      if (v) x = y = *v;
    };
    both(o->frame_s, opt.crosstalk_vad.frame_s, opt.energy_vad.frame_s);
    both(o->min_level, opt.crosstalk_vad.min_level_dbfs, opt.energy_vad.min_level_dbfs);
    both(o->noise_rise, opt.crosstalk_vad.noise_rise_db_per_s, opt.energy_vad.noise_rise_db_per_s);
    both(o->min_pause, opt.crosstalk_vad.min_pause_s, opt.energy_vad.min_pause_s);
    both(o->min_talkspurt, opt.crosstalk_vad.min_talkspurt_s, opt.energy_vad.min_talkspurt_s);
    // what the detectors require of the common options, said with the options' names
    const bool energy = opt.vad_detector == "energy";
    const auto num = [](double v) { return formats::format_number(v); };
    if (o->frame_s && energy && !(*o->frame_s <= 1))
      throw UsageError("analyze: --vad-frame must be at most 1 s with --vad energy, got " + num(*o->frame_s));
    if (o->frame_s && !energy && !(*o->frame_s >= 0.002 && *o->frame_s <= 0.1))
      throw UsageError("analyze: --vad-frame must be from 0.002 to 0.1 s with --vad crosstalk, got " + num(*o->frame_s));
    if (energy && o->on_db && !(*o->on_db >= 0)) throw UsageError("analyze: --vad-on-db must be 0 or more with --vad energy, got " + num(*o->on_db));
    if (energy && o->off_db && !(*o->off_db >= 0)) throw UsageError("analyze: --vad-off-db must be 0 or more with --vad energy, got " + num(*o->off_db));
    {
      const double on = o->on_db.value_or(energy ? opt.energy_vad.on_above_floor_db : opt.crosstalk_vad.on_db);
      const double off = o->off_db.value_or(energy ? opt.energy_vad.off_above_floor_db : opt.crosstalk_vad.off_db);
      if ((o->on_db || o->off_db) && !(off <= on))
        throw UsageError("analyze: --vad-off-db (" + num(off) + ") must be at most --vad-on-db (" + num(on) + ")");
    }
    if (o->on_db) (opt.vad_detector == "energy" ? opt.energy_vad.on_above_floor_db : opt.crosstalk_vad.on_db) = *o->on_db;
    if (o->off_db) (opt.vad_detector == "energy" ? opt.energy_vad.off_above_floor_db : opt.crosstalk_vad.off_db) = *o->off_db;
    for (auto& kv : o->params) {
      const auto eq = kv.find('=');
      const auto value = eq == std::string::npos ? std::nullopt : formats::parse_number(kv.substr(eq + 1));
      bool known = false;
      if (value) as_usage([&] { known = dsp::set_parameter(opt.crosstalk_vad, kv.substr(0, eq), *value); }, "analyze: voice activity parameter ", true);
      if (!known)
        throw UsageError("analyze: --vad-param must be NAME=VALUE with a parameter of the crosstalk detector, got '" + kv + "'");
    }
    for (auto& r : o->f0_ranges) o->prosody.ranges.insert_or_assign(parse_f0_range(r).first, parse_f0_range(r).second);
    if (!(o->prosody.default_range.f0_max_hz > o->prosody.default_range.f0_min_hz))
      throw UsageError("analyze: --f0-max must be above --f0-min");
    if (o->no_voice_quality) o->prosody.voice_quality = o->prosody.speech_rate = false;
    // one clear message before any session starts; the single values were checked by the options
    const auto& sy = o->physio.synchrony;
    if (!(sy.window_s * sy.sample_rate_hz >= 4))
      throw UsageError("analyze: --sync-window must be at least " + formats::format_number(4 / sy.sample_rate_hz) + " s (4 samples of the " +
                       formats::format_number(sy.sample_rate_hz) + " Hz heart-rate and EDA series), got " + formats::format_number(sy.window_s));
    if (!(o->physio.synchrony.max_lag_s < o->physio.synchrony.window_s))
      throw UsageError("analyze: --sync-max-lag (" + formats::format_number(o->physio.synchrony.max_lag_s) +
                       ") must be below --sync-window (" + formats::format_number(o->physio.synchrony.window_s) + ")");
    as_usage([&] { analysis::validate(o->physio); }, "analyze: physiology parameter ", true);
    opt.extensions = analysis::default_extensions(o->prosody, o->physio);
    // Check the detector's parameters once, before any session starts.
    as_usage([&] { analysis::make_vad(opt, opt.vad_detector == "energy" ? opt.energy_vad.sample_rate_hz : opt.crosstalk_vad.sample_rate_hz, 2); },
                "analyze: voice activity parameter ", true);
    auto dirs = expand_sessions(o->inputs);
    check_pitch_ranges(dirs, o->prosody);
    std::mutex m;
    std::vector<double> frac(dirs.size(), 0.0);
    ProgressLine progress("analyze " + std::to_string(dirs.size()) + (dirs.size() == 1 ? " session" : " sessions"));
    auto outcomes = analysis::analyze_sessions(
        dirs, o->opt, o->jobs,
        [&](std::size_t i, double f, const std::string&) {
          std::lock_guard lk(m);
          frac[i] = f;
          double sum = 0;
          for (double x : frac) sum += x;
          progress.update(sum / static_cast<double>(frac.size()));
        },
        [&](std::size_t i, const analysis::SessionOutcome&) {
          std::lock_guard lk(m);
          frac[i] = 1.0;
        });
    progress.done();
    int failed = 0;
    for (auto& oc : outcomes) {
      if (oc.ok) {
        for (auto& w : oc.result.warnings) warn(oc.dir.string() + ": " + w);
        std::cout << oc.dir.string() << ": " << oc.result.segments << " talkspurts, " << oc.result.events << " events, "
                  << oc.result.turns << " turns (" << oc.result.segments_source << ") -> " << oc.result.features_dir.string()
                  << "\n";
      } else {
        ++failed;
        std::cerr << "dyad: error: " << oc.error << (oc.error.find(oc.dir.string()) == std::string::npos ? " (" + oc.dir.string() + ")" : "") << "\n";
      }
    }
    if (failed) {
      note(std::to_string(failed) + " of " + std::to_string(outcomes.size()) + " sessions failed");
      throw CLI::RuntimeError(std::min(failed, 100));
    }
  });
}

}  // namespace dyad::cli
