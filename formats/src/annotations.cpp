#include "dyad/formats/annotations.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>

#include <nlohmann/json.hpp>

#include "dyad/dsp/turns.hpp"
#include "dyad/formats/error.hpp"
#include "dyad/formats/features.hpp"
#include "dyad/formats/files.hpp"
#include "dyad/formats/manifest.hpp"
#include "dyad/formats/text.hpp"
#include "dyad/formats/xml.hpp"

namespace dyad::formats {

namespace {

[[noreturn]] void bad(const std::string& label, std::size_t line, const std::string& what) {
  throw FormatError(ErrorKind::malformed, label + ":" + std::to_string(line) + ": " + what);
}

/// UTF-16 with a byte-order mark (Praat writes it when a text is not ASCII) -> UTF-8; a UTF-8
/// byte-order mark is dropped.
std::string to_utf8(const std::string& in) {
  if (in.size() >= 3 && in.compare(0, 3, "\xEF\xBB\xBF") == 0) return in.substr(3);
  if (in.size() < 2) return in;
  auto b0 = static_cast<unsigned char>(in[0]), b1 = static_cast<unsigned char>(in[1]);
  bool le = b0 == 0xFF && b1 == 0xFE, be = b0 == 0xFE && b1 == 0xFF;
  if (!le && !be) return in;
  std::string out;
  for (std::size_t i = 2; i + 1 < in.size(); i += 2) {
    auto lo = static_cast<unsigned char>(in[i]), hi = static_cast<unsigned char>(in[i + 1]);
    unsigned u = le ? (hi << 8 | lo) : (lo << 8 | hi);
    if (u >= 0xD800 && u < 0xDC00 && i + 3 < in.size()) {
      auto lo2 = static_cast<unsigned char>(in[i + 2]), hi2 = static_cast<unsigned char>(in[i + 3]);
      unsigned u2 = le ? (hi2 << 8 | lo2) : (lo2 << 8 | hi2);
      u = 0x10000 + ((u - 0xD800) << 10) + (u2 - 0xDC00);
      i += 2;
    }
    append_utf8(out, u);
  }
  return out;
}

struct Token {
  enum Kind { string, number, flag } kind;
  std::string text;
  std::size_t line;
};

/// Praat's text serialisation, long or short: the values are the quoted strings, the free-standing
/// numbers and the <flags>; names, '=', and bracketed indices are decoration.
std::vector<Token> praat_tokens(const std::string& s, const std::string& label) {
  std::vector<Token> out;
  std::size_t line = 1;
  for (std::size_t i = 0; i < s.size();) {
    char c = s[i];
    if (c == '\n') {
      ++line;
      ++i;
    } else if (c == '"') {
      std::string v;
      std::size_t start_line = line;
      ++i;
      for (;;) {
        if (i >= s.size()) bad(label, start_line, "a text in quotes is not closed");
        if (s[i] == '"') {
          if (i + 1 < s.size() && s[i + 1] == '"') {
            v += '"';
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        if (s[i] == '\n') ++line;
        v += s[i++];
      }
      out.push_back({Token::string, v, start_line});
    } else if (c == '[') {
      while (i < s.size() && s[i] != ']' && s[i] != '\n') ++i;
      ++i;
    } else if (c == '<') {
      std::size_t j = s.find('>', i);
      if (j == std::string::npos) bad(label, line, "a <flag> is not closed");
      out.push_back({Token::flag, s.substr(i + 1, j - i - 1), line});
      i = j + 1;
    } else if (c == '!') {  // comment to the end of the line
      while (i < s.size() && s[i] != '\n') ++i;
    } else if (std::isdigit(static_cast<unsigned char>(c)) || ((c == '-' || c == '+' || c == '.') && i + 1 < s.size() &&
                                                                (std::isdigit(static_cast<unsigned char>(s[i + 1])) || s[i + 1] == '.'))) {
      std::size_t j = i + 1;
      while (j < s.size() && (std::isalnum(static_cast<unsigned char>(s[j])) || s[j] == '.' || s[j] == '-' || s[j] == '+')) ++j;
      out.push_back({Token::number, s.substr(i, j - i), line});
      i = j;
    } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      while (i < s.size() && (std::isalnum(static_cast<unsigned char>(s[i])) || s[i] == '_' || s[i] == '?')) ++i;
    } else {
      ++i;
    }
  }
  return out;
}

class TokenReader {
 public:
  TokenReader(std::vector<Token> t, std::string label) : t_(std::move(t)), label_(std::move(label)) {}
  const Token& next(const char* what) {
    if (i_ >= t_.size()) bad(label_, t_.empty() ? 1 : t_.back().line, std::string("the file ends where ") + what + " was expected");
    return t_[i_++];
  }
  std::string str(const char* what) {
    const auto& t = next(what);
    if (t.kind != Token::string) bad(label_, t.line, std::string("expected ") + what + " in quotes, found '" + t.text + "'");
    return t.text;
  }
  double num(const char* what) {
    const auto& t = next(what);
    auto v = t.kind == Token::number ? parse_number(t.text) : std::nullopt;
    if (!v || std::isnan(*v)) bad(label_, t.line, std::string("expected ") + what + " (a number), found '" + t.text + "'");
    return *v;
  }
  /// A count: a whole number from 0 to 10 million (a TextGrid's tiers, intervals or points).
  std::size_t count(const char* what) {
    const std::size_t l = line();
    const double v = num(what);
    if (!(v >= 0 && v <= 1e7) || v != std::floor(v))
      bad(label_, l, std::string("expected ") + what + " (a whole number from 0 to 10000000), found " + format_number(v));
    return static_cast<std::size_t>(v);
  }
  bool peek_flag() const { return i_ < t_.size() && t_[i_].kind == Token::flag; }
  std::size_t line() const { return i_ < t_.size() ? t_[i_].line : (t_.empty() ? 1 : t_.back().line); }

 private:
  std::vector<Token> t_;
  std::string label_;
  std::size_t i_ = 0;
};

std::string trim(std::string s) {
  auto ws = [](unsigned char c) { return std::isspace(c) != 0; };
  while (!s.empty() && ws(static_cast<unsigned char>(s.back()))) s.pop_back();
  std::size_t i = 0;
  while (i < s.size() && ws(static_cast<unsigned char>(s[i]))) ++i;
  return s.substr(i);
}

std::string xml_unescape(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '&') {
      out += s[i];
      continue;
    }
    auto j = s.find(';', i);
    if (j == std::string::npos) {
      out += s[i];
      continue;
    }
    auto e = s.substr(i + 1, j - i - 1);
    if (e == "amp") out += '&';
    else if (e == "lt") out += '<';
    else if (e == "gt") out += '>';
    else if (e == "quot") out += '"';
    else if (e == "apos") out += '\'';
    else if (!e.empty() && e[0] == '#') {
      if (!append_char_reference(e, out)) out += s.substr(i, j - i + 1);  // not a character: kept as written
    } else {
      out += s.substr(i, j - i + 1);
    }
    i = j;
  }
  return out;
}

/// Attributes of the tag starting at `pos` ('<'); `end` gets the position after '>'.
std::map<std::string, std::string> attributes(const std::string& s, std::size_t pos, std::size_t& end) {
  std::map<std::string, std::string> a;
  std::size_t i = pos + 1;
  while (i < s.size() && !std::isspace(static_cast<unsigned char>(s[i])) && s[i] != '>' && s[i] != '/') ++i;
  for (;;) {
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    if (i >= s.size() || s[i] == '>' || s[i] == '/') break;
    std::size_t k = i;
    while (i < s.size() && s[i] != '=' && !std::isspace(static_cast<unsigned char>(s[i])) && s[i] != '>') ++i;
    std::string key = s.substr(k, i - k);
    while (i < s.size() && (s[i] == '=' || std::isspace(static_cast<unsigned char>(s[i])))) ++i;
    if (i < s.size() && (s[i] == '"' || s[i] == '\'')) {
      char q = s[i++];
      std::size_t v = i;
      while (i < s.size() && s[i] != q) ++i;
      a[key] = xml_unescape(s.substr(v, i - v));
      ++i;
    }
  }
  end = s.find('>', i);
  end = end == std::string::npos ? s.size() : end + 1;
  return a;
}

std::size_t line_at(const std::string& s, std::size_t pos) {
  return 1 + static_cast<std::size_t>(std::count(s.begin(), s.begin() + static_cast<std::ptrdiff_t>(std::min(pos, s.size())), '\n'));
}

}  // namespace

