#include "dyad/viewer/timeline.hpp"

#include <QKeyEvent>
#include <QMouseEvent>
#include <QPainter>
#include <QPainterPath>
#include <QWheelEvent>
#include <algorithm>
#include <cmath>

#include "dyad/formats/text.hpp"

namespace dyad::viewer {

QColor role_colour(const std::string& role) {
  if (role == "A") return QColor(31, 119, 180);
  if (role == "B") return QColor(255, 127, 14);
  if (role == "therapist") return QColor(44, 160, 44);
  return QColor(90, 90, 90);
}

QColor event_colour(const std::string& type) {
  if (type == "pause") return QColor(160, 160, 160);
  if (type == "gap") return QColor(148, 103, 189);
  if (type == "overlap_between") return QColor(214, 39, 40);
  if (type == "overlap_within") return QColor(227, 119, 194);
  if (type == "backchannel") return QColor(23, 170, 190);
  if (type == "interruption") return QColor(120, 20, 20);
  return QColor(100, 100, 100);
}

QString event_label(const std::string& type) {
  if (type == "overlap_between") return "overlap (between)";
  if (type == "overlap_within") return "overlap (within)";
  return QString::fromStdString(type);
}

namespace {
constexpr double kMinSpan = 0.01;
const QColor kGrid(236, 236, 236);
const QColor kSeparator(210, 210, 210);
const QColor kLabelBg(244, 244, 246);

QColor phase_colour(const std::string& label) {
  static const QColor pal[] = {QColor(186, 215, 240), QColor(253, 208, 162), QColor(199, 233, 192), QColor(218, 200, 235),
                               QColor(252, 197, 192), QColor(240, 230, 170), QColor(200, 220, 220)};
  std::size_t h = std::hash<std::string>{}(label);
  return pal[h % (sizeof pal / sizeof pal[0])];
}

/// Number text for a value axis.
QString value_text(double v, double step) {
  int dec = step >= 1 ? 0 : static_cast<int>(std::ceil(-std::log10(step)));
  return QString::fromStdString(formats::format_fixed(v, std::min(dec, 4)));
}
}  // namespace

// ---------------------------------------------------------------------------------------------
TimelineView::TimelineView(const SessionModel& model, std::shared_ptr<const formats::Overview> overview, QWidget* parent)
    : QWidget(parent), model_(model), overview_(std::move(overview)) {
  duration_ = std::max(model_.duration_s, kMinSpan);
  t0_ = 0;
  t1_ = duration_;
  if (overview_) {
    const auto& top = overview_->levels().back();
    for (int c = 0; c < overview_->channels(); ++c) {
      float pk = 1e-6f;
      for (std::uint64_t b = 0; b < top.bins; ++b) {
        auto m = overview_->bin(overview_->levels().size() - 1, b, c);
        pk = std::max({pk, std::abs(m.min), std::abs(m.max)});
      }
      peak_.push_back(pk);
    }
  }
  tracks_ = model_.default_tracks();
  setMouseTracking(true);
  setFocusPolicy(Qt::StrongFocus);
  setMinimumSize(500, 200);
  setAttribute(Qt::WA_OpaquePaintEvent);
}

TimelineView::~TimelineView() = default;

void TimelineView::set_tracks(std::vector<Track> tracks) {
  tracks_ = std::move(tracks);
  invalidate();
  emit tracksChanged();
}

void TimelineView::set_track_visible(const std::string& id, bool visible) {
  for (auto& t : tracks_)
    if (t.id == id) t.visible = visible;
  invalidate();
  emit tracksChanged();
}

void TimelineView::set_track_order(const std::vector<std::string>& ids) {
  std::vector<Track> out;
  for (auto& id : ids)
    for (auto& t : tracks_)
      if (t.id == id) out.push_back(t);
  for (auto& t : tracks_)
    if (std::find(ids.begin(), ids.end(), t.id) == ids.end()) out.push_back(t);
  tracks_ = std::move(out);
  invalidate();
  emit tracksChanged();
}

void TimelineView::invalidate() {
  cache_valid_ = false;
  rows_.clear();
  update();
}

double TimelineView::x_of(double t) const noexcept {
  return kLabelWidth + (t - t0_) / (t1_ - t0_) * plot_width();
}
double TimelineView::t_of(double x) const noexcept {
  return t0_ + (x - kLabelWidth) / plot_width() * (t1_ - t0_);
}

void TimelineView::set_range(double a, double b) {
  double span = std::clamp(b - a, kMinSpan, duration_);
  a = std::clamp(a, 0.0, duration_ - span);
  if (a == t0_ && a + span == t1_) return;
  t0_ = a;
  t1_ = a + span;
  cache_valid_ = false;
  update();
  emit rangeChanged(t0_, t1_);
}

void TimelineView::zoom(double factor, double anchor) {
  double span = std::clamp((t1_ - t0_) * factor, kMinSpan, duration_);
  double frac = (anchor - t0_) / (t1_ - t0_);
  set_range(anchor - frac * span, anchor - frac * span + span);
}

void TimelineView::pan(double fraction) {
  double d = (t1_ - t0_) * fraction;
  set_range(t0_ + d, t1_ + d);
}

void TimelineView::fit() { set_range(0, duration_); }

void TimelineView::set_cursor(double t) {
  cursor_ = std::clamp(t, 0.0, duration_);
  update();
  emit cursorChanged(cursor_);
}

void TimelineView::jump_to(double t) {
  set_cursor(t);
  if (cursor_ < t0_ || cursor_ > t1_) {
    double span = t1_ - t0_;
    set_range(cursor_ - 0.25 * span, cursor_ + 0.75 * span);
  }
}

void TimelineView::set_play_head(double t) {
  play_head_shown_ = !std::isnan(t);
  if (play_head_shown_) {
    play_head_ = t;
    double span = t1_ - t0_;
    if (t > t1_ - 0.02 * span || t < t0_) set_range(t - 0.05 * span, t + 0.95 * span);  // the view follows
  }
  update();
}

// ---------------------------------------------------------------------------------------------
void TimelineView::layout_rows() {
  rows_.clear();
  std::vector<const Track*> vis;
  int want = 0;
  for (auto& t : tracks_)
    if (t.visible) {
      vis.push_back(&t);
      want += t.height;
    }
  const int avail = std::max(0, height() - kAxisHeight);
  double shrink = want > avail && want > 0 ? static_cast<double>(avail) / want : 1.0;
  // Extra room goes to the waveforms and series (up to 2.5x), the rest stays blank.
  int grow_base = 0;
  for (auto* t : vis)
    if (t->kind == TrackKind::waveform || t->kind == TrackKind::series) grow_base += t->height;
  double grow = 1.0;
  if (want < avail && grow_base > 0) grow = std::min(2.5, 1.0 + static_cast<double>(avail - want) / grow_base);
  int y = kAxisHeight;
  for (auto* t : vis) {
    double g = (t->kind == TrackKind::waveform || t->kind == TrackKind::series) ? grow : 1.0;
    int h = std::max(14, static_cast<int>(std::floor(t->height * shrink * g)));
    rows_.push_back({t, y, h});
    y += h;
  }
}

QRect TimelineView::track_rect(const std::string& id) {
  if (rows_.empty()) layout_rows();
  for (auto& r : rows_)
    if (r.track->id == id) return QRect(kLabelWidth, r.y, plot_width(), r.h);
  return {};
}

const QImage& TimelineView::render_tracks() {
  const qreal dpr = render_scale_ > 0 ? render_scale_ : devicePixelRatioF();
  QSize want(static_cast<int>(width() * dpr), static_cast<int>(height() * dpr));
  if (cache_.size() != want) cache_ = QImage(want, QImage::Format_ARGB32_Premultiplied);
  cache_.setDevicePixelRatio(dpr);
  if (rows_.empty()) layout_rows();
  QPainter p(&cache_);
  p.fillRect(QRect(0, 0, width(), height()), Qt::white);
  p.fillRect(QRect(0, 0, kLabelWidth, height()), kLabelBg);
  // vertical grid at the major ticks, under everything
  const double step = nice_time_step((t1_ - t0_) / plot_width(), 90);
  p.setPen(kGrid);
  for (double t = std::ceil(t0_ / step) * step; t <= t1_; t += step) {
    int x = static_cast<int>(std::lround(x_of(t)));
    p.drawLine(x, kAxisHeight, x, height());
  }
  // phase boundaries as thin lines across every track (the bands themselves are in their row)
  p.setPen(QColor(150, 150, 160, 120));
  for (auto& ph : model_.phases)
    for (double e : {ph.onset_s, ph.onset_s + ph.duration_s})
      if (e > t0_ && e < t1_) {
        int x = static_cast<int>(std::lround(x_of(e)));
        p.drawLine(x, kAxisHeight, x, height());
      }
  for (auto& row : rows_) {
    const Track& t = *row.track;
    QRect plot(kLabelWidth, row.y, plot_width(), row.h);
    p.save();
    p.setClipRect(plot);
    switch (t.kind) {
      case TrackKind::waveform: paint_waveform(p, t, plot); break;
      case TrackKind::speech: paint_speech(p, t, plot); break;
      case TrackKind::events: paint_events(p, t, plot); break;
      case TrackKind::series: paint_series(p, t, plot); break;
      case TrackKind::bp: paint_bp(p, t, plot); break;
      case TrackKind::markers:
      case TrackKind::clinical:
      case TrackKind::phases: paint_markers(p, t, plot); break;
    }
    p.restore();
    paint_label(p, t, QRect(0, row.y, kLabelWidth, row.h));
    p.setPen(kSeparator);
    p.drawLine(0, row.y + row.h - 1, width(), row.y + row.h - 1);
  }
  // point markers as dashed lines across every track
  QPen dash(QColor(110, 110, 110, 140), 1, Qt::DashLine);
  p.setPen(dash);
  for (auto* list : {&model_.points, &model_.clinical})
    for (auto& mk : *list)
      if (mk.onset_s >= t0_ && mk.onset_s <= t1_) {
        int x = static_cast<int>(std::lround(x_of(mk.onset_s)));
        p.drawLine(x, kAxisHeight, x, height());
      }
  p.setPen(QColor(180, 180, 185));
  p.drawLine(kLabelWidth - 1, 0, kLabelWidth - 1, height());
  paint_axis(p);
  cache_valid_ = true;
  return cache_;
}

void TimelineView::paint_axis(QPainter& p) {
  p.fillRect(QRect(0, 0, width(), kAxisHeight), QColor(232, 232, 236));
  p.setPen(QColor(170, 170, 175));
  p.drawLine(0, kAxisHeight - 1, width(), kAxisHeight - 1);
  const double spp = (t1_ - t0_) / plot_width();
  const double step = nice_time_step(spp, 90);
  const double minor = step / (step == 15 || step == 900 ? 3 : step == 30 || step == 1800 ? 6 : 5);
  const bool hours = duration_ >= 3600;
  int dec = step >= 1 ? 0 : static_cast<int>(std::ceil(-std::log10(step) - 1e-9));
  QFont f = font();
  f.setPointSizeF(8.5);
  p.setFont(f);
  p.setPen(QColor(120, 120, 125));
  for (double t = std::ceil(t0_ / minor) * minor; t <= t1_; t += minor) {
    int x = static_cast<int>(std::lround(x_of(t)));
    p.drawLine(x, kAxisHeight - 5, x, kAxisHeight - 1);
  }
  p.setPen(QColor(40, 40, 45));
  for (double t = std::ceil(t0_ / step) * step; t <= t1_; t += step) {
    int x = static_cast<int>(std::lround(x_of(t)));
    p.drawLine(x, kAxisHeight - 10, x, kAxisHeight - 1);
    QString s = QString::fromStdString(format_clock(t, dec, hours));
    p.drawText(QRect(x + 3, 2, 120, kAxisHeight - 12), Qt::AlignLeft | Qt::AlignVCenter, s);
  }
  p.fillRect(QRect(0, 0, kLabelWidth - 1, kAxisHeight - 1), QColor(225, 225, 230));
  QFont b = font();
  b.setBold(true);
  b.setPointSizeF(8.5);
  p.setFont(b);
  p.drawText(QRect(8, 0, kLabelWidth - 12, kAxisHeight), Qt::AlignLeft | Qt::AlignVCenter,
             hours ? "time (h:mm:ss)" : "time (m:ss)");
  p.setFont(f);
  p.setPen(QColor(90, 90, 95));
  QString span = QString::fromStdString("span " + format_clock(t1_ - t0_, t1_ - t0_ < 10 ? 3 : 0, hours));
  p.drawText(QRect(8, 0, kLabelWidth - 14, kAxisHeight), Qt::AlignRight | Qt::AlignVCenter, span);
}

void TimelineView::paint_label(QPainter& p, const Track& t, const QRect& r) {
  p.fillRect(r, kLabelBg);
  QColor c = t.role.empty() ? QColor(150, 150, 155) : role_colour(t.role);
  p.fillRect(QRect(r.left(), r.top() + 1, 5, r.height() - 2), c);
  QFont f = font();
  f.setPointSizeF(9);
  f.setBold(true);
  p.setFont(f);
  p.setPen(QColor(30, 30, 35));
  const int text_w = r.width() - 52;
  QFontMetrics fm(f);
  int line = fm.height();
  bool two = r.height() >= 2 * line + 2 && !t.caption.empty();
  int top = two ? r.top() + (r.height() - 2 * line) / 2 : r.top() + (r.height() - line) / 2;
  p.drawText(QRect(r.left() + 11, top, text_w, line), Qt::AlignLeft | Qt::AlignVCenter,
             fm.elidedText(QString::fromStdString(t.title), Qt::ElideRight, text_w));
  QFont s = font();
  s.setPointSizeF(7.5);
  p.setFont(s);
  if (two) {
    p.setPen(QColor(105, 105, 110));
    p.drawText(QRect(r.left() + 11, top + line, text_w, line), Qt::AlignLeft | Qt::AlignVCenter,
               QFontMetrics(s).elidedText(QString::fromStdString(t.caption), Qt::ElideRight, text_w));
  } else if (!t.caption.empty() && t.kind != TrackKind::events) {
    // one line only (a short track): the caption (a unit, a channel) after the title when it fits
    // whole; a cut one ("markers with ...") says less than none
    const int after = fm.horizontalAdvance(QString::fromStdString(t.title)) + 6;
    const int room = text_w - after;
    const QString cap = QString::fromStdString(t.caption);
    if (QFontMetrics(s).horizontalAdvance(cap) <= room) {
      p.setPen(QColor(105, 105, 110));
      p.drawText(QRect(r.left() + 11 + after, top, room, line), Qt::AlignLeft | Qt::AlignVCenter, cap);
    }
  }
  // value axis on the right edge of the label column
  p.setPen(QColor(90, 90, 95));
  const int ax = r.right() - 4;
  auto tick = [&](double y, const QString& text) {
    p.drawLine(ax - 3, static_cast<int>(y), ax, static_cast<int>(y));
    p.drawText(QRect(ax - 48, static_cast<int>(y) - 7, 44, 14), Qt::AlignRight | Qt::AlignVCenter, text);
  };
  if (t.kind == TrackKind::series && t.index >= 0) {
    const Series& se = model_.series[static_cast<std::size_t>(t.index)];
    double step = nice_value_step(se.hi - se.lo, std::max(3, r.height() / 16));
    for (double v = std::ceil(se.lo / step) * step; v <= se.hi; v += step) {
      double y = r.bottom() - (v - se.lo) / (se.hi - se.lo) * (r.height() - 1);
      if (y > r.top() + 5 && y < r.bottom() - 5) tick(y, value_text(v, step));
    }
  } else if (t.kind == TrackKind::bp && t.index >= 0) {
    tick(r.top() + 6, "160");
    tick(r.bottom() - 6, "50");
  } else if (t.kind == TrackKind::waveform && t.index >= 0 && static_cast<std::size_t>(t.index) < peak_.size()) {
    float pk = peak_[static_cast<std::size_t>(t.index)];
    tick(r.top() + 6, "+" + value_text(pk, 0.01));
    tick(r.bottom() - 6, "-" + value_text(pk, 0.01));
  } else if (t.kind == TrackKind::events) {
    int lanes = static_cast<int>(model_.events.size());
    double lh = static_cast<double>(r.height() - 6) / std::max(1, lanes);
    QFont e = font();
    e.setPointSizeF(7);
    p.setFont(e);
    // each lane's name in its colour; when the lanes are thinner than a line of text (a short
    // window, many tracks), only the names that do not run into the one above (the legend lists all)
    const double text_h = QFontMetricsF(e).height();
    double free_from = -1e9;
    for (int i = 0; i < lanes; ++i) {
      const double mid = r.top() + 3 + (i + 0.5) * lh;
      if (mid - text_h / 2 < free_from - 0.5) continue;
      QRectF lr(r.left() + 80, mid - text_h / 2, r.width() - 86, text_h);
      p.setPen(event_colour(model_.events[static_cast<std::size_t>(i)].type).darker(120));
      p.drawText(lr, Qt::AlignRight | Qt::AlignVCenter, event_label(model_.events[static_cast<std::size_t>(i)].type));
      free_from = mid + text_h / 2;
    }
  }
}

void TimelineView::paint_intervals(QPainter& p, const std::vector<Interval>& v, const QRect& r, int y, int h,
                                   const QColor& c) {
  // Intervals closer than a pixel are merged, so the cost is bounded by the width.
  double run_a = -1, run_b = -2;
  auto flush = [&] {
    if (run_b >= run_a) p.fillRect(QRectF(run_a, y, std::max(1.0, run_b - run_a), h), c);
  };
  for (std::size_t i = first_visible(v, t0_); i < v.size() && v[i].start_s <= t1_; ++i) {
    double xa = std::max<double>(r.left() - 1, x_of(v[i].start_s)), xb = std::min<double>(r.right() + 2, x_of(v[i].end_s));
    if (xa <= run_b + 1) {
      run_b = std::max(run_b, xb);
    } else {
      flush();
      run_a = xa;
      run_b = xb;
    }
  }
  flush();
}

void TimelineView::paint_speech(QPainter& p, const Track& t, const QRect& r) {
  const Speech& sp = model_.speech[static_cast<std::size_t>(t.index)];
  QColor c = role_colour(sp.role);
  QColor band = c;
  band.setAlpha(55);
  paint_intervals(p, sp.turns, r, r.top() + 2, r.height() - 5, band);
  int h = std::max(4, r.height() * 45 / 100);
  paint_intervals(p, sp.talkspurts, r, r.top() + (r.height() - h) / 2 - 1, h, c);
}

void TimelineView::paint_events(QPainter& p, const Track&, const QRect& r) {
  int lanes = static_cast<int>(model_.events.size());
  double lh = static_cast<double>(r.height() - 6) / std::max(1, lanes);
  for (int i = 0; i < lanes; ++i) {
    const EventLane& l = model_.events[static_cast<std::size_t>(i)];
    int y = static_cast<int>(r.top() + 3 + i * lh + 2);
    p.setPen(QColor(245, 245, 245));
    p.drawLine(r.left(), y + static_cast<int>(lh / 2) - 2, r.right(), y + static_cast<int>(lh / 2) - 2);
    paint_intervals(p, l.items, r, y, std::max(3, static_cast<int>(lh) - 4), event_colour(l.type));
  }
}

void TimelineView::waveform_columns(int ch, double f0, double f1, std::span<formats::MinMax> cols) {
  if (!overview_ || cols.empty()) return;
  if (overview_->columns(ch, f0, f1, cols) >= 0) return;
  // Finer than the pyramid's first level: summarise at most 2*base_frames raw frames per column.
  const double spp = (f1 - f0) / static_cast<double>(cols.size());
  auto a = static_cast<std::int64_t>(std::floor(f0)), b = static_cast<std::int64_t>(std::ceil(f1));
  const auto& raw = raw_frames(a, b);
  const int nch = overview_->channels();
  for (std::size_t x = 0; x < cols.size(); ++x) {
    auto ca = static_cast<std::int64_t>(f0 + static_cast<double>(x) * spp), cb = static_cast<std::int64_t>(f0 + static_cast<double>(x + 1) * spp);
    Range rg;
    for (std::int64_t f = std::max(ca, raw_f0_); f < std::min(cb, raw_f1_); ++f)
      rg.add(raw[static_cast<std::size_t>((f - raw_f0_) * nch + ch)]);
    cols[x] = rg.empty() ? formats::MinMax{NAN, NAN} : formats::MinMax{rg.min, rg.max};
  }
}

const std::vector<float>& TimelineView::raw_frames(std::int64_t f0, std::int64_t f1) {
  if (f0 >= raw_f0_ && f1 <= raw_f1_ && raw_f0_ >= 0) return raw_;
  if (!reader_) reader_ = std::make_unique<formats::AudioReader>(model_.session.audio_path());
  const int ch = reader_->info().channels;
  // read a little around the request so small pans reuse it
  std::int64_t span = f1 - f0;
  std::int64_t a = std::max<std::int64_t>(0, f0 - span / 2), b = std::min<std::int64_t>(reader_->info().frames, f1 + span / 2);
  raw_.assign(static_cast<std::size_t>(std::max<std::int64_t>(0, b - a) * ch), 0.f);
  reader_->seek(a);
  std::size_t got = 0;
  while (got < raw_.size()) {
    auto n = reader_->read(std::span<float>(raw_.data() + got, raw_.size() - got));
    if (n <= 0) break;
    got += static_cast<std::size_t>(n * ch);
  }
  raw_f0_ = a;
  raw_f1_ = b;
  return raw_;
}

void TimelineView::paint_waveform(QPainter& p, const Track& t, const QRect& r) {
  if (!overview_ || t.index < 0 || t.index >= overview_->channels()) return;
  const int ch = t.index;
  const double rate = overview_->sample_rate_hz();
  const double mid = r.top() + r.height() / 2.0;
  const double half = r.height() / 2.0 - 3;
  const float pk = peak_[static_cast<std::size_t>(ch)];
  QColor c = role_colour(t.role);
  p.setPen(QColor(225, 225, 228));
  p.drawLine(r.left(), static_cast<int>(mid), r.right(), static_cast<int>(mid));
  const int w = r.width();
  const double f0 = t0_ * rate, f1 = t1_ * rate;
  const double spp = (f1 - f0) / w;
  auto y_of = [&](float v) { return mid - std::clamp(v / pk, -1.f, 1.f) * half; };
  if (spp >= 2) {
    std::vector<formats::MinMax> cols(static_cast<std::size_t>(w));
    waveform_columns(ch, f0, f1, cols);
    p.setPen(c);
    std::vector<QLineF> lines;
    lines.reserve(static_cast<std::size_t>(w));
    for (int x = 0; x < w; ++x) {
      const auto& m = cols[static_cast<std::size_t>(x)];
      if (std::isnan(m.min)) continue;
      double ya = y_of(m.max), yb = y_of(m.min);
      if (yb - ya < 1) yb = ya + 1;
      lines.emplace_back(r.left() + x + 0.5, ya, r.left() + x + 0.5, yb);
    }
    p.drawLines(lines.data(), static_cast<int>(lines.size()));
  } else {
    // Fewer than two samples per pixel: the samples themselves.
    auto a = std::max<std::int64_t>(0, static_cast<std::int64_t>(std::floor(f0)) - 1);
    auto b = std::min<std::int64_t>(overview_->frames(), static_cast<std::int64_t>(std::ceil(f1)) + 2);
    const auto& raw = raw_frames(a, b);
    const int nch = overview_->channels();
    QPolygonF poly;
    for (std::int64_t f = std::max(a, raw_f0_); f < std::min(b, raw_f1_); ++f)
      poly << QPointF(x_of(static_cast<double>(f) / rate), y_of(raw[static_cast<std::size_t>((f - raw_f0_) * nch + ch)]));
    p.setRenderHint(QPainter::Antialiasing, poly.size() < 600);
    p.setPen(QPen(c, poly.size() < 600 ? 1.2 : 1.0));
    p.drawPolyline(poly);
    if (spp < 0.25)
      for (auto& pt : poly) p.fillRect(QRectF(pt.x() - 2, pt.y() - 2, 4, 4), c);
    p.setRenderHint(QPainter::Antialiasing, false);
  }
}

void TimelineView::paint_series(QPainter& p, const Track& t, const QRect& r) {
  const Series& se = model_.series[static_cast<std::size_t>(t.index)];
  QColor c = se.role.empty() ? QColor(70, 70, 80) : role_colour(se.role);
  auto y_of = [&](double v) { return r.bottom() - (v - se.lo) / (se.hi - se.lo) * (r.height() - 1); };
  // horizontal grid at the value ticks
  double step = nice_value_step(se.hi - se.lo, std::max(3, r.height() / 16));
  p.setPen(kGrid);
  for (double v = std::ceil(se.lo / step) * step; v <= se.hi; v += step) p.drawLine(r.left(), int(y_of(v)), r.right(), int(y_of(v)));
  if (se.t.empty()) return;
  const std::size_t i0 = se.index_at(t0_), i1 = se.index_at(t1_);
  const std::size_t a = i0 > 0 ? i0 - 1 : 0, b = std::min(se.t.size(), i1 + 1);
  const int w = r.width();
  p.setPen(QPen(c, 1.3));
  if (b - a <= static_cast<std::size_t>(2 * w)) {
    // Few enough points: the line itself, broken at gaps and missing values. Antialiased only
    // when short: Qt's antialiased stroker costs far more than the aliased line per point.
    p.setRenderHint(QPainter::Antialiasing, b - a < 600);
    p.setPen(QPen(c, b - a < 600 ? 1.3 : 1.0));
    QPolygonF poly;
    auto flush = [&] {
      if (poly.size() > 1) p.drawPolyline(poly);
      if ((poly.size() == 1 || se.dots) && static_cast<int>(b - a) < w / 3)
        for (auto& pt : poly) p.fillRect(QRectF(pt.x() - 1.5, pt.y() - 1.5, 3, 3), c);
      poly.clear();
    };
    for (std::size_t i = a; i < b; ++i) {
      if (std::isnan(se.v[i]) || (i > a && se.t[i] - se.t[i - 1] > se.gap_s)) flush();
      if (!std::isnan(se.v[i])) poly << QPointF(x_of(se.t[i]), y_of(se.v[i]));
    }
    flush();
    p.setRenderHint(QPainter::Antialiasing, false);
    return;
  }
  // Min/max per pixel column; consecutive columns joined unless the data has a gap there.
  std::vector<QLineF> lines;
  lines.reserve(static_cast<std::size_t>(2 * w));
  std::size_t idx = a;
  double prev_lo = NAN, prev_hi = NAN;
  for (int x = 0; x < w; ++x) {
    double ta = t_of(r.left() + x), tb = t_of(r.left() + x + 1);
    std::size_t j = static_cast<std::size_t>(std::lower_bound(se.t.begin() + static_cast<std::ptrdiff_t>(idx), se.t.end(), tb) - se.t.begin());
    Range rg = se.mm.query(idx, j);
    bool gap_before = idx > 0 && idx < se.t.size() && se.t[idx] - se.t[idx - 1] > se.gap_s;
    (void)ta;
    idx = j;
    if (rg.empty()) {
      prev_lo = prev_hi = NAN;
      continue;
    }
    double ya = y_of(rg.max), yb = y_of(rg.min);
    double xx = r.left() + x + 0.5;
    if (!std::isnan(prev_lo) && !gap_before) {
      // join to the previous column so a slow signal reads as a line
      if (ya > prev_lo) ya = std::min(ya, prev_lo);
      if (yb < prev_hi) yb = std::max(yb, prev_hi);
    }
    lines.emplace_back(xx, ya, xx, std::max(yb, ya + 1));
    prev_lo = y_of(rg.min);
    prev_hi = y_of(rg.max);
  }
  p.drawLines(lines.data(), static_cast<int>(lines.size()));
}

void TimelineView::paint_bp(QPainter& p, const Track& t, const QRect& r) {
  const BpTrack& bp = model_.bp[static_cast<std::size_t>(t.index)];
  const double lo = 50, hi = 160;
  auto y_of = [&](double v) { return r.bottom() - std::clamp((v - lo) / (hi - lo), 0.0, 1.0) * (r.height() - 1); };
  p.setPen(kGrid);
  for (double v : {80.0, 120.0}) p.drawLine(r.left(), int(y_of(v)), r.right(), int(y_of(v)));
  QColor c = bp.role.empty() ? QColor(150, 30, 40) : role_colour(bp.role);
  p.setPen(QPen(c, 2));
  QFont f = font();
  f.setPointSizeF(7.5);
  p.setFont(f);
  std::vector<std::size_t> shown;
  for (std::size_t i = 0; i < bp.t.size(); ++i)
    if (bp.t[i] >= t0_ && bp.t[i] <= t1_) shown.push_back(i);
  const QFontMetrics fm(f);
  double last_end = -1e9;
  for (std::size_t k = 0; k < shown.size(); ++k) {
    const std::size_t i = shown[k];
    double x = x_of(bp.t[i]);
    double ys = y_of(bp.sys[i]), yd = y_of(bp.dia[i]);
    p.drawLine(QPointF(x, ys), QPointF(x, yd));
    p.drawLine(QPointF(x - 3, ys), QPointF(x + 3, ys));
    p.drawLine(QPointF(x - 3, yd), QPointF(x + 3, yd));
    if (i < bp.mean.size() && !std::isnan(bp.mean[i])) p.drawEllipse(QPointF(x, y_of(bp.mean[i])), 1.5, 1.5);
    // the reading beside its bar when it fits before the next bar (and after the last label)
    const QString text = QString::fromStdString(formats::format_number(std::round(bp.sys[i])) + "/" +
                                                formats::format_number(std::round(bp.dia[i])));
    const double right = k + 1 < shown.size() ? x_of(bp.t[shown[k + 1]]) - 5 : r.right();
    if (x + 5 > last_end && x + 5 + fm.horizontalAdvance(text) <= right) {
      p.drawText(QPointF(x + 5, std::max<double>(r.top() + 10, ys + 4)), text);
      last_end = x + 5 + fm.horizontalAdvance(text) + 4;
    }
  }
}

void TimelineView::paint_markers(QPainter& p, const Track& t, const QRect& r) {
  QFont f = font();
  f.setPointSizeF(8);
  p.setFont(f);
  QFontMetrics fm(f);
  if (t.kind == TrackKind::phases) {
    for (auto& ph : model_.phases) {
      if (ph.onset_s + ph.duration_s < t0_ || ph.onset_s > t1_) continue;
      double xa = x_of(ph.onset_s), xb = x_of(ph.onset_s + ph.duration_s);
      QRectF band(xa, r.top() + 3, std::max(1.0, xb - xa), r.height() - 7);
      QColor c = phase_colour(ph.label);
      p.fillRect(band, c);
      p.setPen(c.darker(140));
      p.drawRect(band);
      QRectF text = band.intersected(QRectF(r)).adjusted(4, 0, -2, 0);
      if (text.width() > 20) {
        p.setPen(QColor(30, 30, 35));
        // "integration_talk" reads as "integration talk" (the file keeps the label as written)
        const QString name = QString::fromStdString(ph.label).replace('_', ' ');
        p.drawText(text, Qt::AlignLeft | Qt::AlignVCenter, fm.elidedText(name, Qt::ElideRight, int(text.width())));
      }
    }
    return;
  }
  const auto& list = t.kind == TrackKind::clinical ? model_.clinical : model_.points;
  const bool clinical = t.kind == TrackKind::clinical;
  const QColor c = clinical ? QColor(150, 30, 40) : QColor(60, 60, 70);
  const double cy = r.top() + r.height() / 2.0;
  std::vector<std::pair<double, const formats::Marker*>> shown;  // x, marker: the visible ones in time order
  for (auto& mk : list)
    if (mk.onset_s >= t0_ && mk.onset_s <= t1_) shown.emplace_back(x_of(mk.onset_s), &mk);
  // the shapes first, then the labels: a label never runs under the next entry's shape
  p.setPen(Qt::NoPen);
  p.setBrush(c);
  for (auto& [x, mk] : shown) {
    if (clinical) {
      QPointF d[4] = {{x, cy - 5}, {x + 5, cy}, {x, cy + 5}, {x - 5, cy}};
      p.drawPolygon(d, 4);
    } else {
      QPointF tri[3] = {{x, r.top() + 4.0}, {x + 7, r.top() + 4.0 + 4}, {x, r.top() + 4.0 + 8}};
      p.drawPolygon(tri, 3);
      p.fillRect(QRectF(x, r.top() + 3, 1, r.height() - 6), c);
    }
  }
  p.setBrush(Qt::NoBrush);
  p.setPen(QColor(30, 30, 35));
  for (std::size_t i = 0; i < shown.size(); ++i) {
    const double x = shown[i].first, left = x + 9;
    // up to the next entry's shape (or the track's end), elided when it does not fit; a label
    // with less than a few characters' room is left out (hover or zoom shows it)
    const double right = i + 1 < shown.size() ? shown[i + 1].first - 7 : r.right();
    const auto& mk = *shown[i].second;
    const QString text = QString::fromStdString(mk.label + (clinical ? " " + mk.value : ""));
    const int room = static_cast<int>(right - left);
    if (room < fm.horizontalAdvance("bp 1…")) continue;
    p.drawText(QPointF(left, cy + fm.ascent() / 2.0 - 1), fm.elidedText(text, Qt::ElideRight, room));
  }
}

// ---------------------------------------------------------------------------------------------
void TimelineView::paintEvent(QPaintEvent*) {
  if (!cache_valid_) render_tracks();
  QPainter p(this);
  p.drawImage(0, 0, cache_);
  const int top = kAxisHeight;
  if (hl_b_ > hl_a_ && hl_b_ > t0_ && hl_a_ < t1_) {
    double xa = std::max<double>(kLabelWidth, x_of(hl_a_)), xb = std::min<double>(width(), x_of(hl_b_));
    p.fillRect(QRectF(xa, top, std::max(1.0, xb - xa), height() - top), QColor(255, 200, 40, 38));
    p.fillRect(QRectF(xa, top - 4, std::max(1.0, xb - xa), 4), QColor(230, 160, 0));
  }
  if (drag_ == Drag::select) {
    double xa = std::max<double>(kLabelWidth, x_of(std::min(sel_a_, sel_b_)));
    double xb = std::min<double>(width(), x_of(std::max(sel_a_, sel_b_)));
    p.fillRect(QRectF(xa, 0, xb - xa, height()), QColor(70, 130, 220, 50));
    p.setPen(QColor(70, 130, 220));
    p.drawRect(QRectF(xa, 0, xb - xa, height() - 1));
  }
  if (hover_ >= t0_ && hover_ <= t1_) {
    int x = static_cast<int>(std::lround(x_of(hover_)));
    p.setPen(QPen(QColor(120, 120, 130, 150), 1, Qt::DotLine));
    p.drawLine(x, top, x, height());
  }
  if (cursor_ >= t0_ && cursor_ <= t1_) {
    int x = static_cast<int>(std::lround(x_of(cursor_)));
    p.setPen(QPen(QColor(200, 20, 30), 1));
    p.drawLine(x, 0, x, height());
    QPointF tri[3] = {{x - 5.0, 0.0}, {x + 5.0, 0.0}, {double(x), 7.0}};
    p.setBrush(QColor(200, 20, 30));
    p.drawPolygon(tri, 3);
    p.setBrush(Qt::NoBrush);
  }
  if (play_head_shown_ && play_head_ >= t0_ && play_head_ <= t1_) {
    int x = static_cast<int>(std::lround(x_of(play_head_)));
    p.setPen(QPen(QColor(20, 150, 60), 2));
    p.drawLine(x, 0, x, height());
  }
}

void TimelineView::resizeEvent(QResizeEvent*) { invalidate(); }

void TimelineView::mousePressEvent(QMouseEvent* e) {
  if (e->position().x() < kLabelWidth) return;
  press_pos_ = e->position().toPoint();
  press_t0_ = t0_;
  press_t1_ = t1_;
  bool select = e->button() == Qt::RightButton || (e->modifiers() & Qt::ShiftModifier) || e->position().y() < kAxisHeight;
  if (e->button() == Qt::LeftButton || e->button() == Qt::RightButton) {
    drag_ = select ? Drag::select : Drag::pan;
    sel_a_ = sel_b_ = t_of(e->position().x());
  }
}

void TimelineView::mouseMoveEvent(QMouseEvent* e) {
  double x = e->position().x();
  if (drag_ == Drag::pan) {
    double dt = (x - press_pos_.x()) / plot_width() * (press_t1_ - press_t0_);
    set_range(press_t0_ - dt, press_t1_ - dt);
  } else if (drag_ == Drag::select) {
    sel_b_ = t_of(x);
    update();
  }
  hover_ = x >= kLabelWidth ? t_of(x) : -1;
  QString track;
  for (auto& row : rows_)
    if (e->position().y() >= row.y && e->position().y() < row.y + row.h) track = QString::fromStdString(row.track->title);
  emit hoverChanged(hover_, track);
  update();
}

void TimelineView::mouseReleaseEvent(QMouseEvent* e) {
  bool click = (e->position().toPoint() - press_pos_).manhattanLength() < 4;
  Drag d = drag_;
  drag_ = Drag::none;
  if (d == Drag::none) return;
  if (click) {
    set_cursor(t_of(e->position().x()));
  } else if (d == Drag::select) {
    double a = std::min(sel_a_, sel_b_), b = std::max(sel_a_, sel_b_);
    if (std::abs(x_of(b) - x_of(a)) > 4) set_range(a, b);
  }
  update();
}

void TimelineView::wheelEvent(QWheelEvent* e) {
  QPoint d = e->angleDelta();
  double anchor = e->position().x() >= kLabelWidth ? t_of(e->position().x()) : (t0_ + t1_) / 2;
  if (d.x() != 0 || (e->modifiers() & Qt::ShiftModifier)) {
    int v = d.x() != 0 ? d.x() : d.y();
    pan(-v / 120.0 * 0.1);
  } else if (d.y() != 0) {
    zoom(std::pow(0.8, d.y() / 120.0), anchor);
  }
  e->accept();
}

double TimelineView::next_turn(double after, int dir) const {
  double best = NAN;
  for (auto& t : model_.turns) {
    if (dir > 0 && t.start_s > after + 1e-6 && (std::isnan(best) || t.start_s < best)) best = t.start_s;
    if (dir < 0 && t.start_s < after - 1e-6 && (std::isnan(best) || t.start_s > best)) best = t.start_s;
  }
  return best;
}

double TimelineView::next_marker(double after, int dir) const {
  double best = NAN;
  for (auto* list : {&model_.points, &model_.clinical, &model_.phases})
    for (auto& m : *list) {
      if (dir > 0 && m.onset_s > after + 1e-6 && (std::isnan(best) || m.onset_s < best)) best = m.onset_s;
      if (dir < 0 && m.onset_s < after - 1e-6 && (std::isnan(best) || m.onset_s > best)) best = m.onset_s;
    }
  return best;
}

void TimelineView::keyPressEvent(QKeyEvent* e) {
  const bool shift = e->modifiers() & Qt::ShiftModifier;
  const double anchor = cursor_ >= t0_ && cursor_ <= t1_ ? cursor_ : (t0_ + t1_) / 2;
  switch (e->key()) {
    case Qt::Key_Plus:
    case Qt::Key_Equal:
    case Qt::Key_Up: zoom(0.5, anchor); break;
    case Qt::Key_Minus:
    case Qt::Key_Down: zoom(2.0, anchor); break;
    case Qt::Key_Left: pan(shift ? -0.5 : -0.1); break;
    case Qt::Key_Right: pan(shift ? 0.5 : 0.1); break;
    case Qt::Key_PageUp: pan(-0.9); break;
    case Qt::Key_PageDown: pan(0.9); break;
    case Qt::Key_Home: set_range(0, t1_ - t0_); break;
    case Qt::Key_End: set_range(duration_ - (t1_ - t0_), duration_); break;
    case Qt::Key_F:
    case Qt::Key_0: fit(); break;
    case Qt::Key_Space: emit playToggled(); break;
    case Qt::Key_N:
    case Qt::Key_P: {
      double t = next_turn(cursor_, e->key() == Qt::Key_N ? 1 : -1);
      if (!std::isnan(t)) jump_to(t);
      break;
    }
    case Qt::Key_M: {
      double t = next_marker(cursor_, shift ? -1 : 1);
      if (!std::isnan(t)) jump_to(t);
      break;
    }
    case Qt::Key_Escape:
      drag_ = Drag::none;
      update();
      break;
    default: QWidget::keyPressEvent(e); return;
  }
  e->accept();
}

void TimelineView::leaveEvent(QEvent*) {
  hover_ = -1;
  update();
}

// ---------------------------------------------------------------------------------------------
OverviewStrip::OverviewStrip(const SessionModel& model, std::shared_ptr<const formats::Overview> overview, TimelineView* view,
                             QWidget* parent)
    : QWidget(parent), model_(model), overview_(std::move(overview)), view_(view) {
  setMinimumHeight(54);
  setMaximumHeight(70);
  connect(view_, &TimelineView::rangeChanged, this, [this] { update(); });
  connect(view_, &TimelineView::cursorChanged, this, [this] { update(); });
}

void OverviewStrip::resizeEvent(QResizeEvent*) { background_ = QImage(); }

void OverviewStrip::paintEvent(QPaintEvent*) {
  const int lw = TimelineView::kLabelWidth;
  const int w = std::max(1, width() - lw);
  const double dur = view_->duration_s();
  auto x_of = [&](double t) { return lw + t / dur * w; };
  if (background_.size() != size()) {
    background_ = QImage(size(), QImage::Format_ARGB32_Premultiplied);
    QPainter b(&background_);
    b.fillRect(rect(), QColor(250, 250, 252));
    b.fillRect(QRect(0, 0, lw, height()), QColor(225, 225, 230));
    for (auto& ph : model_.phases) {
      QColor c(200, 200, 210, 90);
      b.fillRect(QRectF(x_of(ph.onset_s), 0, std::max(1.0, ph.duration_s / dur * w), height()), c);
    }
    if (overview_) {
      // First two channels mirrored: the first above the middle line, the second below.
      int nch = std::min(2, overview_->channels());
      std::vector<formats::MinMax> cols(static_cast<std::size_t>(w));
      double per = static_cast<double>(overview_->frames()) / w;
      for (int c = 0; c < nch; ++c) {
        view_->waveform_columns(c, 0, static_cast<double>(overview_->frames()), cols);  // a short recording: from its samples
        float pk = 1e-6f;
        for (auto& m : cols)
          if (!std::isnan(m.max)) pk = std::max({pk, std::abs(m.min), std::abs(m.max)});
        std::string role = c < static_cast<int>(model_.channel_roles.size()) ? model_.channel_roles[static_cast<std::size_t>(c)] : "";
        b.setPen(role_colour(role));
        double mid = height() / 2.0, half = height() / 2.0 - 2;
        for (int x = 0; x < w; ++x) {
          const auto& m = cols[static_cast<std::size_t>(x)];
          if (std::isnan(m.max)) continue;
          float a = std::max(std::abs(m.min), std::abs(m.max)) / pk;
          if (nch == 1 || c == 0)
            b.drawLine(QPointF(lw + x + 0.5, mid), QPointF(lw + x + 0.5, mid - a * half));
          else
            b.drawLine(QPointF(lw + x + 0.5, mid), QPointF(lw + x + 0.5, mid + a * half));
        }
        (void)per;
      }
    }
    QFont f = font();
    f.setPointSizeF(8.5);
    f.setBold(true);
    b.setFont(f);
    b.setPen(QColor(40, 40, 45));
    b.drawText(QRect(8, 0, lw - 12, height() / 2), Qt::AlignLeft | Qt::AlignVCenter, "Whole session");
    f.setBold(false);
    f.setPointSizeF(7.5);
    b.setFont(f);
    b.setPen(QColor(90, 90, 95));
    b.drawText(QRect(8, height() / 2, lw - 12, height() / 2), Qt::AlignLeft | Qt::AlignTop,
               QString::fromStdString(format_clock(dur, 0, dur >= 3600) + "; drag to move"));
  }
  QPainter p(this);
  p.drawImage(0, 0, background_);
  double xa = x_of(view_->t0()), xb = x_of(view_->t1());
  QColor shade(0, 0, 0, 40);
  p.fillRect(QRectF(lw, 0, xa - lw, height()), shade);
  p.fillRect(QRectF(xb, 0, width() - xb, height()), shade);
  p.setPen(QPen(QColor(40, 90, 170), 2));
  p.drawRect(QRectF(xa, 1, std::max(2.0, xb - xa), height() - 2));
  double xc = x_of(view_->cursor_s());
  p.setPen(QColor(200, 20, 30));
  p.drawLine(QPointF(xc, 0), QPointF(xc, height()));
  p.setPen(QColor(180, 180, 185));
  p.drawLine(0, 0, width(), 0);
}

void OverviewStrip::centre_at(int x) {
  const int lw = TimelineView::kLabelWidth;
  double t = (x - lw) / static_cast<double>(std::max(1, width() - lw)) * view_->duration_s();
  double span = view_->t1() - view_->t0();
  view_->set_range(t - span / 2, t + span / 2);
}

void OverviewStrip::mousePressEvent(QMouseEvent* e) { centre_at(static_cast<int>(e->position().x())); }
void OverviewStrip::mouseMoveEvent(QMouseEvent* e) {
  if (e->buttons() & Qt::LeftButton) centre_at(static_cast<int>(e->position().x()));
}

}  // namespace dyad::viewer
