#include "dyad/viewer/course.hpp"

#include <QChart>
#include <QChartView>
#include <QComboBox>
#include <QGraphicsLayout>
#include <QGridLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLegend>
#include <QLegendMarker>
#include <QLineSeries>
#include <QScatterSeries>
#include <QScrollArea>
#include <QSplitter>
#include <QStatusBar>
#include <QTableView>
#include <QToolBar>
#include <QValueAxis>
#include <QVBoxLayout>
#include <algorithm>
#include <iostream>
#include <map>
#include <set>

#include "dyad/formats/manifest.hpp"
#include "dyad/formats/table.hpp"
#include "dyad/formats/text.hpp"
#include "dyad/viewer/model.hpp"
#include "dyad/viewer/timeline.hpp"

namespace dyad::viewer {

namespace fs = std::filesystem;

std::string CourseMeasure::label() const {
  return name + (unit.empty() ? "" : " (" + unit + ")") + (who.empty() ? "" : " \u00b7 " + who);
}

std::string CourseMeasure::format(double v) const {
  if (std::isnan(v)) return "\u2013";
  std::string s = formats::format_fixed(v, decimals);
  if (s.rfind('-', 0) == 0) s = "\u2212" + s.substr(1);
  return s;
}

namespace {

/// One measure: where its value is in summary.json (as `dyad table` names it) and how to show it.
struct Def {
  const char* id;
  const char* name;
  const char* unit;
  enum Kind { pair, partner, direction } kind;
  std::vector<std::string> metrics;  ///< alternatives; a direction's contain "{X}>{Y}"
  double scale;
  bool per_hour;  ///< divided by the analysed hours
  int decimals;
  const char* meaning;
};

const std::vector<Def>& defs() {
  static const std::vector<Def> d = {
      {"analysed_min", "Analysed time", "min", Def::pair, {"dyad.analysed_s"}, 1 / 60.0, false, 1,
       "Session time the analysis covered (excluded stretches left out)."},
      {"turns", "Turns", "", Def::pair, {"dyad.turns"}, 1, false, 0, "How often the floor was taken."},
      {"speaking_share", "Speaking share", "%", Def::partner, {"partners.speaking_share"}, 100, false, 0,
       "The partner's part of all the time the partners spoke."},
      {"floor_share", "Floor share", "%", Def::partner, {"partners.floor_share"}, 100, false, 0,
       "The partner's part of the time a turn was someone's."},
      {"fto_median", "Median floor transfer offset", "s", Def::direction, {"dyad.fto_by_direction.{X}>{Y}.median_s"}, 1, false, 2,
       "Typical time from the other's end to this partner's start when taking the floor (negative: in overlap)."},
      {"gap_median", "Median gap", "s", Def::pair, {"dyad.gaps.median_s"}, 1, false, 2,
       "Typical silence between one partner's end and the other's start."},
      {"overlaps_per_hour", "Between-speaker overlaps", "per hour", Def::pair, {"dyad.overlaps_between.count"}, 1, true, 0,
       "Changes of speaker that happened in overlapping speech, per analysed hour."},
      {"interruptions_per_hour", "Interruptions made", "per hour", Def::partner, {"partners.interruptions_made"}, 1, true, 1,
       "Starting to talk while the other was mid-utterance, for more than 1 s, per analysed hour."},
      {"interrupted_per_hour", "Was interrupted", "per hour", Def::partner, {"partners.interrupted"}, 1, true, 1,
       "Interruptions the partner suffered, per analysed hour."},
      {"backchannels_per_hour", "Backchannels given", "per hour", Def::partner, {"partners.backchannels_given"}, 1, true, 1,
       "Short listener overlaps (under 1 s, such as mm-hm), per analysed hour."},
      {"f0_median", "Median voice pitch", "Hz", Def::partner, {"extensions.prosody.partners.f0_hz_median"}, 1, false, 0,
       "The middle of the partner's F0 over voiced speech."},
      {"f0_range", "Pitch range (20th\u201380th percentile)", "st", Def::partner, {"extensions.prosody.partners.f0_st.range_20_80"}, 1,
       false, 1, "How much the partner's voice pitch varied, in semitones."},
      {"f0_entrainment", "F0 entrainment", "r", Def::direction, {"extensions.prosody.entrainment.{X}>{Y}.f0_st_mean.r"}, 1, false, 2,
       "Correlation between a turn's mean pitch and the mean pitch of the other partner's reply."},
      {"hr_mean", "Mean heart rate", "bpm", Def::partner, {"extensions.physiology.roles.hr_bpm", "physiology.roles.hr_bpm"}, 1,
       false, 0, "Beats per minute over the session."},
      {"rmssd", "Heart-rate variability (RMSSD)", "ms", Def::partner,
       {"extensions.physiology.roles.hrv.rmssd_ms", "physiology.roles.hrv.rmssd_ms"}, 1, false, 0,
       "Beat-to-beat variability over the session (vagal tone); compare a person with their own earlier sessions."},
      {"scr_per_min", "Skin-conductance responses", "per min", Def::partner,
       {"extensions.physiology.roles.scr_per_min", "physiology.roles.scr_per_min"}, 1, false, 1,
       "Phasic skin-conductance responses (arousal) per minute."},
      {"sync_hr", "Heart-rate synchrony above chance", "% of windows", Def::pair,
       {"extensions.physiology.synchrony.hr.fraction_above_surrogate", "physiology.synchrony.hr.fraction_above_surrogate"}, 100,
       false, 0, "Share of 30 s windows in which the partners' heart rates moved together more than chance pairings do."},
      {"sync_eda", "Skin-conductance synchrony above chance", "% of windows", Def::pair,
       {"extensions.physiology.synchrony.eda.fraction_above_surrogate", "physiology.synchrony.eda.fraction_above_surrogate"}, 100,
       false, 0, "The same for skin conductance."},
      {"bp_readings", "Blood-pressure readings", "", Def::pair,
       {"extensions.physiology.blood_pressure.readings", "physiology.blood_pressure.readings"}, 1, false, 0,
       "Cuff readings taken (stream readings and entries)."},
      {"bp_flagged", "Blood-pressure readings flagged high", "", Def::pair,
       {"extensions.physiology.blood_pressure.flagged", "physiology.blood_pressure.flagged"}, 1, false, 0,
       "Readings at or above 160 systolic or 100 diastolic mmHg."},
  };
  return d;
}

int role_rank(const std::string& r) { return r == "A" ? 0 : r == "B" ? 1 : r == "therapist" ? 2 : r == "dyad" ? 4 : 3; }

std::string replace_all(std::string s, const std::string& a, const std::string& b) {
  for (std::size_t p = s.find(a); p != std::string::npos; p = s.find(a, p + b.size())) s.replace(p, a.size(), b);
  return s;
}

}  // namespace

std::vector<std::string> CourseModel::couples(const std::vector<fs::path>& sessions) {
  std::vector<std::string> out;
  for (auto& p : sessions) {
    auto m = formats::read_manifest(p);
    if (std::find(out.begin(), out.end(), m.couple_id) == out.end()) out.push_back(m.couple_id);
  }
  return out;
}

const CourseMeasure* CourseModel::find(const std::string& id, const std::string& role) const noexcept {
  for (auto& m : measures)
    if (m.id == id && m.role == role) return &m;
  return nullptr;
}

CourseModel CourseModel::load(const std::vector<fs::path>& paths, const std::string& couple) {
  CourseModel cm;
  std::vector<std::pair<CourseSession, formats::Manifest>> all;
  for (auto& p : paths) {
    auto man = formats::read_manifest(p);
    CourseSession s;
    s.dir = p;
    s.id = man.id;
    s.couple_id = man.couple_id;
    s.number = man.session_number;
    s.session_type = man.session_type;
    std::string when = man.start_utc.empty() ? man.created : man.start_utc;
    s.date = when.substr(0, std::min<std::size_t>(10, when.size()));
    std::error_code ec;
    s.analysed = fs::exists(p / "features" / "summary.json", ec);
    all.emplace_back(s, man);
  }
  cm.couple_id = couple.empty() && !all.empty() ? all.front().first.couple_id : couple;
  for (auto& [s, man] : all)
    if (s.couple_id == cm.couple_id) cm.sessions.push_back(s);
  std::stable_sort(cm.sessions.begin(), cm.sessions.end(), [](const CourseSession& a, const CourseSession& b) {
    return std::tie(a.number, a.date, a.id) < std::tie(b.number, b.date, b.id);
  });
  for (std::size_t i = 1; i < cm.sessions.size(); ++i)
    if (cm.sessions[i].number == cm.sessions[i - 1].number)
      cm.warnings.push_back(cm.sessions[i - 1].dir.string() + " and " + cm.sessions[i].dir.string() + " are both session " +
                            std::to_string(cm.sessions[i].number) + " of couple " + cm.couple_id +
                            ": the course shows them side by side at one number; check their session_number (dyad info)");

  // Each session's values: (role, metric) -> value.
  std::vector<std::map<std::pair<std::string, std::string>, double>> values(cm.sessions.size());
  std::set<std::string> roles;
  for (std::size_t i = 0; i < cm.sessions.size(); ++i) {
    if (!cm.sessions[i].analysed) {
      cm.warnings.push_back((cm.sessions[i].dir / "features" / "summary.json").string() + ": missing (run 'dyad analyze'); session " +
                            std::to_string(cm.sessions[i].number) + " has no values");
      continue;
    }
    auto t = formats::gather_session_values({cm.sessions[i].dir});
    for (auto& w : t.warnings) cm.warnings.push_back(w);
    for (auto& r : t.rows) {
      values[i][{r.role, r.metric}] = r.value;
      if (r.role != "dyad") roles.insert(r.role);
    }
  }
  std::vector<std::string> role_list(roles.begin(), roles.end());
  std::sort(role_list.begin(), role_list.end(), [](auto& a, auto& b) { return role_rank(a) < role_rank(b); });

  auto value_of = [&](std::size_t i, const std::string& role, const Def& d, const std::string& x, const std::string& y) {
    for (auto& metric : d.metrics) {
      std::string name = replace_all(replace_all(metric, "{X}", x), "{Y}", y);
      auto it = values[i].find({role, name});
      if (it == values[i].end()) continue;
      double v = it->second * d.scale;
      if (d.per_hour) {
        auto a = values[i].find({"dyad", "dyad.analysed_s"});
        v = a != values[i].end() && a->second > 0 ? v / (a->second / 3600) : NAN;
      }
      return v;
    }
    return static_cast<double>(NAN);
  };
  for (auto& d : defs()) {
    std::vector<std::tuple<std::string, std::string, std::string, std::string>> rows;  // role, who, X, Y
    if (d.kind == Def::pair) rows.emplace_back("dyad", "", "", "");
    if (d.kind == Def::partner)
      for (auto& r : role_list) rows.emplace_back(r, r == "therapist" ? "therapist" : r, "", "");
    if (d.kind == Def::direction)
      for (auto& y : role_list)
        for (auto& x : role_list)
          if (x != y) rows.emplace_back("dyad", y + " after " + x, x, y);
    for (auto& [role, who, x, y] : rows) {
      CourseMeasure m{d.id, d.name, d.unit, d.kind == Def::direction ? y : role, who, d.meaning, d.decimals, {}};
      bool any = false;
      for (std::size_t i = 0; i < cm.sessions.size(); ++i) {
        double v = value_of(i, role, d, x, y);
        any = any || !std::isnan(v);
        m.values.push_back(v);
      }
      if (any) cm.measures.push_back(std::move(m));
    }
  }
  return cm;
}

// ---------------------------------------------------------------------------------------------
CourseTableModel::CourseTableModel(const CourseModel& model, QObject* parent) : QAbstractTableModel(parent), model_(&model) {}

void CourseTableModel::reset(const CourseModel& model) {
  beginResetModel();
  model_ = &model;
  endResetModel();
}

int CourseTableModel::rowCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : static_cast<int>(model_->measures.size());
}
int CourseTableModel::columnCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : static_cast<int>(model_->sessions.size());
}

