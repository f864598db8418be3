#pragma once
/// \file The one-page clinical report of a session (A4 portrait): who, when and what kind of
/// session; the whole session's timeline; the key numbers with what each means in a sentence;
/// the main summary charts. PDF through QPdfWriter (text and charts stay vector), PNG through
/// QImage. `dyad report` and the viewer's Report action both call write_report. GUI thread only
/// (a QApplication must exist; the offscreen platform is enough).
#include <QImage>
#include <filesystem>

#include "dyad/viewer/model.hpp"
#include "dyad/viewer/summary.hpp"

class QPainter;

namespace dyad::viewer {

/// The page in report units: 0.1 mm, A4 portrait.
constexpr int kReportWidth = 2100, kReportHeight = 2970;

/// Paints the page into `p`, whose window must be [0, kReportWidth] x [0, kReportHeight].
void paint_report(QPainter& p, const SessionModel& m, const SessionSummary& s);

/// The page as an image `dpi` dots per inch (150: 1240 x 1754 pixels).
QImage render_report_image(const SessionModel& m, const SessionSummary& s, int dpi = 150);

/// Writes the report to `out`: `.pdf` (A4, vector) or `.png` (150 dpi). Refuses to replace an
/// existing file unless `force` ("<out>: already exists; add --force to replace it"); writes a
/// temporary file beside it and renames it (0600, like every file of a session). Throws
/// std::runtime_error naming the file and what was expected.
void write_report(const SessionModel& m, const std::filesystem::path& out, bool force);

}  // namespace dyad::viewer
