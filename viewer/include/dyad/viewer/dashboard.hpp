#pragma once
/// \file The summary dashboard: the session's headline numbers and its charts (Qt Charts), each
/// saying what it shows and in what unit. Built when first shown, so opening a session never
/// pays for it. GUI thread only.
#include <QScrollArea>
#include <memory>
#include <vector>

#include "dyad/viewer/charts.hpp"
#include "dyad/viewer/summary.hpp"

class QChartView;
class QLabel;

namespace dyad::viewer {

class Dashboard : public QScrollArea {
  Q_OBJECT
 public:
  /// The model must outlive the dashboard.
  explicit Dashboard(const SessionModel& model, QWidget* parent = nullptr);
  ~Dashboard() override;

  /// Reads the summary and builds the tiles and charts now (done on first show otherwise).
  void build();
  bool built() const noexcept { return summary_ != nullptr; }
  /// Rebuilds on the next show (after a note changed the markers).
  void invalidate();
  /// Valid after build().
  const SessionSummary& summary() const { return *summary_; }
  /// The chart with this ChartSpec id, or null.
  QChartView* chart_view(const QString& id) const;
  std::vector<QString> chart_ids() const;

 protected:
  void showEvent(QShowEvent* e) override;

 private:
  const SessionModel& model_;
  std::unique_ptr<SessionSummary> summary_;
  std::vector<std::pair<QString, QChartView*>> charts_;
};

}  // namespace dyad::viewer
