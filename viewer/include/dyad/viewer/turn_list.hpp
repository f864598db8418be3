#pragma once
/// \file The turn list beside the timeline: every turn of features/turns.tsv in a sortable table
/// (speaker, start, duration, floor transfer offset, F0 and intensity relative to the speaker's
/// baseline, heart-rate change). GUI thread only.
#include <QAbstractTableModel>
#include <QTableView>
#include <vector>

#include "dyad/viewer/model.hpp"

namespace dyad::viewer {

/// The turns of a SessionModel as rows. Sorting reorders rows in the model itself (missing values
/// last in either order; ties by turn number), so sorting thousands of turns costs one std::sort.
/// Qt::DisplayRole gives the text shown, Qt::UserRole the number sorted on (NaN when missing),
/// kTurnIndexRole the index into SessionModel::turns.
class TurnTableModel : public QAbstractTableModel {
  Q_OBJECT
 public:
  enum Column { number, speaker, start, duration, fto, f0_rel, intensity_rel, hr_change, column_count };
  static constexpr int kTurnIndexRole = Qt::UserRole + 1;

  explicit TurnTableModel(const SessionModel& model, QObject* parent = nullptr);
  int rowCount(const QModelIndex& parent = {}) const override;
  int columnCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role) const override;
  QVariant headerData(int section, Qt::Orientation orientation, int role) const override;
  void sort(int column, Qt::SortOrder order = Qt::AscendingOrder) override;

  /// The turn shown in a row, and the row showing a turn (-1 when none).
  const Turn& turn_at(int row) const { return model_.turns[order_[static_cast<std::size_t>(row)]]; }
  int turn_index_at(int row) const { return static_cast<int>(order_[static_cast<std::size_t>(row)]); }
  int row_of_turn(int turn_index) const;
  /// The number a column sorts on (NaN when the turn has none).
  double value(const Turn& t, int column) const;
  /// True when the turns table had the column (else it is shown as "–" throughout).
  bool has_column(int column) const;

 private:
  const SessionModel& model_;
  std::vector<std::size_t> order_;
  bool hours_ = false;
  std::vector<bool> present_;
};

/// The table view configured for the turn list (row selection, sorting, compact rows).
class TurnListView : public QTableView {
  Q_OBJECT
 public:
  explicit TurnListView(TurnTableModel* model, QWidget* parent = nullptr);
  TurnTableModel* turns() const noexcept { return model_; }
  /// Selects the row of a turn and scrolls to it (no signal when it is already current).
  void select_turn(int turn_index);

 signals:
  /// A turn was chosen by a click or the keyboard (index into SessionModel::turns).
  void turnActivated(int turn_index);

 private:
  TurnTableModel* model_;
};

}  // namespace dyad::viewer