std::vector<AnnotationTier> parse_textgrid(const std::string& raw, const std::string& label) {
  TokenReader r(praat_tokens(to_utf8(raw), label), label);
  std::string ft = r.str("File type"), oc = r.str("Object class");
  if (ft != "ooTextFile" || oc != "TextGrid")
    throw FormatError(ErrorKind::unrecognised, label + ": not a Praat TextGrid (expected File type = \"ooTextFile\" and "
                                                       "Object class = \"TextGrid\", found \"" + ft + "\" and \"" + oc + "\")");
  r.num("xmin");
  r.num("xmax");
  std::vector<AnnotationTier> tiers;
  if (!r.peek_flag()) return tiers;
  auto flag = r.next("<exists>");
  if (flag.text != "exists") return tiers;
  const std::size_t n = r.count("the number of tiers");
  for (std::size_t k = 0; k < n; ++k) {
    AnnotationTier t;
    std::size_t line = r.line();
    std::string cls = r.str("the tier class");
    t.name = r.str("the tier name");
    r.num("the tier's xmin");
    r.num("the tier's xmax");
    const std::size_t m = r.count("the number of intervals");
    if (cls == "IntervalTier") {
      for (std::size_t i = 0; i < m; ++i) {
        AnnotationInterval iv;
        std::size_t l = r.line();
        iv.start_s = r.num("an interval's xmin");
        iv.end_s = r.num("an interval's xmax");
        iv.text = r.str("an interval's text");
        if (iv.end_s < iv.start_s) bad(label, l, "tier '" + t.name + "': an interval ends before it starts");
        t.items.push_back(iv);
      }
    } else if (cls == "TextTier") {
      t.intervals = false;
      for (std::size_t i = 0; i < m; ++i) {
        AnnotationInterval iv;
        iv.start_s = iv.end_s = r.num("a point's time");
        iv.text = r.str("a point's mark");
        t.items.push_back(iv);
      }
    } else {
      bad(label, line, "unknown tier class '" + cls + "' (expected IntervalTier or TextTier)");
    }
    tiers.push_back(std::move(t));
  }
  return tiers;
}

