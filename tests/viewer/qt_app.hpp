#pragma once
/// \file The one QApplication of the viewer's test executable, shared by every test file (two
/// would leak Qt's global state). Never destroyed: Qt's input devices must not be torn down by
/// exit handlers after main.
#include <QApplication>

namespace dyad::test {
inline QApplication& qt_app() {
  static int argc = 1;
  static char arg0[] = "dyad_viewer_tests";
  static char* argv[] = {arg0, nullptr};
  static QApplication* a = new QApplication(argc, argv);
  return *a;
}
}  // namespace dyad::test
