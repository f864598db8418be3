// dyad pitch SESSION --role A --out FILE: one partner's F0 and intensity frame track (Praat's
// To Pitch (ac) and To Intensity, reimplemented in dyad::dsp), without running the whole analysis.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <thread>

#include "common.hpp"
#include "dyad/dsp/pitch.hpp"
#include "dyad/formats/audio.hpp"
#include "dyad/formats/files.hpp"
#include "dyad/formats/session.hpp"
#include "dyad/formats/text.hpp"

namespace dyad::cli {

namespace {

struct PitchOptions {
  std::string session, role, out;
  double f0_min_hz = 75, f0_max_hz = 600, time_step_s = 0.01;
  unsigned threads = 0;
  bool force = false;
};

void run_pitch(const PitchOptions& o) {
  namespace fs = std::filesystem;
  const auto num = [](double v) { return formats::format_number(v); };
  if (!(o.f0_max_hz > o.f0_min_hz))
    throw UsageError("--f0-max (" + num(o.f0_max_hz) + ") must be above --f0-min (" + num(o.f0_min_hz) + ")");
  auto s = formats::Session::open(o.session);
  if (!s.audio || !s.manifest.audio) throw std::runtime_error(o.session + ": the session has no audio");
  const int ch = s.manifest.channel_of_role(o.role);
  if (ch <= 0) {
    std::string roles;
    for (auto& r : s.audio_roles()) roles += (roles.empty() ? "" : ", ") + r;
    throw std::runtime_error(o.session + ": no audio channel for role '" + o.role + "' (roles with audio: " + roles + ")");
  }
  if (!dsp::pitch_ceiling_fits(o.f0_max_hz, s.audio->sample_rate_hz))
    throw std::runtime_error(o.session + ": --f0-max (" + num(o.f0_max_hz) + ") must be below half the session's sample rate (" + num(s.audio->sample_rate_hz) + " Hz)");
  if (!dsp::pitch_floor_fits(o.f0_min_hz, s.audio->sample_rate_hz))
    throw std::runtime_error(o.session + ": --f0-min (" + num(o.f0_min_hz) + ") is too high: the pitch window (3 / f0-min) must hold 16 samples at " +
                     num(s.audio->sample_rate_hz) + " Hz");
  std::error_code ec;
  formats::refuse_existing(o.out, o.force);
  const auto path = s.audio_path();
  const double rate = s.audio->sample_rate_hz;
  const int nch = s.audio->channels;
  const std::int64_t total = s.audio->frames;
  // blocks of 2^16 frames (1.4-4 s): the pitch tracker's threads hand over once per block
  const std::size_t block = 1 << 16;
  std::vector<float> inter(block * static_cast<std::size_t>(nch)), mono(block);
  // First pass: the channel's absolute peak (Praat's "global peak"), so the result equals Praat's
  // analysis of the whole channel.
  double peak = 0;
  {
    ProgressLine p("pitch " + o.role + ": peak");
    formats::AudioReader r(path);
    std::int64_t n, done = 0;
    while ((n = r.read(inter)) > 0) {
      for (std::int64_t i = 0; i < n; ++i) peak = std::max(peak, static_cast<double>(std::abs(inter[static_cast<std::size_t>(i * nch + ch - 1)])));
      done += n;
      p.update(total > 0 ? static_cast<double>(done) / static_cast<double>(total) : 1);
    }
  }
  dsp::PitchConfig pc;
  pc.sample_rate_hz = rate;
  pc.time_step_s = o.time_step_s;
  pc.f0_min_hz = o.f0_min_hz;
  pc.f0_max_hz = o.f0_max_hz;
  pc.reference_peak = peak;
  pc.threads = static_cast<int>(std::clamp(o.threads ? o.threads : std::thread::hardware_concurrency(), 1u, 8u));
  dsp::PitchTracker pt(pc);
  dsp::IntensityConfig ic;
  ic.sample_rate_hz = rate;
  ic.time_step_s = o.time_step_s;
  ic.f0_min_hz = o.f0_min_hz;
  dsp::IntensityTracker it(ic);
  std::vector<dsp::PitchFrame> pf(pt.max_output(block));
  std::vector<double> inf(it.max_output(block));
  const fs::path tmp = fs::path(o.out).string() + ".part";
  std::size_t frames = 0, voiced = 0;
  fs::remove(tmp, ec);
  {
    formats::LineFile out(tmp, true);
    if (!out.is_open()) throw std::runtime_error(tmp.string() + ": cannot be created");
    std::string buf = "time_s\tf0_hz\tvoiced\tintensity_db\n";
    // pitch frames come out after the path finder decides; intensity frames at once: pair them by index
    std::vector<double> pending_int;
    std::size_t written = 0;
    auto flush = [&](std::size_t np) {
      for (std::size_t i = 0; i < np; ++i) {
        const auto& f = pf[i];
        double in = written < pending_int.size() ? pending_int[written] : NAN;
        buf += formats::format_number(std::round(f.time_s * 1e9) / 1e9) + '\t';
        buf += f.voiced() ? formats::format_number(std::round(f.f0_hz * 1000) / 1000) + "\t1\t" : std::string("n/a\t0\t");
        buf += formats::format_number(std::round(in * 1000) / 1000) + '\n';
        ++written;
        ++frames;
        if (f.voiced()) ++voiced;
      }
      if (written > 4096) {  // keep the intensity queue short
        pending_int.erase(pending_int.begin(), pending_int.begin() + static_cast<long>(written));
        written = 0;
      }
      if (buf.size() > (1 << 16)) {
        out.append(buf);
        buf.clear();
      }
    };
    ProgressLine p("pitch " + o.role);
    formats::AudioReader r(path);
    std::int64_t n, done = 0;
    while ((n = r.read(inter)) > 0) {
      for (std::int64_t i = 0; i < n; ++i) mono[static_cast<std::size_t>(i)] = inter[static_cast<std::size_t>(i * nch + ch - 1)];
      std::span<const float> b(mono.data(), static_cast<std::size_t>(n));
      std::size_t ni = it.process(b, inf);
      pending_int.insert(pending_int.end(), inf.begin(), inf.begin() + static_cast<long>(ni));
      flush(pt.process(b, pf));
      done += n;
      p.update(total > 0 ? static_cast<double>(done) / static_cast<double>(total) : 1);
    }
    std::size_t ni = it.finish(inf);
    pending_int.insert(pending_int.end(), inf.begin(), inf.begin() + static_cast<long>(ni));
    pf.resize(std::max(pf.size(), pt.max_output(0)));
    flush(pt.finish(pf));
    out.append(buf);
  }
  fs::rename(tmp, o.out);
  note("wrote " + std::to_string(frames) + " frames (" +
       formats::format_number(frames ? std::round(1000.0 * static_cast<double>(voiced) / static_cast<double>(frames)) / 10 : 0) +
       " % voiced) of " + o.role + " to " + o.out);
}

}  // namespace

void add_pitch(CLI::App& app) {
  auto opt = std::make_shared<PitchOptions>();
  auto* cmd = app.add_subcommand(
      "pitch", "Write one partner's F0 and intensity track (time_s f0_hz voiced intensity_db, every 0.01 s) as Praat's "
               "To Pitch (ac) and To Intensity compute them. `dyad analyze` writes the same track as features/pitch_<role>.tsv.");
  cmd->add_option("SESSION", opt->session, "Session folder")->required();
  cmd->add_option("--role", opt->role, "Partner whose microphone to analyse (A, B, therapist)")->required();
  cmd->add_option("--out", opt->out, "Output TSV file")->required();
  cmd->add_option("--f0-min", opt->f0_min_hz, "Pitch floor in Hz (Praat's default 75); also sets the intensity window")
      ->capture_default_str()->check(check::positive());
  cmd->add_option("--f0-max", opt->f0_max_hz, "Pitch ceiling in Hz (Praat's default 600)")->capture_default_str()->check(check::positive());
  cmd->add_option("--time-step", opt->time_step_s, "Frame step in seconds")->capture_default_str()->check(check::positive());
  cmd->add_option("--threads", opt->threads, "Threads analysing pitch frames (0 = one per core, at most 8); the track is the same for any number")
      ->capture_default_str()->check(check::whole());
  cmd->add_flag("--force", opt->force, "Replace --out if it exists");
  cmd->callback([opt] { run_pitch(*opt); });
}

}  // namespace dyad::cli
