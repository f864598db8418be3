#pragma once
// Voice quality and syllable nuclei parts of bench/eval_prosody (issue 9).
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace dyad::bench {

/// Runs a program with arguments (stdout discarded); returns its exit status.
using RunFn = std::function<int(const std::vector<std::string>&)>;

/// Pulses, jitter, shimmer, HNR and the voice report against Praat (bench/praat/voice.praat) on
/// every file; prints Markdown on stdout.
void eval_voice(const std::vector<std::filesystem::path>& files, const std::filesystem::path& script,
                const std::filesystem::path& tmp, const RunFn& run);

/// Syllable nuclei against the TextGrid's "syllable nuclei" tier (the North Wind recording) and
/// against de Jong & Wempe's algorithm run in Praat (bench/praat/syllable_nuclei.praat).
void eval_syllables(const std::vector<std::filesystem::path>& files, const std::filesystem::path& data,
                    const std::filesystem::path& script, const std::filesystem::path& tmp, const RunFn& run);

}  // namespace dyad::bench
