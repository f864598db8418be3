#pragma once
/// \file session.json, the manifest (DESIGN.md "The session folder").
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace dyad::formats {

inline constexpr int kFormatVersion = 1;

/// Roles a participant may have.
bool is_valid_role(const std::string& role);            ///< A, B or therapist
bool is_valid_session_type(const std::string& type);    ///< preparation, dosing, integration, other
/// A stream name: [A-Za-z0-9_-]{1,64} (it becomes a file name).
bool is_valid_stream_name(const std::string& name);
bool is_valid_stream_kind(const std::string& kind);     ///< ecg ppg eda resp bp hr generic

struct Participant {
  std::string role;  ///< "A", "B" or "therapist"
  std::string id;    ///< pseudonymous id only
  nlohmann::json extra = nlohmann::json::object();  ///< unknown keys, written back unchanged
};

struct AudioChannel {
  int channel = 1;   ///< 1-based channel of audio.wav
  std::string role;
  nlohmann::json extra = nlohmann::json::object();  ///< unknown keys, written back unchanged
};

struct AudioSection {
  std::string file = "audio.wav";
  double sample_rate_hz = 48000;
  std::string sample_format = "float32";
  std::vector<AudioChannel> channels;
  nlohmann::json extra = nlohmann::json::object();  ///< unknown keys, written back unchanged
};

struct Dropout {
  double start_s = 0;
  std::int64_t frames = 0;
  nlohmann::json extra = nlohmann::json::object();  ///< unknown keys, written back unchanged
};

struct StreamRef {
  std::string name;
  std::string kind;
  std::string role;
  nlohmann::json extra = nlohmann::json::object();  ///< unknown keys, written back unchanged
};

/// The manifest. Keys dyad does not know, at the top level and inside every object, are kept in
/// `extra` and written back unchanged (DESIGN.md).
struct Manifest {
  int format_version = kFormatVersion;
  std::string id;
  std::string created;          ///< UTC, ISO 8601
  std::string start_utc;        ///< UTC wall clock of audio frame 0, ms precision; "" when unknown
  std::string couple_id;
  std::int64_t session_number = 1;
  std::string session_type = "other";
  std::vector<Participant> participants;
  std::optional<AudioSection> audio;  ///< absent for physiology-only sessions
  std::vector<StreamRef> streams;
  std::string status = "complete";  ///< recording, complete, recovered
  std::vector<Dropout> dropouts;
  std::string dyad_version;
  nlohmann::json extra = nlohmann::json::object();

  /// The role recorded on a 1-based audio channel, or "" when none.
  std::string role_of_channel(int channel) const;
  /// The 1-based channel of a role, or 0.
  int channel_of_role(const std::string& role) const;
};

/// Parses and validates; `label` names the file in messages, e.g.
/// "s1/session.json: key 'session_number': expected an integer, found string".
Manifest parse_manifest(const std::string& text, const std::string& label);
/// Serialises (pretty, 2 spaces, LF), extra keys included.
std::string serialise_manifest(const Manifest& m);

Manifest read_manifest(const std::filesystem::path& session_dir);
/// Atomic replace (temporary file, fsync, rename).
void write_manifest(const std::filesystem::path& session_dir, const Manifest& m);

/// Now in UTC as ISO 8601 with milliseconds ("2026-11-22T10:04:05.123Z").
std::string utc_now_iso8601();
/// A fresh session id (time-based plus random suffix).
std::string new_session_id();

}  // namespace dyad::formats
