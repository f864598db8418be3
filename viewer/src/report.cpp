#include "dyad/viewer/report.hpp"

#include <QApplication>
#include <QBuffer>
#include <QChart>
#include <QChartView>
#include <QGraphicsScene>
#include <QPageLayout>
#include <QPageSize>
#include <QPainter>
#include <QPdfWriter>
#include <algorithm>
#include <stdexcept>

#include "dyad/formats/error.hpp"
#include "dyad/formats/files.hpp"
#include "dyad/formats/manifest.hpp"
#include "dyad/formats/text.hpp"
#include "dyad/version.hpp"
#include "dyad/viewer/charts.hpp"
#include "dyad/viewer/timeline.hpp"

namespace dyad::viewer {

namespace fs = std::filesystem;

namespace {

constexpr double kPt = 3.5278;  // one typographic point in report units (0.1 mm)
constexpr double kMargin = 110;
const QColor kInk(29, 29, 34), kGrey(90, 90, 98), kRule(205, 205, 212);

QString q(const std::string& s) { return QString::fromStdString(s); }

QFont font(double pt, bool bold = false, bool italic = false) {
  QFont f = QApplication::font();
  f.setPixelSize(static_cast<int>(std::lround(pt * kPt)));
  f.setBold(bold);
  f.setItalic(italic);
  f.setHintingPreference(QFont::PreferNoHinting);  // same glyph shapes at every scale (PDF and PNG)
  return f;
}

/// Draws wrapped text in a box width and returns its height.
double text_block(QPainter& p, const QString& text, QRectF box, const QFont& f, const QColor& c, int flags = Qt::AlignLeft) {
  p.setFont(f);
  p.setPen(c);
  QRectF need = p.boundingRect(QRectF(box.left(), box.top(), box.width(), 1e5), flags | Qt::TextWordWrap, text);
  p.drawText(QRectF(box.left(), box.top(), box.width(), need.height()), flags | Qt::TextWordWrap, text);
  return need.height();
}

void section(QPainter& p, const QString& title, double x, double y, double w) {
  p.setFont(font(9.5, true));
  p.setPen(kInk);
  p.drawText(QRectF(x, y, w, 12 * kPt), Qt::AlignLeft | Qt::AlignVCenter, title);
  p.setPen(QPen(kRule, 2));
  p.drawLine(QPointF(x, y + 12 * kPt), QPointF(x + w, y + 12 * kPt));
}

/// The chart laid out at `box` / `scale` pixels and painted into box (vector in a PDF).
void draw_chart(QPainter& p, const ChartSpec& spec, const QRectF& box, double scale) {
  QChartView view(spec.make());
  view.setRenderHint(QPainter::Antialiasing);
  view.setFrameShape(QFrame::NoFrame);
  const QSize px(static_cast<int>(box.width() / scale), static_cast<int>(box.height() / scale));
  view.resize(px);
  view.setAttribute(Qt::WA_DontShowOnScreen);
  view.show();  // lays the chart out at its size
  QApplication::processEvents();
  view.chart()->setBackgroundVisible(false);
  p.save();
  p.setRenderHint(QPainter::Antialiasing);
  view.scene()->render(&p, box, QRectF(QPointF(0, 0), QSizeF(px)), Qt::IgnoreAspectRatio);
  p.restore();
}

/// The tracks worth printing: phases, entries, who spoke, heart rate, blood pressure.
std::vector<Track> report_tracks(const SessionModel& m) {
  std::vector<Track> out;
  bool beats = false;
  for (auto& se : m.series) beats = beats || se.id.rfind("beats:", 0) == 0;
  int bp = 0;
  for (auto t : m.default_tracks()) {
    bool keep = false;
    switch (t.kind) {
      case TrackKind::phases:
      case TrackKind::clinical:
      case TrackKind::markers:
        keep = true;
        t.height = 22;
        break;
      case TrackKind::speech:
        keep = true;
        t.height = 20;
        break;
      case TrackKind::series:
        // heart rate: the analysis' beats, else an hr stream
        keep = beats ? t.id.rfind("beats:", 0) == 0 : t.id.rfind("stream:", 0) == 0 && t.caption == "bpm";
        t.height = 32;
        break;
      case TrackKind::bp:
        keep = t.id != "bp:markers" && bp++ < 2;
        t.height = 34;
        break;
      default: break;
    }
    if (keep) out.push_back(t);
  }
  if (bp == 0)
    for (auto t : m.default_tracks())
      if (t.id == "bp:markers") {
        t.height = 34;
        out.push_back(t);
      }
  return out;
}

}  // namespace

void paint_report(QPainter& p, const SessionModel& m, const SessionSummary& s) {
  p.setRenderHint(QPainter::Antialiasing);
  p.setRenderHint(QPainter::TextAntialiasing);
  p.fillRect(QRectF(0, 0, kReportWidth, kReportHeight), Qt::white);
  const double x0 = kMargin, w = kReportWidth - 2 * kMargin;
  double y = kMargin;
  const auto& man = m.session.manifest;

  // --- who, when, what kind of session
  p.setFont(font(17, true));
  p.setPen(kInk);
  p.drawText(QRectF(x0, y, w, 22 * kPt), Qt::AlignLeft | Qt::AlignVCenter, "Session report");
  p.setFont(font(8, false));
  p.setPen(kGrey);
  std::string when = man.start_utc.empty() ? man.created : man.start_utc;
  std::string right = "session " + man.id + "\nfor the clinical record · pseudonymous ids only";
  p.drawText(QRectF(x0, y, w, 22 * kPt), Qt::AlignRight | Qt::AlignVCenter, q(right));
  y += 24 * kPt;
  std::string type = man.session_type.empty() ? "session" : man.session_type + " session";
  if (!type.empty()) type[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(type[0])));
  y += text_block(p, q(type + " " + std::to_string(man.session_number) + " of couple " + man.couple_id), QRectF(x0, y, w, 0),
                  font(12, true), kInk);
  std::string who;
  for (auto& pa : man.participants) who += (who.empty() ? "" : ", ") + role_name(pa.role) + " = " + pa.id;
  std::string date = when.size() >= 16 ? when.substr(0, 10) + " " + when.substr(11, 5) + " UTC" : when;
  std::string line = "Recorded " + date + "  ·  length " + format_clock(m.duration_s, 0, true) + "  ·  " + who;
  if (!m.session.streams.empty()) line += "  ·  " + std::to_string(m.session.streams.size()) + " sensor streams";
  y += 2 * kPt + text_block(p, q(line), QRectF(x0, y + 2 * kPt, w, 0), font(8.5), kInk);
  const bool analysed = m.analysed();  // a scan of features/: once
  if (!analysed)
    y += text_block(p, "Not analysed yet: run dyad analyze for the numbers and charts.", QRectF(x0, y + 2 * kPt, w, 0),
                    font(9, true), QColor(176, 0, 32)) + 2 * kPt;
  y += 6 * kPt;

