// dyad table: features of many sessions in one tidy long table and a wide per-session table.
#include <gtest/gtest.h>

#include "dyad/formats/files.hpp"
#include "dyad/formats/session.hpp"
#include "dyad/formats/table.hpp"
#include "dyad/formats/text.hpp"
#include "test_util.hpp"

using namespace dyad::formats;
using dyad::test::TempDir;

namespace {

std::filesystem::path make_features(const TempDir& tmp, const std::string& name, const std::string& couple, int number, double fto) {
  auto dir = tmp / name;
  create_session_dir(dir);
  Manifest m = new_manifest(couple, number, number == 2 ? "dosing" : "integration");
  m.id = name;
  write_manifest(dir, m);
  make_private_dir(dir / "features");
  write_file_new(dir / "features" / "turns.tsv",
                 "turn\trole\tstart_s\tend_s\tfto_s\tf0_mean_hz\tlabel\tprev_role\n"
                 "1\tA\t0\t2\tn/a\t200\tx\tn/a\n"
                 "2\tB\t2.5\t4\t" + format_number(fto) + "\t110\ty\tA\n"
                 "3\tA\t3.8\t5\t-0.2\t210\tz\tB\n",
                 false);
  write_file_new(dir / "features" / "windows.tsv", "window\tstart_s\tend_s\tfloor_share_A\tgaps\n1\t0\t60\t0.55\t2\n", false);
  write_file_new(dir / "features" / "summary.json",
                 R"({"dyad_version": "0.1", "parameters": {"backchannel_max_s": 1.0},
                     "partners": {"A": {"floor_time_s": 3.2, "turns": 2}, "B": {"floor_time_s": 1.5, "turns": 1}},
                     "dyad": {"gaps": 1, "overlaps": 1}})",
                 false);
  return dir;
}

}  // namespace

TEST(Table, LongTableHasOneValuePerRow) {
  TempDir tmp;
  auto s1 = make_features(tmp, "s1", "c1", 1, 0.5);
  auto s2 = make_features(tmp, "s2", "c1", 2, 0.25);
  auto t = gather_features({s1, s2});
  ASSERT_EQ(t.warnings.size(), 2u);
  EXPECT_EQ(t.warnings[0], (s1 / "features" / "turns.tsv").string() + ": column 'label' is not numeric; left out");
  std::string csv = tidy_csv(t);
  auto lines = split(csv, '\n');
  EXPECT_EQ(std::string(lines[0]), "session_id,couple_id,session_number,session_type,role,table,unit,index,start_s,end_s,metric,value");
  EXPECT_EQ(std::string(lines[1]), "s1,c1,1,integration,A,turns,turn,1,0,2,fto_s,n/a");
  EXPECT_EQ(std::string(lines[2]), "s1,c1,1,integration,A,turns,turn,1,0,2,f0_mean_hz,200");
  EXPECT_EQ(std::string(lines[3]), "s1,c1,1,integration,B,turns,turn,2,2.5,4,fto_s,0.5");
  // windows.tsv has no role column: floor_share_A is A's floor_share
  EXPECT_NE(csv.find("s1,c1,1,integration,A,windows,window,1,0,60,floor_share,0.55\n"), std::string::npos);
  EXPECT_NE(csv.find("s1,c1,1,integration,dyad,windows,window,1,0,60,gaps,2\n"), std::string::npos);
  EXPECT_NE(csv.find("s2,c1,2,dosing,A,summary,session,n/a,n/a,n/a,partners.floor_time_s,3.2\n"), std::string::npos);
  EXPECT_NE(csv.find("s2,c1,2,dosing,dyad,summary,session,n/a,n/a,n/a,dyad.gaps,1\n"), std::string::npos);
  EXPECT_EQ(csv.find("backchannel_max_s"), std::string::npos);  // parameters are not features
  // 3 turns x 2 metrics + 2 window metrics + 6 summary numbers, per session
  EXPECT_EQ(t.rows.size(), 2u * (6 + 2 + 6));
}

TEST(Table, WideTableHasOneRowPerSession) {
  TempDir tmp;
  auto s1 = make_features(tmp, "s1", "c1", 1, 0.5);
  auto s2 = make_features(tmp, "s2", "c2", 2, 0.25);
  create_session_dir(tmp / "s3");
  Manifest m = new_manifest("c3", 1, "other");
  write_manifest(tmp / "s3", m);
  auto t = gather_features({s1, s2, tmp / "s3"});
  EXPECT_EQ(t.warnings.back(), (tmp / "s3" / "features").string() + ": missing (run 'dyad analyze'); session skipped");
  std::string wide = wide_csv(t);
  auto lines = split(wide, '\n');
  ASSERT_EQ(lines.size(), 4u);  // header, 2 sessions, the empty piece after the last LF
  EXPECT_EQ(std::string(lines[0]),
            "session_id,couple_id,session_number,session_type,dyad.gaps,dyad.overlaps,partners.floor_time_s_A,partners.floor_time_s_B,"
            "partners.turns_A,partners.turns_B,turns.f0_mean_hz.mean_A,turns.f0_mean_hz.mean_B,turns.fto_s.mean_A,turns.fto_s.mean_B,"
            "windows.floor_share.mean_A,windows.gaps.mean");
  EXPECT_EQ(std::string(lines[1]), "s1,c1,1,integration,1,1,3.2,1.5,2,1,205,110,-0.2,0.5,0.55,2");
  EXPECT_EQ(std::string(lines[2]), "s2,c2,2,dosing,1,1,3.2,1.5,2,1,205,110,-0.2,0.25,0.55,2");
}
