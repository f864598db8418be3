// dyad: record, import, analyse and review dyadic sessions. See README.md.
#include <sys/stat.h>

#include <clocale>
#include <iostream>

#include "common.hpp"
#include "dyad/formats/error.hpp"
#include "dyad/version.hpp"

int main(int argc, char** argv) {
  std::setlocale(LC_ALL, "");  // numbers in files are locale-proof (to_chars/from_chars)
  // Sessions are health data (DESIGN.md "Privacy"): whatever a library creates on dyad's behalf
  // (libsndfile, zlib, the C++ streams) is private too, not only what formats/ opens 0600/0700.
  ::umask(077);
  CLI::App app{"dyad: record and analyse dyadic sessions (two partners, optionally a therapist).\n"
               "Run 'dyad COMMAND --help' for the options of a command.",
               "dyad"};
  app.set_version_flag("--version", std::string("dyad ") + dyad::kVersion);
  app.require_subcommand(1);
  app.fallthrough(false);
  dyad::cli::add_info(app);
  dyad::cli::add_import(app);
  dyad::cli::add_devices(app);
  dyad::cli::add_record(app);
  dyad::cli::add_recover(app);
  dyad::cli::add_simulate(app);
  dyad::cli::add_simulate_sensors(app);
  dyad::cli::add_sync_check(app);
  dyad::cli::add_view(app);
  dyad::cli::add_report(app);
  dyad::cli::add_demo(app);
  dyad::cli::add_analyze(app);
  dyad::cli::add_export(app);
  dyad::cli::add_import_annotations(app);
  dyad::cli::add_pitch(app);
  dyad::cli::add_voice(app);
  dyad::cli::add_table(app);
  dyad::cli::add_seal(app);
  dyad::cli::add_unseal(app);
  auto usage = [&app](const std::string& what) {
    std::string cmd = "dyad";  // point at the help of the command that was being parsed
    for (const auto* sc : app.get_subcommands()) cmd += " " + sc->get_name();
    std::cerr << "dyad: error: " << what << " (see '" << cmd << " --help')\n";
    return 2;
  };
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::RuntimeError& e) {  // a command's own non-zero status, message already printed
    return e.get_exit_code();
  } catch (const CLI::ParseError& e) {  // an unknown option, a missing or malformed value
    return usage(e.what());
  } catch (const dyad::cli::UsageError& e) {  // an option value a command refused after parsing
    return usage(e.what());
  } catch (const dyad::formats::FormatError& e) {
    std::cerr << "dyad: error: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "dyad: error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
