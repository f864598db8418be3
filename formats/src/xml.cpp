#include "dyad/formats/xml.hpp"

#include <charconv>
#include <cstdint>
#include <stdexcept>

#include "dyad/formats/text.hpp"

namespace dyad::formats {

const XmlNode* XmlNode::child(std::string_view n) const {
  for (auto& c : children)
    if (c.name == n) return &c;
  return nullptr;
}

const XmlNode* XmlNode::find(std::string_view path) const {
  const XmlNode* cur = this;
  while (cur && !path.empty()) {
    auto slash = path.find('/');
    cur = cur->child(path.substr(0, slash));
    path = slash == std::string_view::npos ? std::string_view{} : path.substr(slash + 1);
  }
  return cur;
}

std::string XmlNode::value(std::string_view path, const std::string& def) const {
  const XmlNode* n = find(path);
  return n ? n->text : def;
}

namespace {

struct Parser {
  std::string_view s;
  std::size_t i = 0;

  [[noreturn]] void fail(const std::string& what) const {
    throw std::runtime_error(what + " at XML byte " + std::to_string(i));
  }
  bool starts(std::string_view p) const { return s.substr(i, p.size()) == p; }
  void skip_past(std::string_view end) {
    auto e = s.find(end, i);
    if (e == std::string_view::npos) fail("unterminated '" + std::string(end) + "'");
    i = e + end.size();
  }
  void skip_misc() {
    for (;;) {
      while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
      if (starts("<?")) skip_past("?>");
      else if (starts("<!--")) skip_past("-->");
      else if (starts("<!")) skip_past(">");
      else return;
    }
  }
  static void decode(std::string_view raw, std::string& out) {
    for (std::size_t k = 0; k < raw.size(); ++k) {
      if (raw[k] != '&') {
        out += raw[k];
        continue;
      }
      auto semi = raw.find(';', k);
      if (semi == std::string_view::npos) {
        out += raw[k];
        continue;
      }
      auto ent = raw.substr(k + 1, semi - k - 1);
      if (ent == "amp") out += '&';
      else if (ent == "lt") out += '<';
      else if (ent == "gt") out += '>';
      else if (ent == "quot") out += '"';
      else if (ent == "apos") out += '\'';
      else if (!ent.empty() && ent[0] == '#') {
        if (!append_char_reference(ent, out)) out.append(raw.substr(k, semi - k + 1));  // not a character: kept as written
      } else {
        out.append(raw.substr(k, semi - k + 1));
      }
      k = semi;
    }
  }
  XmlNode element() {
    if (!starts("<")) fail("expected '<'");
    ++i;
    std::size_t b = i;
    while (i < s.size() && !std::isspace(static_cast<unsigned char>(s[i])) && s[i] != '>' && s[i] != '/') ++i;
    XmlNode n;
    n.name = std::string(s.substr(b, i - b));
    if (n.name.empty()) fail("expected an element name");
    // attributes are not used by XDF headers: skip them, respecting quotes
    char q = 0;
    while (i < s.size()) {
      char c = s[i];
      if (q) {
        if (c == q) q = 0;
      } else if (c == '"' || c == '\'') {
        q = c;
      } else if (c == '>' || c == '/') {
        break;
      }
      ++i;
    }
    if (starts("/>")) {
      i += 2;
      return n;
    }
    if (!starts(">")) fail("unterminated start tag <" + n.name + ">");
    ++i;
    std::string text;
    for (;;) {
      if (i >= s.size()) fail("missing </" + n.name + ">");
      if (starts("</")) {
        i += 2;
        std::size_t e = s.find('>', i);
        if (e == std::string_view::npos) fail("unterminated end tag");
        auto name = s.substr(i, e - i);
        while (!name.empty() && std::isspace(static_cast<unsigned char>(name.back()))) name.remove_suffix(1);
        if (name != n.name) fail("</" + std::string(name) + "> closes <" + n.name + ">");
        i = e + 1;
        break;
      }
      if (starts("<!--")) {
        skip_past("-->");
      } else if (starts("<![CDATA[")) {
        std::size_t b2 = i + 9;
        skip_past("]]>");
        text.append(s.substr(b2, i - 3 - b2));
      } else if (starts("<?")) {
        skip_past("?>");
      } else if (starts("<")) {
        n.children.push_back(element());
      } else {
        std::size_t e = s.find('<', i);
        if (e == std::string_view::npos) e = s.size();
        decode(s.substr(i, e - i), text);
        i = e;
      }
    }
    std::size_t a = 0, z = text.size();
    while (a < z && std::isspace(static_cast<unsigned char>(text[a]))) ++a;
    while (z > a && std::isspace(static_cast<unsigned char>(text[z - 1]))) --z;
    n.text = text.substr(a, z - a);
    return n;
  }
};

}  // namespace

XmlNode parse_xml(std::string_view text) {
  Parser p{text};
  p.skip_misc();
  if (p.i >= text.size()) p.fail("no root element");
  XmlNode root = p.element();
  p.skip_misc();
  if (p.i < text.size()) p.fail("text after the root element");
  return root;
}

bool append_char_reference(std::string_view ref, std::string& out) {
  if (ref.size() < 2 || ref[0] != '#') return false;
  const bool hex = ref[1] == 'x' || ref[1] == 'X';
  std::string_view digits = ref.substr(hex ? 2 : 1);
  if (digits.empty() || digits.size() > 8) return false;
  std::uint32_t cp = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), cp, hex ? 16 : 10);
  if (ec != std::errc() || end != digits.data() + digits.size()) return false;
  if (cp > 0x10FFFF || (cp >= 0xD800 && cp < 0xE000)) return false;
  append_utf8(out, cp);
  return true;
}

std::string xml_escape(std::string_view s) {
  std::string o;
  o.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': o += "&amp;"; break;
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '"': o += "&quot;"; break;
      case '\'': o += "&apos;"; break;
      default: o += c;
    }
  }
  return o;
}

}  // namespace dyad::formats
