// XDF reader, clock synchronisation, import and export.
// Specification: https://github.com/sccn/xdf/wiki/Specifications (sections cited below).
#include "dyad/formats/xdf.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <numeric>
#include <set>

#include <nlohmann/json.hpp>

#include "dyad/formats/audio.hpp"
#include "dyad/formats/error.hpp"
#include "dyad/formats/files.hpp"
#include "dyad/formats/markers.hpp"
#include "dyad/formats/session.hpp"
#include "dyad/formats/text.hpp"
#include "dyad/formats/xml.hpp"
#include "dyad/version.hpp"

namespace dyad::formats {

namespace {

constexpr std::uint16_t kFileHeader = 1, kStreamHeader = 2, kSamples = 3, kClockOffset = 4, kBoundary = 5, kStreamFooter = 6;

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::size_t value_size(const std::string& fmt) {
  if (fmt == "int8") return 1;
  if (fmt == "int16") return 2;
  if (fmt == "int32" || fmt == "float32") return 4;
  if (fmt == "int64" || fmt == "double64") return 8;
  return 0;
}

/// Bounds-checked little-endian reading of one chunk's content; `end` marks the short read.
struct Reader {
  const std::uint8_t* b;
  std::size_t pos, end;
  struct Short {};
  void need(std::size_t n) const {
    if (end - pos < n) throw Short{};
  }
  template <class T>
  T get() {
    need(sizeof(T));
    T v;
    std::memcpy(&v, b + pos, sizeof(T));
    pos += sizeof(T);
    return v;
  }
  std::uint64_t varlen_of(std::uint8_t nbytes) {
    if (nbytes == 1) return get<std::uint8_t>();
    if (nbytes == 4) return get<std::uint32_t>();
    return get<std::uint64_t>();
  }
};

XdfStream parse_stream_header(std::uint32_t id, const std::string& xml) {
  XdfStream s;
  s.id = id;
  s.header_xml = xml;
  XmlNode root = parse_xml(xml);
  s.name = root.value("name");
  s.type = root.value("type");
  s.channel_format = root.value("channel_format");
  if (value_size(s.channel_format) == 0 && s.channel_format != "string")
    throw std::runtime_error("channel_format '" + s.channel_format + "' is not one of int8, int16, int32, int64, float32, double64, string");
  auto cc = parse_integer(root.value("channel_count"));
  if (!cc || *cc < 1 || *cc > 100000) throw std::runtime_error("channel_count '" + root.value("channel_count") + "' is not a positive integer");
  s.channel_count = static_cast<int>(*cc);
  auto sr = parse_number(root.value("nominal_srate", "0"));
  if (!sr || std::isnan(*sr) || *sr < 0) throw std::runtime_error("nominal_srate '" + root.value("nominal_srate") + "' is not a number >= 0");
  s.nominal_srate = *sr;
  s.labels.assign(static_cast<std::size_t>(s.channel_count), "");
  s.units.assign(static_cast<std::size_t>(s.channel_count), "");
  if (const XmlNode* chans = root.find("desc/channels")) {
    std::size_t k = 0;
    for (auto& c : chans->children) {
      if (c.name != "channel" || k >= s.labels.size()) continue;
      s.labels[k] = c.value("label");
      s.units[k] = c.value("unit");
      ++k;
    }
  }
  return s;
}

}  // namespace

XdfFile read_xdf(std::span<const std::uint8_t> bytes, const std::string& label) {
  XdfFile f;
  const std::size_t size = bytes.size();
  // Section "Magic code": the file starts with the 4 bytes "XDF:".
  if (size < 4 || std::memcmp(bytes.data(), "XDF:", 4) != 0)
    throw FormatError(ErrorKind::unrecognised, label + ": byte 0: not an XDF file (expected the magic code 'XDF:')");
  std::map<std::uint32_t, std::size_t> index;  // stream id -> position in f.streams
  std::map<std::uint32_t, double> last_stamp;
  std::size_t pos = 4;
  auto at = [&](std::size_t p) { return label + ": byte " + std::to_string(p) + ": "; };
  auto stream_of = [&](std::uint32_t id, std::size_t p, const char* what) -> XdfStream& {
    auto it = index.find(id);
    if (it == index.end())
      throw FormatError(ErrorKind::malformed, at(p) + what + " chunk for stream " + std::to_string(id) + ", which has no StreamHeader before it");
    return f.streams[it->second];
  };
  while (pos < size) {
    const std::size_t start = pos;
    // Section "Chunk": NumLengthBytes (1, 4 or 8), Length (of tag + content), Tag (uint16), Content.
    const std::uint8_t nlb = bytes[pos];
    if (nlb != 1 && nlb != 4 && nlb != 8)
      throw FormatError(ErrorKind::malformed, at(start) + "chunk length field of " + std::to_string(nlb) + " bytes; expected 1, 4 or 8");
    if (size - pos - 1 < nlb) {
      f.warnings.push_back(at(start) + "the last chunk is cut short inside its length field; ignored");
      break;
    }
    Reader lr{bytes.data(), pos + 1, pos + 1 + nlb};
    const std::uint64_t len = lr.varlen_of(nlb);
    const std::size_t body = pos + 1 + nlb;
    if (len < 2) throw FormatError(ErrorKind::malformed, at(start) + "chunk length " + std::to_string(len) + " is too short (at least 2 bytes hold the tag)");
    const bool truncated = len > size - body;
    const std::size_t avail = truncated ? size - body : static_cast<std::size_t>(len);
    if (avail < 2) {
      f.warnings.push_back(at(start) + "the last chunk is cut short inside its tag; ignored");
      break;
    }
    std::uint16_t tag;
    std::memcpy(&tag, bytes.data() + body, 2);
    Reader r{bytes.data(), body + 2, body + avail};
    auto cut_short = [&](const std::string& what) {
      f.warnings.push_back(at(start) + "the last chunk (" + what + ") is cut short: " + std::to_string(len) + " bytes declared, " +
                           std::to_string(avail) + " present");
    };
    try {
      switch (tag) {
        case kFileHeader:
          if (truncated) cut_short("FileHeader");
          else f.file_header_xml.assign(reinterpret_cast<const char*>(bytes.data() + r.pos), r.end - r.pos);
          break;
        case kStreamHeader: {
          // Section "StreamHeader chunk": StreamId (uint32), then UTF-8 XML.
          auto id = r.get<std::uint32_t>();
          if (truncated) {
            cut_short("StreamHeader of stream " + std::to_string(id));
            break;
          }
          if (index.count(id)) throw FormatError(ErrorKind::malformed, at(start) + "a second StreamHeader for stream " + std::to_string(id));
          std::string xml(reinterpret_cast<const char*>(bytes.data() + r.pos), r.end - r.pos);
          try {
            index[id] = f.streams.size();
            f.streams.push_back(parse_stream_header(id, xml));
          } catch (const std::runtime_error& e) {
            throw FormatError(ErrorKind::malformed, at(start) + "StreamHeader of stream " + std::to_string(id) + ": " + e.what());
          }
          break;
        }
        case kSamples: {
          // Section "Samples chunk": StreamId, NumSampleBytes + NumSamples, then per sample
          // TimeStampBytes (0 or 8), [TimeStamp double], the values (strings: length-prefixed).
          auto id = r.get<std::uint32_t>();
          XdfStream& s = stream_of(id, start, "Samples");
          const std::string what = "Samples chunk of stream " + std::to_string(id);
          auto nsb = r.get<std::uint8_t>();
          if (nsb != 1 && nsb != 4 && nsb != 8)
            throw FormatError(ErrorKind::malformed, at(start) + what + ": sample count field of " + std::to_string(nsb) + " bytes; expected 1, 4 or 8");
          const std::uint64_t n = r.varlen_of(nsb);
          const std::size_t vs = value_size(s.channel_format);
          const auto nch = static_cast<std::size_t>(s.channel_count);
          std::uint64_t i = 0;
          try {
            for (; i < n; ++i) {
              const std::size_t field = r.pos;
              auto tsb = r.get<std::uint8_t>();
              double ts;
              if (tsb == 8) {
                ts = r.get<double>();
              } else if (tsb == 0) {
                auto it = last_stamp.find(id);
                double prev = it == last_stamp.end() ? 0.0 : it->second;
                ts = s.nominal_srate > 0 && it != last_stamp.end() ? prev + 1.0 / s.nominal_srate : prev;
              } else {
                throw FormatError(ErrorKind::malformed, at(field) + what + ", sample " + std::to_string(i + 1) + ": time stamp field of " +
                                                            std::to_string(tsb) + " bytes; expected 0 or 8");
              }
              if (s.is_string()) {
                std::vector<std::string> row(nch);
                for (auto& str : row) {
                  auto lb = r.get<std::uint8_t>();
                  if (lb != 1 && lb != 4 && lb != 8)
                    throw FormatError(ErrorKind::malformed, at(r.pos - 1) + what + ", sample " + std::to_string(i + 1) +
                                                                ": string length field of " + std::to_string(lb) + " bytes; expected 1, 4 or 8");
                  auto sl = r.varlen_of(lb);
                  r.need(static_cast<std::size_t>(std::min<std::uint64_t>(sl, SIZE_MAX)));
                  str.assign(reinterpret_cast<const char*>(bytes.data() + r.pos), static_cast<std::size_t>(sl));
                  r.pos += static_cast<std::size_t>(sl);
                }
                s.strings.push_back(std::move(row));
              } else {
                r.need(vs * nch);
                const std::uint8_t* p = bytes.data() + r.pos;
                for (std::size_t c = 0; c < nch; ++c, p += vs) {
                  double v = 0;
                  const auto& fm = s.channel_format;
                  if (fm == "float32") { float x; std::memcpy(&x, p, 4); v = x; }
                  else if (fm == "double64") { std::memcpy(&v, p, 8); }
                  else if (fm == "int8") { std::int8_t x; std::memcpy(&x, p, 1); v = x; }
                  else if (fm == "int16") { std::int16_t x; std::memcpy(&x, p, 2); v = x; }
                  else if (fm == "int32") { std::int32_t x; std::memcpy(&x, p, 4); v = x; }
                  else { std::int64_t x; std::memcpy(&x, p, 8); v = static_cast<double>(x); }
                  s.values.push_back(v);
                }
                r.pos += vs * nch;
              }
              s.time_stamps.push_back(ts);
              last_stamp[id] = ts;
            }
          } catch (const Reader::Short&) {
            if (!truncated)
              throw FormatError(ErrorKind::malformed, at(start) + what + " ends inside sample " + std::to_string(i + 1) + " of " + std::to_string(n));
            cut_short(what + "; its " + std::to_string(i) + " whole samples were kept");
            break;
          }
          if (truncated) {
            cut_short(what);
          } else if (r.pos != r.end) {
            throw FormatError(ErrorKind::malformed, at(start) + what + " has " + std::to_string(r.end - r.pos) + " bytes left after its " +
                                                        std::to_string(n) + " samples");
          }
          break;
        }
        case kClockOffset: {
          // Section "ClockOffset chunk": StreamId, CollectionTime (double), OffsetValue (double).
          auto id = r.get<std::uint32_t>();
          XdfStream& s = stream_of(id, start, "ClockOffset");
          double t = r.get<double>(), v = r.get<double>();
          s.clock_offsets.emplace_back(t, v);
          break;
        }
        case kBoundary:
          break;
        case kStreamFooter: {
          auto id = r.get<std::uint32_t>();
          XdfStream& s = stream_of(id, start, "StreamFooter");
          if (truncated) {
            cut_short("StreamFooter of stream " + std::to_string(id));
            break;
          }
          s.footer_xml.assign(reinterpret_cast<const char*>(bytes.data() + r.pos), r.end - r.pos);
          s.has_footer = true;
          break;
        }
        default:
          f.warnings.push_back(at(start) + "unknown chunk tag " + std::to_string(tag) + " skipped");
      }
    } catch (const Reader::Short&) {
      if (!truncated)
        throw FormatError(ErrorKind::malformed, at(start) + "chunk with tag " + std::to_string(tag) + " is shorter than its fixed fields");
      cut_short("tag " + std::to_string(tag));
    }
    if (truncated) break;
    pos = body + static_cast<std::size_t>(len);
  }
  for (auto& s : f.streams)
    if (!s.has_footer)
      f.warnings.push_back(label + ": stream " + std::to_string(s.id) + " ('" + s.name + "') has no StreamFooter (the recording did not end cleanly)");
  return f;
}

XdfFile read_xdf_file(const std::filesystem::path& path) {
  std::string all = read_file(path);
  return read_xdf(std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(all.data()), all.size()), path.string());
}

