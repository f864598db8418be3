// The viewer offscreen: track models, the timeline's drawing, navigation and the window.
#include <gtest/gtest.h>

#include <QApplication>
#include <QImage>
#include <QKeyEvent>
#include <QListWidget>
#include <fstream>
#include <set>

#include "dyad/formats/error.hpp"
#include "dyad/formats/overview.hpp"
#include "dyad/viewer/model.hpp"
#include "dyad/viewer/session_window.hpp"
#include "dyad/viewer/timeline.hpp"
#include "fake_session.hpp"
#include "qt_app.hpp"
#include "test_util.hpp"

namespace fs = std::filesystem;
using namespace dyad::viewer;

namespace {
QApplication& app() { return dyad::test::qt_app(); }

/// One fake session for the whole suite (writing it takes a moment).
const fs::path& fake() {
  static dyad::test::TempDir* dir = new dyad::test::TempDir;
  static fs::path p = [] {
    fs::path s = dir->path() / "s1";
    dyad::test::write_fake_session(s, {});
    return s;
  }();
  return p;
}

const Track* find_track(const std::vector<Track>& v, const std::string& id) {
  for (auto& t : v)
    if (t.id == id) return &t;
  return nullptr;
}

/// Pixels of exactly this colour inside a rectangle.
int count_colour(const QImage& img, QRect r, QColor c) {
  int n = 0;
  r = r.intersected(img.rect());
  for (int y = r.top(); y <= r.bottom(); ++y)
    for (int x = r.left(); x <= r.right(); ++x)
      if (img.pixelColor(x, y) == c) ++n;
  return n;
}
}  // namespace

// ---------------------------------------------------------------------------------------------
TEST(RangeMinMax, EveryRangeMatchesAScan) {
  auto x = dyad::test::noise(5000, 1.0, 3);
  x[77] = NAN;
  RangeMinMax mm(x);
  std::mt19937 g(5);
  for (int k = 0; k < 2000; ++k) {
    std::size_t a = g() % 5000, b = g() % 5001;
    if (a > b) std::swap(a, b);
    Range want;
    for (std::size_t i = a; i < b; ++i) want.add(x[i]);
    Range got = mm.query(a, b);
    ASSERT_EQ(got.min, want.min) << a << " " << b;
    ASSERT_EQ(got.max, want.max) << a << " " << b;
  }
  EXPECT_TRUE(mm.query(10, 10).empty());
}

TEST(RangeMinMax, ExactWithNaNRunsAndEveryLength) {
  // lengths around the block size, whole blocks of NaN, NaN at block edges, an all-NaN series
  for (std::size_t n : {0u, 1u, 15u, 16u, 17u, 31u, 256u, 257u, 4099u}) {
    auto x = dyad::test::noise(n, 1.0, static_cast<unsigned>(n) + 1);
    for (std::size_t i = 0; i < n; ++i)
      if ((i >= 32 && i < 80) || i % 16 == 0 || i % 97 == 15) x[i] = NAN;
    for (bool all_nan : {false, true}) {
      if (all_nan) std::fill(x.begin(), x.end(), NAN);
      RangeMinMax mm(x);
      std::mt19937 g(static_cast<unsigned>(n));
      for (int k = 0; k < 600; ++k) {
        std::size_t a = n ? g() % n : 0, b = g() % (n + 1);
        if (a > b) std::swap(a, b);
        if (k == 0) a = 0, b = n;  // the whole series too
        Range want;
        for (std::size_t i = a; i < b; ++i) want.add(x[i]);
        Range got = mm.query(a, b);
        ASSERT_EQ(got.empty(), want.empty()) << n << ": " << a << " " << b;
        if (!want.empty()) {
          ASSERT_EQ(got.min, want.min) << n << ": " << a << " " << b;
          ASSERT_EQ(got.max, want.max) << n << ": " << a << " " << b;
        }
      }
    }
  }
}

