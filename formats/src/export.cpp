#include "dyad/formats/export.hpp"

#include <algorithm>
#include <cmath>
#include <map>

#include "dyad/formats/error.hpp"
#include "dyad/formats/features.hpp"
#include "dyad/formats/files.hpp"
#include "dyad/formats/manifest.hpp"
#include "dyad/formats/session.hpp"
#include "dyad/formats/text.hpp"

namespace dyad::formats {

namespace fs = std::filesystem;

namespace {

std::vector<ExportFormat>& registry() {
  static std::vector<ExportFormat> r = {
      {"rttm", ".rttm", "NIST RTTM speaker segments (SPEAKER lines)",
       [](const ExportInput& in, const fs::path&) { return write_rttm(in); }},
      {"textgrid", ".TextGrid", "Praat TextGrid (long text format): a tier per partner and an events tier",
       [](const ExportInput& in, const fs::path&) { return write_textgrid(in); }},
      {"eaf", ".eaf", "ELAN annotation file (EAF 3.0): a tier per partner and an events tier, linked to the audio",
       [](const ExportInput& in, const fs::path& out) { return write_eaf(in, out); }},
  };
  return r;
}

/// Events merged per interval (an overlap and its backchannel/interruption share one), in time
/// order, as labels.
struct Labelled {
  double a, b;
  std::string label;
};
std::vector<Labelled> event_labels(const std::vector<dsp::TurnEvent>& events) {
  std::vector<const dsp::TurnEvent*> ev;
  for (auto& e : events) ev.push_back(&e);
  auto rank = [](dsp::EventType t) {  // the state first, then what it also is
    switch (t) {
      case dsp::EventType::pause: return 0;
      case dsp::EventType::gap: return 1;
      case dsp::EventType::overlap_between: return 2;
      case dsp::EventType::overlap_within: return 3;
      case dsp::EventType::backchannel: return 4;
      case dsp::EventType::interruption: return 5;
    }
    return 6;
  };
  std::stable_sort(ev.begin(), ev.end(), [&](auto* x, auto* y) {
    if (x->start_s != y->start_s) return x->start_s < y->start_s;
    return rank(x->type) < rank(y->type);
  });
  std::vector<Labelled> out;
  for (std::size_t i = 0; i < ev.size();) {
    std::size_t j = i;
    std::string types, who = ev[i]->from_role + ">" + ev[i]->to_role, ok;
    for (; j < ev.size() && ev[j]->start_s == ev[i]->start_s && ev[j]->end_s == ev[i]->end_s; ++j) {
      types += (types.empty() ? "" : "+") + std::string(dsp::event_type_name(ev[j]->type));
      if (ev[j]->type == dsp::EventType::interruption) ok = ev[j]->successful == 1 ? " ok" : " failed";
    }
    double a = ev[i]->start_s, b = ev[i]->end_s;
    if (!out.empty()) a = std::max(a, out.back().b);  // never overlap in an interval tier
    if (b > a) out.push_back({a, b, types + " " + who + ok});
    i = j;
  }
  return out;
}

std::string quote_praat(const std::string& s) {
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

/// An interval tier covering [0, end] with the given (sorted, disjoint) labelled intervals.
void textgrid_tier(std::string& out, int index, const std::string& name, double end, const std::vector<Labelled>& iv) {
  std::vector<Labelled> all;
  double t = 0;
  for (auto& x : iv) {
    if (x.a > t) all.push_back({t, x.a, ""});
    all.push_back(x);
    t = x.b;
  }
  if (end > t || all.empty()) all.push_back({t, std::max(end, t), ""});
  out += "    item [" + std::to_string(index) + "]:\n";
  out += "        class = \"IntervalTier\" \n";
  out += "        name = " + quote_praat(name) + " \n";
  out += "        xmin = 0 \n";
  out += "        xmax = " + format_number(std::max(end, t)) + " \n";
  out += "        intervals: size = " + std::to_string(all.size()) + " \n";
  for (std::size_t i = 0; i < all.size(); ++i) {
    out += "        intervals [" + std::to_string(i + 1) + "]:\n";
    out += "            xmin = " + format_number(all[i].a) + " \n";
    out += "            xmax = " + format_number(all[i].b) + " \n";
    out += "            text = " + quote_praat(all[i].label) + " \n";
  }
}

std::string xml_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string file_url(const fs::path& p) {
  std::string s = p.string(), out = "file://";
  for (char c : s) {
    if (c == ' ')
      out += "%20";
    else if (c == '%')
      out += "%25";
    else
      out += c;
  }
  return out;
}

double end_of(const ExportInput& in) {
  double e = in.duration_s;
  for (auto& s : in.segments) e = std::max(e, s.end_s);
  for (auto& x : in.events) e = std::max(e, x.end_s);
  return e;
}

}  // namespace

const std::vector<ExportFormat>& export_formats() { return registry(); }

const ExportFormat* find_export_format(std::string_view name) {
  for (auto& f : registry())
    if (f.name == name) return &f;
  return nullptr;
}

void register_export_format(ExportFormat f) { registry().push_back(std::move(f)); }

ExportInput read_export_input(const fs::path& dir) {
  auto m = read_manifest(dir);
  ExportInput in;
  in.session_id = m.id;
  auto seg = dir / "features" / "segments.tsv";
  std::error_code ec;
  if (!fs::exists(seg, ec))
    throw FormatError(ErrorKind::io, seg.string() + ": not found (run 'dyad analyze' first)");
  in.segments = read_segments(seg);
  in.events = read_events(dir / "features" / "events.tsv");
  if (m.audio) {
    in.audio_path = fs::absolute(dir / m.audio->file);
    if (fs::exists(in.audio_path, ec)) in.duration_s = probe_audio(in.audio_path).duration_s();
    for (auto& c : m.audio->channels) in.roles.push_back(c.role);
  }
  for (auto& s : in.segments) in.roles.push_back(s.role);
  dsp::sort_roles(in.roles);
  return in;
}

std::string write_rttm(const ExportInput& in) {
  std::string out;
  std::string file = in.session_id.empty() ? "session" : in.session_id;
  for (auto& c : file)
    if (c == ' ' || c == '\t') c = '_';
  for (auto& s : in.segments)
    out += "SPEAKER " + file + " 1 " + format_fixed(s.start_s, 3) + " " + format_fixed(s.end_s - s.start_s, 3) +
           " <NA> <NA> " + s.role + " <NA> <NA>\n";
  return out;
}

std::string write_textgrid(const ExportInput& in) {
  const double end = end_of(in);
  std::string out = "File type = \"ooTextFile\"\nObject class = \"TextGrid\"\n\n";
  out += "xmin = 0 \nxmax = " + format_number(end) + " \ntiers? <exists> \n";
  out += "size = " + std::to_string(in.roles.size() + 1) + " \nitem []: \n";
  int k = 1;
  for (auto& r : in.roles) {
    std::vector<Labelled> iv;
    for (auto& s : in.segments)
      if (s.role == r && s.end_s > s.start_s) {
        if (!iv.empty() && s.start_s < iv.back().b) continue;  // malformed input: never overlap
        iv.push_back({s.start_s, s.end_s, "speech"});
      }
    textgrid_tier(out, k++, r, end, iv);
  }
  textgrid_tier(out, k, "events", end, event_labels(in.events));
  return out;
}

std::string write_eaf(const ExportInput& in, const fs::path& out_path) {
  struct Ann {
    std::string tier;
    long long a, b;
    std::string value;
  };
  std::vector<Ann> anns;
  auto ms = [](double s) { return static_cast<long long>(std::llround(s * 1000)); };
  for (auto& r : in.roles)
    for (auto& s : in.segments)
      if (s.role == r && ms(s.end_s) > ms(s.start_s)) anns.push_back({r, ms(s.start_s), ms(s.end_s), "speech"});
  for (auto& e : event_labels(in.events))
    if (ms(e.b) > ms(e.a)) anns.push_back({"events", ms(e.a), ms(e.b), e.label});
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += "<ANNOTATION_DOCUMENT AUTHOR=\"dyad\" DATE=\"" + utc_now_iso8601() +
         "\" FORMAT=\"3.0\" VERSION=\"3.0\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
         "xsi:noNamespaceSchemaLocation=\"http://www.mpi.nl/tools/elan/EAFv3.0.xsd\">\n";
  out += "    <HEADER MEDIA_FILE=\"\" TIME_UNITS=\"milliseconds\">\n";
  if (!in.audio_path.empty()) {
    auto abs = fs::absolute(in.audio_path);
    std::error_code ec;
    auto rel = fs::relative(abs, fs::absolute(out_path).parent_path(), ec);
    out += "        <MEDIA_DESCRIPTOR MEDIA_URL=\"" + xml_escape(file_url(abs)) + "\" MIME_TYPE=\"audio/x-wav\"";
    if (!ec && !rel.empty()) out += " RELATIVE_MEDIA_URL=\"" + xml_escape((rel.is_relative() && rel.string().rfind("..", 0) != 0 ? "./" : "") + rel.string()) + "\"";
    out += "/>\n";
  }
  out += "        <PROPERTY NAME=\"lastUsedAnnotationId\">" + std::to_string(anns.size()) + "</PROPERTY>\n";
  out += "    </HEADER>\n    <TIME_ORDER>\n";
  std::vector<std::pair<long long, std::size_t>> slots;  // time order, as ELAN writes them
  for (std::size_t i = 0; i < anns.size(); ++i) {
    slots.emplace_back(anns[i].a, 2 * i + 1);
    slots.emplace_back(anns[i].b, 2 * i + 2);
  }
  std::stable_sort(slots.begin(), slots.end(), [](auto& x, auto& y) { return x.first < y.first; });
  for (auto& [t, id] : slots)
    out += "        <TIME_SLOT TIME_SLOT_ID=\"ts" + std::to_string(id) + "\" TIME_VALUE=\"" + std::to_string(t) + "\"/>\n";
  out += "    </TIME_ORDER>\n";
  std::vector<std::string> tiers = in.roles;
  tiers.push_back("events");
  for (auto& t : tiers) {
    out += "    <TIER LINGUISTIC_TYPE_REF=\"default-lt\" TIER_ID=\"" + xml_escape(t) + "\">\n";
    for (std::size_t i = 0; i < anns.size(); ++i) {
      if (anns[i].tier != t) continue;
      out += "        <ANNOTATION>\n            <ALIGNABLE_ANNOTATION ANNOTATION_ID=\"a" + std::to_string(i + 1) +
             "\" TIME_SLOT_REF1=\"ts" + std::to_string(2 * i + 1) + "\" TIME_SLOT_REF2=\"ts" + std::to_string(2 * i + 2) +
             "\">\n                <ANNOTATION_VALUE>" + xml_escape(anns[i].value) +
             "</ANNOTATION_VALUE>\n            </ALIGNABLE_ANNOTATION>\n        </ANNOTATION>\n";
    }
    out += "    </TIER>\n";
  }
  out += "    <LINGUISTIC_TYPE GRAPHIC_REFERENCES=\"false\" LINGUISTIC_TYPE_ID=\"default-lt\" TIME_ALIGNABLE=\"true\"/>\n";
  out += "</ANNOTATION_DOCUMENT>\n";
  return out;
}

void export_session(const fs::path& dir, const std::string& format, const fs::path& out, bool force) {
  const auto* f = find_export_format(format);
  if (!f) {
    std::string names;
    for (auto& x : export_formats()) names += (names.empty() ? "" : ", ") + x.name;
    throw FormatError(ErrorKind::unsupported, "unknown export format '" + format + "' (expected one of: " + names + ")");
  }
  refuse_existing(out, force);
  auto in = read_export_input(dir);
  auto text = f->write(in, out);
  if (force)
    write_file_atomic(out, text);
  else
    write_file_new(out, text, false);
}

}  // namespace dyad::formats
