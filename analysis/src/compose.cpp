// Two-partner conversations composed from recorded utterances, with the truth of the clean sources.
#include "dyad/analysis/compose.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "dyad/dsp/synth.hpp"
#include "dyad/dsp/vad.hpp"
#include "dyad/formats/audio.hpp"
#include "dyad/formats/error.hpp"
#include "dyad/formats/text.hpp"

namespace dyad::analysis {

namespace fs = std::filesystem;
using formats::format_number;

namespace {

enum Stream : std::uint64_t { kSchedule = 1, kNoise = 2, kRoom = 3 };

/// A clip ready to place: DC removed, trimmed to its speech, with its active level.
struct Clip {
  std::vector<float> x;
  double level_db = 0;                 // mean power of the active frames, dBFS
  std::size_t speech_begin = 0, speech_end = 0;  // first and last sample of the frames above the truth threshold
  std::size_t frame = 1;               // 10 ms in samples
  std::vector<char> speech;            // per 10 ms frame of x: above the truth threshold
};

std::vector<Clip> prepare(const Utterances& u, double threshold_db) {
  std::vector<Clip> out;
  const std::size_t fl = static_cast<std::size_t>(std::max(1.0, std::round(0.01 * u.rate_hz)));
  const std::size_t skip = 3 * fl;  // recordings may begin with a click (FDA-UE's do)
  for (auto& raw : u.clips) {
    if (raw.size() < skip + 10 * fl) continue;
    double mean = 0;
    for (std::size_t i = skip; i < raw.size(); ++i) mean += raw[i];
    mean /= static_cast<double>(raw.size() - skip);
    std::vector<double> p;
    for (std::size_t i = skip; i + fl <= raw.size(); i += fl) {
      double s = 0;
      for (std::size_t k = 0; k < fl; ++k) s += (raw[i + k] - mean) * (raw[i + k] - mean);
      p.push_back(s / static_cast<double>(fl));
    }
    const double mx = *std::max_element(p.begin(), p.end());
    if (!(mx > 0)) continue;
    // Active level: mean power of the frames within 20 dB of the loudest.
    double sum = 0;
    std::size_t n = 0;
    for (double v : p)
      if (v >= mx * 1e-2) {
        sum += v;
        ++n;
      }
    const double level = sum / static_cast<double>(n);
    // Speech: frames above the truth threshold; the clip keeps 100 ms around them.
    const double thr = level * std::pow(10.0, threshold_db / 10);
    std::size_t first = p.size(), last = 0;
    for (std::size_t f = 0; f < p.size(); ++f)
      if (p[f] > thr) {
        first = std::min(first, f);
        last = f;
      }
    const std::size_t a = skip + (first > 10 ? first - 10 : 0) * fl;
    const std::size_t b = std::min(raw.size(), skip + (last + 11) * fl);
    Clip c;
    c.x.reserve(b - a);
    for (std::size_t i = a; i < b; ++i) c.x.push_back(static_cast<float>(raw[i] - mean));
    c.level_db = 10 * std::log10(level);
    c.frame = fl;
    c.speech_begin = skip + first * fl - a;
    c.speech_end = skip + (last + 1) * fl - a;
    for (std::size_t i = a; i + fl <= b; i += fl) {
      const std::size_t f = (i - skip) / fl;
      c.speech.push_back(f < p.size() && p[f] > thr);
    }
    out.push_back(std::move(c));
  }
  return out;
}

struct Placed {
  int role;
  const Clip* clip;
  std::size_t from, len;  // samples of the clip
  std::int64_t at;        // timeline sample
  double gain;
  std::size_t fade;       // raised-cosine fade length at both ends (0 = none)
};

}  // namespace

Utterances load_utterances(const fs::path& dir, const std::string& prefix) {
  std::vector<fs::path> files;
  std::error_code ec;
  for (auto& e : fs::directory_iterator(dir, ec)) {
    const auto name = e.path().filename().string();
    if (name.rfind(prefix, 0) == 0 && e.path().extension() == ".wav") files.push_back(e.path());
  }
  if (ec) throw formats::FormatError(formats::ErrorKind::io, dir.string() + ": cannot be read: " + ec.message());
  std::sort(files.begin(), files.end());
  if (files.empty())
    throw formats::FormatError(formats::ErrorKind::io, dir.string() + ": no " + prefix + "*.wav utterances found");
  Utterances u;
  for (auto& f : files) {
    formats::AudioReader r(f);
    const auto& info = r.info();
    if (u.rate_hz == 0) u.rate_hz = info.sample_rate_hz;
    if (info.sample_rate_hz != u.rate_hz)
      throw formats::FormatError(formats::ErrorKind::unsupported, f.string() + ": sample rate " + format_number(info.sample_rate_hz) +
                                                                      " Hz, expected " + format_number(u.rate_hz) + " Hz like the others");
    std::vector<float> inter(static_cast<std::size_t>(info.frames * info.channels));
    const auto got = r.read(inter);
    std::vector<float> mono(static_cast<std::size_t>(got));
    for (std::int64_t i = 0; i < got; ++i) mono[static_cast<std::size_t>(i)] = inter[static_cast<std::size_t>(i * info.channels)];
    u.names.push_back(f.filename().string());
    u.clips.push_back(std::move(mono));
  }
  return u;
}

void validate(const ComposeConfig& c) {
  auto range = [](const char* name, double v, double lo, double hi) {
    if (!(v >= lo && v <= hi))
      throw std::invalid_argument(std::string("compose: ") + name + " must be between " + format_number(lo) + " and " + format_number(hi) +
                                  ", got " + format_number(v));
  };
  range("duration_s", c.duration_s, 5, 86400);
  range("crosstalk_db", c.crosstalk_db, -120, 0);
  range("delay_ms", c.delay_ms, 0, 50);
  range("rt60_s", c.rt60_s, 0.05, 2);
  range("tail_db", c.tail_db, -60, 20);
  range("snr_db", c.snr_db, -10, 120);
  range("speech_level_dbfs", c.speech_level_dbfs, -80, -3);
  range("level_spread_db", c.level_spread_db, 0, 20);
  range("overlap_rate", c.overlap_rate, 0, 1);
  range("interruption_rate", c.interruption_rate, 0, 1);
  range("backchannels_per_min", c.backchannels_per_min, 0, 60);
  range("backchannel_level_db", c.backchannel_level_db, -40, 10);
  range("truth_threshold_db", c.truth_threshold_db, -80, 0);
  range("truth_min_pause_s", c.truth_min_pause_s, 0, 5);
  range("truth_min_talkspurt_s", c.truth_min_talkspurt_s, 0, 5);
}

std::vector<std::pair<std::int64_t, double>> leak_response(const ComposeConfig& c, double rate, std::uint64_t seed) {
  dsp::Rng rng(seed);
  std::vector<std::pair<double, double>> early = {{0, 1.0}, {0.9, 0.55}, {2.1, -0.4}, {3.7, 0.3}, {5.3, -0.2}};
  std::vector<std::pair<double, double>> tail;  // (ms after the direct path, gain)
  // A sparse tail: one tap per 2.5 ms slot, random sign and spread, amplitude decaying 60 dB per
  // rt60, until it is 40 dB down.
  const double slot = 2.5;
  for (double t = 6; t < 1000 * c.rt60_s * 40.0 / 60.0; t += slot) {
    const double at = t + rng.uniform(0, slot);
    const double amp = std::exp(-6.907755 * at / (1000 * c.rt60_s)) * rng.uniform(0.5, 1.0) * (rng.uniform() < 0.5 ? -1 : 1);
    tail.push_back({at, amp});
  }
  double e_early = 0, e_tail = 0;
  for (auto& [t, g] : early) e_early += g * g;
  for (auto& [t, g] : tail) e_tail += g * g;
  const double tail_scale = e_tail > 0 ? std::sqrt(e_early * std::pow(10.0, c.tail_db / 10) / e_tail) : 0;
  for (auto& [t, g] : tail) g *= tail_scale;
  const double total = e_early + e_early * (e_tail > 0 ? std::pow(10.0, c.tail_db / 10) : 0);
  const double scale = std::pow(10.0, c.crosstalk_db / 20) / std::sqrt(total);
  std::vector<std::pair<std::int64_t, double>> taps;
  for (auto* v : {&early, &tail})
    for (auto& [t, g] : *v) taps.push_back({static_cast<std::int64_t>(std::llround((c.delay_ms + t) * rate / 1000.0)), g * scale});
  std::sort(taps.begin(), taps.end());
  // taps landing on the same sample add up
  std::vector<std::pair<std::int64_t, double>> out;
  for (auto& t : taps) {
    if (!out.empty() && out.back().first == t.first)
      out.back().second += t.second;
    else
      out.push_back(t);
  }
  return out;
}

ComposedConversation compose_conversation(const Utterances& ua, const Utterances& ub, const ComposeConfig& c) {
  validate(c);
  if (ua.rate_hz != ub.rate_hz || !(ua.rate_hz > 0))
    throw std::invalid_argument("compose: both speakers' utterances must have one sample rate, got " + format_number(ua.rate_hz) + " and " +
                                format_number(ub.rate_hz) + " Hz");
  const double rate = ua.rate_hz;
  const std::vector<Clip> clips[2] = {prepare(ua, c.truth_threshold_db), prepare(ub, c.truth_threshold_db)};
  for (int r = 0; r < 2; ++r)
    if (clips[r].empty()) throw std::invalid_argument(std::string("compose: speaker ") + (r ? "B" : "A") + " has no utterance with speech");
  const dsp::Rng master(c.seed);
  dsp::Rng rng = master.fork(kSchedule);
  const std::int64_t total = static_cast<std::int64_t>(std::llround(c.duration_s * rate));
  auto S = [&](double s) { return static_cast<std::int64_t>(std::llround(s * rate)); };
  ComposedConversation out;
  out.rate_hz = rate;
  std::vector<Placed> placed;
  auto gain_for = [&](const Clip& k, double level_db) {
    return std::pow(10.0, (level_db + rng.uniform(-c.level_spread_db, c.level_spread_db) - k.level_db) / 20);
  };
  auto pick = [&](int role, std::int64_t min_len) -> const Clip* {
    const auto& v = clips[role];
    const Clip* best = &v[static_cast<std::size_t>(rng.uniform() * static_cast<double>(v.size())) % v.size()];
    for (int tries = 0; tries < 20 && static_cast<std::int64_t>(best->x.size()) < min_len; ++tries)
      best = &v[static_cast<std::size_t>(rng.uniform() * static_cast<double>(v.size())) % v.size()];
    return best;
  };

  // Times below are speech times: an utterance "starts" at its first and "ends" at its last
  // frame above the truth threshold; the clip is placed so that its speech starts there.
  std::int64_t last_end[2] = {-S(10), -S(10)};
  int holder = 0;
  std::int64_t t = S(0.5 + rng.uniform(0, 0.5));
  std::int64_t incoming = 0;  // overlap the new holder's first utterance must outlast
  bool done = false;
  while (!done) {
    int n = 1;
    while (n < 3 && rng.uniform() < 0.4) ++n;
    for (int k = 0; k < n && !done; ++k) {
      const Clip* cl = pick(holder, k == 0 ? incoming + S(0.6) : 0);
      const std::int64_t len = static_cast<std::int64_t>(cl->speech_end - cl->speech_begin);
      const std::int64_t at = t - static_cast<std::int64_t>(cl->speech_begin);
      if (at < 0 || at + static_cast<std::int64_t>(cl->x.size()) > total - S(0.3)) {
        done = true;
        break;
      }
      placed.push_back({holder, cl, 0, cl->x.size(), at, gain_for(*cl, c.speech_level_dbfs), 0});
      const std::int64_t end = t + len;
      const bool last = k == n - 1;
      std::int64_t next = 0;
      if (last) {
        if (rng.uniform() < c.overlap_rate) {
          double o = rng.uniform() < c.interruption_rate ? rng.uniform(1.1, 1.8) : rng.uniform(0.1, 0.8);
          o = std::min(o, static_cast<double>(len) / rate - 0.3);
          next = end - S(std::max(o, 0.05));
          ++out.overlaps;
        } else {
          next = end + S(std::clamp(rng.lognormal(0.25, 0.6), 0.05, 2.0));
          ++out.gaps;
        }
        next = std::max(next, last_end[1 - holder] + S(0.3));
      } else {
        next = end + S(std::clamp(rng.lognormal(0.45, 0.4), 0.25, 1.5));
      }
      // The listener's backchannels inside this utterance, clear of both ends and of the next turn.
      if (c.backchannels_per_min > 0) {
        const int lis = 1 - holder;
        const std::int64_t hi = std::min(end - S(0.4), last ? next - S(0.3) : end);
        std::int64_t pos = t + S(0.4) + (k == 0 ? incoming : 0);
        for (;;) {
          pos += S(rng.exponential(60.0 / c.backchannels_per_min));
          const std::int64_t blen = S(rng.uniform(0.25, 0.7));
          if (pos + blen > hi) break;
          if (pos < last_end[lis] + S(0.3)) continue;
          // a piece of one of the listener's utterances, speech from its first frame, 80 % speech
          const Clip* bc = nullptr;
          std::size_t from = 0;
          for (int tries = 0; tries < 20 && !bc; ++tries) {
            const Clip* cand = pick(lis, blen);
            const std::size_t nf = static_cast<std::size_t>(blen) / cand->frame;
            if (cand->speech.size() < nf + 1) continue;
            const std::size_t f0 = static_cast<std::size_t>(rng.uniform() * static_cast<double>(cand->speech.size() - nf)) % (cand->speech.size() - nf);
            if (!cand->speech[f0] || !cand->speech[f0 + nf - 1]) continue;
            std::size_t on = 0;
            for (std::size_t f = f0; f < f0 + nf; ++f) on += cand->speech[f] ? 1 : 0;
            if (on * 10 < nf * 8) continue;
            bc = cand;
            from = f0 * cand->frame;
          }
          if (!bc) continue;
          placed.push_back({lis, bc, from, static_cast<std::size_t>(blen), pos, gain_for(*bc, c.speech_level_dbfs + c.backchannel_level_db),
                            static_cast<std::size_t>(S(0.015))});
          last_end[lis] = pos + blen;
          ++out.backchannels;
          pos += blen + S(0.3);
        }
      }
      last_end[holder] = end;
      if (last) {
        incoming = std::max<std::int64_t>(0, end - next);
        holder = 1 - holder;
      } else {
        incoming = 0;
      }
      t = next;
    }
  }

  // Render the dry voices.
  std::vector<std::vector<float>> dry(2, std::vector<float>(static_cast<std::size_t>(total), 0.f));
  for (auto& p : placed) {
    auto& d = dry[static_cast<std::size_t>(p.role)];
    for (std::size_t i = 0; i < p.len; ++i) {
      const std::int64_t at = p.at + static_cast<std::int64_t>(i);
      if (at < 0 || at >= total) continue;
      double env = 1;
      if (p.fade > 0) {
        const std::size_t edge = std::min(i, p.len - 1 - i);
        if (edge < p.fade) env = 0.5 * (1 - std::cos(M_PI * (static_cast<double>(edge) + 0.5) / static_cast<double>(p.fade)));
      }
      d[static_cast<std::size_t>(at)] += static_cast<float>(p.gain * env * p.clip->x[p.from + i]);
    }
  }
  // Truth from the clean sources.
  const std::size_t fl = static_cast<std::size_t>(std::max(1.0, std::round(0.01 * rate)));
  const double thr = std::pow(10.0, (c.speech_level_dbfs + c.truth_threshold_db) / 10);
  for (int r = 0; r < 2; ++r) {
    dsp::TalkspurtAssembler as(c.truth_min_pause_s, c.truth_min_talkspurt_s);
    const auto& d = dry[static_cast<std::size_t>(r)];
    for (std::size_t i = 0; i < d.size(); i += fl) {
      const std::size_t m = std::min(fl, d.size() - i);
      double s = 0;
      for (std::size_t k = 0; k < m; ++k) s += static_cast<double>(d[i + k]) * d[i + k];
      as.frame(s / static_cast<double>(m) > thr, static_cast<double>(i) / rate, static_cast<double>(i + m) / rate);
    }
    as.finish(static_cast<double>(d.size()) / rate);
    for (auto iv : as.take()) out.truth.push_back({out.roles[static_cast<std::size_t>(r)], iv.start_s, iv.end_s});
  }
  std::sort(out.truth.begin(), out.truth.end(), [](auto& x, auto& y) { return x.start_s != y.start_s ? x.start_s < y.start_s : x.role < y.role; });

  // Microphones: own voice, the other's through the room, noise.
  const double noise_sd = std::pow(10.0, (c.speech_level_dbfs - c.snr_db) / 20);
  out.mics.assign(2, std::vector<float>(static_cast<std::size_t>(total), 0.f));
  for (int r = 0; r < 2; ++r) {
    auto& m = out.mics[static_cast<std::size_t>(r)];
    const auto& own = dry[static_cast<std::size_t>(r)];
    const auto& other = dry[static_cast<std::size_t>(1 - r)];
    dsp::Rng nz = master.fork(kNoise + 10 * static_cast<std::uint64_t>(r));
    for (std::size_t i = 0; i < m.size(); ++i) m[i] = own[i] + static_cast<float>(noise_sd) * nz.fast_normal();
    for (auto& [d, g] : leak_response(c, rate, master.fork(kRoom + 10 * static_cast<std::uint64_t>(r)).next())) {
      const float gf = static_cast<float>(g);
      const std::size_t dd = static_cast<std::size_t>(d);
      for (std::size_t i = dd; i < m.size(); ++i) m[i] += gf * other[i - dd];
    }
  }
  return out;
}

}  // namespace dyad::analysis
