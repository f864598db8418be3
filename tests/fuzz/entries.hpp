#pragma once
/// \file The fuzz targets' bodies, shared by the libFuzzer programs (tests/fuzz, clang only) and
/// the GoogleTest that replays every input a fuzzer ever crashed on (tests/data/fuzz_regressions),
/// so each regression is checked in the ordinary sanitizer suite too.
///
/// Each entry feeds the bytes to one parser the way dyad would, checks what must hold of what it
/// returns (e.g. what dyad writes it reads back the same), and returns 0. The one failure a parser
/// may report is its documented error (formats::FormatError): anything else thrown, a crash, a
/// sanitizer report or a broken invariant (check() aborts) is a bug.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace dyad::fuzz {

using Entry = int (*)(const std::uint8_t* data, std::size_t size);

struct Target {
  const char* name;  ///< also the folder of its seeds and regressions
  Entry entry;
};

/// Targets of formats/ (manifest, sidecar, stream, markers, features, physio, xdf, edf, textgrid,
/// eaf, rttm, xml, overview, seal_entries, column_cache, numeric_columns, marker_command, seal_header)
/// and of capture/ (sensor_line, wav_header, sidecar_clock).
const std::vector<Target>& formats_targets();
const std::vector<Target>& capture_targets();

/// Aborts with a message when an invariant does not hold (a finding, like a crash).
void check(bool ok, const char* what);

}  // namespace dyad::fuzz
