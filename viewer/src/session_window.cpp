#include "dyad/viewer/session_window.hpp"

#include <QAction>
#include <QComboBox>
#include <QDockWidget>
#include <QFileDialog>
#include <QLabel>
#include <QListWidget>
#include <QMessageBox>
#include <QPainter>
#include <QStatusBar>
#include <QScrollBar>
#include <QTabWidget>
#include <QTimer>
#include <QToolBar>
#include <QVBoxLayout>
#include <algorithm>
#include <cmath>
#include <iostream>

#include "dyad/capture/player.hpp"
#include "dyad/formats/text.hpp"
#include "dyad/viewer/dashboard.hpp"
#include "dyad/viewer/notes.hpp"
#include "dyad/viewer/summary.hpp"
#include "dyad/viewer/report.hpp"
#include "dyad/viewer/turn_list.hpp"

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
  setFixedHeight(kRow);
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
  p.drawText(QRect(x, 0, 80, kRow), Qt::AlignLeft | Qt::AlignVCenter, "Legend");
  f.setBold(false);
  p.setFont(f);
  // entries wrap onto further rows (resizeEvent makes the widget as tall as they need)
  for (auto& e : layout_entries(width())) {
    const auto& [text, colour] = entries_[e.index];
    p.fillRect(QRect(e.x, e.row * kRow + kRow / 2 - 5, 12, 10), colour);
    p.setPen(QColor(40, 40, 45));
    p.drawText(QRect(e.x + 16, e.row * kRow, fm.horizontalAdvance(text) + 2, kRow), Qt::AlignLeft | Qt::AlignVCenter, text);
  }
}

std::vector<Legend::Placed> Legend::layout_entries(int width) const {
  QFont f = font();
  f.setPointSizeF(8.5);
  QFontMetrics fm(f);
  std::vector<Placed> out;
  int x = TimelineView::kLabelWidth, row = 0;
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    const int w = 16 + fm.horizontalAdvance(entries_[i].first);
    if (x + w > width - 4 && x > TimelineView::kLabelWidth) {
      x = TimelineView::kLabelWidth;
      ++row;
    }
    out.push_back({i, x, row});
    x += w + 18;
  }
  return out;
}

void Legend::resizeEvent(QResizeEvent*) {
  const auto placed = layout_entries(width());
  const int rows = placed.empty() ? 1 : placed.back().row + 1;
  if (height() != rows * kRow) setFixedHeight(rows * kRow);
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

  tabs_ = new QTabWidget(this);
  tabs_->setDocumentMode(true);
  auto* central = new QWidget(tabs_);
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
  if (!m.analysed()) header += " · <i>no features/ yet (run dyad analyze)</i>";
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
  tabs_->addTab(central, "Timeline");
  dashboard_ = new Dashboard(m, tabs_);
  tabs_->addTab(dashboard_, "Summary dashboard");
  setCentralWidget(tabs_);

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
  tb->addSeparator();
  auto* note = tb->addAction("Add note…", this, &SessionWindow::add_note_dialog);
  note->setShortcut(QKeySequence("Ctrl+M"));
  note->setToolTip("Add a marker, a note or a clinical entry at the cursor (Ctrl+M); saved to markers.tsv");
  auto* report = tb->addAction("Report…", this, &SessionWindow::report_dialog);
  report->setShortcut(QKeySequence("Ctrl+P"));
  report->setToolTip("Write the one-page clinical report (PDF or PNG) (Ctrl+P)");

  // turn list: beside the timeline; choosing a turn jumps to it and plays it
  auto* turns_dock = new QDockWidget("Turns", this);
  turns_dock->setFeatures(QDockWidget::DockWidgetClosable | QDockWidget::DockWidgetMovable);
  turn_list_ = new TurnListView(new TurnTableModel(m, this), turns_dock);
  turns_dock->setWidget(turn_list_);
  addDockWidget(Qt::RightDockWidgetArea, turns_dock);
  connect(turn_list_, &TurnListView::turnActivated, this, [this](int i) { show_turn(i, options_.play_turns); });
  if (m.turns.empty()) turns_dock->hide();

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
  connect(timeline_, &TimelineView::cursorChanged, this, [this](double t) {
    update_status();
    follow_cursor(t);
  });
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
    if (!player_->playing() || (play_until_ >= 0 && player_->position_s() >= play_until_)) stop();
  });
  update_status();
  resize(1600, 900);
  // The docks belong to the timeline: the dashboard gets the whole width.
  connect(tabs_, &QTabWidget::currentChanged, this, [this, turns_dock, dock, turns_shown = true, tracks_shown = true](int i) mutable {
    if (i == 1) {
      turns_shown = turns_dock->isVisible();
      tracks_shown = dock->isVisible();
      turns_dock->hide();
      dock->hide();
    } else {
      turns_dock->setVisible(turns_shown && !model_->turns.empty());
      dock->setVisible(tracks_shown);
    }
  });
  int list_w = turn_list_->verticalScrollBar()->sizeHint().width() + 2 * turn_list_->frameWidth() + 4;
  for (int c = 0; c < TurnTableModel::column_count; ++c)
    if (!turn_list_->isColumnHidden(c)) list_w += turn_list_->columnWidth(c);
  resizeDocks({turns_dock, dock}, {list_w, list_w}, Qt::Horizontal);
  resizeDocks({turns_dock, dock}, {560, 240}, Qt::Vertical);
  timeline_->setFocus();
}

SessionWindow::~SessionWindow() {
  stop();
  // The views refer to *model_; QWidget's destructor (which runs after model_ is gone) would still
  // hide them and let them ask their models. They go first.
  delete turn_list_;
  turn_list_ = nullptr;
  delete tabs_;
  tabs_ = nullptr;
  timeline_ = nullptr;
  dashboard_ = nullptr;
}

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

