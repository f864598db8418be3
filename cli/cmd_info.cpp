// dyad info SESSION: validate a session folder and summarise it.
#include <iostream>
#include <map>

#include <nlohmann/json.hpp>

#include "common.hpp"
#include "dyad/analysis/levels.hpp"
#include "dyad/formats/session.hpp"
#include "dyad/formats/text.hpp"

namespace dyad::cli {

namespace {

struct InfoOptions {
  std::string session;
  bool json = false;
  bool levels = false;
};

void print_text(const formats::Session& s, const std::vector<analysis::ChannelLevel>& levels) {
  const auto& m = s.manifest;
  using formats::format_fixed;
  std::cout << "session       " << s.dir.string() << "\n";
  std::cout << "id            " << m.id << "\n";
  std::cout << "couple        " << m.couple_id << ", session " << m.session_number << " (" << m.session_type << ")\n";
  std::cout << "created       " << m.created << (m.start_utc.empty() ? "" : ", frame 0 at " + m.start_utc) << "\n";
  std::cout << "status        " << m.status << "\n";
  std::cout << "duration      " << format_hms(s.duration_s()) << " (" << format_fixed(s.duration_s(), 3) << " s)\n";
  std::cout << "participants  ";
  for (std::size_t i = 0; i < m.participants.size(); ++i)
    std::cout << (i ? ", " : "") << m.participants[i].role << " (" << m.participants[i].id << ")";
  std::cout << (m.participants.empty() ? "none\n" : "\n");
  if (s.audio) {
    std::cout << "audio         " << m.audio->file << ": " << s.audio->format << ", "
              << formats::format_number(s.audio->sample_rate_hz) << " Hz, " << s.audio->channels << " channel(s), "
              << s.audio->frames << " frames\n";
    for (auto& c : m.audio->channels) std::cout << "  channel " << c.channel << "   " << c.role << "\n";
  } else {
    std::cout << "audio         none (physiology only)\n";
  }
  for (auto& l : levels)
    std::cout << "  level " << l.channel << " (" << (l.role.empty() ? "unmapped" : l.role) << ")  peak "
              << format_fixed(l.peak_dbfs, 1) << " dBFS, RMS " << format_fixed(l.rms_dbfs, 1) << " dBFS"
              << (l.clipped ? ", " + std::to_string(l.clipped) + " clipped samples" : "") << "\n";
  std::cout << "streams       " << s.streams.size() << "\n";
  for (auto& st : s.streams) {
    auto& sc = st.sidecar;
    std::cout << "  " << sc.name << "  " << sc.kind << "  role " << sc.role << "  "
              << (sc.nominal_rate_hz > 0 ? formats::format_number(sc.nominal_rate_hz) + " Hz" : std::string("irregular"))
              << ", " << st.samples << " samples, " << format_fixed(st.first_s, 3) << "–" << format_fixed(st.last_s, 3)
              << " s";
    if (st.samples > 1) std::cout << ", measured " << format_fixed((st.samples - 1) / (st.last_s - st.first_s), 3) << " Hz";
    std::cout << "\n";
  }
  std::map<std::string, int> labels;
  for (auto& mk : s.markers) labels[mk.label]++;
  std::cout << "markers       " << s.markers.size();
  if (!labels.empty()) {
    std::cout << " (";
    bool first = true;
    for (auto& [l, n] : labels) {
      std::cout << (first ? "" : ", ") << l << " " << n;
      first = false;
    }
    std::cout << ")";
  }
  std::cout << "\n";
  std::cout << "dropouts      " << (m.dropouts.empty() ? "none" : std::to_string(m.dropouts.size())) << "\n";
  for (auto& d : m.dropouts)
    std::cout << "  at " << format_fixed(d.start_s, 3) << " s: " << d.frames << " frames zero-filled\n";
  for (auto& w : s.warnings) std::cout << "warning       " << w << "\n";
}

void print_json(const formats::Session& s, const std::vector<analysis::ChannelLevel>& levels) {
  nlohmann::json j;
  j["session"] = s.dir.string();
  j["manifest"] = nlohmann::json::parse(formats::serialise_manifest(s.manifest));
  j["duration_s"] = s.duration_s();
  if (s.audio)
    j["audio"] = {{"format", s.audio->format},
                  {"sample_rate_hz", s.audio->sample_rate_hz},
                  {"channels", s.audio->channels},
                  {"frames", s.audio->frames}};
  j["streams"] = nlohmann::json::array();
  for (auto& st : s.streams)
    j["streams"].push_back({{"name", st.sidecar.name},
                            {"kind", st.sidecar.kind},
                            {"role", st.sidecar.role},
                            {"nominal_rate_hz", st.sidecar.nominal_rate_hz},
                            {"samples", st.samples},
                            {"first_s", st.first_s},
                            {"last_s", st.last_s}});
  j["markers"] = s.markers.size();
  j["levels"] = nlohmann::json::array();
  for (auto& l : levels)
    j["levels"].push_back({{"channel", l.channel}, {"role", l.role}, {"peak_dbfs", l.peak_dbfs}, {"rms_dbfs", l.rms_dbfs}, {"clipped", l.clipped}});
  j["warnings"] = s.warnings;
  std::cout << j.dump(2) << "\n";
}

}  // namespace

void add_info(CLI::App& app) {
  auto opt = std::make_shared<InfoOptions>();
  auto* cmd = app.add_subcommand("info", "Validate a session folder and summarise it (duration, couple and session, "
                                         "roles, streams and rates, markers, dropouts, status).");
  cmd->add_option("SESSION", opt->session, "Session folder")->required();
  cmd->add_flag("--json", opt->json, "Print the summary as JSON");
  cmd->add_flag("--levels", opt->levels, "Also read the whole audio and report peak and RMS level per channel");
  cmd->callback([opt] {
    auto s = formats::Session::open(opt->session);
    std::vector<analysis::ChannelLevel> levels;
    if (opt->levels) {
      ProgressLine p("reading audio");
      levels = analysis::channel_levels(s, [&](double f) { p.update(f); });
    }
    if (opt->json)
      print_json(s, levels);
    else
      print_text(s, levels);
  });
}

}  // namespace dyad::cli
