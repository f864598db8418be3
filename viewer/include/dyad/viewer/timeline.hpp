#pragma once
/// \file The timeline: tracks on one time axis drawn with QPainter from min/max summaries, and
/// the overview strip of the whole session. GUI thread only.
#include <QImage>
#include <span>
#include <QWidget>
#include <memory>
#include <vector>

#include "dyad/formats/audio.hpp"
#include "dyad/formats/overview.hpp"
#include "dyad/viewer/model.hpp"

namespace dyad::viewer {

/// Colour of a role (A blue, B orange, therapist green), the same in every view.
QColor role_colour(const std::string& role);
/// Colour and readable name of an events.tsv type.
QColor event_colour(const std::string& type);
QString event_label(const std::string& type);

/// Tracks on one time axis (ELAN-like tiers: a label column on the left, a time ruler on top).
/// Redraws cost O(width) whatever the session length: audio from the overview pyramid (raw
/// samples only when fewer than ~2 per pixel column, or summarised per column below the pyramid's
/// finest level), series through RangeMinMax, intervals through binary search.
class TimelineView : public QWidget {
  Q_OBJECT
 public:
  static constexpr int kLabelWidth = 190;
  static constexpr int kAxisHeight = 30;

  /// `overview` may be null (no audio). The model must outlive the view.
  TimelineView(const SessionModel& model, std::shared_ptr<const formats::Overview> overview, QWidget* parent = nullptr);
  ~TimelineView() override;

  const std::vector<Track>& tracks() const noexcept { return tracks_; }
  void set_tracks(std::vector<Track> tracks);
  void set_track_visible(const std::string& id, bool visible);
  /// Puts the tracks in this order of ids (unknown ids ignored, missing ones keep their place at the end).
  void set_track_order(const std::vector<std::string>& ids);

  double t0() const noexcept { return t0_; }
  double t1() const noexcept { return t1_; }
  double duration_s() const noexcept { return duration_; }
  /// Shows [t0, t1] (clamped to the session, at least 10 ms).
  void set_range(double t0, double t1);
  /// Zooms by `factor` (< 1 zooms in) keeping `anchor_s` where it is on screen.
  void zoom(double factor, double anchor_s);
  /// Moves by a fraction of the visible span (negative: earlier).
  void pan(double fraction);
  void fit();

  double cursor_s() const noexcept { return cursor_; }
  void set_cursor(double t);
  /// Sets the cursor at t and scrolls so that it is visible.
  void jump_to(double t);
  /// A band over every track from a to b (the turn chosen in the list); a >= b hides it.
  void set_highlight(double a, double b) {
    hl_a_ = a;
    hl_b_ = b;
    update();
  }
  /// The play head (NaN hides it); the view pages along when it leaves the visible range.
  void set_play_head(double t);

  /// Renders the tracks (without the cursor and other overlays) into the view's cache and
  /// returns it. The benchmark times this.
  const QImage& render_tracks();

  /// Renders the tracks at this many image pixels per widget pixel whatever the screen (0: the
  /// screen's), for printing (the report draws the timeline at 2x).
  void set_render_scale(qreal scale) {
    render_scale_ = scale;
    invalidate();
  }

  /// Min/max of audio channel `ch` over frames [f0, f1) in out.size() equal columns: from the
  /// overview's pyramid, or from the samples when the columns are finer than its first level (a
  /// short recording). Columns without a frame are NaN.
  void waveform_columns(int ch, double f0, double f1, std::span<formats::MinMax> out);

  /// Where a visible track is drawn (its plot area, right of the labels); empty when hidden.
  QRect track_rect(const std::string& id);

  /// x of a time in widget coordinates, and back.
  double x_of(double t) const noexcept;
  double t_of(double x) const noexcept;

 signals:
  void rangeChanged(double t0, double t1);
  void cursorChanged(double t);
  void hoverChanged(double t, const QString& track);
  void playToggled();
  void tracksChanged();

 protected:
  void paintEvent(QPaintEvent*) override;
  void resizeEvent(QResizeEvent*) override;
  void mousePressEvent(QMouseEvent*) override;
  void mouseMoveEvent(QMouseEvent*) override;
  void mouseReleaseEvent(QMouseEvent*) override;
  void wheelEvent(QWheelEvent*) override;
  void keyPressEvent(QKeyEvent*) override;
  void leaveEvent(QEvent*) override;

 private:
  struct Row {
    const Track* track;
    int y, h;
  };
  void layout_rows();
  void invalidate();
  void paint_axis(QPainter& p);
  void paint_label(QPainter& p, const Track& t, const QRect& r);
  void paint_waveform(QPainter& p, const Track& t, const QRect& r);
  void paint_speech(QPainter& p, const Track& t, const QRect& r);
  void paint_events(QPainter& p, const Track& t, const QRect& r);
  void paint_series(QPainter& p, const Track& t, const QRect& r);
  void paint_bp(QPainter& p, const Track& t, const QRect& r);
  void paint_markers(QPainter& p, const Track& t, const QRect& r);
  void paint_intervals(QPainter& p, const std::vector<Interval>& v, const QRect& r, int y, int h, const QColor& c);
  /// Raw interleaved frames [f0, f1) of the audio, cached between calls.
  const std::vector<float>& raw_frames(std::int64_t f0, std::int64_t f1);
  double next_turn(double after, int dir) const;
  double next_marker(double after, int dir) const;
  int plot_width() const noexcept { return std::max(1, width() - kLabelWidth); }

  const SessionModel& model_;
  std::shared_ptr<const formats::Overview> overview_;
  std::unique_ptr<formats::AudioReader> reader_;
  std::vector<float> raw_;
  std::int64_t raw_f0_ = -1, raw_f1_ = -1;
  std::vector<float> peak_;  ///< per channel, for scaling
  std::vector<Track> tracks_;
  std::vector<Row> rows_;
  double duration_ = 1, t0_ = 0, t1_ = 1, cursor_ = 0, play_head_ = 0, hover_ = -1;
  bool play_head_shown_ = false;
  qreal render_scale_ = 0;
  double hl_a_ = 0, hl_b_ = 0;
  QImage cache_;
  bool cache_valid_ = false;
  // mouse
  enum class Drag { none, pan, select } drag_ = Drag::none;
  QPoint press_pos_;
  double press_t0_ = 0, press_t1_ = 0, sel_a_ = 0, sel_b_ = 0;
};

/// The whole session in one strip: both partners' audio envelopes, phases, and the visible range
/// of the timeline as a window that can be dragged.
class OverviewStrip : public QWidget {
  Q_OBJECT
 public:
  OverviewStrip(const SessionModel& model, std::shared_ptr<const formats::Overview> overview, TimelineView* view,
                QWidget* parent = nullptr);
  QSize sizeHint() const override { return {800, 60}; }

 protected:
  void paintEvent(QPaintEvent*) override;
  void resizeEvent(QResizeEvent*) override;
  void mousePressEvent(QMouseEvent*) override;
  void mouseMoveEvent(QMouseEvent*) override;

 private:
  void centre_at(int x);
  const SessionModel& model_;
  std::shared_ptr<const formats::Overview> overview_;
  TimelineView* view_;
  QImage background_;
};

}  // namespace dyad::viewer
