// dyad import-annotations SESSION FILE.TextGrid|FILE.eaf [--tier NAME|ROLE=NAME ...]
#include <iostream>

#include "common.hpp"
#include "dyad/formats/annotations.hpp"
#include "dyad/formats/session.hpp"

namespace dyad::cli {

namespace {
struct ImportAnnCli {
  std::string session, file;
  std::vector<std::string> tiers;
};
}  // namespace

void add_import_annotations(CLI::App& app) {
  auto o = std::make_shared<ImportAnnCli>();
  auto* cmd = app.add_subcommand(
      "import-annotations",
      "Take talkspurt tiers corrected in Praat (TextGrid) or ELAN (eaf) as the session's segments of record "
      "(stored in annotations/segments.tsv); the next 'dyad analyze' uses them instead of voice activity detection.");
  cmd->add_option("SESSION", o->session, "Session folder")->required();
  cmd->add_option("FILE", o->file, "A .TextGrid or .eaf file")->required();
  cmd->add_option("--tier", o->tiers,
                  "A talkspurt tier: NAME (a tier named A, B or therapist) or ROLE=NAME; default: every tier named after a role");
  cmd->callback([o] {
    auto s = formats::Session::open(o->session);
    auto roles = s.audio_roles();
    if (roles.empty())
      for (auto& p : s.manifest.participants) roles.push_back(p.role);
    auto tiers = formats::read_annotation_file(o->file);
    auto segs = formats::segments_from_tiers(tiers, o->tiers, roles, o->file);
    std::vector<std::string> used = o->tiers;
    if (used.empty())
      for (auto& t : tiers)
        if (formats::is_valid_role(t.name) && t.intervals) used.push_back(t.name);
    formats::write_annotation_segments(o->session, segs, std::filesystem::path(o->file).filename().string(), used);
    note("stored " + std::to_string(segs.size()) + " talkspurts in " +
         (std::filesystem::path(o->session) / "annotations" / "segments.tsv").string() + "; run 'dyad analyze' to use them");
  });
}

}  // namespace dyad::cli