XdfClockSync synchronise_xdf_clock(const XdfStream& s) {
  XdfClockSync out;
  out.times = s.time_stamps;
  const auto& co = s.clock_offsets;
  if (co.empty() || s.time_stamps.empty()) return out;
  // Clock segments: a reset shows as collection time going backwards or a jump of the offset.
  std::vector<std::pair<std::size_t, std::size_t>> segs;  // [begin, end) in co
  std::size_t b = 0;
  for (std::size_t k = 1; k <= co.size(); ++k) {
    if (k == co.size() || co[k].first < co[k - 1].first || std::abs(co[k].second - co[k - 1].second) > 1.0) {
      segs.emplace_back(b, k);
      b = k;
    }
  }
  double ss = 0;
  std::size_t nres = 0;
  for (auto [sb, se] : segs) {
    // Least squares value = a + b * time, centred for numerical stability.
    const double n = static_cast<double>(se - sb);
    double mt = 0, mv = 0;
    for (std::size_t k = sb; k < se; ++k) mt += co[k].first, mv += co[k].second;
    mt /= n, mv /= n;
    double sxx = 0, sxy = 0;
    for (std::size_t k = sb; k < se; ++k) sxx += (co[k].first - mt) * (co[k].first - mt), sxy += (co[k].first - mt) * (co[k].second - mv);
    double slope = sxx > 0 ? sxy / sxx : 0;
    ClockFit fit;
    fit.drift_ppm = slope * 1e6;
    fit.offset_s = mv - slope * mt;
    fit.method = "xdf-clock-offsets";
    double seg_ss = 0;
    for (std::size_t k = sb; k < se; ++k) {
      double e = co[k].second - (fit.offset_s + slope * co[k].first);
      seg_ss += e * e;
    }
    fit.residual_ms = std::sqrt(seg_ss / n) * 1e3;
    ss += seg_ss;
    nres += se - sb;
    out.segments.push_back(fit);
  }
  out.residual_ms = std::sqrt(ss / static_cast<double>(nres)) * 1e3;
  // Runs of samples: a clock reset makes the stamps go backwards.
  std::vector<std::pair<std::size_t, std::size_t>> runs;
  b = 0;
  const auto& ts = s.time_stamps;
  for (std::size_t k = 1; k <= ts.size(); ++k)
    if (k == ts.size() || ts[k] < ts[k - 1]) {
      runs.emplace_back(b, k);
      b = k;
    }
  for (std::size_t ri = 0; ri < runs.size(); ++ri) {
    auto [rb, re] = runs[ri];
    std::size_t which = 0;
    if (runs.size() == segs.size()) {
      which = ri;
    } else if (segs.size() > 1) {
      // The segment whose collection times lie nearest the run's stamps.
      double mid = 0.5 * (ts[rb] + ts[re - 1]), best = INFINITY;
      for (std::size_t k = 0; k < segs.size(); ++k) {
        double lo = co[segs[k].first].first, hi = co[segs[k].second - 1].first;
        double d = mid < lo ? lo - mid : mid > hi ? mid - hi : 0;
        if (d < best) best = d, which = k;
      }
    }
    const ClockFit& fit = out.segments[which];
    for (std::size_t k = rb; k < re; ++k) out.times[k] = ts[k] + fit.offset_s + fit.drift_ppm * 1e-6 * ts[k];
  }
  return out;
}

