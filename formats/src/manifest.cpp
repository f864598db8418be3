#include "dyad/formats/manifest.hpp"

#include <chrono>
#include <ctime>
#include <random>
#include <algorithm>
#include <cctype>
#include <cstdio>

#include "dyad/formats/error.hpp"
#include "dyad/formats/files.hpp"
#include "dyad/version.hpp"

namespace dyad::formats {

using nlohmann::json;

bool is_valid_role(const std::string& r) { return r == "A" || r == "B" || r == "therapist"; }
bool is_valid_session_type(const std::string& t) {
  return t == "preparation" || t == "dosing" || t == "integration" || t == "other";
}
bool is_valid_stream_name(const std::string& n) {
  if (n.empty() || n.size() > 64) return false;
  for (char c : n)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-')) return false;
  return true;
}
bool is_valid_stream_kind(const std::string& k) {
  return k == "ecg" || k == "ppg" || k == "eda" || k == "resp" || k == "bp" || k == "hr" || k == "generic";
}

std::string Manifest::role_of_channel(int channel) const {
  if (!audio) return "";
  for (auto& c : audio->channels)
    if (c.channel == channel) return c.role;
  return "";
}

int Manifest::channel_of_role(const std::string& role) const {
  if (!audio) return 0;
  for (auto& c : audio->channels)
    if (c.role == role) return c.channel;
  return 0;
}

namespace {

const char* type_name(const json& j) {
  switch (j.type()) {
    case json::value_t::null: return "null";
    case json::value_t::boolean: return "boolean";
    case json::value_t::string: return "string";
    case json::value_t::array: return "array";
    case json::value_t::object: return "object";
    case json::value_t::number_float: return "number";
    default: return "integer";
  }
}

struct Ctx {
  const std::string& label;
  [[noreturn]] void fail(const std::string& key, const std::string& what) const {
    throw FormatError(ErrorKind::malformed, label + ": key '" + key + "': " + what);
  }
  const json& get(const json& obj, const std::string& key, const std::string& path) const {
    auto it = obj.find(key);
    if (it == obj.end()) fail(path, "missing; it is required");
    return *it;
  }
  std::string str(const json& obj, const std::string& key, const std::string& path) const {
    const json& v = get(obj, key, path);
    if (!v.is_string()) fail(path, std::string("expected a string, found ") + type_name(v));
    return v.get<std::string>();
  }
  std::int64_t integer(const json& obj, const std::string& key, const std::string& path) const {
    const json& v = get(obj, key, path);
    if (!v.is_number_integer()) fail(path, std::string("expected an integer, found ") + type_name(v));
    return v.get<std::int64_t>();
  }
  double number(const json& obj, const std::string& key, const std::string& path) const {
    const json& v = get(obj, key, path);
    if (!v.is_number()) fail(path, std::string("expected a number, found ") + type_name(v));
    return v.get<double>();
  }
  const json& array(const json& obj, const std::string& key, const std::string& path) const {
    const json& v = get(obj, key, path);
    if (!v.is_array()) fail(path, std::string("expected an array, found ") + type_name(v));
    return v;
  }
  const json& object(const json& v, const std::string& path) const {
    if (!v.is_object()) fail(path, std::string("expected an object, found ") + type_name(v));
    return v;
  }
};


// The keys of `obj` that are not in `known`, to be written back unchanged.
json unknown_keys(const json& obj, std::initializer_list<const char*> known) {
  json out = json::object();
  for (auto it = obj.begin(); it != obj.end(); ++it)
    if (std::find_if(known.begin(), known.end(), [&](const char* k) { return it.key() == k; }) == known.end())
      out[it.key()] = it.value();
  return out;
}

// `extra` with the known keys set over it.
json with_extra(const json& extra, json known) {
  json j = extra.is_object() ? extra : json::object();
  for (auto it = known.begin(); it != known.end(); ++it) j[it.key()] = it.value();
  return j;
}

}  // namespace

Manifest parse_manifest(const std::string& text, const std::string& label) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::parse_error& e) {
    // e.byte is 1-based position of the error
    std::size_t line = 1, col = 1;
    for (std::size_t i = 0; i + 1 < e.byte && i < text.size(); ++i) {
      if (text[i] == '\n') {
        ++line;
        col = 1;
      } else {
        ++col;
      }
    }
    throw FormatError(ErrorKind::malformed, label + ":" + std::to_string(line) + ":" + std::to_string(col) +
                                                ": not valid JSON (expected a JSON object)");
  } catch (const json::exception&) {
    // e.g. out_of_range.406 "number overflow parsing '1e400'" (found by fault injection)
    throw FormatError(ErrorKind::malformed, label + ": not valid JSON: a number is too large for a double (expected a JSON object)");
  }
  Ctx c{label};
  if (!j.is_object()) throw FormatError(ErrorKind::malformed, label + ": expected a JSON object at the top level");
  Manifest m;
  m.format_version = static_cast<int>(c.integer(j, "format_version", "format_version"));
  if (m.format_version > kFormatVersion)
    throw FormatError(ErrorKind::unsupported, label + ": format_version " + std::to_string(m.format_version) +
                                                  " is newer than this dyad understands (" +
                                                  std::to_string(kFormatVersion) + ")");
  if (m.format_version < 1) c.fail("format_version", "expected 1 or more, found " + std::to_string(m.format_version));
  m.id = c.str(j, "id", "id");
  m.created = c.str(j, "created", "created");
  if (j.contains("start_utc") && !j["start_utc"].is_null()) m.start_utc = c.str(j, "start_utc", "start_utc");
  m.couple_id = c.str(j, "couple_id", "couple_id");
  m.session_number = c.integer(j, "session_number", "session_number");
  m.session_type = c.str(j, "session_type", "session_type");
  if (!is_valid_session_type(m.session_type))
    c.fail("session_type", "expected preparation, dosing, integration or other, found '" + m.session_type + "'");
  const json& parts = c.array(j, "participants", "participants");
  for (std::size_t i = 0; i < parts.size(); ++i) {
    std::string p = "participants[" + std::to_string(i) + "]";
    c.object(parts[i], p);
    Participant pt{c.str(parts[i], "role", p + ".role"), c.str(parts[i], "id", p + ".id"), unknown_keys(parts[i], {"role", "id"})};
    if (!is_valid_role(pt.role)) c.fail(p + ".role", "expected A, B or therapist, found '" + pt.role + "'");
    m.participants.push_back(pt);
  }
  if (j.contains("audio") && !j["audio"].is_null()) {
    const json& a = c.object(j["audio"], "audio");
    AudioSection s;
    s.file = c.str(a, "file", "audio.file");
    if (s.file.empty() || s.file.find('/') != std::string::npos || s.file == "..")
      c.fail("audio.file", "expected a file name inside the session folder, found '" + s.file + "'");
    s.sample_rate_hz = c.number(a, "sample_rate_hz", "audio.sample_rate_hz");
    if (!(s.sample_rate_hz > 0)) c.fail("audio.sample_rate_hz", "expected a positive rate");
    s.sample_format = c.str(a, "sample_format", "audio.sample_format");
    const json& ch = c.array(a, "channels", "audio.channels");
    for (std::size_t i = 0; i < ch.size(); ++i) {
      std::string p = "audio.channels[" + std::to_string(i) + "]";
      c.object(ch[i], p);
      AudioChannel ac{static_cast<int>(c.integer(ch[i], "channel", p + ".channel")), c.str(ch[i], "role", p + ".role"),
                      unknown_keys(ch[i], {"channel", "role"})};
      if (ac.channel < 1) c.fail(p + ".channel", "expected a channel number from 1, found " + std::to_string(ac.channel));
      if (!is_valid_role(ac.role)) c.fail(p + ".role", "expected A, B or therapist, found '" + ac.role + "'");
      s.channels.push_back(ac);
    }
    s.extra = unknown_keys(a, {"file", "sample_rate_hz", "sample_format", "channels"});
    m.audio = s;
  }
  const json& st = c.array(j, "streams", "streams");
  for (std::size_t i = 0; i < st.size(); ++i) {
    std::string p = "streams[" + std::to_string(i) + "]";
    c.object(st[i], p);
    StreamRef r{c.str(st[i], "name", p + ".name"), c.str(st[i], "kind", p + ".kind"), c.str(st[i], "role", p + ".role"),
                unknown_keys(st[i], {"name", "kind", "role"})};
    if (!is_valid_stream_name(r.name))
      c.fail(p + ".name", "expected a stream name matching [A-Za-z0-9_-]{1,64}, found '" + r.name + "'");
    if (!is_valid_stream_kind(r.kind))
      c.fail(p + ".kind", "expected ecg, ppg, eda, resp, bp, hr or generic, found '" + r.kind + "'");
    m.streams.push_back(r);
  }
  m.status = c.str(j, "status", "status");
  if (m.status != "recording" && m.status != "complete" && m.status != "recovered")
    c.fail("status", "expected recording, complete or recovered, found '" + m.status + "'");
  const json& d = c.array(j, "dropouts", "dropouts");
  for (std::size_t i = 0; i < d.size(); ++i) {
    std::string p = "dropouts[" + std::to_string(i) + "]";
    c.object(d[i], p);
    m.dropouts.push_back({c.number(d[i], "start_s", p + ".start_s"), c.integer(d[i], "frames", p + ".frames"),
                          unknown_keys(d[i], {"start_s", "frames"})});
  }
  m.dyad_version = j.contains("dyad_version") ? c.str(j, "dyad_version", "dyad_version") : "";
  m.extra = unknown_keys(j, {"format_version", "id", "created", "start_utc", "couple_id", "session_number", "session_type",
                             "participants", "audio", "streams", "status", "dropouts", "dyad_version"});
  return m;
}