QVariant CourseTableModel::data(const QModelIndex& index, int role) const {
  if (!index.isValid()) return {};
  const auto& m = model_->measures[static_cast<std::size_t>(index.row())];
  double v = m.values[static_cast<std::size_t>(index.column())];
  if (role == Qt::DisplayRole) return QString::fromStdString(m.format(v));
  if (role == Qt::UserRole) return v;
  if (role == Qt::TextAlignmentRole) return int(Qt::AlignRight | Qt::AlignVCenter);
  if (role == Qt::ToolTipRole) return QString::fromStdString(m.label() + ": " + m.meaning);
  return {};
}

QVariant CourseTableModel::headerData(int section, Qt::Orientation orientation, int role) const {
  if (orientation == Qt::Vertical) {
    if (section < 0 || section >= rowCount()) return {};
    const auto& m = model_->measures[static_cast<std::size_t>(section)];
    if (role == Qt::DisplayRole) return QString::fromStdString(m.label());
    if (role == Qt::ToolTipRole) return QString::fromStdString(m.meaning);
    if (role == Qt::ForegroundRole && m.role != "dyad") return role_colour(m.role).darker(125);
    return {};
  }
  if (section < 0 || section >= columnCount()) return {};
  const auto& s = model_->sessions[static_cast<std::size_t>(section)];
  if (role == Qt::DisplayRole)
    return QString::fromStdString("#" + std::to_string(s.number) + " " + s.session_type + "\n" + s.date);
  if (role == Qt::ToolTipRole)
    return QString::fromStdString(s.id + "\n" + s.dir.string() + (s.analysed ? "" : "\nnot analysed") + "\ndouble-click to open");
  return {};
}

