// dyad voice SESSION --role A [--from S --to S] [--json]: a Praat-style voice report of a stretch of
// one partner's channel, computed as Praat computes it for that stretch on its own (Extract part,
// To Pitch (ac), To PointProcess (cc), Voice report; plus To Harmonicity (cc)), with dsp/voice.hpp.
#include <cmath>
#include <cstdio>
#include <functional>
#include <iostream>
#include <limits>
#include <memory>
#include <sstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "common.hpp"
#include "dyad/dsp/pitch.hpp"
#include "dyad/dsp/voice.hpp"
#include "dyad/formats/audio.hpp"
#include "dyad/formats/session.hpp"
#include "dyad/formats/text.hpp"

namespace dyad::cli {

namespace {

struct VoiceOptions {
  std::string session, role;
  double from_s = 0, to_s = std::numeric_limits<double>::quiet_NaN();
  double f0_min_hz = 75, f0_max_hz = 600;
  double max_period_factor = 1.3, max_amplitude_factor = 1.6;
  bool json = false;
};

std::string num(double v) { return formats::format_number(v); }

/// Praat's ways of printing: fixed decimals, percent, mantissa with a fixed exponent ("8.284E-3").
std::string fixed(double v, int decimals) {
  if (!std::isfinite(v)) return "--undefined--";
  char b[64];
  std::snprintf(b, sizeof b, "%.*f", decimals, v);
  return b;
}
std::string percent(double v) { return std::isfinite(v) ? fixed(100 * v, 3) + "%" : "--undefined--"; }
std::string exp_fixed(double v, int exponent, int decimals) {
  if (!std::isfinite(v)) return "--undefined--";
  return fixed(v / std::pow(10.0, exponent), decimals) + "E" + std::to_string(exponent);
}

nlohmann::json jnum(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }

void run_voice(const VoiceOptions& o) {
  // what is wrong whatever the session is a usage error (exit 2); what does not fit this session, exit 1
  if (!(o.f0_max_hz > o.f0_min_hz))
    throw UsageError("--f0-max (" + num(o.f0_max_hz) + ") must be above --f0-min (" + num(o.f0_min_hz) + ")");
  if (!std::isnan(o.to_s) && !(o.to_s > o.from_s))
    throw UsageError("--to (" + num(o.to_s) + ") must be after --from (" + num(o.from_s) + ")");
  auto s = formats::Session::open(o.session);
  if (!s.audio || !s.manifest.audio) throw std::runtime_error(o.session + ": the session has no audio");
  const int ch = s.manifest.channel_of_role(o.role);
  if (ch <= 0) {
    std::string roles;
    for (auto& r : s.audio_roles()) roles += (roles.empty() ? "" : ", ") + r;
    throw std::runtime_error(o.session + ": no audio channel for role '" + o.role + "' (roles with audio: " + roles + ")");
  }
  const double rate = s.audio->sample_rate_hz;
  const double dur = s.audio->duration_s();
  const double from = o.from_s, to = std::isnan(o.to_s) ? dur : o.to_s;
  if (!(from < dur))
    throw std::runtime_error("--from " + num(from) + " is at or past the end of the audio (" + num(dur) + " s)");
  if (!(to <= dur + 1e-9)) throw std::runtime_error("--to " + num(to) + " is after the end of the audio (" + num(dur) + " s)");
  const std::int64_t f0 = static_cast<std::int64_t>(std::llround(from * rate));
  const std::int64_t f1 = std::min(s.audio->frames, static_cast<std::int64_t>(std::llround(to * rate)));
  const std::int64_t n = f1 - f0;
  const double part = static_cast<double>(n) / rate;
  const double step = 0.75 / o.f0_min_hz;  // Praat's automatic time step
  const double pitch_window = 3 / o.f0_min_hz, hnr_span = 2 / o.f0_min_hz;
  if (part < pitch_window)
    throw std::runtime_error("the stretch " + num(from) + "-" + num(to) + " s is shorter than the pitch analysis window (3 / f0-min = " +
                                num(pitch_window) + " s)");
  const int nch = s.audio->channels;
  const std::size_t block = 1 << 15;
  std::vector<float> inter(block * static_cast<std::size_t>(nch)), mono(block);
  auto each_block = [&](const std::function<void(std::span<const float>)>& f) {
    formats::AudioReader r(s.audio_path());
    r.seek(f0);
    std::int64_t left = n;
    while (left > 0) {
      std::int64_t got = r.read(std::span<float>(inter.data(), static_cast<std::size_t>(std::min<std::int64_t>(left, block)) * static_cast<std::size_t>(nch)));
      if (got <= 0) break;
      for (std::int64_t i = 0; i < got; ++i) mono[static_cast<std::size_t>(i)] = inter[static_cast<std::size_t>(i * nch + ch - 1)];
      f(std::span<const float>(mono.data(), static_cast<std::size_t>(got)));
      left -= got;
    }
  };
  // Pass 1: the stretch's absolute peak (Praat's global peak of the extracted part).
  double peak = 0;
  {
    ProgressLine p("voice " + o.role + ": peak");
    std::int64_t done = 0;
    each_block([&](std::span<const float> b) {
      for (float v : b) peak = std::max(peak, static_cast<double>(std::abs(v)));
      done += static_cast<std::int64_t>(b.size());
      p.update(static_cast<double>(done) / static_cast<double>(n));
    });
  }
  // Pass 2: pitch, pulses and harmonicity on Praat's frame grid for a sound of this length
  // (frames centred in the stretch; Praat puts sample k at (k + 0.5) / rate).
  const auto pitch_frames = static_cast<std::size_t>(std::floor((part - pitch_window) / step + 1e-9)) + 1;
  const auto hnr_frames = static_cast<std::size_t>(std::floor((part - hnr_span) / 0.01 + 1e-9)) + 1;
  const double pitch_t1 = 0.5 * (part - static_cast<double>(pitch_frames - 1) * step) - 0.5 / rate;
  const double hnr_t1 = 0.5 * (part - static_cast<double>(hnr_frames - 1) * 0.01) - 0.5 / rate;
  dsp::PitchConfig pc;
  pc.sample_rate_hz = rate;
  pc.time_step_s = step;
  pc.first_frame_s = pitch_t1;
  pc.f0_min_hz = o.f0_min_hz;
  pc.f0_max_hz = o.f0_max_hz;
  pc.reference_peak = peak > 0 ? peak : 1;
  dsp::PitchTracker pt(pc);
  dsp::PulseConfig qc;
  qc.sample_rate_hz = rate;
  qc.time_step_s = step;
  qc.first_frame_s = pitch_t1;
  qc.f0_min_hz = o.f0_min_hz;
  qc.reference_peak = pc.reference_peak;
  dsp::PulseTracker pu(qc);
  dsp::HarmonicityConfig hc;
  hc.sample_rate_hz = rate;
  hc.first_frame_s = hnr_t1;
  hc.f0_min_hz = o.f0_min_hz;
  hc.reference_peak = pc.reference_peak;
  dsp::HarmonicityTracker ht(hc);
  std::vector<dsp::PitchFrame> frames, pf;
  std::vector<dsp::GlottalPulse> pulses;
  std::vector<double> hf;
  double hsum = 0;
  std::size_t hn = 0, hcount = 0;
  auto keep = [&](std::size_t k) {
    const std::size_t room = pitch_frames > frames.size() ? pitch_frames - frames.size() : 0;
    k = std::min(k, room);
    frames.insert(frames.end(), pf.begin(), pf.begin() + static_cast<long>(k));
    return std::span<const dsp::PitchFrame>(pf.data(), k);
  };
  auto take_h = [&](std::size_t k) {
    for (std::size_t i = 0; i < k && hcount < hnr_frames; ++i, ++hcount)
      if (hf[i] > dsp::kHarmonicitySilentDb) { hsum += hf[i]; ++hn; }
  };
  {
    ProgressLine p("voice " + o.role);
    std::int64_t done = 0;
    each_block([&](std::span<const float> b) {
      pf.resize(pt.max_output(b.size()));
      hf.resize(ht.max_output(b.size()));
      pu.process(b, keep(pt.process(b, pf)), pulses);
      take_h(ht.process(b, hf));
      done += static_cast<std::int64_t>(b.size());
      p.update(static_cast<double>(done) / static_cast<double>(n));
    });
    pf.resize(pt.max_output(0));
    hf.resize(ht.max_output(0));
    pu.finish(keep(pt.finish(pf)), pulses);
    take_h(ht.finish(hf));
  }
  dsp::VoiceReportConfig vc;
  vc.f0_min_hz = o.f0_min_hz;
  vc.f0_max_hz = o.f0_max_hz;
  vc.max_period_factor = o.max_period_factor;
  vc.max_amplitude_factor = o.max_amplitude_factor;
  vc.reference_peak = pc.reference_peak;
  // the stretch's domain in its own time (Praat: 0 .. duration; our samples sit half a sample earlier)
  const dsp::VoiceReport r = dsp::voice_report(frames, pulses, -0.5 / rate, part - 0.5 / rate, vc);
  const double hnr_cc = hn ? hsum / static_cast<double>(hn) : std::numeric_limits<double>::quiet_NaN();
  const auto& q = r.quality;
  const double unvoiced = r.frames ? static_cast<double>(r.locally_unvoiced_frames) / static_cast<double>(r.frames) : NAN;
  if (o.json) {
    nlohmann::json j = {
        {"session", s.manifest.id},
        {"role", o.role},
        {"from_s", static_cast<double>(f0) / rate},
        {"to_s", static_cast<double>(f1) / rate},
        {"settings", {{"f0_min_hz", o.f0_min_hz}, {"f0_max_hz", o.f0_max_hz}, {"max_period_factor", o.max_period_factor},
                      {"max_amplitude_factor", o.max_amplitude_factor}, {"silence_threshold", 0.03}, {"voicing_threshold", 0.45},
                      {"period_floor_s", 0.8 / o.f0_max_hz}, {"period_ceiling_s", 1.25 / o.f0_min_hz}, {"time_step_s", step}}},
        {"pitch", {{"median_hz", jnum(r.f0_median_hz)}, {"mean_hz", jnum(r.f0_mean_hz)}, {"sd_hz", jnum(r.f0_sd_hz)},
                   {"min_hz", jnum(r.f0_min_hz)}, {"max_hz", jnum(r.f0_max_hz)}, {"voiced_frames", r.voiced_frames}}},
        {"pulses", {{"pulses", q.pulses}, {"periods", q.periods}, {"mean_period_s", jnum(q.mean_period_s)}, {"sd_period_s", jnum(q.sd_period_s)}}},
        {"voicing", {{"frames", r.frames}, {"locally_unvoiced_frames", r.locally_unvoiced_frames}, {"unvoiced_fraction", jnum(unvoiced)},
                     {"voice_breaks", r.voice_breaks}, {"voice_break_s", r.voice_break_s}, {"voice_break_degree", r.voice_break_s / part}}},
        {"jitter", {{"local", jnum(q.jitter_local)}, {"local_absolute_s", jnum(q.jitter_local_abs_s)}, {"rap", jnum(q.jitter_rap)},
                    {"ppq5", jnum(q.jitter_ppq5)}, {"ddp", jnum(q.jitter_ddp)}}},
        {"shimmer", {{"local", jnum(q.shimmer_local)}, {"local_db", jnum(q.shimmer_local_db)}, {"apq3", jnum(q.shimmer_apq3)},
                     {"apq5", jnum(q.shimmer_apq5)}, {"apq11", jnum(q.shimmer_apq11)}, {"dda", jnum(q.shimmer_dda)}}},
        {"harmonicity_voiced", {{"mean_autocorrelation", jnum(r.mean_autocorrelation)}, {"mean_nhr", jnum(r.mean_nhr)},
                                {"mean_hnr_db", jnum(r.mean_hnr_db)}}},
        {"harmonicity_cc", {{"mean_hnr_db", jnum(hnr_cc)}, {"frames", hn}}},
        {"note", "jitter and shimmer are defined for sustained vowels; on running speech they are exploratory"}};
    std::cout << j.dump(2) << "\n";
    return;
  }
  std::ostringstream out;
  out << "Voice report of role " << o.role << " in session " << s.manifest.id << "\n"
      << "   From " << num(static_cast<double>(f0) / rate) << " to " << num(static_cast<double>(f1) / rate) << " seconds (duration: "
      << num(part) << " seconds)\n"
      << "Pitch:\n"
      << "   Median pitch: " << fixed(r.f0_median_hz, 3) << " Hz\n"
      << "   Mean pitch: " << fixed(r.f0_mean_hz, 3) << " Hz\n"
      << "   Standard deviation: " << fixed(r.f0_sd_hz, 3) << " Hz\n"
      << "   Minimum pitch: " << fixed(r.f0_min_hz, 3) << " Hz\n"
      << "   Maximum pitch: " << fixed(r.f0_max_hz, 3) << " Hz\n"
      << "Pulses:\n"
      << "   Number of pulses: " << q.pulses << "\n"
      << "   Number of periods: " << q.periods << "\n"
      << "   Mean period: " << exp_fixed(q.mean_period_s, -3, 6) << " seconds\n"
      << "   Standard deviation of period: " << exp_fixed(q.sd_period_s, -3, 6) << " seconds\n"
      << "Voicing:\n"
      << "   Fraction of locally unvoiced frames: " << percent(unvoiced) << "   (" << r.locally_unvoiced_frames << " / " << r.frames << ")\n"
      << "   Number of voice breaks: " << r.voice_breaks << "\n"
      << "   Degree of voice breaks: " << percent(r.voice_break_s / part) << "   (" << fixed(r.voice_break_s, 6) << " seconds / "
      << fixed(part, 6) << " seconds)\n"
      << "Jitter:\n"
      << "   Jitter (local): " << percent(q.jitter_local) << "\n"
      << "   Jitter (local, absolute): " << exp_fixed(q.jitter_local_abs_s, -6, 3) << " seconds\n"
      << "   Jitter (rap): " << percent(q.jitter_rap) << "\n"
      << "   Jitter (ppq5): " << percent(q.jitter_ppq5) << "\n"
      << "   Jitter (ddp): " << percent(q.jitter_ddp) << "\n"
      << "Shimmer:\n"
      << "   Shimmer (local): " << percent(q.shimmer_local) << "\n"
      << "   Shimmer (local, dB): " << fixed(q.shimmer_local_db, 3) << " dB\n"
      << "   Shimmer (apq3): " << percent(q.shimmer_apq3) << "\n"
      << "   Shimmer (apq5): " << percent(q.shimmer_apq5) << "\n"
      << "   Shimmer (apq11): " << percent(q.shimmer_apq11) << "\n"
      << "   Shimmer (dda): " << percent(q.shimmer_dda) << "\n"
      << "Harmonicity of the voiced parts only:\n"
      << "   Mean autocorrelation: " << fixed(r.mean_autocorrelation, 6) << "\n"
      << "   Mean noise-to-harmonics ratio: " << fixed(r.mean_nhr, 6) << "\n"
      << "   Mean harmonics-to-noise ratio: " << fixed(r.mean_hnr_db, 3) << " dB\n"
      << "Harmonicity (cc), all non-silent frames:\n"
      << "   Mean harmonics-to-noise ratio: " << fixed(hnr_cc, 3) << " dB   (" << hn << " frames)\n"
      << "Note: jitter and shimmer are defined for sustained vowels; on running speech they are exploratory.\n";
  std::cout << out.str();
}

}  // namespace

void add_voice(CLI::App& app) {
  auto opt = std::make_shared<VoiceOptions>();
  auto* cmd = app.add_subcommand(
      "voice", "Print a Praat-style voice report (pitch, pulses, voicing, jitter, shimmer, harmonicity) of one partner's channel, "
               "or of a stretch of it, analysed as Praat analyses that stretch on its own.");
  cmd->add_option("SESSION", opt->session, "Session folder")->required();
  cmd->add_option("--role", opt->role, "Partner whose microphone to analyse (A, B, therapist)")->required();
  cmd->add_option("--from", opt->from_s, "Start of the stretch in session seconds")->capture_default_str()->check(check::non_negative());
  cmd->add_option("--to", opt->to_s, "End of the stretch in session seconds (default: the end of the audio)")
      ->check(check::non_negative());
  cmd->add_option("--f0-min", opt->f0_min_hz, "Pitch floor in Hz (Praat's 75)")->capture_default_str()->check(check::positive());
  cmd->add_option("--f0-max", opt->f0_max_hz, "Pitch ceiling in Hz (Praat's 600; 500 in Praat's scripting example)")
      ->capture_default_str()->check(check::positive());
  cmd->add_option("--max-period-factor", opt->max_period_factor, "Largest ratio of consecutive periods used")->capture_default_str()->check(check::positive());
  cmd->add_option("--max-amplitude-factor", opt->max_amplitude_factor, "Largest ratio of consecutive amplitudes used")->capture_default_str()->check(check::positive());
  cmd->add_flag("--json", opt->json, "Print JSON (fractions, seconds, dB) instead of the text report");
  cmd->callback([opt] { run_voice(*opt); });
}

}  // namespace dyad::cli
