#pragma once
/// \file The viewer's main window: the timeline, the overview strip, the legend, the track list
/// and playback (GUI thread only).
#include <QMainWindow>
#include <QWidget>
#include <memory>
#include <string>
#include <vector>

#include "dyad/formats/overview.hpp"
#include "dyad/formats/session.hpp"
#include "dyad/viewer/model.hpp"
#include "dyad/viewer/timeline.hpp"

class QComboBox;
class QLabel;
class QListWidget;
class QTabWidget;
class QTimer;
class QAction;

namespace dyad::capture {
class Player;
}

namespace dyad::viewer {

/// A row of colour swatches saying what each colour means.
class Legend : public QWidget {
 public:
  explicit Legend(const SessionModel& model, QWidget* parent = nullptr);
  QSize sizeHint() const override { return {800, kRow}; }
  /// The entries shown, as (text, colour).
  const std::vector<std::pair<QString, QColor>>& entries() const noexcept { return entries_; }
  static constexpr int kRow = 22;  ///< height of one row of entries
  struct Placed {
    std::size_t index;  ///< into entries()
    int x, row;
  };
  /// Where each entry goes at this width: left to right, wrapping onto further rows.
  std::vector<Placed> layout_entries(int width) const;

 protected:
  void paintEvent(QPaintEvent*) override;
  void resizeEvent(QResizeEvent*) override;

 private:
  std::vector<std::pair<QString, QColor>> entries_;
};

struct WindowOptions {
  std::string playback_device;  ///< PlayerConfig::device ("" = default output)
  bool quiet = false;           ///< no progress on stderr
  bool play_turns = true;       ///< choosing a turn in the list plays it
};

class Dashboard;
class TurnListView;

/// Opens a session: builds (or reuses) the audio overview under features/overview/, loads the
/// tracks, and shows them on one timeline with playback, the turn list beside it, the summary
/// dashboard in a second tab (built when first shown), notes and the report.
class SessionWindow : public QMainWindow {
 public:
  explicit SessionWindow(const formats::Session& s, WindowOptions options = {}, QWidget* parent = nullptr);
  ~SessionWindow() override;

  TimelineView* timeline() const noexcept { return timeline_; }
  const SessionModel& model() const noexcept { return *model_; }
  Legend* legend() const noexcept { return legend_; }
  QListWidget* track_list() const noexcept { return track_list_; }
  TurnListView* turn_list() const noexcept { return turn_list_; }
  Dashboard* dashboard() const noexcept { return dashboard_; }
  QTabWidget* tabs() const noexcept { return tabs_; }

  /// Shows a turn (index into model().turns): the cursor at its start, the view around it, the
  /// list's row selected; plays it when `and_play` (and the options allow).
  void show_turn(int turn_index, bool and_play);
  /// Appends a marker to markers.tsv (formats::append_markers_atomic; nothing else is written)
  /// and shows it. Returns "" or the reason it was not saved (e.g. the session is still being
  /// recorded).
  std::string add_marker(const formats::Marker& m);
  /// Opens the Add note dialog at the cursor.
  void add_note_dialog();
  /// Asks where to save the report and writes it (PDF or PNG).
  void report_dialog();

  /// Plays from the cursor (or `from_s`) with the chosen partners, until the end or `until_s`; on
  /// failure shows the reason in the status bar and returns false.
  bool play(double from_s = -1, double until_s = -1);
  void stop();
  bool playing() const;
  /// "both", or a role: which partners are heard.
  void set_play_mode(const std::string& mode);

 private:
  void fill_track_list();
  void apply_track_list();
  void update_status();
  void follow_cursor(double t);
  std::vector<float> gains() const;

  std::unique_ptr<SessionModel> model_;
  std::shared_ptr<const formats::Overview> overview_;
  WindowOptions options_;
  TimelineView* timeline_ = nullptr;
  OverviewStrip* strip_ = nullptr;
  Legend* legend_ = nullptr;
  QListWidget* track_list_ = nullptr;
  TurnListView* turn_list_ = nullptr;
  Dashboard* dashboard_ = nullptr;
  QTabWidget* tabs_ = nullptr;
  QComboBox* play_mode_ = nullptr;
  QComboBox* goto_ = nullptr;
  QLabel* hover_label_ = nullptr;
  QLabel* range_label_ = nullptr;
  QAction* play_action_ = nullptr;
  QTimer* play_timer_ = nullptr;
  std::unique_ptr<capture::Player> player_;
  double hover_s_ = -1;
  double play_until_ = -1;
  QString hover_track_;
  bool filling_ = false;
};

}  // namespace dyad::viewer
