#include "dyad/viewer/session_window.hpp"

#include <QAction>
#include <QComboBox>
#include <QDockWidget>
#include <QLabel>
#include <QListWidget>
#include <QPainter>
#include <QStatusBar>
#include <QTimer>
#include <QToolBar>
#include <QVBoxLayout>
#include <algorithm>
#include <cmath>
#include <iostream>

#include "dyad/capture/player.hpp"
#include "dyad/formats/text.hpp"

namespace dyad::viewer {

namespace {
QString clock(double t, double duration) { return QString::fromStdString(format_clock(t, 3, duration >= 3600)); }
}  // namespace

// ---------------------------------------------------------------------------------------------
Legend::Legend(const SessionModel& m, QWidget* parent) : QWidget(parent) {
  std::vector<std::string> roles = m.channel_roles;
  for (auto& sp : m.speech)
    if (std::find(roles.begin(), roles.end(), sp.role) == roles.end()) roles.push_back(sp.role);
  for (auto& r : roles)
    if (!r.empty()) entries_.push_back({QString::fromStdString(r == "therapist" ? "Therapist" : "Partner " + r), role_colour(r)});
  if (!m.speech.empty()) {
    entries_.push_back({"talkspurt (bar)", QColor(110, 110, 115)});
    entries_.push_back({"turn (band)", QColor(110, 110, 115, 60)});
  }
  for (auto& e : m.events) entries_.push_back({event_label(e.type), event_colour(e.type)});
  if (!m.phases.empty()) entries_.push_back({"phase (band)", QColor(186, 215, 240)});
  if (!m.clinical.empty()) entries_.push_back({"clinical entry", QColor(150, 30, 40)});
  entries_.push_back({"cursor", QColor(200, 20, 30)});
  entries_.push_back({"play head", QColor(20, 150, 60)});
  setMinimumHeight(22);
}

void Legend::paintEvent(QPaintEvent*) {
  QPainter p(this);
  p.fillRect(rect(), QColor(244, 244, 246));
  QFont f = font();
  f.setPointSizeF(8.5);
  p.setFont(f);
  QFontMetrics fm(f);
  int x = 8;
  p.setPen(QColor(60, 60, 65));
  f.setBold(true);
  p.setFont(f);
  p.drawText(QRect(x, 0, 80, height()), Qt::AlignLeft | Qt::AlignVCenter, "Legend");
  x = TimelineView::kLabelWidth;
  f.setBold(false);
  p.setFont(f);
  for (auto& [text, colour] : entries_) {
    int w = fm.horizontalAdvance(text);
    if (x + 18 + w > width()) break;
    p.fillRect(QRect(x, height() / 2 - 5, 12, 10), colour);
    p.setPen(QColor(40, 40, 45));
    p.drawText(QRect(x + 16, 0, w + 2, height()), Qt::AlignLeft | Qt::AlignVCenter, text);
    x += 16 + w + 18;
  }
}

// ---------------------------------------------------------------------------------------------
SessionWindow::SessionWindow(const formats::Session& s, WindowOptions options, QWidget* parent)
    : QMainWindow(parent), options_(std::move(options)) {
  model_ = std::make_unique<SessionModel>(SessionModel::load(s));
  const SessionModel& m = *model_;
  if (s.audio && s.audio->frames > 0) {
    int last = -1;
    auto progress = [&](double f) {
      int pct = static_cast<int>(f * 100);
      if (!options_.quiet && pct / 10 != last) {
        last = pct / 10;
        std::cerr << "dyad-viewer: building the audio overview (once per recording): " << pct << " %\n";
      }
    };
    overview_ = std::make_shared<formats::Overview>(formats::ensure_overview(s.dir, s.audio_path(), progress));
  }
  const auto& man = s.manifest;
  setWindowTitle(QString::fromStdString("dyad — " + s.dir.filename().string()));

  auto* central = new QWidget(this);
  auto* layout = new QVBoxLayout(central);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->setSpacing(0);
  std::string roles;
  for (auto& p : man.participants) roles += (roles.empty() ? "" : ", ") + p.role + " = " + p.id;
  std::string header = "<b>" + s.dir.filename().string() + "</b> &nbsp;&nbsp; couple " + man.couple_id + " · session " +
                       std::to_string(man.session_number) + " (" + man.session_type + ") · " +
                       (man.start_utc.empty() ? man.created : man.start_utc) + " · " +
                       format_clock(m.duration_s, 0, true) + " · " + roles;
  if (s.audio)
    header += " · audio " + std::to_string(s.audio->channels) + " ch at " + formats::format_number(s.audio->sample_rate_hz) + " Hz";
  if (!std::filesystem::exists(s.dir / "features")) header += " · <i>no features/ yet (run dyad analyze)</i>";
  auto* title = new QLabel(QString::fromStdString(header), central);
  title->setContentsMargins(10, 6, 10, 6);
  title->setStyleSheet("background: #fafafb; border-bottom: 1px solid #d4d4d8;");
  layout->addWidget(title);
  timeline_ = new TimelineView(m, overview_, central);
  layout->addWidget(timeline_, 1);
  strip_ = new OverviewStrip(m, overview_, timeline_, central);
  layout->addWidget(strip_);
  legend_ = new Legend(m, central);
  layout->addWidget(legend_);
  setCentralWidget(central);

  // toolbar
  auto* tb = addToolBar("View");
  tb->setMovable(false);
  tb->addAction("Fit", timeline_, &TimelineView::fit)->setToolTip("Show the whole session (F)");
  tb->addAction("Zoom in", [this] { timeline_->zoom(0.5, (timeline_->t0() + timeline_->t1()) / 2); })->setToolTip("+ or wheel");
  tb->addAction("Zoom out", [this] { timeline_->zoom(2, (timeline_->t0() + timeline_->t1()) / 2); })->setToolTip("- or wheel");
  tb->addSeparator();
  play_action_ = tb->addAction("Play", [this] {
    if (playing())
      stop();
    else
      play();
  });
  play_action_->setToolTip("Play from the cursor / stop (Space)");
  play_mode_ = new QComboBox(tb);
  play_mode_->addItem("Both partners", "both");
  for (auto& r : m.channel_roles)
    if (!r.empty()) play_mode_->addItem(QString::fromStdString(r == "therapist" ? "Therapist only" : "Partner " + r + " only"),
                                        QString::fromStdString(r));
  tb->addWidget(play_mode_);
  tb->addSeparator();
  goto_ = new QComboBox(tb);
  goto_->setMinimumContentsLength(28);
  goto_->addItem("Go to a marker or turn…", -1.0);
  const bool hours = m.duration_s >= 3600;
  for (auto* list : {&m.phases, &m.points, &m.clinical})
    for (auto& mk : *list)
      goto_->addItem(QString::fromStdString(format_clock(mk.onset_s, 1, hours) + "  " + mk.label +
                                            (mk.value != "n/a" && !mk.value.empty() ? " " + mk.value : "")),
                     mk.onset_s);
  for (auto& t : m.turns)
    goto_->addItem(QString::fromStdString(format_clock(t.start_s, 1, hours) + "  turn " + std::to_string(t.number) + " · " + t.role),
                   t.start_s);
  connect(goto_, &QComboBox::activated, this, [this](int i) {
    double t = goto_->itemData(i).toDouble();
    if (t >= 0) timeline_->jump_to(t);
    timeline_->setFocus();
  });
  tb->addWidget(goto_);

  // track list: check to show, drag to reorder
  auto* dock = new QDockWidget("Tracks", this);
  dock->setFeatures(QDockWidget::DockWidgetClosable | QDockWidget::DockWidgetMovable);
  track_list_ = new QListWidget(dock);
  track_list_->setDragDropMode(QAbstractItemView::InternalMove);
  track_list_->setToolTip("Tick to show a track; drag to reorder");
  dock->setWidget(track_list_);
  addDockWidget(Qt::RightDockWidgetArea, dock);
  fill_track_list();
  connect(track_list_, &QListWidget::itemChanged, this, [this] { apply_track_list(); });
  connect(track_list_->model(), &QAbstractItemModel::rowsMoved, this, [this] { apply_track_list(); });

  // status bar: time under the mouse, cursor, visible range
  hover_label_ = new QLabel(this);
  range_label_ = new QLabel(this);
  statusBar()->addWidget(hover_label_, 1);
  statusBar()->addPermanentWidget(range_label_);
  connect(timeline_, &TimelineView::hoverChanged, this, [this](double t, const QString& track) {
    hover_s_ = t;
    hover_track_ = track;
    update_status();
  });
  connect(timeline_, &TimelineView::rangeChanged, this, [this] { update_status(); });
  connect(timeline_, &TimelineView::cursorChanged, this, [this] { update_status(); });
  connect(timeline_, &TimelineView::playToggled, this, [this] {
    if (playing())
      stop();
    else
      play();
  });
  for (auto& w : m.warnings) std::cerr << "dyad-viewer: warning: " << w << "\n";
  if (!m.warnings.empty()) statusBar()->showMessage(QString::fromStdString("warning: " + m.warnings.front()), 15000);

  play_timer_ = new QTimer(this);
  play_timer_->setInterval(30);
  connect(play_timer_, &QTimer::timeout, this, [this] {
    if (!player_) return;
    timeline_->set_play_head(player_->position_s());
    if (!player_->playing()) stop();
  });
  update_status();
  resize(1600, 900);
  timeline_->setFocus();
}

SessionWindow::~SessionWindow() { stop(); }

void SessionWindow::fill_track_list() {
  filling_ = true;
  track_list_->clear();
  for (auto& t : timeline_->tracks()) {
    auto* it = new QListWidgetItem(QString::fromStdString(t.title), track_list_);
    it->setData(Qt::UserRole, QString::fromStdString(t.id));
    it->setFlags(Qt::ItemIsEnabled | Qt::ItemIsSelectable | Qt::ItemIsUserCheckable | Qt::ItemIsDragEnabled);
    it->setCheckState(t.visible ? Qt::Checked : Qt::Unchecked);
    QPixmap sw(10, 10);
    sw.fill(t.role.empty() ? QColor(150, 150, 155) : role_colour(t.role));
    it->setIcon(QIcon(sw));
  }
  filling_ = false;
}

void SessionWindow::apply_track_list() {
  if (filling_) return;
  std::vector<std::string> order;
  auto tracks = timeline_->tracks();
  for (int i = 0; i < track_list_->count(); ++i) {
    auto* it = track_list_->item(i);
    std::string id = it->data(Qt::UserRole).toString().toStdString();
    order.push_back(id);
    for (auto& t : tracks)
      if (t.id == id) t.visible = it->checkState() == Qt::Checked;
  }
  timeline_->set_tracks(std::move(tracks));
  timeline_->set_track_order(order);
}

void SessionWindow::update_status() {
  const double d = model_->duration_s;
  QString s;
  if (hover_s_ >= 0)
    s = "at " + clock(hover_s_, d) + " (" + QString::number(hover_s_, 'f', 3) + " s)" +
        (hover_track_.isEmpty() ? "" : "  ·  " + hover_track_) + "     ";
  s += "cursor " + clock(timeline_->cursor_s(), d);
  hover_label_->setText(s);
  range_label_->setText("view " + clock(timeline_->t0(), d) + " – " + clock(timeline_->t1(), d) + "   ");
}

std::vector<float> SessionWindow::gains() const {
  std::string mode = play_mode_->currentData().toString().toStdString();
  std::vector<float> g;
  for (auto& r : model_->channel_roles) g.push_back(mode == "both" || mode == r ? 1.f : 0.f);
  return g;
}

void SessionWindow::set_play_mode(const std::string& mode) {
  int i = play_mode_->findData(QString::fromStdString(mode));
  if (i >= 0) play_mode_->setCurrentIndex(i);
}

bool SessionWindow::play() {
  if (!model_->session.audio) {
    statusBar()->showMessage("this session has no audio to play", 5000);
    return false;
  }
  try {
    if (!player_) player_ = std::make_unique<capture::Player>(model_->session.audio_path(), capture::PlayerConfig{options_.playback_device});
    player_->start(timeline_->cursor_s(), gains());
  } catch (const std::exception& e) {
    statusBar()->showMessage(QString("cannot play: ") + e.what(), 10000);
    std::cerr << "dyad-viewer: cannot play: " << e.what() << "\n";
    return false;
  }
  play_action_->setText("Stop");
  play_timer_->start();
  statusBar()->showMessage(QString::fromStdString("playing on " + player_->device_name()), 3000);
  return true;
}

void SessionWindow::stop() {
  if (player_) {
    player_->stop();
    timeline_->set_cursor(player_->position_s());
  }
  if (play_timer_) play_timer_->stop();
  if (timeline_) timeline_->set_play_head(NAN);
  if (play_action_) play_action_->setText("Play");
}

bool SessionWindow::playing() const { return player_ && player_->playing(); }

}  // namespace dyad::viewer