  // --- the whole session
  section(p, "The whole session", x0, y, w);
  y += 15 * kPt;
  {
    TimelineView tl(m, nullptr);
    tl.set_tracks(report_tracks(m));
    int h = TimelineView::kAxisHeight + 2;
    for (auto& t : tl.tracks()) h += t.height;
    const double scale = 2.0;  // report units per widget pixel: the labels print at about 6 pt
    tl.setMinimumSize(0, 0);
    tl.resize(static_cast<int>(w / scale), h);
    tl.set_render_scale(scale * 1.27);  // ~320 dpi on paper
    tl.fit();
    const QImage& img = tl.render_tracks();
    QRectF box(x0, y, w, h * scale);
    p.drawImage(box, img);
    p.setPen(QPen(kRule, 2));
    p.drawRect(box);
    y += h * scale + 3 * kPt;
    y += text_block(p,
                    "Time runs left to right over the whole session. Bands: phases; diamonds: clinical entries (blood pressure, "
                    "ratings, notes); per partner, bars where they spoke and a light band while a turn was theirs; heart rate in beats "
                    "per minute; cuff blood pressure in mmHg.",
                    QRectF(x0, y, w, 0), font(7, false, true), kGrey);
  }
  y += 8 * kPt;

  // --- key numbers, each with what it means
  section(p, "Key numbers and what they mean", x0, y, w);
  y += 15 * kPt;
  const double name_w = w * 0.19, value_w = w * 0.28, gutter = 25, mean_x = x0 + name_w + value_w + gutter;
  for (auto& k : key_numbers(s)) {
    double hn = text_block(p, q(k.name), QRectF(x0, y, name_w - gutter, 0), font(8, true), kInk);
    double hv = text_block(p, q(k.value), QRectF(x0 + name_w, y, value_w, 0), font(8), kInk);
    double hm = text_block(p, q(k.meaning), QRectF(mean_x, y + 0.5 * kPt, x0 + w - mean_x, 0), font(6.5, false, true), kGrey);
    y += std::max({hn, hv, hm}) + 1.0 * kPt;
    p.setPen(QPen(QColor(232, 232, 236), 1.5));
    p.drawLine(QPointF(x0, y), QPointF(x0 + w, y));
    y += 1.0 * kPt;
  }
  y += 4 * kPt;

