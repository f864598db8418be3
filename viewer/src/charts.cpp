#include "dyad/viewer/charts.hpp"

#include <QAreaSeries>
#include <QBarCategoryAxis>
#include <QBarSeries>
#include <QBarSet>
#include <QChart>
#include <QGraphicsLayout>
#include <QHorizontalBarSeries>
#include <QHorizontalPercentBarSeries>
#include <QLegend>
#include <QLegendMarker>
#include <QLineSeries>
#include <QScatterSeries>
#include <QValueAxis>
#include <algorithm>
#include <cmath>

#include "dyad/formats/text.hpp"
#include "dyad/viewer/timeline.hpp"

namespace dyad::viewer {

namespace {

QString q(const std::string& s) { return QString::fromStdString(s); }
QString fixed(double v, int d) { return q(formats::format_fixed(v, d)).replace(QLatin1Char('-'), QChar(0x2212)); }
QString who(const std::string& role) { return q(role_name(role)); }

/// Points on screen; for print (compact) pixels at 96 per inch, so the page does not depend on the
/// screen the viewer runs on.
void size_font(QFont& f, double pt, const ChartStyle& st) {
  if (st.compact)
    f.setPixelSize(static_cast<int>(std::lround(pt * 96 / 72)));
  else
    f.setPointSizeF(pt);
}

QChart* new_chart(const QString& title, const ChartStyle& st) {
  auto* c = new QChart;
  c->setTitle(title);
  QFont tf = c->titleFont();
  size_font(tf, st.title_pt, st);
  tf.setBold(true);
  c->setTitleFont(tf);
  c->setAnimationOptions(QChart::NoAnimation);
  c->setBackgroundRoundness(0);
  c->setDropShadowEnabled(false);
  c->setBackgroundBrush(Qt::white);
  c->setBackgroundPen(Qt::NoPen);
  c->setMargins(st.compact ? QMargins(2, 2, 2, 2) : QMargins(6, 4, 6, 4));
  c->layout()->setContentsMargins(0, 0, 0, 0);
  QFont lf = c->legend()->font();
  size_font(lf, st.legend_pt, st);
  c->legend()->setFont(lf);
  c->legend()->setAlignment(Qt::AlignBottom);
  return c;
}

QValueAxis* value_axis(const QString& title, double lo, double hi, const ChartStyle& st, const char* fmt = "%.0f") {
  auto* a = new QValueAxis;
  a->setTitleText(title);
  a->setRange(lo, hi);
  a->setLabelFormat(fmt);
  QFont f = a->labelsFont();
  size_font(f, st.label_pt, st);
  a->setLabelsFont(f);
  QFont tf = a->titleFont();
  size_font(tf, st.label_pt, st);
  tf.setBold(false);
  a->setTitleFont(tf);
  a->setGridLineColor(QColor(225, 225, 228));
  a->setMinorGridLineVisible(false);
  return a;
}

/// A nice axis range covering [lo, hi] with about `ticks` steps.
void nice_range(double& lo, double& hi, int ticks, QValueAxis* a) {
  if (!(hi > lo)) {
    lo -= 1;
    hi += 1;
  }
  double step = nice_value_step(hi - lo, ticks);
  lo = std::floor(lo / step) * step;
  hi = std::ceil(hi / step) * step;
  a->setRange(lo, hi);
  a->setTickType(QValueAxis::TicksDynamic);
  a->setTickAnchor(0);
  a->setTickInterval(step);
}

/// Time axis in minutes over the session.
QValueAxis* time_axis(double session_s, const ChartStyle& st) {
  double hi = std::max(session_s / 60, 0.1);
  auto* a = value_axis("time in session (min)", 0, hi, st);
  double lo = 0;
  nice_range(lo, hi, 6, a);
  a->setRange(0, std::max(session_s / 60, 0.1));
  a->setLabelFormat(hi < 5 ? "%.1f" : "%.0f");
  return a;
}

void attach(QChart* c, QAbstractSeries* s, QAbstractAxis* x, QAbstractAxis* y) {
  c->addSeries(s);
  s->attachAxis(x);
  s->attachAxis(y);
}

QColor alpha(QColor c, int a) {
  c.setAlpha(a);
  return c;
}

/// A line broken at NaN: one QLineSeries per run (the first carries the name for the legend).
void add_line(QChart* c, QAbstractAxis* x, QAbstractAxis* y, const std::vector<double>& t, const std::vector<double>& v,
              const QString& name, const QColor& colour, qreal width = 2, bool points = false) {
  QLineSeries* cur = nullptr;
  bool named = false;
  for (std::size_t i = 0; i < t.size() && i < v.size(); ++i) {
    if (std::isnan(v[i])) {
      cur = nullptr;
      continue;
    }
    if (!cur) {
      cur = new QLineSeries;
      cur->setPen(QPen(colour, width));
      cur->setPointsVisible(points);
      if (!named) cur->setName(name);
      attach(c, cur, x, y);
      if (named)
        for (auto* m : c->legend()->markers(cur)) m->setVisible(false);
      named = true;
    }
    cur->append(t[i], v[i]);
  }
}

void range_of(const std::vector<TrendLine>& lines, double& lo, double& hi) {
  lo = INFINITY;
  hi = -INFINITY;
  for (auto& l : lines)
    for (double v : l.v)
      if (!std::isnan(v)) {
        lo = std::min(lo, v);
        hi = std::max(hi, v);
      }
  if (!(lo <= hi)) lo = 0, hi = 1;
}

/// A dashed horizontal reference line (not in the legend).
void reference_line(QChart* c, QAbstractAxis* x, QAbstractAxis* y, double x0, double x1, double v) {
  auto* s = new QLineSeries;
  s->append(x0, v);
  s->append(x1, v);
  s->setPen(QPen(QColor(120, 120, 125), 1, Qt::DashLine));
  attach(c, s, x, y);
  for (auto* m : c->legend()->markers(s)) m->setVisible(false);
}

QChart* share_chart(const SessionSummary& s, const ChartStyle& st) {
  auto* c = new_chart("Speaking and floor share", st);
  auto* series = new QHorizontalPercentBarSeries;
  for (auto& p : s.partners) {
    auto* set = new QBarSet(who(p.role));
    // whole percent, rounded once from the fraction, as the table of key numbers shows them
    // (rounding to 0.1 first made 45.45 % read 46 here and 45 there)
    *set << std::round(100 * (std::isnan(p.floor_share) ? 0 : p.floor_share))
         << std::round(100 * (std::isnan(p.speaking_share) ? 0 : p.speaking_share));
    set->setColor(role_colour(p.role));
    set->setBorderColor(Qt::white);
    set->setLabelColor(Qt::white);
    QFont f = set->labelFont();
    size_font(f, st.label_pt + 0.5, st);
    f.setBold(true);
    set->setLabelFont(f);
    series->append(set);
  }
  series->setLabelsVisible(true);
  series->setLabelsFormat("@value %");
  series->setLabelsPosition(QAbstractBarSeries::LabelsCenter);
  series->setBarWidth(0.6);
  c->addSeries(series);
  auto* cats = new QBarCategoryAxis;
  cats->append({"floor time", "speaking time"});
  QFont f = cats->labelsFont();
  size_font(f, st.label_pt + 0.5, st);
  cats->setLabelsFont(f);
  c->addAxis(cats, Qt::AlignLeft);
  series->attachAxis(cats);
  auto* v = value_axis("share of the partners' time (%)", 0, 100, st);
  v->setTickCount(6);
  c->addAxis(v, Qt::AlignBottom);
  series->attachAxis(v);
  return c;
}

QChart* fto_chart(const SessionSummary& s, const ChartStyle& st) {
  auto* c = new_chart("Floor transfer offsets by direction", st);
  auto* x = value_axis("floor transfer offset (s): \u2190 overlap | gap \u2192", FtoHistogram::kLo, FtoHistogram::kHi, st, "%.1f");
  x->setTickType(QValueAxis::TicksDynamic);
  x->setTickAnchor(0);
  x->setTickInterval(0.5);
  int top = 1;
  for (auto& h : s.fto) top = std::max(top, *std::max_element(h.counts.begin(), h.counts.end()));
  double lo = 0, hi = top;
  auto* y = value_axis("turns", 0, top, st);
  c->addAxis(x, Qt::AlignBottom);
  c->addAxis(y, Qt::AlignLeft);
  nice_range(lo, hi, 4, y);
  for (auto& h : s.fto) {
    auto* upper = new QLineSeries;
    for (std::size_t i = 0; i < h.counts.size(); ++i) {
      upper->append(h.bin_start(i), h.counts[i]);
      upper->append(h.bin_start(i + 1), h.counts[i]);
    }
    auto* lower = new QLineSeries;
    lower->append(FtoHistogram::kLo, 0);
    lower->append(FtoHistogram::kHi, 0);
    auto* area = new QAreaSeries(upper, lower);
    QColor col = role_colour(h.to);
    area->setPen(QPen(col, 2));
    area->setBrush(alpha(col, 55));
    QString median = std::isnan(h.median_s) ? QString("n/a") : fixed(h.median_s, 2) + " s";
    area->setName(st.compact ? q(h.to + " after " + h.from)
                             : q(h.to + " after " + h.from + " (n = " + std::to_string(h.n) + ", median ") + median + ")");
    attach(c, area, x, y);
  }
  auto* zero = new QLineSeries;
  zero->append(0, 0);
  zero->append(0, hi);
  zero->setPen(QPen(QColor(90, 90, 95), 1, Qt::DashLine));
  attach(c, zero, x, y);
  for (auto* m : c->legend()->markers(zero)) m->setVisible(false);
  return c;
}

QChart* by_whom_chart(const SessionSummary& s, const ChartStyle& st) {
  auto* c = new_chart(st.compact ? "Overlaps and interruptions" : "Overlaps, interruptions and backchannels by partner", st);
  auto* series = new QHorizontalBarSeries;
  int top = 1;
  // Qt draws the first category at the bottom: they are listed bottom-up so they read top-down.
  for (const auto& p : s.partners) {
    auto* set = new QBarSet(who(p.role));
    *set << p.interrupted << p.backchannels_given << p.interruptions_successful << p.interruptions_made << p.overlaps_entered;
    top = std::max({top, p.overlaps_entered, p.interruptions_made, p.backchannels_given, p.interrupted});
    set->setColor(role_colour(p.role));
    set->setBorderColor(role_colour(p.role).darker(115));
    set->setLabelColor(QColor(40, 40, 45));
    QFont f = set->labelFont();
    size_font(f, st.label_pt, st);
    set->setLabelFont(f);
    series->append(set);
  }
  series->setLabelsVisible(true);
  series->setLabelsPosition(QAbstractBarSeries::LabelsOutsideEnd);
  series->setLabelsFormat("@value");
  series->setBarWidth(0.75);
  c->addSeries(series);
  auto* cats = new QBarCategoryAxis;
  if (st.compact)
    cats->append({"was interrupted", "backchannels", "\u2026took the floor", "interruptions", "overlaps entered"});
  else
    cats->append({"was interrupted", "backchannels given", "\u2026that took the floor", "interruptions made", "overlaps entered"});
  QFont f = cats->labelsFont();
  size_font(f, st.label_pt, st);
  cats->setLabelsFont(f);
  c->addAxis(cats, Qt::AlignLeft);
  series->attachAxis(cats);
  double lo = 0, hi = top * 1.18;
  auto* x = value_axis("count in the session", 0, hi, st);
  c->addAxis(x, Qt::AlignBottom);
  nice_range(lo, hi, 4, x);
  series->attachAxis(x);
  return c;
}

QChart* trend_chart(const SessionSummary& s, const std::vector<TrendLine>& lines, const QString& title, const QString& unit,
                    double reference, bool fixed_0_100, const ChartStyle& st, double min_span = 0) {
  auto* c = new_chart(title, st);
  auto* x = time_axis(s.session_s, st);
  double lo, hi;
  range_of(lines, lo, hi);
  if (fixed_0_100) lo = 0, hi = 100;
  // A small change must not fill the chart (heart rate 74-76 bpm drawn across the whole height
  // reads as a large swing): at least min_span, centred on the data.
  if (hi - lo < min_span) {
    const double mid = (lo + hi) / 2;
    lo = mid - min_span / 2;
    hi = mid + min_span / 2;
  }
  if (!std::isnan(reference)) lo = std::min(lo, reference), hi = std::max(hi, reference);
  auto* y = value_axis(unit, lo, hi, st, hi - lo < 5 ? "%.1f" : "%.0f");
  c->addAxis(x, Qt::AlignBottom);
  c->addAxis(y, Qt::AlignLeft);
  if (!fixed_0_100) nice_range(lo, hi, 4, y);
  else y->setTickCount(5);
  if (!std::isnan(reference)) reference_line(c, x, y, 0, s.session_s / 60, reference);
  for (auto& l : lines) {
    std::size_t n = std::count_if(l.v.begin(), l.v.end(), [](double v) { return !std::isnan(v); });
    add_line(c, x, y, l.t_min, l.v, who(l.role), role_colour(l.role), 2, n <= 40);
  }
  return c;
}

QChart* synchrony_chart(const SessionSummary& s, const SynchronyLine& l, const ChartStyle& st) {
  QString what = l.signal == "hr" ? "Heart-rate synchrony" : l.signal == "eda" ? "Skin-conductance (EDA) synchrony" : q(l.signal) + " synchrony";
  auto* c = new_chart(st.compact ? what : what + " through the session", st);
  auto* x = time_axis(s.session_s, st);
  auto* y = value_axis("|peak r| (0 \u2013 1)", 0, 1, st, "%.1f");
  y->setTickCount(6);
  c->addAxis(x, Qt::AlignBottom);
  c->addAxis(y, Qt::AlignLeft);
  if (!std::isnan(l.surrogate_p95)) {
    auto* upper = new QLineSeries;
    upper->append(0, l.surrogate_p95);
    upper->append(s.session_s / 60, l.surrogate_p95);
    auto* lower = new QLineSeries;
    lower->append(0, 0);
    lower->append(s.session_s / 60, 0);
    auto* band = new QAreaSeries(upper, lower);
    band->setBrush(QColor(200, 200, 205, 110));
    band->setPen(QPen(QColor(150, 150, 155), 1, Qt::DashLine));
    band->setName(st.compact ? QString("chance level") : "chance level (95 % of surrogates: " + fixed(l.surrogate_p95, 2) + ")");
    attach(c, band, x, y);
  }
  QString name = "|peak r| per window";
  if (!std::isnan(l.fraction_above) && !st.compact) name += " (" + fixed(100 * l.fraction_above, 0) + " % above chance)";
  add_line(c, x, y, l.t_min, l.abs_r, name, QColor(128, 60, 160), 1.5, false);
  return c;
}

QChart* bp_chart(const SessionSummary& s, const ChartStyle& st) {
  auto* c = new_chart("Blood-pressure readings", st);
  auto* x = time_axis(s.session_s, st);
  double lo = INFINITY, hi = -INFINITY;
  for (auto& b : s.bp) {
    if (!std::isnan(b.dia)) lo = std::min(lo, b.dia);
    if (!std::isnan(b.sys)) hi = std::max(hi, b.sys);
  }
  lo -= 5;
  hi += 5;
  auto* y = value_axis("mmHg", lo, hi, st);
  c->addAxis(x, Qt::AlignBottom);
  c->addAxis(y, Qt::AlignLeft);
  nice_range(lo, hi, 4, y);
  std::vector<std::string> roles;
  for (auto& b : s.bp)
    if (std::find(roles.begin(), roles.end(), b.role) == roles.end()) roles.push_back(b.role);
  for (auto& r : roles) {
    QColor col = r.empty() ? QColor(150, 30, 40) : role_colour(r);
    auto* sys = new QLineSeries;
    auto* dia = new QLineSeries;
    auto* sys_pts = new QScatterSeries;
    auto* dia_pts = new QScatterSeries;
    for (auto& b : s.bp)
      if (b.role == r) {
        sys->append(b.t_s / 60, b.sys);
        dia->append(b.t_s / 60, b.dia);
        sys_pts->append(b.t_s / 60, b.sys);
        dia_pts->append(b.t_s / 60, b.dia);
      }
    QString name = r.empty() ? "entries" : who(r);
    sys->setPen(QPen(col, 1.8));
    dia->setPen(QPen(col, 1.8, Qt::DashLine));
    sys->setName(st.compact ? name : name + " systolic");
    dia->setName(name + " diastolic");
    for (auto* p : {sys_pts, dia_pts}) {
      p->setMarkerSize(st.compact ? 6 : 8);
      p->setColor(col);
      p->setBorderColor(Qt::white);
    }
    dia_pts->setMarkerShape(QScatterSeries::MarkerShapeRectangle);
    for (auto* se : std::initializer_list<QAbstractSeries*>{sys, dia, sys_pts, dia_pts}) attach(c, se, x, y);
    for (auto* p : std::initializer_list<QAbstractSeries*>{sys_pts, dia_pts, st.compact ? dia : nullptr})
      if (p)
        for (auto* m : c->legend()->markers(p)) m->setVisible(false);
  }
  return c;
}

}  // namespace

std::vector<ChartSpec> summary_charts(const SessionSummary& s, ChartStyle st) {
  std::vector<ChartSpec> out;
  const bool talk = !s.partners.empty();
  if (talk)
    out.push_back({"share", "Each partner's part of the speaking time (all the time they spoke, overlaps counted for both) and of "
                            "the floor time (the time a turn was theirs), in percent.",
                   "Share of the speaking time and of the floor time, in %.", [&s, st] { return share_chart(s, st); }});
  if (!s.fto.empty())
    out.push_back({"fto",
                   "How quickly the floor changed hands, per direction: the new speaker's start minus the previous speaker's "
                   "end, in seconds (negative: they started while the other still talked; positive: a silent gap). Bins of 0.2 s; "
                   "offsets beyond \u00b12 s are counted in the outermost bins.",
                   "Floor transfer offsets per direction, in s (negative: the new speaker started in overlap).",
                   [&s, st] { return fto_chart(s, st); }});
  if (talk && s.turns > 0)
    out.push_back({"by_whom",
                   "Counts per partner: overlaps they entered, interruptions they made (started while the other was mid-utterance "
                   "and lasting over 1 s) and how many of those took the floor, backchannels they gave (overlaps under 1 s), and how "
                   "often they were interrupted.",
                   "Counts per partner over the session.", [&s, st] { return by_whom_chart(s, st); }});
  QString win = std::isnan(s.window_s) ? QString("windows") : fixed(s.window_s, 0) + " s windows";
  if (!s.speaking_share.empty())
    out.push_back({"trend_share",
                   "Each partner's share of the speaking time in " + win + " through the session, in percent (the dashed line "
                   "is an even split).",
                   "Each partner's share of the speaking time per window (" + win + "), in %.",
                   [&s, st] {
                     return trend_chart(s, s.speaking_share, "Speaking share through the session", "share of speaking (%)",
                                        s.partners.size() == 2 ? 50.0 : NAN, true, st);
                   }});
  if (!s.f0_rel_st.empty())
    out.push_back({"trend_f0",
                   "Mean voice pitch (F0) in " + win + " relative to each partner's own baseline, in semitones (0, dashed: "
                   "the baseline; +2 st is a clearly raised voice).",
                   "Mean F0 per window (" + win + ") minus the partner's baseline, in semitones.",
                   [&s, st] {
                     return trend_chart(s, s.f0_rel_st, "Voice pitch relative to baseline", "F0 \u2212 baseline (semitones)", 0.0,
                                        false, st);
                   }});
  if (!s.hr_bpm.empty())
    out.push_back({"trend_hr",
                   "Mean heart rate in beats per minute, in the physiology windows (5 min, moved by 1 min) through the session.",
                   "Heart rate per 5-minute window, in beats per minute.",
                   [&s, st] { return trend_chart(s, s.hr_bpm, "Heart rate through the session", "heart rate (bpm)", NAN, false, st, 20); }});
  for (auto& l : s.synchrony)
    out.push_back({"sync_" + q(l.signal),
                   QString(l.signal == "hr" ? "How closely the partners' heart rates" : "How closely the partners' skin conductance") +
                       " moved together: the largest correlation |r| (0 to 1) in each 30 s window with either partner leading by up "
                       "to 5 s. The grey band is what chance pairings of windows reach (95th percentile of surrogates); above it, "
                       "the partners were more in step than chance.",
                   "Largest |r| per 30 s window (0\u20131); above the grey band: more in step than chance.",
                   [&s, &l, st] { return synchrony_chart(s, l, st); }});
  if (!s.bp.empty())
    out.push_back({"bp", "Cuff blood-pressure readings through the session, systolic (solid) and diastolic (dashed) in mmHg.",
                   "Systolic (solid) and diastolic (dashed) readings, in mmHg.", [&s, st] { return bp_chart(s, st); }});
  return out;
}

}  // namespace dyad::viewer
