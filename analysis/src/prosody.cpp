#include "dyad/analysis/prosody.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <mutex>
#include <sstream>
#include <stdexcept>

#include "dyad/dsp/pitch.hpp"
#include "dyad/dsp/prosody.hpp"
#include "dyad/formats/files.hpp"
#include "dyad/formats/text.hpp"
#include "voice_features.hpp"

namespace dyad::analysis {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
/// Intensity frames at or below this are digital silence (Praat's -300 dB floor) and left out of
/// the intensity functionals.
constexpr double kMinIntensityDb = -100;

using formats::format_number;

/// One role's tracks, filled on that role's worker thread.
class RoleProsody : public RoleAudioAnalysis {
 public:
  RoleProsody(double rate, const PitchRange& range, const ProsodyOptions& o, const std::filesystem::path& scratch_dir)
      : f0(scratch_dir, o.chunk_values), intensity(scratch_dir, o.chunk_values) {
    dsp::PitchConfig pc;
    pc.sample_rate_hz = rate;
    pc.time_step_s = o.time_step_s;
    pc.f0_min_hz = range.f0_min_hz;
    pc.f0_max_hz = range.f0_max_hz;
    pitch_ = std::make_unique<dsp::PitchTracker>(pc);
    dsp::IntensityConfig ic;
    ic.sample_rate_hz = rate;
    ic.time_step_s = o.time_step_s;
    ic.f0_min_hz = range.f0_min_hz;
    ic.subtract_mean = o.subtract_mean;
    intensity_ = std::make_unique<dsp::IntensityTracker>(ic);
    voice = std::make_unique<detail::RoleVoice>(rate, range, o, scratch_dir);
  }
  void process(std::span<const float> block, std::int64_t) override {
    if (pf_.size() < pitch_->max_output(block.size())) pf_.resize(pitch_->max_output(block.size()));
    if (inf_.size() < intensity_->max_output(block.size())) inf_.resize(intensity_->max_output(block.size()));
    const std::size_t np = pitch_->process(block, pf_);
    voice->process(block, std::span<const dsp::PitchFrame>(pf_.data(), np));
    take(np, intensity_->process(block, inf_));
  }
  void finish() override {
    if (pf_.size() < pitch_->max_output(0)) pf_.resize(pitch_->max_output(0));
    if (inf_.size() < intensity_->max_output(0)) inf_.resize(intensity_->max_output(0));
    const std::size_t np = pitch_->finish(pf_);
    voice->finish(std::span<const dsp::PitchFrame>(pf_.data(), np));
    take(np, intensity_->finish(inf_));
    pf_ = {};
    inf_ = {};
  }
  detail::SpillVector<float> f0;         ///< Hz, 0 when unvoiced; frame k at k * step
  detail::SpillVector<float> intensity;  ///< dB
  std::unique_ptr<detail::RoleVoice> voice;  ///< pulses, harmonicity, syllable intensity

