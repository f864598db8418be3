#pragma once
// Internal helpers for parameter validation messages.
#include <mutex>
#include <stdexcept>
#include <string>

/// Hot loops get a second, AVX2 + FMA copy chosen at load time on CPUs that have them (x86-64
/// only; GCC's target_clones). Results may differ from the baseline copy in the last bits (FMA).
/// Not under ThreadSanitizer: the loader runs the clones' resolvers before TSan's runtime is up,
/// and their instrumented entries crash the program before main.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(__SANITIZE_THREAD__)
#define DYAD_HOT_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define DYAD_HOT_CLONES
#endif

namespace dyad::dsp::detail {

inline std::string num(double v) {
  std::string s = std::to_string(v);
  while (s.size() > 1 && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

/// FFTW's planner is not thread-safe; all dyad planning (and plan destruction) goes through this
/// lock (one object for the whole library: an inline function's static).
inline std::mutex& fftw_planner_mutex() {
  static std::mutex m;
  return m;
}

inline void require(bool ok, const std::string& msg) {
  if (!ok) throw std::invalid_argument(msg);
}

}  // namespace dyad::dsp::detail
