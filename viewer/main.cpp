// dyad-viewer: the session timeline, the course of treatment, and the clinical report.
// `dyad view SESSION...` and `dyad report SESSION --out FILE` start it.
#include <QApplication>
#include <QCommandLineParser>
#include <QPixmap>
#include <QTabWidget>
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "dyad/formats/error.hpp"
#include "dyad/viewer/course.hpp"
#include "dyad/viewer/report.hpp"
#include "dyad/viewer/session_window.hpp"
#include "dyad/viewer/turn_list.hpp"
#include "dyad/version.hpp"

namespace fs = std::filesystem;

namespace {

/// A session folder, or a folder of sessions (its sub-folders holding a session.json, sorted).
std::vector<fs::path> expand(const QStringList& args) {
  std::vector<fs::path> out;
  for (auto& a : args) {
    fs::path p = a.toStdString();
    std::error_code ec;
    if (fs::is_directory(p, ec) && !fs::exists(p / "session.json", ec)) {
      std::vector<fs::path> subs;
      for (auto& e : fs::directory_iterator(p, ec))
        if (e.is_directory() && fs::exists(e.path() / "session.json", ec)) subs.push_back(e.path());
      std::sort(subs.begin(), subs.end());
      if (!subs.empty()) {
        out.insert(out.end(), subs.begin(), subs.end());
        continue;
      }
    }
    out.push_back(p);
  }
  return out;
}

bool screenshot(QWidget& w, const QString& path) {
  QApplication::processEvents();
  QPixmap pm = w.grab();
  if (!pm.save(path, "PNG")) {
    std::cerr << "dyad-viewer: error: cannot write " << path.toStdString() << "\n";
    return false;
  }
  return true;
}

/// The offscreen platform warns on every dock and chart it lays out, and Qt on a missing
/// XDG_RUNTIME_DIR (it falls back by itself): neither says anything to a user.
void quiet_messages(QtMsgType type, const QMessageLogContext&, const QString& msg) {
  if (msg.contains("propagateSizeHints") || msg.contains("XDG_RUNTIME_DIR")) return;
  if (type == QtDebugMsg || type == QtInfoMsg) return;
  std::cerr << "dyad-viewer: qt " << (type == QtWarningMsg ? "warning" : "error") << ": " << msg.toStdString() << "\n";
  if (type == QtFatalMsg) std::abort();
}

/// With no display, the runs that show nothing (--help, --version, --screenshot, --report) use the
/// offscreen platform by themselves; any other run says why it cannot open a window (Qt would abort).
bool choose_platform(int argc, char** argv) {
  auto set = [](const char* v) { return v && *v; };
  if (set(std::getenv("QT_QPA_PLATFORM")) || set(std::getenv("DISPLAY")) || set(std::getenv("WAYLAND_DISPLAY"))) return true;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    for (const char* o : {"--help", "-h", "--help-all", "--version", "-v", "--screenshot", "--report", "-screenshot", "-report"})
      if (a == o || a.rfind(std::string(o) + "=", 0) == 0) {
        ::setenv("QT_QPA_PLATFORM", "offscreen", 1);
        return true;
      }
  }
  std::cerr << "dyad-viewer: error: no display to open a window on (DISPLAY and WAYLAND_DISPLAY are not set); "
               "render with --screenshot FILE.png or --report FILE, or run under xvfb-run\n";
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  qInstallMessageHandler(quiet_messages);
  if (!choose_platform(argc, argv)) return 1;
  QApplication app(argc, argv);
  QApplication::setApplicationName("dyad-viewer");
  QApplication::setApplicationVersion(dyad::kVersion);
  QCommandLineParser cli;
  cli.setApplicationDescription(
      "dyad-viewer: review a dyadic session on one timeline, with its turn list and summary dashboard; several sessions (or a "
      "folder of them) open as a course of treatment.");
  cli.addHelpOption();
  cli.addVersionOption();
  cli.addPositionalArgument("SESSION", "Session folder(s), or a folder of sessions.");
  QCommandLineOption shot("screenshot", "Render the window to this PNG and exit (works with QT_QPA_PLATFORM=offscreen).", "PNG");
  QCommandLineOption size("size", "Window size WxH (default 1600x900).", "WxH");
  QCommandLineOption from("from", "Start of the visible range (s).", "S");
  QCommandLineOption to("to", "End of the visible range (s).", "S");
  QCommandLineOption device("device", "Playback device: the first output whose name or host API contains this text (default: the default output).", "NAME");
  QCommandLineOption cursor("cursor", "Put the cursor here (s).", "S");
  QCommandLineOption tab("tab", "Show this tab: timeline (default) or summary.", "TAB");
  QCommandLineOption turn("turn", "Show turn N (its row in the turn list selected, the cursor at its start; not played).", "N");
  QCommandLineOption report("report", "Write the one-page clinical report of the session to this .pdf or .png and exit.", "FILE");
  QCommandLineOption force("force", "With --report: replace an existing file.");
  cli.addOptions({shot, size, from, to, device, cursor, tab, turn, report, force});
  cli.process(app);
  const auto args = cli.positionalArguments();
  if (args.isEmpty()) {
    std::cerr << "dyad-viewer: error: give a session folder (see --help)\n";
    return 2;
  }
  int wd = 0, ht = 0;
  if (cli.isSet(size)) {
    auto parts = cli.value(size).split('x');
    bool ok1 = false, ok2 = false;
    wd = parts.size() == 2 ? parts[0].toInt(&ok1) : 0;
    ht = parts.size() == 2 ? parts[1].toInt(&ok2) : 0;
    if (!ok1 || !ok2 || wd < 200 || ht < 150) {
      std::cerr << "dyad-viewer: error: --size expects WxH such as 1600x900, found '" << cli.value(size).toStdString() << "'\n";
      return 2;
    }
  }
  if (cli.isSet(shot) && !cli.value(shot).endsWith(".png", Qt::CaseInsensitive)) {
    std::cerr << "dyad-viewer: error: --screenshot writes PNG only; give a file ending in .png, not " << cli.value(shot).toStdString() << "\n";
    return 2;
  }
  if (cli.isSet(tab) && cli.value(tab) != "timeline" && cli.value(tab) != "summary") {
    std::cerr << "dyad-viewer: error: --tab expects timeline or summary, found '" << cli.value(tab).toStdString() << "'\n";
    return 2;
  }
  try {
    const auto sessions = expand(args);
    if (cli.isSet(report)) {
      if (sessions.size() != 1) {
        std::cerr << "dyad-viewer: error: --report takes one session, found " << sessions.size() << "\n";
        return 2;
      }
      auto s = dyad::formats::Session::open(sessions.front());
      auto m = dyad::viewer::SessionModel::load(s);
      for (auto& w : m.warnings) std::cerr << "dyad-viewer: warning: " << w << "\n";
      if (!m.analysed())
        std::cerr << "dyad-viewer: warning: " << s.dir.string()
                  << " is not analysed (nothing in features/ but the viewer's caches): the report shows the recording only; run 'dyad analyze' first\n";
      dyad::viewer::write_report(m, cli.value(report).toStdString(), cli.isSet(force));
      return 0;
    }
    if (sessions.size() > 1) {  // the course of treatment
      for (auto& p : sessions) dyad::formats::Session::open(p);  // clear errors first
      auto* w = new dyad::viewer::CourseWindow(sessions);
      w->setAttribute(Qt::WA_DeleteOnClose);
      if (wd > 0) w->resize(wd, ht);
      QObject::connect(w, &dyad::viewer::CourseWindow::openSession, w, [&](const QString& dir) {
        try {
          dyad::viewer::WindowOptions opts;
          opts.playback_device = cli.value(device).toStdString();
          auto* sw = new dyad::viewer::SessionWindow(dyad::formats::Session::open(dir.toStdString()), opts);
          sw->setAttribute(Qt::WA_DeleteOnClose);
          sw->show();
        } catch (const std::exception& e) {
          std::cerr << "dyad-viewer: error: " << e.what() << "\n";
        }
      });
      w->show();
      if (cli.isSet(shot)) {
        bool ok = screenshot(*w, cli.value(shot));
        delete w;
        return ok ? 0 : 1;
      }
      return QApplication::exec();
    }
    auto session = dyad::formats::Session::open(sessions.front());
    dyad::viewer::WindowOptions opts;
    opts.playback_device = cli.value(device).toStdString();
    dyad::viewer::SessionWindow w(session, opts);
    if (wd > 0) w.resize(wd, ht);
    auto seconds = [&](const QCommandLineOption& o, double& out) {
      bool ok = false;
      out = cli.value(o).toDouble(&ok);
      if (!ok || out < 0) {
        std::cerr << "dyad-viewer: error: --" << o.names().front().toStdString() << " expects seconds >= 0, found '"
                  << cli.value(o).toStdString() << "'\n";
        return false;
      }
      return true;
    };
    w.show();
    QApplication::processEvents();
    double a = 0, b = w.timeline()->duration_s(), c = 0;
    if (cli.isSet(from) && !seconds(from, a)) return 2;
    if (cli.isSet(to) && !seconds(to, b)) return 2;
    if (b <= a) {
      std::cerr << "dyad-viewer: error: --to must be after --from\n";
      return 2;
    }
    if (cli.isSet(from) || cli.isSet(to)) w.timeline()->set_range(a, b);
    if (cli.isSet(cursor)) {
      if (!seconds(cursor, c)) return 2;
      w.timeline()->set_cursor(c);
    }
    if (cli.isSet(turn)) {
      bool ok = false;
      int n = cli.value(turn).toInt(&ok);
      int index = -1;
      for (std::size_t i = 0; ok && i < w.model().turns.size(); ++i)
        if (w.model().turns[i].number == n) index = static_cast<int>(i);
      if (index < 0) {
        std::cerr << "dyad-viewer: error: --turn: no turn '" << cli.value(turn).toStdString() << "' in this session ("
                  << w.model().turns.size() << " turns)\n";
        return 2;
      }
      w.show_turn(index, false);
    }
    if (cli.value(tab) == "summary") w.tabs()->setCurrentIndex(1);
    if (cli.isSet(shot)) return screenshot(w, cli.value(shot)) ? 0 : 1;
    return QApplication::exec();
  } catch (const std::exception& e) {
    std::cerr << "dyad-viewer: error: " << e.what() << "\n";
    return 1;
  }
}
