// Exports (RTTM, TextGrid, EAF) and annotation imports (TextGrid long/short/UTF-16, EAF, RTTM):
// exact text, round trips and the exact messages for malformed files.
#include <gtest/gtest.h>

#include "dyad/formats/annotations.hpp"
#include "dyad/formats/error.hpp"
#include "dyad/formats/export.hpp"
#include "dyad/formats/features.hpp"

using namespace dyad;
using namespace dyad::formats;

namespace {
ExportInput small() {
  ExportInput in;
  in.session_id = "S1";
  in.duration_s = 4;
  in.roles = {"A", "B"};
  in.segments = {{"A", 0.5, 2}, {"B", 1.5, 1.75}, {"B", 2.5, 3}};
  dsp::TurnEvent bc{dsp::EventType::backchannel, 1.5, 1.75, "A", "B", -1};
  dsp::TurnEvent ow{dsp::EventType::overlap_within, 1.5, 1.75, "A", "B", -1};
  dsp::TurnEvent gap{dsp::EventType::gap, 2, 2.5, "A", "B", -1};
  in.events = {bc, ow, gap};
  return in;
}

template <class F>
std::string message_of(F f) {
  try {
    f();
  } catch (const FormatError& e) {
    return e.what();
  }
  return "no error";
}
}  // namespace

TEST(Export, RttmLines) {
  EXPECT_EQ(write_rttm(small()),
            "SPEAKER S1 1 0.500 1.500 <NA> <NA> A <NA> <NA>\n"
            "SPEAKER S1 1 1.500 0.250 <NA> <NA> B <NA> <NA>\n"
            "SPEAKER S1 1 2.500 0.500 <NA> <NA> B <NA> <NA>\n");
}

TEST(Export, RttmRoundTripsThroughTheImporter) {
  auto tiers = parse_rttm(write_rttm(small()), "x.rttm");
  ASSERT_EQ(tiers.size(), 2u);
  EXPECT_EQ(tiers[0].name, "A");
  EXPECT_EQ(tiers[1].name, "B");
  auto segs = segments_from_tiers(tiers, {}, {"A", "B"}, "x.rttm");
  ASSERT_EQ(segs.size(), 3u);
  EXPECT_EQ(segs[0].start_s, 0.5);
  EXPECT_EQ(segs[0].end_s, 2.0);
  EXPECT_EQ(segs[2].role, "B");
  EXPECT_EQ(segs[2].end_s, 3.0);
}

TEST(Export, RttmFromOtherSystems) {
  // comments, other line types, tabs, 9-field lines, CRLF, out-of-order and overlapping turns of
  // one speaker (merged), speaker names that are not roles (picked with --tier ROLE=NAME)
  const std::string text =
      ";; diarization of S1\r\n"
      "SPKR-INFO S1 1 <NA> <NA> <NA> unknown spk0 <NA>\n"
      "SPEAKER S1 1 3.25 1.0 <NA> <NA> spk0 <NA>\r\n"
      "SPEAKER\tS1\t1\t0.5\t1.5\t<NA>\t<NA>\tspk0\t0.9\t<NA>\n"
      "\n"
      "SPEAKER S1 1 1.0 2.0 <NA> <NA> spk0 <NA> <NA>\n"
      "SPEAKER S1 1 2.0 0.5 <NA> <NA> spk1 <NA> <NA>\n";
  auto tiers = parse_rttm(text, "d.rttm");
  ASSERT_EQ(tiers.size(), 2u);
  EXPECT_EQ(tiers[0].name, "spk0");
  ASSERT_EQ(tiers[0].items.size(), 2u);
  EXPECT_EQ(tiers[0].items[0].start_s, 0.5);
  EXPECT_EQ(tiers[0].items[0].end_s, 3.0);
  EXPECT_EQ(tiers[0].items[1].start_s, 3.25);
  auto segs = segments_from_tiers(tiers, {"A=spk1", "B=spk0"}, {"A", "B"}, "d.rttm");
  ASSERT_EQ(segs.size(), 3u);
  EXPECT_EQ(segs[0].role, "B");
  EXPECT_EQ(segs[1].role, "A");
  EXPECT_EQ(message_of([&] { segments_from_tiers(tiers, {}, {"A", "B"}, "d.rttm"); }),
            "d.rttm: no interval tier named A, B or therapist (name the tiers with --tier ROLE=TIER)");
}

