#pragma once
/// \file The course of treatment: several sessions of one couple side by side (a table of
/// measures x sessions) and as trends by session number. The values come from each session's
/// summary.json through formats::gather_session_values (what `dyad table` gathers). GUI thread
/// only for the widgets; CourseModel itself has no Qt.
#include <QAbstractTableModel>
#include <QMainWindow>
#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "dyad/viewer/charts.hpp"

class QComboBox;
class QChartView;
class QLabel;
class QTableView;

namespace dyad::viewer {

struct CourseSession {
  std::filesystem::path dir;
  std::string id, couple_id, session_type, date;  ///< date: YYYY-MM-DD of frame 0 (else of creation)
  std::int64_t number = 0;
  bool analysed = false;  ///< has features/summary.json
};

/// One row of the course table: a measure of one partner (or of the pair).
struct CourseMeasure {
  std::string id;       ///< e.g. "speaking_share"; partners of one measure share it
  std::string name;     ///< "Speaking share"
  std::string unit;     ///< "%", "s", "bpm", "per hour", "" for counts
  std::string role;     ///< A, B, therapist, or "dyad"
  std::string who;      ///< shown after the name: "A", "B after A" (a direction), "" for the pair
  std::string meaning;  ///< one sentence
  int decimals = 1;
  std::vector<double> values;  ///< one per session (CourseModel::sessions order), NaN when missing
  std::string label() const;   ///< "Speaking share (%) · A"
  std::string format(double v) const;  ///< the value with this measure's decimals, "–" when NaN
};

struct CourseModel {
  std::string couple_id;
  std::vector<CourseSession> sessions;  ///< by session number, then date, then id
  std::vector<CourseMeasure> measures;  ///< rows with at least one value
  std::vector<std::string> warnings;

  /// The sessions of `couple` (empty: the first couple in the list; see couples()). Reads only
  /// each session.json and features/summary.json. Throws formats::FormatError for a session
  /// folder that cannot be read.
  static CourseModel load(const std::vector<std::filesystem::path>& sessions, const std::string& couple = "");
  /// The couples among these sessions, in first-seen order.
  static std::vector<std::string> couples(const std::vector<std::filesystem::path>& sessions);
  const CourseMeasure* find(const std::string& id, const std::string& role) const noexcept;
};

/// Measures as rows, sessions as columns; DisplayRole the formatted value ("–" when missing),
/// Qt::UserRole the number.
class CourseTableModel : public QAbstractTableModel {
  Q_OBJECT
 public:
  explicit CourseTableModel(const CourseModel& model, QObject* parent = nullptr);
  int rowCount(const QModelIndex& parent = {}) const override;
  int columnCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role) const override;
  QVariant headerData(int section, Qt::Orientation orientation, int role) const override;
  void reset(const CourseModel& model);

 private:
  const CourseModel* model_;
};

/// A trend chart of one measure (every partner's row of it) by session number.
QChart* course_trend_chart(const CourseModel& model, const std::string& measure_id, const ChartStyle& style = {});

/// The window: a couple chooser when the sessions belong to several couples, the table, the trend
/// of the selected measure and small trends of the key measures; double-click a session's column
/// to open it.
class CourseWindow : public QMainWindow {
  Q_OBJECT
 public:
  explicit CourseWindow(std::vector<std::filesystem::path> sessions, QWidget* parent = nullptr);
  ~CourseWindow() override;
  const CourseModel& model() const noexcept { return model_; }
  QTableView* table() const noexcept { return table_; }
  /// Shows this couple's sessions.
  void show_couple(const std::string& couple);
  /// Plots this measure in the large chart.
  void select_measure(const std::string& id);
  std::string selected_measure() const { return selected_; }
  std::vector<QChartView*> trend_views() const { return trends_; }

 signals:
  /// A session's column was double-clicked.
  void openSession(const QString& dir);

 private:
  void rebuild_trends();
  std::vector<std::filesystem::path> paths_;
  CourseModel model_;
  CourseTableModel* table_model_ = nullptr;
  QTableView* table_ = nullptr;
  QComboBox* couple_ = nullptr;
  QLabel* header_ = nullptr;
  QChartView* selected_view_ = nullptr;
  std::vector<QChartView*> trends_;
  std::string selected_;
};

}  // namespace dyad::viewer
