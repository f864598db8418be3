#include "dyad/viewer/turn_list.hpp"

#include <QHeaderView>
#include <QItemSelectionModel>
#include <algorithm>
#include <numeric>

#include "dyad/formats/text.hpp"
#include "dyad/viewer/timeline.hpp"

namespace dyad::viewer {

TurnTableModel::TurnTableModel(const SessionModel& model, QObject* parent) : QAbstractTableModel(parent), model_(model) {
  order_.resize(model_.turns.size());
  std::iota(order_.begin(), order_.end(), std::size_t{0});
  hours_ = model_.duration_s >= 3600;
  present_.assign(column_count, true);
  auto any = [&](auto get) { return std::any_of(model_.turns.begin(), model_.turns.end(), [&](const Turn& t) { return !std::isnan(get(t)); }); };
  present_[f0_rel] = any([](const Turn& t) { return t.f0_rel_st; });
  present_[intensity_rel] = any([](const Turn& t) { return t.intensity_rel_db; });
  present_[hr_change] = any([](const Turn& t) { return t.hr_change_bpm; });
}

int TurnTableModel::rowCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : static_cast<int>(order_.size());
}
int TurnTableModel::columnCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : column_count; }

bool TurnTableModel::has_column(int column) const {
  return column >= 0 && column < column_count && present_[static_cast<std::size_t>(column)];
}

double TurnTableModel::value(const Turn& t, int column) const {
  switch (column) {
    case number: return t.number;
    case speaker: return t.role == "A" ? 0 : t.role == "B" ? 1 : t.role == "therapist" ? 2 : 3;
    case start: return t.start_s;
    case duration: return t.duration_s();
    case fto: return t.fto_s;
    case f0_rel: return t.f0_rel_st;
    case intensity_rel: return t.intensity_rel_db;
    case hr_change: return t.hr_change_bpm;
    default: return NAN;
  }
}

int TurnTableModel::row_of_turn(int turn_index) const {
  for (std::size_t r = 0; r < order_.size(); ++r)
    if (static_cast<int>(order_[r]) == turn_index) return static_cast<int>(r);
  return -1;
}

namespace {
QString signed_fixed(double v, int d) {
  if (std::isnan(v)) return QStringLiteral("\u2013");
  QString s = QString::fromStdString(formats::format_fixed(v, d));
  if (v > 0 && s != QString::fromStdString(formats::format_fixed(0, d))) s.prepend('+');
  if (s.startsWith('-')) s.replace(0, 1, QChar(0x2212));  // a real minus sign
  return s;
}
}  // namespace

QVariant TurnTableModel::data(const QModelIndex& index, int role) const {
  if (!index.isValid() || index.row() >= rowCount()) return {};
  const Turn& t = turn_at(index.row());
  const int c = index.column();
  if (role == kTurnIndexRole) return turn_index_at(index.row());
  if (role == Qt::UserRole) return value(t, c);
  if (role == Qt::DisplayRole) {
    switch (c) {
      case number: return t.number;
      case speaker: return QString::fromStdString(t.role == "therapist" ? "Therapist" : t.role);
      case start: return QString::fromStdString(format_clock(t.start_s, 1, hours_));
      case duration: return QString::fromStdString(formats::format_fixed(t.duration_s(), 1));
      case fto: return signed_fixed(t.fto_s, 2);
      case f0_rel: return signed_fixed(t.f0_rel_st, 1);
      case intensity_rel: return signed_fixed(t.intensity_rel_db, 1);
      case hr_change: return signed_fixed(t.hr_change_bpm, 1);
      default: return {};
    }
  }
  if (role == Qt::TextAlignmentRole) return c == speaker ? int(Qt::AlignCenter) : int(Qt::AlignRight | Qt::AlignVCenter);
  if (role == Qt::ForegroundRole && c == speaker) return role_colour(t.role).darker(115);
  if (role == Qt::DecorationRole && c == speaker) return role_colour(t.role);
  if (role == Qt::ToolTipRole) {
    QString tip = QString("Turn %1 by %2, %3 s from %4").arg(t.number).arg(QString::fromStdString(t.role == "therapist" ? "the therapist" : "partner " + t.role))
                      .arg(QString::fromStdString(formats::format_fixed(t.duration_s(), 2)))
                      .arg(QString::fromStdString(format_clock(t.start_s, 2, hours_)));
    if (!std::isnan(t.fto_s))
      tip += QString("\nfloor transfer offset %1 s after %2 (%3)")
                 .arg(signed_fixed(t.fto_s, 2), QString::fromStdString(t.prev_role.empty() ? "the previous turn" : t.prev_role),
                      t.fto_s < 0 ? "started in overlap" : "after a gap");
    if (!std::isnan(t.listener_hr_change_bpm))
      tip += "\nthe listener's heart rate changed by " + signed_fixed(t.listener_hr_change_bpm, 1) + " bpm after the turn";
    return tip;
  }
  return {};
}

