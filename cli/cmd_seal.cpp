// dyad seal SESSION [--out FILE] / dyad unseal FILE --out DIR: a finished session in one file
// encrypted with a passphrase (formats/seal.hpp). The passphrase is asked on the terminal without
// echo, or read from --passphrase-file (for scripts); it is never taken from the command line,
// where other users could see it in the process list.
#include <fcntl.h>
#include <sodium.h>
#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "common.hpp"
#include "dyad/formats/error.hpp"
#include "dyad/formats/files.hpp"
#include "dyad/formats/seal.hpp"

namespace dyad::cli {

namespace {
namespace fs = std::filesystem;

/// A passphrase wiped from memory when it goes out of scope.
struct Secret {
  std::string s;
  ~Secret() {
    if (!s.empty()) sodium_memzero(s.data(), s.size());
  }
};

/// One line from the terminal with echo off; std::runtime_error without a terminal.
std::string ask(const std::string& prompt) {
  int fd = ::open("/dev/tty", O_RDWR | O_CLOEXEC);
  if (fd < 0)
    throw std::runtime_error("no terminal to ask for the passphrase; give --passphrase-file FILE (a file only you can read)");
  termios old{};
  const bool tty = ::tcgetattr(fd, &old) == 0;
  if (tty) {
    termios quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(fd, TCSAFLUSH, &quiet);
  }
  (void)!::write(fd, prompt.data(), prompt.size());
  std::string line;
  char c;
  while (::read(fd, &c, 1) == 1 && c != '\n') line += c;
  if (tty) ::tcsetattr(fd, TCSAFLUSH, &old);
  (void)!::write(fd, "\n", 1);
  ::close(fd);
  return line;
}

void get_passphrase(Secret& out, const std::string& file, bool confirm) {
  if (!file.empty()) {
    out.s = formats::read_file(file);
    auto nl = out.s.find('\n');
    if (nl != std::string::npos) out.s.resize(nl);
    if (!out.s.empty() && out.s.back() == '\r') out.s.pop_back();
    if (out.s.empty()) throw formats::FormatError(formats::ErrorKind::malformed, file + ": the first line (the passphrase) is empty");
    return;
  }
  out.s = ask("passphrase: ");
  if (confirm) {
    Secret again;
    again.s = ask("passphrase again: ");
    if (again.s != out.s) throw std::runtime_error("the two passphrases differ; nothing was written");
  }
}

struct SealOptions {
  std::string session, out, passphrase_file, kdf = "moderate";
  bool force = false;
};
struct UnsealOptions {
  std::string archive, out, passphrase_file;
};
}  // namespace

void add_seal(CLI::App& app) {
  auto o = std::make_shared<SealOptions>();
  auto* cmd = app.add_subcommand(
      "seal",
      "Archive a finished session in one file encrypted with a passphrase (Argon2id + XChaCha20-Poly1305, libsodium).\n"
      "The passphrase is asked twice on the terminal (no echo) unless --passphrase-file is given; it is never an argument.\n"
      "The archive is read back and checked before it takes its name; the session itself is left as it is.\n"
      "  dyad seal s01                     writes s01.dyadseal\n"
      "  dyad unseal s01.dyadseal --out s01-restored");
  cmd->add_option("SESSION", o->session, "Session folder (complete or recovered)")->required();
  cmd->add_option("--out", o->out, "Archive file (default: SESSION.dyadseal)");
  cmd->add_option("--passphrase-file", o->passphrase_file, "Read the passphrase from the first line of this file (for scripts)");
  cmd->add_option("--kdf", o->kdf, "Key derivation strength: interactive (64 MiB), moderate (256 MiB), sensitive (1 GiB)")
      ->capture_default_str();
  cmd->add_flag("--force", o->force, "Replace an existing archive");
  cmd->callback([o] {
    fs::path session = o->session;
    while (session.has_filename() == false && session.has_parent_path() && session != session.root_path()) session = session.parent_path();
    fs::path out = o->out.empty() ? fs::path(session.string() + ".dyadseal") : fs::path(o->out);
    formats::KdfStrength strength{};
    as_usage([&] { strength = formats::parse_kdf_strength(o->kdf); });
    Secret pass;
    get_passphrase(pass, o->passphrase_file, true);
    ProgressLine p("sealing");
    auto rep = formats::seal_session(o->session, out, pass.s, strength, o->force, [&](double f, const std::string&) { p.update(f); });
    p.done();
    for (auto& s : rep.skipped) warn(s + ": not a regular file or folder; not archived");
    note("sealed " + std::to_string(rep.files) + " files (" + std::to_string(rep.bytes) + " bytes) and checked the archive; " +
         o->session + " is unchanged (delete it yourself once the archive is stored safely)");
    std::cout << out.string() << "\n";
  });
}

void add_unseal(CLI::App& app) {
  auto o = std::make_shared<UnsealOptions>();
  auto* cmd = app.add_subcommand(
      "unseal",
      "Restore a sealed session into a new folder. Everything is decrypted and verified into a temporary folder first:\n"
      "a wrong passphrase or a damaged, tampered or truncated archive is an error and nothing is written.");
  cmd->add_option("ARCHIVE", o->archive, "Archive written by 'dyad seal'")->required();
  cmd->add_option("--out", o->out, "New session folder (must not exist)")->required();
  cmd->add_option("--passphrase-file", o->passphrase_file, "Read the passphrase from the first line of this file (for scripts)");
  cmd->callback([o] {
    Secret pass;
    get_passphrase(pass, o->passphrase_file, false);
    ProgressLine p("unsealing");
    auto rep = formats::unseal_session(o->archive, o->out, pass.s, [&](double f, const std::string&) { p.update(f); });
    p.done();
    note("restored " + std::to_string(rep.files) + " files (" + std::to_string(rep.bytes) + " bytes)");
    std::cout << o->out << "\n";
  });
}

}  // namespace dyad::cli
