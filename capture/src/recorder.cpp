#include "dyad/capture/recorder.hpp"

#include <fcntl.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <time.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <stdexcept>

#include "dyad/formats/error.hpp"
#include "dyad/formats/session.hpp"
#include "dyad/formats/text.hpp"

namespace dyad::capture {

std::int64_t monotonic_ns() noexcept {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000000000LL + ts.tv_nsec;
}

namespace {
std::int64_t realtime_ns() noexcept {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000000000LL + ts.tv_nsec;
}

std::string iso8601_ms(std::int64_t unix_ns) {
  std::int64_t ms = unix_ns / 1000000;
  time_t secs = static_cast<time_t>(ms / 1000);
  tm t{};
  ::gmtime_r(&secs, &t);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", t.tm_year + 1900, t.tm_mon + 1, t.tm_mday, t.tm_hour,
                t.tm_min, t.tm_sec, static_cast<int>(ms % 1000));
  return buf;
}

RecorderConfig validated(RecorderConfig c) {
  if (!(c.sample_rate_hz > 0)) throw std::invalid_argument("Recorder: the sample rate must be positive");
  if (c.device_channels < 1) throw std::invalid_argument("Recorder: the device must deliver at least one channel");
  if (c.channels.empty()) throw std::invalid_argument("Recorder: no channels to record");
  if (c.channels.size() != c.roles.size())
    throw std::invalid_argument("Recorder: " + std::to_string(c.channels.size()) + " channel(s) but " +
                                std::to_string(c.roles.size()) + " role(s); give one role per channel");
  for (int ch : c.channels)
    if (ch < 1 || ch > c.device_channels)
      throw std::invalid_argument("Recorder: channel " + std::to_string(ch) + " is not among the device's 1.." +
                                  std::to_string(c.device_channels));
  if (c.ring_frames == 0) c.ring_frames = static_cast<std::size_t>(4 * c.sample_rate_hz);
  if (c.stamp_capacity == 0) c.stamp_capacity = c.ring_frames / 32 + 64;
  return c;
}
}  // namespace

Recorder::Recorder(RecorderConfig cfg)
    : cfg_(validated(std::move(cfg))),
      ring_(cfg_.ring_frames, cfg_.device_channels),
      stamps_(cfg_.stamp_capacity) {
  const std::size_t kept = cfg_.channels.size();
  peak_.assign(kept, 0.0f);
  clipped_.assign(kept, 0);
  scratch_.resize(4096 * kept);
  formats::create_session_dir(cfg_.session_dir);
  make_disk_reserve();
  formats::AudioSection a;
  a.file = "audio.wav";
  a.sample_rate_hz = cfg_.sample_rate_hz;
  a.sample_format = "float32";
  for (std::size_t k = 0; k < kept; ++k) a.channels.push_back({static_cast<int>(k + 1), cfg_.roles[k]});
  cfg_.manifest.audio = a;
  if (cfg_.manifest.participants.empty())
    for (auto& r : cfg_.roles) cfg_.manifest.participants.push_back({r, cfg_.manifest.couple_id.empty() ? r : cfg_.manifest.couple_id + "-" + r});
  audio_ = std::make_unique<formats::AudioWriter>(cfg_.session_dir / "audio.wav", cfg_.sample_rate_hz, static_cast<int>(kept));
  write_manifest_now("recording");
  last_manifest_ = std::chrono::steady_clock::now();
}

void Recorder::make_disk_reserve() {
  std::uint64_t want = cfg_.disk_reserve_bytes;
  if (want == 0) {
    struct statvfs v {};
    const std::uint64_t free_b = ::statvfs(cfg_.session_dir.c_str(), &v) == 0 ? static_cast<std::uint64_t>(v.f_bavail) * v.f_frsize : 0;
    want = std::clamp<std::uint64_t>(free_b / 4, 64 * 1024, 8 * 1024 * 1024);
  }
  const auto p = cfg_.session_dir / kDiskReserveFile;
  int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return;  // best effort: without it a full disk may need `dyad recover`
  if (::posix_fallocate(fd, 0, static_cast<off_t>(want)) != 0) {
    ::close(fd);
    ::unlink(p.c_str());
    return;
  }
  ::fsync(fd);
  ::close(fd);
}

void Recorder::release_disk_reserve() {
  std::error_code ec;
  std::filesystem::remove(cfg_.session_dir / kDiskReserveFile, ec);
}