TEST(Model, ACachedOpenMapsTheCachesAndShowsTheSameValues) {
  dyad::test::TempDir d;
  dyad::test::FakeSessionOptions o;
  o.duration_s = 60;
  dyad::test::write_fake_session(d / "s", o);
  auto session = dyad::formats::Session::open(d / "s");
  const auto cold = SessionModel::load(session);  // parses the TSVs and writes the caches
  ASSERT_TRUE(cold.warnings.empty()) << cold.warnings.front();
  for (auto& st : session.streams)
    EXPECT_TRUE(dyad::formats::map_stream_columns(session.dir, st.sidecar).mapped) << st.sidecar.name;
  // the same values from the mapped caches, and damaged caches are read past (the TSVs again)
  auto same = [&](const SessionModel& m, const std::string& what) {
    ASSERT_EQ(m.series.size(), cold.series.size()) << what;
    for (std::size_t k = 0; k < m.series.size(); ++k) {
      const Series &a = cold.series[k], &b = m.series[k];
      ASSERT_EQ(a.id, b.id) << what;
      ASSERT_EQ(a.t.size(), b.t.size()) << what << " " << a.id;
      ASSERT_EQ(a.v.size(), b.v.size()) << what << " " << a.id;
      for (std::size_t i = 0; i < a.t.size(); ++i) {
        ASSERT_EQ(a.t[i], b.t[i]) << what << " " << a.id << " row " << i;
        ASSERT_TRUE(a.v[i] == b.v[i] || (std::isnan(a.v[i]) && std::isnan(b.v[i]))) << what << " " << a.id << " row " << i;
      }
      EXPECT_EQ(a.lo, b.lo) << what << " " << a.id;
      EXPECT_EQ(a.hi, b.hi) << what << " " << a.id;
      Range ra = a.mm.query(0, a.v.size()), rb = b.mm.query(0, b.v.size());
      EXPECT_TRUE((ra.empty() && rb.empty()) || (ra.min == rb.min && ra.max == rb.max)) << what << " " << a.id;
    }
  };
  same(SessionModel::load(session), "cached");
  const fs::path caches = d / "s" / "features" / "overview";
  std::vector<fs::path> files;
  for (auto& e : fs::recursive_directory_iterator(caches))
    if (e.path().extension() == ".bin") files.push_back(e.path());
  ASSERT_GE(files.size(), 4u);  // streams and tables
  for (auto& f : files) fs::resize_file(f, fs::file_size(f) - 3);  // truncated
  same(SessionModel::load(session), "truncated caches");
  for (auto& f : files) EXPECT_EQ(fs::file_size(f) % 4, 0u) << f << " was not rebuilt";
  for (auto& f : files) std::ofstream(f, std::ios::binary | std::ios::trunc) << std::string(100, '\xff');  // garbage
  same(SessionModel::load(session), "garbage caches");
  for (auto& f : files) {  // the right header over rows that are not there
    std::string bytes(40, '\0');
    std::ifstream(f, std::ios::binary).read(bytes.data(), 40);
    std::ofstream(f, std::ios::binary | std::ios::trunc).write(bytes.data(), 40);
  }
  same(SessionModel::load(session), "headers without rows");
}

TEST(Model, TracksFollowTheFilesThatExist) {
  auto s = dyad::formats::Session::open(fake());
  auto m = SessionModel::load(s);
  EXPECT_TRUE(m.warnings.empty()) << m.warnings.front();
  ASSERT_EQ(m.speech.size(), 2u);
  EXPECT_EQ(m.speech[0].role, "A");
  EXPECT_GT(m.speech[0].talkspurts.size(), 5u);
  EXPECT_FALSE(m.turns.empty());
  EXPECT_EQ(m.turns[0].number, 1);
  EXPECT_TRUE(std::isnan(m.turns[0].fto_s));
  // events in the fixed order, only the types that occur
  ASSERT_GE(m.events.size(), 3u);
  EXPECT_EQ(m.events[0].type, "pause");
  EXPECT_EQ(m.events[1].type, "gap");
  // phases, plain markers and clinical entries; bp from the stream and from the bp entry
  EXPECT_EQ(m.phases.size(), 3u);
  EXPECT_EQ(m.points.size(), 1u);
  EXPECT_EQ(m.clinical.size(), 2u);
  ASSERT_EQ(m.bp.size(), 2u);
  EXPECT_EQ(m.bp[1].sys.at(0), 128.f);
  EXPECT_EQ(m.bp[1].dia.at(0), 84.f);
  auto tracks = m.default_tracks();
  for (const char* id : {"phases", "markers", "clinical", "wave:1", "speech:A", "wave:2", "speech:B", "events", "f0:A",
                         "f0:B", "intensity:A", "intensity:B", "stream:hr_A:hr", "stream:eda_B:eda", "stream:ecg_A:ecg",
                         "bp:bp_A"})
    EXPECT_TRUE(find_track(tracks, id)) << id;
  EXPECT_EQ(find_track(tracks, "stream:eda_B:eda")->caption, "\u00b5S");  // files spell micro 'u'; shown as µ
  EXPECT_EQ(find_track(tracks, "stream:ecg_A:ecg")->caption, "mV");
  // per partner: audio then speech, A before B
  auto pos = [&](const std::string& id) { return find_track(tracks, id) - tracks.data(); };
  EXPECT_LT(pos("wave:1"), pos("speech:A"));
  EXPECT_LT(pos("speech:A"), pos("wave:2"));
  // F0 is NaN when unvoiced, the voiced frames are at the partner's pitch
  const Series* f0 = nullptr;
  for (auto& se : m.series)
    if (se.id == "f0:A") f0 = &se;
  ASSERT_TRUE(f0);
  EXPECT_TRUE(std::isnan(f0->v[0]));
  Range r = f0->mm.query(0, f0->v.size());
  EXPECT_GT(r.min, 95);
  EXPECT_LT(r.max, 145);
  EXPECT_LT(f0->lo, r.min + 1);
}

