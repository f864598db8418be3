#pragma once
/// \file XDF, the Lab Streaming Layer file format written by LabRecorder
/// (specification: https://github.com/sccn/xdf/wiki/Specifications). Reader, clock
/// synchronisation (LabRecorder / pyxdf semantics), import into a session and export.
#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <span>
#include <string>
#include <vector>

#include "dyad/formats/import.hpp"
#include "dyad/formats/manifest.hpp"
#include "dyad/formats/stream.hpp"

namespace dyad::formats {

struct Session;

/// One stream of an XDF file, as stored (time stamps on the sender's clock).
struct XdfStream {
  std::uint32_t id = 0;
  std::string name, type;
  std::string channel_format;  ///< int8 int16 int32 int64 float32 double64 string
  int channel_count = 0;
  double nominal_srate = 0;
  std::vector<std::string> labels;  ///< desc/channels/channel/label, "" when absent
  std::vector<std::string> units;   ///< desc/channels/channel/unit, "" when absent
  std::string header_xml, footer_xml;
  bool has_footer = false;
  std::vector<double> time_stamps;  ///< one per sample; omitted stamps deduced (previous + 1/srate)
  std::vector<double> values;       ///< numeric samples, row-major (sample * channel_count + channel)
  std::vector<std::vector<std::string>> strings;  ///< string samples, one vector per sample
  std::vector<std::pair<double, double>> clock_offsets;  ///< (collection time, offset value) in file order
  bool is_string() const { return channel_format == "string"; }
  std::size_t samples() const { return time_stamps.size(); }
};

struct XdfFile {
  std::string file_header_xml;
  std::vector<XdfStream> streams;   ///< in order of their StreamHeader chunks
  std::vector<std::string> warnings;  ///< benign damage: missing footers, a truncated last chunk...
};

/// Reads an XDF file held in memory. `label` names it in messages, which give the byte offset of
/// the chunk at fault: "f.xdf: byte 1234: Samples chunk of stream 3 ...". Throws FormatError.
/// A missing footer, a truncated last chunk (its whole samples are kept) and unknown chunk tags
/// become warnings.
XdfFile read_xdf(std::span<const std::uint8_t> bytes, const std::string& label);
XdfFile read_xdf_file(const std::filesystem::path& path);

/// A stream's time stamps mapped onto the recording computer's clock with the file's clock
/// offsets, as LabRecorder intends and pyxdf does (synchronize_clocks, handle_clock_resets): the
/// offsets are cut into clock segments at resets (collection time going backwards or the offset
/// jumping by more than a second), a line offset = a + b * t is fitted to each segment by least
/// squares, and each run of samples (cut where the stamps go backwards) is corrected with the
/// segment it belongs to: t + a + b * t.
struct XdfClockSync {
  std::vector<double> times;     ///< corrected stamps, one per sample
  std::vector<ClockFit> segments;  ///< one fit per clock segment (offset_s = a, drift_ppm = b * 1e6)
  double residual_ms = 0;         ///< RMS residual of the fits
};
XdfClockSync synchronise_xdf_clock(const XdfStream& s);

/// How an XDF file becomes a session.
struct XdfImportOptions {
  std::vector<std::string> audio_roles;          ///< roles of the audio stream's channels ("" = A, B, therapist)
  std::map<std::string, std::string> roles;       ///< XDF stream name -> role of its sensor stream
  /// The manifest's couple, session number and type as given by the user: they win over the
  /// file's own (a file dyad exported keeps them in its header); those not given come from the file.
  bool couple_given = false, session_number_given = false, session_type_given = false;
};

/// Imports an XDF file into the session folder `dir` (created, empty): the first stream whose
/// type is "Audio" becomes audio.wav (one channel per role); other numeric streams become sensor
/// streams (one per XDF stream, a column per channel, clock offsets applied); string streams and
/// numeric streams of type "Markers" become markers. Time zero is the first audio sample, or the
/// earliest sample of any stream without audio. Returns warnings.
std::vector<std::string> import_xdf(const std::filesystem::path& dir, Manifest& manifest, const std::filesystem::path& xdf,
                                    const XdfImportOptions& options = {}, const Progress& progress = {});

/// Writes the whole session as XDF: the audio as one float32 stream of type Audio (channel labels
/// are the roles), each sensor stream as a double64 stream (time stamps = session seconds), and the
/// markers as a one-channel string stream of type Markers (the label, or a JSON object {label, value, duration_s} when the marker has a value or a duration). Clock offsets
/// are zero. Refuses to replace `out` unless `force`.
void export_xdf(const Session& session, const std::filesystem::path& out, bool force, const Progress& progress = {});

}  // namespace dyad::formats
