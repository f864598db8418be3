#include "dyad/formats/export_labs.hpp"

#include <sndfile.h>
#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

#include "dyad/formats/audio.hpp"
#include "dyad/formats/error.hpp"
#include "dyad/formats/files.hpp"
#include "dyad/formats/session.hpp"
#include "dyad/formats/text.hpp"
#include "dyad/version.hpp"

namespace dyad::formats {

namespace fs = std::filesystem;

namespace {

std::string alnum(const std::string& s, const std::string& fallback) {
  std::string o;
  for (char c : s)
    if (std::isalnum(static_cast<unsigned char>(c))) o += c;
  return o.empty() ? fallback : o;
}

void make_out_dir(const fs::path& d) {
  std::error_code ec;
  if (fs::exists(d, ec) && !fs::is_directory(d, ec)) throw FormatError(ErrorKind::exists, d.string() + ": exists and is not a folder");
  make_private_dir(d);
}

/// Writes one mono audio file per role with libsndfile.
void write_mono(const Session& s, int channel, const fs::path& out, int sf_format, const Progress& progress, double p0, double p1) {
  AudioReader r(s.audio_path());
  const int nch = r.info().channels;
  SF_INFO info{};
  info.samplerate = static_cast<int>(std::lround(r.info().sample_rate_hz));
  info.channels = 1;
  info.format = sf_format;
  fs::path tmp = out;
  tmp += ".tmp";
  create_private_file(tmp);
  SNDFILE* sf = sf_open(tmp.c_str(), SFM_WRITE, &info);
  if (!sf) throw FormatError(ErrorKind::io, out.string() + ": cannot create it: " + sf_strerror(nullptr));
  std::vector<float> in(65536 * static_cast<std::size_t>(nch)), mono(65536);
  std::int64_t done = 0;
  for (;;) {
    std::int64_t got = r.read(in);
    if (got <= 0) break;
    for (std::int64_t f = 0; f < got; ++f) mono[static_cast<std::size_t>(f)] = in[static_cast<std::size_t>(f * nch + channel - 1)];
    if (sf_writef_float(sf, mono.data(), got) != got) {
      std::string why = sf_strerror(sf);
      sf_close(sf);
      throw FormatError(ErrorKind::io, out.string() + ": write failed: " + why);
    }
    done += got;
    if (progress && r.info().frames > 0) progress(p0 + (p1 - p0) * static_cast<double>(done) / static_cast<double>(r.info().frames), "writing audio");
  }
  sf_close(sf);
  std::error_code ec;
  fs::permissions(tmp, fs::perms::owner_read | fs::perms::owner_write, ec);
  fs::rename(tmp, out, ec);
  if (ec) throw FormatError(ErrorKind::io, out.string() + ": cannot replace it: " + ec.message());
}

std::string csv_field(const std::string& f) {
  if (f.find_first_of(",\"\r\n") == std::string::npos) return f;
  std::string o = "\"";
  for (char c : f) {
    if (c == '"') o += '"';
    o += c;
  }
  return o + "\"";
}

}  // namespace

double resample_at(const std::vector<double>& ts, const std::vector<double>& v, double t, double max_step, std::size_t& j) {
  if (ts.empty()) return NAN;
  if (j >= ts.size()) j = 0;
  if (ts[j] > t) j = 0;
  while (j + 1 < ts.size() && ts[j + 1] <= t) ++j;
  if (ts[j] > t) return std::abs(ts[j] - t) < 1e-9 ? v[j] : NAN;
  if (std::abs(ts[j] - t) < 1e-9) return v[j];
  if (j + 1 < ts.size()) {
    if (ts[j + 1] - ts[j] > max_step || std::isnan(v[j]) || std::isnan(v[j + 1])) return NAN;
    return v[j] + (v[j + 1] - v[j]) * (t - ts[j]) / (ts[j + 1] - ts[j]);
  }
  return t - ts[j] < max_step / 4 ? v[j] : NAN;
}

std::vector<fs::path> export_audio_per_role(const Session& s, const fs::path& out_dir, const std::string& format, bool force,
                                            const Progress& progress) {
  if (!s.audio || !s.manifest.audio) throw FormatError(ErrorKind::unsupported, s.dir.string() + ": the session has no audio to export");
  int sf_format;
  if (format == "wav") sf_format = SF_FORMAT_WAV | SF_FORMAT_FLOAT;
  else if (format == "flac") sf_format = SF_FORMAT_FLAC | SF_FORMAT_PCM_24;
  else throw FormatError(ErrorKind::unsupported, "export: audio format must be wav or flac, found '" + format + "'");
  if (format == "wav" && s.audio->frames * 4 > 0xFFFFFFFFll - 1024)
    throw FormatError(ErrorKind::unsupported, s.audio_path().string() + ": one channel is over 4 GiB as float WAV; export flac instead");
  std::vector<fs::path> files;
  const auto& chans = s.manifest.audio->channels;
  std::string id;
  for (char ch : s.manifest.id) id += (std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_') ? ch : '_';
  if (id.empty()) id = "session";
  for (auto& c : chans) files.push_back(out_dir / (id + "_" + c.role + "." + format));
  for (auto& f : files) refuse_existing(f, force);
  make_out_dir(out_dir);
  for (std::size_t i = 0; i < chans.size(); ++i)
    write_mono(s, chans[i].channel, files[i], sf_format, progress, static_cast<double>(i) / static_cast<double>(chans.size()),
               static_cast<double>(i + 1) / static_cast<double>(chans.size()));
  return files;
}

std::vector<fs::path> export_csv(const Session& s, const fs::path& out_dir, bool force) {
  const fs::path feat = s.dir / "features";
  std::error_code ec;
  if (!fs::is_directory(feat, ec))
    throw FormatError(ErrorKind::io, feat.string() + ": no features folder (run 'dyad analyze' first)");
  std::vector<fs::path> tables;
  for (auto& e : fs::directory_iterator(feat))
    if (e.is_regular_file() && e.path().extension() == ".tsv") tables.push_back(e.path());
  std::sort(tables.begin(), tables.end());
  if (tables.empty()) throw FormatError(ErrorKind::malformed, feat.string() + ": holds no .tsv tables");
  std::vector<std::pair<fs::path, std::string>> todo;
  for (auto& t : tables) {
    Table tab = read_table_file(t.string());
    std::string csv;
    auto line = [&](const std::vector<std::string>& f) {
      for (std::size_t i = 0; i < f.size(); ++i) csv += (i ? "," : "") + csv_field(f[i]);
      csv += "\n";
    };
    line(tab.header);
    for (auto& r : tab.rows) line(r);
    todo.emplace_back(out_dir / (t.stem().string() + ".csv"), csv);
    auto codebook = feat / (t.stem().string() + ".json");
    if (fs::exists(codebook, ec)) todo.emplace_back(out_dir / codebook.filename(), read_file(codebook));
  }
  if (fs::exists(feat / "summary.json", ec)) todo.emplace_back(out_dir / "summary.json", read_file(feat / "summary.json"));
  for (auto& [p, _] : todo) refuse_existing(p, force);
  make_out_dir(out_dir);
  std::vector<fs::path> out;
  for (auto& [p, text] : todo) {
    write_file_new(p, text, force);
    out.push_back(p);
  }
  return out;
}

std::vector<fs::path> export_bids(const Session& s, const fs::path& out_dir, bool force, const std::string& task, const Progress& progress) {
  const std::string sub = alnum(s.manifest.couple_id, "unknown");
  const std::string ses = std::to_string(s.manifest.session_number);
  const std::string tk = alnum(task, "dyad");
  const fs::path beh = out_dir / ("sub-" + sub) / ("ses-" + ses) / "beh";
  const std::string stem = "sub-" + sub + "_ses-" + ses + "_task-" + tk;
  std::vector<std::pair<fs::path, std::string>> texts;
  std::vector<std::pair<fs::path, std::string>> gz;
  nlohmann::json dd = {{"Name", "dyad export of session " + s.manifest.id},
                       {"BIDSVersion", "1.9.0"},
                       {"DatasetType", "raw"},
                       {"GeneratedBy", nlohmann::json::array({{{"Name", "dyad"}, {"Version", dyad::kVersion}}})}};
  texts.emplace_back(out_dir / "dataset_description.json", dd.dump(2) + "\n");
  std::size_t k = 0;
  for (auto& st : s.streams) {
    ++k;
    const auto& sc = st.sidecar;
    StreamData d = read_stream_data(s.dir, sc);
    if (d.size() == 0) continue;
    const std::string rec = stem + "_recording-" + alnum(sc.name, "stream" + std::to_string(k)) + "_physio";
    // BIDS physio needs a constant rate: irregular streams go to 4 Hz.
    const double rate = sc.nominal_rate_hz > 0 ? sc.nominal_rate_hz : 4.0;
    const double max_step = 2.0 / rate;
    const double start = d.time_s.front();
    const auto n = static_cast<std::size_t>(std::floor((d.time_s.back() - start) * rate + 1e-9)) + 1;
    std::string body;
    std::vector<std::size_t> hint(sc.columns.size(), 0);
    for (std::size_t i = 0; i < n; ++i) {
      const double t = start + static_cast<double>(i) / rate;
      for (std::size_t c = 0; c < sc.columns.size(); ++c) {
        if (c) body += '\t';
        body += format_number(resample_at(d.time_s, d.values[c], t, max_step, hint[c]));
      }
      body += '\n';
    }
    gz.emplace_back(beh / (rec + ".tsv.gz"), body);
    nlohmann::json j = {{"SamplingFrequency", rate}, {"StartTime", start}, {"Columns", sc.columns}};
    for (std::size_t c = 0; c < sc.columns.size(); ++c) {
      nlohmann::json col = {{"Description", sc.kind + " of partner " + sc.role + " (dyad stream " + sc.name + ")"}};
      if (c < sc.units.size() && !sc.units[c].empty()) col["Units"] = sc.units[c];
      j[sc.columns[c]] = col;
    }
    if (sc.nominal_rate_hz <= 0) j["dyad_note"] = "irregular stream resampled at 4 Hz by linear interpolation; n/a in gaps";
    texts.emplace_back(beh / (rec + ".json"), j.dump(2) + "\n");
    if (progress) progress(0.5 * static_cast<double>(k) / static_cast<double>(s.streams.size()), "writing BIDS physio");
  }
  // Events: markers, then features/events.tsv when present.
  std::string ev = tsv_line({"onset", "duration", "trial_type", "value", "source"});
  struct Ev {
    double on, du;
    std::string type, value, source;
  };
  std::vector<Ev> evs;
  for (auto& m : s.markers) evs.push_back({m.onset_s, m.duration_s, m.label, m.value, m.source});
  std::error_code ec;
  auto events = s.dir / "features" / "events.tsv";
  if (fs::exists(events, ec)) {
    Table t = read_table_file(events.string());
    auto ct = t.require_column("type"), cs = t.require_column("start_s"), ce = t.require_column("end_s");
    int cf = t.column("from_role"), cto = t.column("to_role");
    for (std::size_t r = 0; r < t.rows.size(); ++r) {
      double a = t.required_number(r, cs), b = t.required_number(r, ce);
      std::string v = cf >= 0 && cto >= 0 ? t.rows[r][static_cast<std::size_t>(cf)] + "->" + t.rows[r][static_cast<std::size_t>(cto)] : "n/a";
      evs.push_back({a, std::max(0.0, b - a), t.rows[r][ct], v, "analysis"});
    }
  }
  std::stable_sort(evs.begin(), evs.end(), [](auto& a, auto& b) { return a.on < b.on; });
  for (auto& e : evs) ev += tsv_line({format_number(e.on), format_number(e.du), e.type, e.value.empty() ? "n/a" : e.value, e.source});
  texts.emplace_back(beh / (stem + "_events.tsv"), ev);
  nlohmann::json evj = {{"trial_type", {{"Description", "marker label, or turn-taking event type (pause, gap, overlap_between, overlap_within, backchannel, interruption)"}}},
                        {"value", {{"Description", "marker value (clinical numbers such as 120/80), or from_role->to_role of a turn event"}}},
                        {"source", {{"Description", "who made the event: recorder, viewer, device, import, analysis..."}}}};
  texts.emplace_back(beh / (stem + "_events.json"), evj.dump(2) + "\n");
  std::vector<std::pair<int, fs::path>> audio;
  if (s.audio && s.manifest.audio)
    for (auto& c : s.manifest.audio->channels) audio.emplace_back(c.channel, beh / (stem + "_recording-" + c.role + "_audio.wav"));
  for (auto& [p, _] : texts) refuse_existing(p, force);
  for (auto& [p, _] : gz) refuse_existing(p, force);
  for (auto& [_, p] : audio) refuse_existing(p, force);
  make_out_dir(out_dir);
  make_out_dir(beh.parent_path().parent_path());
  make_out_dir(beh.parent_path());
  make_out_dir(beh);
  std::vector<fs::path> out;
  for (auto& [p, text] : texts) {
    write_file_new(p, text, force);
    out.push_back(p);
  }
  for (auto& [p, body] : gz) {
    fs::path tmp = p;
    tmp += ".tmp";
    create_private_file(tmp);
    gzFile g = gzopen(tmp.c_str(), "wb");
    if (!g) throw FormatError(ErrorKind::io, p.string() + ": cannot create it");
    std::size_t off = 0;
    while (off < body.size()) {
      unsigned n = static_cast<unsigned>(std::min<std::size_t>(body.size() - off, 1u << 20));
      if (gzwrite(g, body.data() + off, n) != static_cast<int>(n)) {
        gzclose(g);
        throw FormatError(ErrorKind::io, p.string() + ": write failed (disk full?)");
      }
      off += n;
    }
    if (gzclose(g) != Z_OK) throw FormatError(ErrorKind::io, p.string() + ": write failed (disk full?)");
    fs::permissions(tmp, fs::perms::owner_read | fs::perms::owner_write, ec);
    fs::rename(tmp, p, ec);
    if (ec) throw FormatError(ErrorKind::io, p.string() + ": cannot replace it: " + ec.message());
    out.push_back(p);
  }
  for (std::size_t i = 0; i < audio.size(); ++i) {
    write_mono(s, audio[i].first, audio[i].second, SF_FORMAT_WAV | SF_FORMAT_FLOAT, progress,
               0.5 + 0.5 * static_cast<double>(i) / static_cast<double>(audio.size()), 0.5 + 0.5 * static_cast<double>(i + 1) / static_cast<double>(audio.size()));
    out.push_back(audio[i].second);
  }
  return out;
}

}  // namespace dyad::formats