// ---------------------------------------------------------------------------------------------
QChart* course_trend_chart(const CourseModel& model, const std::string& id, const ChartStyle& st) {
  auto* c = new QChart;
  c->setAnimationOptions(QChart::NoAnimation);
  c->setBackgroundRoundness(0);
  c->setDropShadowEnabled(false);
  c->setBackgroundBrush(Qt::white);
  c->setBackgroundPen(Qt::NoPen);
  c->setMargins(QMargins(4, 4, 4, 4));
  c->layout()->setContentsMargins(0, 0, 0, 0);
  QFont tf = c->titleFont();
  tf.setPointSizeF(st.title_pt);
  tf.setBold(true);
  c->setTitleFont(tf);
  QFont lf = c->legend()->font();
  lf.setPointSizeF(st.legend_pt);
  c->legend()->setFont(lf);
  c->legend()->setAlignment(Qt::AlignBottom);
  const CourseMeasure* first = nullptr;
  for (auto& m : model.measures)
    if (m.id == id) {
      first = &m;
      break;
    }
  if (!first) {
    c->setTitle("no values");
    return c;
  }
  c->setTitle(QString::fromStdString(first->name));
  double lo = INFINITY, hi = -INFINITY, nlo = INFINITY, nhi = -INFINITY;
  for (auto& s : model.sessions) {
    nlo = std::min(nlo, static_cast<double>(s.number));
    nhi = std::max(nhi, static_cast<double>(s.number));
  }
  auto* x = new QValueAxis;
  auto* y = new QValueAxis;
  for (auto* a : {x, y}) {
    QFont f = a->labelsFont();
    f.setPointSizeF(st.label_pt);
    a->setLabelsFont(f);
    QFont t = a->titleFont();
    t.setPointSizeF(st.label_pt);
    t.setBold(false);
    a->setTitleFont(t);
    a->setGridLineColor(QColor(225, 225, 228));
  }
  x->setTitleText("session number");
  x->setRange(nlo - 0.5, nhi + 0.5);
  x->setTickType(QValueAxis::TicksDynamic);
  x->setTickAnchor(0);
  x->setTickInterval(std::max(1.0, std::ceil((nhi - nlo + 1) / 10)));
  x->setLabelFormat("%.0f");
  y->setTitleText(QString::fromStdString(first->unit.empty() ? "count" : first->unit));
  c->addAxis(x, Qt::AlignBottom);
  c->addAxis(y, Qt::AlignLeft);
  const bool labels = model.sessions.size() <= 8;
  for (auto& m : model.measures) {
    if (m.id != id) continue;
    QColor col = m.role == "dyad" && m.who.empty() ? QColor(80, 80, 90) : role_colour(m.role);
    auto* line = new QLineSeries;
    auto* pts = new QScatterSeries;
    line->setName(QString::fromStdString(m.who.empty() ? "the couple" : m.who == "A" || m.who == "B" ? "Partner " + m.who : m.who));
    line->setPen(QPen(col, 2));
    pts->setColor(col);
    pts->setBorderColor(Qt::white);
    pts->setMarkerSize(9);
    const double scale = std::pow(10.0, m.decimals);
    for (std::size_t i = 0; i < model.sessions.size(); ++i) {
      double v = std::round(m.values[i] * scale) / scale;  // as the table shows it (and the point labels)
      if (std::isnan(v)) continue;
      line->append(static_cast<double>(model.sessions[i].number), v);
      pts->append(static_cast<double>(model.sessions[i].number), v);
      lo = std::min(lo, v);
      hi = std::max(hi, v);
    }
    if (labels) {
      pts->setPointLabelsVisible(true);
      pts->setPointLabelsFormat("@yPoint");
      pts->setPointLabelsClipping(false);
      QFont f = pts->pointLabelsFont();
      f.setPointSizeF(st.label_pt - 0.5);
      pts->setPointLabelsFont(f);
      pts->setPointLabelsColor(col.darker(130));
    }
    for (QAbstractSeries* se : std::initializer_list<QAbstractSeries*>{line, pts}) {
      c->addSeries(se);
      se->attachAxis(x);
      se->attachAxis(y);
    }
    for (auto* mk : c->legend()->markers(pts)) mk->setVisible(false);
  }
  if (!(lo <= hi)) lo = 0, hi = 1;
  if (first->unit == "%") lo = std::min(lo, 0.0), hi = std::max(hi, 100.0);
  if (hi - lo < 1e-9) lo -= 1, hi += 1;
  double pad = (hi - lo) * 0.12;
  double step = nice_value_step(hi - lo + 2 * pad, 4);
  double a = std::floor((lo - pad) / step) * step, b = std::ceil((hi + pad) / step) * step;
  if (lo >= 0 && a < 0) a = 0;
  if (first->unit == "%" && hi <= 100) b = std::min(b, 100.0);
  y->setRange(a, b);
  y->setTickType(QValueAxis::TicksDynamic);
  y->setTickAnchor(0);
  y->setTickInterval(step);
  y->setLabelFormat(step >= 1 ? "%.0f" : step >= 0.1 ? "%.1f" : "%.2f");
  return c;
}

