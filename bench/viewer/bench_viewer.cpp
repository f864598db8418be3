// bench/viewer: how fast a long session opens and redraws in the viewer (issue 11), and what the
// turn list, the dashboard and the report cost on it (issue 12).
//
//   dyad_bench_viewer [--dir D] [--hours H] [--rate HZ] [--width W] [--height H] [--keep]
//   dyad_bench_viewer --session DIR [--width W] [--height H]
//
// Generates a two-channel session (fake features/ following the schemas) in a child process, or
// takes an existing one (e.g. `dyad simulate` + `dyad analyze`: raw ECG and all), and
// then in this process: opens it cold (no overview cache: the pyramid is built by streaming the
// audio), opens it again cached, and times 100 zoom and pan steps of the timeline's full redraw.
// Also renders a Qt Charts line of min/max-decimated points for comparison. Peak memory is this
// process's maximum resident set (the generator runs in a child).
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <QApplication>
#include <QChart>
#include <QChartView>
#include <QLineSeries>
#include <QPixmap>
#include <QTabWidget>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <random>
#include <string>

#include "dyad/formats/overview.hpp"
#include "dyad/viewer/dashboard.hpp"
#include "dyad/viewer/report.hpp"
#include "dyad/viewer/session_window.hpp"
#include "dyad/viewer/turn_list.hpp"
#include "fake_session.hpp"

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

static double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }
static double cpu_ms() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}
static double pct(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5)];
}

