#pragma once
/// \file Errors of the formats part: a small stable set of kinds for callers, a whole
/// sentence naming the file, the place and what was expected for people.
#include <stdexcept>
#include <string>

namespace dyad::formats {

enum class ErrorKind {
  unrecognised,  ///< not the kind of file expected at all
  malformed,     ///< the right kind of file, but a value or a line is wrong
  unsupported,   ///< valid but beyond what dyad handles (e.g. a newer format_version)
  io,            ///< the file is missing, unreadable or unwritable
  exists,        ///< a write would replace something that must not be replaced
};

/// Thrown by every reader and writer in dyad::formats.
class FormatError : public std::runtime_error {
 public:
  FormatError(ErrorKind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  ErrorKind kind() const noexcept { return kind_; }

 private:
  ErrorKind kind_;
};

}  // namespace dyad::formats
