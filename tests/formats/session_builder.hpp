#pragma once
// A small synthetic session for the export tests: 3 s of two-channel audio at 8 kHz, an ECG-like
// sine (ecg_A, 250 Hz, uV) with a gap from 1.0 to 1.5 s, a slow EDA ramp (eda_B, 4 Hz), two cuff
// readings (bp_A, irregular), markers (a baseline phase and a clinical entry) and a turn event.
#include <cmath>
#include <filesystem>

#include "dyad/formats/audio.hpp"
#include "dyad/formats/files.hpp"
#include "dyad/formats/markers.hpp"
#include "dyad/formats/session.hpp"
#include "dyad/formats/stream.hpp"

namespace dyad::test {

inline double ecg_value(double t) { return 500.0 * std::sin(2 * M_PI * 1.3 * t) + 20.0; }
inline double eda_value(double t) { return 2.0 + 0.25 * t; }

inline formats::Session make_export_session(const std::filesystem::path& dir) {
  using namespace dyad::formats;
  create_session_dir(dir);
  Manifest m = new_manifest("couple7", 3, "integration");
  m.start_utc = "2026-11-20T09:15:30.250Z";
  m.participants = {{"A", "A"}, {"B", "B"}};
  {
    AudioWriter w(dir / "audio.wav", 8000, 2);
    std::vector<float> x(2 * 24000);
    for (std::size_t i = 0; i < 24000; ++i) {
      x[2 * i] = static_cast<float>(0.5 * std::sin(2 * M_PI * 220 * static_cast<double>(i) / 8000));
      x[2 * i + 1] = static_cast<float>(0.25 * std::sin(2 * M_PI * 330 * static_cast<double>(i) / 8000));
    }
    w.write(x);
    w.close();
  }
  AudioSection a;
  a.sample_rate_hz = 8000;
  a.channels = {{1, "A"}, {2, "B"}};
  m.audio = a;
  {
    StreamSidecar s;
    s.name = "ecg_A";
    s.kind = "ecg";
    s.role = "A";
    s.nominal_rate_hz = 250;
    s.columns = {"ecg"};
    s.units = {"uV"};
    StreamData d;
    d.values.resize(1);
    for (int k = 0; k < 750; ++k) {
      double t = k / 250.0;
      if (t > 1.0 && t < 1.5) continue;
      d.time_s.push_back(t);
      d.device_time_s.push_back(t + 100);
      d.values[0].push_back(ecg_value(t));
    }
    write_stream(dir, s, d);
    m.streams.push_back({s.name, s.kind, s.role});
  }
  {
    StreamSidecar s;
    s.name = "eda_B";
    s.kind = "eda";
    s.role = "B";
    s.nominal_rate_hz = 4;
    s.columns = {"eda"};
    s.units = {"uS"};
    StreamData d;
    d.values.resize(1);
    for (int k = 0; k < 12; ++k) {
      double t = k / 4.0;
      d.time_s.push_back(t);
      d.device_time_s.push_back(t);
      d.values[0].push_back(eda_value(t));
    }
    write_stream(dir, s, d);
    m.streams.push_back({s.name, s.kind, s.role});
  }
  {
    StreamSidecar s;
    s.name = "bp_A";
    s.kind = "bp";
    s.role = "A";
    s.nominal_rate_hz = 0;
    s.columns = {"systolic", "diastolic", "mean"};
    s.units = {"mmHg", "mmHg", "mmHg"};
    StreamData d;
    d.time_s = {0.5, 2.25};
    d.device_time_s = d.time_s;
    d.values = {{120, 118}, {80, 79}, {93, 92}};
    write_stream(dir, s, d);
    m.streams.push_back({s.name, s.kind, s.role});
  }
  write_markers(dir, {{0.0, 1.0, "baseline", "n/a", "user"}, {2.0, 0, "cadss", "12", "viewer"}});
  make_private_dir(dir / "features");
  write_file_new(dir / "features" / "events.tsv",
                 "type\tstart_s\tend_s\tfrom_role\tto_role\tsuccessful\ngap\t1.25\t1.75\tA\tB\tn/a\n", false);
  write_manifest(dir, m);
  return Session::open(dir);
}

/// Runs a shell command and returns its stdout; sets `status`.
inline std::string run_capture(const std::string& cmd, int& status) {
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) {
    status = -1;
    return out;
  }
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int rc = ::pclose(p);
  status = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  return out;
}

inline bool have_python_mne() {
  int st = 0;
  run_capture("/usr/bin/python3 -c 'import mne' >/dev/null 2>&1", st);
  return st == 0;
}

}  // namespace dyad::test
