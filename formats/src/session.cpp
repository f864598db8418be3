#include "dyad/formats/session.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <exception>
#include <set>
#include <system_error>
#include <thread>

#include "dyad/formats/error.hpp"
#include "dyad/formats/files.hpp"
#include "dyad/formats/overview.hpp"
#include "dyad/formats/text.hpp"
#include "dyad/version.hpp"

namespace dyad::formats {

Session Session::open(const std::filesystem::path& dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec))
    throw FormatError(ErrorKind::io, dir.string() + ": not a folder (expected a dyad session folder)");
  Session s;
  s.dir = dir;
  s.manifest = read_manifest(dir);
  const std::string mlabel = (dir / "session.json").string();
  if (s.manifest.audio) {
    auto p = dir / s.manifest.audio->file;
    if (!std::filesystem::exists(p, ec))
      throw FormatError(ErrorKind::io, p.string() + ": audio file is missing (named by " + mlabel + " key 'audio.file')");
    s.audio = probe_audio(p);
    if (std::abs(s.audio->sample_rate_hz - s.manifest.audio->sample_rate_hz) > 1e-6)
      throw FormatError(ErrorKind::malformed, mlabel + ": key 'audio.sample_rate_hz': " +
                                                  format_number(s.manifest.audio->sample_rate_hz) + " but " + p.string() +
                                                  " is at " + format_number(s.audio->sample_rate_hz) + " Hz");
    std::set<int> seen;
    std::set<std::string> roles;
    for (auto& c : s.manifest.audio->channels) {
      // one microphone per role: a second channel of the same role would silently hide one partner
      if (!roles.insert(c.role).second)
        throw FormatError(ErrorKind::malformed, mlabel + ": key 'audio.channels': role " + c.role + " is given to more than one channel (" +
                                                    std::to_string(c.channel) + " and an earlier one); each role has one channel");
      if (c.channel > s.audio->channels)
        throw FormatError(ErrorKind::malformed, mlabel + ": key 'audio.channels': channel " + std::to_string(c.channel) +
                                                    " (role " + c.role + ") does not exist; " + p.string() + " has " +
                                                    std::to_string(s.audio->channels) + " channel(s)");
      if (!seen.insert(c.channel).second)
        throw FormatError(ErrorKind::malformed, mlabel + ": key 'audio.channels': channel " + std::to_string(c.channel) +
                                                    " is mapped twice");
    }
  }
  // Each stream's sidecar in order, then the rows of every stream not cached, side by side on the
  // machine's cores (3 h of 1000 Hz ECG is 10.8 M rows). The first error in the streams' order is
  // the one reported, as when they were read one after another.
  const auto& refs = s.manifest.streams;
  std::vector<StreamSummary> sums(refs.size());
  std::vector<std::exception_ptr> errors(refs.size());
  std::vector<std::size_t> to_scan;
  std::size_t checked = 0;  // streams whose sidecar was read (the rest come after an error)
  std::set<std::string> names;
  for (; checked < refs.size(); ++checked) {
    const auto& ref = refs[checked];
    auto& sum = sums[checked];
    try {
      if (!names.insert(ref.name).second)
        throw FormatError(ErrorKind::malformed, mlabel + ": key 'streams': stream '" + ref.name + "' is listed twice");
      for (auto* p : {&stream_json_path, &stream_tsv_path})
        if (!std::filesystem::exists((*p)(dir, ref.name), ec))
          throw FormatError(ErrorKind::io, (*p)(dir, ref.name).string() + ": missing; " + mlabel + " lists the stream '" + ref.name + "'");
      sum.sidecar = read_sidecar(dir, ref.name);
      if (sum.sidecar.name != ref.name)
        throw FormatError(ErrorKind::malformed, stream_json_path(dir, ref.name).string() + ": key 'name': expected '" +
                                                    ref.name + "' (the file's name), found '" + sum.sidecar.name + "'");
      // every row is checked, or was when the viewer's binary copy of this very file was made
      if (auto cached = cached_stream_extent(dir, sum.sidecar)) {
        sum.samples = cached->samples;
        sum.first_s = cached->first_s;
        sum.last_s = cached->last_s;
      } else {
        to_scan.push_back(checked);
      }
    } catch (...) {
      errors[checked] = std::current_exception();
      break;
    }
  }
  {
    std::atomic<std::size_t> next{0};
    auto worker = [&] {
      for (std::size_t k; (k = next.fetch_add(1)) < to_scan.size();) {
        auto& sum = sums[to_scan[k]];
        try {
          const auto e = scan_stream(dir, sum.sidecar);
          sum.samples = e.samples;
          sum.first_s = e.first_s;
          sum.last_s = e.last_s;
        } catch (...) {
          errors[to_scan[k]] = std::current_exception();
        }
      }
    };
    const auto jobs = std::min<std::size_t>(to_scan.size(), std::max(1u, std::thread::hardware_concurrency()));
    std::vector<std::thread> th;
    try {
      for (std::size_t j = 1; j < jobs; ++j) th.emplace_back(worker);
    } catch (const std::system_error&) {  // no thread to be had: the rest on this one
    }
    worker();
    for (auto& t : th) t.join();
  }
  for (std::size_t k = 0; k < refs.size() && k <= checked; ++k)
    if (errors[k]) std::rethrow_exception(errors[k]);
  for (auto& sum : sums) s.streams.push_back(std::move(sum));
  s.markers = read_markers(dir);
  // A stream running well past the audio's end means the audio is cut short (or the stream's
  // clock is off): windows and the viewer follow the audio's length, so say so.
  if (s.audio) {
    std::string past;
    double last = 0;
    for (auto& st : s.streams)
      if (st.samples > 0 && st.last_s > s.audio->duration_s() + 1.0) {
        past += (past.empty() ? "" : ", ") + st.sidecar.name;
        last = std::max(last, st.last_s);
      }
    if (!past.empty())
      s.warnings.push_back(s.audio_path().string() + ": ends at " + format_fixed(s.audio->duration_s(), 1) +
                           " s (the session's length; windowed tables and the timeline stop there) but streams run to " +
                           format_fixed(last, 1) + " s (" + past + "): is the audio cut short?");
  }
  return s;
}

