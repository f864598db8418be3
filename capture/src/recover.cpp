#include "dyad/capture/recover.hpp"
#include "dyad/capture/ingest.hpp"
#include "dyad/capture/recorder.hpp"
#include "dyad/formats/stream.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <fstream>

#include "dyad/formats/audio.hpp"
#include "dyad/formats/error.hpp"
#include "dyad/formats/files.hpp"
#include "dyad/formats/manifest.hpp"
#include "dyad/formats/text.hpp"

namespace dyad::capture {

namespace fs = std::filesystem;
using formats::ErrorKind;
using formats::FormatError;

namespace {
std::uint32_t le32(const unsigned char* p) { return p[0] | (p[1] << 8) | (p[2] << 16) | (static_cast<std::uint32_t>(p[3]) << 24); }
void put32(unsigned char* p, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<unsigned char>(v >> (8 * i));
}
void put64(unsigned char* p, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<unsigned char>(v >> (8 * i));
}

struct Layout {
  bool ok = false;
  bool rf64 = false;
  std::size_t ds64_at = 0;   ///< offset of the ds64 (or JUNK placeholder) chunk body; 0 if none
  bool ds64_is_junk = false;
  std::size_t data_size_at = 0;  ///< offset of the data chunk's size field
  std::size_t data_start = 0;
  int channels = 0;
  std::uint32_t block_align = 0;
  std::uint32_t rate = 0;
};

/// Walks the chunks of a RIFF/RF64 WAVE header (EBU Tech 3306 for RF64/ds64).
Layout parse_layout(const std::vector<unsigned char>& h) {
  Layout L;
  if (h.size() < 12) return L;
  if (std::memcmp(h.data(), "RIFF", 4) == 0)
    L.rf64 = false;
  else if (std::memcmp(h.data(), "RF64", 4) == 0)
    L.rf64 = true;
  else
    return L;
  if (std::memcmp(h.data() + 8, "WAVE", 4) != 0) return L;
  std::size_t pos = 12;
  while (pos + 8 <= h.size()) {
    const unsigned char* c = h.data() + pos;
    std::uint32_t size = le32(c + 4);
    if (std::memcmp(c, "ds64", 4) == 0 || std::memcmp(c, "JUNK", 4) == 0) {
      if (size >= 28 && L.ds64_at == 0) {
        L.ds64_at = pos + 8;
        L.ds64_is_junk = std::memcmp(c, "JUNK", 4) == 0;
      }
    } else if (std::memcmp(c, "fmt ", 4) == 0 && pos + 8 + 16 <= h.size()) {
      L.channels = c[10] | (c[11] << 8);
      L.rate = le32(c + 12);
      L.block_align = static_cast<std::uint32_t>(c[20] | (c[21] << 8));
    } else if (std::memcmp(c, "data", 4) == 0) {
      L.data_size_at = pos + 4;
      L.data_start = pos + 8;
      L.ok = L.block_align > 0 && L.channels > 0;
      return L;
    }
    pos += 8 + static_cast<std::size_t>(size) + (size & 1);  // in 64 bits: 8 + 0xFFFFFFF8 wraps to 0 in 32
  }
  return L;
}

std::vector<unsigned char> read_head(const fs::path& p, std::size_t n) {
  std::ifstream in(p, std::ios::binary);
  std::vector<unsigned char> h(n);
  in.read(reinterpret_cast<char*>(h.data()), static_cast<std::streamsize>(n));
  h.resize(static_cast<std::size_t>(in.gcount()));
  return h;
}

void write_at(int fd, std::size_t off, const unsigned char* p, std::size_t n, const fs::path& path) {
  if (::pwrite(fd, p, n, static_cast<off_t>(off)) != static_cast<ssize_t>(n))
    throw FormatError(ErrorKind::io, path.string() + ": cannot rewrite the header: " + std::strerror(errno));
}

/// Cuts a partial last line; returns the bytes removed.
std::int64_t cut_partial_line(const fs::path& p) {
  std::error_code ec;
  auto size = fs::file_size(p, ec);
  if (ec || size == 0) return 0;
  std::string s = formats::read_file(p);
  auto last = s.rfind('\n');
  std::size_t keep = last == std::string::npos ? 0 : last + 1;
  if (keep == s.size()) return 0;
  fs::resize_file(p, keep);
  int fd = ::open(p.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
  return static_cast<std::int64_t>(s.size() - keep);
}
}  // namespace

WavHeaderFix plan_wav_header_fix(std::span<const unsigned char> head, std::uint64_t file_size, const std::string& label) {
  WavHeaderFix fix;
  std::vector<unsigned char> h(head.begin(), head.end());
  Layout L = parse_layout(h);
  if (!L.ok) return fix;
  fix.readable = true;
  fix.data_start = L.data_start;
  const std::uint64_t data_bytes = file_size > L.data_start ? file_size - L.data_start : 0;
  fix.frames = data_bytes / L.block_align;
  const std::uint64_t keep_data = fix.frames * L.block_align;
  fix.keep_bytes = L.data_start + keep_data;
  const std::uint64_t new_size = fix.keep_bytes;
  // Compare and fix the sizes the header states.
  std::vector<unsigned char> nh(h.begin(), h.begin() + static_cast<std::ptrdiff_t>(L.data_start));
  bool big = new_size - 8 > 0xFFFFFFFFull;
  if (big && !L.rf64) {
    if (L.ds64_at == 0)
      throw FormatError(ErrorKind::unsupported, label + ": over 4 GiB without room for an RF64 ds64 chunk");
    std::memcpy(nh.data(), "RF64", 4);
    std::memcpy(nh.data() + L.ds64_at - 8, "ds64", 4);
    L.rf64 = true;
  }
  if (L.rf64) {
    put32(nh.data() + 4, 0xFFFFFFFFu);
    put32(nh.data() + L.data_size_at, 0xFFFFFFFFu);
    put64(nh.data() + L.ds64_at, new_size - 8);
    put64(nh.data() + L.ds64_at + 8, keep_data);
    put64(nh.data() + L.ds64_at + 16, fix.frames);
  } else {
    put32(nh.data() + 4, static_cast<std::uint32_t>(new_size - 8));
    put32(nh.data() + L.data_size_at, static_cast<std::uint32_t>(keep_data));
  }
  fix.header_changed = nh != std::vector<unsigned char>(h.begin(), h.begin() + static_cast<std::ptrdiff_t>(L.data_start));
  fix.header = std::move(nh);
  return fix;
}

std::int64_t repair_wav(const fs::path& path, double rate, int channels, RecoveryReport& report) {
  std::error_code ec;
  if (!fs::exists(path, ec)) throw FormatError(ErrorKind::io, path.string() + ": audio file is missing; nothing to recover");
  auto h = read_head(path, 65536);
  WavHeaderFix fix = plan_wav_header_fix(h, fs::file_size(path), path.string());
  if (!fix.readable) {
    // Unreadable header: the recorder's header for this rate and channel count has a fixed length;
    // write a fresh one over it and take the rest as data.
    fs::path tmpl = path;
    tmpl += ".header.tmp";
    fs::remove(tmpl, ec);
    { formats::AudioWriter w(tmpl, rate, channels); }
    auto fresh = read_head(tmpl, 65536);
    fs::remove(tmpl, ec);
    Layout F = parse_layout(fresh);
    if (!F.ok) throw FormatError(ErrorKind::io, path.string() + ": cannot build a replacement header");
    if (fs::file_size(path) < F.data_start)
      throw FormatError(ErrorKind::malformed, path.string() + ": shorter than a header (" + std::to_string(fs::file_size(path)) +
                                                  " bytes); no audio to recover");
    int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) throw FormatError(ErrorKind::io, path.string() + ": cannot open for repair: " + std::strerror(errno));
    write_at(fd, 0, fresh.data(), F.data_start, path);
    ::fsync(fd);
    ::close(fd);
    report.header_rebuilt = true;
    report.actions.push_back(path.filename().string() + ": the header was unreadable and was rebuilt (" +
                             std::to_string(channels) + " channels, " + formats::format_number(rate) + " Hz, float32)");
    h = read_head(path, 65536);
    fix = plan_wav_header_fix(h, fs::file_size(path), path.string());
    if (!fix.readable) throw FormatError(ErrorKind::io, path.string() + ": the rebuilt header does not read back");
  }
  const std::uint64_t file_size = fs::file_size(path);
  if (fix.keep_bytes != file_size) {
    fs::resize_file(path, fix.keep_bytes);
    report.audio_bytes_dropped = static_cast<std::int64_t>(file_size - fix.keep_bytes);
    report.actions.push_back(path.filename().string() + ": a partial frame (" + std::to_string(report.audio_bytes_dropped) +
                             " bytes) was cut from the end");
  }
  if (fix.header_changed) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) throw FormatError(ErrorKind::io, path.string() + ": cannot open for repair: " + std::strerror(errno));
    write_at(fd, 0, fix.header.data(), fix.header.size(), path);
    ::fsync(fd);
    ::close(fd);
    report.header_rewritten = true;
    report.actions.push_back(path.filename().string() + ": header sizes set to the " + std::to_string(fix.frames) +
                             " whole frames on disk");
  }
  return static_cast<std::int64_t>(fix.frames);
}

