// dyad import OUT ...: build a session folder from recordings made elsewhere.
#include <iostream>

#include "common.hpp"
#include "dyad/formats/error.hpp"
#include "dyad/formats/import.hpp"
#include "dyad/formats/session.hpp"
#include "dyad/formats/text.hpp"
#include "dyad/formats/xdf.hpp"
#include "dyad/formats/edf.hpp"

namespace dyad::cli {

namespace {

struct ImportOptions {
  std::string out;
  std::vector<std::string> audio;
  std::string roles;
  std::vector<std::string> physio;
  std::vector<std::string> physio_roles;
  std::string time_column;
  double rate_hz = 0;
  std::string kind;
  std::vector<std::string> column_kinds;
  double offset_s = 0;
  std::string markers;
  std::string couple = "unknown";
  long long session_number = 1;
  std::string session_type = "other";
  std::string xdf;
  std::vector<std::string> xdf_roles;
  std::string audio_roles;
  std::string edf;
  bool couple_given = false, session_number_given = false, session_type_given = false;  ///< on the command line
};

void run_import(const ImportOptions& o) {
  if (o.audio.empty() && o.physio.empty() && o.xdf.empty() && o.edf.empty())
    throw UsageError("import: give --audio, --physio, --xdf or --edf");
  if (!o.xdf.empty() && !o.audio.empty())
    throw UsageError("import: --xdf brings its own time zero; it cannot be combined with --audio");
  formats::XdfImportOptions xo;
  xo.couple_given = o.couple_given;
  xo.session_number_given = o.session_number_given;
  xo.session_type_given = o.session_type_given;
  if (!o.audio_roles.empty()) xo.audio_roles = split_list(o.audio_roles);
  for (auto& r : o.xdf_roles) {
    auto eq = r.rfind('=');
    if (eq == std::string::npos || eq == 0)
      throw UsageError("import: --xdf-role expects STREAM=ROLE, found '" + r + "'");
    xo.roles[r.substr(0, eq)] = r.substr(eq + 1);
  }
  if (!formats::is_valid_session_type(o.session_type))
    throw UsageError("import: --session-type must be preparation, dosing, integration or other, found '" + o.session_type + "'");
  // Audio sources: either ROLE=FILE per file, or one multichannel FILE with --roles.
  std::vector<formats::AudioSource> sources;
  for (auto& a : o.audio) {
    auto eq = a.find('=');
    std::error_code ec;  // "C=a.wav" (not a file of that name): ROLE=FILE with a role that is not one
    if (eq != std::string::npos && eq > 0 && !formats::is_valid_role(a.substr(0, eq)) && o.roles.empty() &&
        a.find('/') > eq && !std::filesystem::exists(a, ec))
      throw UsageError("import: --audio " + a + ": '" + a.substr(0, eq) + "' is not a role; the roles are A, B and therapist");
    if (eq != std::string::npos && formats::is_valid_role(a.substr(0, eq))) {
      if (!o.roles.empty())
        throw UsageError("import: use either --audio ROLE=FILE or --audio FILE --roles A,B, not both");
      sources.push_back({a.substr(eq + 1), {a.substr(0, eq)}});
    } else {
      if (o.roles.empty())
        throw UsageError("import: --audio " + a + ": give it as ROLE=FILE (e.g. A=partnerA.wav) or add --roles A,B for a multichannel file");
      if (o.audio.size() != 1)
        throw UsageError("import: --roles goes with exactly one multichannel --audio file");
      sources.push_back({a, split_list(o.roles)});
    }
  }
  if (!o.physio_roles.empty() && o.physio_roles.size() != 1 && o.physio_roles.size() != o.physio.size())
    throw UsageError("import: give one --role, or one --role per --physio file");
  if (!o.physio.empty() && o.physio_roles.empty())
    throw UsageError("import: --physio needs --role A|B|therapist");
  std::map<std::string, std::string> column_kinds;
  for (auto& ck : o.column_kinds) {
    auto eq = ck.find('=');
    if (eq == std::string::npos || eq == 0)
      throw UsageError("import: --column expects NAME=KIND, found '" + ck + "'");
    column_kinds[ck.substr(0, eq)] = ck.substr(eq + 1);
  }
  std::filesystem::path out = o.out;
  std::error_code ec;
  bool existed = std::filesystem::exists(out, ec);
  formats::create_session_dir(out);
  try {
    auto m = formats::new_manifest(o.couple, o.session_number, o.session_type);
    if (!sources.empty()) {
      ProgressLine p("importing audio");
      for (auto& w : formats::import_audio(out, m, sources, [&](double f, const std::string&) { p.update(f); })) warn(w);
    }
    if (!o.xdf.empty()) {
      ProgressLine p("importing XDF");
      for (auto& w : formats::import_xdf(out, m, o.xdf, xo, [&](double f, const std::string&) { p.update(f); })) warn(w);
    }
    if (!o.edf.empty()) {
      formats::EdfImportOptions eo;
      eo.role = o.physio_roles.empty() ? "" : o.physio_roles.front();
      ProgressLine p("importing EDF");
      for (auto& w : formats::import_edf(out, m, o.edf, eo, [&](double f, const std::string&) { p.update(f); })) warn(w);
    }
    std::vector<formats::PhysioImport> specs;
    for (std::size_t i = 0; i < o.physio.size(); ++i) {
      formats::PhysioImport spec;
      spec.path = o.physio[i];
      spec.role = o.physio_roles.size() == 1 ? o.physio_roles[0] : o.physio_roles[i];
      spec.time_column = o.time_column;
      spec.rate_hz = o.rate_hz;
      spec.kind = o.kind;
      spec.column_kinds = column_kinds;
      spec.offset_s = o.offset_s;
      specs.push_back(std::move(spec));
    }
    if (!specs.empty())
      for (auto& w : formats::import_physio(out, m, specs)) warn(w);
    if (!o.markers.empty()) formats::import_markers(out, o.markers);
    m.status = "complete";
    formats::write_manifest(out, m);
    for (auto& w : formats::Session::open(out).warnings) warn(w);  // prove what was written reads back
  } catch (...) {
    // Remove only what this import created; a folder that existed (empty) is left in place.
    if (!existed) std::filesystem::remove_all(out, ec);
    throw;
  }
  std::cout << out.string() << "\n";
}

}  // namespace

void add_import(CLI::App& app) {
  auto o = std::make_shared<ImportOptions>();
  auto* cmd = app.add_subcommand("import", "Create a session folder from audio, physiology and markers recorded elsewhere.\n"
                                           "  dyad import OUT --audio A=partnerA.wav --audio B=partnerB.wav\n"
                                           "  dyad import OUT --audio stereo.wav --roles A,B\n"
                                           "  dyad import OUT --physio ecg.csv --role A --rate 500 --kind ecg\n"
                                           "  dyad import OUT --xdf recording.xdf [--xdf-role 'Polar H10=B']\n"
                                           "  dyad import OUT --edf night.edf --role A\n"
                                           "OUT must not exist, or be empty.");
  cmd->add_option("OUT", o->out, "New session folder")->required();
  cmd->add_option("--audio", o->audio, "ROLE=FILE, one mono file per role (same rate; shorter ones padded with silence), "
                                       "or one multichannel FILE with --roles")->take_all();
  cmd->add_option("--roles", o->roles, "Roles of the channels of a multichannel --audio file, e.g. A,B or A,B,therapist");
  cmd->add_option("--physio", o->physio, "CSV or TSV of one partner's physiology with a header line; each value column "
                                         "becomes a stream <column>_<role> (repeatable)");
  cmd->add_option("--role", o->physio_roles, "Role of the --physio file(s): A, B or therapist (one, or one per --physio)");
  cmd->add_option("--time-column", o->time_column, "Column of times in seconds (session seconds when audio is imported too)");
  cmd->add_option("--rate", o->rate_hz, "Sample rate in Hz when the file has no time column")->check(check::positive());
  cmd->add_option("--kind", o->kind, "Kind of every value column: ecg, ppg, eda, resp, bp, hr, generic (default: from the name)");
  cmd->add_option("--column", o->column_kinds, "NAME=KIND: the kind of one column (repeatable)");
  cmd->add_option("--offset", o->offset_s, "Seconds added to every physiology time (default 0)")->check(check::number());
  cmd->add_option("--markers", o->markers, "A markers table (onset_s, duration_s, label[, value, source]) to copy in");
  cmd->add_option("--xdf", o->xdf, "A LabRecorder XDF file: its Audio stream becomes the session audio, numeric streams become "
                                   "sensor streams (clock offsets applied), string streams markers");
  cmd->add_option("--xdf-role", o->xdf_roles, "STREAM=ROLE: the role of an XDF stream (default: from a name ending in _A/_B, else A)");
  cmd->add_option("--audio-roles", o->audio_roles, "Roles of the XDF audio stream's channels (default A,B,therapist in order)");
  cmd->add_option("--edf", o->edf, "An EDF/EDF+ or BDF/BDF+ file: each signal becomes a stream (physical units), annotations markers; "
                                   "--role gives the partner (default A)");
  // not given: an XDF file dyad exported brings its own (its header keeps the session's identity)
  auto* couple = cmd->add_option("--couple", o->couple, "Couple id (pseudonymous)")->capture_default_str();
  auto* number = cmd->add_option("--session-number", o->session_number, "Session number in the course of treatment")->capture_default_str()->check(check::whole());
  auto* type = cmd->add_option("--session-type", o->session_type, "preparation, dosing, integration or other")->capture_default_str();
  cmd->callback([o, couple, number, type] {
    o->couple_given = couple->count() > 0;
    o->session_number_given = number->count() > 0;
    o->session_type_given = type->count() > 0;
    run_import(*o);
  });
}

}  // namespace dyad::cli