Recorder::~Recorder() {
  try {
    finish();
  } catch (...) {
  }
}

void Recorder::start_writer() {
  if (writer_.joinable()) return;
  writer_ = std::thread([this] { writer_loop(); });
}

void Recorder::on_audio(const float* in, std::size_t frames, bool overflow, std::int64_t host_ns) noexcept {
  callbacks_.fetch_add(1, std::memory_order_relaxed);
  if (overflow) overflows_.fetch_add(1, std::memory_order_relaxed);
  if (frames == 0) return;
  // No room to say where a block went: drop it unannounced; the writer sees the jump in
  // device_frame and fills it with zeros.
  if (stamps_.free_producer() == 0) {
    ring_dropped_.fetch_add(static_cast<std::int64_t>(frames), std::memory_order_relaxed);
    device_frame_ += static_cast<std::int64_t>(frames);
    return;
  }
  // whole block or nothing: never part of a frame, or the channels rotate
  const bool queued = in != nullptr && ring_.try_write_frames(in, frames);
  if (!queued) ring_dropped_.fetch_add(static_cast<std::int64_t>(frames), std::memory_order_relaxed);
  stamps_.try_push({device_frame_, host_ns, static_cast<std::uint32_t>(frames), static_cast<std::uint8_t>(queued),
                    static_cast<std::uint8_t>(overflow)});
  device_frame_ += static_cast<std::int64_t>(frames);
}

// ---- writer thread -------------------------------------------------------------------------

bool Recorder::writer_pass(bool stopping) {
  const auto lookahead_ns = static_cast<std::int64_t>(cfg_.lookahead_s * 1e9);
  BlockStamp s;
  while (stamps_.try_pop(s)) pending_.push_back(s);
  bool progressed = false;
  while (!pending_.empty() && !writer_done_.load(std::memory_order_relaxed)) {
    const BlockStamp& f = pending_.front();
    // Every block waits until the blocks of the next `lookahead_s` have arrived: whether frames
    // are missing before it is judged from their host times (a late callback that catches up is
    // no loss; host time that stays ahead of the frame count is).
    if (!stopping && pending_.back().host_ns < f.host_ns + lookahead_ns) break;
    const bool suspect = true;
    BlockStamp cur = f;
    pending_.pop_front();
    process(cur, suspect ? 1 : 0);  // the overflow flag is counted; the judgement is from host time
    progressed = true;
  }
  if (dropouts_dirty_ && std::chrono::steady_clock::now() - last_manifest_ >= std::chrono::seconds(1)) {
    write_manifest_now("recording");
    dropouts_dirty_ = false;
    last_manifest_ = std::chrono::steady_clock::now();
  }
  return progressed;
}

void Recorder::drain() {
  try {
    writer_pass(true);  // judge losses with the blocks queued so far
  } catch (const std::exception& e) {
    std::lock_guard<std::mutex> lk(mutex_);
    error_ = e.what();
    writer_done_.store(true, std::memory_order_release);
  }
}

void Recorder::writer_loop() {
  try {
    while (!writer_done_.load(std::memory_order_relaxed)) {
      const bool stopping = stop_.load(std::memory_order_acquire);
      const bool progressed = writer_pass(stopping);
      if (stopping && pending_.empty()) break;
      if (!progressed) std::this_thread::sleep_for(std::chrono::milliseconds(4));
    }
  } catch (const std::exception& e) {
    std::lock_guard<std::mutex> lk(mutex_);
    error_ = e.what();
  }
  writer_done_.store(true, std::memory_order_release);
}