TEST(Export, MalformedRttmGivesTheLineAndWhatWasExpected) {
  EXPECT_EQ(message_of([] { parse_rttm("", "e.rttm"); }), "e.rttm: no SPEAKER lines (is it an RTTM file?)");
  EXPECT_EQ(message_of([] { parse_rttm("File type = \"ooTextFile\"\n", "e.rttm"); }), "e.rttm: no SPEAKER lines (is it an RTTM file?)");
  EXPECT_EQ(message_of([] { parse_rttm("SPEAKER S1 1 0.5 1.5 <NA> <NA> A <NA> <NA>\nSPEAKER S1 1 0.5\n", "e.rttm"); }),
            "e.rttm:2: a SPEAKER line has 4 fields, expected 10 (SPEAKER file channel onset duration <NA> <NA> speaker <NA> <NA>)");
  EXPECT_EQ(message_of([] { parse_rttm("SPEAKER S1 1 x 1.5 <NA> <NA> A <NA> <NA>\n", "e.rttm"); }),
            "e.rttm:1: the onset 'x' is not a time in seconds >= 0");
  EXPECT_EQ(message_of([] { parse_rttm("SPEAKER S1 1 -1 1.5 <NA> <NA> A <NA> <NA>\n", "e.rttm"); }),
            "e.rttm:1: the onset '-1' is not a time in seconds >= 0");
  EXPECT_EQ(message_of([] { parse_rttm("SPEAKER S1 1 1 nan <NA> <NA> A <NA> <NA>\n", "e.rttm"); }),
            "e.rttm:1: the duration 'nan' is not a duration in seconds >= 0");
  EXPECT_EQ(message_of([] { parse_rttm("SPEAKER S1 1 1 inf <NA> <NA> A <NA> <NA>\n", "e.rttm"); }),
            "e.rttm:1: the duration 'inf' is not a duration in seconds >= 0");
}

TEST(Export, TextGridLongFormatRoundTrips) {
  auto tg = write_textgrid(small());
  const std::string head =
            "File type = \"ooTextFile\"\nObject class = \"TextGrid\"\n\nxmin = 0 \nxmax = 4 \ntiers? <exists> \nsize = 3 \nitem []: \n"
            "    item [1]:\n        class";
  EXPECT_EQ(tg.substr(0, head.size()), head);
  EXPECT_NE(tg.find("text = \"overlap_within+backchannel A>B\""), std::string::npos);
  EXPECT_NE(tg.find("text = \"gap A>B\""), std::string::npos);
  auto tiers = parse_textgrid(tg, "x.TextGrid");
  ASSERT_EQ(tiers.size(), 3u);
  EXPECT_EQ(tiers[0].name, "A");
  ASSERT_EQ(tiers[0].items.size(), 3u);  // silence, speech, silence
  EXPECT_EQ(tiers[0].items[1].start_s, 0.5);
  EXPECT_EQ(tiers[0].items[1].text, "speech");
  EXPECT_EQ(tiers[2].name, "events");
  auto segs = segments_from_tiers(tiers, {}, {"A", "B"}, "x.TextGrid");
  ASSERT_EQ(segs.size(), 3u);
  EXPECT_EQ(segs[1].role, "B");
  EXPECT_EQ(segs[1].end_s, 1.75);
}

TEST(Export, EafRoundTripsToTheMillisecond) {
  auto in = small();
  in.audio_path = "/data/s1/audio.wav";
  auto eaf = write_eaf(in, "/data/out/s1.eaf");
  EXPECT_NE(eaf.find("MEDIA_URL=\"file:///data/s1/audio.wav\""), std::string::npos);
  EXPECT_NE(eaf.find("RELATIVE_MEDIA_URL=\"../s1/audio.wav\""), std::string::npos);
  auto tiers = parse_eaf(eaf, "x.eaf");
  ASSERT_EQ(tiers.size(), 3u);
  auto segs = segments_from_tiers(tiers, {"A", "B=B"}, {}, "x.eaf");
  ASSERT_EQ(segs.size(), 3u);
  EXPECT_EQ(segs[0].start_s, 0.5);
  EXPECT_EQ(segs[2].end_s, 3.0);
  EXPECT_EQ(tiers[2].items[0].text, "overlap_within+backchannel A>B");
}

