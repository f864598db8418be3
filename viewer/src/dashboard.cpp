#include "dyad/viewer/dashboard.hpp"

#include <QChart>
#include <QChartView>
#include <QFrame>
#include <QGridLayout>
#include <QLabel>
#include <QVBoxLayout>

namespace dyad::viewer {

namespace {
QString q(const std::string& s) { return QString::fromStdString(s); }

QFrame* tile(const KeyNumber& k, QWidget* parent) {
  auto* f = new QFrame(parent);
  f->setObjectName("tile");
  f->setStyleSheet("#tile { background: #f6f7f9; border: 1px solid #dcdce0; border-radius: 4px; }");
  auto* l = new QVBoxLayout(f);
  l->setContentsMargins(10, 6, 10, 8);
  l->setSpacing(2);
  auto* name = new QLabel(q(k.name), f);
  name->setStyleSheet("color: #5a5a62; font-size: 9pt;");
  // A parenthesis stays on one line ("(mean |r| 0.45)" would break after the bar otherwise).
  QString v = q(k.value).toHtmlEscaped();
  v.replace("(", "<nobr>(").replace(")", ")</nobr>");
  auto* value = new QLabel(v, f);
  value->setTextFormat(Qt::RichText);
  value->setStyleSheet("color: #1d1d22; font-size: 12pt; font-weight: 600;");
  value->setWordWrap(true);
  value->setTextInteractionFlags(Qt::TextSelectableByMouse);
  l->addWidget(name);
  l->addWidget(value);
  f->setToolTip(q(k.meaning));
  return f;
}
}  // namespace

Dashboard::Dashboard(const SessionModel& model, QWidget* parent) : QScrollArea(parent), model_(model) {
  setWidgetResizable(true);
  setFrameShape(QFrame::NoFrame);
}

Dashboard::~Dashboard() = default;

void Dashboard::invalidate() {
  summary_.reset();
  charts_.clear();
  if (QWidget* w = takeWidget()) w->deleteLater();
  if (isVisible()) build();
}

void Dashboard::showEvent(QShowEvent* e) {
  QScrollArea::showEvent(e);
  if (!built()) build();
}

QChartView* Dashboard::chart_view(const QString& id) const {
  for (auto& [k, v] : charts_)
    if (k == id) return v;
  return nullptr;
}

std::vector<QString> Dashboard::chart_ids() const {
  std::vector<QString> out;
  for (auto& c : charts_) out.push_back(c.first);
  return out;
}

void Dashboard::build() {
  summary_ = std::make_unique<SessionSummary>(SessionSummary::load(model_));
  charts_.clear();
  const SessionSummary& s = *summary_;
  auto* page = new QWidget;
  page->setObjectName("dashboard");
  page->setStyleSheet("#dashboard { background: white; }");
  auto* lay = new QVBoxLayout(page);
  lay->setContentsMargins(16, 12, 16, 16);
  lay->setSpacing(10);

  const auto& man = model_.session.manifest;
  auto* head = new QLabel(q("<span style='font-size:14pt; font-weight:600'>Session summary</span>&nbsp;&nbsp;"
                            "<span style='color:#5a5a62'>couple " + man.couple_id + " · session " + std::to_string(man.session_number) +
                            " (" + man.session_type + ") · " + model_.session.dir.filename().string() +
                            " · hover a number for what it means</span>"),
                          page);
  lay->addWidget(head);

  auto keys = key_numbers(s);
  auto* tiles = new QGridLayout;
  tiles->setSpacing(8);
  const int cols = 4;
  for (std::size_t i = 0; i < keys.size(); ++i)
    tiles->addWidget(tile(keys[i], page), static_cast<int>(i) / cols, static_cast<int>(i) % cols);
  for (int c = 0; c < cols; ++c) tiles->setColumnStretch(c, 1);
  lay->addLayout(tiles);

  auto specs = summary_charts(s);
  if (specs.empty() || !model_.analysed()) {
    auto* none = new QLabel("No features/ yet: run <b>dyad analyze</b> on this session for turn-taking, prosody and physiology.", page);
    none->setStyleSheet("color: #5a5a62; font-size: 11pt; padding: 20px;");
    lay->addWidget(none);
  }
  auto* grid = new QGridLayout;
  grid->setSpacing(12);
  for (std::size_t i = 0; i < specs.size(); ++i) {
    auto* card = new QFrame(page);
    card->setObjectName("card");
    card->setStyleSheet("#card { border: 1px solid #e0e0e4; border-radius: 4px; background: white; }");
    auto* cl = new QVBoxLayout(card);
    cl->setContentsMargins(4, 4, 4, 8);
    auto* view = new QChartView(specs[i].make(), card);
    view->setRenderHint(QPainter::Antialiasing);
    view->setBackgroundBrush(Qt::white);
    view->setFrameShape(QFrame::NoFrame);
    view->setMinimumHeight(300);
    view->setObjectName(specs[i].id);
    cl->addWidget(view, 1);
    auto* cap = new QLabel(specs[i].caption, card);
    cap->setWordWrap(true);
    cap->setStyleSheet("color: #4a4a52; font-size: 9pt; padding: 0 8px;");
    cl->addWidget(cap);
    grid->addWidget(card, static_cast<int>(i) / 2, static_cast<int>(i) % 2);
    charts_.emplace_back(specs[i].id, view);
  }
  grid->setColumnStretch(0, 1);
  grid->setColumnStretch(1, 1);
  lay->addLayout(grid);
  if (!s.warnings.empty()) {
    QString w;
    for (auto& x : s.warnings) w += "warning: " + q(x) + "<br>";
    auto* wl = new QLabel(w, page);
    wl->setStyleSheet("color: #8a4b00;");
    wl->setWordWrap(true);
    lay->addWidget(wl);
  }
  lay->addStretch(1);
  setWidget(page);
}

}  // namespace dyad::viewer
