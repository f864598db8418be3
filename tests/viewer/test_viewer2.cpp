// Viewer part 2 offscreen: the turn list, the dashboard's numbers, notes into markers.tsv, the
// clinical report, the course of treatment.
#include <gtest/gtest.h>

#include <QAbstractBarSeries>
#include <QApplication>
#include <QAreaSeries>
#include <QBarSet>
#include <QChart>
#include <QChartView>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QImage>
#include <QLabel>
#include <QLineEdit>
#include <QLineSeries>
#include <QTableView>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "dyad/analysis/analyze.hpp"
#include "dyad/analysis/simulate.hpp"
#include "dyad/formats/files.hpp"
#include "dyad/formats/manifest.hpp"
#include "dyad/viewer/course.hpp"
#include "dyad/viewer/dashboard.hpp"
#include "dyad/viewer/notes.hpp"
#include "dyad/viewer/report.hpp"
#include "dyad/viewer/session_window.hpp"
#include "dyad/viewer/summary.hpp"
#include "dyad/viewer/turn_list.hpp"
#include "fake_session.hpp"
#include "qt_app.hpp"
#include "test_util.hpp"

namespace fs = std::filesystem;
using namespace dyad::viewer;

namespace {
QApplication& app() { return dyad::test::qt_app(); }

void write(const fs::path& p, const std::string& text) {
  std::ofstream f(p, std::ios::binary);
  f << text;
}

/// A 40 s fake session whose features/ hold hand-written tables with known numbers: six turns,
/// events with known entrants, two windows, physiology windows, synchrony, blood pressure and a
/// summary.json.
fs::path known_session(const fs::path& dir) {
  dyad::test::FakeSessionOptions o;
  o.duration_s = 40;
  o.streams = false;
  dyad::test::write_fake_session(dir, o);
  const fs::path f = dir / "features";
  write(f / "turns.tsv",
        "turn\trole\tstart_s\tend_s\tfto_s\tduration_s\tprev_role\tf0_st_mean_rel\tintensity_db_mean_rel\thr_bpm\thr_change_bpm\t"
        "listener_hr_change_bpm\n"
        "1\tA\t1\t5\tn/a\t4\tn/a\t1.5\t-2\t70\tn/a\tn/a\n"
        "2\tB\t5.4\t9\t0.4\t3.6\tA\t-0.5\t1\t80\t2.5\t-1\n"
        "3\tA\t8.5\t15\t-0.5\t6.5\tB\t2\tn/a\t71\t-1\t0.5\n"
        "4\tB\t15.2\t16\t0.2\t0.8\tA\tn/a\t3\t81\t4\tn/a\n"
        "5\tA\t17.5\t30\t1.5\t12.5\tB\t0\t-1\t72\t0\t1\n"
        "6\tB\t29\t33\t-1\t4\tA\t3.5\t0.5\tn/a\tn/a\tn/a\n");
  write(f / "events.tsv",
        "type\tstart_s\tend_s\tfrom_role\tto_role\tsuccessful\n"
        "gap\t5\t5.4\tA\tB\tn/a\n"
        "overlap_between\t8.5\t9\tB\tA\tn/a\n"
        "gap\t15\t15.2\tA\tB\tn/a\n"
        "gap\t16\t17.5\tB\tA\tn/a\n"
        "backchannel\t20\t20.5\tA\tB\tn/a\n"
        "overlap_within\t20\t20.5\tA\tB\tn/a\n"
        "interruption\t24\t25.5\tA\tB\t0\n"
        "overlap_within\t24\t25.5\tA\tB\tn/a\n"
        "interruption\t29\t30\tA\tB\t1\n"
        "overlap_between\t29\t30\tA\tB\tn/a\n");
  write(f / "windows.tsv",
        "window\tstart_s\tend_s\tspeaking_s_A\tspeaking_s_B\tf0_st_mean_A\tf0_st_mean_B\n"
        "1\t0\t20\t10\t5\t30\t35\n"
        "2\t20\t40\t6\t6\t31.5\tn/a\n");
  write(f / "physio_windows.tsv",
        "window\tstart_s\tend_s\trole\thr_bpm\trmssd_ms\n"
        "1\t0\t40\tA\t71.5\t30\n"
        "1\t0\t40\tB\t80.5\tn/a\n");
  write(f / "synchrony.tsv",
        "signal\tstart_s\tend_s\tpeak_r\tlag_s\tsurrogate_p95\tabove_surrogate\n"
        "hr\t0\t30\t0.2\t1\t0.7\t0\n"
        "hr\t5\t35\t-0.9\t-2\t0.7\t1\n"
        "hr\t10\t40\t0.5\t0\t0.7\t0\n"
        "hr\t10\t40\tn/a\tn/a\t0.7\tn/a\n");
  write(f / "bp_events.tsv",
        "time_s\trole\tsource\tsystolic_mmHg\tdiastolic_mmHg\tmean_mmHg\tflagged\n"
        "10\tA\tbp_A\t120\t80\t93.3\t0\n"
        "10.5\tn/a\tmarker\t120\t80\t93.3\t0\n"
        "30\tn/a\tmarker\t130\t85\t100\t0\n");
  nlohmann::json j = {
      {"dyad", {{"analysed_s", 40}, {"floor_changes", 5}}},
      {"partners",
       {{"A", {{"speaking_s", 16}, {"speaking_share", 0.6}, {"floor_share", 0.55}}},
        {"B", {{"speaking_s", 11}, {"speaking_share", 0.4}, {"floor_share", 0.45}}}}},
      {"extensions",
       {{"prosody", {{"partners", {{"A", {{"baseline_f0_st", 29}, {"f0_hz_median", 120}}}, {"B", {{"baseline_f0_st", 34}, {"f0_hz_median", 210}}}}}}},
        {"physiology",
         {{"roles", {{"A", {{"hr_bpm", 71.5}, {"hrv", {{"rmssd_ms", 30}}}, {"scr_per_min", 2}}}}},
          {"synchrony", {{"hr", {{"fraction_above_surrogate", 0.25}, {"mean_abs_peak_r", 0.5}}}}}}}}}};
  write(f / "summary.json", j.dump(2));
  return dir;
}

/// Every file under a folder with its bytes.
std::map<std::string, std::string> snapshot(const fs::path& dir) {
  std::map<std::string, std::string> out;
  for (auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file()) out[fs::relative(e.path(), dir).string()] = dyad::formats::read_file(e.path());
  return out;
}

std::vector<int> column_turns(const TurnTableModel& m) {
  std::vector<int> v;
  for (int r = 0; r < m.rowCount(); ++r) v.push_back(m.turn_at(r).number);
  return v;
}

/// Distinct colours on a grid of an image: a blank page has one.
std::size_t colours(const QImage& img) {
  std::set<QRgb> c;
  for (int y = 0; y < img.height(); y += 4)
    for (int x = 0; x < img.width(); x += 4) c.insert(img.pixel(x, y));
  return c.size();
}

int count_near(const QImage& img, QColor c) {
  int n = 0;
  for (int y = 0; y < img.height(); y += 2)
    for (int x = 0; x < img.width(); x += 2) {
      QColor p = img.pixelColor(x, y);
      if (std::abs(p.red() - c.red()) < 12 && std::abs(p.green() - c.green()) < 12 && std::abs(p.blue() - c.blue()) < 12) ++n;
    }
  return n;
}
}  // namespace