 private:
  void take(std::size_t np, std::size_t ni) {
    for (std::size_t i = 0; i < np; ++i) f0.push_back(static_cast<float>(pf_[i].f0_hz));
    for (std::size_t i = 0; i < ni; ++i) intensity.push_back(static_cast<float>(inf_[i]));
  }
  std::unique_ptr<dsp::PitchTracker> pitch_;
  std::unique_ptr<dsp::IntensityTracker> intensity_;
  std::vector<dsp::PitchFrame> pf_;
  std::vector<double> inf_;
};

nlohmann::json jnum(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }

nlohmann::json functionals_json(const dsp::Functionals& f) {
  return {{"n", f.n},          {"mean", jnum(f.mean)}, {"sd", jnum(f.sd)},   {"cv", jnum(f.cv)},
          {"p20", jnum(f.p20)}, {"p50", jnum(f.p50)},   {"p80", jnum(f.p80)}, {"range_20_80", jnum(f.range_20_80)},
          {"rising_slope", jnum(f.rising_slope)},       {"falling_slope", jnum(f.falling_slope)}};
}

/// The columns one functional set contributes, with eGeMAPS names where they apply.
struct FunctionalDoc {
  const char* suffix;
  const char* meaning;
  const char* egemaps;
};
const FunctionalDoc kFunctionalDocs[] = {
    {"mean", "arithmetic mean", "amean"},
    {"sd", "population standard deviation", ""},
    {"cv", "coefficient of variation: sd / mean", "stddevNorm"},
    {"p20", "20th percentile (linear interpolation between order statistics)", "percentile20.0"},
    {"p50", "median (50th percentile)", "percentile50.0"},
    {"p80", "80th percentile", "percentile80.0"},
    {"range_20_80", "p80 - p20", "pctlrange0-2"},
    {"rising_slope", "mean slope of the rising parts (local minimum to next local maximum inside a run of consecutive frames), per second", "meanRisingSlope"},
    {"falling_slope", "mean slope of the falling parts (local maximum to next local minimum), as a positive number, per second", "meanFallingSlope"},
};

double get(const dsp::Functionals& f, int i) {
  switch (i) {
    case 0: return f.mean;
    case 1: return f.sd;
    case 2: return f.cv;
    case 3: return f.p20;
    case 4: return f.p50;
    case 5: return f.p80;
    case 6: return f.range_20_80;
    case 7: return f.rising_slope;
    default: return f.falling_slope;
  }
}

class ProsodyExtension : public FeatureExtension {
 public:
  explicit ProsodyExtension(ProsodyOptions o) : opt_(std::move(o)) {
    if (opt_.chunk_values == 0) throw std::invalid_argument("prosody: chunk_values must be positive.");
    if (!(opt_.time_step_s > 0)) throw std::invalid_argument("prosody: time_step_s must be positive, got " + format_number(opt_.time_step_s) + ".");
  }
  std::string name() const override { return "prosody"; }
  void start(const std::filesystem::path& session_dir) override { scratch_ = session_dir; }

  std::shared_ptr<RoleAudioAnalysis> audio_analysis(const std::string& role, double rate) override {
    auto a = std::make_shared<RoleProsody>(rate, range_of(role), opt_, scratch_);  // constructs FFTW plans: caller's thread
    std::lock_guard lk(m_);
    roles_.emplace_back(role, a);
    return a;
  }

