// dyad import-annotations SESSION FILE.TextGrid|FILE.eaf|FILE.rttm [--tier NAME|ROLE=NAME ...] [--force] [--allow-length-mismatch]
#include <algorithm>
#include <cctype>
#include <cmath>
#include <iostream>

#include "common.hpp"
#include "dyad/formats/annotations.hpp"
#include "dyad/formats/files.hpp"
#include "dyad/formats/manifest.hpp"
#include "dyad/formats/text.hpp"
#include "dyad/formats/session.hpp"

namespace dyad::cli {

namespace {
struct ImportAnnCli {
  std::string session, file;
  std::vector<std::string> tiers;
  bool force = false, any_length = false;
};
}  // namespace

void add_import_annotations(CLI::App& app) {
  auto o = std::make_shared<ImportAnnCli>();
  auto* cmd = app.add_subcommand(
      "import-annotations",
      "Take talkspurt tiers corrected in Praat (TextGrid) or ELAN (eaf), or a diarization's RTTM, as the session's segments of record "
      "(stored in annotations/segments.tsv); the next 'dyad analyze' uses them instead of voice activity detection.");
  cmd->add_option("SESSION", o->session, "Session folder")->required();
  cmd->add_option("FILE", o->file, "A .TextGrid, .eaf or .rttm file (RTTM: a tier per speaker name)")->required();
  cmd->add_option("--tier", o->tiers,
                  "A talkspurt tier: NAME (a tier named A, B or therapist) or ROLE=NAME; default: every tier named after a role");
  cmd->add_flag("--force", o->force,
                "Replace corrections imported before (the old ones are kept under annotations/history/)");
  cmd->add_flag("--allow-length-mismatch", o->any_length,
                "Accept a TextGrid whose span differs from the session's length by more than 1 s");
  cmd->callback([o] {
    namespace fs = std::filesystem;
    for (auto& t : o->tiers) {
      const auto eq = t.find('=');
      if (eq != std::string::npos && !formats::is_valid_role(t.substr(0, eq)))
        throw UsageError("--tier " + t + ": '" + t.substr(0, eq) + "' is not a role (A, B or therapist); use ROLE=TIER");
      if (t.empty() || eq + 1 == t.size()) throw UsageError("--tier '" + t + "': no tier name");
    }
    auto s = formats::Session::open(o->session);
    const fs::path ann = fs::path(o->session) / "annotations";
    auto roles = s.audio_roles();
    if (roles.empty())
      for (auto& p : s.manifest.participants) roles.push_back(p.role);
    auto tiers = formats::read_annotation_file(o->file);
    auto segs = formats::segments_from_tiers(tiers, o->tiers, roles, o->file);
    std::vector<std::string> used = o->tiers;
    if (used.empty())
      for (auto& t : tiers)
        if (formats::is_valid_role(t.name) && t.intervals) used.push_back(t.name);
    if (fs::exists(ann / "segments.tsv") && !o->force)
      throw std::runtime_error((ann / "segments.tsv").string() +
                               ": corrections were imported before; add --force to replace them (the old ones are kept "
                               "under annotations/history/)");
    // A file from another session is the likely mistake: its talkspurts would silently replace these.
    const double dur = s.duration_s();
    double span = 0;
    for (auto& t : tiers)
      for (auto& it : t.items) span = std::max(span, it.end_s);
    for (auto& g : segs)
      if (g.end_s > dur + 0.5)
        throw std::runtime_error(o->file + ": a talkspurt of " + g.role + " ends at " + formats::format_number(g.end_s) +
                                 " s, after the end of " + o->session + " (" + formats::format_number(dur) +
                                 " s): is the file from another session?");
    std::string ext = fs::path(o->file).extension().string();
    for (auto& ch : ext) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (ext == ".textgrid" && std::abs(span - dur) > 1.0 && !o->any_length)
      throw std::runtime_error(o->file + ": the TextGrid spans " + formats::format_number(span) + " s but " + o->session +
                               " is " + formats::format_number(dur) +
                               " s long: is it from another session? (--allow-length-mismatch imports it anyway)");
    if (fs::exists(ann / "segments.tsv")) {
      std::string stamp = formats::utc_now_iso8601();
      for (auto& ch : stamp)
        if (ch == ':') ch = '-';
      formats::make_private_dir(ann / "history");
      for (const char* f : {"segments.tsv", "segments.json"})
        if (fs::exists(ann / f)) {
          const fs::path to = ann / "history" / (stamp + "-" + f);
          fs::copy_file(ann / f, to);
          note("kept the previous " + std::string(f) + " as " + to.string());
        }
    }
    formats::write_annotation_segments(o->session, segs, std::filesystem::path(o->file).filename().string(), used);
    note("stored " + std::to_string(segs.size()) + " talkspurts in " +
         (std::filesystem::path(o->session) / "annotations" / "segments.tsv").string() + "; run 'dyad analyze' to use them");
  });
}

}  // namespace dyad::cli
