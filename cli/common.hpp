#pragma once
/// \file Shared helpers of the `dyad` command: subcommand registration, progress, messages.
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace dyad::cli {

/// Registers one subcommand on the app; each cmd_*.cpp provides one.
void add_info(CLI::App& app);
void add_import(CLI::App& app);
void add_demo(CLI::App& app);
void add_view(CLI::App& app);
void add_report(CLI::App& app);
void add_devices(CLI::App& app);
void add_analyze(CLI::App& app);
void add_export(CLI::App& app);
void add_import_annotations(CLI::App& app);
void add_pitch(CLI::App& app);
void add_voice(CLI::App& app);
void add_table(CLI::App& app);
void add_record(CLI::App& app);
void add_recover(CLI::App& app);
void add_simulate(CLI::App& app);
void add_simulate_sensors(CLI::App& app);
void add_sync_check(CLI::App& app);
void add_seal(CLI::App& app);
void add_unseal(CLI::App& app);

/// Session folders named by command-line inputs: a session folder, a folder of sessions (its
/// sub-folders holding a session.json, sorted) or a glob. Inputs that are none of these are kept,
/// so the command reports them.
std::vector<std::filesystem::path> expand_sessions(const std::vector<std::string>& inputs);

/// A one-line progress display on stderr (only when stderr is a terminal, else a line per 10 %).
class ProgressLine {
 public:
  explicit ProgressLine(std::string what) : what_(std::move(what)) {}
  ~ProgressLine() { done(); }
  void update(double fraction);
  void done();

 private:
  std::string what_;
  int last_ = -1;
  bool finished_ = false;
};

/// Prints "dyad: warning: ..." to stderr.
void warn(const std::string& message);
/// Prints "dyad: ..." to stderr (progress and notes, so stdout stays parseable).
void note(const std::string& message);

/// The folder holding this executable (for finding dyad-viewer beside it).
std::filesystem::path exe_dir();
/// Finds a sibling program (e.g. dyad-viewer) beside this executable, else on PATH; "" if none.
std::filesystem::path find_program(const std::string& name);
/// Runs a program with arguments, waits; returns its exit status. `env` adds NAME=VALUE pairs.
int run_program(const std::filesystem::path& program, const std::vector<std::string>& args,
                const std::vector<std::string>& env = {});
/// True when a display (X11 or Wayland) is available.
bool have_display();
/// "HH:MM:SS.mmm".
std::string format_hms(double seconds);
/// Splits "a,b,c".
std::vector<std::string> split_list(const std::string& s);

}  // namespace dyad::cli
