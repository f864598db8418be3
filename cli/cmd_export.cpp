// dyad export SESSION --format F --out PATH [--force]: write a session for other tools.
// One interface for every format: a registry from format name to writer. The annotation formats
// (rttm, textgrid, eaf) come from formats::export_formats(); the file and folder formats for labs
// (edf, bdf, xdf, wav, flac, csv, bids) are registered here.
#include <functional>
#include <iostream>
#include <map>

#include "common.hpp"
#include "dyad/formats/deidentify.hpp"
#include "dyad/formats/edf.hpp"
#include "dyad/formats/error.hpp"
#include "dyad/formats/export.hpp"
#include "dyad/formats/export_labs.hpp"
#include "dyad/formats/session.hpp"
#include "dyad/formats/xdf.hpp"

namespace dyad::cli {

namespace {

struct ExportOptions {
  std::string session, format, out, task = "dyad", secret_file;
  bool force = false, deidentify = false;
};

struct Exporter {
  std::string help;
  /// Writes; returns the paths written (printed on stdout).
  std::function<std::vector<std::filesystem::path>(const formats::Session&, const ExportOptions&)> write;
};

const std::map<std::string, Exporter>& exporters() {
  static const std::map<std::string, Exporter> m = [] {
    std::map<std::string, Exporter> r = {
        {"edf", {"EDF+C file: streams on a uniform grid, markers/events as annotations",
                 [](const formats::Session& s, const ExportOptions& o) {
                   for (auto& w : formats::export_edf(s, o.out, false, o.force)) warn(w);
                   return std::vector<std::filesystem::path>{o.out};
                 }}},
        {"bdf", {"BDF+C file (24-bit), as edf",
                 [](const formats::Session& s, const ExportOptions& o) {
                   for (auto& w : formats::export_edf(s, o.out, true, o.force)) warn(w);
                   return std::vector<std::filesystem::path>{o.out};
                 }}},
        {"xdf", {"XDF file: the whole session, audio included",
                 [](const formats::Session& s, const ExportOptions& o) {
                   ProgressLine p("writing XDF");
                   formats::export_xdf(s, o.out, o.force, [&](double f, const std::string&) { p.update(f); });
                   return std::vector<std::filesystem::path>{o.out};
                 }}},
        {"wav", {"folder of mono float WAV files, one per role",
                 [](const formats::Session& s, const ExportOptions& o) {
                   ProgressLine p("writing WAV");
                   return formats::export_audio_per_role(s, o.out, "wav", o.force, [&](double f, const std::string&) { p.update(f); });
                 }}},
        {"flac", {"folder of mono 24-bit FLAC files, one per role",
                  [](const formats::Session& s, const ExportOptions& o) {
                    ProgressLine p("writing FLAC");
                    return formats::export_audio_per_role(s, o.out, "flac", o.force, [&](double f, const std::string&) { p.update(f); });
                  }}},
        {"csv", {"folder with every features/ table as CSV and its codebook",
                 [](const formats::Session& s, const ExportOptions& o) { return formats::export_csv(s, o.out, o.force); }}},
        {"bids", {"BIDS folder: *_physio.tsv.gz + JSON, *_events.tsv, audio",
                  [](const formats::Session& s, const ExportOptions& o) {
                    ProgressLine p("writing BIDS");
                    return formats::export_bids(s, o.out, o.force, o.task, [&](double f, const std::string&) { p.update(f); });
                  }}},
    };
    for (const auto& f : formats::export_formats()) {
      std::string name = f.name;
      r[name] = {f.description + " (file; from features/, run 'dyad analyze' first)",
                 [name](const formats::Session& s, const ExportOptions& o) {
                   formats::export_session(s.dir, name, o.out, o.force);
                   return std::vector<std::filesystem::path>{o.out};
                 }};
    }
    return r;
  }();
  return m;
}

std::string format_names(const char* sep) {
  std::string names;
  for (auto& [n, _] : exporters()) names += (names.empty() ? "" : sep) + n;
  return names;
}

/// --deidentify: features and turn timings only, keyed pseudonyms (formats/deidentify.hpp).
void run_deidentified(const ExportOptions& o) {
  if (!o.format.empty())
    throw CLI::ValidationError("--deidentify", "writes its own folder of features; leave out --format");
  if (o.secret_file.empty())
    throw CLI::ValidationError("--deidentify", "needs --secret-file FILE, the lab's secret for keyed pseudonyms "
                                               "(make one once with: head -c 32 /dev/urandom | base64 > FILE)");
  std::string warning;
  const std::string secret = formats::read_lab_secret(o.secret_file, &warning);
  if (!warning.empty()) warn(warning);
  formats::Session s = formats::Session::open(o.session);
  for (auto& w : s.warnings) warn(w);
  auto rep = formats::export_deidentified(s, o.out, secret, o.force);
  for (auto& l : rep.left_out) note("left out: " + l);
  for (auto& p : rep.written) std::cout << p.string() << "\n";
}

void run_export(const ExportOptions& o) {
  if (o.deidentify) return run_deidentified(o);
  if (o.format.empty()) throw CLI::RequiredError("--format");
  auto it = exporters().find(o.format);
  if (it == exporters().end())
    throw UsageError("export: --format must be one of " + format_names(", ") + ", found '" + o.format + "'");
  formats::Session s = formats::Session::open(o.session);
  for (auto& w : s.warnings) warn(w);
  for (auto& p : it->second.write(s, o)) std::cout << p.string() << "\n";
}

}  // namespace

void add_export(CLI::App& app) {
  auto o = std::make_shared<ExportOptions>();
  std::string list;
  for (auto& [n, e] : exporters()) list += "  " + n + ": " + e.help + "\n";
  auto* cmd = app.add_subcommand("export", "Write a session in a format other tools read. Never replaces a file without --force.\n" + list +
                                               "  dyad export S --format textgrid --out s.TextGrid\n"
                                               "  dyad export S --format edf --out s.edf\n"
                                               "  dyad export S --format wav --out s_audio/\n"
                                               "  dyad export S --deidentify --secret-file lab.secret --out s_shared/");
  cmd->add_option("SESSION", o->session, "Session folder")->required();
  cmd->add_option("--format", o->format, format_names(", ") + " (required unless --deidentify)");
  cmd->add_option("--out", o->out, "Output file (edf, bdf, xdf, rttm, textgrid, eaf) or folder (wav, flac, csv, bids)")->required();
  cmd->add_option("--task", o->task, "BIDS task label")->capture_default_str();
  cmd->add_flag("--force", o->force, "Replace existing output files");
  cmd->add_flag("--deidentify", o->deidentify,
                "Write a folder of features and turn timings only, for sharing: no audio, raw streams, names, notes or dates; "
                "couple, participant and session ids become keyed pseudonyms (same person, same pseudonym) (README \"Privacy\")");
  cmd->add_option("--secret-file", o->secret_file, "The lab's secret for --deidentify's pseudonyms (at least 16 bytes; keep it 0600)");
  cmd->callback([o] { run_export(*o); });
}

}  // namespace dyad::cli
