// dyad sync-check: finds one shared physical event (a clap or a tap) in a partner's microphone
// and in a sensor stream (an accelerometer or a button) and reports the offset between them, so a
// lab can verify the whole chain (device clock, network, clock fit), not only the network.
#include <algorithm>
#include <cmath>
#include <iostream>

#include "common.hpp"
#include "dyad/formats/audio.hpp"
#include "dyad/formats/error.hpp"
#include "dyad/formats/session.hpp"
#include "dyad/formats/stream.hpp"
#include "dyad/formats/text.hpp"

namespace dyad::cli {
namespace {
namespace fs = std::filesystem;

struct SyncOptions {
  std::string session, role = "A", stream, column;
  double near_s = -1, window_s = 2, min_prominence = 8;
};

[[noreturn]] void fail(const std::string& m) { throw std::runtime_error(m); }

/// Onset of the largest deviation: the first sample going back from the peak that is still at
/// or above half the peak, interpolated linearly with the sample before it.
double onset_of(const std::vector<double>& t, const std::vector<double>& dev, std::size_t lo, std::size_t hi, double& peak_out) {
  std::size_t p = lo;
  for (std::size_t i = lo; i < hi; ++i)
    if (dev[i] > dev[p]) p = i;
  peak_out = dev[p];
  const double thr = 0.5 * dev[p];
  std::size_t i = p;
  while (i > lo && dev[i - 1] >= thr) --i;
  if (i == lo) return t[i];
  const double f = (thr - dev[i - 1]) / (dev[i] - dev[i - 1]);
  return t[i - 1] + f * (t[i] - t[i - 1]);
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  auto m = v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2);
  std::nth_element(v.begin(), m, v.end());
  return *m;
}

void run_sync_check(const SyncOptions& o) {
  auto s = formats::Session::open(o.session);
  if (!s.audio) fail(o.session + ": the session has no audio: sync-check needs a microphone");
  const int ch = s.manifest.channel_of_role(o.role);
  if (ch == 0) fail("--role: no audio channel has role '" + o.role + "' in " + o.session + "/session.json");
  const formats::StreamSummary* ss = nullptr;
  for (auto& x : s.streams)
    if (x.sidecar.name == o.stream) ss = &x;
  if (!ss) {
    std::string names;
    for (auto& x : s.streams) names += (names.empty() ? "" : ", ") + x.sidecar.name;
    fail("--stream: no stream '" + o.stream + "' in " + o.session + " (streams: " + (names.empty() ? "none" : names) + ")");
  }
  auto data = formats::read_stream_data(s.dir, ss->sidecar);
  if (data.size() < 3) fail(o.stream + ": too few samples for sync-check");
  // sensor deviation: one column's, or the Euclidean norm over every column, from each median
  std::vector<std::size_t> cols;
  if (!o.column.empty()) {
    auto it = std::find(ss->sidecar.columns.begin(), ss->sidecar.columns.end(), o.column);
    if (it == ss->sidecar.columns.end()) fail("--column: stream '" + o.stream + "' has no column '" + o.column + "'");
    cols.push_back(static_cast<std::size_t>(it - ss->sidecar.columns.begin()));
  } else {
    for (std::size_t c = 0; c < ss->sidecar.columns.size(); ++c) cols.push_back(c);
  }
  std::vector<double> sdev(data.size(), 0);
  for (auto c : cols) {
    const double m = median(data.values[c]);
    for (std::size_t i = 0; i < data.size(); ++i) sdev[i] += (data.values[c][i] - m) * (data.values[c][i] - m);
  }
  for (auto& x : sdev) x = std::sqrt(x);
  std::size_t slo = 0, shi = data.size();
  if (o.near_s >= 0) {
    slo = static_cast<std::size_t>(std::lower_bound(data.time_s.begin(), data.time_s.end(), o.near_s - o.window_s) - data.time_s.begin());
    shi = static_cast<std::size_t>(std::upper_bound(data.time_s.begin(), data.time_s.end(), o.near_s + o.window_s) - data.time_s.begin());
    if (shi <= slo + 1) fail(o.stream + ": no samples within " + formats::format_number(o.window_s) + " s of " + formats::format_number(o.near_s) + " s");
  }
  double speak = 0;
  const double sensor_t = onset_of(data.time_s, sdev, slo, shi, speak);
  if (!(speak > 0)) fail(o.stream + ": the stream is flat: no tap to find");
  // How clearly the event stands out: its peak over the typical deviation of the whole stream.
  const double sensor_prom = speak / std::max(median(sdev), 1e-12);
  if (sensor_prom < o.min_prominence)
    fail(o.stream + ": no clear tap: the largest deviation (at " + formats::format_fixed(sensor_t, 3) + " s) is only " +
         formats::format_fixed(sensor_prom, 1) + " times the stream's typical deviation (--min-prominence " +
         formats::format_number(o.min_prominence) + "); point at the event with --near S");

  // audio: the loudest 1 ms block near the sensor's event, then the onset at full resolution
  formats::AudioReader ar(s.audio_path());
  const double rate = ar.info().sample_rate_hz;
  const int nch = ar.info().channels;
  const double a0 = std::max(0.0, sensor_t - o.window_s), a1 = std::min(ar.info().duration_s(), sensor_t + o.window_s);
  const auto f0 = static_cast<std::int64_t>(a0 * rate), f1 = static_cast<std::int64_t>(a1 * rate);
  if (f1 - f0 < 16) fail(o.session + ": the audio does not cover " + formats::format_number(sensor_t) + " s (the sensor's tap)");
  ar.seek(f0);
  std::vector<float> buf(static_cast<std::size_t>(f1 - f0) * static_cast<std::size_t>(nch));
  const auto got = ar.read(buf);
  std::vector<double> at(static_cast<std::size_t>(got)), adev(static_cast<std::size_t>(got));
  for (std::int64_t i = 0; i < got; ++i) {
    at[static_cast<std::size_t>(i)] = static_cast<double>(f0 + i) / rate;
    adev[static_cast<std::size_t>(i)] = std::abs(buf[static_cast<std::size_t>(i * nch + ch - 1)]);
  }
  double apeak = 0;
  const double audio_t = onset_of(at, adev, 0, adev.size(), apeak);
  if (!(apeak > 0)) fail(o.session + ": channel " + std::to_string(ch) + " is silent around " + formats::format_number(sensor_t) + " s");
  const double audio_prom = apeak / std::max(median(adev), 1e-12);
  if (audio_prom < o.min_prominence)
    fail(o.session + ": no clear clap on channel " + std::to_string(ch) + " (" + o.role + ") within " +
         formats::format_number(o.window_s) + " s of the sensor's event at " + formats::format_fixed(sensor_t, 3) +
         " s: the loudest sample is only " + formats::format_fixed(audio_prom, 1) +
         " times the typical level there (--min-prominence " + formats::format_number(o.min_prominence) + ")");
  for (auto& d : s.manifest.dropouts) {
    const double d1 = d.start_s + static_cast<double>(d.frames) / rate;
    if (d.start_s < a1 && d1 > a0)
      fail(o.session + ": the audio around the event has a dropout (" + formats::format_fixed(d.start_s, 3) + " s, " +
           std::to_string(d.frames) + " frames zero-filled): the clap may be lost; use another clap");
  }
  const double offset_ms = (sensor_t - audio_t) * 1e3;
  const double res_ms = 1e3 / std::max(ss->sidecar.nominal_rate_hz > 0 ? ss->sidecar.nominal_rate_hz : ss->sidecar.measured_rate_hz, 1e-9) / 2;
  std::cout << "audio_onset_s\t" << formats::format_fixed(audio_t, 6) << "\n"
            << "sensor_onset_s\t" << formats::format_fixed(sensor_t, 6) << "\n"
            << "offset_ms\t" << formats::format_fixed(offset_ms, 2) << "\n"
            << "resolution_ms\t" << formats::format_fixed(res_ms, 2) << "\n"
            << "sensor_prominence\t" << formats::format_fixed(sensor_prom, 1) << "\n"
            << "audio_prominence\t" << formats::format_fixed(audio_prom, 1) << "\n";
  note("the " + o.stream + " event is " + formats::format_fixed(std::abs(offset_ms), 2) + " ms " +
       (offset_ms >= 0 ? "after" : "before") + " the clap on channel " + std::to_string(ch) + " (" + o.role +
       ") at " + format_hms(audio_t) + " (sensor sampling limits this to about +-" + formats::format_fixed(res_ms, 1) + " ms)");
}
}  // namespace

