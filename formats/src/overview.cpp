#include "dyad/formats/overview.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <optional>
#include <stdexcept>

#include "dyad/formats/audio.hpp"
#include "dyad/formats/error.hpp"
#include "dyad/formats/files.hpp"
#include "dyad/formats/text.hpp"

namespace dyad::formats {

namespace {

constexpr char kMagic[8] = {'D', 'Y', 'A', 'D', 'M', 'M', 'X', '1'};
constexpr std::uint32_t kVersion = 1;

#pragma pack(push, 1)
struct Header {
  char magic[8];
  std::uint32_t version;
  std::uint32_t channels;
  double sample_rate_hz;
  std::int64_t frames;
  std::uint64_t audio_size;
  std::int64_t audio_mtime_ns;
  std::uint32_t base_frames;
  std::uint32_t factor;
  std::uint32_t levels;
  std::uint32_t reserved;
};
#pragma pack(pop)
static_assert(sizeof(Header) == 64);

std::string errno_text() { return std::strerror(errno); }

constexpr const char kCannotWrite[] = "cannot write the audio overview";

/// A min/max being accumulated, per channel.
struct Acc {
  std::vector<float> mn, mx;
  std::uint64_t count = 0;  ///< frames (level 0) or bins merged
  void reset(int ch) {
    mn.assign(static_cast<std::size_t>(ch), std::numeric_limits<float>::infinity());
    mx.assign(static_cast<std::size_t>(ch), -std::numeric_limits<float>::infinity());
    count = 0;
  }
};

}  // namespace

std::pair<std::uint64_t, std::int64_t> file_size_and_mtime(const std::filesystem::path& p) {
  struct stat st {};
  if (::stat(p.c_str(), &st) != 0) throw FormatError(ErrorKind::io, p.string() + ": cannot stat: " + errno_text());
  return {static_cast<std::uint64_t>(st.st_size),
          static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000LL + st.st_mtim.tv_nsec};
}

std::filesystem::path overview_path(const std::filesystem::path& session_dir) {
  return session_dir / "features" / "overview" / "audio.minmax";
}

void build_overview(const std::filesystem::path& audio, const std::filesystem::path& out, const OverviewConfig& config,
                    const std::function<void(double)>& progress) {
  if (config.base_frames < 1 || config.factor < 2)
    throw std::invalid_argument("OverviewConfig: base_frames must be >= 1 and factor >= 2, found " +
                                std::to_string(config.base_frames) + " and " + std::to_string(config.factor));
  auto [size, mtime] = file_size_and_mtime(audio);
  AudioReader reader(audio);
  const AudioInfo info = reader.info();
  const int ch = info.channels;
  const auto frames = static_cast<std::uint64_t>(std::max<std::int64_t>(0, info.frames));

  // The levels' geometry is known from the frame count, so each level is written in place.
  std::vector<OverviewLevel> levels;
  for (std::uint64_t bf = config.base_frames;; bf *= config.factor) {
    std::uint64_t bins = (frames + bf - 1) / bf;
    levels.push_back({bf, bins, 0});
    if (bins <= 1 || levels.size() >= 40) break;
  }
  std::uint64_t offset = sizeof(Header) + levels.size() * 3 * sizeof(std::uint64_t);
  for (auto& l : levels) {
    l.offset = offset;
    offset += l.bins * static_cast<std::uint64_t>(ch) * 2 * sizeof(float);
  }

  const std::filesystem::path tmp = out.string() + ".tmp";
  int fd = ::open(tmp.c_str(), O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0) throw FormatError(ErrorKind::io, tmp.string() + ": cannot create the audio overview: " + errno_text());
  struct Closer {
    int fd;
    std::filesystem::path p;
    bool ok = false;
    ~Closer() {
      ::close(fd);
      if (!ok) ::unlink(p.c_str());
    }
  } closer{fd, tmp};

  Header h{};
  std::memcpy(h.magic, kMagic, 8);
  h.version = kVersion;
  h.channels = static_cast<std::uint32_t>(ch);
  h.sample_rate_hz = info.sample_rate_hz;
  h.frames = info.frames;
  h.audio_size = size;
  h.audio_mtime_ns = mtime;
  h.base_frames = config.base_frames;
  h.factor = config.factor;
  h.levels = static_cast<std::uint32_t>(levels.size());
  pwrite_all(fd, &h, sizeof h, 0, tmp, kCannotWrite);
  std::vector<std::uint64_t> table;
  for (auto& l : levels) table.insert(table.end(), {l.bin_frames, l.bins, l.offset});
  pwrite_all(fd, table.data(), table.size() * sizeof(std::uint64_t), sizeof h, tmp, kCannotWrite);

  // Per level: the bin being accumulated and a buffer of finished bins written in chunks.
  const std::size_t nl = levels.size();
  std::vector<Acc> acc(nl);
  for (auto& a : acc) a.reset(ch);
  std::vector<std::vector<float>> buf(nl);
  std::vector<std::uint64_t> written(nl, 0);  // bins written per level
  constexpr std::size_t kFlushFloats = 1 << 15;
  auto flush = [&](std::size_t l) {
    if (buf[l].empty()) return;
    std::uint64_t at = levels[l].offset + written[l] * static_cast<std::uint64_t>(ch) * 2 * sizeof(float);
    pwrite_all(fd, buf[l].data(), buf[l].size() * sizeof(float), at, tmp, kCannotWrite);
    written[l] += buf[l].size() / (static_cast<std::size_t>(ch) * 2);
    buf[l].clear();
  };
  // Emits the finished bin of level l, merging it into level l+1 (cascading when that fills).
  auto emit = [&](std::size_t l) {
    for (std::size_t lv = l; lv < nl; ++lv) {
      Acc& a = acc[lv];
      for (int c = 0; c < ch; ++c) {
        buf[lv].push_back(a.mn[static_cast<std::size_t>(c)]);
        buf[lv].push_back(a.mx[static_cast<std::size_t>(c)]);
      }
      if (buf[lv].size() >= kFlushFloats) flush(lv);
      if (lv + 1 < nl) {
        Acc& up = acc[lv + 1];
        for (std::size_t c = 0; c < static_cast<std::size_t>(ch); ++c) {
          up.mn[c] = std::min(up.mn[c], a.mn[c]);
          up.mx[c] = std::max(up.mx[c], a.mx[c]);
        }
        ++up.count;
      }
      a.reset(ch);
      if (lv + 1 >= nl || acc[lv + 1].count < config.factor) break;
    }
  };

  const std::size_t block = 65536;
  std::vector<float> in(block * static_cast<std::size_t>(std::max(ch, 1)));
  std::uint64_t done = 0;
  int last_pct = -1;
  if (progress) progress(0);
  for (;;) {
    std::int64_t n = reader.read(in);
    if (n <= 0) break;
    std::int64_t f = 0;
    Acc& a0 = acc[0];
    while (f < n) {
      auto take = static_cast<std::int64_t>(std::min<std::uint64_t>(config.base_frames - a0.count,
                                                                    static_cast<std::uint64_t>(n - f)));
      for (int c = 0; c < ch; ++c) {
        float mn = a0.mn[static_cast<std::size_t>(c)], mx = a0.mx[static_cast<std::size_t>(c)];
        const float* p = in.data() + f * ch + c;
        for (std::int64_t i = 0; i < take; ++i) {
          float v = p[i * ch];
          mn = std::min(mn, v);
          mx = std::max(mx, v);
        }
        a0.mn[static_cast<std::size_t>(c)] = mn;
        a0.mx[static_cast<std::size_t>(c)] = mx;
      }
      a0.count += static_cast<std::uint64_t>(take);
      f += take;
      if (a0.count == config.base_frames) emit(0);
    }
    done += static_cast<std::uint64_t>(n);
    if (progress && frames > 0) {
      int pct = static_cast<int>(100.0 * static_cast<double>(done) / static_cast<double>(frames));
      if (pct != last_pct) {
        last_pct = pct;
        progress(std::min(1.0, pct / 100.0));
      }
    }
  }
  // Partial bins at the end, from the finest level up (each feeds the next).
  for (std::size_t l = 0; l < nl; ++l) {
    if (acc[l].count == 0) continue;
    Acc& a = acc[l];
    for (int c = 0; c < ch; ++c) {
      buf[l].push_back(a.mn[static_cast<std::size_t>(c)]);
      buf[l].push_back(a.mx[static_cast<std::size_t>(c)]);
    }
    if (l + 1 < nl) {
      Acc& up = acc[l + 1];
      for (std::size_t c = 0; c < static_cast<std::size_t>(ch); ++c) {
        up.mn[c] = std::min(up.mn[c], a.mn[c]);
        up.mx[c] = std::max(up.mx[c], a.mx[c]);
      }
      ++up.count;
    }
    a.reset(ch);
  }
  for (std::size_t l = 0; l < nl; ++l) {
    flush(l);
    if (written[l] != levels[l].bins)
      throw FormatError(ErrorKind::malformed, audio.string() + ": the audio ended early: the overview's level " +
                                                  std::to_string(l) + " has " + std::to_string(written[l]) +
                                                  " bins, expected " + std::to_string(levels[l].bins));
  }
  if (::fsync(fd) != 0) throw FormatError(ErrorKind::io, tmp.string() + ": cannot sync: " + errno_text());
  if (std::rename(tmp.c_str(), out.c_str()) != 0)
    throw FormatError(ErrorKind::io, out.string() + ": cannot rename the audio overview into place: " + errno_text());
  closer.ok = true;
  if (progress) progress(1);
}

Overview::Overview(const std::filesystem::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw FormatError(ErrorKind::io, path.string() + ": cannot open the audio overview: " + errno_text());
  struct stat st {};
  if (::fstat(fd, &st) != 0 || static_cast<std::size_t>(st.st_size) < sizeof(Header)) {
    ::close(fd);
    throw FormatError(ErrorKind::unrecognised, path.string() + ": not an audio overview (shorter than its header)");
  }
  map_size_ = static_cast<std::size_t>(st.st_size);
  map_ = ::mmap(nullptr, map_size_, PROT_READ, MAP_SHARED, fd, 0);
  ::close(fd);
  if (map_ == MAP_FAILED) {
    map_ = nullptr;
    throw FormatError(ErrorKind::io, path.string() + ": cannot map the audio overview: " + errno_text());
  }
  try {
    init(static_cast<const unsigned char*>(map_), map_size_, path.string());
  } catch (...) {
    ::munmap(map_, map_size_);
    map_ = nullptr;
    throw;
  }
}

Overview::Overview(std::span<const std::uint8_t> bytes, const std::string& label) {
  if (reinterpret_cast<std::uintptr_t>(bytes.data()) % alignof(float) != 0)
    throw std::invalid_argument("Overview: the bytes of an overview must be aligned for float");
  if (bytes.size() < sizeof(Header))
    throw FormatError(ErrorKind::unrecognised, label + ": not an audio overview (shorter than its header)");
  init(bytes.data(), bytes.size(), label);
}

void Overview::init(const unsigned char* bytes, std::size_t size, const std::string& label) {
  auto fail = [&](ErrorKind k, const std::string& why) { throw FormatError(k, label + ": " + why); };
  Header h{};
  std::memcpy(&h, bytes, sizeof h);
  if (std::memcmp(h.magic, kMagic, 8) != 0) fail(ErrorKind::unrecognised, "not an audio overview (magic is not DYADMMX1)");
  if (h.version != kVersion) fail(ErrorKind::unsupported, "audio overview version " + std::to_string(h.version) + ", expected 1");
  const std::size_t table_end = sizeof(Header) + static_cast<std::size_t>(h.levels) * 24;
  if (h.levels == 0 || h.levels > 64 || table_end > size) fail(ErrorKind::malformed, "audio overview level table is damaged");
  // Every count is checked before it is used to index the file: a damaged or planted cache must be
  // refused, never read past its end (found by fuzzing, tests/data/fuzz_regressions/overview).
  if (h.channels < 1 || h.channels > 4096) fail(ErrorKind::malformed, "audio overview channel count " + std::to_string(h.channels) + " is out of range");
  if (h.frames < 0) fail(ErrorKind::malformed, "audio overview frame count is negative");
  if (!(h.sample_rate_hz > 0 && h.sample_rate_hz < 1e7)) fail(ErrorKind::malformed, "audio overview sample rate is out of range");
  channels_ = static_cast<int>(h.channels);
  rate_ = h.sample_rate_hz;
  frames_ = h.frames;
  audio_size_ = h.audio_size;
  audio_mtime_ns_ = h.audio_mtime_ns;
  base_frames_ = h.base_frames;
  factor_ = h.factor;
  const auto* table = bytes + sizeof(Header);
  const std::uint64_t bin_bytes = static_cast<std::uint64_t>(h.channels) * 8;
  for (std::uint32_t l = 0; l < h.levels; ++l) {
    OverviewLevel lv;
    std::memcpy(&lv, table + l * 24, 24);
    if (lv.bin_frames < 1) fail(ErrorKind::malformed, "audio overview level " + std::to_string(l) + " has bins of 0 frames");
    if (lv.offset % 4 != 0 || lv.offset > size || lv.bins > (size - lv.offset) / bin_bytes)
      fail(ErrorKind::malformed, "audio overview level " + std::to_string(l) + " runs past the end of the file (truncated?)");
    levels_.push_back(lv);
  }
  data_ = reinterpret_cast<const float*>(bytes);
}

Overview::~Overview() {
  if (map_) ::munmap(map_, map_size_);
}

MinMax Overview::bin(std::size_t level, std::uint64_t b, int channel) const noexcept {
  const OverviewLevel& l = levels_[level];
  const float* p = data_ + l.offset / 4 + (b * static_cast<std::uint64_t>(channels_) + static_cast<std::uint64_t>(channel)) * 2;
  return {p[0], p[1]};
}

int Overview::columns(int channel, double first_frame, double last_frame, std::span<MinMax> out) const noexcept {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  if (out.empty() || channel < 0 || channel >= channels_ || !std::isfinite(first_frame) || !std::isfinite(last_frame)) return -1;
  const double fpc = (last_frame - first_frame) / static_cast<double>(out.size());
  int level = -1;
  for (std::size_t l = 0; l < levels_.size(); ++l)
    if (static_cast<double>(levels_[l].bin_frames) * 2 <= fpc) level = static_cast<int>(l);
  if (level < 0) return -1;
  const OverviewLevel& lv = levels_[static_cast<std::size_t>(level)];
  const auto bf = static_cast<double>(lv.bin_frames);
  for (std::size_t i = 0; i < out.size(); ++i) {
    double f0 = std::max(0.0, first_frame + static_cast<double>(i) * fpc);
    double f1 = std::min(static_cast<double>(frames_), first_frame + static_cast<double>(i + 1) * fpc);
    if (f1 <= f0) {
      out[i] = {nan, nan};
      continue;
    }
    // in double first: a bin index past the level (or past 2^64) is clamped, never cast
    const double q0 = std::floor(f0 / bf), q1 = std::ceil(f1 / bf), nb = static_cast<double>(lv.bins);
    const auto b0 = static_cast<std::uint64_t>(std::min(q0, nb));
    const auto b1 = static_cast<std::uint64_t>(std::min(q1, nb));
    float mn = std::numeric_limits<float>::infinity(), mx = -mn;
    for (std::uint64_t b = b0; b < b1; ++b) {
      MinMax m = bin(static_cast<std::size_t>(level), b, channel);
      mn = std::min(mn, m.min);
      mx = std::max(mx, m.max);
    }
    out[i] = b1 > b0 ? MinMax{mn, mx} : MinMax{nan, nan};
  }
  return level;
}

bool Overview::matches(const std::filesystem::path& audio) const {
  std::error_code ec;
  if (!std::filesystem::exists(audio, ec)) return false;
  auto [size, mtime] = file_size_and_mtime(audio);
  return size == audio_size_ && mtime == audio_mtime_ns_;
}

std::filesystem::path ensure_overview(const std::filesystem::path& session_dir, const std::filesystem::path& audio,
                                      const std::function<void(double)>& progress, bool* built,
                                      const OverviewConfig& config) {
  if (built) *built = false;
  auto fresh = [&](const std::filesystem::path& p) {
    std::error_code ec;
    if (!std::filesystem::exists(p, ec)) return false;
    try {
      Overview o(p);
      return o.matches(audio);
    } catch (const FormatError&) {
      return false;
    }
  };
  std::filesystem::path p = overview_path(session_dir);
  if (fresh(p)) return p;
  try {
    make_private_dir(p.parent_path());
    build_overview(audio, p, config, progress);
    if (built) *built = true;
    return p;
  } catch (const FormatError& e) {
    if (e.kind() != ErrorKind::io) throw;
  }
  // A read-only session (e.g. an archive): keep the cache in the temporary folder instead, under a
  // name of this user's, and only trust a file this user owns (anyone can create files in /tmp).
  auto key = std::hash<std::string>{}(std::filesystem::absolute(session_dir).lexically_normal().string());
  const auto uid = std::to_string(::geteuid());
  std::filesystem::path alt = std::filesystem::temp_directory_path() / ("dyad-overview-" + uid + "-" + std::to_string(key) + ".minmax");
  struct stat st {};
  if (::lstat(alt.c_str(), &st) == 0 && (st.st_uid != ::geteuid() || !S_ISREG(st.st_mode)))
    alt = std::filesystem::temp_directory_path() / ("dyad-overview-" + uid + "-" + std::to_string(key) + "-" + std::to_string(::getpid()) + ".minmax");
  if (fresh(alt)) return alt;
  build_overview(audio, alt, config, progress);
  if (built) *built = true;
  return alt;
}

std::filesystem::path stream_cache_path(const std::filesystem::path& session_dir, const std::string& name) {
  return session_dir / "features" / "overview" / "streams" / (name + ".bin");
}

namespace {
struct ColumnCacheHeader {
  char magic[8] = {'D', 'Y', 'A', 'D', 'S', 'T', 'C', '1'};
  std::uint32_t version = 1, columns = 0;  ///< value columns after the first (time) column
  std::uint64_t rows = 0, source_size = 0;
  std::int64_t source_mtime_ns = 0;
};

// The header of `p` when it is a cache of a source of this size, mtime and column count.
bool open_column_cache(std::ifstream& in, const std::filesystem::path& p, std::uint64_t size, std::int64_t mtime,
                       std::size_t columns, ColumnCacheHeader& h) {
  in.open(p, std::ios::binary);
  const ColumnCacheHeader want;
  if (!in || !in.read(reinterpret_cast<char*>(&h), sizeof h)) return false;
  if (std::memcmp(h.magic, want.magic, 8) != 0 || h.version != want.version || h.columns != columns ||
      h.source_size != size || h.source_mtime_ns != mtime)
    return false;
  std::error_code ec;
  const auto bytes = std::filesystem::file_size(p, ec);
  // rows from the file's size, never rows times the row size: a damaged count must not wrap around
  // to the right size (and ask for exabytes)
  const std::uint64_t per_row = 8 + 4 * static_cast<std::uint64_t>(columns);
  return !ec && bytes >= sizeof h && (bytes - sizeof h) % per_row == 0 && (bytes - sizeof h) / per_row == h.rows;
}

/// A whole file mapped read-only and shared (page-cache backed: mapping costs no copy).
struct Mapping {
  void* bytes = nullptr;
  std::size_t size = 0;
  Mapping() = default;
  Mapping(const Mapping&) = delete;
  Mapping& operator=(const Mapping&) = delete;
  ~Mapping() {
    if (bytes) ::munmap(bytes, size);
  }
};

// `p` mapped when it is a cache of a source of this size, mtime and column count with exactly its
// rows; null when absent, stale or damaged (the caller reads the source instead).
std::shared_ptr<const Mapping> map_column_cache(const std::filesystem::path& p, std::uint64_t size, std::int64_t mtime,
                                                std::size_t columns, bool own_only, ColumnCacheHeader& h) {
  int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return nullptr;
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  // a regular file; in the temporary folder (anyone's) only one of this user's: a planted file is refused
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (own_only && st.st_uid != ::geteuid()) ||
      st.st_size < static_cast<off_t>(sizeof h))
    return nullptr;
  if (::pread(fd, &h, sizeof h, 0) != static_cast<ssize_t>(sizeof h)) return nullptr;
  const ColumnCacheHeader want;
  if (std::memcmp(h.magic, want.magic, 8) != 0 || h.version != want.version || h.columns != columns ||
      h.source_size != size || h.source_mtime_ns != mtime)
    return nullptr;
  // rows from the file's size, never rows times the row size (a damaged count must not wrap around)
  const auto bytes = static_cast<std::uint64_t>(st.st_size);
  const std::uint64_t per_row = 8 + 4 * static_cast<std::uint64_t>(columns);
  if ((bytes - sizeof h) % per_row != 0 || (bytes - sizeof h) / per_row != h.rows) return nullptr;
  auto m = std::make_shared<Mapping>();
  // MAP_POPULATE: the viewer summarises every sample at open; faulting the pages in one go is
  // cheaper than one fault per page
  void* at = ::mmap(nullptr, static_cast<std::size_t>(bytes), PROT_READ, MAP_SHARED | MAP_POPULATE, fd, 0);
  if (at == MAP_FAILED) return nullptr;
  m->bytes = at;
  m->size = static_cast<std::size_t>(bytes);
  return m;
}

void write_column_cache(const std::filesystem::path& p, std::uint64_t size, std::int64_t mtime, const StreamColumns& c) {
  make_private_dir(p.parent_path());
  ColumnCacheHeader h;
  h.columns = static_cast<std::uint32_t>(c.values.size());
  h.rows = c.time_s.size();
  h.source_size = size;
  h.source_mtime_ns = mtime;
  std::string bytes(reinterpret_cast<const char*>(&h), sizeof h);
  bytes.append(reinterpret_cast<const char*>(c.time_s.data()), c.time_s.size() * 8);
  for (auto& v : c.values) bytes.append(reinterpret_cast<const char*>(v.data()), v.size() * 4);
  write_file_atomic(p, bytes);
}

// The cache of a file under the session's features/overview/, or in the temporary folder when
// the session is read-only.
std::vector<std::filesystem::path> cache_places(const std::filesystem::path& session_dir, const std::filesystem::path& rel) {
  const auto key = std::hash<std::string>{}(std::filesystem::absolute(session_dir).lexically_normal().string());
  std::string flat = rel.string();
  for (auto& ch : flat)
    if (ch == '/') ch = '-';
  return {session_dir / "features" / "overview" / rel, std::filesystem::temp_directory_path() / ("dyad-" + std::to_string(key) + "-" + flat)};
}

// Through the cache: `load` parses the source when no cache matches it (and writes a new cache).
template <class Load>
ColumnsView via_cache(const std::vector<std::filesystem::path>& places, const std::filesystem::path& source, std::size_t columns,
                      Load&& load) {
  auto [size, mtime] = file_size_and_mtime(source);
  ColumnsView v;
  for (std::size_t i = 0; i < places.size(); ++i) {
    ColumnCacheHeader h;
    auto m = map_column_cache(places[i], size, mtime, columns, /*own_only=*/i > 0, h);
    if (!m) continue;
    const auto* base = static_cast<const unsigned char*>(m->bytes) + sizeof h;
    const auto rows = static_cast<std::size_t>(h.rows);
    v.time_s = {reinterpret_cast<const double*>(base), rows};
    const auto* f = reinterpret_cast<const float*>(base + rows * 8);
    for (std::size_t c = 0; c < columns; ++c) v.values.emplace_back(f + c * rows, rows);
    v.storage = std::move(m);
    v.mapped = true;
    return v;
  }
  auto c = std::make_shared<StreamColumns>(load());
  for (const auto& p : places) {
    try {
      write_column_cache(p, size, mtime, *c);
      break;
    } catch (const FormatError&) {
      // not writable here: try the next place, or go without a cache
    }
  }
  v.time_s = c->time_s;
  for (auto& col : c->values) v.values.emplace_back(col);
  v.storage = std::move(c);
  return v;
}

StreamColumns copy_of(const ColumnsView& v) {
  StreamColumns c;
  c.time_s.assign(v.time_s.begin(), v.time_s.end());
  for (auto& col : v.values) c.values.emplace_back(col.begin(), col.end());
  return c;
}
}  // namespace