// ---------------------------------------------------------------------------------------------
TEST(TurnList, ShowsTheTurnsColumnsAndSortsWithMissingValuesLast) {
  app();
  dyad::test::TempDir d;
  auto m = SessionModel::load(dyad::formats::Session::open(known_session(d / "s")));
  ASSERT_EQ(m.turns.size(), 6u);
  TurnTableModel t(m);
  ASSERT_EQ(t.rowCount(), 6);
  ASSERT_EQ(t.columnCount(), 8);
  auto text = [&](int r, int c) { return t.data(t.index(r, c), Qt::DisplayRole).toString().toStdString(); };
  EXPECT_EQ(text(1, TurnTableModel::speaker), "B");
  EXPECT_EQ(text(1, TurnTableModel::start), "0:05.4");
  EXPECT_EQ(text(1, TurnTableModel::duration), "3.6");
  EXPECT_EQ(text(1, TurnTableModel::fto), "+0.40");
  EXPECT_EQ(text(2, TurnTableModel::fto), "\u22120.50");
  EXPECT_EQ(text(0, TurnTableModel::fto), "\u2013");  // the first turn has none
  EXPECT_EQ(text(0, TurnTableModel::f0_rel), "+1.5");
  EXPECT_EQ(text(1, TurnTableModel::intensity_rel), "+1.0");
  EXPECT_EQ(text(3, TurnTableModel::hr_change), "+4.0");
  EXPECT_EQ(t.data(t.index(2, TurnTableModel::fto), Qt::UserRole).toDouble(), -0.5);
  EXPECT_EQ(t.data(t.index(4, TurnTableModel::number), TurnTableModel::kTurnIndexRole).toInt(), 4);
  EXPECT_TRUE(t.has_column(TurnTableModel::hr_change));

  t.sort(TurnTableModel::fto, Qt::AscendingOrder);
  EXPECT_EQ(column_turns(t), (std::vector<int>{6, 3, 4, 2, 5, 1}));
  t.sort(TurnTableModel::fto, Qt::DescendingOrder);
  EXPECT_EQ(column_turns(t), (std::vector<int>{5, 2, 4, 3, 6, 1}));  // n/a stays last
  t.sort(TurnTableModel::speaker, Qt::AscendingOrder);
  EXPECT_EQ(column_turns(t), (std::vector<int>{1, 3, 5, 2, 4, 6}));  // ties by turn number
  t.sort(TurnTableModel::f0_rel, Qt::AscendingOrder);
  EXPECT_EQ(column_turns(t), (std::vector<int>{2, 5, 1, 3, 6, 4}));
  t.sort(TurnTableModel::duration, Qt::DescendingOrder);
  EXPECT_EQ(column_turns(t), (std::vector<int>{5, 3, 1, 6, 2, 4}));
  EXPECT_EQ(t.row_of_turn(4), 0);  // turn 5 (index 4) is first now

  // A session whose turns lack the prosody and physiology columns hides them.
  dyad::test::TempDir e;
  dyad::test::FakeSessionOptions o;
  o.duration_s = 30;
  o.streams = false;
  dyad::test::write_fake_session(e / "s", o);
  auto m2 = SessionModel::load(dyad::formats::Session::open(e / "s"));
  TurnTableModel t2(m2);
  EXPECT_FALSE(t2.has_column(TurnTableModel::f0_rel));
  EXPECT_FALSE(t2.has_column(TurnTableModel::hr_change));
  TurnListView v(&t2);
  EXPECT_TRUE(v.isColumnHidden(TurnTableModel::f0_rel));
  EXPECT_FALSE(v.isColumnHidden(TurnTableModel::fto));
  // prev_role derived from the previous turn when the column is absent
  EXPECT_EQ(m2.turns[1].prev_role, m2.turns[0].role);
}

