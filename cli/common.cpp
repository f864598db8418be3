#include "common.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "dyad/formats/text.hpp"

namespace dyad::cli {

void ProgressLine::update(double f) {
  int pct = static_cast<int>(std::floor(std::clamp(f, 0.0, 1.0) * 100));
  bool tty = ::isatty(2);
  if (pct == last_ || (!tty && pct / 10 == last_ / 10 && last_ >= 0)) return;
  last_ = pct;
  if (tty)
    std::fprintf(stderr, "\r%s %3d%%", what_.c_str(), pct);
  else
    std::fprintf(stderr, "%s %d%%\n", what_.c_str(), pct);
  std::fflush(stderr);
}

void ProgressLine::done() {
  if (finished_ || last_ < 0) return;
  finished_ = true;
  if (::isatty(2)) std::fprintf(stderr, "\r%s done\n", what_.c_str());
}

namespace check {
namespace {
std::string num(double v) { return formats::format_number(v); }

/// A validator of a finite number for which `ok` holds; `expected` ends "expected a number...".
CLI::Validator finite_number(std::function<bool(double)> ok, const std::string& expected, const std::string& desc) {
  return CLI::Validator(
      [ok, expected](std::string& text) -> std::string {
        const auto v = formats::parse_number(text);
        if (!v) return "expected a number, got '" + text + "'";
        if (!std::isfinite(*v) || !ok(*v)) return "expected " + expected + ", got '" + text + "'";
        return {};
      },
      desc);
}
}  // namespace

CLI::Validator number() {
  return finite_number([](double) { return true; }, "a finite number", "");
}
CLI::Validator positive() {
  return finite_number([](double v) { return v > 0; }, "a number > 0", "POSITIVE");
}
CLI::Validator non_negative() {
  return finite_number([](double v) { return v >= 0; }, "a number >= 0", "NONNEGATIVE");
}
CLI::Validator between(double lo, double hi) {
  return finite_number([lo, hi](double v) { return v >= lo && v <= hi; }, "a number from " + num(lo) + " to " + num(hi),
                       num(lo) + " to " + num(hi));
}
CLI::Validator whole(std::uint64_t max) {
  const bool any = max == std::numeric_limits<std::uint64_t>::max();
  const std::string expected = any ? "a whole number >= 0" : "a whole number from 0 to " + std::to_string(max);
  return CLI::Validator(
      [max, expected](std::string& text) -> std::string {
        std::uint64_t v = 0;
        bool ok = !text.empty() && text.size() <= 20;
        for (char c : text) {
          if (c < '0' || c > '9') {
            ok = false;
            break;
          }
          const auto d = static_cast<std::uint64_t>(c - '0');
          if (v > (std::numeric_limits<std::uint64_t>::max() - d) / 10) {
            ok = false;
            break;
          }
          v = v * 10 + d;
        }
        if (!ok || v > max) return "expected " + expected + ", got '" + text + "'";
        return {};
      },
      any ? "NONNEGATIVE" : "0 to " + std::to_string(max));
}
}  // namespace check

void warn(const std::string& m) { std::cerr << "dyad: warning: " << m << "\n"; }
void note(const std::string& m) { std::cerr << "dyad: " << m << "\n"; }

std::filesystem::path exe_dir() {
  std::error_code ec;
  auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::filesystem::current_path() : p.parent_path();
}

std::filesystem::path find_program(const std::string& name) {
  auto sib = exe_dir() / name;
  if (::access(sib.c_str(), X_OK) == 0) return sib;
  const char* path = std::getenv("PATH");
  if (!path) return {};
  std::string p = path;
  std::size_t start = 0;
  while (start <= p.size()) {
    auto end = p.find(':', start);
    if (end == std::string::npos) end = p.size();
    auto cand = std::filesystem::path(p.substr(start, end - start)) / name;
    if (end > start && ::access(cand.c_str(), X_OK) == 0) return cand;
    start = end + 1;
  }
  return {};
}

int run_program(const std::filesystem::path& program, const std::vector<std::string>& args,
                const std::vector<std::string>& env) {
  std::cout.flush();
  std::cerr.flush();
  pid_t pid = ::fork();
  if (pid < 0) return 127;
  if (pid == 0) {
    for (auto& e : env) ::putenv(const_cast<char*>(e.c_str()));
    std::vector<char*> argv;
    std::string prog = program.string();
    argv.push_back(prog.data());
    std::vector<std::string> copy = args;
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(prog.c_str(), argv.data());
    std::perror(("dyad: cannot start " + prog).c_str());
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

bool have_display() {
  const char* d = std::getenv("DISPLAY");
  const char* w = std::getenv("WAYLAND_DISPLAY");
  const char* q = std::getenv("QT_QPA_PLATFORM");
  if (q && std::string(q) == "offscreen") return false;
  return (d && *d) || (w && *w);
}

std::string format_hms(double s) {
  if (!(s >= 0)) s = 0;
  long long ms = static_cast<long long>(std::llround(s * 1000));
  char buf[64];
  std::snprintf(buf, sizeof buf, "%02lld:%02lld:%02lld.%03lld", ms / 3600000, (ms / 60000) % 60, (ms / 1000) % 60, ms % 1000);
  return buf;
}

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= s.size()) {
    auto end = s.find(',', start);
    if (end == std::string::npos) end = s.size();
    out.push_back(s.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

}  // namespace dyad::cli
