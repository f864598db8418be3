// dyad table SESSIONS... --out features.csv [--wide wide.csv]: gather features across sessions.
#include <iostream>

#include "common.hpp"
#include "dyad/formats/error.hpp"
#include "dyad/formats/files.hpp"
#include "dyad/formats/table.hpp"

namespace dyad::cli {

namespace {

struct TableOptions {
  std::vector<std::string> sessions;
  std::string out, wide;
  bool force = false;
};

void run_table(const TableOptions& o) {
  std::vector<std::filesystem::path> dirs(o.sessions.begin(), o.sessions.end());
  formats::TidyTable t = formats::gather_features(dirs);
  for (auto& w : t.warnings) warn(w);
  if (t.rows.empty()) throw formats::FormatError(formats::ErrorKind::malformed, "table: no features found in the " + std::to_string(dirs.size()) + " session(s) given");
  formats::write_file_new(o.out, formats::tidy_csv(t), o.force);
  std::cout << o.out << "\n";
  if (!o.wide.empty()) {
    formats::write_file_new(o.wide, formats::wide_csv(t), o.force);
    std::cout << o.wide << "\n";
  }
}

}  // namespace

void add_table(CLI::App& app) {
  auto o = std::make_shared<TableOptions>();
  auto* cmd = app.add_subcommand("table", "Gather features/ of many sessions into one tidy long CSV (one value per row) and optionally a wide\n"
                                          "per-session CSV, for R and pandas.\n"
                                          "  dyad table sessions/* --out features.csv --wide sessions.csv");
  cmd->add_option("SESSIONS", o->sessions, "Session folders (analysed)")->required();
  cmd->add_option("--out", o->out, "The long table: session_id,couple_id,session_number,session_type,role,table,unit,index,start_s,end_s,metric,value")->required();
  cmd->add_option("--wide", o->wide, "Also a wide table: one row per session");
  cmd->add_flag("--force", o->force, "Replace existing output files");
  cmd->callback([o] { run_table(*o); });
}

}  // namespace dyad::cli