TEST(TurnList, ChoosingATurnJumpsToItAndTheListFollowsTheCursor) {
  app();
  dyad::test::TempDir d;
  known_session(d / "s");
  SessionWindow w(dyad::formats::Session::open(d / "s"), {"", true, false});
  w.resize(1400, 800);
  w.show();
  QApplication::processEvents();
  auto* list = w.turn_list();
  ASSERT_TRUE(list);
  std::vector<int> chosen;
  QObject::connect(list, &TurnListView::turnActivated, [&](int i) { chosen.push_back(i); });
  // a click on row 3 (turn 4: B from 15.2 to 16 s)
  list->selectionModel()->setCurrentIndex(list->model()->index(3, 0), QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
  ASSERT_EQ(chosen, std::vector<int>{3});
  EXPECT_DOUBLE_EQ(w.timeline()->cursor_s(), 15.2);
  EXPECT_LE(w.timeline()->t0(), 15.2);
  EXPECT_GE(w.timeline()->t1(), 16.0);
  EXPECT_LT(w.timeline()->t1() - w.timeline()->t0(), 10);  // zoomed to the turn with context
  EXPECT_FALSE(w.playing());  // play_turns off in this test
  // the timeline's cursor moves into turn 5: the list follows without playing anything
  w.timeline()->set_cursor(20);
  EXPECT_EQ(list->turns()->turn_index_at(list->currentIndex().row()), 4);
  EXPECT_EQ(chosen.size(), 1u);
}

// ---------------------------------------------------------------------------------------------
TEST(Dashboard, NumbersMatchTheKnownFeatures) {
  app();
  dyad::test::TempDir d;
  auto m = SessionModel::load(dyad::formats::Session::open(known_session(d / "s")));
  auto s = SessionSummary::load(m);
  EXPECT_TRUE(s.warnings.empty()) << s.warnings.front();
  EXPECT_TRUE(s.has_summary_json);
  EXPECT_EQ(s.analysed_s, 40);
  EXPECT_EQ(s.turns, 6);
  ASSERT_EQ(s.partners.size(), 2u);
  const PartnerSummary &a = *s.partner("A"), &b = *s.partner("B");
  EXPECT_EQ(a.speaking_share, 0.6);
  EXPECT_EQ(b.floor_share, 0.45);
  EXPECT_EQ(a.turns, 3);
  EXPECT_EQ(a.overlaps_entered, 1);
  EXPECT_EQ(a.interruptions_made, 0);
  EXPECT_EQ(a.interrupted, 2);
  EXPECT_EQ(b.overlaps_entered, 3);
  EXPECT_EQ(b.interruptions_made, 2);
  EXPECT_EQ(b.interruptions_successful, 1);
  EXPECT_EQ(b.backchannels_given, 1);
  EXPECT_EQ(s.interruptions, 2);
  EXPECT_EQ(s.interruptions_successful, 1);
  EXPECT_EQ(s.gaps, 3);
  EXPECT_EQ(a.hr_bpm, 71.5);
  EXPECT_EQ(a.rmssd_ms, 30);
  EXPECT_TRUE(std::isnan(b.hr_bpm));
  EXPECT_EQ(b.f0_hz_median, 210);
  // floor transfer offsets: B after A (turns 2, 4, 6), A after B (turns 3, 5)
  ASSERT_EQ(s.fto.size(), 2u);
  const FtoHistogram* ab = s.direction("A", "B");
  ASSERT_TRUE(ab);
  EXPECT_EQ(ab->n, 3);
  EXPECT_DOUBLE_EQ(ab->median_s, 0.2);
  EXPECT_EQ(ab->counts[12], 1);  // 0.4 s: [0.4, 0.6)
  EXPECT_EQ(ab->counts[11], 1);  // 0.2 s
  EXPECT_EQ(ab->counts[5], 1);   // -1.0 s
  EXPECT_DOUBLE_EQ(s.direction("B", "A")->median_s, 0.5);
  EXPECT_EQ(s.direction("B", "A")->counts[17], 1);  // 1.5 s
  // windows: speaking share and F0 relative to the baseline
  ASSERT_EQ(s.speaking_share.size(), 2u);
  EXPECT_NEAR(s.speaking_share[0].v[0], 100.0 * 10 / 15, 1e-9);
  EXPECT_NEAR(s.speaking_share[1].v[1], 50, 1e-9);
  EXPECT_NEAR(s.speaking_share[0].t_min[1], 0.5, 1e-12);
  ASSERT_EQ(s.f0_rel_st.size(), 2u);
  EXPECT_DOUBLE_EQ(s.f0_rel_st[0].v[1], 2.5);
  EXPECT_DOUBLE_EQ(s.f0_rel_st[1].v[0], 1);
  EXPECT_TRUE(std::isnan(s.f0_rel_st[1].v[1]));
  ASSERT_EQ(s.hr_bpm.size(), 2u);
  EXPECT_EQ(s.hr_bpm[1].v[0], 80.5);
  // synchrony: |peak r| against the surrogate level; summary.json's fraction
  ASSERT_EQ(s.synchrony.size(), 1u);
  EXPECT_EQ(s.synchrony[0].abs_r[1], 0.9);
  EXPECT_EQ(s.synchrony[0].surrogate_p95, 0.7);
  EXPECT_EQ(s.synchrony[0].fraction_above, 0.25);
  // blood pressure: the entry repeating the stream's reading is shown once
  ASSERT_EQ(s.bp.size(), 2u);
  EXPECT_EQ(s.bp[0].role, "A");
  EXPECT_EQ(s.bp[1].sys, 130);
  // headline numbers
  auto keys = key_numbers(s);
  auto value = [&](const std::string& name) {
    for (auto& k : keys)
      if (k.name == name) return k.value;
    return std::string("(absent)");
  };
  EXPECT_EQ(value("Speaking share"), "A 60 %  \u00b7  B 40 %");
  EXPECT_EQ(value("Median floor transfer offset"), "A\u2192B +0.20 s  \u00b7  B\u2192A +0.50 s");
  EXPECT_EQ(value("Interruptions made"), "A 0 (0 took the floor)  \u00b7  B 2 (1 took the floor)");
  EXPECT_EQ(value("Blood pressure"), "2 readings, highest 130/85 mmHg");
  for (auto& k : keys) EXPECT_FALSE(k.meaning.empty()) << k.name;

  // The dashboard's charts show these numbers, each with a title, axis units and a caption.
  Dashboard dash(m);
  EXPECT_FALSE(dash.built());
  dash.resize(1200, 900);
  dash.show();  // built when first shown
  QApplication::processEvents();
  ASSERT_TRUE(dash.built());
  std::vector<QString> ids = dash.chart_ids();
  for (const char* id : {"share", "fto", "by_whom", "trend_share", "trend_f0", "trend_hr", "sync_hr", "bp"})
    EXPECT_NE(std::find(ids.begin(), ids.end(), QString(id)), ids.end()) << id;
  QChart* bw = dash.chart_view("by_whom")->chart();
  auto* bars = qobject_cast<QAbstractBarSeries*>(bw->series().at(0));
  ASSERT_TRUE(bars);
  ASSERT_EQ(bars->count(), 2);
  // categories bottom-up: was interrupted, backchannels, took the floor, interruptions, overlaps entered
  EXPECT_EQ(bars->barSets()[1]->label(), "Partner B");
  EXPECT_EQ(bars->barSets()[1]->at(4), 3);
  EXPECT_EQ(bars->barSets()[1]->at(3), 2);
  EXPECT_EQ(bars->barSets()[1]->at(2), 1);
  EXPECT_EQ(bars->barSets()[1]->at(1), 1);
  EXPECT_EQ(bars->barSets()[0]->at(0), 2);
  QChart* fto = dash.chart_view("fto")->chart();
  QStringList names;
  for (auto* se : fto->series())
    if (!se->name().isEmpty()) names << se->name();
  EXPECT_TRUE(names.contains("B after A (n = 3, median 0.20 s)")) << names.join(" | ").toStdString();
  for (auto& id : ids) {
    QChart* c = dash.chart_view(id)->chart();
    EXPECT_FALSE(c->title().isEmpty()) << id.toStdString();
    for (auto* ax : c->axes()) EXPECT_TRUE(!ax->titleText().isEmpty() || ax->orientation() == Qt::Vertical) << id.toStdString();
  }
  QImage img = dash.grab().toImage();
  EXPECT_GT(colours(img), 50u);
  EXPECT_GT(count_near(img, role_colour("B")), 200);
}

TEST(Dashboard, CountsFromEventsAgreeWithTheAnalysisSummary) {
  // A real simulated session analysed by dyad analyze: what the dashboard counts from events.tsv
  // and turns.tsv must be what summary.json says.
  app();
  dyad::test::TempDir d;
  dyad::analysis::SimulationConfig c;
  c.duration_s = 90;
  c.rate_hz = 16000;
  c.seed = 7;
  dyad::analysis::simulate_session(d / "s", c);
  dyad::analysis::analyze_session(d / "s", {});
  auto m = SessionModel::load(dyad::formats::Session::open(d / "s"));
  ASSERT_TRUE(m.warnings.empty()) << m.warnings.front();
  auto s = SessionSummary::load(m);
  ASSERT_TRUE(s.has_summary_json);
  auto j = nlohmann::json::parse(dyad::formats::read_file(d / "s" / "features" / "summary.json"));
  for (auto& p : s.partners) {
    const auto& pj = j["partners"][p.role];
    EXPECT_EQ(p.overlaps_entered, pj["overlaps_between_entered"].get<int>() + pj["overlaps_within_entered"].get<int>()) << p.role;
    EXPECT_EQ(p.interruptions_made, pj["interruptions_made"].get<int>()) << p.role;
    EXPECT_EQ(p.interruptions_successful, pj["interruptions_made_successful"].get<int>()) << p.role;
    EXPECT_EQ(p.interrupted, pj["interrupted"].get<int>()) << p.role;
    EXPECT_EQ(p.backchannels_given, pj["backchannels_given"].get<int>()) << p.role;
    EXPECT_EQ(p.turns, pj["turns"].get<int>()) << p.role;
  }
  ASSERT_FALSE(s.fto.empty());
  for (auto& h : s.fto) {
    const auto& dj = j["dyad"]["fto_by_direction"][h.from + ">" + h.to];
    EXPECT_EQ(h.n, dj["count"].get<int>());
    EXPECT_NEAR(h.median_s, dj["median_s"].get<double>(), 1e-9);
    int sum = 0;
    for (int n : h.counts) sum += n;
    EXPECT_EQ(sum, h.n);
  }
  EXPECT_FALSE(s.speaking_share.empty());
  EXPECT_FALSE(s.hr_bpm.empty());
  EXPECT_FALSE(s.synchrony.empty());
  // the report of a real session renders
  dyad::test::TempDir r;
  write_report(m, r / "report.png", false);
  QImage img(QString::fromStdString((r / "report.png").string()));
  ASSERT_FALSE(img.isNull());
  EXPECT_GT(colours(img), 100u);
}

// ---------------------------------------------------------------------------------------------
TEST(Notes, FieldsFollowTheRecordersRules) {
  auto bp = make_note(NoteKind::clinical, 12.5, 0, "BP", " 120/80 ", 40);
  ASSERT_TRUE(bp.marker) << bp.error;
  EXPECT_EQ(bp.marker->label, "bp");
  EXPECT_EQ(bp.marker->value, "120/80");
  EXPECT_EQ(bp.marker->source, "viewer");
  EXPECT_EQ(bp.marker->onset_s, 12.5);
  EXPECT_EQ(make_note(NoteKind::clinical, 1, 0, "bp", "120", 40).error,
            "bp expects SYSTOLIC/DIASTOLIC in mmHg, e.g. 'bp 120/80'; got '120'");
  EXPECT_EQ(make_note(NoteKind::clinical, 1, 0, "cadss", "high", 40).error, "cadss expects a number, e.g. 'cadss 12'; got 'high'");
  EXPECT_EQ(make_note(NoteKind::clinical, 1, 0, "cadss", "12", 40).marker->value, "12");
  EXPECT_EQ(make_note(NoteKind::marker, 1, 0, "", "  ", 40).error, "a marker needs a label, e.g. 'door knock' or 'baseline'");
  auto phase = make_note(NoteKind::marker, 30, 25, "", "integration talk", 40);
  EXPECT_EQ(phase.marker->duration_s, 10);  // clipped to the session's end
  EXPECT_EQ(make_note(NoteKind::note, 1, 0, "", "", 40).error, "a note needs text");
  auto note = make_note(NoteKind::note, 1, 0, "", "tearful\tthen\nlaughs", 40);
  EXPECT_EQ(note.marker->label, "note");
  EXPECT_EQ(note.marker->value, "tearful then laughs");
  EXPECT_EQ(make_note(NoteKind::note, 41, 0, "", "x", 40).error, "the time must lie inside the session (0 to 0:40.0)");
  EXPECT_EQ(parse_clock("1:02:03.5"), 3723.5);
  EXPECT_EQ(parse_clock("2:03"), 123);
  EXPECT_EQ(parse_clock(" 75.25 "), 75.25);
  EXPECT_FALSE(parse_clock("1:75"));
  EXPECT_FALSE(parse_clock("1.5:00"));
  EXPECT_FALSE(parse_clock("abc"));
  EXPECT_FALSE(parse_clock("-3"));
}

TEST(Notes, TheDialogShowsWhyAndKeepsTheFields) {
  app();
  NoteDialog d(65.25, 120);
  EXPECT_EQ(d.time_edit()->text(), "1:05.3");
  d.set_kind(NoteKind::clinical);
  d.clinical_label()->setCurrentText("bp");
  d.text_edit()->setText("120/8");
  d.try_accept();
  EXPECT_FALSE(d.marker());
  EXPECT_FALSE(d.error_label()->isHidden());
  EXPECT_EQ(d.error_label()->text(), "bp expects SYSTOLIC/DIASTOLIC in mmHg, e.g. 'bp 120/80'; got '120/8'");
  d.text_edit()->setText("120/80");
  d.time_edit()->setText("1:00");
  d.try_accept();
  ASSERT_TRUE(d.marker());
  EXPECT_EQ(d.result(), QDialog::Accepted);
  EXPECT_EQ(d.marker()->onset_s, 60);
  EXPECT_EQ(d.marker()->value, "120/80");
}

TEST(Notes, ANoteLandsInMarkersTsvAndNothingElseChanges) {
  app();
  dyad::test::TempDir d;
  known_session(d / "s");
  const fs::path s = d / "s";
  SessionWindow w(dyad::formats::Session::open(s), {"", true, false});
  w.resize(1200, 800);
  w.show();
  QApplication::processEvents();
  auto before = snapshot(s);  // after opening: the overview cache exists
  const std::string markers_before = before.at("markers.tsv");
  const std::size_t clinical_before = w.model().clinical.size();
  w.timeline()->set_cursor(12.5);
  auto note = make_note(NoteKind::note, w.timeline()->cursor_s(), 0, "", "felt dizzy", w.model().duration_s);
  ASSERT_EQ(w.add_marker(*note.marker), "");
  auto bp = make_note(NoteKind::clinical, 13, 0, "bp", "141/92", w.model().duration_s);
  ASSERT_EQ(w.add_marker(*bp.marker), "");
  auto after = snapshot(s);
  // markers.tsv: every old byte, then the two rows
  const std::string& m = after.at("markers.tsv");
  ASSERT_EQ(m.substr(0, markers_before.size()), markers_before);
  EXPECT_EQ(m.substr(markers_before.size()), "12.5\t0\tnote\tfelt dizzy\tviewer\n13\t0\tbp\t141/92\tviewer\n");
  // every other file byte for byte, and no file more or less
  before.erase("markers.tsv");
  after.erase("markers.tsv");
  EXPECT_EQ(before.size(), after.size());
  for (auto& [name, bytes] : before) {
    ASSERT_TRUE(after.count(name)) << name << " disappeared";
    EXPECT_TRUE(after.at(name) == bytes) << name << " changed";
  }
  for (auto& [name, bytes] : after) EXPECT_TRUE(before.count(name)) << name << " appeared";
  // shown at once: a clinical entry, a bp reading, the session's markers re-read
  EXPECT_EQ(w.model().clinical.size(), clinical_before + 2);
  EXPECT_EQ(dyad::formats::read_markers(s).back().value, "141/92");
  bool reading = false;
  for (auto& b : w.model().bp)
    if (b.id == "bp:markers")
      for (float sys : b.sys) reading = reading || sys == 141.f;
  EXPECT_TRUE(reading);
}

TEST(Notes, ARecordingSessionIsLeftToTheRecorder) {
  app();
  dyad::test::TempDir d;
  dyad::test::FakeSessionOptions o;
  o.duration_s = 10;
  o.features = false;
  o.streams = false;
  dyad::test::write_fake_session(d / "s", o);
  auto man = dyad::formats::read_manifest(d / "s");
  man.status = "recording";
  dyad::formats::write_manifest(d / "s", man);
  auto before = dyad::formats::read_file(d / "s" / "markers.tsv");
  SessionWindow w(dyad::formats::Session::open(d / "s"), {"", true, false});
  EXPECT_EQ(w.add_marker({1, 0, "mark", "n/a", "viewer"}),
            "this session is still being recorded: type markers in the recorder (dyad record), or add them here once it has "
            "stopped");
  EXPECT_EQ(dyad::formats::read_file(d / "s" / "markers.tsv"), before);
}

// ---------------------------------------------------------------------------------------------
TEST(Report, RendersAOnePagePdfAndPngAndNeverOverwritesWithoutForce) {
  app();
  dyad::test::TempDir d;
  auto m = SessionModel::load(dyad::formats::Session::open(known_session(d / "s")));
  write_report(m, d / "r.png", false);
  QImage png(QString::fromStdString((d / "r.png").string()));
  ASSERT_FALSE(png.isNull());
  EXPECT_EQ(png.width(), 1240);  // A4 at 150 dpi
  EXPECT_EQ(png.height(), 1754);
  EXPECT_GT(colours(png), 100u);
  EXPECT_GT(count_near(png, role_colour("A")), 300);
  EXPECT_GT(count_near(png, role_colour("B")), 300);
  EXPECT_EQ(dyad::test::mode_of(d / "r.png"), 0600u);

  write_report(m, d / "r.pdf", false);
  std::string pdf = dyad::formats::read_file(d / "r.pdf");
  ASSERT_EQ(pdf.substr(0, 5), "%PDF-");
  EXPECT_NE(pdf.find("/MediaBox [0 0 595"), std::string::npos);  // A4: 595 x 842 points
  try {
    write_report(m, d / "r.pdf", false);
    FAIL() << "replaced without force";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()), (d / "r.pdf").string() + ": already exists; add --force to replace it");
  }
  EXPECT_EQ(dyad::formats::read_file(d / "r.pdf"), pdf);
  try {
    write_report(m, d / "r.jpg", false);
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()), (d / "r.jpg").string() + ": the report is written as .pdf or .png; found '.jpg'");
  }
  // pdftoppm (poppler-utils) renders the page: not blank, the partners' colours on it
  if (std::system("command -v pdftoppm >/dev/null 2>&1") != 0) GTEST_SKIP() << "pdftoppm not installed (Debian: poppler-utils)";
  std::string cmd = "pdftoppm -r 60 -png '" + (d / "r.pdf").string() + "' '" + (d / "page").string() + "'";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  QImage page(QString::fromStdString((d / "page-1.png").string()));
  ASSERT_FALSE(page.isNull()) << "pdftoppm wrote no page-1.png";
  EXPECT_FALSE(fs::exists(d / "page-2.png"));  // one page
  EXPECT_NEAR(page.width(), 496, 2);         // 210 mm at 60 dpi
  EXPECT_GT(colours(page), 60u);
  EXPECT_GT(count_near(page, role_colour("A")), 50);
}

