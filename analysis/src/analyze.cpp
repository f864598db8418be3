#include "dyad/analysis/analyze.hpp"

#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <condition_variable>
#include <functional>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "dyad/formats/audio.hpp"
#include "dyad/formats/error.hpp"
#include "dyad/formats/files.hpp"
#include "dyad/formats/markers.hpp"
#include "dyad/formats/text.hpp"
#include "dyad/version.hpp"

namespace dyad::analysis {

namespace fs = std::filesystem;
using formats::ColumnDoc;
using formats::format_number;
using formats::format_seconds;

namespace {

/// The one audio pass of a session. This thread reads blocks of frames into a ring of kSlots
/// blocks, split into lanes (`channel_of(i)` is lane i's 0-based channel in the file); one
/// thread per lane runs `lane(i, block, first_frame)` and, when given, one more runs `joint(views)`
/// with every lane's block, each taking the blocks in order. A slot is reused once every
/// consumer is done with it, so a lane that is busier for a while (a partner's long voiced
/// stretch) does not hold the others back, and reading overlaps the work. `progress(frames)`
/// reports the frames every consumer has finished. An exception on any thread stops them all
/// and is rethrown here; so is a cancellation.
void audio_pass(formats::AudioReader& reader, std::size_t lanes, std::int64_t block,
                const std::function<int(std::size_t)>& channel_of,
                const std::function<void(std::size_t, std::span<const float>, std::int64_t)>& lane,
                const std::function<void(std::span<const std::span<const float>>)>& joint, const std::atomic<bool>* cancel,
                const std::function<void(std::int64_t)>& progress) {
  constexpr std::int64_t kSlots = 8;
  const int nch = reader.info().channels;
  struct Slot {
    std::vector<std::vector<float>> lanes;
    std::int64_t n = 0, offset = 0;
  };
  std::vector<Slot> ring(kSlots);
  for (auto& s : ring) s.lanes.assign(lanes, std::vector<float>(static_cast<std::size_t>(block)));
  std::vector<float> inter(static_cast<std::size_t>(block * nch));
  const std::size_t consumers = lanes + (joint ? 1 : 0);
  if (consumers == 0) return;
  std::mutex m;
  std::condition_variable cv;
  std::int64_t produced = 0;  // blocks filled
  bool eof = false, abort = false;
  std::exception_ptr err;
  std::vector<std::int64_t> consumed(consumers, 0), consumed_frames(consumers, 0);
  auto fail = [&](std::exception_ptr e) {
    std::lock_guard lk(m);
    if (!err) err = e;
    abort = true;
    cv.notify_all();
  };
  auto consume = [&](std::size_t c) {
    try {
      std::vector<std::span<const float>> views(lanes);
      for (std::int64_t b = 0;; ++b) {
        {
          std::unique_lock lk(m);
          cv.wait(lk, [&] { return abort || b < produced || eof; });
          if (abort || b >= produced) return;
        }
        const Slot& s = ring[static_cast<std::size_t>(b % kSlots)];
        const auto n = static_cast<std::size_t>(s.n);
        if (c < lanes) {
          lane(c, std::span<const float>(s.lanes[c].data(), n), s.offset);
        } else {
          for (std::size_t i = 0; i < lanes; ++i) views[i] = std::span<const float>(s.lanes[i].data(), n);
          joint(views);
        }
        std::lock_guard lk(m);
        consumed[c] = b + 1;
        consumed_frames[c] = s.offset + s.n;
        cv.notify_all();
      }
    } catch (...) {
      fail(std::current_exception());
    }
  };
  std::vector<std::thread> th;
  try {
    for (std::size_t c = 0; c < consumers; ++c) th.emplace_back(consume, c);
    std::int64_t offset = 0;
    for (std::int64_t b = 0;; ++b) {
      if (cancel && cancel->load()) throw std::runtime_error("cancelled");
      std::int64_t done_frames = 0;
      {
        std::unique_lock lk(m);
        cv.wait(lk, [&] { return abort || *std::min_element(consumed.begin(), consumed.end()) > b - kSlots; });
        if (abort) break;
        done_frames = *std::min_element(consumed_frames.begin(), consumed_frames.end());
      }
      if (progress) progress(done_frames);
      const auto n = reader.read(inter);
      if (n <= 0) break;
      Slot& s = ring[static_cast<std::size_t>(b % kSlots)];
      for (std::size_t i = 0; i < lanes; ++i) {
        float* out = s.lanes[i].data();
        const auto ch = static_cast<std::size_t>(channel_of(i));
        for (std::int64_t k = 0; k < n; ++k) out[k] = inter[static_cast<std::size_t>(k) * static_cast<std::size_t>(nch) + ch];
      }
      s.n = n;
      s.offset = offset;
      offset += n;
      std::lock_guard lk(m);
      produced = b + 1;
      cv.notify_all();
    }
  } catch (...) {
    fail(std::current_exception());
  }
  {
    std::lock_guard lk(m);
    eof = true;
    cv.notify_all();
  }
  for (auto& t : th) t.join();
  if (err) std::rethrow_exception(err);
  if (progress) progress(*std::max_element(consumed_frames.begin(), consumed_frames.end()));
}

nlohmann::json num(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }

/// Seconds to the nanosecond, as the tables write them (0.74, not 0.7400000000000002).
nlohmann::json sec(double v) { return num(formats::round_seconds(v)); }

nlohmann::json dist_json(const dsp::Distribution& d) {
  return {{"count", d.count}, {"total_s", sec(d.total_s)}, {"mean_s", sec(d.mean_s)}, {"median_s", sec(d.median_s)},
          {"q1_s", sec(d.q1_s)},  {"q3_s", sec(d.q3_s)},  {"iqr_s", sec(d.iqr_s)},   {"min_s", sec(d.min_s)},
          {"max_s", sec(d.max_s)}};
}

std::string table_text(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows) {
  std::string out = formats::tsv_line(header);
  for (auto& r : rows) out += formats::tsv_line(r);
  return out;
}

void write_json(const fs::path& p, const nlohmann::json& j) { formats::write_file_new(p, j.dump(2) + "\n", false); }

void write_table_files(const fs::path& dir, const std::string& name, const std::string& description,
                       const std::vector<ColumnDoc>& cols, const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::string> header;
  for (auto& c : cols) header.push_back(c.name);
  for (auto& r : rows)
    if (r.size() != header.size())
      throw std::logic_error("features/" + name + ".tsv: a row has " + std::to_string(r.size()) + " fields, the header " +
                             std::to_string(header.size()));
  formats::write_file_new(dir / (name + ".tsv"), table_text(header, rows), false);
  write_json(dir / (name + ".json"), formats::codebook_json(name + ".tsv", description, cols));
}

/// Appends extension columns to a table.
void add_columns(std::vector<ColumnDoc>& cols, std::vector<std::vector<std::string>>& rows, const std::vector<ExtraColumn>& extra,
                 const std::string& table) {
  for (auto& x : extra) {
    if (x.values.size() != rows.size())
      throw std::logic_error(table + ": column '" + x.doc.name + "' has " + std::to_string(x.values.size()) +
                             " values for " + std::to_string(rows.size()) + " rows");
    cols.push_back(x.doc);
    for (std::size_t i = 0; i < rows.size(); ++i) rows[i].push_back(x.values[i]);
  }
}

void sync_dir(const fs::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

/// Removes leftovers of interrupted runs (.features.tmp-* and .features.old-*).
void remove_leftovers(const fs::path& dir) {
  std::error_code ec;
  for (auto& e : fs::directory_iterator(dir, ec)) {
    auto n = e.path().filename().string();
    if (n.rfind(".features.tmp-", 0) == 0 || n.rfind(".features.old-", 0) == 0) fs::remove_all(e.path(), ec);
  }
}

/// Puts `fresh` in place of dir/features: an atomic exchange when features/ exists.
void swap_in(const fs::path& dir, const fs::path& fresh) {
  auto target = dir / "features";
  std::error_code ec;
  // The viewer's audio overview (features/overview/) depends on audio.wav only and checks it
  // itself: carried over, so a new analysis does not cost the next open a rebuild.
  if (fs::exists(target / "overview", ec) && !fs::exists(fresh / "overview", ec))
    fs::rename(target / "overview", fresh / "overview", ec);
  sync_dir(fresh);
  if (fs::exists(target, ec)) {
#ifdef RENAME_EXCHANGE
    if (::renameat2(AT_FDCWD, fresh.c_str(), AT_FDCWD, target.c_str(), RENAME_EXCHANGE) == 0) {
      sync_dir(dir);
      fs::remove_all(fresh, ec);  // now holds the old features
      return;
    }
#endif
    auto old_name = dir / (".features.old-" + fresh.filename().string().substr(std::string(".features.tmp-").size()));
    if (::rename(target.c_str(), old_name.c_str()) != 0)
      throw formats::FormatError(formats::ErrorKind::io, target.string() + ": cannot be moved aside: " + std::strerror(errno));
    if (::rename(fresh.c_str(), target.c_str()) != 0)
      throw formats::FormatError(formats::ErrorKind::io, target.string() + ": cannot be replaced: " + std::strerror(errno));
    sync_dir(dir);
    fs::remove_all(old_name, ec);
    return;
  }
  if (::rename(fresh.c_str(), target.c_str()) != 0)
    throw formats::FormatError(formats::ErrorKind::io, target.string() + ": cannot be created: " + std::strerror(errno));
  sync_dir(dir);
}

std::vector<dsp::Interval> exclusions_of(const formats::Session& s) {
  std::vector<dsp::Interval> out;
  for (auto [a, b] : formats::exclusion_intervals(s.markers)) out.push_back({a, b});
  return out;
}

}  // namespace

std::unique_ptr<dsp::VoiceActivityDetector> make_vad(const AnalyzeOptions& opt, double rate, std::size_t channels) {
  if (opt.vad_factory) return opt.vad_factory(rate, channels);
  if (opt.vad_detector == "crosstalk") {
    auto c = opt.crosstalk_vad;
    c.sample_rate_hz = rate;
    return std::make_unique<dsp::CrosstalkVad>(c, channels);
  }
  if (opt.vad_detector == "energy") {
    auto c = opt.energy_vad;
    c.sample_rate_hz = rate;
    return std::make_unique<dsp::EnergyVad>(c, channels);
  }
  throw std::invalid_argument("analyze: the voice activity detector must be crosstalk or energy, got '" + opt.vad_detector + "'");
}

void FeatureContext::write_table(const std::string& name, const std::string& description, const std::vector<ColumnDoc>& columns,
                                 const std::vector<std::vector<std::string>>& rows) const {
  write_table_files(out_dir, name, description, columns, rows);
}

AnalyzeResult analyze_session(const fs::path& dir, const AnalyzeOptions& opt, const ProgressFn& progress,
                              const std::atomic<bool>* cancel) {
  auto report = [&](double f, const std::string& w) {
    if (progress) progress(f, w);
  };
  if (!(opt.window_s > 0) || !std::isfinite(opt.window_s))
    throw std::invalid_argument("analyze: the window length must be a number of seconds > 0, got " + format_number(opt.window_s));
  report(0, "opening");
  auto session = formats::Session::open(dir);
  AnalyzeResult res;
  res.warnings = session.warnings;
  const auto excl = exclusions_of(session);
  const double duration = session.duration_s();
  res.duration_s = duration;

  // Roles: those on audio channels, else the participants.
  std::vector<std::string> roles = session.audio_roles();
  if (roles.empty())
    for (auto& p : session.manifest.participants) roles.push_back(p.role);
  dsp::sort_roles(roles);

  // The talkspurts of record.
  std::vector<dsp::Segment> segments;
  const auto ann = formats::annotations_segments_path(dir);
  std::error_code ec;
  const bool annotated = opt.use_annotations && fs::exists(ann, ec);
  std::unique_ptr<dsp::VoiceActivityDetector> vad;
  std::vector<std::unique_ptr<FeatureExtension>> exts;
  for (auto& f : opt.extensions) {
    exts.push_back(f());
    exts.back()->start(dir);
  }
  if (annotated) {
    segments = formats::read_segments(ann);
    res.segments_source = "annotations";
  }

  // One audio pass: detector and extensions' per-role analyses, roles in parallel.
  struct Lane {
    std::string role;
    int channel = 0;  // 0-based in the file
    std::vector<std::shared_ptr<RoleAudioAnalysis>> analyses;
  };
  std::vector<Lane> lanes;
  if (session.audio && session.manifest.audio) {
    const double rate = session.audio->sample_rate_hz;
    for (auto& r : roles) {
      int ch = session.manifest.channel_of_role(r);
      if (ch <= 0) continue;
      Lane l;
      l.role = r;
      l.channel = ch - 1;
      for (auto& e : exts)
        if (auto a = e->audio_analysis(r, rate)) l.analyses.push_back(std::move(a));
      lanes.push_back(std::move(l));
    }
    if (!annotated) {
      vad = make_vad(opt, rate, lanes.size());
      res.segments_source = "vad:" + vad->name();
    }
  } else if (!annotated) {
    // A physiology-only session (imported from EDF, XDF or CSV): no talkspurts, the extensions
    // (physiology, synchrony) still run.
    if (session.streams.empty())
      throw formats::FormatError(formats::ErrorKind::unsupported,
                                 dir.string() + ": the session has no audio, no annotations/segments.tsv and no streams; nothing to analyse");
    res.segments_source = "none (no audio)";
    res.warnings.push_back("no audio and no annotations/segments.tsv: physiology only, the turn-taking tables are empty");
  }
  bool need_audio = vad != nullptr;
  for (auto& l : lanes) need_audio = need_audio || !l.analyses.empty();
  if (need_audio) {
    formats::AudioReader reader(session.audio_path());
    const auto total = reader.info().frames;
    const auto block = std::max<std::int64_t>(1, opt.block_frames);
    const bool independent = vad && vad->independent_channels();
    audio_pass(reader, lanes.size(), block, [&](std::size_t i) { return lanes[i].channel; },
               [&](std::size_t i, std::span<const float> v, std::int64_t offset) {
                 if (independent) vad->process_channel(i, v);
                 for (auto& a : lanes[i].analyses) a->process(v, offset);
               },
               vad && !independent ? std::function<void(std::span<const std::span<const float>>)>(
                                         [&](std::span<const std::span<const float>> views) { vad->process(views); })
                                   : nullptr,
               cancel, [&](std::int64_t frames) {
                 report(total > 0 ? 0.9 * static_cast<double>(frames) / static_cast<double>(total) : 0.9, "reading audio");
               });
    for (auto& l : lanes)
      for (auto& a : l.analyses) a->finish();
    if (vad) {
      vad->finish();
      for (std::size_t i = 0; i < lanes.size(); ++i)
        for (auto iv : vad->take(i)) segments.push_back({lanes[i].role, iv.start_s, iv.end_s});
    }
  }
  report(0.9, "turn taking");

  dsp::TurnConfig tc;
  tc.backchannel_max_s = opt.backchannel_max_s;
  tc.roles = roles;
  const auto tt = dsp::compute_turn_taking(segments, excl, tc);
  double last_end = duration;  // a talkspurt of record may run past the audio
  for (auto& s : tt.segments) last_end = std::max(last_end, s.end_s);
  const auto stats = dsp::summarize(tt, 0, last_end);
  const auto windows = dsp::window_stats(tt, last_end, opt.window_s);

  // Write into a temporary folder inside the session, then swap.
  remove_leftovers(dir);
  static std::atomic<int> counter{0};
  const auto tmp = dir / (".features.tmp-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
  formats::make_private_dir(tmp);
  try {
    FeatureContext ctx{session, opt, tt, windows, tmp, {}, {}, nlohmann::json::object()};
    nlohmann::json ext_summary = nlohmann::json::object();
    for (auto& e : exts) {
      ctx.summary = nlohmann::json::object();
      ctx.warnings.clear();
      e->finish(ctx);
      ext_summary[e->name()] = ctx.summary;
      for (auto& w : ctx.warnings) res.warnings.push_back(e->name() + ": " + w);
    }

    // segments.tsv
    {
      std::vector<std::vector<std::string>> rows;
      for (auto& s : tt.segments) rows.push_back({s.role, format_seconds(s.start_s), format_seconds(s.end_s)});
      write_table_files(tmp, "segments", "Talkspurts per partner (" + res.segments_source + ")", formats::segments_columns(), rows);
    }
    // events.tsv
    {
      formats::write_file_new(tmp / "events.tsv", formats::serialise_events(tt.events), false);
      write_json(tmp / "events.json", formats::codebook_json("events.tsv", "Turn-taking events (Heldner & Edlund 2010)",
                                                             formats::events_columns()));
    }
    // turns.tsv
    {
      std::vector<ColumnDoc> cols = {
          {"turn", "turn number, from 1", "count", ""},
          {"role", "the floor holder", "", ""},
          {"start_s", "start of the talkspurt by which the holder took the floor", "s", "session seconds"},
          {"end_s", "end of the holder's last talkspurt before the floor passed on", "s", "session seconds"},
          {"fto_s", "floor transfer offset", "s",
           "start_s minus the previous turn's end_s: positive after a gap, negative after an overlap, 0 after a direct hand-over; n/a for the first turn and the first after an exclusion"},
          {"duration_s", "end_s - start_s (floor time of the turn)", "s", ""},
          {"prev_role", "the previous turn's holder", "", "n/a when fto_s is n/a"},
          {"talkspurts", "the holder's talkspurts in the turn", "count", ""},
          {"speaking_s", "the holder's speaking time in the turn", "s", ""}};
      std::vector<std::vector<std::string>> rows;
      for (auto& t : tt.turns)
        rows.push_back({std::to_string(t.number), t.role, format_seconds(t.start_s), format_seconds(t.end_s), format_seconds(t.fto_s),
                        format_seconds(t.end_s - t.start_s), t.prev_role.empty() ? "n/a" : t.prev_role,
                        std::to_string(t.talkspurts), format_seconds(t.speaking_s)});
      add_columns(cols, rows, ctx.turn_columns, "turns.tsv");
      write_table_files(tmp, "turns", "Turns: the floor changes at gaps and between-speaker overlaps", cols, rows);
    }
    // windows.tsv
    {
      std::vector<ColumnDoc> cols = {
          {"window", "window number, from 1", "count", ""},
          {"start_s", "window start", "s", "(window - 1) * window_s"},
          {"end_s", "window end", "s", "the last window ends at the session end"},
          {"excluded_s", "time inside exclusion intervals", "s", ""},
          {"speech_s", "time when someone speaks", "s", ""},
          {"silence_s", "time when nobody speaks, outside exclusions", "s", ""},
          {"overlap_s", "time when two or more speak", "s", ""}};
      for (auto& r : tt.roles) {
        cols.push_back({"speaking_s_" + r, "speaking time of " + r, "s", "talkspurt time inside the window"});
        cols.push_back({"floor_s_" + r, "floor time of " + r, "s", "time of " + r + "'s turns inside the window"});
        cols.push_back({"turns_" + r, "turns of " + r + " starting in the window", "count", ""});
      }
      for (auto* n : {"pauses", "gaps", "overlaps_between", "overlaps_within", "backchannels", "interruptions"})
        cols.push_back({n, std::string(n) + " starting in the window", "count", "events.tsv rows whose start_s is in the window"});
      std::vector<std::vector<std::string>> rows;
      for (std::size_t k = 0; k < windows.size(); ++k) {
        auto& w = windows[k];
        std::vector<std::string> row = {std::to_string(k + 1), format_seconds(w.start_s), format_seconds(w.end_s),
                                        format_seconds(w.excluded_s), format_seconds(w.speech_s), format_seconds(w.silence_s),
                                        format_seconds(w.overlap_s)};
        for (std::size_t r = 0; r < tt.roles.size(); ++r) {
          row.push_back(format_seconds(w.speaking_s[r]));
          row.push_back(format_seconds(w.floor_s[r]));
          row.push_back(std::to_string(w.turns_started[r]));
        }
        for (auto c : {w.pauses, w.gaps, w.overlaps_between, w.overlaps_within, w.backchannels, w.interruptions})
          row.push_back(std::to_string(c));
        rows.push_back(std::move(row));
      }
      add_columns(cols, rows, ctx.window_columns, "windows.tsv");
      write_table_files(tmp, "windows", "The session in consecutive windows of window_s", cols, rows);
    }
    // summary.json
    {
      nlohmann::json j;
      j["dyad_version"] = kVersion;
      j["created"] = formats::utc_now_iso8601();
      j["session_id"] = session.manifest.id;
      j["couple_id"] = session.manifest.couple_id;
      j["session_number"] = session.manifest.session_number;
      j["session_type"] = session.manifest.session_type;
      j["segments_source"] = res.segments_source;
      auto& p = j["parameters"];
      p["backchannel_max_s"] = opt.backchannel_max_s;
      p["window_s"] = opt.window_s;
      p["role_order_for_ties"] = {"A", "B", "therapist"};
      p["quartiles"] = "linear interpolation (R type 7)";
      if (vad) {
        p["vad"]["name"] = vad->name();
        for (auto& np : vad->parameters()) p["vad"][np.name] = np.value;
        p["vad"]["sample_rate_hz"] = session.audio->sample_rate_hz;
        if (auto* xt = dynamic_cast<const dsp::CrosstalkVad*>(vad.get())) {
          // what the detector learned: the leak between microphones and each noise floor
          auto& lk = j["vad"]["leak_db"] = nlohmann::json::object();
          auto& nf = j["vad"]["noise_floor_dbfs"] = nlohmann::json::object();
          for (std::size_t a = 0; a < lanes.size(); ++a) {
            nf[lanes[a].role] = num(xt->noise_floor_dbfs(a));
            for (std::size_t b = 0; b < lanes.size(); ++b)
              if (a != b) lk[lanes[a].role + ">" + lanes[b].role] = num(xt->leak_gain_db(a, b));
          }
          j["vad"]["analysis_rate_hz"] = xt->analysis_rate_hz();
        }
      } else {
        p["vad"] = nullptr;
        p["annotations"] = "annotations/segments.tsv";
      }
      auto& ex = j["exclusions"] = nlohmann::json::array();
      for (auto& e : tt.exclusions) ex.push_back({{"start_s", sec(e.start_s)}, {"end_s", sec(e.end_s)}});
      const auto& d = stats.dyad;
      j["dyad"] = {{"roles", tt.roles},
                   {"session_s", sec(d.session_s)},
                   {"excluded_s", sec(d.excluded_s)},
                   {"analysed_s", sec(d.analysed_s)},
                   {"speech_s", sec(d.speech_s)},
                   {"silence_s", sec(d.silence_s)},
                   {"solo_s", sec(d.solo_s)},
                   {"overlap_s", sec(d.overlap_s)},
                   {"turns", d.turns_count},
                   {"floor_changes", d.floor_changes},
                   {"turn_length", dist_json(d.turns)},
                   {"pauses", dist_json(d.pauses)},
                   {"gaps", dist_json(d.gaps)},
                   {"overlaps_between", dist_json(d.overlaps_between)},
                   {"overlaps_within", dist_json(d.overlaps_within)},
                   {"backchannels", dist_json(d.backchannels)},
                   {"interruptions", dist_json(d.interruptions)},
                   {"interruptions_successful", d.interruptions_successful},
                   {"fto", dist_json(d.fto)}};
      auto& dirs = j["dyad"]["fto_by_direction"] = nlohmann::json::object();
      for (auto& x : d.directions) dirs[x.from_role + ">" + x.to_role] = dist_json(x.fto);
      auto& pr = j["partners"] = nlohmann::json::object();
      for (auto& r : stats.roles)
        pr[r.role] = {{"speaking_s", sec(r.speaking_s)},
                      {"speaking_share", num(r.speaking_share)},
                      {"speaking_fraction", num(r.speaking_fraction)},
                      {"talkspurts", r.talkspurts},
                      {"solo_s", sec(r.solo_s)},
                      {"overlap_s", sec(r.overlap_s)},
                      {"floor_s", sec(r.floor_s)},
                      {"floor_share", num(r.floor_share)},
                      {"turns", r.turns.count},
                      {"turn_length", dist_json(r.turns)},
                      {"pauses", dist_json(r.pauses)},
                      {"gaps_before_own_turn", dist_json(r.gaps_before)},
                      {"gaps_after_own_turn", dist_json(r.gaps_after)},
                      {"overlaps_between_entered", r.overlaps_between_entered},
                      {"overlaps_within_entered", r.overlaps_within_entered},
                      {"backchannels_given", r.backchannels_given},
                      {"backchannels_received", r.backchannels_received},
                      {"interruptions_made", r.interruptions_made},
                      {"interruptions_made_successful", r.interruptions_made_successful},
                      {"interrupted", r.interrupted},
                      {"interrupted_successfully", r.interrupted_successfully}};
      j["extensions"] = ext_summary;
      write_json(tmp / "summary.json", j);
    }
    report(0.98, "writing features/");
    swap_in(dir, tmp);
  } catch (...) {
    std::error_code ec2;
    fs::remove_all(tmp, ec2);
    throw;
  }
  res.features_dir = dir / "features";
  res.segments = tt.segments.size();
  res.events = tt.events.size();
  res.turns = tt.turns.size();
  report(1, "done");
  return res;
}

std::vector<SessionOutcome> analyze_sessions(const std::vector<fs::path>& dirs, const AnalyzeOptions& opt, unsigned jobs,
                                             const std::function<void(std::size_t, double, const std::string&)>& progress,
                                             const std::function<void(std::size_t, const SessionOutcome&)>& done) {
  std::vector<SessionOutcome> out(dirs.size());
  if (jobs == 0) jobs = std::max(1u, std::thread::hardware_concurrency());
  jobs = std::min<unsigned>(jobs, static_cast<unsigned>(std::max<std::size_t>(1, dirs.size())));
  std::atomic<std::size_t> next{0};
  auto worker = [&] {
    for (;;) {
      std::size_t i = next.fetch_add(1);
      if (i >= dirs.size()) return;
      auto& o = out[i];
      o.dir = dirs[i];
      try {
        o.result = analyze_session(dirs[i], opt, [&](double f, const std::string& w) {
          if (progress) progress(i, f, w);
        });
        o.ok = true;
      } catch (const std::exception& e) {
        o.error = e.what();
      }
      if (done) done(i, o);
    }
  };
  std::vector<std::thread> th;
  for (unsigned k = 1; k < jobs; ++k) th.emplace_back(worker);
  worker();
  for (auto& t : th) t.join();
  return out;
}

}  // namespace dyad::analysis