double Session::duration_s() const {
  if (audio) return audio->duration_s();
  double end = 0;
  for (auto& st : streams) end = std::max(end, st.last_s);
  for (auto& m : markers) end = std::max(end, m.onset_s + m.duration_s);
  return end;
}

std::filesystem::path Session::audio_path() const {
  return manifest.audio ? dir / manifest.audio->file : std::filesystem::path();
}

std::vector<std::string> Session::audio_roles() const {
  std::vector<std::string> r;
  if (!manifest.audio) return r;
  auto ch = manifest.audio->channels;
  std::sort(ch.begin(), ch.end(), [](auto& a, auto& b) { return a.channel < b.channel; });
  for (auto& c : ch) r.push_back(c.role);
  return r;
}

void create_session_dir(const std::filesystem::path& dir) {
  std::error_code ec;
  if (std::filesystem::exists(dir, ec)) {
    if (!std::filesystem::is_directory(dir, ec))
      throw FormatError(ErrorKind::exists, dir.string() + ": exists and is not a folder");
    if (!std::filesystem::is_empty(dir, ec))
      throw FormatError(ErrorKind::exists, dir.string() + ": already exists and is not empty; refusing to overwrite a session");
  }
  make_private_dir(dir);
  make_private_dir(dir / "streams");
}

Manifest new_manifest(const std::string& couple_id, std::int64_t session_number, const std::string& session_type) {
  Manifest m;
  m.id = new_session_id();
  m.created = utc_now_iso8601();
  m.couple_id = couple_id;
  m.session_number = session_number;
  m.session_type = session_type;
  m.dyad_version = dyad::kVersion;
  return m;
}

}  // namespace dyad::formats