  // --- charts, three per row, as many rows as fit above the footer
  const double footer = kReportHeight - kMargin - 10 * kPt;
  auto specs = summary_charts(s, ChartStyle{14, 11.5, 11, true});
  std::vector<const ChartSpec*> order;
  for (const char* id : {"share", "fto", "by_whom", "sync_hr", "trend_hr", "bp", "trend_f0", "trend_share", "sync_eda"})
    for (auto& c : specs)
      if (c.id == id) order.push_back(&c);
  const double gap = 40, cw = (w - 2 * gap) / 3, ch = 400, caption_h = 2 * 8 * kPt;
  if (!order.empty() && y + 15 * kPt + ch + caption_h <= footer) {
    section(p, "Charts", x0, y, w);
    y += 15 * kPt;
  }
  for (std::size_t i = 0; i < order.size(); i += 3) {
    if (y + ch + caption_h > footer) break;
    double row_h = 0;
    for (std::size_t j = i; j < std::min(order.size(), i + 3); ++j) {
      const double x = x0 + static_cast<double>(j - i) * (cw + gap);
      draw_chart(p, *order[j], QRectF(x, y, cw, ch), 1.5);
      double hc = text_block(p, order[j]->short_caption, QRectF(x + 10, y + ch + 0.5 * kPt, cw - 20, 0), font(6.5, false, true), kGrey);
      row_h = std::max(row_h, ch + hc + 0.5 * kPt);
    }
    y += row_h + 6 * kPt;
  }

  // --- footer
  p.setPen(QPen(kRule, 2));
  p.drawLine(QPointF(x0, footer), QPointF(x0 + w, footer));
  p.setFont(font(7));
  p.setPen(kGrey);
  std::string now = formats::utc_now_iso8601().substr(0, 16);
  if (now.size() > 10) now[10] = ' ';
  std::string foot = "dyad " + std::string(kVersion) + " · generated " + now + " UTC from " + m.session.dir.filename().string() +
                     (analysed ? "/features" : " (not analysed)") + " · definitions in the dyad README · page 1 of 1";
  p.drawText(QRectF(x0, footer + 2 * kPt, w, 9 * kPt), Qt::AlignLeft | Qt::AlignVCenter, q(foot));
}

QImage render_report_image(const SessionModel& m, const SessionSummary& s, int dpi) {
  const int wpx = static_cast<int>(std::lround(kReportWidth / 254.0 * dpi)), hpx = static_cast<int>(std::lround(kReportHeight / 254.0 * dpi));
  QImage img(wpx, hpx, QImage::Format_RGB32);
  img.fill(Qt::white);
  img.setDotsPerMeterX(static_cast<int>(std::lround(dpi / 0.0254)));
  img.setDotsPerMeterY(static_cast<int>(std::lround(dpi / 0.0254)));
  QPainter p(&img);
  p.setWindow(0, 0, kReportWidth, kReportHeight);
  p.setViewport(0, 0, wpx, hpx);
  paint_report(p, m, s);
  p.end();
  return img;
}

void write_report(const SessionModel& m, const fs::path& out, bool force) {
  std::string ext = out.extension().string();
  for (auto& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (ext != ".pdf" && ext != ".png")
    throw std::runtime_error(out.string() + ": the report is written as .pdf or .png; found '" + out.extension().string() + "'");
  std::error_code ec;
  if (fs::exists(out, ec) && !force) throw std::runtime_error(out.string() + ": already exists; add --force to replace it");
  if (fs::is_directory(out, ec)) throw std::runtime_error(out.string() + ": is a folder; expected a file name ending in " + ext);
  const SessionSummary s = SessionSummary::load(m);
  QByteArray bytes;
  QBuffer buf(&bytes);
  buf.open(QIODevice::WriteOnly);
  if (ext == ".pdf") {
    QPdfWriter pdf(&buf);
    pdf.setPageLayout(QPageLayout(QPageSize(QPageSize::A4), QPageLayout::Portrait, QMarginsF(0, 0, 0, 0)));
    pdf.setResolution(600);
    pdf.setTitle(QString::fromStdString("dyad session report " + m.session.manifest.id));
    pdf.setCreator(QString("dyad ") + kVersion);
    QPainter p(&pdf);
    const QRect page = pdf.pageLayout().fullRectPixels(pdf.resolution());
    p.setViewport(page);
    p.setWindow(0, 0, kReportWidth, kReportHeight);
    paint_report(p, m, s);
    p.end();
  } else {
    QImage img = render_report_image(m, s, 150);
    if (!img.save(&buf, "PNG")) throw std::runtime_error(out.string() + ": the PNG could not be encoded");
  }
  buf.close();
  try {
    formats::write_file_atomic(out, std::string_view(bytes.constData(), static_cast<std::size_t>(bytes.size())));
  } catch (const std::exception& e) {
    throw std::runtime_error(e.what());
  }
}

}  // namespace dyad::viewer