// ---------------------------------------------------------------------------------------------
CourseWindow::CourseWindow(std::vector<fs::path> sessions, QWidget* parent) : QMainWindow(parent), paths_(std::move(sessions)) {
  auto couples = CourseModel::couples(paths_);
  model_ = CourseModel::load(paths_, couples.empty() ? "" : couples.front());
  auto* central = new QWidget(this);
  auto* lay = new QVBoxLayout(central);
  lay->setContentsMargins(0, 0, 0, 0);
  lay->setSpacing(0);
  header_ = new QLabel(central);
  header_->setContentsMargins(10, 6, 10, 6);
  header_->setStyleSheet("background: #fafafb; border-bottom: 1px solid #d4d4d8;");
  lay->addWidget(header_);
  if (couples.size() > 1) {
    auto* tb = addToolBar("Couple");
    tb->setMovable(false);
    tb->addWidget(new QLabel(" Couple: "));
    couple_ = new QComboBox(tb);
    for (auto& c : couples) couple_->addItem(QString::fromStdString(c));
    tb->addWidget(couple_);
    connect(couple_, &QComboBox::currentTextChanged, this, [this](const QString& c) { show_couple(c.toStdString()); });
  }
  auto* split = new QSplitter(Qt::Vertical, central);
  table_model_ = new CourseTableModel(model_, this);
  table_ = new QTableView(split);
  table_->setModel(table_model_);
  table_->setSelectionBehavior(QAbstractItemView::SelectRows);
  table_->setSelectionMode(QAbstractItemView::SingleSelection);
  table_->setAlternatingRowColors(true);
  table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
  table_->horizontalHeader()->setDefaultSectionSize(118);
  table_->horizontalHeader()->setDefaultAlignment(Qt::AlignCenter);
  table_->verticalHeader()->setDefaultSectionSize(table_->fontMetrics().height() + 6);
  table_->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
  table_->setToolTip("Select a measure to plot it; double-click a session to open it");
  connect(table_->selectionModel(), &QItemSelectionModel::currentRowChanged, this, [this](const QModelIndex& cur) {
    if (cur.isValid()) select_measure(model_.measures[static_cast<std::size_t>(cur.row())].id);
  });
  auto open = [this](int col) {
    if (col >= 0 && col < static_cast<int>(model_.sessions.size()))
      emit openSession(QString::fromStdString(model_.sessions[static_cast<std::size_t>(col)].dir.string()));
  };
  connect(table_, &QTableView::doubleClicked, this, [open](const QModelIndex& i) { open(i.column()); });
  connect(table_->horizontalHeader(), &QHeaderView::sectionDoubleClicked, this, open);

  auto* scroll = new QScrollArea(split);
  scroll->setWidgetResizable(true);
  scroll->setFrameShape(QFrame::NoFrame);
  auto* charts = new QWidget;
  charts->setObjectName("charts");
  charts->setStyleSheet("#charts { background: white; }");
  auto* grid = new QGridLayout(charts);
  grid->setSpacing(8);
  selected_view_ = new QChartView(charts);
  selected_view_->setRenderHint(QPainter::Antialiasing);
  selected_view_->setMinimumHeight(260);
  selected_view_->setBackgroundBrush(Qt::white);
  selected_view_->setStyleSheet("border: 2px solid #b8c8e8;");
  grid->addWidget(selected_view_, 0, 0);
  for (int i = 0; i < 5; ++i) {
    auto* v = new QChartView(charts);
    v->setRenderHint(QPainter::Antialiasing);
    v->setMinimumHeight(260);
    v->setBackgroundBrush(Qt::white);
    v->setFrameShape(QFrame::NoFrame);
    grid->addWidget(v, (i + 1) / 3, (i + 1) % 3);
    trends_.push_back(v);
  }
  for (int c = 0; c < 3; ++c) grid->setColumnStretch(c, 1);
  scroll->setWidget(charts);
  split->addWidget(table_);
  split->addWidget(scroll);
  split->setStretchFactor(0, 2);
  split->setStretchFactor(1, 3);
  lay->addWidget(split, 1);
  setCentralWidget(central);
  show_couple(model_.couple_id);
  resize(1600, 1000);
}

