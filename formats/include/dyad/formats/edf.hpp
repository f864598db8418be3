#pragma once
/// \file EDF, EDF+ and BDF, BDF+ (European Data Format: Kemp et al. 1992, "A simple format for
/// exchange of digitized polygraphic recordings"; EDF+: Kemp & Olivan 2003, https://www.edfplus.info/specs/edfplus.html;
/// BDF: BioSemi's 24-bit variant, https://www.biosemi.com/faq/file_format.htm). Reader, import, export.
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "dyad/formats/import.hpp"
#include "dyad/formats/manifest.hpp"

namespace dyad::formats {

struct Session;

struct EdfSignal {
  std::string label, transducer, unit, prefilter;
  double physical_min = 0, physical_max = 0;
  std::int32_t digital_min = 0, digital_max = 0;
  int samples_per_record = 0;
  bool annotation = false;     ///< an "EDF Annotations" / "BDF Annotations" signal
  std::vector<double> values;  ///< physical values, all records in order
  double rate_hz(double record_s) const { return record_s > 0 ? samples_per_record / record_s : 0; }
};

struct EdfAnnotation {
  double onset_s = 0;     ///< seconds from the file's start
  double duration_s = 0;
  std::string text;
};

struct EdfFile {
  bool bdf = false;            ///< 24-bit samples
  bool plus = false;           ///< EDF+ / BDF+
  bool discontinuous = false;  ///< EDF+D
  std::string patient, recording, start_date, start_time;
  double record_duration_s = 1;
  std::int64_t records = 0;
  std::vector<EdfSignal> signals;
  std::vector<double> record_onsets_s;  ///< start of each record (EDF+ time keeping, else n * duration)
  std::vector<EdfAnnotation> annotations;
  std::vector<std::string> warnings;
};

/// Reads an EDF/BDF(+) file held in memory; `label` names it in messages, which give the byte
/// offset: "f.edf: byte 236: number of data records is not a number: 'x'". Throws FormatError.
/// Data ending inside a record keeps the whole records with a warning.
EdfFile read_edf(std::span<const std::uint8_t> bytes, const std::string& label);
EdfFile read_edf_file(const std::filesystem::path& path);

struct EdfImportOptions {
  std::string role;  ///< role of every signal; "" = from a label ending in _A/_B, else A
};

/// Each ordinary signal becomes a stream (one column, physical units), named after its label;
/// annotations become markers. Time zero is the file's start (the first sample).
std::vector<std::string> import_edf(const std::filesystem::path& dir, Manifest& manifest, const std::filesystem::path& edf,
                                    const EdfImportOptions& options = {}, const Progress& progress = {});

/// Writes the session's streams as EDF+C (or BDF+C when `bdf`): one signal per stream column,
/// resampled by linear interpolation onto a uniform grid at the stream's rate (rounded to a whole
/// number of samples per 1 s record; irregular streams at 4 Hz, blood pressure as annotations),
/// gaps filled with the digital minimum and marked by a "gap <signal>" annotation; markers
/// (clinical values appended), features/events.tsv turn events and blood-pressure readings as
/// annotations. Refuses to replace `out` unless `force`. Returns warnings.
std::vector<std::string> export_edf(const Session& session, const std::filesystem::path& out, bool bdf, bool force);

}  // namespace dyad::formats
