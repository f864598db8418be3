#pragma once
/// \file The summary charts (Qt Charts), shared by the dashboard and the clinical report. Each
/// builder returns a new QChart (the caller owns it, or hands it to a QChartView) with a title,
/// axis titles with units and a legend naming the partners. GUI thread only.
#include <QString>
#include <functional>
#include <vector>

#include "dyad/viewer/summary.hpp"

class QChart;

namespace dyad::viewer {

struct ChartSpec {
  QString id;       ///< "share", "fto", "by_whom", "trend_share", "trend_f0", "trend_hr", "sync_hr", "sync_eda", "bp"
  QString caption;  ///< what it shows and in what unit, one or two sentences
  QString short_caption;  ///< the same in a line (the printed report, where the key numbers explain the measures)
  std::function<QChart*()> make;
};

/// Sizes of the charts' text for a target (screen, or the printed report).
struct ChartStyle {
  double title_pt = 10.5, label_pt = 8.5, legend_pt = 8.5;
  bool compact = false;  ///< smaller margins (the report)
};

/// The charts this session has data for, in dashboard order. The summary must outlive the specs.
std::vector<ChartSpec> summary_charts(const SessionSummary& s, ChartStyle style = {});

}  // namespace dyad::viewer
