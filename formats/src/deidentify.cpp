// De-identified export (deidentify.hpp).
#include "dyad/formats/deidentify.hpp"

#include <sodium.h>
#include <sys/stat.h>

#include <algorithm>
#include <map>
#include <regex>
#include <set>

#include <nlohmann/json.hpp>

#include "dyad/formats/error.hpp"
#include "dyad/formats/files.hpp"
#include "dyad/formats/manifest.hpp"
#include "dyad/formats/markers.hpp"
#include "dyad/formats/session.hpp"
#include "dyad/formats/text.hpp"

namespace dyad::formats {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

/// Markers kept (their value dropped): phases, exclusions and the recorder's own events.
const std::set<std::string> kPhaseLabels = {"baseline", "dosing",   "peak",          "integration",    "talk",
                                            "integration_talk", "phase_end", "exclude", "mark", "sensor_silent",
                                            "sensor_resumed"};
const std::set<std::string> kClinicalLabels = {"bp", "cadss", "hr", "spo2", "vas", "pain", "temp", "dose"};
/// Keys whose values are calendar dates or times of day, dropped wherever they appear.
const std::set<std::string> kDateKeys = {"created", "start_utc", "imported", "recovered_utc"};

void scrub(json& j, const std::map<std::string, std::string>& replace) {
  if (j.is_object()) {
    for (auto it = j.begin(); it != j.end();) {
      if (kDateKeys.count(it.key())) {
        it = j.erase(it);
      } else {
        scrub(it.value(), replace);
        ++it;
      }
    }
  } else if (j.is_array()) {
    for (auto& e : j) scrub(e, replace);
  } else if (j.is_string()) {
    auto it = replace.find(j.get<std::string>());
    if (it != replace.end()) j = it->second;
  }
}

}  // namespace

std::string read_lab_secret(const fs::path& path, std::string* warning) {
  std::string s = read_file(path);
  auto ws = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && ws(s.back())) s.pop_back();
  std::size_t a = 0;
  while (a < s.size() && ws(s[a])) ++a;
  s.erase(0, a);
  if (s.size() < 16)
    throw FormatError(ErrorKind::malformed, path.string() + ": the lab secret has " + std::to_string(s.size()) +
                                                " bytes; at least 16 are needed (make one once with: head -c 32 /dev/urandom | base64 > " +
                                                path.string() + "; chmod 600 " + path.string() + ")");
  struct stat st {};
  if (warning && ::stat(path.c_str(), &st) == 0 && (st.st_mode & 077))
    *warning = path.string() + ": the lab secret can be read by other users (chmod 600 " + path.string() + ")";
  return s;
}

std::string pseudonym(const std::string& secret, const std::string& kind, const std::string& value) {
  if (sodium_init() < 0) throw FormatError(ErrorKind::io, "libsodium cannot be initialised");
  std::string msg = kind;
  msg += '\0';
  msg += value;
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_state st;
  crypto_auth_hmacsha256_init(&st, reinterpret_cast<const unsigned char*>(secret.data()), secret.size());
  crypto_auth_hmacsha256_update(&st, reinterpret_cast<const unsigned char*>(msg.data()), msg.size());
  crypto_auth_hmacsha256_final(&st, mac);
  char hex[17];
  sodium_bin2hex(hex, sizeof hex, mac, 8);
  const std::string prefix = kind == "couple" ? "c" : kind == "participant" ? "p" : kind == "session" ? "s" : kind;
  return prefix + "-" + hex;
}