std::vector<AnnotationTier> parse_eaf(const std::string& s, const std::string& label) {
  if (s.find("<ANNOTATION_DOCUMENT") == std::string::npos)
    throw FormatError(ErrorKind::unrecognised, label + ": not an ELAN EAF file (no ANNOTATION_DOCUMENT element)");
  std::size_t end = 0;
  auto hdr = s.find("<HEADER");
  double unit = 0.001;
  if (hdr != std::string::npos) {
    auto a = attributes(s, hdr, end);
    if (a.count("TIME_UNITS") && a["TIME_UNITS"] != "milliseconds")
      throw FormatError(ErrorKind::unsupported, label + ":" + std::to_string(line_at(s, hdr)) + ": TIME_UNITS '" + a["TIME_UNITS"] +
                                                    "' (only milliseconds are supported)");
  }
  std::map<std::string, double> slots;
  for (std::size_t p = s.find("<TIME_SLOT "); p != std::string::npos; p = s.find("<TIME_SLOT ", end)) {
    auto a = attributes(s, p, end);
    if (a.count("TIME_VALUE")) {
      auto v = parse_number(a["TIME_VALUE"]);
      if (!v || std::isnan(*v)) bad(label, line_at(s, p), "TIME_VALUE is not a number: '" + a["TIME_VALUE"] + "'");
      slots[a["TIME_SLOT_ID"]] = *v * unit;
    }
  }
  std::vector<AnnotationTier> tiers;
  for (std::size_t p = s.find("<TIER"); p != std::string::npos; p = s.find("<TIER", p + 1)) {
    if (s.compare(p, 6, "<TIER ") != 0 && s.compare(p, 6, "<TIER>") != 0) continue;
    auto a = attributes(s, p, end);
    AnnotationTier t;
    t.name = a["TIER_ID"];
    bool empty = end >= 2 && s[end - 2] == '/';
    std::size_t close = empty ? end : s.find("</TIER>", end);
    if (close == std::string::npos) bad(label, line_at(s, p), "tier '" + t.name + "' is not closed");
    for (std::size_t q = s.find("<ALIGNABLE_ANNOTATION", end); q != std::string::npos && q < close;
         q = s.find("<ALIGNABLE_ANNOTATION", q + 1)) {
      std::size_t e2 = 0;
      auto b = attributes(s, q, e2);
      auto r1 = slots.find(b["TIME_SLOT_REF1"]), r2 = slots.find(b["TIME_SLOT_REF2"]);
      if (r1 == slots.end() || r2 == slots.end())
        bad(label, line_at(s, q), "annotation '" + b["ANNOTATION_ID"] + "' of tier '" + t.name +
                                      "' refers to a time slot without a time (unaligned annotations are not supported)");
      AnnotationInterval iv;
      iv.start_s = r1->second;
      iv.end_s = r2->second;
      auto v0 = s.find("<ANNOTATION_VALUE", e2);
      if (v0 != std::string::npos && v0 < close) {
        std::size_t v1 = 0;
        attributes(s, v0, v1);
        if (s[v1 - 2] != '/') {
          auto v2 = s.find("</ANNOTATION_VALUE>", v1);
          if (v2 != std::string::npos) iv.text = xml_unescape(s.substr(v1, v2 - v1));
        }
      }
      if (iv.end_s < iv.start_s) bad(label, line_at(s, q), "annotation '" + b["ANNOTATION_ID"] + "' ends before it starts");
      t.items.push_back(iv);
    }
    std::sort(t.items.begin(), t.items.end(), [](auto& x, auto& y) { return x.start_s < y.start_s; });
    tiers.push_back(std::move(t));
  }
  return tiers;
}

