#include "voice_features.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>

#include "dyad/dsp/speech_rate.hpp"
#include "dyad/formats/files.hpp"
#include "dyad/formats/text.hpp"

namespace dyad::analysis::detail {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
using formats::format_number;

/// Fixed decimals matching the rounding step q (a power of ten); n/a for NaN.
std::string fmt(double v, double q) { return formats::format_fixed(v, static_cast<int>(std::lround(-std::log10(q)))); }
nlohmann::json jnum(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }

const char* const kExploratory =
    "Exploratory on running speech: defined for sustained vowels, and here affected by intonation, voice onsets and "
    "offsets, and errors of the pulse finder.";

/// The 11 perturbation measures in column order: name, unit, meaning, Praat command, rounding.
struct Measure {
  const char* name;
  const char* unit;
  const char* meaning;
  const char* praat;
  double q;
  double dsp::VoiceQuality::*field;
};
const Measure kMeasures[] = {
    {"jitter_local", "fraction", "mean absolute difference between consecutive periods divided by the mean period",
     "PointProcess: Get jitter (local)", 1e-7, &dsp::VoiceQuality::jitter_local},
    {"jitter_local_abs_s", "s", "mean absolute difference between consecutive periods", "PointProcess: Get jitter (local, absolute)",
     1e-9, &dsp::VoiceQuality::jitter_local_abs_s},
    {"jitter_rap", "fraction", "relative average perturbation: mean |period - mean of it and its two neighbours| / mean period",
     "PointProcess: Get jitter (rap)", 1e-7, &dsp::VoiceQuality::jitter_rap},
    {"jitter_ppq5", "fraction", "five-point period perturbation quotient: mean |period - mean of it and its four closest neighbours| / mean period",
     "PointProcess: Get jitter (ppq5)", 1e-7, &dsp::VoiceQuality::jitter_ppq5},
    {"jitter_ddp", "fraction", "mean |difference of consecutive differences of periods| / mean period (3 x RAP)",
     "PointProcess: Get jitter (ddp)", 1e-7, &dsp::VoiceQuality::jitter_ddp},
    {"shimmer_local", "fraction", "mean absolute difference between the amplitudes of consecutive periods divided by the mean amplitude",
     "Sound & PointProcess: Get shimmer (local)", 1e-7, &dsp::VoiceQuality::shimmer_local},
    {"shimmer_local_db", "dB", "mean |20 log10 of the ratio of consecutive amplitudes|", "Sound & PointProcess: Get shimmer (local_dB)",
     1e-6, &dsp::VoiceQuality::shimmer_local_db},
    {"shimmer_apq3", "fraction", "three-point amplitude perturbation quotient", "Sound & PointProcess: Get shimmer (apq3)", 1e-7,
     &dsp::VoiceQuality::shimmer_apq3},
    {"shimmer_apq5", "fraction", "five-point amplitude perturbation quotient", "Sound & PointProcess: Get shimmer (apq5)", 1e-7,
     &dsp::VoiceQuality::shimmer_apq5},
    {"shimmer_apq11", "fraction", "eleven-point amplitude perturbation quotient", "Sound & PointProcess: Get shimmer (apq11)", 1e-7,
     &dsp::VoiceQuality::shimmer_apq11},
    {"shimmer_dda", "fraction", "mean |difference of consecutive differences of amplitudes| / mean amplitude (3 x APQ3)",
     "Sound & PointProcess: Get shimmer (dda)", 1e-7, &dsp::VoiceQuality::shimmer_dda},
};

std::string settings_text(const dsp::PerturbationConfig& p) {
  return "period floor " + format_number(p.period_floor_s) + " s, ceiling " + format_number(p.period_ceiling_s) +
         " s, maximum period factor " + format_number(p.max_period_factor) + ", maximum amplitude factor " +
         format_number(p.max_amplitude_factor);
}

/// A role's data prepared for the unit computations.
struct Prepared {
  const RoleVoiceInput* in = nullptr;
  std::vector<double> nuclei;  // inside the role's own talkspurts, sorted
  std::vector<double> nuclei_in_turns;  // of those, the ones inside the role's turns
  double threshold_db = kNaN;
  std::size_t peaks = 0;
};

class Units {
 public:
  Units(const ProsodyOptions& o) : o_(o), kChunk(std::max<std::size_t>(1, o.chunk_values)) {}