TEST(Legend, WrapsOntoRowsAndShowsEveryEntry) {
  dyad::test::qt_app();
  auto m = SessionModel::load(dyad::formats::Session::open(fake()));
  dyad::viewer::Legend legend(m);
  legend.setAttribute(Qt::WA_DontShowOnScreen);
  legend.show();
  ASSERT_GT(legend.entries().size(), 6u);
  for (int w : {3000, 900, 500}) {
    const auto placed = legend.layout_entries(w);
    ASSERT_EQ(placed.size(), legend.entries().size()) << w;  // none left out
    QFont f = legend.font();
    f.setPointSizeF(8.5);
    const QFontMetrics fm(f);
    for (std::size_t i = 0; i < placed.size(); ++i) {
      const int right = placed[i].x + 16 + fm.horizontalAdvance(legend.entries()[placed[i].index].first);
      if (placed[i].x > TimelineView::kLabelWidth) {
        EXPECT_LE(right, w) << w << " entry " << i;
      }
      if (i > 0 && placed[i].row == placed[i - 1].row) {
        EXPECT_GT(placed[i].x, placed[i - 1].x);
      }
    }
    if (w == 500) {
      EXPECT_GT(placed.back().row, 1);
    }
    if (w == 3000) {
      EXPECT_EQ(placed.back().row, 0);
    }
    legend.resize(w, 10);  // shown: the resize event comes at once
    EXPECT_EQ(legend.height(), (placed.back().row + 1) * dyad::viewer::Legend::kRow);
  }
}

TEST(Model, F0IsDrawnOnlyInsideThePartnersOwnTalkspurts) {
  dyad::test::TempDir d;
  dyad::test::FakeSessionOptions o;
  o.duration_s = 30;
  auto spurts = dyad::test::write_fake_session(d / "s", o);
  // A's microphone voiced all the time (B's voice leaking in between A's talkspurts)
  {
    std::ofstream p(d / "s" / "features" / "pitch_A.tsv", std::ios::trunc);
    p << "time_s\tf0_hz\tvoiced\tintensity_db\n";
    for (int i = 0; i < 3000; ++i) p << dyad::formats::format_fixed(i / 100.0, 2) << "\t200\t1\t60\n";
  }
  auto m = SessionModel::load(dyad::formats::Session::open(d / "s"));
  const Series* f0 = nullptr;
  for (auto& se : m.series)
    if (se.id == "f0:A") f0 = &se;
  ASSERT_TRUE(f0);
  std::size_t inside = 0, outside = 0;
  for (std::size_t i = 0; i < f0->t.size(); ++i) {
    bool in = false;
    for (auto& sp : spurts)
      if (sp.role == "A" && sp.start_s <= f0->t[i] && f0->t[i] <= sp.end_s) in = true;
    if (in) {
      EXPECT_EQ(f0->v[i], 200.f) << f0->t[i];
      ++inside;
    } else {
      EXPECT_TRUE(std::isnan(f0->v[i])) << f0->t[i];
      ++outside;
    }
  }
  EXPECT_GT(inside, 100u);
  EXPECT_GT(outside, 100u);
}