bool SessionWindow::play(double from_s, double until_s) {
  if (!model_->session.audio) {
    statusBar()->showMessage("this session has no audio to play", 5000);
    return false;
  }
  try {
    if (!player_) player_ = std::make_unique<capture::Player>(model_->session.audio_path(), capture::PlayerConfig{options_.playback_device});
    player_->start(from_s >= 0 ? from_s : timeline_->cursor_s(), gains());
    play_until_ = until_s;
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
  play_until_ = -1;
}

void SessionWindow::show_turn(int turn_index, bool and_play) {
  const auto& turns = model_->turns;
  if (turn_index < 0 || turn_index >= static_cast<int>(turns.size())) return;
  const Turn& t = turns[static_cast<std::size_t>(turn_index)];
  if (playing()) stop();
  // Keep the zoom when the turn fits with a margin and is not lost in a long view; otherwise
  // show it with some context around it.
  const double span = timeline_->t1() - timeline_->t0(), len = std::max(0.5, t.duration_s());
  if (len * 1.3 <= span && span <= std::max(30.0, 8 * len)) {
    if (t.start_s < timeline_->t0() || t.end_s > timeline_->t1()) {
      double a = t.start_s - (span - len) / 2;
      timeline_->set_range(a, a + span);
    }
  } else {
    const double ctx = std::max(2.0, 0.5 * len);
    timeline_->set_range(t.start_s - ctx, t.end_s + ctx);
  }
  timeline_->set_cursor(t.start_s);
  timeline_->set_highlight(t.start_s, t.end_s);
  turn_list_->select_turn(turn_index);
  statusBar()->showMessage(QString::fromStdString("turn " + std::to_string(t.number) + " · " + role_name(t.role) + " · " +
                                                  format_clock(t.start_s, 1, model_->duration_s >= 3600) + " – " +
                                                  format_clock(t.end_s, 1, model_->duration_s >= 3600)),
                           5000);
  if (and_play) play(t.start_s, t.end_s);
}

void SessionWindow::follow_cursor(double t) {
  // The list follows the timeline: the last turn starting at or before the cursor, if the cursor is inside it.
  const auto& turns = model_->turns;
  if (!turn_list_ || turns.empty()) return;
  auto it = std::upper_bound(turns.begin(), turns.end(), t, [](double x, const Turn& u) { return x < u.start_s; });
  if (it == turns.begin()) return;
  --it;
  if (t <= it->end_s) turn_list_->select_turn(static_cast<int>(it - turns.begin()));
}

std::string SessionWindow::add_marker(const formats::Marker& mk) {
  if (model_->session.manifest.status == "recording")
    return "this session is still being recorded: type markers in the recorder (dyad record), or add them here once it has "
           "stopped";
  try {
    formats::append_markers_atomic(model_->session.dir, {mk});
  } catch (const std::exception& e) {
    return e.what();
  }
  model_->session.markers.push_back(mk);
  model_->add_marker(mk);
  // New kinds of track (the first clinical entry, the first phase) join the timeline at their place.
  auto current = timeline_->tracks();
  std::vector<Track> merged;
  for (auto& d : model_->default_tracks()) {
    auto it = std::find_if(current.begin(), current.end(), [&](const Track& c) { return c.id == d.id; });
    if (it == current.end() && (d.kind == TrackKind::phases || d.kind == TrackKind::markers || d.kind == TrackKind::clinical))
      merged.push_back(d);
  }
  merged.insert(merged.end(), current.begin(), current.end());
  for (auto& d : model_->default_tracks())
    if (std::none_of(merged.begin(), merged.end(), [&](const Track& c) { return c.id == d.id; })) merged.push_back(d);
  timeline_->set_tracks(std::move(merged));
  fill_track_list();
  goto_->addItem(QString::fromStdString(format_clock(mk.onset_s, 1, model_->duration_s >= 3600) + "  " + mk.label +
                                        (mk.value != "n/a" && !mk.value.empty() ? " " + mk.value : "")),
                 mk.onset_s);
  if (dashboard_->built()) dashboard_->invalidate();
  statusBar()->showMessage(QString::fromStdString("added '" + mk.label + (mk.value != "n/a" ? " " + mk.value : "") + "' at " +
                                                  format_clock(mk.onset_s, 1, model_->duration_s >= 3600) + " to markers.tsv"),
                           8000);
  return "";
}

void SessionWindow::add_note_dialog() {
  NoteDialog d(timeline_->cursor_s(), model_->duration_s, this);
  if (d.exec() != QDialog::Accepted || !d.marker()) return;
  std::string err = add_marker(*d.marker());
  if (!err.empty()) QMessageBox::warning(this, "Not saved", QString::fromStdString("The note was not saved: " + err));
}

void SessionWindow::report_dialog() {
  const auto& s = model_->session;
  QString suggested = QString::fromStdString((s.dir.parent_path() / (s.dir.filename().string() + "-report.pdf")).string());
  QString path = QFileDialog::getSaveFileName(this, "Save the session report", suggested, "PDF (*.pdf);;PNG image (*.png)");
  if (path.isEmpty()) return;
  try {
    write_report(*model_, path.toStdString(), true);  // the dialog has asked before replacing a file
    statusBar()->showMessage("report written to " + path, 8000);
  } catch (const std::exception& e) {
    QMessageBox::warning(this, "Report not written", QString::fromUtf8(e.what()));
  }
}

bool SessionWindow::playing() const { return player_ && player_->playing(); }

}  // namespace dyad::viewer