// The views ask the table model, which refers to model_, while QWidget's destructor hides them:
// they go first, while model_ is alive.
CourseWindow::~CourseWindow() { delete centralWidget(); }

void CourseWindow::show_couple(const std::string& couple) {
  model_ = CourseModel::load(paths_, couple);
  table_model_->reset(model_);
  int analysed = 0;
  for (auto& s : model_.sessions) analysed += s.analysed;
  std::string head = "<b>Course of treatment</b> &nbsp;&nbsp; couple " + model_.couple_id + " · " + std::to_string(model_.sessions.size()) +
                     " sessions (" + std::to_string(analysed) + " analysed)";
  if (!model_.sessions.empty())
    head += " · sessions " + std::to_string(model_.sessions.front().number) + "–" + std::to_string(model_.sessions.back().number) +
            ", " + model_.sessions.front().date + " to " + model_.sessions.back().date;
  head += " · <span style='color:#5a5a62'>select a measure to plot it; double-click a session to open it</span>";
  header_->setText(QString::fromStdString(head));
  setWindowTitle(QString::fromStdString("dyad — course of couple " + model_.couple_id));
  // every warning on stderr; the status bar keeps the first and says how many more there are
  for (auto& w : model_.warnings) std::cerr << "dyad-viewer: warning: " << w << "\n";
  if (!model_.warnings.empty())
    statusBar()->showMessage(QString::fromStdString("warning: " + model_.warnings.front() +
                                                    (model_.warnings.size() > 1 ? " (+" + std::to_string(model_.warnings.size() - 1) +
                                                                                      " more on stderr)"
                                                                                : "")),
                             15000);
  table_->resizeColumnsToContents();
  for (int c = 0; c < table_model_->columnCount(); ++c) table_->setColumnWidth(c, std::max(table_->columnWidth(c), 110));
  // A few sessions share the width; many scroll.
  table_->horizontalHeader()->setSectionResizeMode(model_.sessions.size() <= 10 ? QHeaderView::Stretch : QHeaderView::Interactive);
  rebuild_trends();
  std::string sel = selected_.empty() ? "speaking_share" : selected_;
  int row = -1;
  for (std::size_t i = 0; i < model_.measures.size() && row < 0; ++i)
    if (model_.measures[i].id == sel) row = static_cast<int>(i);
  if (row < 0 && !model_.measures.empty()) row = 0;
  if (row >= 0) {
    select_measure(model_.measures[static_cast<std::size_t>(row)].id);
    QSignalBlocker block(table_->selectionModel());
    table_->selectionModel()->setCurrentIndex(table_model_->index(row, 0), QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
  }
}

void CourseWindow::select_measure(const std::string& id) {
  selected_ = id;
  QChart* old = selected_view_->chart();
  QChart* c = course_trend_chart(model_, id);
  c->setTitle(c->title() + "  (selected)");
  selected_view_->setChart(c);
  delete old;
}

void CourseWindow::rebuild_trends() {
  std::vector<std::string> keys;
  for (const char* k : {"fto_median", "interruptions_per_hour", "hr_mean", "sync_hr", "f0_median", "backchannels_per_hour", "floor_share",
                        "rmssd", "sync_eda"}) {
    bool has = false;
    for (auto& m : model_.measures) has = has || m.id == k;
    if (has) keys.push_back(k);
  }
  for (std::size_t i = 0; i < trends_.size(); ++i) {
    QChart* old = trends_[i]->chart();
    if (i < keys.size()) {
      trends_[i]->setChart(course_trend_chart(model_, keys[i]));
      trends_[i]->show();
    } else {
      trends_[i]->setChart(new QChart);
      trends_[i]->hide();
    }
    delete old;
  }
}

}  // namespace dyad::viewer