const std::vector<std::string>& phase_labels() {
  static const std::vector<std::string> k = {"baseline", "dosing", "peak", "integration", "talk"};
  return k;
}

std::vector<formats::Marker> close_phases(std::vector<formats::Marker> ms, double end_s) {
  auto is_phase = [](const formats::Marker& m) {
    return m.source == "recorder" &&
           std::find(phase_labels().begin(), phase_labels().end(), m.label) != phase_labels().end();
  };
  auto is_end = [](const formats::Marker& m) { return m.source == "recorder" && m.label == "phase_end"; };
  std::stable_sort(ms.begin(), ms.end(), [](auto& a, auto& b) { return a.onset_s < b.onset_s; });
  for (std::size_t i = 0; i < ms.size(); ++i) {
    if (!is_phase(ms[i]) || ms[i].duration_s > 0) continue;
    double end = end_s;
    for (std::size_t j = i + 1; j < ms.size(); ++j)
      if (is_phase(ms[j]) || is_end(ms[j])) {
        end = ms[j].onset_s;
        break;
      }
    ms[i].duration_s = std::max(0.0, end - ms[i].onset_s);
  }
  ms.erase(std::remove_if(ms.begin(), ms.end(), is_end), ms.end());
  return ms;
}

RecoveryReport recover_session(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw FormatError(ErrorKind::io, dir.string() + ": not a folder (expected a session folder)");
  RecoveryReport rep;
  formats::Manifest m;
  try {
    m = formats::read_manifest(dir);
  } catch (const FormatError& e) {
    auto tmp = dir / "session.json.tmp";
    if (!fs::exists(tmp, ec)) throw;
    m = formats::parse_manifest(formats::read_file(tmp), tmp.string());
    rep.actions.push_back("session.json was unreadable; taken from session.json.tmp");
  }
  rep.previous_status = m.status;
  // the recorder's disk reserve (kept only when it was killed): giving it back makes room for
  // what recovery writes, even on a full disk
  if (fs::exists(dir / kDiskReserveFile, ec)) {
    fs::remove(dir / kDiskReserveFile, ec);
    rep.actions.push_back(std::string(kDiskReserveFile) + ": the recorder's disk reserve was removed");
  }
  // (streams/ too: the end-of-recording retiming writes streams/<name>.tsv.tmp, and a kill during
  // it leaves a partial copy of raw physiological data that the original file already holds)
  for (const fs::path& d : {dir, dir / "streams", dir / "annotations"})
    for (auto& e : fs::directory_iterator(d, ec))
      if (e.path().extension() == ".tmp" && e.is_regular_file(ec)) {
        fs::remove(e.path(), ec);
        rep.actions.push_back(fs::relative(e.path(), dir, ec).string() + ": an unfinished temporary file was removed");
      }
  if (m.audio) {
    int ch = static_cast<int>(m.audio->channels.size());
    for (auto& c : m.audio->channels) ch = std::max(ch, c.channel);
    rep.audio_frames = repair_wav(dir / m.audio->file, m.audio->sample_rate_hz, ch, rep);
    formats::AudioReader check(dir / m.audio->file);  // libsndfile must read it now
    if (check.info().frames != rep.audio_frames)
      throw FormatError(ErrorKind::malformed, (dir / m.audio->file).string() + ": libsndfile reads " +
                                                  std::to_string(check.info().frames) + " frames after repair, expected " +
                                                  std::to_string(rep.audio_frames));
    rep.duration_s = static_cast<double>(rep.audio_frames) / m.audio->sample_rate_hz;
    // dropouts past the end of what survived
    // (the recorder lists a dropout before writing its zeros: cut what a kill kept from the file)
    std::vector<formats::Dropout> kept;
    for (auto d : m.dropouts) {
      const auto start = static_cast<std::int64_t>(std::llround(d.start_s * m.audio->sample_rate_hz));
      const std::int64_t frames = d.start_s < rep.duration_s ? std::min(d.frames, rep.audio_frames - start) : 0;
      const std::string where = "session.json: the dropout at " + formats::format_fixed(d.start_s, 3) + " s (" +
                                std::to_string(d.frames) + " frames) ";
      if (frames <= 0) {
        rep.actions.push_back(where + "was removed: it starts past the end of the audio");
        continue;
      }
      if (frames < d.frames) rep.actions.push_back(where + "was cut to the end of the audio (" + std::to_string(frames) + " frames)");
      d.frames = frames;
      kept.push_back(d);
    }
    m.dropouts = kept;
  }
  std::vector<fs::path> texts = {dir / "markers.tsv"};
  for (auto& e : fs::directory_iterator(dir / "streams", ec))
    if (e.path().extension() == ".tsv") texts.push_back(e.path());
  for (auto& t : texts) {
    if (!fs::exists(t, ec)) continue;
    auto cut = cut_partial_line(t);
    if (cut > 0)
      rep.actions.push_back(fs::relative(t, dir).string() + ": a partial last line (" + std::to_string(cut) + " bytes) was cut");
  }
  // sensor streams of an interrupted recording: not yet in the manifest, their time_s from the
  // live fit; recompute it with the last fit written to the sidecar (every 10 s while recording)
  std::vector<fs::path> sidecars;
  for (auto& e : fs::directory_iterator(dir / "streams", ec))
    if (e.path().extension() == ".json") sidecars.push_back(e.path());
  std::sort(sidecars.begin(), sidecars.end());
  for (auto& p : sidecars) {
    const std::string name = p.stem().string();
    bool listed = false;
    for (auto& x : m.streams) listed |= x.name == name;
    if (listed || !fs::exists(formats::stream_tsv_path(dir, name), ec)) continue;
    formats::StreamSidecar sc;
    try {
      sc = formats::read_sidecar(dir, name);
    } catch (const FormatError& e) {
      rep.actions.push_back(std::string("streams/") + name + ": not added, its sidecar is unreadable: " + e.what());
      continue;
    }
    if (sc.clock.method != "pending") {
      const auto clock = sc.clock;
      try {
        retime_stream_file(formats::stream_tsv_path(dir, name), [&](double d) { return session_time_of(clock, d); });
        rep.actions.push_back("streams/" + name + ".tsv: time_s recomputed with the clock fit in its sidecar");
      } catch (const FormatError& e) {
        if (e.kind() != ErrorKind::io) throw;
        rep.actions.push_back("streams/" + name + ".tsv: time_s kept from the live fit (" + e.what() + "); run 'dyad recover' again once there is room");
      }
    }
    m.streams.push_back({sc.name, sc.kind, sc.role});
    rep.actions.push_back("stream " + name + " added to session.json");
  }
  if (fs::exists(dir / "markers.tsv", ec)) {
    auto ms = formats::read_markers(dir);
    auto closed = close_phases(ms, rep.duration_s);
    bool diff = closed.size() != ms.size();
    for (std::size_t i = 0; !diff && i < ms.size(); ++i) diff = closed[i].duration_s != ms[i].duration_s;
    if (diff) {
      formats::write_markers(dir, closed);
      rep.actions.push_back("markers.tsv: open phases were closed at the next phase or the end of the audio");
    }
  }
  rep.changed = !rep.actions.empty() || m.status != "complete";
  if (rep.changed) {
    m.status = "recovered";
    nlohmann::json r = {{"recovered_utc", formats::utc_now_iso8601()}, {"previous_status", rep.previous_status},
                        {"audio_frames", rep.audio_frames}, {"actions", rep.actions}};
    m.extra["recovery"] = r;
    formats::write_manifest(dir, m);
  }
  return rep;
}

}  // namespace dyad::capture
