// dyad-viewer: the session timeline. `dyad view SESSION` starts it.
#include <QApplication>
#include <QCommandLineParser>
#include <QPixmap>
#include <iostream>

#include "dyad/formats/error.hpp"
#include "dyad/viewer/session_window.hpp"
#include "dyad/version.hpp"

int main(int argc, char** argv) {
  QApplication app(argc, argv);
  QApplication::setApplicationName("dyad-viewer");
  QApplication::setApplicationVersion(dyad::kVersion);
  QCommandLineParser cli;
  cli.setApplicationDescription("dyad-viewer: review a dyadic session on one timeline.");
  cli.addHelpOption();
  cli.addVersionOption();
  cli.addPositionalArgument("SESSION", "Session folder(s) to open.");
  QCommandLineOption shot("screenshot", "Render the window to this PNG and exit (works with QT_QPA_PLATFORM=offscreen).", "PNG");
  QCommandLineOption size("size", "Window size WxH (default 1600x900).", "WxH");
  QCommandLineOption from("from", "Start of the visible range (s).", "S");
  QCommandLineOption to("to", "End of the visible range (s).", "S");
  QCommandLineOption device("device", "Playback device: the first output whose name or host API contains this text (default: the default output).", "NAME");
  QCommandLineOption cursor("cursor", "Put the cursor here (s).", "S");
  cli.addOptions({shot, size, from, to, device, cursor});
  cli.process(app);
  const auto args = cli.positionalArguments();
  if (args.isEmpty()) {
    std::cerr << "dyad-viewer: error: give a session folder (see --help)\n";
    return 2;
  }
  try {
    auto session = dyad::formats::Session::open(args.front().toStdString());
    dyad::viewer::WindowOptions opts;
    opts.playback_device = cli.value(device).toStdString();
    dyad::viewer::SessionWindow w(session, opts);
    if (cli.isSet(size)) {
      auto parts = cli.value(size).split('x');
      bool ok1 = false, ok2 = false;
      int wd = parts.size() == 2 ? parts[0].toInt(&ok1) : 0, ht = parts.size() == 2 ? parts[1].toInt(&ok2) : 0;
      if (!ok1 || !ok2 || wd < 200 || ht < 150) {
        std::cerr << "dyad-viewer: error: --size expects WxH such as 1600x900, found '" << cli.value(size).toStdString() << "'\n";
        return 2;
      }
      w.resize(wd, ht);
    }
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
    if (cli.isSet(shot)) {
      QApplication::processEvents();
      QPixmap pm = w.grab();
      if (!pm.save(cli.value(shot), "PNG")) {
        std::cerr << "dyad-viewer: error: cannot write " << cli.value(shot).toStdString() << "\n";
        return 1;
      }
      return 0;
    }
    return QApplication::exec();
  } catch (const std::exception& e) {
    std::cerr << "dyad-viewer: error: " << e.what() << "\n";
    return 1;
  }
}