int main(int argc, char** argv) {
  fs::path dir = "/tmp/dyad-bench-viewer";
  double hours = 3, rate = 48000;
  int width = 1600, height = 900;
  bool keep = false;
  fs::path given;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::cerr << "dyad_bench_viewer: " << a << " needs a value\n";
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--dir") dir = next();
    else if (a == "--hours") hours = std::stod(next());
    else if (a == "--rate") rate = std::stod(next());
    else if (a == "--width") width = std::stoi(next());
    else if (a == "--height") height = std::stoi(next());
    else if (a == "--keep") keep = true;
    else if (a == "--session") given = next();
    else {
      std::cerr << "usage: dyad_bench_viewer [--dir D] [--hours H] [--rate HZ] [--width W] [--height H] [--keep]\n"
                   "       dyad_bench_viewer --session DIR [--width W] [--height H]\n";
      return 2;
    }
  }
  fs::path session = dir / ("session_" + std::to_string(static_cast<int>(hours * 60)) + "min_" + std::to_string(static_cast<int>(rate)));
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // each figure as soon as it is known
  if (!given.empty()) {
    session = given;
    keep = true;
  }
  if (!fs::exists(session / "session.json")) {
    fs::remove_all(session);
    fs::create_directories(dir);
    std::cerr << "generating " << session << " (" << hours << " h at " << rate << " Hz, two channels)...\n";
    auto t = Clock::now();
    pid_t pid = fork();
    if (pid == 0) {
      dyad::test::FakeSessionOptions o;
      o.duration_s = hours * 3600;
      o.rate_hz = rate;
      dyad::test::write_fake_session(session, o);
      _exit(0);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
      std::cerr << "generation failed\n";
      return 1;
    }
    std::printf("generated in %.1f s\n", ms_since(t) / 1000);
  }
  std::printf("session      %s\n", session.c_str());
  std::printf("audio        %.2f GB\n", static_cast<double>(fs::file_size(session / "audio.wav")) / 1e9);

  if (!std::getenv("DISPLAY") && !std::getenv("WAYLAND_DISPLAY")) setenv("QT_QPA_PLATFORM", "offscreen", 0);
  QApplication app(argc, argv);
  auto open_once = [&](const char* what) {
    auto t = Clock::now();
    auto s = dyad::formats::Session::open(session);
    double t_session = ms_since(t);
    auto w = std::make_unique<dyad::viewer::SessionWindow>(s, dyad::viewer::WindowOptions{"", true});
    double t_window = ms_since(t);
    w->resize(width, height);
    w->show();
    QApplication::processEvents();
    w->grab();  // first complete paint
    double total = ms_since(t);
    std::printf("open %-7s  %.0f ms (Session::open %.0f ms, model + overview + window %.0f ms, first paint %.0f ms)\n", what,
                total, t_session, t_window - t_session, total - t_window);
    return w;
  };
  fs::remove_all(session / "features" / "overview");
  open_once("cold").reset();
  auto w = open_once("cached");

  // 100 zoom and pan steps: full redraw of every track each time (what a wheel or drag costs).
  auto* tl = w->timeline();
  std::mt19937 g(42);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<double> times, cpu;
  tl->fit();
  double min_span = 1e9;
  for (int step = 0; step < 100; ++step) {
    double span = tl->t1() - tl->t0();
    if (step < 35) tl->zoom(0.7, tl->t0() + u(g) * span);
    else if (step < 70) tl->pan((u(g) - 0.5) * 0.6);
    else tl->zoom(1.45, tl->t0() + u(g) * span);
    min_span = std::min(min_span, tl->t1() - tl->t0());
    auto t = Clock::now();
    double c0 = cpu_ms();
    tl->render_tracks();
    cpu.push_back(cpu_ms() - c0);
    times.push_back(ms_since(t));
  }
  std::printf("redraw       100 steps (spans %.3f s .. %.0f s): wall median %.2f ms, p95 %.2f ms, max %.2f ms;"
              " CPU median %.2f ms, p95 %.2f ms\n", min_span, tl->duration_s(), pct(times, 0.5), pct(times, 0.95),
              *std::max_element(times.begin(), times.end()), pct(cpu, 0.5), pct(cpu, 0.95));
  {
    double l1, l5, l15;
    std::FILE* f = std::fopen("/proc/loadavg", "r");
    if (f && std::fscanf(f, "%lf %lf %lf", &l1, &l5, &l15) == 3) std::printf("load average %.1f (1 min) during the run\n", l1);
    if (f) std::fclose(f);
  }
  std::printf("tracks       %zu, timeline %dx%d px\n", tl->tracks().size(), tl->width(), tl->height());
  if (std::getenv("DYAD_BENCH_PER_TRACK")) {  // where the time goes: each track alone, same steps
    auto all = tl->tracks();
    for (auto& only : all) {
      auto solo = all;
      for (auto& t : solo) t.visible = t.id == only.id;
      tl->set_tracks(solo);
      tl->fit();
      std::mt19937 g2(42);
      std::vector<double> tt;
      for (int step = 0; step < 100; ++step) {
        double span = tl->t1() - tl->t0();
        if (step < 35) tl->zoom(0.7, tl->t0() + u(g2) * span);
        else if (step < 70) tl->pan((u(g2) - 0.5) * 0.6);
        else tl->zoom(1.45, tl->t0() + u(g2) * span);
        double c0 = cpu_ms();
        tl->render_tracks();
        tt.push_back(cpu_ms() - c0);
      }
      std::printf("  %-24s CPU median %.2f ms, p95 %.2f ms\n", only.id.c_str(), pct(tt, 0.5), pct(tt, 0.95));
    }
    tl->set_tracks(all);
  }

  // Issue 12: the turn list (built when the window opens), the dashboard (built when its tab is
  // first shown) and the report, on the same session.
  {
    auto t = Clock::now();
    dyad::viewer::TurnTableModel turns(w->model());
    double t_model = ms_since(t);
    t = Clock::now();
    turns.sort(dyad::viewer::TurnTableModel::fto, Qt::DescendingOrder);
    double t_sort = ms_since(t);
    std::printf("turn list    %d turns: model %.2f ms, sort by FTO %.2f ms\n", turns.rowCount(), t_model, t_sort);
    t = Clock::now();
    w->tabs()->setCurrentIndex(1);  // the dashboard builds on first show
    QApplication::processEvents();
    double t_build = ms_since(t);
    t = Clock::now();
    w->grab();
    std::printf("dashboard    first show %.0f ms (summary + %zu charts), first paint %.0f ms\n", t_build,
                w->dashboard()->chart_ids().size(), ms_since(t));
    w->tabs()->setCurrentIndex(0);
    fs::create_directories(dir);  // with --session nothing else made it
    for (const char* ext : {"pdf", "png"}) {
      fs::path out = dir / (std::string("bench-report.") + ext);
      t = Clock::now();
      dyad::viewer::write_report(w->model(), out, true);
      std::printf("report       %s: %.0f ms, %.0f kB\n", ext, ms_since(t), static_cast<double>(fs::file_size(out)) / 1e3);
      fs::remove(out);
    }
  }

  // Qt Charts for comparison: one line of 2 points per pixel column, redrawn.
  {
    auto* series = new QLineSeries;
    for (int i = 0; i < 2 * width; ++i) series->append(i, std::sin(i * 0.05));
    auto* chart = new QChart;
    chart->addSeries(series);
    chart->createDefaultAxes();
    chart->legend()->hide();
    QChartView view(chart);
    view.resize(width, 120);
    view.show();
    QApplication::processEvents();
    std::vector<double> ct;
    for (int i = 0; i < 20; ++i) {
      auto t = Clock::now();
      QVector<QPointF> pts;
      for (int k = 0; k < 2 * width; ++k) pts.append(QPointF(k, std::sin((k + i) * 0.05)));
      series->replace(pts);
      view.grab();
      ct.push_back(ms_since(t));
    }
    std::printf("qt charts    one %d-point line (2 per pixel), replace + render: median %.2f ms\n", 2 * width, pct(ct, 0.5));
  }
  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  std::printf("peak memory  %.0f MB (max resident set of the viewer process)\n", static_cast<double>(ru.ru_maxrss) / 1024);
  auto ov = dyad::formats::overview_path(session);
  std::printf("cache        %s, %.1f MB\n", ov.c_str(), static_cast<double>(fs::file_size(ov)) / 1e6);
  w.reset();
  if (!keep) fs::remove_all(session);
  return 0;
}
