#pragma once
/// \file Corrections made by a person in Praat or ELAN: reading interval tiers from a TextGrid
/// (long or short text format, UTF-8 or UTF-16 with a byte-order mark), an ELAN EAF file or an
/// RTTM file (a diarization system's output), and
/// storing one talkspurt tier per partner as the segments of record in
/// <session>/annotations/segments.tsv (`dyad import-annotations`), which `dyad analyze` then uses
/// instead of voice activity detection.
#include <filesystem>
#include <string>
#include <vector>

#include "dyad/dsp/types.hpp"

namespace dyad::formats {

struct AnnotationInterval {
  double start_s = 0, end_s = 0;
  std::string text;
};

/// One tier. Point tiers (TextGrid TextTier) have start_s == end_s.
struct AnnotationTier {
  std::string name;
  bool intervals = true;
  std::vector<AnnotationInterval> items;
};

/// Parses a Praat TextGrid; `label` names the file in messages ("<label>:<line>: ...").
std::vector<AnnotationTier> parse_textgrid(const std::string& text, const std::string& label);
/// Parses an ELAN EAF file (alignable annotations; times in ms).
std::vector<AnnotationTier> parse_eaf(const std::string& text, const std::string& label);
/// Parses an RTTM file (NIST Rich Transcription: `SPEAKER file channel onset duration <NA> <NA>
/// speaker <NA> <NA>`): a tier per speaker name, its intervals the SPEAKER turns in time order.
/// Other line types (SPKR-INFO, LEXEME...) and `;;` comments are skipped.
std::vector<AnnotationTier> parse_rttm(const std::string& text, const std::string& label);
/// Reads a .TextGrid, .eaf or .rttm file (by extension, case-insensitive).
std::vector<AnnotationTier> read_annotation_file(const std::filesystem::path& path);

/// Talkspurts from tiers: each non-empty interval of a chosen tier is a talkspurt of its role.
/// `tier_args` entries are "NAME" (a tier named A, B or therapist) or "ROLE=NAME"; empty means
/// every interval tier named A, B or therapist. Throws FormatError naming the file and the tier
/// when a tier is missing, is a point tier, or names no role; `roles` (the session's roles, may be
/// empty) restricts the roles allowed.
std::vector<dsp::Segment> segments_from_tiers(const std::vector<AnnotationTier>& tiers, const std::vector<std::string>& tier_args,
                                              const std::vector<std::string>& roles, const std::string& label);

/// Writes <session>/annotations/segments.tsv (atomically) and its sidecar segments.json (source
/// file, tiers, time of import, codebook). The folder is created 0700.
void write_annotation_segments(const std::filesystem::path& session_dir, const std::vector<dsp::Segment>& segments,
                               const std::string& source, const std::vector<std::string>& tiers);

}  // namespace dyad::formats