TEST(Annotations, ShortTextGridAndUtf16) {
  std::string s = "File type = \"ooTextFile short\"\n\"TextGrid\"\n\n0\n3\n<exists>\n2\n\"IntervalTier\"\n\"B\"\n0\n3\n2\n0\n1.5\n\"ja \"\"so\"\"\"\n1.5\n3\n\"\"\n"
                  "\"TextTier\"\n\"notes\"\n0\n3\n1\n2.5\n\"laugh\"\n";
  // Praat's short format has the file type "ooTextFile" too; keep the header Praat writes
  s.replace(s.find("ooTextFile short"), 16, "ooTextFile");
  auto tiers = parse_textgrid(s, "short.TextGrid");
  ASSERT_EQ(tiers.size(), 2u);
  EXPECT_EQ(tiers[0].items[0].text, "ja \"so\"");
  EXPECT_FALSE(tiers[1].intervals);
  EXPECT_EQ(tiers[1].items[0].start_s, 2.5);
  // UTF-16 LE with a byte-order mark, as Praat writes non-ASCII text
  std::string u16 = "\xFF\xFE";
  for (char c : s) {
    u16 += c;
    u16 += '\0';
  }
  auto t2 = parse_textgrid(u16, "u16.TextGrid");
  ASSERT_EQ(t2.size(), 2u);
  EXPECT_EQ(t2[0].items[0].end_s, 1.5);
  EXPECT_EQ(message_of([&] { segments_from_tiers(tiers, {"A=notes"}, {}, "short.TextGrid"); }),
            "short.TextGrid: tier 'notes' is a point tier; expected intervals");
  EXPECT_EQ(message_of([&] { segments_from_tiers(tiers, {"B"}, {"A", "therapist"}, "short.TextGrid"); }),
            "short.TextGrid: tier 'B' is for role B, which the session does not have");
  EXPECT_EQ(message_of([&] { segments_from_tiers(tiers, {"speaker=B"}, {}, "short.TextGrid"); }),
            "--tier speaker=B: 'speaker' is not a role (A, B or therapist); use ROLE=TIER");
  EXPECT_EQ(message_of([&] { segments_from_tiers({tiers[1]}, {}, {}, "short.TextGrid"); }),
            "short.TextGrid: no interval tier named A, B or therapist (name the tiers with --tier ROLE=TIER)");
}

TEST(Annotations, MalformedFilesGiveExactMessages) {
  EXPECT_EQ(message_of([] { parse_textgrid("File type = \"ooTextFile\"\nObject class = \"Pitch 1\"\n", "p.TextGrid"); }),
            "p.TextGrid: not a Praat TextGrid (expected File type = \"ooTextFile\" and Object class = \"TextGrid\", found "
            "\"ooTextFile\" and \"Pitch 1\")");
  EXPECT_EQ(message_of([] {
              parse_textgrid("File type = \"ooTextFile\"\nObject class = \"TextGrid\"\nxmin = 0\nxmax = 3\ntiers? <exists>\nsize = 1\n"
                             "item []:\n item [1]:\n class = \"IntervalTier\"\n name = \"A\"\n xmin = 0\n xmax = 3\n intervals: size = 1\n"
                             " intervals [1]:\n xmin = \"zero\"\n",
                             "bad.TextGrid");
            }),
            "bad.TextGrid:15: expected an interval's xmin (a number), found 'zero'");
  EXPECT_EQ(message_of([] { parse_textgrid("File type = \"ooTextFile\"\nObject class = \"TextGrid\"\nxmin = 0\n", "cut.TextGrid"); }),
            "cut.TextGrid:3: the file ends where xmax was expected");
  EXPECT_EQ(message_of([] { parse_eaf("<html></html>", "x.eaf"); }), "x.eaf: not an ELAN EAF file (no ANNOTATION_DOCUMENT element)");
  EXPECT_EQ(message_of([] {
              parse_eaf("<ANNOTATION_DOCUMENT>\n<TIME_ORDER><TIME_SLOT TIME_SLOT_ID=\"ts1\"/></TIME_ORDER>\n<TIER TIER_ID=\"A\">\n"
                        "<ANNOTATION><ALIGNABLE_ANNOTATION ANNOTATION_ID=\"a1\" TIME_SLOT_REF1=\"ts1\" TIME_SLOT_REF2=\"ts1\">"
                        "<ANNOTATION_VALUE>x</ANNOTATION_VALUE></ALIGNABLE_ANNOTATION></ANNOTATION></TIER></ANNOTATION_DOCUMENT>",
                        "u.eaf");
            }),
            "u.eaf:4: annotation 'a1' of tier 'A' refers to a time slot without a time (unaligned annotations are not supported)");
  EXPECT_EQ(message_of([] { parse_segments("role\tstart_s\tend_s\nA\t2\t1\n", "segments.tsv"); }),
            "segments.tsv:2: end_s (1) is before start_s (2)");
  EXPECT_EQ(message_of([] { parse_events("type\tstart_s\tend_s\tfrom_role\tto_role\tsuccessful\nsilence\t1\t2\tA\tB\tn/a\n", "e.tsv"); }),
            "e.tsv:2: type must be pause, gap, overlap_between, overlap_within, backchannel or interruption, found 'silence'");
}

TEST(Export, RegistryKnowsTheFormats) {
  ASSERT_NE(find_export_format("textgrid"), nullptr);
  EXPECT_EQ(find_export_format("eaf")->extension, ".eaf");
  EXPECT_EQ(find_export_format("csv"), nullptr);
  register_export_format({"test", ".txt", "a test", [](const ExportInput& in, const std::filesystem::path&) { return in.session_id; }});
  EXPECT_EQ(find_export_format("test")->write(small(), "x"), "S1");
}
