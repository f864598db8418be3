#pragma once
// Internal helpers for parameter validation messages.
#include <mutex>
#include <stdexcept>
#include <string>

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