namespace {

void add_participant(Manifest& m, const std::string& role) {
  for (auto& p : m.participants)
    if (p.role == role) return;
  m.participants.push_back({role, role == "therapist" ? "T" : role});
}

std::string sanitize_name(const std::string& in, const std::string& fallback) {
  std::string n;
  for (char ch : in) n += (std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '-') ? ch : '_';
  // collapse runs of '_' and trim them at the ends
  std::string o;
  for (char c : n)
    if (!(c == '_' && (o.empty() || o.back() == '_'))) o += c;
  while (!o.empty() && o.back() == '_') o.pop_back();
  if (o.size() > 60) o.resize(60);
  return o.empty() ? fallback : o;
}

std::string guess_role(const std::string& name) {
  std::string l = lower(name);
  auto ends = [&](const std::string& suf) { return l.size() > suf.size() && l.compare(l.size() - suf.size(), suf.size(), suf) == 0; };
  if (l.find("therapist") != std::string::npos) return "therapist";
  for (const char* sep : {"_", "-", " ", "."}) {
    if (ends(std::string(sep) + "a")) return "A";
    if (ends(std::string(sep) + "b")) return "B";
  }
  return "";
}

float audio_scale(const std::string& fmt) {
  if (fmt == "int8") return 1.0f / 128.0f;
  if (fmt == "int16") return 1.0f / 32768.0f;
  if (fmt == "int32") return 1.0f / 2147483648.0f;
  if (fmt == "int64") return static_cast<float>(1.0 / 9223372036854775808.0);
  return 1.0f;
}

/// The couple, session number and type, start time and participant ids a dyad export keeps in
/// its file header: taken where the user gave none; a damaged value is a warning, never a failure.
void apply_session_identity(const XdfFile& f, Manifest& m, const XdfImportOptions& opt, const std::string& label,
                            std::vector<std::string>& warnings) {
  if (f.file_header_xml.empty()) return;
  XmlNode h;
  try {
    h = parse_xml(f.file_header_xml);
  } catch (const std::exception& e) {
    warnings.push_back(label + ": the file header is not readable XML (" + e.what() + "); the session's identity is not taken from it");
    return;
  }
  const XmlNode* ds = h.find("dyad_session");
  if (!ds) return;
  const std::string couple = ds->value("couple_id"), number = ds->value("session_number"), type = ds->value("session_type");
  if (!opt.couple_given && !couple.empty()) m.couple_id = couple;
  if (!opt.session_number_given && !number.empty()) {
    const auto n = parse_integer(number);
    if (n && *n >= 0) m.session_number = *n;
    else warnings.push_back(label + ": the file header's session_number '" + number + "' is not a whole number >= 0; kept " +
                            std::to_string(m.session_number));
  }
  if (!opt.session_type_given && !type.empty()) {
    if (is_valid_session_type(type)) m.session_type = type;
    else warnings.push_back(label + ": the file header's session_type '" + type + "' is not preparation, dosing, integration or other; kept " +
                            m.session_type);
  }
  if (m.start_utc.empty()) m.start_utc = ds->value("start_utc");
  if (const XmlNode* ps = ds->child("participants"))
    for (auto& pn : ps->children) {
      const std::string role = pn.value("role"), id = pn.value("id");
      if (!is_valid_role(role) || id.empty()) continue;
      bool found = false;
      for (auto& pa : m.participants)
        if (pa.role == role) {
          pa.id = id;
          found = true;
        }
      if (!found) m.participants.push_back({role, id});
    }
}

}  // namespace