void add_sync_check(CLI::App& app) {
  auto o = std::make_shared<SyncOptions>();
  auto* cmd = app.add_subcommand(
      "sync-check",
      "Find a shared clap or tap in a partner's microphone and a sensor stream (accelerometer, button) and report "
      "their offset (positive: the sensor's event is later than the audio's)");
  cmd->add_option("SESSION", o->session, "Session folder")->required();
  cmd->add_option("--role", o->role, "Role whose microphone heard the clap (default A)");
  cmd->add_option("--stream", o->stream, "Sensor stream that felt it, e.g. acc_A")->required();
  cmd->add_option("--column", o->column, "Use one column of the stream (default: the norm of all columns)");
  cmd->add_option("--near", o->near_s, "Look for the event within --window seconds of this session time (default: the whole stream)")
      ->check(check::non_negative());
  cmd->add_option("--window", o->window_s, "Half-width of the search window in seconds (default 2)")->check(check::positive());
  cmd->add_option("--min-prominence", o->min_prominence,
                  "The tap and the clap must peak at least this many times above their signal's typical (median) "
                  "deviation, or sync-check fails rather than report a chance match (default 8)")
      ->check(check::non_negative());
  cmd->callback([o] { run_sync_check(*o); });
}

}  // namespace dyad::cli