  std::size_t frame_of(double t) const { return static_cast<std::size_t>(std::max(0.0, std::floor(t / o_.time_step_s + 0.5))); }
  bool speech_at(const Prepared& p, double t) const { return p.in->speech->contains(frame_of(t)); }

  /// Jitter and shimmer of the role's pulses in [a, b) inside its own talkspurts, read a chunk at a
  /// time and fed to the accumulator in pieces split at gaps over the period ceiling.
  dsp::VoiceQuality quality(const Prepared& p, double a, double b) {
    const auto& t = p.in->voice->pulse_time_s;
    const auto& amp = p.in->voice->pulse_amplitude;
    dsp::VoiceQualityAccumulator acc(o_.perturbation);
    sel_.clear();
    for (std::size_t i = std::isfinite(a) ? t.lower_bound(a) : 0; i < t.size(); i += kChunk) {
      t.read(i, i + kChunk, tv_);
      amp.read(i, i + kChunk, av_);
      bool done = false;
      for (std::size_t j = 0; j < tv_.size(); ++j) {
        if (!(tv_[j] < b)) {
          done = true;
          break;
        }
        if (!speech_at(p, tv_[j])) continue;
        if (!sel_.empty() && tv_[j] - sel_.back().time_s > o_.perturbation.period_ceiling_s) {
          acc.add(sel_);
          sel_.clear();
        }
        sel_.push_back({tv_[j], av_[j]});
      }
      if (done) break;
    }
    acc.add(sel_);
    return acc.result();
  }

  /// Mean HNR (dB) of the frames in [a, b) inside the role's talkspurts that are not silent; frame count.
  std::pair<double, std::size_t> hnr(const Prepared& p, double a, double b) {
    const auto& h = p.in->voice->hnr_db;
    double s = 0;
    std::size_t n = 0;
    const std::size_t k0 = first_frame_from(a, o_.time_step_s);
    const std::size_t k1 = std::isfinite(b) ? std::min(h.size(), first_frame_at_or_after(b, o_.time_step_s)) : h.size();
    for (std::size_t c = k0; c < k1; c += kChunk) {
      const std::size_t e = std::min(k1, c + kChunk);
      h.read(c, e, hv_);
      p.in->speech->mask(c, e, sp_);
      for (std::size_t k = 0; k < hv_.size(); ++k)
        if (sp_[k] && hv_[k] > dsp::kHarmonicitySilentDb) {
          s += hv_[k];
          ++n;
        }
    }
    return {n ? s / static_cast<double>(n) : kNaN, n};
  }

  static std::size_t count(const std::vector<double>& v, double a, double b) {
    return static_cast<std::size_t>(std::lower_bound(v.begin(), v.end(), b) - std::lower_bound(v.begin(), v.end(), a));
  }
  std::size_t nuclei(const Prepared& p, double a, double b) const { return count(p.nuclei, a, b); }
  std::size_t nuclei_in_turns(const Prepared& p, double a, double b) const { return count(p.nuclei_in_turns, a, b); }

 private:
  const ProsodyOptions& o_;
  const std::size_t kChunk;  ///< values read from a track at a time
  std::vector<dsp::GlottalPulse> sel_;
  std::vector<double> tv_;
  std::vector<float> av_, hv_;
  std::vector<unsigned char> sp_;
};

double ratio(double n, double d) { return d > 0 ? n / d : kNaN; }

/// The syllable intensity's frame step: Praat's automatic step for its floor (0.016 s at 50 Hz), as
/// de Jong & Wempe's script uses.
double syllable_step_s(const ProsodyOptions& o) { return 0.8 / o.syllable_f0_min_hz; }

}  // namespace

// ------------------------------------------------------------------------------------------------

