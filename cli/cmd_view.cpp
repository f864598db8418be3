// dyad view SESSION...: start dyad-viewer (the recorder itself never loads Qt). Several sessions, or
// a folder of them, open as a course of treatment.
#include <iostream>

#include "common.hpp"
#include "dyad/formats/session.hpp"

namespace dyad::cli {

namespace {
struct ViewOptions {
  std::vector<std::string> sessions;
  std::string screenshot;
  std::string size, tab;
  double from_s = -1, to_s = -1;
};
}  // namespace

void add_view(CLI::App& app) {
  auto o = std::make_shared<ViewOptions>();
  auto* cmd = app.add_subcommand(
      "view",
      "Open a session in the viewer (dyad-viewer): timeline, turn list, summary dashboard, notes, report.\n"
      "Several sessions, or a folder of sessions, open as a course of treatment (measures side by side and as trends).\n"
      "--screenshot renders a PNG without a display.");
  cmd->add_option("SESSION", o->sessions, "Session folder(s), folders of sessions or globs")->required();
  cmd->add_option("--screenshot", o->screenshot, "Render to this PNG instead of opening a window (no display needed)");
  cmd->add_option("--from", o->from_s, "Start of the visible range in seconds")->check(check::non_negative());
  cmd->add_option("--to", o->to_s, "End of the visible range in seconds")->check(check::non_negative());
  cmd->add_option("--size", o->size, "Screenshot size WxH (default 1600x900)");
  cmd->add_option("--tab", o->tab, "The tab shown: timeline (default) or summary")->check(CLI::IsMember({"timeline", "summary"}));
  cmd->callback([o] {
    auto dirs = expand_sessions(o->sessions);
    for (auto& s : dirs) formats::Session::open(s);  // clear errors before Qt starts
    auto viewer = find_program("dyad-viewer");
    if (viewer.empty()) throw std::runtime_error("dyad-viewer was not found beside dyad or on PATH (was the viewer built?)");
    std::vector<std::string> args;
    for (auto& d : dirs) args.push_back(d.string());
    std::vector<std::string> env;
    if (!o->screenshot.empty()) {
      args.push_back("--screenshot");
      args.push_back(o->screenshot);
      if (!have_display()) env.push_back("QT_QPA_PLATFORM=offscreen");
    } else if (!have_display()) {
      throw std::runtime_error("no display (DISPLAY is not set); use 'dyad view SESSION --screenshot out.png'");
    }
    if (o->from_s >= 0) args.insert(args.end(), {"--from", std::to_string(o->from_s)});
    if (o->to_s >= 0) args.insert(args.end(), {"--to", std::to_string(o->to_s)});
    if (!o->size.empty()) args.insert(args.end(), {"--size", o->size});
    if (!o->tab.empty()) args.insert(args.end(), {"--tab", o->tab});
    int rc = run_program(viewer, args, env);
    if (rc != 0) throw CLI::RuntimeError(rc);
  });
}

}  // namespace dyad::cli
