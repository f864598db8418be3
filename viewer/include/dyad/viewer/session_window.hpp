#pragma once
/// \file The viewer's main window (GUI thread only).
#include <QMainWindow>
#include <QWidget>
#include <vector>

#include "dyad/formats/session.hpp"

namespace dyad::viewer {

/// Min/max of one channel per column, the coarse overview drawn by WaveformLane.
struct MinMaxColumns {
  std::vector<float> min, max;
};

/// Reads the session audio once, keeping `columns` min/max pairs per channel.
std::vector<MinMaxColumns> overview_columns(const formats::Session& s, int columns);

/// One partner's waveform, drawn with QPainter from min/max columns.
class WaveformLane : public QWidget {
 public:
  WaveformLane(MinMaxColumns data, QString label, QColor colour, QWidget* parent = nullptr);
  QSize sizeHint() const override { return {800, 110}; }

 protected:
  void paintEvent(QPaintEvent*) override;

 private:
  MinMaxColumns data_;
  QString label_;
  QColor colour_;
};

/// Colour of a role (A blue, B orange, therapist green), the same in every view.
QColor role_colour(const std::string& role);

/// Opens a session and shows its name, couple, duration, channels and waveforms.
class SessionWindow : public QMainWindow {
 public:
  explicit SessionWindow(const formats::Session& s, QWidget* parent = nullptr);
};

}  // namespace dyad::viewer
