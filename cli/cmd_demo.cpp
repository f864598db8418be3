// dyad demo: show the whole product on data that ships with the project's shared folder.
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iostream>

#include "common.hpp"
#include "demo_capture.hpp"
#include "dyad/formats/error.hpp"

namespace dyad::cli {

namespace {
struct DemoOptions {
  std::string data;
  std::string out;
  std::string screenshot;
  bool no_view = false;
  std::uint64_t seed = 1;
};

/// The shared data folder, or "" when it is not found and was not given.
std::filesystem::path find_data(const std::string& given) {
  namespace fs = std::filesystem;
  std::vector<fs::path> cands;
  if (!given.empty()) cands.push_back(given);
  if (const char* e = std::getenv("DYAD_DATA")) cands.push_back(e);
  for (fs::path base : {fs::current_path(), exe_dir()}) {
    for (int up = 0; up < 5 && !base.empty(); ++up) {
      cands.push_back(base / "shared" / "data");
      cands.push_back(base / ".." / "shared" / "data");
      base = base.parent_path();
    }
  }
  for (auto& c : cands) {
    std::error_code ec;
    if (fs::exists(c / "pitch" / "fda_ue_dev" / "rl001.wav", ec)) return fs::weakly_canonical(c, ec);
  }
  if (!given.empty())
    throw formats::FormatError(formats::ErrorKind::io, given + ": not the shared data folder (expected pitch/fda_ue_dev/rl001.wav in it)");
  return {};
}

std::filesystem::path fresh_folder(const std::string& base) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::exists(base, ec)) return base;
  for (int i = 2;; ++i) {
    fs::path p = base + "-" + std::to_string(i);
    if (!fs::exists(p, ec)) return p;
  }
}

void step(const std::string& title) { std::cout << "\n== " << title << "\n" << std::flush; }

void show(const std::filesystem::path& self, const std::filesystem::path& session, const std::string& png, bool window) {
  int rc = 0;
  if (window) {
    rc = run_program(self, {"view", session.string()});
  } else {
    rc = run_program(self, {"view", session.string(), "--screenshot", png});
    if (rc == 0) std::cout << "no display: the viewer was rendered to " << png << "\n";
  }
  if (rc != 0) throw CLI::RuntimeError(rc);
}

void run_demo(const DemoOptions& o) {
  auto self = exe_dir() / "dyad";
  auto out = fresh_folder(o.out.empty() ? "dyad-demo" : o.out);
  auto run = [&](const std::vector<std::string>& args) {
    int rc = run_program(self, args);
    if (rc != 0) throw CLI::RuntimeError(rc);
  };
  step("1/6 A live capture through the real-time pipeline (dyad record, 3 s)");
  demo_live_capture(self, fresh_folder(out.string() + "-live"));
  step("2/6 Simulating a ten-minute integration session with exact ground truth (dyad simulate)");
  run({"simulate", out.string(), "--duration", "600", "--seed", std::to_string(o.seed), "--couple", "demo", "--session-number", "3",
       "--session-type", "integration"});
  step("3/6 The simulated session, validated and summarised (dyad info)");
  run({"info", out.string()});
  std::cout << "the right answers are in " << (out / "truth").string()
            << " (segments, events, turns, pitch, beats, SCRs, clocks, parameters)\n";
  step("4/6 Analysing it: turn-taking, prosody, physiology (dyad analyze -> features/)");
  run({"analyze", out.string()});
  // A real recording as a second, shorter part, when the shared data is there.
  auto data = find_data(o.data);
  std::filesystem::path real;
  if (data.empty()) {
    std::cout << "\n(the shared data folder was not found, so the real-recording part is skipped; pass --data ../shared/data)\n";
  } else {
    real = fresh_folder(out.string() + "-real");
    step("5/6 Importing and analysing a real recording: two FDA-UE speakers as partners A and B, NeuroKit ECG/PPG/respiration for A");
    auto markers = std::filesystem::temp_directory_path() / ("dyad-demo-markers-" + std::to_string(::getpid()) + ".tsv");
    {
      std::ofstream mk(markers);
      mk << "onset_s\tduration_s\tlabel\tvalue\tsource\n0\t1.5\tbaseline\tn/a\tdemo\n1.5\t0\tbp\t118/76\tdemo\n";
    }
    // the recording's first 3 s of physiology, as long as the speech (a longer stream would rightly
    // draw the warning that the audio looks cut short)
    auto physio = std::filesystem::temp_directory_path() / ("dyad-demo-physio-" + std::to_string(::getpid()) + ".csv");
    {
      std::ifstream in(data / "physio/neurokit/bio_resting_5min_100hz.csv");
      std::ofstream cut(physio);
      std::string line;
      for (int n = 0; n <= 300 && std::getline(in, line); ++n) cut << line << '\n';
    }
    std::vector<std::string> args = {"import", real.string(),
                                     "--audio", "A=" + (data / "pitch/fda_ue_dev/rl001.wav").string(),
                                     "--audio", "B=" + (data / "pitch/fda_ue_dev/sb001.wav").string(),
                                     "--physio", physio.string(),
                                     "--role", "A", "--rate", "100",
                                     "--markers", markers.string(),
                                     "--couple", "demo", "--session-number", "1", "--session-type", "integration"};
    int rc = run_program(self, args);
    std::filesystem::remove(markers);
    std::filesystem::remove(physio);
    if (rc != 0) throw CLI::RuntimeError(rc);
    run({"info", real.string()});
    run({"analyze", real.string()});
  }
  if (o.no_view) return;
  step("6/6 The viewer");
  const bool window = have_display() && o.screenshot.empty();
  show(self, out, o.screenshot.empty() ? out.string() + ".png" : o.screenshot, window);
  if (!real.empty()) show(self, real, real.string() + ".png", window);
}
}  // namespace

void add_demo(CLI::App& app) {
  auto o = std::make_shared<DemoOptions>();
  auto* cmd = app.add_subcommand("demo", "Show the product end to end: record 3 s live through PortAudio (a JACK dummy server when there is no sound card), simulate a ten-minute session with exact ground truth "
                                         "(dyad simulate), summarise and analyse it, then import and analyse a short real recording from the shared data "
                                         "(skipped when it is not found), and open both in the viewer (or render them to PNGs when "
                                         "there is no display).");
  cmd->add_option("--data", o->data, "The shared data folder for the real recording (default: found near the working folder or $DYAD_DATA)");
  cmd->add_option("--out", o->out, "Simulated session folder to create (default ./dyad-demo, or -2, -3... if it exists); "
                                   "the real recording goes to OUT-real");
  cmd->add_option("--seed", o->seed, "Seed of the simulated session")->capture_default_str()->check(check::whole());
  cmd->add_option("--screenshot", o->screenshot, "Render the simulated session's viewer to this PNG even when a display exists");
  cmd->add_flag("--no-view", o->no_view, "Stop before the viewer");
  cmd->callback([o] { run_demo(*o); });
}

}  // namespace dyad::cli