  void finish(FeatureContext& ctx) override {
    const double step = opt_.time_step_s;
    const auto& tt = ctx.turns;
    // per role: frames inside the role's own talkspurts (crosstalk and exclusions left out)
    struct Data {
      std::string role;
      const RoleProsody* p = nullptr;
      std::unique_ptr<detail::SpeechFrames> speech;
      double base_f0 = kNaN, base_int = kNaN;
      std::string base_source;
    };
    std::vector<Data> data;
    for (auto& [role, p] : roles_) {
      Data d;
      d.role = role;
      d.p = p.get();
      d.speech = std::make_unique<detail::SpeechFrames>(tt.segments, role, step, p->f0.size());
      data.push_back(std::move(d));
    }
    std::vector<double> vals, ivals, scratch;
    std::vector<unsigned char> def, idef, sp;
    std::vector<float> fv, iv;
    // vals/def (F0 in semitones, voiced and used) and ivals/idef (intensity) of frames [k0, k1) of role d
    auto build = [&](const Data& d, std::size_t k0, std::size_t k1, const std::vector<std::pair<double, double>>* within) {
      d.p->f0.read(k0, k1, fv);
      d.p->intensity.read(k0, k1, iv);
      d.speech->mask(k0, k0 + fv.size(), sp);
      vals.clear(); def.clear(); ivals.clear(); idef.clear();
      for (std::size_t i = 0; i < fv.size(); ++i) {
        bool use = sp[i];
        if (use && within) {
          double t = static_cast<double>(k0 + i) * step;
          use = std::any_of(within->begin(), within->end(), [&](auto& w) { return t >= w.first && t < w.second; });
        }
        double f = fv[i], in = i < iv.size() ? iv[i] : kNaN;
        vals.push_back(f > 0 ? dsp::hz_to_semitones(f) : kNaN);
        def.push_back(use && f > 0);
        ivals.push_back(in);
        idef.push_back(use && std::isfinite(in) && in > kMinIntensityDb);
      }
    };
    // functionals of role d over frames in [t0, t1) that are in its speech (and, when `within` is
    // given, in one of its intervals): in memory up to kInMemory frames, else a chunk at a time
    // (the accumulator reads the chunks again for the SD and the exact percentiles)
    const std::size_t kChunk = std::max<std::size_t>(1, opt_.chunk_values), kInMemory = 2 * kChunk;
    auto compute = [&](const Data& d, double t0, double t1, const std::vector<std::pair<double, double>>* within,
                       dsp::Functionals& f0f, dsp::Functionals& inf) {
      const std::size_t n = d.p->f0.size();
      const std::size_t k0 = detail::first_frame_from(t0, step);
      const std::size_t k1 = std::isfinite(t1) ? std::min(n, detail::first_frame_at_or_after(t1, step)) : n;
      if (k1 <= k0 || k1 - k0 <= kInMemory) {
        build(d, k0, std::max(k0, k1), within);
        f0f = dsp::functionals(vals, def, step, scratch);
        inf = dsp::functionals(ivals, idef, step, scratch);
        return;
      }
      dsp::FunctionalsAccumulator af(step), ai(step);
      for (std::size_t c = k0; c < k1; c += kChunk) {
        build(d, c, std::min(k1, c + kChunk), within);
        af.add(vals, def);
        ai.add(ivals, idef);
      }
      auto replay = [&](bool f0) {
        return [&, f0](const std::function<void(double)>& sink) {
          for (std::size_t c = k0; c < k1; c += kChunk) {
            build(d, c, std::min(k1, c + kChunk), within);
            const auto& v = f0 ? vals : ivals;
            const auto& df = f0 ? def : idef;
            for (std::size_t i = 0; i < v.size(); ++i)
              if (df[i] && std::isfinite(v[i])) sink(v[i]);
          }
        };
      };
      f0f = af.result(replay(true));
      inf = ai.result(replay(false));
    };
    const double end_all = std::numeric_limits<double>::infinity();
    // baselines: a `baseline` marker, else the partner's session median
    std::vector<std::pair<double, double>> baseline;
    for (auto& m : ctx.session.markers)
      if (m.label == "baseline" && m.duration_s > 0) baseline.emplace_back(m.onset_s, m.onset_s + m.duration_s);
    nlohmann::json partners = nlohmann::json::object();
    for (auto& d : data) {
      dsp::Functionals f0f, inf, bf, bi;
      compute(d, 0, end_all, nullptr, f0f, inf);
      if (!baseline.empty()) compute(d, 0, end_all, &baseline, bf, bi);
      if (!baseline.empty() && bf.n > 0) {
        d.base_f0 = bf.p50;
        d.base_int = bi.p50;
        d.base_source = "baseline marker";
      } else {
        d.base_f0 = f0f.p50;
        d.base_int = inf.p50;
        d.base_source = "session median";
      }
      std::size_t voiced = 0;
      d.p->f0.for_each_chunk([&](std::span<const float> v, std::size_t) {
        for (float f : v) voiced += f > 0;
      });
      auto r = range_of(d.role);
      partners[d.role] = {{"f0_min_hz", r.f0_min_hz},
                          {"f0_max_hz", r.f0_max_hz},
                          {"frames", d.p->f0.size()},
                          {"voiced_frames", voiced},
                          {"f0_st", functionals_json(f0f)},
                          {"f0_hz_median", jnum(std::isfinite(f0f.p50) ? dsp::semitones_to_hz(f0f.p50) : kNaN)},
                          {"intensity_db", functionals_json(inf)},
                          {"baseline_source", d.base_source},
                          {"baseline_f0_st", jnum(d.base_f0)},
                          {"baseline_intensity_db", jnum(d.base_int)}};
    }
    auto find = [&](const std::string& role) -> const Data* {
      for (auto& d : data)
        if (d.role == role) return &d;
      return nullptr;
    };

    // turns.tsv columns
    std::vector<ExtraColumn> tc;
    auto add_docs = [&](std::vector<ExtraColumn>& cols, const std::string& prefix, const std::string& what, const std::string& unit,
                        const std::string& egemaps_prefix, const std::string& suffix, const std::string& scope) {
      for (auto& fd : kFunctionalDocs) {
        ExtraColumn c;
        c.doc.name = prefix + "_" + fd.suffix + suffix;
        c.doc.meaning = what + ": " + fd.meaning + scope;
        c.doc.unit = std::string(fd.suffix) == "cv" ? "" : (std::string(fd.suffix).find("slope") != std::string::npos ? unit + "/s" : unit);
        c.doc.definition = std::string(fd.egemaps).empty() || egemaps_prefix.empty() ? "" : "eGeMAPS " + egemaps_prefix + "_" + fd.egemaps;
        cols.push_back(std::move(c));
      }
    };
    const std::string f0_what = "F0 in semitones re 27.5 Hz (12 log2(f0 / 27.5)) of the voiced frames inside the speaker's own talkspurts";
    const std::string in_what = "intensity (Praat's To Intensity, dB re 2e-5) of the frames inside the speaker's own talkspurts";
    add_docs(tc, "f0_st", f0_what, "st", "F0semitoneFrom27.5Hz_sma3nz", "", " within the turn");
    add_docs(tc, "intensity_db", in_what, "dB", "", "", " within the turn");
    tc.push_back({{"f0_voiced_frames", "voiced frames of the turn's speaker inside its talkspurts within the turn", "count", ""}, {}});
    tc.push_back({{"f0_st_mean_rel", "f0_st_mean minus the speaker's baseline F0 (median, semitones)", "st",
                   "baseline: the speaker's median over a `baseline` marker's interval when present, else over the session (summary.json extensions.prosody.partners)"}, {}});
    tc.push_back({{"intensity_db_mean_rel", "intensity_db_mean minus the speaker's baseline intensity (median, dB)", "dB",
                   "baseline as for f0_st_mean_rel"}, {}});
    std::vector<dsp::TurnValue> tv_f0, tv_int;
    for (auto& t : tt.turns) {
      const Data* d = find(t.role);
      dsp::Functionals f0f, inf;
      if (d) compute(*d, t.start_s, t.end_s, nullptr, f0f, inf);
      else {
        std::vector<double> none;
        std::vector<unsigned char> nd;
        f0f = inf = dsp::functionals(none, nd, step, scratch);
      }
      std::size_t c = 0;
      for (int i = 0; i < 9; ++i) tc[c++].values.push_back(format_number(get(f0f, i)));
      for (int i = 0; i < 9; ++i) tc[c++].values.push_back(format_number(get(inf, i)));
      tc[c++].values.push_back(std::to_string(f0f.n));
      tc[c++].values.push_back(format_number(d ? f0f.mean - d->base_f0 : kNaN));
      tc[c++].values.push_back(format_number(d ? inf.mean - d->base_int : kNaN));
      tv_f0.push_back({t.role, f0f.mean});
      tv_int.push_back({t.role, inf.mean});
    }
    for (auto& c : tc) ctx.turn_columns.push_back(std::move(c));

    // windows.tsv columns, per role
    for (auto& d : data) {
      std::vector<ExtraColumn> wc;
      const std::string scope = " of role " + d.role + " within the window";
      const std::string sfx = "_" + d.role;
      ExtraColumn m{{"f0_st_mean" + sfx, f0_what + ": mean" + scope, "st", "eGeMAPS F0semitoneFrom27.5Hz_sma3nz_amean"}, {}};
      ExtraColumn s{{"f0_st_sd" + sfx, f0_what + ": population standard deviation" + scope, "st", ""}, {}};
      ExtraColumn p{{"f0_st_p50" + sfx, f0_what + ": median" + scope, "st", "eGeMAPS F0semitoneFrom27.5Hz_sma3nz_percentile50.0"}, {}};
      ExtraColumn r{{"f0_st_range_20_80" + sfx, f0_what + ": p80 - p20" + scope, "st", "eGeMAPS F0semitoneFrom27.5Hz_sma3nz_pctlrange0-2"}, {}};
      ExtraColumn im{{"intensity_db_mean" + sfx, in_what + ": mean" + scope, "dB", ""}, {}};
      ExtraColumn is{{"intensity_db_sd" + sfx, in_what + ": population standard deviation" + scope, "dB", ""}, {}};
      ExtraColumn v{{"f0_voiced_frames" + sfx, "voiced frames inside the role's talkspurts" + scope, "count", ""}, {}};
      for (auto& w : ctx.windows) {
        dsp::Functionals f0f, inf;
        compute(d, w.start_s, w.end_s, nullptr, f0f, inf);
        m.values.push_back(format_number(f0f.mean));
        s.values.push_back(format_number(f0f.sd));
        p.values.push_back(format_number(f0f.p50));
        r.values.push_back(format_number(f0f.range_20_80));
        im.values.push_back(format_number(inf.mean));
        is.values.push_back(format_number(inf.sd));
        v.values.push_back(std::to_string(f0f.n));
      }
      for (auto* c : {&m, &s, &p, &r, &im, &is, &v}) ctx.window_columns.push_back(std::move(*c));
    }

    // entrainment: how each partner's turn value follows the other's previous turn
    nlohmann::json ent = nlohmann::json::object();
    for (auto& a : data)
      for (auto& b : data) {
        if (a.role == b.role) continue;
        auto ef = dsp::entrainment(tv_f0, a.role, b.role);
        auto ei = dsp::entrainment(tv_int, a.role, b.role);
        ent[a.role + ">" + b.role] = {{"f0_st_mean", {{"r", jnum(ef.r)}, {"pairs", ef.pairs}}},
                                      {"intensity_db_mean", {{"r", jnum(ei.r)}, {"pairs", ei.pairs}}}};
      }

    // voice quality and speech rate (issue 9): columns after the F0 and intensity ones
    std::vector<detail::RoleVoiceInput> vin;
    for (auto& d : data) vin.push_back({d.role, d.p->voice.get(), &d.p->f0, d.speech.get()});
    detail::VoiceSummary vs = detail::add_voice_features(ctx, vin, opt_);
    for (auto& [role, j] : vs.partners.items())
      for (auto& [k, v] : j.items()) partners[role][k] = v;

    // pitch_<role>.tsv, streamed in chunks (a three-hour session has a million frames per role)
    for (auto& d : data) write_track(ctx, d.role, *d.p);
    if (opt_.voice_quality)
      for (auto& d : data) detail::write_pulses(ctx, d.role, *d.p->voice);

    ctx.summary = {{"partners", partners},
                   {"entrainment", ent},
                   {"entrainment_definition",
                    "\"X>Y\": Pearson r between X's turn value and the value of Y's turn that directly follows it, over all such pairs "
                    "(turn values: mean F0 in semitones, mean intensity in dB, inside the speaker's talkspurts)"},
                   {"parameters",
                    {{"method", "Praat 6.3 To Pitch (ac) (Boersma 1993) and To Intensity, reimplemented in dyad::dsp"},
                     {"time_step_s", step},
                     {"f0_min_hz_default", opt_.default_range.f0_min_hz},
                     {"f0_max_hz_default", opt_.default_range.f0_max_hz},
                     {"max_candidates", 15},
                     {"very_accurate", false},
                     {"silence_threshold", 0.03},
                     {"voicing_threshold", 0.45},
                     {"octave_cost", 0.01},
                     {"octave_jump_cost", 0.35},
                     {"voiced_unvoiced_cost", 0.14},
                     {"reference_peak", "running absolute peak of the channel (Praat: the whole file's peak)"},
                     {"intensity_window", "Kaiser-20, effective 3.2 / f0_min_hz, total 6.4 / f0_min_hz"},
                     {"intensity_subtract_mean", opt_.subtract_mean},
                     {"functional_frames", "frames inside the speaker's own talkspurts; F0 voiced frames only; intensity above -100 dB"}}}};
    for (auto& [k, v] : vs.parameters.items()) ctx.summary["parameters"][k] = v;
  }