std::vector<AnnotationTier> parse_rttm(const std::string& text, const std::string& label) {
  std::vector<AnnotationTier> tiers;
  std::map<std::string, std::size_t> index;
  const std::string s = to_utf8(text);
  std::size_t line = 0;
  for (std::size_t pos = 0; pos < s.size();) {
    std::size_t eol = s.find('\n', pos);
    if (eol == std::string::npos) eol = s.size();
    std::string_view row(s.data() + pos, eol - pos);
    pos = eol + 1;
    ++line;
    std::vector<std::string_view> f;
    for (std::size_t i = 0; i < row.size();) {
      while (i < row.size() && std::isspace(static_cast<unsigned char>(row[i]))) ++i;
      std::size_t j = i;
      while (j < row.size() && !std::isspace(static_cast<unsigned char>(row[j]))) ++j;
      if (j > i) f.push_back(row.substr(i, j - i));
      i = j;
    }
    if (f.empty() || f[0].substr(0, 2) == ";;") continue;  // blank line or comment
    if (f[0] != "SPEAKER") continue;  // SPKR-INFO, LEXEME, NOSCORE...: not talkspurts
    if (f.size() < 9)
      bad(label, line, "a SPEAKER line has " + std::to_string(f.size()) +
                           " fields, expected 10 (SPEAKER file channel onset duration <NA> <NA> speaker <NA> <NA>)");
    auto onset = parse_number(f[3]), dur = parse_number(f[4]);
    if (!onset || !std::isfinite(*onset) || *onset < 0)
      bad(label, line, "the onset '" + std::string(f[3]) + "' is not a time in seconds >= 0");
    if (!dur || !std::isfinite(*dur) || *dur < 0)
      bad(label, line, "the duration '" + std::string(f[4]) + "' is not a duration in seconds >= 0");
    const std::string name(f[7]);
    auto [it, fresh] = index.try_emplace(name, tiers.size());
    if (fresh) tiers.push_back({name, true, {}});
    tiers[it->second].items.push_back({*onset, *onset + *dur, name});
  }
  if (tiers.empty()) throw FormatError(ErrorKind::malformed, label + ": no SPEAKER lines (is it an RTTM file?)");
  for (auto& t : tiers) {  // in time order; a speaker's overlapping turns (some systems write them) become one
    std::stable_sort(t.items.begin(), t.items.end(), [](auto& a, auto& b) { return a.start_s < b.start_s; });
    std::vector<AnnotationInterval> merged;
    for (auto& iv : t.items)
      if (!merged.empty() && iv.start_s < merged.back().end_s) merged.back().end_s = std::max(merged.back().end_s, iv.end_s);
      else merged.push_back(iv);
    t.items = std::move(merged);
  }
  return tiers;
}