std::vector<std::string> import_xdf(const std::filesystem::path& dir, Manifest& m, const std::filesystem::path& path,
                                    const XdfImportOptions& opt, const Progress& progress) {
  XdfFile f = read_xdf_file(path);
  std::vector<std::string> warnings = f.warnings;
  const std::string label = path.string();
  std::vector<XdfClockSync> sync;
  for (auto& s : f.streams) sync.push_back(synchronise_xdf_clock(s));
  if (progress) progress(0.1, "reading XDF");

  // The audio stream, when there is one, is the master clock.
  int audio = -1;
  for (std::size_t i = 0; i < f.streams.size(); ++i) {
    auto& s = f.streams[i];
    if (!s.is_string() && lower(s.type) == "audio" && s.nominal_srate > 0 && s.samples() > 0) {
      if (audio < 0) audio = static_cast<int>(i);
      else warnings.push_back(label + ": stream " + std::to_string(s.id) + " ('" + s.name + "') is a second audio stream; not imported");
    }
  }
  // Host time h -> session time: (h - c) / (spf * rate); spf = host seconds per audio frame.
  double c = 0, spf_rate = 1;
  if (audio >= 0) {
    const auto& t = sync[static_cast<std::size_t>(audio)].times;
    const double rate = f.streams[static_cast<std::size_t>(audio)].nominal_srate;
    const double n = static_cast<double>(t.size());
    double spf = 1.0 / rate;
    if (t.size() > 1) {
      long double mi = (n - 1) / 2.0L, mt = 0, sxy = 0, sxx = 0;
      for (double v : t) mt += v;
      mt /= n;
      for (std::size_t k = 0; k < t.size(); ++k) {
        long double dx = static_cast<long double>(k) - mi;
        sxy += dx * (t[k] - mt);
        sxx += dx * dx;
      }
      spf = static_cast<double>(sxy / sxx);
      c = static_cast<double>(mt - spf * mi);
      if (!(spf > 0) || std::abs(spf * rate - 1) > 0.01) {  // stamps unusable: trust the nominal rate
        warnings.push_back(label + ": the audio stream's time stamps disagree with its nominal rate by more than 1 %; using the first stamp and the nominal rate");
        spf = 1.0 / rate;
        c = t.front();
      }
    } else {
      c = t.front();
    }
    spf_rate = spf * rate;
  } else {
    double t0 = INFINITY;
    for (auto& sy : sync)
      for (double v : sy.times) t0 = std::min(t0, v);
    if (!std::isfinite(t0)) throw FormatError(ErrorKind::malformed, label + ": has no samples in any stream; nothing to import");
    c = t0;
  }
  auto to_session = [&](double h) { return (h - c) / spf_rate; };

  if (audio >= 0) {
    const auto& s = f.streams[static_cast<std::size_t>(audio)];
    std::vector<std::string> roles = opt.audio_roles;
    if (roles.empty()) {
      // Channel labels that are roles (as dyad's own export writes) win; else A, B, therapist.
      bool all = true;
      for (auto& l : s.labels) all = all && is_valid_role(l);
      if (all) roles = s.labels;
      else if (s.channel_count <= 3) roles.assign(std::vector<std::string>{"A", "B", "therapist"}.begin(),
                                                  std::vector<std::string>{"A", "B", "therapist"}.begin() + s.channel_count);
      else
        throw FormatError(ErrorKind::unsupported, label + ": the audio stream '" + s.name + "' has " + std::to_string(s.channel_count) +
                                                      " channels; give their roles with --audio-roles (at most A, B, therapist)");
    }
    if (static_cast<int>(roles.size()) != s.channel_count)
      throw FormatError(ErrorKind::malformed, label + ": the audio stream '" + s.name + "' has " + std::to_string(s.channel_count) +
                                                  " channel(s) but " + std::to_string(roles.size()) + " role(s) were given");
    std::set<std::string> seen;
    for (auto& r : roles) {
      if (!is_valid_role(r)) throw FormatError(ErrorKind::malformed, "import: audio role '" + r + "' is not A, B or therapist");
      if (!seen.insert(r).second) throw FormatError(ErrorKind::malformed, "import: audio role '" + r + "' is given twice");
    }
    AudioWriter w(dir / "audio.wav", s.nominal_srate, s.channel_count, AudioSync::on_close);
    const float k = audio_scale(s.channel_format);
    std::vector<float> buf;
    const std::size_t block = 65536 * static_cast<std::size_t>(s.channel_count);
    for (std::size_t i = 0; i < s.values.size(); i += block) {
      std::size_t n = std::min(block, s.values.size() - i);
      buf.resize(n);
      for (std::size_t j = 0; j < n; ++j) buf[j] = static_cast<float>(s.values[i + j]) * k;
      w.write(buf);
    }
    w.close();
    AudioSection a;
    a.sample_rate_hz = s.nominal_srate;
    for (int ch = 0; ch < s.channel_count; ++ch) {
      a.channels.push_back({ch + 1, roles[static_cast<std::size_t>(ch)]});
      add_participant(m, roles[static_cast<std::size_t>(ch)]);
    }
    m.audio = a;
  }
  if (progress) progress(0.5, "importing XDF streams");

  std::vector<Marker> markers;
  std::set<std::string> used;
  for (auto& r : m.streams) used.insert(r.name);
  for (std::size_t i = 0; i < f.streams.size(); ++i) {
    if (static_cast<int>(i) == audio) continue;
    const auto& s = f.streams[i];
    const auto& times = sync[i].times;
    const std::string sname = "stream " + std::to_string(s.id) + " ('" + s.name + "')";
    if (s.samples() == 0) {
      warnings.push_back(label + ": " + sname + " has no samples; not imported");
      continue;
    }
    XmlNode header;
    try {
      header = parse_xml(s.header_xml);
    } catch (...) {
    }
    const bool marker_stream = s.is_string() || lower(s.type).find("marker") != std::string::npos;
    if (marker_stream) {
      // dyad's own export writes the label, or a JSON object {label, value, duration_s}.
      const bool ours = s.name == "markers" && header.find("desc/dyad") != nullptr;
      for (std::size_t k = 0; k < s.samples(); ++k) {
        Marker mk;
        mk.onset_s = to_session(times[k]);
        mk.source = ours ? "xdf" : "xdf:" + s.name;
        if (s.is_string()) {
          const auto& row = s.strings[k];
          mk.label = row.empty() ? "" : row[0];
          if (ours && !mk.label.empty() && mk.label[0] == '{') {
            try {
              auto j = nlohmann::json::parse(mk.label);
              mk.label = j.value("label", "");
              mk.value = j.value("value", "n/a");
              mk.duration_s = std::max(0.0, j.value("duration_s", 0.0));
            } catch (const nlohmann::json::exception&) {
              warnings.push_back(label + ": " + sname + ", sample " + std::to_string(k + 1) + ": not the JSON dyad writes; kept as text");
            }
          } else if (row.size() > 1) {
            std::string v;
            for (std::size_t j = 1; j < row.size(); ++j) v += (j > 1 ? "|" : "") + row[j];
            mk.value = v.empty() ? "n/a" : v;
          }
        } else {
          mk.label = format_number(s.values[k * static_cast<std::size_t>(s.channel_count)]);
        }
        if (mk.label.empty()) {
          warnings.push_back(label + ": " + sname + ", sample " + std::to_string(k + 1) + ": an empty marker; not imported");
          continue;
        }
        markers.push_back(mk);
      }
      continue;
    }
    StreamSidecar sc;
    std::string base = sanitize_name(s.name, "xdf_stream_" + std::to_string(s.id));
    sc.name = base;
    for (int n = 2; used.count(sc.name); ++n) sc.name = base + "_" + std::to_string(n);
    used.insert(sc.name);
    std::string role = header.value("desc/dyad/role");
    auto it = opt.roles.find(s.name);
    if (it != opt.roles.end()) role = it->second;
    if (role.empty()) role = guess_role(s.name);
    if (role.empty()) {
      role = "A";
      warnings.push_back(label + ": " + sname + ": role unknown, set to A (give --xdf-role '" + s.name + "=ROLE')");
    }
    if (!is_valid_role(role)) throw FormatError(ErrorKind::malformed, "import: role '" + role + "' of XDF stream '" + s.name + "' is not A, B or therapist");
    sc.role = role;
    std::string kind = header.value("desc/dyad/kind");
    sc.kind = is_valid_stream_kind(kind) ? kind : guess_stream_kind(s.type + " " + s.name);
    sc.nominal_rate_hz = s.nominal_srate;
    std::set<std::string> cols;
    for (int ch = 0; ch < s.channel_count; ++ch) {
      std::string col = sanitize_name(s.labels[static_cast<std::size_t>(ch)], "");
      if (col.empty() || col == "time_s" || col == "device_time_s" || !cols.insert(col).second) col = "ch" + std::to_string(ch + 1);
      cols.insert(col);
      sc.columns.push_back(col);
      sc.units.push_back(s.units[static_cast<std::size_t>(ch)]);
    }
    // Device time -> session time: ((1 + b) t + a - c) / spf_rate, per clock segment.
    const auto& fits = sync[i].segments;
    ClockFit main = fits.empty() ? ClockFit{} : fits.front();
    sc.clock.offset_s = (main.offset_s - c) / spf_rate;
    sc.clock.drift_ppm = ((1.0 + main.drift_ppm * 1e-6) / spf_rate - 1.0) * 1e6;
    sc.clock.residual_ms = sync[i].residual_ms;
    sc.clock.method = fits.empty() ? "xdf-no-clock-offsets" : "xdf-clock-offsets";
    if (fits.size() > 1)
      for (auto& fit : fits)
        sc.clock.segments.push_back({{"offset_s", (fit.offset_s - c) / spf_rate},
                                     {"drift_ppm", ((1.0 + fit.drift_ppm * 1e-6) / spf_rate - 1.0) * 1e6}});
    // Rows in session-time order (a clock reset may leave the stamps out of order).
    std::vector<std::size_t> order(s.samples());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b2) { return times[a] < times[b2]; });
    if (!std::is_sorted(times.begin(), times.end()))
      warnings.push_back(label + ": " + sname + ": time stamps out of order after clock correction; rows sorted by time");
    StreamData d;
    d.values.assign(static_cast<std::size_t>(s.channel_count), {});
    for (std::size_t k : order) {
      d.time_s.push_back(to_session(times[k]));
      d.device_time_s.push_back(s.time_stamps[k]);
      for (int ch = 0; ch < s.channel_count; ++ch)
        d.values[static_cast<std::size_t>(ch)].push_back(s.values[k * static_cast<std::size_t>(s.channel_count) + static_cast<std::size_t>(ch)]);
    }
    if (d.size() > 1 && d.time_s.back() > d.time_s.front())
      sc.measured_rate_hz = static_cast<double>(d.size() - 1) / (d.time_s.back() - d.time_s.front());
    write_stream(dir, sc, d);
    m.streams.push_back({sc.name, sc.kind, sc.role});
    add_participant(m, role);
  }
  if (!markers.empty()) {
    auto existing = read_markers(dir);
    existing.insert(existing.end(), markers.begin(), markers.end());
    std::stable_sort(existing.begin(), existing.end(), [](auto& a, auto& b) { return a.onset_s < b.onset_s; });
    write_markers(dir, existing);
  }
  apply_session_identity(f, m, opt, label, warnings);
  if (progress) progress(1.0, "importing XDF");
  return warnings;
}