DeidentifyReport export_deidentified(const Session& s, const fs::path& out_dir, const std::string& secret, bool force) {
  const fs::path feat = s.dir / "features";
  std::error_code ec;
  if (!fs::is_directory(feat, ec))
    throw FormatError(ErrorKind::io, feat.string() + ": no features folder (run 'dyad analyze' first)");
  const Manifest& m = s.manifest;
  const std::string couple = pseudonym(secret, "couple", m.couple_id);
  const std::string session = pseudonym(secret, "session", m.id);
  std::map<std::string, std::string> replace = {{m.id, session}};
  if (!m.couple_id.empty()) replace[m.couple_id] = couple;

  DeidentifyReport rep;
  std::vector<std::pair<fs::path, std::string>> todo;
  // session.json: what a lab needs to join the tables, nothing that names or dates.
  json j;
  j["format"] = "dyad de-identified export";
  j["format_version"] = 1;
  j["session"] = session;
  j["couple"] = couple;
  j["session_number"] = m.session_number;
  j["session_type"] = m.session_type;
  j["participants"] = json::array();
  for (auto& p : m.participants)
    j["participants"].push_back({{"role", p.role}, {"pseudonym", pseudonym(secret, "participant", m.couple_id + std::string(1, '\0') + p.id)}});
  j["duration_s"] = s.duration_s();
  if (m.audio) j["audio"] = {{"sample_rate_hz", m.audio->sample_rate_hz}, {"roles", s.audio_roles()}};
  j["streams"] = json::array();
  for (auto& st : s.streams)
    j["streams"].push_back({{"name", st.sidecar.name}, {"kind", st.sidecar.kind}, {"role", st.sidecar.role},
                            {"nominal_rate_hz", st.sidecar.nominal_rate_hz}});
  j["dyad_version"] = m.dyad_version;
  j["deidentification"] = {
      {"pseudonyms", "HMAC-SHA256 with the lab's secret over kind NUL value, first 64 bits in hex (c- couple, p- participant "
                     "keyed by couple and id, s- session)"},
      {"times", "seconds from the session's first audio frame; no dates or times of day"},
      {"left_out", "audio, the audio overview, raw sensor samples, annotations, notes and other free-text markers, ids, dates"}};
  todo.emplace_back(out_dir / "session.json", j.dump(2) + "\n");

  // features: every table and its codebook as they are (session seconds), summary.json scrubbed.
  std::vector<fs::path> files;
  for (auto& e : fs::directory_iterator(feat))
    if (e.is_regular_file() && (e.path().extension() == ".tsv" || e.path().extension() == ".json")) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  bool any_table = false;
  for (auto& f : files) {
    std::string text = read_file(f);
    if (f.filename() == "summary.json") {
      json sj;
      try {
        sj = json::parse(text);
      } catch (const json::exception&) {
        throw FormatError(ErrorKind::malformed, f.string() + ": not valid JSON (expected the summary dyad analyze writes)");
      }
      if (sj.contains("session_id")) sj["session_id"] = session;
      if (sj.contains("couple_id")) sj["couple_id"] = couple;
      scrub(sj, replace);
      text = sj.dump(2) + "\n";
    }
    any_table |= f.extension() == ".tsv";
    todo.emplace_back(out_dir / "features" / f.filename(), text);
  }
  if (!any_table) throw FormatError(ErrorKind::malformed, feat.string() + ": holds no .tsv tables (run 'dyad analyze' first)");
  if (fs::exists(feat / "overview", ec)) rep.left_out.push_back("features/overview/: the audio overview (a summary of the audio)");

  // markers: structured ones only.
  std::vector<Marker> kept;
  std::size_t notes = 0, other = 0, clinical_text = 0;
  static const std::regex numeric(R"(^[+-]?[0-9]+(\.[0-9]+)?(/[+-]?[0-9]+(\.[0-9]+)?)?$)");
  for (auto mk : s.markers) {
    // "simulator:A" keeps its role; "device:<stream name>" and the like keep only their kind
    const auto colon = mk.source.find(':');
    if (colon != std::string::npos && !is_valid_role(mk.source.substr(colon + 1))) mk.source = mk.source.substr(0, colon);
    if (kPhaseLabels.count(mk.label)) {
      mk.value = "n/a";
      kept.push_back(mk);
    } else if (kClinicalLabels.count(mk.label)) {
      if (std::regex_match(mk.value, numeric)) kept.push_back(mk);
      else ++clinical_text;
    } else if (mk.label == "note") {
      ++notes;
    } else {
      ++other;
    }
  }
  todo.emplace_back(out_dir / "markers.tsv", serialise_markers(kept));
  if (notes) rep.left_out.push_back("markers.tsv: " + std::to_string(notes) + " note(s) (free text)");
  if (other) rep.left_out.push_back("markers.tsv: " + std::to_string(other) + " other marker(s) whose label may be free text");
  if (clinical_text)
    rep.left_out.push_back("markers.tsv: " + std::to_string(clinical_text) + " clinical entr(y/ies) whose value is not a number");
  if (m.audio) rep.left_out.push_back(m.audio->file + ": the audio");
  if (!s.streams.empty()) rep.left_out.push_back("streams/: " + std::to_string(s.streams.size()) + " raw sensor stream(s)");
  if (fs::exists(s.dir / "annotations", ec)) rep.left_out.push_back("annotations/: talkspurts corrected by hand (they may name their source file)");

  for (auto& [p, _] : todo)
    refuse_existing(p, force);
  make_private_dir(out_dir / "features");
  for (auto& [p, text] : todo) {
    write_file_atomic(p, text);
    rep.written.push_back(p);
  }
  return rep;
}

}  // namespace dyad::formats