SpeechFrames::SpeechFrames(const std::vector<dsp::Segment>& segments, const std::string& role, double step, std::size_t n) {
  for (auto& s : segments) {
    if (s.role != role) continue;
    const std::size_t k0 = first_frame_from(s.start_s, step);
    const std::size_t k1 = std::min(n, first_frame_at_or_after(s.end_s, step));
    if (k1 > k0) iv_.emplace_back(k0, k1);
  }
  std::sort(iv_.begin(), iv_.end());
  std::vector<std::pair<std::size_t, std::size_t>> m;
  for (auto& iv : iv_) {
    if (!m.empty() && iv.first <= m.back().second) m.back().second = std::max(m.back().second, iv.second);
    else m.push_back(iv);
  }
  iv_ = std::move(m);
}

bool SpeechFrames::contains(std::size_t k) const {
  auto it = std::upper_bound(iv_.begin(), iv_.end(), k, [](std::size_t v, const auto& iv) { return v < iv.first; });
  return it != iv_.begin() && k < std::prev(it)->second;
}

void SpeechFrames::mask(std::size_t k0, std::size_t k1, std::vector<unsigned char>& out) const {
  out.assign(k1 > k0 ? k1 - k0 : 0, 0);
  auto it = std::upper_bound(iv_.begin(), iv_.end(), k0, [](std::size_t v, const auto& iv) { return v < iv.first; });
  if (it != iv_.begin()) --it;
  for (; it != iv_.end() && it->first < k1; ++it)
    for (std::size_t k = std::max(k0, it->first); k < std::min(k1, it->second); ++k) out[k - k0] = 1;
}

std::size_t first_frame_from(double t, double step) {
  if (!(t > 0)) return 0;
  return static_cast<std::size_t>(std::ceil(t / step - 1e-9));
}

std::size_t first_frame_at_or_after(double t, double step) {
  if (!(t > 0)) return 0;
  auto k = static_cast<std::size_t>(std::ceil(t / step));
  while (k > 0 && static_cast<double>(k - 1) * step >= t) --k;
  while (static_cast<double>(k) * step < t) ++k;
  return k;
}

RoleVoice::RoleVoice(double rate, const PitchRange& range, const ProsodyOptions& o, const std::filesystem::path& dir)
    : pulse_time_s(dir, o.chunk_values),
      pulse_amplitude(dir, o.chunk_values),
      hnr_db(dir, o.chunk_values),
      syllable_intensity_db(dir, o.chunk_values),
      voice_(o.voice_quality),
      rate_(o.speech_rate) {
  if (voice_) {
    dsp::PulseConfig pc;
    pc.sample_rate_hz = rate;
    pc.time_step_s = o.time_step_s;
    pc.f0_min_hz = range.f0_min_hz;
    pulses_ = std::make_unique<dsp::PulseTracker>(pc);
    dsp::HarmonicityConfig hc;
    hc.sample_rate_hz = rate;
    hc.time_step_s = o.time_step_s;
    hc.f0_min_hz = range.f0_min_hz;
    hnr_ = std::make_unique<dsp::HarmonicityTracker>(hc);
  }
  if (rate_) {
    dsp::IntensityConfig ic;
    ic.sample_rate_hz = rate;
    ic.time_step_s = syllable_step_s(o);
    ic.f0_min_hz = o.syllable_f0_min_hz;
    syl_int_ = std::make_unique<dsp::IntensityTracker>(ic);
  }
}

void RoleVoice::take(std::size_t nh, std::size_t ni) {
  for (auto& p : out_) {
    pulse_time_s.push_back(p.time_s);
    pulse_amplitude.push_back(p.amplitude);
  }
  out_.clear();
  for (std::size_t i = 0; i < nh; ++i) hnr_db.push_back(static_cast<float>(hf_[i]));
  for (std::size_t i = 0; i < ni; ++i) syllable_intensity_db.push_back(static_cast<float>(sf_[i]));
}

void RoleVoice::process(std::span<const float> block, std::span<const dsp::PitchFrame> frames) {
  std::size_t nh = 0, ni = 0;
  if (voice_) {
    pulses_->process(block, frames, out_);
    if (hf_.size() < hnr_->max_output(block.size())) hf_.resize(hnr_->max_output(block.size()));
    nh = hnr_->process(block, hf_);
  }
  if (rate_) {
    if (sf_.size() < syl_int_->max_output(block.size())) sf_.resize(syl_int_->max_output(block.size()));
    ni = syl_int_->process(block, sf_);
  }
  take(nh, ni);
}

