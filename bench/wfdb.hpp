#pragma once
/// \file A small reader of PhysioNet WFDB records, enough for the MIT-BIH Arrhythmia Database:
/// the header (.hea), signals in format 212 (.dat) and MIT-format annotations (.atr).
/// Specification: https://physionet.org/physiotools/wag/header-5.htm, signal-5.htm, annot-5.htm
#include <cstdint>
#include <fstream>
#include <iterator>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace dyad::bench {

struct WfdbRecord {
  double rate_hz = 360;
  std::vector<std::vector<double>> signals_mv;  ///< [signal][sample], physical units
  std::vector<std::vector<int>> adu;            ///< [signal][sample], raw
  std::vector<double> gain, baseline;
  std::vector<std::string> names;
};

struct WfdbAnnotation {
  long sample = 0;
  int code = 0;
};

inline std::vector<unsigned char> wfdb_bytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw std::runtime_error(path + ": cannot open");
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

/// Reads `<base>.hea` and its format-212 .dat (the only format supported).
inline WfdbRecord read_wfdb(const std::string& base) {
  std::ifstream h(base + ".hea");
  if (!h) throw std::runtime_error(base + ".hea: cannot open");
  std::string line;
  WfdbRecord r;
  int nsig = 0;
  long nsamp = 0;
  std::string dat;
  while (std::getline(h, line)) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    std::istringstream ss(line);
    if (nsig == 0) {
      std::string name;
      ss >> name >> nsig >> r.rate_hz >> nsamp;
      if (nsig <= 0) throw std::runtime_error(base + ".hea: record line has no signals");
      continue;
    }
    if (static_cast<int>(r.gain.size()) >= nsig) break;
    std::string file, fmt, gain_s, res, zero, init, cks, bs, desc;
    ss >> file >> fmt >> gain_s >> res >> zero >> init >> cks >> bs;
    std::getline(ss, desc);
    if (fmt != "212") throw std::runtime_error(base + ".hea: only format 212 is supported, found " + fmt);
    dat = file;
    double g = std::stod(gain_s);
    r.gain.push_back(g > 0 ? g : 200);
    r.baseline.push_back(std::stod(zero));  // baseline defaults to the ADC zero
    r.names.push_back(desc.empty() ? "" : desc.substr(1));
  }
  const auto dir = base.substr(0, base.find_last_of('/') + 1);
  const auto bytes = wfdb_bytes(dir + dat);
  r.adu.assign(static_cast<std::size_t>(nsig), {});
  // Format 212: two 12-bit two's-complement samples in three bytes, signals interleaved.
  std::vector<int> all;
  all.reserve(bytes.size() / 3 * 2);
  for (std::size_t i = 0; i + 2 < bytes.size(); i += 3) {
    int s0 = bytes[i] | ((bytes[i + 1] & 0x0F) << 8);
    int s1 = bytes[i + 2] | ((bytes[i + 1] & 0xF0) << 4);
    if (s0 > 2047) s0 -= 4096;
    if (s1 > 2047) s1 -= 4096;
    all.push_back(s0);
    all.push_back(s1);
  }
  const std::size_t frames = std::min<std::size_t>(all.size() / static_cast<std::size_t>(nsig), nsamp > 0 ? static_cast<std::size_t>(nsamp) : all.size());
  r.signals_mv.assign(static_cast<std::size_t>(nsig), std::vector<double>(frames));
  for (int s = 0; s < nsig; ++s) r.adu[static_cast<std::size_t>(s)].resize(frames);
  for (std::size_t f = 0; f < frames; ++f)
    for (int s = 0; s < nsig; ++s) {
      const int v = all[f * static_cast<std::size_t>(nsig) + static_cast<std::size_t>(s)];
      r.adu[static_cast<std::size_t>(s)][f] = v;
      r.signals_mv[static_cast<std::size_t>(s)][f] = (v - r.baseline[static_cast<std::size_t>(s)]) / r.gain[static_cast<std::size_t>(s)];
    }
  return r;
}

/// MIT annotation codes that are beats (WFDB's isqrs()).
inline bool wfdb_is_beat(int code) {
  return (code >= 1 && code <= 13) || code == 25 || code == 30 || code == 31 || code == 34 || code == 35 || code == 38 || code == 41;
}

/// Reads an MIT-format annotation file (.atr): 16-bit little-endian words, code in the top 6
/// bits, time increment in the low 10; SKIP (59) carries a 32-bit increment, AUX (63) a string.
inline std::vector<WfdbAnnotation> read_wfdb_annotations(const std::string& path) {
  const auto b = wfdb_bytes(path);
  std::vector<WfdbAnnotation> out;
  long t = 0;
  std::size_t i = 0;
  while (i + 1 < b.size()) {
    const int w = b[i] | (b[i + 1] << 8);
    i += 2;
    const int code = w >> 10, inc = w & 0x3FF;
    if (code == 0 && inc == 0) break;
    if (code == 59) {  // SKIP
      if (i + 3 >= b.size()) break;
      const long hi = b[i] | (b[i + 1] << 8), lo = b[i + 2] | (b[i + 3] << 8);
      long v = (hi << 16) | lo;
      if (v > 0x7FFFFFFF) v -= 0x100000000L;
      t += v;
      i += 4;
    } else if (code == 63) {  // AUX: inc bytes, padded to even
      i += static_cast<std::size_t>(inc + (inc & 1));
    } else if (code >= 60 && code <= 62) {  // NUM, SUB, CHN modify the previous annotation
    } else {
      t += inc;
      out.push_back({t, code});
    }
  }
  return out;
}

}  // namespace dyad::bench