// ---------------------------------------------------------------------------------------------
namespace {
/// A small session of a couple with a summary.json of known values (none when `values` is null).
fs::path course_session(const fs::path& dir, const std::string& couple, int number, const std::string& type, double analysed_s,
                        double share_a, int interruptions_b, double fto_ab, double hr_a, bool analysed = true) {
  dyad::test::FakeSessionOptions o;
  o.duration_s = 8;
  o.rate_hz = 4000;
  o.features = false;
  o.streams = false;
  o.markers = false;
  dyad::test::write_fake_session(dir, o);
  auto man = dyad::formats::read_manifest(dir);
  man.couple_id = couple;
  man.session_number = number;
  man.session_type = type;
  man.start_utc = "2026-0" + std::to_string(number) + "-15T10:00:00.000Z";
  dyad::formats::write_manifest(dir, man);
  if (!analysed) return dir;
  fs::create_directories(dir / "features");
  nlohmann::json j = {
      {"dyad", {{"analysed_s", analysed_s}, {"turns", 100 + number}, {"fto_by_direction", {{"A>B", {{"median_s", fto_ab}}}, {"B>A", {{"median_s", 0.3}}}}}}},
      {"partners",
       {{"A", {{"speaking_share", share_a}, {"interruptions_made", 1}}}, {"B", {{"speaking_share", 1 - share_a}, {"interruptions_made", interruptions_b}}}}},
      {"extensions", {{"physiology", {{"roles", {{"A", {{"hr_bpm", hr_a}}}}}, {"synchrony", {{"hr", {{"fraction_above_surrogate", 0.1 * number}}}}}}}}}};
  write(dir / "features" / "summary.json", j.dump());
  return dir;
}
}  // namespace