std::string serialise_manifest(const Manifest& m) {
  json j = m.extra.is_object() ? m.extra : json::object();
  j["format_version"] = m.format_version;
  j["id"] = m.id;
  j["created"] = m.created;
  j["start_utc"] = m.start_utc.empty() ? json(nullptr) : json(m.start_utc);
  j["couple_id"] = m.couple_id;
  j["session_number"] = m.session_number;
  j["session_type"] = m.session_type;
  j["participants"] = json::array();
  for (auto& p : m.participants) j["participants"].push_back(with_extra(p.extra, {{"role", p.role}, {"id", p.id}}));
  if (m.audio) {
    json a = with_extra(m.audio->extra, {{"file", m.audio->file},
                                         {"sample_rate_hz", m.audio->sample_rate_hz},
                                         {"sample_format", m.audio->sample_format}});
    a["channels"] = json::array();
    for (auto& c : m.audio->channels) a["channels"].push_back(with_extra(c.extra, {{"channel", c.channel}, {"role", c.role}}));
    j["audio"] = a;
  } else {
    j["audio"] = nullptr;
  }
  j["streams"] = json::array();
  for (auto& s : m.streams) j["streams"].push_back(with_extra(s.extra, {{"name", s.name}, {"kind", s.kind}, {"role", s.role}}));
  j["status"] = m.status;
  j["dropouts"] = json::array();
  for (auto& d : m.dropouts) j["dropouts"].push_back(with_extra(d.extra, {{"start_s", d.start_s}, {"frames", d.frames}}));
  j["dyad_version"] = m.dyad_version.empty() ? std::string(dyad::kVersion) : m.dyad_version;
  return j.dump(2) + "\n";
}

Manifest read_manifest(const std::filesystem::path& dir) {
  auto p = dir / "session.json";
  std::error_code ec;
  if (!std::filesystem::exists(p, ec))
    throw FormatError(ErrorKind::io, p.string() + ": missing; is " + dir.string() + " a dyad session folder?");
  return parse_manifest(read_file(p), p.string());
}

void write_manifest(const std::filesystem::path& dir, const Manifest& m) {
  write_file_atomic(dir / "session.json", serialise_manifest(m));
}

std::string utc_now_iso8601() {
  using namespace std::chrono;
  auto now = system_clock::now();
  auto ms = duration_cast<milliseconds>(now.time_since_epoch()).count();
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
  return buf;
}

std::string new_session_id() {
  auto iso = utc_now_iso8601();  // 2026-11-22T10:04:05.123Z
  std::string id;
  for (char c : iso.substr(0, 19))
    if (std::isdigit(static_cast<unsigned char>(c))) id += c;
  std::random_device rd;
  char suf[8];
  std::snprintf(suf, sizeof suf, "%04x", rd() & 0xffff);
  return id.substr(0, 8) + "T" + id.substr(8) + "-" + suf;
}

}  // namespace dyad::formats
