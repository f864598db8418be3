#include "dyad/viewer/session_window.hpp"

#include <QLabel>
#include <QPainter>
#include <QVBoxLayout>
#include <algorithm>
#include <cmath>

#include "dyad/formats/audio.hpp"
#include "dyad/formats/text.hpp"

namespace dyad::viewer {

QColor role_colour(const std::string& role) {
  if (role == "A") return QColor(31, 119, 180);
  if (role == "B") return QColor(255, 127, 14);
  if (role == "therapist") return QColor(44, 160, 44);
  return QColor(127, 127, 127);
}

std::vector<MinMaxColumns> overview_columns(const formats::Session& s, int columns) {
  std::vector<MinMaxColumns> out;
  if (!s.audio || s.audio->frames == 0 || columns <= 0) return out;
  formats::AudioReader r(s.audio_path());
  const int ch = r.info().channels;
  out.assign(static_cast<std::size_t>(ch), {});
  for (auto& c : out) {
    c.min.assign(static_cast<std::size_t>(columns), 0.f);
    c.max.assign(static_cast<std::size_t>(columns), 0.f);
  }
  const double per_col = static_cast<double>(r.info().frames) / columns;
  std::vector<float> buf(static_cast<std::size_t>(65536 * ch));
  std::int64_t pos = 0;
  for (;;) {
    auto n = r.read(buf);
    if (n <= 0) break;
    for (std::int64_t f = 0; f < n; ++f) {
      auto col = static_cast<std::size_t>(std::min<double>(columns - 1, static_cast<double>(pos + f) / per_col));
      for (int c = 0; c < ch; ++c) {
        float v = buf[static_cast<std::size_t>(f * ch + c)];
        auto& mm = out[static_cast<std::size_t>(c)];
        mm.min[col] = std::min(mm.min[col], v);
        mm.max[col] = std::max(mm.max[col], v);
      }
    }
    pos += n;
  }
  return out;
}

WaveformLane::WaveformLane(MinMaxColumns data, QString label, QColor colour, QWidget* parent)
    : QWidget(parent), data_(std::move(data)), label_(std::move(label)), colour_(colour) {
  setMinimumHeight(80);
}

void WaveformLane::paintEvent(QPaintEvent*) {
  QPainter p(this);
  p.fillRect(rect(), QColor(250, 250, 250));
  const int w = width(), h = height();
  const double mid = h / 2.0;
  p.setPen(QColor(220, 220, 220));
  p.drawLine(0, static_cast<int>(mid), w, static_cast<int>(mid));
  const auto n = static_cast<int>(data_.min.size());
  if (n > 0) {
    float peak = 1e-6f;
    for (int i = 0; i < n; ++i) peak = std::max({peak, std::abs(data_.min[i]), std::abs(data_.max[i])});
    p.setPen(colour_);
    for (int x = 0; x < w; ++x) {
      int i = std::min(n - 1, x * n / std::max(1, w));
      int i2 = std::min(n - 1, std::max(i, (x + 1) * n / std::max(1, w) - 1));
      float lo = data_.min[i], hi = data_.max[i];
      for (int k = i; k <= i2; ++k) {
        lo = std::min(lo, data_.min[k]);
        hi = std::max(hi, data_.max[k]);
      }
      p.drawLine(x, static_cast<int>(mid - hi / peak * (mid - 4)), x, static_cast<int>(mid - lo / peak * (mid - 4)));
    }
  }
  p.setPen(Qt::black);
  p.drawText(6, 16, label_);
}

SessionWindow::SessionWindow(const formats::Session& s, QWidget* parent) : QMainWindow(parent) {
  const auto& m = s.manifest;
  setWindowTitle(QString::fromStdString("dyad — " + s.dir.filename().string()));
  auto* central = new QWidget(this);
  auto* layout = new QVBoxLayout(central);
  QString header = QString::fromStdString("<b>" + s.dir.filename().string() + "</b> &nbsp; couple " + m.couple_id +
                                          ", session " + std::to_string(m.session_number) + " (" + m.session_type +
                                          ") &nbsp; duration " + formats::format_fixed(s.duration_s(), 3) + " s");
  auto* title = new QLabel(header, central);
  layout->addWidget(title);
  QString channels;
  if (s.audio) {
    channels = QString::fromStdString(std::to_string(s.audio->channels) + " audio channel(s) at " +
                                      formats::format_number(s.audio->sample_rate_hz) + " Hz: ");
    for (auto& c : m.audio->channels) channels += QString::fromStdString(std::to_string(c.channel) + "=" + c.role + " ");
  } else {
    channels = "no audio (physiology only)";
  }
  channels += QString::fromStdString("; " + std::to_string(s.streams.size()) + " sensor stream(s); " +
                                     std::to_string(s.markers.size()) + " marker(s)");
  layout->addWidget(new QLabel(channels, central));
  auto cols = overview_columns(s, 2000);
  for (std::size_t c = 0; c < cols.size(); ++c) {
    std::string role = m.role_of_channel(static_cast<int>(c) + 1);
    layout->addWidget(new WaveformLane(cols[c], QString::fromStdString("channel " + std::to_string(c + 1) + " — " +
                                                                       (role.empty() ? "unmapped" : "partner " + role)),
                                       role_colour(role), central));
  }
  layout->addStretch(1);
  setCentralWidget(central);
  resize(1600, 900);
}

}  // namespace dyad::viewer