TEST(Course, MeasuresSideBySideAndAsTrendsBySessionNumber) {
  app();
  dyad::test::TempDir d;
  // given out of order, with another couple's session and an unanalysed one among them
  std::vector<fs::path> paths = {
      course_session(d / "c1-s3", "C1", 3, "integration", 3600, 0.50, 2, -0.1, 70),
      course_session(d / "c1-s1", "C1", 1, "preparation", 1800, 0.60, 4, 0.4, 80),
      course_session(d / "c2-s1", "C2", 1, "preparation", 1800, 0.9, 9, 9, 99),
      course_session(d / "c1-s2", "C1", 2, "dosing", 10800, 0.55, 6, 0.2, 75),
      course_session(d / "c1-s4", "C1", 4, "integration", 0, 0, 0, 0, 0, false),
  };
  EXPECT_EQ(CourseModel::couples(paths), (std::vector<std::string>{"C1", "C2"}));
  auto cm = CourseModel::load(paths);
  EXPECT_EQ(cm.couple_id, "C1");
  ASSERT_EQ(cm.sessions.size(), 4u);
  EXPECT_EQ(cm.sessions[0].number, 1);
  EXPECT_EQ(cm.sessions[1].session_type, "dosing");
  EXPECT_EQ(cm.sessions[2].date, "2026-03-15");
  EXPECT_FALSE(cm.sessions[3].analysed);
  ASSERT_EQ(cm.warnings.size(), 1u);
  EXPECT_NE(cm.warnings[0].find("c1-s4/features/summary.json: missing (run 'dyad analyze')"), std::string::npos) << cm.warnings[0];

  const CourseMeasure* share = cm.find("speaking_share", "A");
  ASSERT_TRUE(share);
  EXPECT_EQ(share->label(), "Speaking share (%) \u00b7 A");
  EXPECT_NEAR(share->values[0], 60, 1e-9);
  EXPECT_NEAR(share->values[1], 55, 1e-9);
  EXPECT_NEAR(share->values[2], 50, 1e-9);
  EXPECT_TRUE(std::isnan(share->values[3]));
  EXPECT_NEAR(cm.find("speaking_share", "B")->values[0], 40, 1e-9);
  // per analysed hour: 4 in 0.5 h, 6 in 3 h, 2 in 1 h
  const CourseMeasure* intr = cm.find("interruptions_per_hour", "B");
  ASSERT_TRUE(intr);
  EXPECT_NEAR(intr->values[0], 8, 1e-9);
  EXPECT_NEAR(intr->values[1], 2, 1e-9);
  EXPECT_NEAR(intr->values[2], 2, 1e-9);
  // a direction: B after A
  const CourseMeasure* fto = cm.find("fto_median", "B");
  ASSERT_TRUE(fto);
  EXPECT_EQ(fto->who, "B after A");
  EXPECT_EQ(fto->values[2], -0.1);
  EXPECT_NEAR(cm.find("sync_hr", "dyad")->values[1], 20, 1e-9);
  EXPECT_EQ(cm.find("hr_mean", "A")->values[0], 80);
  EXPECT_FALSE(cm.find("hr_mean", "B"));  // no values: no row
  EXPECT_EQ(cm.find("analysed_min", "dyad")->values[1], 180);

  CourseTableModel t(cm);
  EXPECT_EQ(t.columnCount(), 4);
  EXPECT_EQ(t.rowCount(), static_cast<int>(cm.measures.size()));
  EXPECT_EQ(t.headerData(1, Qt::Horizontal, Qt::DisplayRole).toString(), "#2 dosing\n2026-02-15");
  int row = static_cast<int>(share - cm.measures.data());
  EXPECT_EQ(t.data(t.index(row, 0), Qt::DisplayRole).toString(), "60");
  EXPECT_EQ(t.data(t.index(row, 3), Qt::DisplayRole).toString(), "\u2013");
  EXPECT_EQ(t.headerData(row, Qt::Vertical, Qt::DisplayRole).toString(), "Speaking share (%) \u00b7 A");

  std::unique_ptr<QChart> chart(course_trend_chart(cm, "speaking_share"));
  int points = 0, lines = 0;
  for (auto* se : chart->series())
    if (auto* l = qobject_cast<QLineSeries*>(se); l && l->type() == QAbstractSeries::SeriesTypeLine) {
      ++lines;
      points += static_cast<int>(l->count());
      if (l->name() == "Partner A") {
        EXPECT_EQ(l->at(0), QPointF(1, 60));
        EXPECT_EQ(l->at(2), QPointF(3, 50));
      }
    }
  EXPECT_EQ(lines, 2);
  EXPECT_EQ(points, 6);  // three analysed sessions, two partners

  // two sessions with one number: shown, and said
  auto dup = paths;
  dup.push_back(course_session(d / "c1-s2b", "C1", 2, "dosing", 1200, 0.5, 1, 0.1, 70));
  const auto cd = CourseModel::load(dup);
  ASSERT_EQ(cd.warnings.size(), 2u);
  EXPECT_NE(cd.warnings[0].find("are both session 2 of couple C1"), std::string::npos) << cd.warnings[0];
  const auto& mins = cd.find("analysed_min", "dyad")->values;
  EXPECT_NE(std::find(mins.begin(), mins.end(), 20.0), mins.end());
  EXPECT_EQ(t.data(t.index(static_cast<int>(cm.find("analysed_min", "dyad") - cm.measures.data()), 0), Qt::DisplayRole).toString(),
            "30.0");

  CourseModel c2 = CourseModel::load(paths, "C2");
  ASSERT_EQ(c2.sessions.size(), 1u);
  EXPECT_EQ(c2.find("interruptions_per_hour", "B")->values[0], 18);

  CourseWindow w(paths);
  w.resize(1400, 900);
  w.show();
  QApplication::processEvents();
  EXPECT_EQ(w.model().sessions.size(), 4u);
  EXPECT_EQ(w.selected_measure(), "speaking_share");
  w.table()->selectionModel()->setCurrentIndex(w.table()->model()->index(static_cast<int>(intr - cm.measures.data()), 0),
                                               QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
  EXPECT_EQ(w.selected_measure(), "interruptions_per_hour");
  int shown = 0;
  for (auto* v : w.trend_views()) shown += v->isVisible();
  EXPECT_GE(shown, 3);
  QString opened;
  QObject::connect(&w, &CourseWindow::openSession, [&](const QString& dir) { opened = dir; });
  emit w.table()->doubleClicked(w.table()->model()->index(0, 2));
  EXPECT_EQ(opened.toStdString(), (d / "c1-s3").string());
  w.show_couple("C2");
  EXPECT_EQ(w.model().sessions.size(), 1u);
  EXPECT_GT(colours(w.grab().toImage()), 30u);
}
