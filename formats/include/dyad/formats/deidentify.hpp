#pragma once
/// \file De-identified export (`dyad export SESSION --deidentify --secret-file F --out DIR`):
/// features and turn timings only, for sharing beyond the team that recorded. Part of the
/// `dyad::formats_privacy` library (libsodium's HMAC-SHA256).
///
/// What is written: a de-identified session.json (pseudonyms, session number and type, roles,
/// rates, stream names and kinds, the length; no ids, dates or times of day), every
/// features/*.tsv table with its codebook, features/summary.json with its ids replaced and dates
/// removed, and markers.tsv holding only structured markers (phases, exclusions, clinical entries
/// whose value is a number such as `120/80`). Never: audio or the audio overview, sensor
/// streams' raw samples, annotations, free-text notes or other free-text markers, calendar
/// dates or times of day (every time is seconds from the session's start).
///
/// Pseudonyms are keyed: the first 64 bits, in hex, of HMAC-SHA256(lab secret, kind NUL value),
/// so the same couple, participant or session maps to the same pseudonym in every export made
/// with the same secret, and nobody without the secret can compute or reverse them.
#include <filesystem>
#include <string>
#include <vector>

namespace dyad::formats {

struct Session;

/// Reads a lab secret: the file's bytes without surrounding whitespace, at least 16 bytes.
/// Throws FormatError naming the file. `warning` is set when others may read the file.
std::string read_lab_secret(const std::filesystem::path& path, std::string* warning = nullptr);

/// "<prefix>-" and 16 hex digits of HMAC-SHA256(secret, kind + '\0' + value). Prefixes: c
/// (couple), p (participant; value = couple id + '\0' + participant id, so the default ids A and B
/// stay distinct between couples), s (session).
std::string pseudonym(const std::string& secret, const std::string& kind, const std::string& value);

struct DeidentifyReport {
  std::vector<std::filesystem::path> written;
  std::vector<std::string> left_out;  ///< one sentence per kind of thing left out, for the user
};

/// Writes the de-identified export of `s` into `out_dir` (created 0700; files 0600). Refuses to
/// replace an existing file unless `force`. Throws FormatError when the session has no features/
/// (run `dyad analyze` first).
DeidentifyReport export_deidentified(const Session& s, const std::filesystem::path& out_dir, const std::string& secret, bool force);

}  // namespace dyad::formats