void Recorder::process(const BlockStamp& s, std::size_t suspect) {
  const double rate = cfg_.sample_rate_hz;
  // 1. blocks dropped without a stamp (the stamp queue was full)
  if (s.device_frame > expected_device_frame_) {
    const std::int64_t gap = s.device_frame - expected_device_frame_;
    add_dropout(file_frames_, gap);
    write_zeros(gap);
  }
  expected_device_frame_ = s.device_frame + s.frames;
  // 2. frames the device never delivered: host time ran further than the frame count
  if (suspect && !recent_delay_.empty() && static_cast<double>(s.host_ns - recent_delay_.front().first) >= 0.3e9) {
    double env_before = std::numeric_limits<double>::infinity();
    for (auto& [t, d] : recent_delay_) env_before = std::min(env_before, d);
    double min_after = std::numeric_limits<double>::infinity();
    std::int64_t S = file_frames_, dev = s.device_frame;
    auto consider = [&](const BlockStamp& b) {
      if (b.device_frame > dev) S += b.device_frame - dev;
      S += b.frames;
      dev = b.device_frame + b.frames;
      min_after = std::min(min_after, static_cast<double>(b.host_ns) * 1e-9 - static_cast<double>(S) / rate);
    };
    consider(s);
    const auto lookahead_ns = static_cast<std::int64_t>(cfg_.lookahead_s * 1e9);
    for (auto& b : pending_) {
      if (b.host_ns > s.host_ns + lookahead_ns) break;
      consider(b);
    }
    const double deficit = (min_after - env_before) * rate;
    // half a block (a device loses whole periods), and never less than 0.5 ms of jitter in the envelope
    const double threshold = std::max(0.5 * s.frames, 0.0005 * rate);
    if (deficit > threshold) {
      auto lost = static_cast<std::int64_t>(std::llround(deficit));
      if (s.frames > 0) {  // devices lose whole periods: snap to one when close
        const std::int64_t n = s.frames;
        const std::int64_t k = (lost + n / 2) / n;
        if (k > 0 && std::llabs(lost - k * n) <= n / 4) lost = k * n;
      }
      {
        std::lock_guard<std::mutex> lk(mutex_);
        device_lost_ += lost;
      }
      add_dropout(file_frames_, lost);
      write_zeros(lost);
    }
  }
  // 3. the block itself
  if (s.in_ring) {
    write_block_from_ring(s.frames);
  } else {
    add_dropout(file_frames_, s.frames);
    write_zeros(s.frames);
  }
  note_delay(s.host_ns, file_frames_);
  prev_host_ns_ = s.host_ns;
  prev_frames_ = s.frames;
  const double lag = static_cast<double>(monotonic_ns() - s.host_ns) * 1e-9;
  {
    std::lock_guard<std::mutex> lk(mutex_);
    lag_max_s_ = std::max(lag_max_s_, lag);
  }
  if (!wrote_start_manifest_) {
    start_mono_ns_ = monotonic_ns();
    start_real_ns_ = realtime_ns();
    write_manifest_now("recording");
    wrote_start_manifest_ = true;
    last_manifest_ = std::chrono::steady_clock::now();
  }
}

void Recorder::write_block_from_ring(std::size_t frames) {
  auto r = ring_.read_regions();
  // The stamp was pushed after the ring write (release/acquire), so the block is there.
  const std::size_t kept = cfg_.channels.size();
  const auto dev = static_cast<std::size_t>(cfg_.device_channels);
  std::size_t todo = std::min(frames, r.frames);
  std::vector<float> peaks(kept, 0.0f);
  std::vector<std::int64_t> clips(kept, 0);
  for (auto region : {r.first, r.second}) {
    std::size_t in_region = std::min(todo, region.size() / dev);
    const float* p = region.data();
    todo -= in_region;
    while (in_region > 0) {
      std::size_t n = std::min<std::size_t>(in_region, 4096);
      for (std::size_t i = 0; i < n; ++i)
        for (std::size_t k = 0; k < kept; ++k) {
          float v = p[i * dev + static_cast<std::size_t>(cfg_.channels[k] - 1)];
          scratch_[i * kept + k] = v;
          float a = std::fabs(v);
          peaks[k] = std::max(peaks[k], a);
          if (a >= 0.999f) ++clips[k];
        }
      std::int64_t room = cfg_.max_frames < 0 ? std::numeric_limits<std::int64_t>::max() : cfg_.max_frames - file_frames_;
      auto w = static_cast<std::size_t>(std::min<std::int64_t>(room, static_cast<std::int64_t>(n)));
      if (w > 0) {
        audio_->write(std::span<const float>(scratch_.data(), w * kept));
        file_frames_ += static_cast<std::int64_t>(w);
      }
      if (cfg_.max_frames >= 0 && file_frames_ >= cfg_.max_frames) writer_done_.store(true, std::memory_order_relaxed);
      p += n * dev;
      in_region -= n;
    }
  }
  ring_.consume(std::min(frames, r.frames));
  std::lock_guard<std::mutex> lk(mutex_);
  for (std::size_t k = 0; k < kept; ++k) {
    peak_[k] = std::max(peak_[k], peaks[k]);
    clipped_[k] += clips[k];
  }
}

