#pragma once
/// \file A very small XML reader and escaper, enough for the stream headers and footers of XDF
/// (https://github.com/sccn/xdf/wiki/Specifications, "StreamHeader chunk"): elements, text,
/// attributes skipped, comments, processing instructions and CDATA, the five predefined entities.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace dyad::formats {

struct XmlNode {
  std::string name;
  std::string text;  ///< the concatenated character data directly inside this element, trimmed
  std::vector<XmlNode> children;
  /// The first child with this name, or nullptr.
  const XmlNode* child(std::string_view n) const;
  /// Follows a path of child names ("desc/channels"); nullptr when any step is missing.
  const XmlNode* find(std::string_view path) const;
  /// Text of the child at `path`, or `def` when absent.
  std::string value(std::string_view path, const std::string& def = "") const;
};

/// Parses a document; throws std::runtime_error with a short reason and the byte position
/// inside `text` (the caller adds the file and chunk).
XmlNode parse_xml(std::string_view text);

/// Appends the UTF-8 of a numeric character reference given without its '&' and ';' ("#65",
/// "#x1F600"). Returns false, appending nothing, when it is not a Unicode scalar value (empty,
/// not a number, a surrogate, past U+10FFFF).
bool append_char_reference(std::string_view ref, std::string& out);

/// Escapes &, <, >, " and ' for element text.
std::string xml_escape(std::string_view s);

}  // namespace dyad::formats