QVariant TurnTableModel::headerData(int section, Qt::Orientation orientation, int role) const {
  if (orientation != Qt::Horizontal) return {};
  static const char* titles[] = {"#", "Who", "Start", "Length\n(s)", "FTO\n(s)", "F0 rel.\n(st)", "Level rel.\n(dB)", "HR change\n(bpm)"};
  static const char* tips[] = {
      "Turn number in the session",
      "Who held the floor (partner A, B or the therapist)",
      "When the turn started (session time)",
      "Duration: from taking the floor to the end of the holder's last talkspurt before the floor passed, in seconds",
      "Floor transfer offset: this turn's start minus the previous turn's end, in seconds (negative: started in overlap; "
      "positive: after a silent gap)",
      "Voice pitch relative to baseline: mean F0 of the turn minus the speaker's baseline, in semitones (features/turns.tsv "
      "f0_st_mean_rel)",
      "Voice level relative to baseline: mean intensity of the turn minus the speaker's baseline, in dB (intensity_db_mean_rel)",
      "The speaker's heart rate during the turn minus the 5 s before it, in beats per minute (hr_change_bpm)"};
  if (section < 0 || section >= column_count) return {};
  if (role == Qt::DisplayRole) return QString(titles[section]);
  if (role == Qt::ToolTipRole) return QString(tips[section]);
  return {};
}

void TurnTableModel::sort(int column, Qt::SortOrder order) {
  if (column < 0 || column >= column_count) return;
  emit layoutAboutToBeChanged({}, QAbstractItemModel::VerticalSortHint);
  const QModelIndexList before = persistentIndexList();
  std::vector<std::size_t> turn_of_before;
  for (auto& i : before) turn_of_before.push_back(order_[static_cast<std::size_t>(i.row())]);
  const bool desc = order == Qt::DescendingOrder;
  std::vector<double> key(model_.turns.size());
  for (std::size_t i = 0; i < key.size(); ++i) key[i] = value(model_.turns[i], column);
  std::sort(order_.begin(), order_.end(), [&](std::size_t a, std::size_t b) {
    double x = key[a], y = key[b];
    bool xn = std::isnan(x), yn = std::isnan(y);
    if (xn != yn) return yn;  // missing values last
    if (!xn && x != y) return desc ? x > y : x < y;
    return model_.turns[a].number < model_.turns[b].number;
  });
  std::vector<int> row_of(order_.size());
  for (std::size_t r = 0; r < order_.size(); ++r) row_of[order_[r]] = static_cast<int>(r);
  QModelIndexList after;
  for (std::size_t k = 0; k < static_cast<std::size_t>(before.size()); ++k)
    after.push_back(index(row_of[turn_of_before[k]], before[static_cast<int>(k)].column()));
  changePersistentIndexList(before, after);
  emit layoutChanged({}, QAbstractItemModel::VerticalSortHint);
}

// ---------------------------------------------------------------------------------------------
TurnListView::TurnListView(TurnTableModel* model, QWidget* parent) : QTableView(parent), model_(model) {
  setModel(model);
  setSelectionBehavior(QAbstractItemView::SelectRows);
  setSelectionMode(QAbstractItemView::SingleSelection);
  setEditTriggers(QAbstractItemView::NoEditTriggers);
  setSortingEnabled(true);
  horizontalHeader()->setSortIndicator(TurnTableModel::number, Qt::AscendingOrder);
  setAlternatingRowColors(true);
  setWordWrap(false);
  verticalHeader()->setVisible(false);
  verticalHeader()->setDefaultSectionSize(fontMetrics().height() + 6);
  verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
  horizontalHeader()->setDefaultAlignment(Qt::AlignCenter);
  horizontalHeader()->setHighlightSections(false);
  horizontalHeader()->setSectionResizeMode(QHeaderView::Interactive);
  horizontalHeader()->setStretchLastSection(false);
  const int w = fontMetrics().horizontalAdvance("0");
  const int widths[] = {4, 4, 7, 6, 6, 6, 7, 7};
  for (int c = 0; c < TurnTableModel::column_count; ++c) setColumnWidth(c, widths[c] * w + 16);
  for (int c : {TurnTableModel::f0_rel, TurnTableModel::intensity_rel, TurnTableModel::hr_change})
    if (!model->has_column(c)) setColumnHidden(c, true);
  setToolTip("Click a turn to jump to it and play it (Enter or a double-click plays it again); click a heading to sort");
  connect(selectionModel(), &QItemSelectionModel::currentRowChanged, this, [this](const QModelIndex& cur) {
    if (cur.isValid()) emit turnActivated(model_->turn_index_at(cur.row()));
  });
  // Enter or a double-click on the chosen row plays it again.
  connect(this, &QAbstractItemView::activated, this, [this](const QModelIndex& i) {
    if (i.isValid() && i.row() == currentIndex().row()) emit turnActivated(model_->turn_index_at(i.row()));
  });
}

void TurnListView::select_turn(int turn_index) {
  int row = model_->row_of_turn(turn_index);
  if (row < 0) return;
  QModelIndex i = model_->index(row, 0);
  if (selectionModel()->currentIndex().row() == row) return;
  QSignalBlocker block(selectionModel());
  selectionModel()->setCurrentIndex(i, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
  scrollTo(i, QAbstractItemView::PositionAtCenter);
  viewport()->update();
}

}  // namespace dyad::viewer