TEST(Model, NoFeaturesMeansNoFeatureTracks) {
  dyad::test::TempDir d;
  dyad::test::FakeSessionOptions o;
  o.duration_s = 20;
  o.features = false;
  o.streams = false;
  o.markers = false;
  dyad::test::write_fake_session(d / "s", o);
  auto m = SessionModel::load(dyad::formats::Session::open(d / "s"));
  auto tracks = m.default_tracks();
  ASSERT_EQ(tracks.size(), 2u);
  EXPECT_EQ(tracks[0].id, "wave:1");
  EXPECT_EQ(tracks[1].id, "wave:2");
  EXPECT_TRUE(m.warnings.empty());
  // the viewer's own audio overview under features/ does not make the session analysed
  EXPECT_TRUE(std::filesystem::exists(d / "s" / "features" / "overview") || !std::filesystem::exists(d / "s" / "features"));
  std::filesystem::create_directories(d / "s" / "features" / "overview");
  EXPECT_FALSE(m.analysed());
  EXPECT_TRUE(SessionModel::load(dyad::formats::Session::open(fake())).analysed());
}

TEST(Model, ADamagedFeaturesFileIsAWarningNotAFailure) {
  dyad::test::TempDir d;
  dyad::test::FakeSessionOptions o;
  o.duration_s = 20;
  o.streams = false;
  dyad::test::write_fake_session(d / "s", o);
  std::ofstream(d / "s" / "features" / "segments.tsv") << "role\tstart_s\tend_s\nA\t1.0\tx\n";
  auto m = SessionModel::load(dyad::formats::Session::open(d / "s"));
  ASSERT_EQ(m.warnings.size(), 1u);
  EXPECT_EQ(m.warnings[0], (d / "s" / "features" / "segments.tsv").string() +
                               ":2: end_s is not a number: 'x' (track not shown)");
}

TEST(Model, ReadNumericColumnsNamesTheLineAndColumn) {
  dyad::test::TempDir d;
  std::ofstream(d / "p.tsv") << "time_s\tf0_hz\n0\t100\n0.01\tn/a\n0.02\t1.2.3\n";
  try {
    read_numeric_columns(d / "p.tsv", {"time_s", "f0_hz"});
    FAIL();
  } catch (const dyad::formats::FormatError& e) {
    EXPECT_EQ(std::string(e.what()), (d / "p.tsv").string() + ":4: f0_hz is not a number: '1.2.3'");
  }
  try {
    read_numeric_columns(d / "p.tsv", {"voiced"});
    FAIL();
  } catch (const dyad::formats::FormatError& e) {
    EXPECT_EQ(std::string(e.what()), (d / "p.tsv").string() + ": no column 'voiced'");
  }
}

TEST(Axis, ClockAndNiceSteps) {
  EXPECT_EQ(format_clock(3723.456, 3, true), "1:02:03.456");
  EXPECT_EQ(format_clock(83.5, 1, false), "1:23.5");
  EXPECT_EQ(format_clock(59.9996, 3, false), "1:00.000");
  EXPECT_EQ(nice_time_step(1.0, 90), 120);    // 1 s per pixel: ticks every 2 min
  EXPECT_EQ(nice_time_step(0.001, 90), 0.1);  // 1 ms per pixel: every 100 ms
  EXPECT_EQ(nice_value_step(330, 4), 100);
}

// ---------------------------------------------------------------------------------------------
TEST(Timeline, NavigationKeepsTheRangeInsideTheSession) {
  app();
  auto s = dyad::formats::Session::open(fake());
  auto m = SessionModel::load(s);
  TimelineView v(m, nullptr);
  v.resize(1000, 600);
  EXPECT_DOUBLE_EQ(v.t0(), 0);
  EXPECT_DOUBLE_EQ(v.t1(), 120);
  v.zoom(0.5, 30);
  EXPECT_DOUBLE_EQ(v.t1() - v.t0(), 60);
  EXPECT_NEAR(v.t0(), 15, 1e-9);  // 30 s stays where it was: a quarter of the way
  v.pan(-1);
  EXPECT_DOUBLE_EQ(v.t0(), 0);  // clamped at the start
  v.set_range(100, 200);
  EXPECT_DOUBLE_EQ(v.t1(), 120);
  EXPECT_DOUBLE_EQ(v.t0(), 20);
  v.zoom(1e-9, 50);
  EXPECT_NEAR(v.t1() - v.t0(), 0.01, 1e-12);  // at most 10 ms
  v.fit();
  v.set_cursor(10);
  QKeyEvent n(QEvent::KeyPress, Qt::Key_N, Qt::NoModifier);
  QApplication::sendEvent(&v, &n);  // next turn
  double next = NAN;
  for (auto& t : m.turns)
    if (t.start_s > 10) {
      next = t.start_s;
      break;
    }
  EXPECT_DOUBLE_EQ(v.cursor_s(), next);
  v.set_range(0, 5);
  v.jump_to(100);
  EXPECT_LE(v.t0(), 100);
  EXPECT_GE(v.t1(), 100);
  EXPECT_NEAR(v.t1() - v.t0(), 5, 1e-9);
  // hiding and reordering
  v.set_track_visible("events", false);
  EXPECT_FALSE(find_track(v.tracks(), "events")->visible);
  v.set_track_order({"speech:B", "speech:A"});
  EXPECT_EQ(v.tracks()[0].id, "speech:B");
  EXPECT_EQ(v.tracks()[1].id, "speech:A");
}

