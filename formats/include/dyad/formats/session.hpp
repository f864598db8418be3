#pragma once
/// \file A session folder as a whole (DESIGN.md "The session folder").
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "dyad/formats/audio.hpp"
#include "dyad/formats/manifest.hpp"
#include "dyad/formats/markers.hpp"
#include "dyad/formats/stream.hpp"

namespace dyad::formats {

/// Summary of one stream, as `dyad info` shows it.
struct StreamSummary {
  StreamSidecar sidecar;
  std::size_t samples = 0;
  double first_s = 0, last_s = 0;
};

/// A validated session: everything read except the audio samples and stream values.
struct Session {
  std::filesystem::path dir;
  Manifest manifest;
  std::optional<AudioInfo> audio;
  std::vector<StreamSummary> streams;
  std::vector<Marker> markers;
  std::vector<std::string> warnings;  ///< benign damage, e.g. a sidecar's measured rate is off

  /// Opens and validates the whole folder: the manifest, the audio header and its channel map,
  /// every listed stream (sidecar + every row) and markers.tsv. Throws FormatError with the file,
  /// place and what was expected.
  static Session open(const std::filesystem::path& dir);

  /// The session's length: audio frames / rate, or the latest stream sample or marker end.
  double duration_s() const;
  std::filesystem::path audio_path() const;
  /// Roles on audio channels in channel order.
  std::vector<std::string> audio_roles() const;
};

/// Creates a new, empty session folder (0700, with streams/) for writing. Refuses a folder
/// that exists and is not empty (FormatError exists): nothing recorded is ever overwritten.
void create_session_dir(const std::filesystem::path& dir);

/// A manifest with a fresh id, created now and the given course-of-treatment fields.
Manifest new_manifest(const std::string& couple_id, std::int64_t session_number, const std::string& session_type);

}  // namespace dyad::formats