// ---------------------------------------------------------------------------------------------
// Writer

namespace {

class XdfWriter {
 public:
  explicit XdfWriter(const std::filesystem::path& p) : path_(p) {
    create_private_file(p);
    out_.open(p, std::ios::binary | std::ios::trunc);
    if (!out_) throw FormatError(ErrorKind::io, p.string() + ": cannot create the file");
    out_.write("XDF:", 4);
  }
  /// Section "Chunk": the length counts the tag and the content; 1, 4 or 8 length bytes.
  void chunk(std::uint16_t tag, const std::string& content) {
    const std::uint64_t len = content.size() + 2;
    if (len < 256) {
      put<std::uint8_t>(1);
      put<std::uint8_t>(static_cast<std::uint8_t>(len));
    } else if (len < (1ull << 32)) {
      put<std::uint8_t>(4);
      put<std::uint32_t>(static_cast<std::uint32_t>(len));
    } else {
      put<std::uint8_t>(8);
      put<std::uint64_t>(len);
    }
    put<std::uint16_t>(tag);
    out_.write(content.data(), static_cast<std::streamsize>(content.size()));
    if (!out_) throw FormatError(ErrorKind::io, path_.string() + ": write failed (disk full?)");
  }
  void close() {
    out_.flush();
    out_.close();
    if (out_.fail()) throw FormatError(ErrorKind::io, path_.string() + ": write failed (disk full?)");
  }

