// dyad export SESSION --format rttm|textgrid|eaf --out PATH [--force]
#include <iostream>

#include "common.hpp"
#include "dyad/formats/export.hpp"

namespace dyad::cli {

namespace {
struct ExportCli {
  std::string session, format, out;
  bool force = false;
};
}  // namespace

void add_export(CLI::App& app) {
  auto o = std::make_shared<ExportCli>();
  std::string names;
  for (auto& f : formats::export_formats()) names += (names.empty() ? "" : "|") + f.name;
  auto* cmd = app.add_subcommand("export",
                                 "Export a session's talkspurts and turn-taking events (from features/; run 'dyad analyze' first) "
                                 "for Praat, ELAN or diarization tools. Never replaces a file without --force.");
  cmd->add_option("SESSION", o->session, "Session folder")->required();
  cmd->add_option("--format", o->format, "Format: " + names)->required();
  cmd->add_option("--out", o->out, "Output file")->required();
  cmd->add_flag("--force", o->force, "Replace the output file if it exists");
  cmd->callback([o] {
    formats::export_session(o->session, o->format, o->out, o->force);
    note("wrote " + o->out);
  });
}

}  // namespace dyad::cli