ColumnsView map_stream_columns(const std::filesystem::path& session_dir, const StreamSidecar& s) {
  return via_cache(cache_places(session_dir, std::filesystem::path("streams") / (s.name + ".bin")),
                   stream_tsv_path(session_dir, s.name), s.columns.size(), [&] {
                     auto d = read_stream_data(session_dir, s);
                     StreamColumns c;
                     c.time_s = std::move(d.time_s);
                     for (auto& col : d.values) {
                       c.values.emplace_back(col.begin(), col.end());
                       std::vector<double>().swap(col);
                     }
                     return c;
                   });
}

std::optional<StreamExtent> cached_stream_extent(const std::filesystem::path& session_dir, const StreamSidecar& s) {
  std::error_code ec;
  const auto tsv = stream_tsv_path(session_dir, s.name);
  if (!std::filesystem::exists(tsv, ec)) return std::nullopt;
  auto [size, mtime] = file_size_and_mtime(tsv);
  for (const auto& p : cache_places(session_dir, std::filesystem::path("streams") / (s.name + ".bin"))) {
    std::ifstream in;
    ColumnCacheHeader h;
    if (!open_column_cache(in, p, size, mtime, s.columns.size(), h)) continue;
    StreamExtent e;
    e.samples = h.rows;
    if (h.rows > 0) {
      in.read(reinterpret_cast<char*>(&e.first_s), 8);
      in.seekg(static_cast<std::streamoff>(sizeof h + (h.rows - 1) * 8));
      in.read(reinterpret_cast<char*>(&e.last_s), 8);
    }
    if (in) return e;
  }
  return std::nullopt;
}

ColumnsView map_table_columns(const std::filesystem::path& session_dir, const std::filesystem::path& tsv,
                              const std::vector<std::string>& columns) {
  if (columns.empty()) throw std::invalid_argument("map_table_columns: name at least one column");
  std::string name = tsv.filename().string();
  for (auto& c : columns) name += "-" + c;
  const auto rel = std::filesystem::path("tables") / (name + ".bin");
  return via_cache(cache_places(session_dir, rel), tsv, columns.size() - 1, [&] {
    auto cols = read_numeric_columns(tsv, columns);
    StreamColumns c;
    c.time_s = std::move(cols[0]);
    for (std::size_t i = 1; i < cols.size(); ++i) c.values.emplace_back(cols[i].begin(), cols[i].end());
    return c;
  });
}

StreamColumns read_stream_columns(const std::filesystem::path& session_dir, const StreamSidecar& s) {
  return copy_of(map_stream_columns(session_dir, s));
}

StreamColumns read_table_columns(const std::filesystem::path& session_dir, const std::filesystem::path& tsv,
                                 const std::vector<std::string>& columns) {
  return copy_of(map_table_columns(session_dir, tsv, columns));
}

}  // namespace dyad::formats