 private:
  PitchRange range_of(const std::string& role) const {
    auto it = opt_.ranges.find(role);
    return it == opt_.ranges.end() ? opt_.default_range : it->second;
  }

  void write_track(FeatureContext& ctx, const std::string& role, const RoleProsody& p) const {
    const std::string name = "pitch_" + role;
    std::vector<formats::ColumnDoc> cols = {
        {"time_s", "frame centre", "s", "frame k at k * time_step_s"},
        {"f0_hz", "fundamental frequency; n/a when unvoiced", "Hz", "Praat To Pitch (ac) with the role's pitch range (summary.json)"},
        {"voiced", "1 when the path finder chose a voiced candidate, else 0", "", ""},
        {"intensity_db", "intensity, dB re 2e-5 with the signal taken as pascal; -300 for digital silence", "dB",
         "Praat To Intensity: Kaiser-20 window of effective length 3.2 / f0_min_hz, mean subtracted"}};
    const bool hnr = opt_.voice_quality;
    if (hnr)
      cols.push_back({"hnr_db", "harmonics-to-noise ratio; n/a for silent frames (Praat's -200 dB)", "dB",
                      "Praat To Harmonicity (cc): 1 period of f0_min_hz per window, silence threshold 0.1, cross-correlation maximum "
                      "r refined by sinc interpolation, 10 log10(r / (1 - r))"});
    formats::LineFile out(ctx.out_dir / (name + ".tsv"), true);
    std::string buf = hnr ? "time_s\tf0_hz\tvoiced\tintensity_db\thnr_db\n" : "time_s\tf0_hz\tvoiced\tintensity_db\n";
    const std::size_t n = std::min(p.f0.size(), p.intensity.size());
    std::vector<float> f0, in, hv;
    const std::size_t kChunk = std::max<std::size_t>(1, opt_.chunk_values);
    for (std::size_t c = 0; c < n; c += kChunk) {
      const std::size_t e = std::min(n, c + kChunk);
      p.f0.read(c, e, f0);
      p.intensity.read(c, e, in);
      if (hnr) p.voice->hnr_db.read(c, e, hv);
      for (std::size_t i = 0; i < e - c; ++i) {
        const std::size_t k = c + i;
        const double t = std::round(static_cast<double>(k) * opt_.time_step_s * 1e9) / 1e9;
        buf += format_number(t);
        buf += '\t';
        buf += f0[i] > 0 ? format_number(std::round(static_cast<double>(f0[i]) * 1000) / 1000) : "n/a";
        buf += f0[i] > 0 ? "\t1\t" : "\t0\t";
        buf += format_number(std::round(static_cast<double>(in[i]) * 1000) / 1000);
        if (hnr) {
          const float h = i < hv.size() ? hv[i] : static_cast<float>(dsp::kHarmonicitySilentDb);
          buf += '\t';
          buf += h > dsp::kHarmonicitySilentDb ? format_number(std::round(static_cast<double>(h) * 1000) / 1000) : std::string("n/a");
        }
        buf += '\n';
        if (buf.size() > (1 << 16)) {
          out.append(buf);
          buf.clear();
        }
      }
    }
    out.append(buf);
    formats::write_file_new(ctx.out_dir / (name + ".json"),
                            formats::codebook_json(name + ".tsv", hnr ? "Pitch, intensity and harmonicity frames of role " + role
                                                                      : "Pitch and intensity frames of role " + role,
                                                   cols).dump(2) + "\n", false);
  }

  ProsodyOptions opt_;
  std::filesystem::path scratch_ = std::filesystem::temp_directory_path();  ///< where the tracks are kept while the audio is read
  std::mutex m_;
  std::vector<std::pair<std::string, std::shared_ptr<RoleProsody>>> roles_;
};

}  // namespace

std::unique_ptr<FeatureExtension> make_prosody_extension(const ProsodyOptions& options) {
  return std::make_unique<ProsodyExtension>(options);
}

}  // namespace dyad::analysis