std::vector<AnnotationTier> read_annotation_file(const std::filesystem::path& path) {
  auto ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (ext == ".textgrid") return parse_textgrid(read_file(path), path.string());
  if (ext == ".eaf") return parse_eaf(read_file(path), path.string());
  if (ext == ".rttm") return parse_rttm(read_file(path), path.string());
  throw FormatError(ErrorKind::unsupported, path.string() + ": unknown annotation file type '" + ext +
                                                "' (expected a Praat .TextGrid, an ELAN .eaf or an .rttm)");
}

std::vector<dsp::Segment> segments_from_tiers(const std::vector<AnnotationTier>& tiers, const std::vector<std::string>& args,
                                              const std::vector<std::string>& roles, const std::string& label) {
  std::vector<std::pair<std::string, std::string>> pick;  // role, tier
  if (args.empty()) {
    for (auto& t : tiers)
      if (is_valid_role(t.name) && t.intervals) pick.emplace_back(t.name, t.name);
    if (pick.empty())
      throw FormatError(ErrorKind::malformed, label + ": no interval tier named A, B or therapist (name the tiers with --tier ROLE=TIER)");
  } else {
    for (auto& a : args) {
      auto eq = a.find('=');
      std::string role = eq == std::string::npos ? a : a.substr(0, eq), tier = eq == std::string::npos ? a : a.substr(eq + 1);
      if (!is_valid_role(role))
        throw FormatError(ErrorKind::malformed, "--tier " + a + ": '" + role + "' is not a role (A, B or therapist); use ROLE=TIER");
      pick.emplace_back(role, tier);
    }
  }
  std::vector<dsp::Segment> out;
  std::vector<std::string> seen;
  for (auto& [role, tier] : pick) {
    if (std::find(seen.begin(), seen.end(), role) != seen.end())
      throw FormatError(ErrorKind::malformed, label + ": role " + role + " is given two tiers");
    seen.push_back(role);
    if (!roles.empty() && std::find(roles.begin(), roles.end(), role) == roles.end())
      throw FormatError(ErrorKind::malformed, label + ": tier '" + tier + "' is for role " + role + ", which the session does not have");
    const std::string& wanted = tier;  // (clang 14 cannot capture a structured binding)
    auto it = std::find_if(tiers.begin(), tiers.end(), [&](auto& t) { return t.name == wanted; });
    if (it == tiers.end()) {
      std::string names;
      for (auto& t : tiers) names += (names.empty() ? "" : ", ") + t.name;
      throw FormatError(ErrorKind::malformed, label + ": no tier named '" + tier + "' (tiers: " + names + ")");
    }
    if (!it->intervals) throw FormatError(ErrorKind::malformed, label + ": tier '" + tier + "' is a point tier; expected intervals");
    for (auto& iv : it->items)
      if (!trim(iv.text).empty() && iv.end_s > iv.start_s) out.push_back({role, iv.start_s, iv.end_s});
  }
  std::sort(out.begin(), out.end(), [](const dsp::Segment& a, const dsp::Segment& b) {
    if (a.start_s != b.start_s) return a.start_s < b.start_s;
    return dsp::role_rank(a.role) < dsp::role_rank(b.role);
  });
  return out;
}

void write_annotation_segments(const std::filesystem::path& dir, const std::vector<dsp::Segment>& segments, const std::string& source,
                               const std::vector<std::string>& tiers) {
  make_private_dir(dir / "annotations");
  auto j = codebook_json("segments.tsv", "Talkspurts of record, corrected by a person; dyad analyze uses them instead of voice activity detection",
                         segments_columns());
  j["source"] = source;
  j["tiers"] = tiers;
  j["imported"] = utc_now_iso8601();
  write_file_atomic(dir / "annotations" / "segments.json", j.dump(2) + "\n");
  write_file_atomic(annotations_segments_path(dir), serialise_segments(segments));
}

}  // namespace dyad::formats
