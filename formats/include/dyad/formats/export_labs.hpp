#pragma once
/// \file Exports of a session for other tools (`dyad export`), beside export_edf (edf.hpp) and
/// export_xdf (xdf.hpp). Every export writes only where told and never replaces an existing
/// file without `force` (FormatError kind exists).
#include <filesystem>
#include <string>
#include <vector>

#include "dyad/formats/import.hpp"

namespace dyad::formats {

struct Session;

/// One mono file per audio role, for tools that cannot read RF64 (Praat, ELAN):
/// <out_dir>/<session id>_<role>.wav (float32 WAV) or .flac (24-bit FLAC, the format's limit).
/// Returns the files written.
std::vector<std::filesystem::path> export_audio_per_role(const Session& s, const std::filesystem::path& out_dir, const std::string& format,
                                                         bool force, const Progress& progress = {});

/// Every features/*.tsv table as <out_dir>/<name>.csv (RFC 4180: comma separated, fields with a
/// comma, quote or line break quoted), each with its codebook <name>.json copied beside it, and
/// summary.json. Throws FormatError when the session has no features/ folder.
std::vector<std::filesystem::path> export_csv(const Session& s, const std::filesystem::path& out_dir, bool force);

/// A BIDS folder (BIDS 1.9, "Physiological recordings" and "Task events"):
/// dataset_description.json; sub-<couple>/ses-<n>/beh/ with, per stream,
/// sub-<couple>_ses-<n>_task-<task>_recording-<stream>_physio.tsv.gz (no header, uniform grid at
/// the stream's rate, n/a in gaps) and its .json sidecar (SamplingFrequency, StartTime, Columns),
/// _events.tsv (+ .json) with the markers and turn events, and one _recording-<role>_audio.wav
/// per role (audio is not a BIDS modality yet: kept beside, named the same way).
std::vector<std::filesystem::path> export_bids(const Session& s, const std::filesystem::path& out_dir, bool force,
                                               const std::string& task = "dyad", const Progress& progress = {});

/// A value of a stream resampled at time t by linear interpolation between neighbours closer than
/// `max_step_s`, else NaN (a gap). `hint` speeds up increasing t. Exposed for the exporters' tests.
double resample_at(const std::vector<double>& time_s, const std::vector<double>& v, double t, double max_step_s, std::size_t& hint);

}  // namespace dyad::formats