void Recorder::write_zeros(std::int64_t frames) {
  if (cfg_.max_frames >= 0) frames = std::min(frames, cfg_.max_frames - file_frames_);
  if (frames <= 0) return;
  audio_->write_zeros(frames);
  file_frames_ += frames;
  {
    std::lock_guard<std::mutex> lk(mutex_);
    zero_filled_ += frames;
  }
  if (cfg_.max_frames >= 0 && file_frames_ >= cfg_.max_frames) writer_done_.store(true, std::memory_order_relaxed);
}

void Recorder::add_dropout(std::int64_t start, std::int64_t frames) {
  if (cfg_.max_frames >= 0) frames = std::min(frames, cfg_.max_frames - start);
  if (frames <= 0) return;
  {
    std::lock_guard<std::mutex> lk(mutex_);
    if (!dropouts_.empty() && dropouts_.back().start_frame + dropouts_.back().frames == start)
      dropouts_.back().frames += frames;
    else
      dropouts_.push_back({start, frames});
    dropouts_dirty_ = true;
  }
  // Write-ahead: the manifest lists the dropout before its zeros reach audio.wav, so a kill right
  // after cannot leave zeros that session.json does not list (found by the kill -9 trials of
  // tests/faults). A device losing frames all the time would rewrite the manifest for every block:
  // past 20 times a second the once-a-second rewrite of writer_pass() takes over.
  const auto now = std::chrono::steady_clock::now();
  while (!write_ahead_times_.empty() && now - write_ahead_times_.front() >= std::chrono::seconds(1)) write_ahead_times_.pop_front();
  if (write_ahead_times_.size() < 20) {
    write_ahead_times_.push_back(now);
    write_manifest_now("recording");
    dropouts_dirty_ = false;
    last_manifest_ = now;
  }
}

void Recorder::note_delay(std::int64_t host_ns, std::int64_t end_frame) {
  const double t = static_cast<double>(host_ns) * 1e-9;
  const double d = t - static_cast<double>(end_frame) / cfg_.sample_rate_hz;
  recent_delay_.emplace_back(host_ns, d);
  while (!recent_delay_.empty() && host_ns - recent_delay_.front().first > 1000000000LL) recent_delay_.pop_front();
  std::lock_guard<std::mutex> lk(mutex_);
  audio_clock_.add(static_cast<double>(end_frame) / cfg_.sample_rate_hz, t);
}

double Recorder::host_of_frame_time(double frame_s) {
  if (final_clock_) return final_clock_->host_at(frame_s);
  return audio_clock_.host_at(frame_s);
}

double Recorder::frame_time_of_host(double host_s) {
  if (final_clock_) return final_clock_->device_at(host_s);
  // the live map is a line, host = f + la + lb * f: a few fixed-point steps invert it
  double f = host_s - (audio_clock_.host_at(0) - 0.0);
  for (int i = 0; i < 4; ++i) f = host_s - (audio_clock_.host_at(f) - f);
  return f;
}

