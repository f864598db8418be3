#pragma once
/// \file Shared helpers of the `dyad` command: subcommand registration, progress, messages.
#include <filesystem>
#include <cstdint>
#include <functional>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace dyad::cli {

/// A bad option value or a misuse of the command line found after parsing: main() prints it as it
/// prints CLI11's own parse errors and exits 2 (README "Commands"). Errors about files and data
/// are other exceptions and exit 1.
class UsageError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

/// Runs a library's check of parameters that came from options (e.g. `analysis::validate`) and
/// turns its std::invalid_argument into a UsageError, `prefix` put before its message. With
/// `drop_class_name` the class the message starts with goes ("CrosstalkVad: bands must be..." ->
/// prefix + "bands must be...": the parameter names the options take).
template <class F>
void as_usage(F&& check, const std::string& prefix = "", bool drop_class_name = false) {
  try {
    check();
  } catch (const UsageError&) {
    throw;
  } catch (const std::invalid_argument& e) {
    std::string m = e.what();
    const auto colon = m.find(": ");
    if (drop_class_name && colon != std::string::npos && m.find_first_of(" =", 0) > colon) m.erase(0, colon + 2);
    throw UsageError(prefix + m);
  }
}

/// Option validators for numbers, used by every command instead of CLI11's PositiveNumber and
/// NonNegativeNumber (which print the range as a 309-digit number and call "abc" out of range).
/// CLI11 puts the option's name first: "--window: expected a number > 0, got '0'",
/// "--window: expected a number, got 'abc'". NaN and infinities are refused by all of them.
namespace check {
CLI::Validator number();                          ///< any finite number
CLI::Validator positive();                        ///< a finite number > 0
CLI::Validator non_negative();                    ///< a finite number >= 0
CLI::Validator between(double lo, double hi);     ///< a finite number from lo to hi
/// A whole number from 0 to `max` (no sign, so "-1" is refused rather than wrapped around).
CLI::Validator whole(std::uint64_t max = std::numeric_limits<std::uint64_t>::max());
}  // namespace check

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
