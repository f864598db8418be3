#pragma once
/// \file Importing recordings made elsewhere into a session folder (`dyad import`).
#include <filesystem>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "dyad/formats/manifest.hpp"
#include "dyad/formats/stream.hpp"

namespace dyad::formats {

/// Progress of a long operation: a fraction in [0, 1] and a short phrase. May be empty.
using Progress = std::function<void(double fraction, const std::string& what)>;

struct AudioSource {
  std::filesystem::path path;
  std::vector<std::string> roles;  ///< one per channel of the file, in order
};

/// Writes <dir>/audio.wav (float32, RF64 with auto-downgrade) from one or more files, all at
/// the same rate, one channel per role; shorter files are padded with silence (with a warning).
/// Sets manifest.audio and adds the participants. Returns warnings.
std::vector<std::string> import_audio(const std::filesystem::path& dir, Manifest& manifest,
                                      const std::vector<AudioSource>& sources, const Progress& progress = {});

struct PhysioImport {
  std::filesystem::path path;         ///< CSV or TSV with a header line
  std::string role;                   ///< A, B or therapist
  std::string time_column;            ///< a column of times in seconds, or "" with rate_hz
  double rate_hz = 0;                 ///< sample rate when there is no time column
  std::string kind;                   ///< kind of every value column ("" = guess from the name)
  std::map<std::string, std::string> column_kinds;  ///< kind of one column
  double offset_s = 0;                ///< added to every time
  /// Without audio: the file time that becomes session time 0 (NaN: this file's first sample).
  /// The several-file overload sets it to the earliest sample of all files.
  double zero_s = std::numeric_limits<double>::quiet_NaN();
};

/// Guesses a stream kind from a column name (ECG -> ecg, EDA/GSR -> eda, RSP -> resp, ...).
std::string guess_stream_kind(const std::string& column);

/// One stream of a physiology table, ready to be written.
struct PhysioStream {
  StreamSidecar sidecar;
  StreamData data;
};

/// Parses a physiology table held in memory (CSV or TSV with a header; `label` names it in
/// messages) into one stream per value column, as import_physio writes them. `has_audio`: times
/// are session seconds; without audio, time zero is the earliest sample. Throws FormatError.
std::vector<PhysioStream> parse_physio(const std::string& text, const std::string& label, const PhysioImport& spec, bool has_audio);

/// Writes one stream per value column (named <column>_<role>, lower case); adds them to the
/// manifest. Missing cells become n/a. Throws FormatError naming the file and line.
std::vector<std::string> import_physio(const std::filesystem::path& dir, Manifest& manifest, const PhysioImport& spec);
/// Several files, e.g. one per partner. Without audio, time zero is the earliest sample of all of
/// them (DESIGN.md), so the partners keep their relative timing.
std::vector<std::string> import_physio(const std::filesystem::path& dir, Manifest& manifest,
                                       const std::vector<PhysioImport>& specs);

/// Copies a markers table (checked) into <dir>/markers.tsv, merged with what is there.
void import_markers(const std::filesystem::path& dir, const std::filesystem::path& markers_file);

}  // namespace dyad::formats