 private:
  template <class T>
  void put(T v) {
    out_.write(reinterpret_cast<const char*>(&v), sizeof(T));
  }
  std::ofstream out_;
  std::filesystem::path path_;
};

template <class T>
void append(std::string& s, T v) {
  s.append(reinterpret_cast<const char*>(&v), sizeof(T));
}
void append_varlen(std::string& s, std::uint64_t n) {
  if (n < 256) {
    append<std::uint8_t>(s, 1);
    append<std::uint8_t>(s, static_cast<std::uint8_t>(n));
  } else if (n < (1ull << 32)) {
    append<std::uint8_t>(s, 4);
    append<std::uint32_t>(s, static_cast<std::uint32_t>(n));
  } else {
    append<std::uint8_t>(s, 8);
    append<std::uint64_t>(s, n);
  }
}

std::string with_id(std::uint32_t id) {
  std::string s;
  append(s, id);
  return s;
}

struct OutStream {
  std::uint32_t id;
  std::string name, type, format, role, kind;
  double srate;
  std::vector<std::string> labels, units;
  std::string header() const {
    std::string x = "<?xml version=\"1.0\"?><info><name>" + xml_escape(name) + "</name><type>" + xml_escape(type) +
                    "</type><channel_count>" + std::to_string(labels.size()) + "</channel_count><nominal_srate>" + format_number(srate) +
                    "</nominal_srate><channel_format>" + format + "</channel_format><source_id>dyad</source_id><created_at>0</created_at>"
                    "<desc><channels>";
    for (std::size_t i = 0; i < labels.size(); ++i)
      x += "<channel><label>" + xml_escape(labels[i]) + "</label><unit>" + xml_escape(units[i]) + "</unit></channel>";
    x += "</channels><dyad><role>" + xml_escape(role) + "</role><kind>" + xml_escape(kind) + "</kind></dyad></desc></info>";
    return x;
  }
};

const std::string kBoundaryUuid = std::string("\x43\xA5\x46\xDC\xCB\xF5\x41\x0F\xB3\x0E\xD5\x46\x73\x83\xCB\xE4", 16);

}  // namespace

