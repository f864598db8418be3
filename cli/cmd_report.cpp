// dyad report SESSION --out report.pdf|report.png [--force]: the one-page clinical report. Drawn by
// dyad-viewer (Qt), started here in its report mode, so the dyad program itself never loads Qt.
#include <iostream>

#include "common.hpp"
#include "dyad/formats/session.hpp"

namespace dyad::cli {

namespace {
struct ReportOptions {
  std::string session, out;
  bool force = false;
};
}  // namespace

void add_report(CLI::App& app) {
  auto o = std::make_shared<ReportOptions>();
  auto* cmd = app.add_subcommand(
      "report",
      "Write the one-page clinical report of a session (A4): who, when, session type; the timeline of the whole session;\n"
      "the key numbers, each with what it means; the summary charts. PDF or PNG by the extension of --out.\n"
      "  dyad report s7 --out s7-report.pdf");
  cmd->add_option("SESSION", o->session, "Session folder (analysed with dyad analyze for the numbers and charts)")->required();
  cmd->add_option("--out", o->out, "The report: a .pdf (vector, A4) or .png (A4 at 150 dpi)")->required();
  cmd->add_flag("--force", o->force, "Replace an existing file");
  cmd->callback([o] {
    formats::Session::open(o->session);  // clear errors before Qt starts
    std::filesystem::path out = o->out;
    std::string ext = out.extension().string();
    for (auto& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (ext != ".pdf" && ext != ".png")
      throw std::runtime_error(o->out + ": the report is written as .pdf or .png; found '" + out.extension().string() + "'");
    std::error_code ec;
    if (std::filesystem::exists(out, ec) && !o->force) throw std::runtime_error(o->out + ": already exists; add --force to replace it");
    auto viewer = find_program("dyad-viewer");
    if (viewer.empty())
      throw std::runtime_error("dyad-viewer was not found beside dyad or on PATH (the report is drawn by it; was the viewer built?)");
    std::vector<std::string> args{o->session, "--report", o->out};
    if (o->force) args.push_back("--force");
    // The report needs no display: always the offscreen platform.
    int rc = run_program(viewer, args, {"QT_QPA_PLATFORM=offscreen"});
    if (rc != 0) throw CLI::RuntimeError(rc);
    std::cout << o->out << "\n";
  });
}

}  // namespace dyad::cli