void RoleVoice::finish(std::span<const dsp::PitchFrame> frames) {
  std::size_t nh = 0, ni = 0;
  if (voice_) {
    pulses_->finish(frames, out_);
    if (hf_.size() < hnr_->max_output(0)) hf_.resize(hnr_->max_output(0));
    nh = hnr_->finish(hf_);
    cut_intervals = pulses_->cut_intervals();
  }
  if (rate_) {
    if (sf_.size() < syl_int_->max_output(0)) sf_.resize(syl_int_->max_output(0));
    ni = syl_int_->finish(sf_);
  }
  take(nh, ni);
  hf_ = {};
  sf_ = {};
  out_ = {};
}

// ------------------------------------------------------------------------------------------------

VoiceSummary add_voice_features(FeatureContext& ctx, const std::vector<RoleVoiceInput>& roles, const ProsodyOptions& o) {
  VoiceSummary out;
  if (!o.voice_quality && !o.speech_rate) return out;
  const auto& tt = ctx.turns;
  std::vector<Prepared> prep;
  for (auto& r : roles) {
    Prepared p;
    p.in = &r;
    if (o.speech_rate) {
      // the nuclei of the whole syllable-intensity track, read a chunk at a time; the voicing of
      // each frame is that of the nearest pitch frame
      const double ss = syllable_step_s(o);
      const auto& I = r.voice->syllable_intensity_db;
      const double thr = dsp::syllable_threshold(
          [&](const std::function<void(double)>& sink) {
            I.for_each_chunk([&](std::span<const float> v, std::size_t) {
              for (float x : v) sink(x);
            });
          },
          o.syllables);
      dsp::SyllableNuclei nuc;
      nuc.threshold_db = thr;
      if (std::isfinite(thr)) {
        dsp::SyllablePeakScanner scan(thr, 0, ss, o.syllables);
        std::vector<unsigned char> voiced;
        std::vector<float> f0;
        I.for_each_chunk([&](std::span<const float> v, std::size_t k0) {
          auto pitch_frame = [&](std::size_t k) {
            return static_cast<std::size_t>(std::floor(static_cast<double>(k) * ss / o.time_step_s + 0.5));
          };
          const std::size_t j0 = pitch_frame(k0), j1 = pitch_frame(k0 + v.size() - 1) + 1;
          r.f0->read(j0, j1, f0);
          voiced.resize(v.size());
          for (std::size_t k = 0; k < v.size(); ++k) {
            const std::size_t j = pitch_frame(k0 + k) - j0;
            voiced[k] = j < f0.size() && f0[j] > 0;
          }
          scan.add(v, voiced);
        });
        nuc = scan.finish();
      }
      p.threshold_db = nuc.threshold_db;
      p.peaks = nuc.peaks;
      for (double t : nuc.times_s) {
        const auto k = static_cast<std::size_t>(std::floor(t / o.time_step_s + 0.5));
        if (r.speech->contains(k)) p.nuclei.push_back(t);
      }
      std::vector<std::pair<double, double>> turns;  // the role's turns, in time order, not overlapping
      for (auto& t : tt.turns)
        if (t.role == r.role) turns.emplace_back(t.start_s, t.end_s);
      for (double t : p.nuclei) {
        auto it = std::upper_bound(turns.begin(), turns.end(), t, [](double v, const auto& iv) { return v < iv.first; });
        if (it != turns.begin() && t < std::prev(it)->second) p.nuclei_in_turns.push_back(t);
      }
    }
    prep.push_back(std::move(p));
  }
  auto find = [&](const std::string& role) -> const Prepared* {
    for (auto& p : prep)
      if (p.in->role == role) return &p;
    return nullptr;
  };
  Units u(o);
  const std::string pset = settings_text(o.perturbation);
  const std::string own = " of the turn holder's pulses inside its own talkspurts within the turn";

  // turns.tsv
  std::vector<ExtraColumn> tc;
  if (o.voice_quality) {
    for (auto& m : kMeasures)
      tc.push_back({{m.name, std::string(m.meaning) + own, m.unit,
                     std::string("Praat ") + m.praat + " (" + pset + "). " + kExploratory},
                    {}});
    tc.push_back({{"hnr_db", "mean harmonics-to-noise ratio of the turn holder's non-silent frames inside its own talkspurts within the turn", "dB",
                   "Praat To Harmonicity (cc) (0.01 s, minimum pitch = the role's pitch floor, silence threshold 0.1, 1 period per "
                   "window), then Get mean over those frames (silent frames, -200 dB, left out)"},
                  {}});
    tc.push_back({{"voice_pulses", "glottal pulses of the turn holder inside its own talkspurts within the turn", "count",
                   "Praat To PointProcess (periodic, cc) with the role's pitch range"},
                  {}});
    tc.push_back({{"voice_periods", "periods used for the mean period (jitter's denominator)", "count", pset}, {}});
  }
  if (o.speech_rate) {
    tc.push_back({{"syllables", "syllable nuclei of the turn holder inside its own talkspurts within the turn", "count",
                   "de Jong & Wempe (2009): intensity peaks (50 Hz floor) above the 0.99 quantile of the role's intensity - 25 dB, "
                   "followed by a dip of more than 2 dB, voiced (summary.json extensions.prosody.parameters.speech_rate)"},
                  {}});
    tc.push_back({{"speech_rate", "syllables / turn duration", "syllables/s", "de Jong & Wempe (2009) speech rate over the turn"}, {}});
    tc.push_back({{"articulation_rate", "syllables / the holder's speaking time (its talkspurts) within the turn", "syllables/s",
                   "de Jong & Wempe (2009) articulation rate: pauses left out"},
                  {}});
  }
  for (auto& t : tt.turns) {
    const Prepared* p = find(t.role);
    std::size_t c = 0;
    if (o.voice_quality) {
      dsp::VoiceQuality q;
      std::pair<double, std::size_t> h{kNaN, 0};
      if (p) {
        q = u.quality(*p, t.start_s, t.end_s);
        h = u.hnr(*p, t.start_s, t.end_s);
      }
      for (auto& m : kMeasures) tc[c++].values.push_back(p ? fmt(q.*(m.field), m.q) : "n/a");
      tc[c++].values.push_back(fmt(h.first, 1e-4));
      tc[c++].values.push_back(p ? std::to_string(q.pulses) : "n/a");
      tc[c++].values.push_back(p ? std::to_string(q.periods) : "n/a");
    }
    if (o.speech_rate) {
      const double n = p ? static_cast<double>(u.nuclei(*p, t.start_s, t.end_s)) : kNaN;
      tc[c++].values.push_back(p ? std::to_string(static_cast<std::size_t>(n)) : "n/a");
      tc[c++].values.push_back(fmt(ratio(n, t.duration_s()), 1e-4));
      tc[c++].values.push_back(fmt(ratio(n, t.speaking_s), 1e-4));
    }
  }
  for (auto& c : tc) ctx.turn_columns.push_back(std::move(c));

  // windows.tsv, per role
  for (auto& p : prep) {
    const std::string& role = p.in->role;
    const auto ri = static_cast<std::size_t>(std::find(tt.roles.begin(), tt.roles.end(), role) - tt.roles.begin());
    const std::string scope = " of role " + role + " inside its own talkspurts within the window";
    std::vector<ExtraColumn> wc;
    if (o.voice_quality) {
      wc.push_back({{"jitter_local_" + role, std::string(kMeasures[0].meaning) + scope, "fraction",
                     std::string("Praat PointProcess: Get jitter (local) (") + pset + "). " + kExploratory},
                    {}});
      wc.push_back({{"shimmer_local_" + role, std::string(kMeasures[5].meaning) + scope, "fraction",
                     std::string("Praat Sound & PointProcess: Get shimmer (local) (") + pset + "). " + kExploratory},
                    {}});
      wc.push_back({{"hnr_db_" + role, "mean harmonics-to-noise ratio of the non-silent frames" + scope, "dB",
                     "Praat To Harmonicity (cc), Get mean (as turns.tsv hnr_db)"},
                    {}});
    }
    if (o.speech_rate) {
      wc.push_back({{"syllables_" + role, "syllable nuclei" + scope, "count", "de Jong & Wempe (2009), as turns.tsv syllables"}, {}});
      wc.push_back({{"speech_rate_" + role, "syllables of role " + role + " inside its turns / its turn time within the window (floor time)",
                     "syllables/s", "de Jong & Wempe (2009) speech rate over the role's turns (backchannels left out)"},
                    {}});
      wc.push_back({{"articulation_rate_" + role, "syllables of role " + role + " / its speaking time within the window", "syllables/s",
                     "de Jong & Wempe (2009) articulation rate"},
                    {}});
    }
    for (auto& w : ctx.windows) {
      std::size_t c = 0;
      if (o.voice_quality) {
        auto q = u.quality(p, w.start_s, w.end_s);
        wc[c++].values.push_back(fmt(q.jitter_local, 1e-7));
        wc[c++].values.push_back(fmt(q.shimmer_local, 1e-7));
        wc[c++].values.push_back(fmt(u.hnr(p, w.start_s, w.end_s).first, 1e-4));
      }
      if (o.speech_rate) {
        const auto n = static_cast<double>(u.nuclei(p, w.start_s, w.end_s));
        const auto nt = static_cast<double>(u.nuclei_in_turns(p, w.start_s, w.end_s));
        const double floor_s = ri < w.floor_s.size() ? w.floor_s[ri] : kNaN;
        const double speak_s = ri < w.speaking_s.size() ? w.speaking_s[ri] : kNaN;
        wc[c++].values.push_back(std::to_string(static_cast<std::size_t>(n)));
        wc[c++].values.push_back(fmt(ratio(nt, floor_s), 1e-4));
        wc[c++].values.push_back(fmt(ratio(n, speak_s), 1e-4));
      }
    }
    for (auto& c : wc) ctx.window_columns.push_back(std::move(c));
  }

  // syllables_<role>.tsv
  if (o.speech_rate)
    for (auto& p : prep) {
      const std::string name = "syllables_" + p.in->role;
      std::vector<std::vector<std::string>> rows;
      for (double t : p.nuclei) {
        const auto k = static_cast<std::size_t>(std::floor(t / syllable_step_s(o) + 0.5));
        const auto& I = p.in->voice->syllable_intensity_db;
        rows.push_back({fmt(t, 1e-3), k < I.size() ? fmt(I.at(k), 1e-3) : "n/a"});
      }
      ctx.write_table(name, "Syllable nuclei of role " + p.in->role + " inside its own talkspurts (de Jong & Wempe 2009)",
                      {{"time_s", "intensity peak of the nucleus", "s", "frame centre of the peak (frames every 0.8 / 50 Hz = 0.016 s)"},
                       {"intensity_db", "intensity at the peak", "dB", "Praat To Intensity with a 50 Hz floor (dB re 2e-5)"}},
                      rows);
    }

  // per partner
  const double inf = std::numeric_limits<double>::infinity();
  for (auto& p : prep) {
    const std::string& role = p.in->role;
    nlohmann::json j = nlohmann::json::object();
    if (o.voice_quality) {
      auto q = u.quality(p, -inf, inf);
      auto h = u.hnr(p, 0, inf);
      nlohmann::json v = {{"pulses", q.pulses}, {"periods", q.periods}, {"mean_period_s", jnum(q.mean_period_s)},
                          {"sd_period_s", jnum(q.sd_period_s)}, {"hnr_db", jnum(h.first)}, {"hnr_frames", h.second}};
      for (auto& m : kMeasures) v[m.name] = jnum(q.*(m.field));
      v["pulses_all"] = p.in->voice->pulse_time_s.size();
      v["cut_voiced_intervals"] = p.in->voice->cut_intervals;
      j["voice"] = v;
    }
    if (o.speech_rate) {
      double speak = 0, floor_time = 0;
      for (auto& s : tt.segments)
        if (s.role == role) speak += s.end_s - s.start_s;
      for (auto& t : tt.turns)
        if (t.role == role) floor_time += t.duration_s();
      const auto n = static_cast<double>(p.nuclei.size());
      j["speech_rate"] = {{"syllables", p.nuclei.size()},         {"syllables_in_turns", p.nuclei_in_turns.size()},
                          {"speaking_time_s", formats::round_seconds(speak)}, {"turn_time_s", formats::round_seconds(floor_time)},
                          {"speech_rate", jnum(ratio(static_cast<double>(p.nuclei_in_turns.size()), floor_time))},
                          {"articulation_rate", jnum(ratio(n, speak))}, {"peak_threshold_db", jnum(p.threshold_db)},
                          {"intensity_peaks", p.peaks}};
    }
    out.partners[role] = j;
  }
  if (o.voice_quality)
    out.parameters["voice"] = {
        {"pulses", "Praat 6.3 To PointProcess (periodic, cc) (Sound & Pitch: To PointProcess (cc)) with the role's pitch range, reimplemented in dyad::dsp::PulseTracker"},
        {"jitter_shimmer", "Praat Get jitter / Get shimmer: " + pset},
        {"period_floor_s", o.perturbation.period_floor_s},
        {"period_ceiling_s", o.perturbation.period_ceiling_s},
        {"max_period_factor", o.perturbation.max_period_factor},
        {"max_amplitude_factor", o.perturbation.max_amplitude_factor},
        {"harmonicity", "Praat To Harmonicity (cc): time step 0.01 s (the frame grid), minimum pitch = the role's pitch floor, silence threshold 0.1, 1 period per window; running absolute peak as global peak"},
        {"units", "pulses inside the speaker's own talkspurts within the turn, window or session; periods across gaps are excluded by the period ceiling"},
        {"caveat", kExploratory}};
  if (o.speech_rate)
    out.parameters["speech_rate"] = {
        {"method", "de Jong & Wempe (2009) syllable nuclei: intensity peaks above (quantile + silence_db), followed by a dip of more than min_dip_db before the next peak, voiced (the pitch track's frame), inside the speaker's own talkspurts"},
        {"intensity_f0_min_hz", o.syllable_f0_min_hz},
        {"intensity_time_step_s", syllable_step_s(o)},
        {"quantile", o.syllables.quantile},
        {"silence_db", o.syllables.silence_db},
        {"min_dip_db", o.syllables.min_dip_db},
        {"speech_rate", "syllables inside the role's turns / turn time (per turn: the turn's duration; per window and partner: the role's turn time; backchannels are not turns)"},
        {"articulation_rate", "syllables / speaking time (the role's talkspurts)"},
        {"differences_from_the_published_script", "talkspurts replace the script's own silence detection; the pitch track is dyad's standard one (75-600 Hz, voicing threshold 0.45; the frame nearest the peak) instead of the script's 30-450 Hz, 0.25; the last peak of a recording may count"}};
  return out;
}