TEST(Timeline, WaveformRendersAtEveryZoomFromSessionToSamples) {
  app();
  auto s = dyad::formats::Session::open(fake());
  auto m = SessionModel::load(s);
  auto ov = std::make_shared<dyad::formats::Overview>(dyad::formats::ensure_overview(s.dir, s.audio_path()));
  TimelineView v(m, ov);
  v.resize(1200, 700);
  // whole session (pyramid), 2 s (pyramid or raw summary), 20 ms (fewer than 2 samples per pixel)
  double t = m.speech[0].talkspurts[0].start_s + 0.5;
  for (auto [a, b] : std::vector<std::pair<double, double>>{{0, 120}, {t, t + 2}, {t, t + 0.1}, {t, t + 0.02}}) {
    v.set_range(a, b);
    const QImage& img = v.render_tracks();
    int blue = count_colour(img, QRect(TimelineView::kLabelWidth, 0, 1200, 700), role_colour("A"));
    EXPECT_GT(blue, 200) << a << ".." << b;
  }
}

TEST(SessionWindow, ScreenshotShowsEachPartnersColourInItsLanes) {
  app();
  auto s = dyad::formats::Session::open(fake());
  SessionWindow w(s, {"", true});
  w.resize(1400, 900);
  w.show();
  QApplication::processEvents();
  QImage img = w.grab().toImage();
  ASSERT_FALSE(img.isNull());
  // not blank: many distinct colours
  std::set<QRgb> colours;
  for (int y = 0; y < img.height(); y += 3)
    for (int x = 0; x < img.width(); x += 3) colours.insert(img.pixel(x, y));
  EXPECT_GT(colours.size(), 50u);
  // each partner's colour inside its own waveform and speech rows, and not in the other's
  TimelineView* tl = w.timeline();
  QPoint off = tl->mapTo(&w, QPoint(0, 0));
  for (auto [id, role, other] : std::vector<std::tuple<std::string, std::string, std::string>>{
           {"wave:1", "A", "B"}, {"wave:2", "B", "A"}, {"speech:A", "A", "B"}, {"speech:B", "B", "A"}}) {
    QRect r = tl->track_rect(id);
    int y0 = r.top(), y1 = r.bottom() + 1;
    ASSERT_GE(y0, 0) << id;
    QRect row(off.x() + TimelineView::kLabelWidth, off.y() + y0, tl->width() - TimelineView::kLabelWidth, y1 - y0);
    EXPECT_GT(count_colour(img, row, role_colour(role)), 100) << id << " lacks " << role << "'s colour";
    EXPECT_EQ(count_colour(img, row, role_colour(other)), 0) << id << " shows " << other << "'s colour";
  }
  // the legend names both partners and the events
  std::vector<QString> names;
  for (auto& e : w.legend()->entries()) names.push_back(e.first);
  EXPECT_NE(std::find(names.begin(), names.end(), "Partner A"), names.end());
  EXPECT_NE(std::find(names.begin(), names.end(), "Partner B"), names.end());
  EXPECT_NE(std::find(names.begin(), names.end(), "gap"), names.end());
  // the cache exists under features/overview/
  EXPECT_TRUE(fs::exists(fake() / "features" / "overview" / "audio.minmax"));
  // unticking a track in the list hides it
  auto* list = w.track_list();
  for (int i = 0; i < list->count(); ++i)
    if (list->item(i)->data(Qt::UserRole).toString() == "events") list->item(i)->setCheckState(Qt::Unchecked);
  EXPECT_FALSE(find_track(tl->tracks(), "events")->visible);
}
