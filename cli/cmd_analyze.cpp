// dyad analyze SESSION...: turn-taking features of sessions into their features/ folders.
#include <glob.h>

#include <algorithm>
#include <iostream>
#include <mutex>

#include "common.hpp"
#include "dyad/analysis/analyze.hpp"
#include "dyad/formats/text.hpp"

namespace dyad::cli {

namespace fs = std::filesystem;

namespace {
struct AnalyzeCli {
  std::vector<std::string> inputs;
  analysis::AnalyzeOptions opt;
  unsigned jobs = 0;
  bool no_annotations = false;
};

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
      "pitch and intensity, physiology and synchrony, with codebooks and summary.json.\n"
      "SESSION may be a session folder, a folder of sessions or a glob. features/ is replaced whole; nothing else changes.\n"
      "Exit status: the number of sessions that failed (at most 100).");
  cmd->add_option("SESSION", o->inputs, "Session folders, folders of sessions or globs")->required();
  auto& a = o->opt;
  cmd->add_option("--backchannel-max", a.backchannel_max_s,
                  "Within-speaker overlaps shorter than this are backchannels; overlaps longer are interruptions (s)")
      ->capture_default_str()->check(CLI::NonNegativeNumber);
  cmd->add_option("--window", a.window_s, "Window length of windows.tsv (s)")->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--jobs", o->jobs, "Sessions analysed at once (0 = one per CPU)")->capture_default_str();
  cmd->add_flag("--no-annotations", o->no_annotations, "Ignore annotations/segments.tsv and run the voice activity detector");
  cmd->add_option("--vad-frame", a.vad.frame_s, "VAD: analysis frame (s)")->capture_default_str();
  cmd->add_option("--vad-on-db", a.vad.on_above_floor_db, "VAD: speech starts this far above the noise floor (dB)")->capture_default_str();
  cmd->add_option("--vad-off-db", a.vad.off_above_floor_db, "VAD: speech ends below this far above the noise floor (dB)")->capture_default_str();
  cmd->add_option("--vad-min-level", a.vad.min_level_dbfs, "VAD: frames quieter than this are never speech (dBFS)")->capture_default_str();
  cmd->add_option("--vad-noise-rise", a.vad.noise_rise_db_per_s, "VAD: how fast the noise floor may rise (dB/s)")->capture_default_str();
  cmd->add_option("--min-pause", a.vad.min_pause_s, "VAD: shorter silences inside speech are bridged (s)")->capture_default_str();
  cmd->add_option("--min-talkspurt", a.vad.min_talkspurt_s, "VAD: shorter talkspurts are dropped (s)")->capture_default_str();
  cmd->callback([o] {
    o->opt.use_annotations = !o->no_annotations;
    // Check the detector's parameters once, before any session starts.
    dsp::EnergyChannelVad check(o->opt.vad);
    auto dirs = expand_sessions(o->inputs);
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