void write_pulses(FeatureContext& ctx, const std::string& role, const RoleVoice& v) {
  const std::string name = "pulses_" + role;
  std::vector<formats::ColumnDoc> cols = {
      {"time_s", "glottal pulse (a point of Praat's PointProcess)", "s",
       "Praat To PointProcess (periodic, cc) with the role's pitch range (dyad::dsp::PulseTracker)"},
      {"amplitude", "peak amplitude of the pulse's period; n/a without a neighbouring pulse within 0.05 s", "signal units (full scale 1)",
       "Praat To AmplitudeTier (period): RMS under a squared two-sided Hann window reaching 0.2 of the previous and of the next period"}};
  formats::LineFile f(ctx.out_dir / (name + ".tsv"), true);
  std::string buf = "time_s\tamplitude\n";
  std::vector<float> amp;
  v.pulse_time_s.for_each_chunk([&](std::span<const double> t, std::size_t i0) {
    v.pulse_amplitude.read(i0, i0 + t.size(), amp);
    for (std::size_t i = 0; i < t.size(); ++i) {
      buf += format_number(std::round(t[i] * 1e7) / 1e7);  // 0.1 µs
      buf += '\t';
      buf += std::isfinite(amp[i]) ? format_number(formats::round_significant(amp[i], 7)) : std::string("n/a");
      buf += '\n';
      if (buf.size() > (1 << 16)) {
        f.append(buf);
        buf.clear();
      }
    }
  });
  f.append(buf);
  formats::write_file_new(ctx.out_dir / (name + ".json"),
                          formats::codebook_json(name + ".tsv", "Glottal pulses of role " + role + " (every channel sample, not only its talkspurts)", cols).dump(2) + "\n",
                          false);
}

}  // namespace dyad::analysis::detail
