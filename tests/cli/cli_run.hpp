#pragma once
/// \file Running the built `dyad` as a user would, for the CLI tests: `run_dyad` (stdout and stderr
/// together), `run_shell` (exit status 128 + signal when killed, stdout and stderr apart), and
/// whole-folder snapshots to prove that a command changed nothing.
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

namespace dyad::test {

struct CliRun {
  int status = -1;   ///< exit status, or 128 + the signal that killed it
  std::string out;   ///< stdout
  std::string err;   ///< stderr
};

inline std::string read_all(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

/// Runs a shell command line (stderr captured apart); `tmp` is a scratch file for stderr.
inline CliRun run_shell(const std::string& cmd, const std::filesystem::path& tmp) {
  CliRun r;
  FILE* p = ::popen((cmd + " 2>'" + tmp.string() + "'").c_str(), "r");
  std::array<char, 4096> buf{};
  while (std::size_t n = std::fread(buf.data(), 1, buf.size(), p)) r.out.append(buf.data(), n);
  const int st = ::pclose(p);
  // the shell reports a child killed by signal N as exit status 128 + N
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
  r.err = read_all(tmp);
  return r;
}

inline std::string dyad_bin() { return std::string(DYAD_BIN_DIR) + "/dyad"; }
inline std::string quoted(const std::filesystem::path& p) { return "'" + p.string() + "'"; }
inline std::string q(const std::filesystem::path& p) { return quoted(p); }

struct Run {
  int status;       ///< exit status, -1 when it did not exit normally
  std::string out;  ///< stdout and stderr together (or stdout alone, with_stderr false)
};

/// Runs a shell command line; stderr joins stdout, or is discarded.
inline Run run_cmd(const std::string& cmd, bool with_stderr = true) {
  FILE* p = ::popen((cmd + (with_stderr ? " 2>&1" : " 2>/dev/null")).c_str(), "r");
  std::string out;
  std::array<char, 4096> buf{};
  while (std::size_t n = std::fread(buf.data(), 1, buf.size(), p)) out.append(buf.data(), n);
  const int st = ::pclose(p);
  return {WIFEXITED(st) ? WEXITSTATUS(st) : -1, out};
}

/// `dyad ARGS`; `env` is prefixed to the command line (e.g. "ASAN_OPTIONS=detect_leaks=0 ").
inline Run run_dyad(const std::string& args, bool with_stderr = true, const std::string& env = "") {
  return run_cmd(env + dyad_bin() + " " + args, with_stderr);
}

/// Relative path -> bytes of every file under `root` ("<dir>" for folders).
inline std::map<std::string, std::string> snapshot(const std::filesystem::path& root) {
  std::map<std::string, std::string> m;
  std::error_code ec;
  for (auto& e : std::filesystem::recursive_directory_iterator(root, ec))
    m[std::filesystem::relative(e.path(), root).generic_string()] = e.is_regular_file() ? read_all(e.path()) : std::string("<dir>");
  return m;
}

/// The keys whose values differ between two snapshots.
inline std::string differences(const std::map<std::string, std::string>& a, const std::map<std::string, std::string>& b) {
  std::string d;
  for (auto& [k, v] : a)
    if (!b.count(k)) d += "removed " + k + "; ";
    else if (b.at(k) != v) d += "changed " + k + "; ";
  for (auto& [k, v] : b)
    if (!a.count(k)) d += "added " + k + "; ";
  return d;
}

}  // namespace dyad::test
