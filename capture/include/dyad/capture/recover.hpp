#pragma once
/// \file Recovery of a session folder left by kill -9 or a power loss (DESIGN.md "Crash
/// safety"): the audio header is validated or rebuilt from the data size, partial lines are cut
/// from text files, open phases are closed, and the manifest says `recovered`.
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "dyad/formats/markers.hpp"

namespace dyad::capture {

struct RecoveryReport {
  std::int64_t audio_frames = 0;      ///< frames in audio.wav after recovery
  double duration_s = 0;
  bool header_rewritten = false;      ///< sizes in the WAV/RF64 header were corrected
  bool header_rebuilt = false;        ///< the header was unreadable and was rebuilt
  std::int64_t audio_bytes_dropped = 0;  ///< a partial frame at the end
  std::vector<std::string> actions;   ///< one sentence per change, for the user
  std::string previous_status;
  bool changed = false;               ///< false: the session was already complete and valid
};

/// Makes `dir` a valid session. Throws formats::FormatError naming the file when it cannot
/// (e.g. no readable session.json). The caller may then Session::open(dir).
RecoveryReport recover_session(const std::filesystem::path& dir);

/// Phases typed while recording are appended as markers with duration 0 (so a crash keeps
/// them); at the end each phase (labels in `phase_labels`, source `recorder`) lasts until the
/// next phase marker, a `phase_end` marker, or `end_s`. `phase_end` markers are removed.
std::vector<formats::Marker> close_phases(std::vector<formats::Marker> markers, double end_s);

/// The phase labels the recorder's keys produce.
const std::vector<std::string>& phase_labels();

/// Fixes the sizes in a WAV/RF64 float header from the file's real length (cutting a partial
/// frame), rebuilding the header for `rate`/`channels` when it is unreadable. Returns frames.
/// What repair_wav would do to a WAV/RF64 header, decided from the file's first bytes and its
/// length alone (no I/O, so it can be tested and fuzzed on memory).
struct WavHeaderFix {
  bool readable = false;            ///< a RIFF/RF64 WAVE header with a fmt and a data chunk
  std::uint64_t data_start = 0;     ///< bytes before the first sample
  std::uint64_t frames = 0;         ///< whole frames on disk
  std::uint64_t keep_bytes = 0;     ///< the file's length after cutting a partial frame
  std::vector<unsigned char> header;  ///< the corrected header (data_start bytes)
  bool header_changed = false;
};
/// Throws formats::FormatError(unsupported) for a file past 4 GiB without room for ds64.
WavHeaderFix plan_wav_header_fix(std::span<const unsigned char> head, std::uint64_t file_size, const std::string& label);

std::int64_t repair_wav(const std::filesystem::path& path, double rate, int channels, RecoveryReport& report);

}  // namespace dyad::capture