void Recorder::write_manifest_now(const std::string& status) {
  formats::Manifest m = cfg_.manifest;
  m.status = status;
  std::vector<DropoutFrames> drops;
  bool have_clock;
  double host0 = 0, drift_ppm = 0;
  std::size_t npoints;
  nlohmann::json pieces = nlohmann::json::array();
  double residual_ms = 0;
  {
    std::lock_guard<std::mutex> lk(mutex_);
    drops = dropouts_;
    have_clock = !audio_clock_.empty();
    npoints = audio_clock_.buckets();
    if (have_clock) {
      host0 = host_of_frame_time(0);
      drift_ppm = -audio_clock_.live_slope() * 1e6;
    }
    if (final_clock_ && !final_clock_->pieces.empty()) {
      const auto& pc = final_clock_->pieces;
      const double span = pc.back().device_end_s - pc.front().device_start_s;
      if (span > 0) drift_ppm = -((pc.back().delay_at_end_s - pc.front().delay_at_start_s) / span) * 1e6;
      for (auto& p : pc)
        pieces.push_back({{"session_start_s", p.device_start_s}, {"session_end_s", p.device_end_s},
                          {"monotonic_minus_session_at_start_s", p.delay_at_start_s},
                          {"monotonic_minus_session_at_end_s", p.delay_at_end_s}});
      residual_ms = final_clock_->residual_ms;
    }
  }
  m.dropouts.clear();
  for (auto& d : drops) m.dropouts.push_back({static_cast<double>(d.start_frame) / cfg_.sample_rate_hz, d.frames});
  if (start_real_ns_ != 0 && have_clock) {
    // UTC of frame 0: its CLOCK_MONOTONIC time by the fit, moved onto the wall clock
    const double real0 = static_cast<double>(start_real_ns_) * 1e-9 + (host0 - static_cast<double>(start_mono_ns_) * 1e-9);
    m.start_utc = iso8601_ms(static_cast<std::int64_t>(std::llround(real0 * 1e9)));
  }
  auto st = snapshot(false);
  nlohmann::json cap = m.extra.contains("capture") ? m.extra["capture"] : nlohmann::json::object();
  cap["frames_per_buffer"] = cfg_.frames_per_buffer;
  cap["device_channels"] = cfg_.channels;
  cap["callbacks"] = st.callbacks;
  cap["input_overflows"] = st.overflows;
  cap["ring_dropped_frames"] = st.ring_dropped_frames;
  cap["device_lost_frames"] = st.device_lost_frames;
  cap["zero_filled_frames"] = st.zero_filled_frames;
  cap["clock_fit"] = {{"drift_ppm", drift_ppm}, {"points", static_cast<std::int64_t>(npoints)}};
  if (have_clock) cap["clock_fit"]["monotonic_at_frame0_s"] = host0;
  if (!pieces.empty()) {
    // the whole session's fit: CLOCK_MONOTONIC = session_s + the delay, linear in each piece
    cap["clock_fit"]["method"] = "lower envelope of callback delay per second, piecewise over 300 s";
    cap["clock_fit"]["residual_ms"] = residual_ms;
    cap["clock_fit"]["pieces"] = pieces;
  }
  if (!st.error.empty()) cap["stopped_by_error"] = st.error;
  m.extra["capture"] = cap;
  formats::write_manifest(cfg_.session_dir, m);
}

RecorderStatus Recorder::snapshot(bool reset_peaks) {
  RecorderStatus st;
  st.callbacks = callbacks_.load(std::memory_order_relaxed);
  st.overflows = overflows_.load(std::memory_order_relaxed);
  st.ring_dropped_frames = ring_dropped_.load(std::memory_order_relaxed);
  st.finished = writer_done_.load(std::memory_order_acquire);
  std::lock_guard<std::mutex> lk(mutex_);
  st.frames_written = audio_ ? audio_->frames_written() : 0;
  st.device_lost_frames = device_lost_;
  st.zero_filled_frames = zero_filled_;
  st.peak = peak_;
  if (reset_peaks) std::fill(peak_.begin(), peak_.end(), 0.0f);
  st.clipped = clipped_;
  st.writer_lag_max_s = lag_max_s_;
  st.drift_ppm = -audio_clock_.live_slope() * 1e6;
  st.error = error_;
  return st;
}

RecorderStatus Recorder::status() {
  if (finished_) return final_;
  return snapshot(true);
}

double Recorder::session_time_at(std::int64_t host_ns) {
  const double t = static_cast<double>(host_ns) * 1e-9;
  std::lock_guard<std::mutex> lk(mutex_);
  if (audio_clock_.empty()) return 0;
  return frame_time_of_host(t);
}

std::vector<DropoutFrames> Recorder::dropouts() {
  std::lock_guard<std::mutex> lk(mutex_);
  return dropouts_;
}

RecorderStatus Recorder::finish() {
  if (finished_) return final_;
  stop_.store(true, std::memory_order_release);
  if (writer_.joinable())
    writer_.join();
  else if (!writer_done_.load())
    writer_loop();  // never started (tests): drain here
  std::string close_error;
  try {
    audio_->close();
  } catch (const std::exception& e) {
    close_error = e.what();
  }
  {
    std::lock_guard<std::mutex> lk(mutex_);
    if (error_.empty() && !close_error.empty()) error_ = close_error;
    // the whole session's fit: markers, sensors re-timed at the end and the manifest use it
    if (!audio_clock_.empty()) final_clock_ = audio_clock_.fit();
  }
  finished_ = true;  // no more peaks to reset
  release_disk_reserve();  // room for what is written at the end, even on a full disk
  try {
    write_manifest_now("complete");
  } catch (const std::exception& e) {
    std::lock_guard<std::mutex> lk(mutex_);
    error_ += std::string(error_.empty() ? "" : "; ") + e.what() +
              " (session.json still says 'recording': run 'dyad recover " + cfg_.session_dir.string() + "')";
  }
  final_ = snapshot(false);
  final_.finished = true;
  return final_;
}

}  // namespace dyad::capture
