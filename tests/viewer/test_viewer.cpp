#include <gtest/gtest.h>

#include <QApplication>
#include <QImage>

#include "dyad/viewer/session_window.hpp"
#include "test_util.hpp"

namespace {
int argc_ = 1;
char arg0_[] = "dyad_viewer_tests";
char* argv_[] = {arg0_, nullptr};
// Never destroyed: Qt's input devices must not be torn down by exit handlers after main.
QApplication& app() {
  static QApplication* a = new QApplication(argc_, argv_);
  return *a;
}
}  // namespace

TEST(Overview, MinMaxColumnsMatchRawSamples) {
  app();
  auto s = dyad::formats::Session::open(dyad::test::data_dir() / "malformed" / "valid");
  auto cols = dyad::viewer::overview_columns(s, 10);
  ASSERT_EQ(cols.size(), 2u);
  ASSERT_EQ(cols[0].min.size(), 10u);
  // 800 frames of a 0.705-peak 440 Hz sine in 10 columns: each column spans more than a period.
  for (int i = 0; i < 10; ++i) {
    EXPECT_GT(cols[0].max[i], 0.70f);
    EXPECT_LT(cols[0].min[i], -0.70f);
  }
}

TEST(SessionWindow, RendersNonBlankWithEachPartnersColour) {
  app();
  auto s = dyad::formats::Session::open(dyad::test::data_dir() / "malformed" / "valid");
  dyad::viewer::SessionWindow w(s);
  w.resize(800, 500);
  w.show();
  QApplication::processEvents();
  QImage img = w.grab().toImage();
  ASSERT_FALSE(img.isNull());
  auto has_colour = [&](QColor c) {
    for (int y = 0; y < img.height(); ++y)
      for (int x = 0; x < img.width(); ++x)
        if (img.pixelColor(x, y) == c) return true;
    return false;
  };
  EXPECT_TRUE(has_colour(dyad::viewer::role_colour("A")));
  EXPECT_TRUE(has_colour(dyad::viewer::role_colour("B")));
}