void export_xdf(const Session& session, const std::filesystem::path& out, bool force, const Progress& progress) {
  refuse_existing(out, force);
  auto tmp = out;
  tmp += ".tmp";
  {
    XdfWriter w(tmp);
    // the session's identity, so that importing the file gives it back (dyad_session: dyad's own
    // element; XDF readers ignore what they do not know)
    const Manifest& man = session.manifest;
    std::string who;
    for (auto& pa : man.participants)
      who += "<participant><role>" + xml_escape(pa.role) + "</role><id>" + xml_escape(pa.id) + "</id></participant>";
    w.chunk(kFileHeader, "<?xml version=\"1.0\"?><info><version>1.0</version><dyad_version>" + std::string(dyad::kVersion) +
                             "</dyad_version><session_id>" + xml_escape(man.id) + "</session_id><dyad_session><couple_id>" +
                             xml_escape(man.couple_id) + "</couple_id><session_number>" + std::to_string(man.session_number) +
                             "</session_number><session_type>" + xml_escape(man.session_type) + "</session_type><start_utc>" +
                             xml_escape(man.start_utc) + "</start_utc><participants>" + who + "</participants></dyad_session></info>");
    std::uint32_t next_id = 1;
    struct Done {
      std::uint32_t id;
      double first, last;
      std::uint64_t count;
    };
    std::vector<Done> done;
    auto footer = [&](const Done& d) {
      std::string x = "<?xml version=\"1.0\"?><info><first_timestamp>" + format_number(d.first) + "</first_timestamp><last_timestamp>" +
                      format_number(d.last) + "</last_timestamp><sample_count>" + std::to_string(d.count) +
                      "</sample_count><clock_offsets><offset><time>" + format_number(d.first) + "</time><value>0</value></offset><offset><time>" +
                      format_number(d.last) + "</time><value>0</value></offset></clock_offsets></info>";
      return x;
    };
    auto offsets = [&](const Done& d) {
      for (double t : {d.first, d.last}) {
        std::string c = with_id(d.id);
        append(c, t);
        append(c, 0.0);
        w.chunk(kClockOffset, c);
      }
    };
    // Audio: float32, one chunk per 4096 frames, only the first sample of a chunk stamped
    // (section "Samples chunk": a missing stamp is the previous one plus 1 / nominal_srate).
    if (session.audio && session.manifest.audio) {
      OutStream os{next_id++, "audio", "Audio", "float32", "", "", session.audio->sample_rate_hz, session.audio_roles(), {}};
      os.units.assign(os.labels.size(), "");
      for (int ch = static_cast<int>(os.labels.size()); ch < session.audio->channels; ++ch) os.labels.push_back("ch" + std::to_string(ch + 1)), os.units.push_back("");
      w.chunk(kStreamHeader, with_id(os.id) + os.header());
      AudioReader ar(session.audio_path());
      const int nch = ar.info().channels;
      const std::int64_t block = 4096;
      std::vector<float> buf(static_cast<std::size_t>(block * nch));
      std::int64_t pos = 0;
      const double rate = ar.info().sample_rate_hz;
      for (;;) {
        std::int64_t got = ar.read(buf);
        if (got <= 0) break;
        std::string c = with_id(os.id);
        append<std::uint8_t>(c, 4);
        append<std::uint32_t>(c, static_cast<std::uint32_t>(got));
        c.reserve(c.size() + static_cast<std::size_t>(got) * (1 + 4 * static_cast<std::size_t>(nch)) + 8);
        for (std::int64_t f = 0; f < got; ++f) {
          if (f == 0) {
            append<std::uint8_t>(c, 8);
            append<double>(c, static_cast<double>(pos) / rate);
          } else {
            append<std::uint8_t>(c, 0);
          }
          c.append(reinterpret_cast<const char*>(buf.data() + f * nch), 4 * static_cast<std::size_t>(nch));
        }
        w.chunk(kSamples, c);
        pos += got;
        if (progress && ar.info().frames > 0) progress(0.8 * static_cast<double>(pos) / static_cast<double>(ar.info().frames), "writing XDF audio");
      }
      done.push_back({os.id, 0.0, pos > 0 ? static_cast<double>(pos - 1) / rate : 0.0, static_cast<std::uint64_t>(pos)});
      w.chunk(kBoundary, kBoundaryUuid);
    }
    for (auto& st : session.streams) {
      const auto& sc = st.sidecar;
      OutStream os{next_id++, sc.name, sc.kind, "double64", sc.role, sc.kind, sc.nominal_rate_hz, sc.columns, sc.units};
      w.chunk(kStreamHeader, with_id(os.id) + os.header());
      StreamData d = read_stream_data(session.dir, sc);
      const std::size_t nch = sc.columns.size();
      for (std::size_t i = 0; i < d.size(); i += 1024) {
        std::size_t n = std::min<std::size_t>(1024, d.size() - i);
        std::string c = with_id(os.id);
        append<std::uint8_t>(c, 4);
        append<std::uint32_t>(c, static_cast<std::uint32_t>(n));
        for (std::size_t k = i; k < i + n; ++k) {
          append<std::uint8_t>(c, 8);
          append<double>(c, d.time_s[k]);
          for (std::size_t ch = 0; ch < nch; ++ch) append<double>(c, d.values[ch][k]);
        }
        w.chunk(kSamples, c);
      }
      done.push_back({os.id, d.size() ? d.time_s.front() : 0.0, d.size() ? d.time_s.back() : 0.0, d.size()});
    }
    if (!session.markers.empty()) {
      // One string channel, as LabRecorder's marker streams (some readers, libxdf among them,
      // mishandle several string channels): the label, or a JSON object when the marker also
      // has a value or a duration.
      OutStream os{next_id++, "markers", "Markers", "string", "", "", 0.0, {"marker"}, {""}};
      w.chunk(kStreamHeader, with_id(os.id) + os.header());
      std::string c = with_id(os.id);
      append<std::uint8_t>(c, 4);
      append<std::uint32_t>(c, static_cast<std::uint32_t>(session.markers.size()));
      for (auto& mk : session.markers) {
        append<std::uint8_t>(c, 8);
        append<double>(c, mk.onset_s);
        std::string v = mk.label;
        const bool plain = (mk.value.empty() || mk.value == "n/a") && mk.duration_s == 0 && (mk.label.empty() || mk.label[0] != '{');
        if (!plain) v = nlohmann::json({{"label", mk.label}, {"value", mk.value}, {"duration_s", mk.duration_s}}).dump();
        append_varlen(c, v.size());
        c += v;
      }
      w.chunk(kSamples, c);
      done.push_back({os.id, session.markers.front().onset_s, session.markers.back().onset_s, session.markers.size()});
    }
    w.chunk(kBoundary, kBoundaryUuid);
    for (auto& d : done) offsets(d);
    for (auto& d : done) w.chunk(kStreamFooter, with_id(d.id) + footer(d));
    w.close();
  }
  std::error_code ec;
  std::filesystem::permissions(tmp, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write, ec);
  std::filesystem::rename(tmp, out, ec);
  if (ec) throw FormatError(ErrorKind::io, out.string() + ": cannot replace it: " + ec.message());
  if (progress) progress(1.0, "writing XDF");
}

}  // namespace dyad::formats
