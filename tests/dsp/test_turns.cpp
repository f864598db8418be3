// Turn-taking engine on hand-built talkspurts: every event type, ties, three parties, silence,
// exclusions, and exact statistics. Times are multiples of 1/4 s so every value is exact.
#include <gtest/gtest.h>

#include <cmath>
#include <sstream>

#include "dyad/dsp/turns.hpp"

using namespace dyad::dsp;

namespace {

std::string num(double v) {
  if (std::isnan(v)) return "n/a";
  std::ostringstream o;
  o << v;
  return o.str();
}

std::vector<std::string> events(const TurnTaking& t) {
  std::vector<std::string> out;
  for (auto& e : t.events)
    out.push_back(std::string(event_type_name(e.type)) + " " + num(e.start_s) + " " + num(e.end_s) + " " + e.from_role +
                  ">" + e.to_role + (e.successful < 0 ? "" : e.successful ? " ok" : " failed"));
  return out;
}

std::vector<std::string> turns(const TurnTaking& t) {
  std::vector<std::string> out;
  for (auto& u : t.turns)
    out.push_back(std::to_string(u.number) + " " + u.role + " " + num(u.start_s) + " " + num(u.end_s) + " " + num(u.fto_s));
  return out;
}

TurnTaking tt(std::vector<Segment> s, std::vector<Interval> ex = {}, double bc = 1.0,
              std::vector<std::string> roles = {"A", "B"}) {
  TurnConfig c;
  c.backchannel_max_s = bc;
  c.roles = roles;
  return compute_turn_taking(s, ex, c);
}

using V = std::vector<std::string>;

}  // namespace

TEST(TurnTaking, GapPassesTheFloor) {
  auto t = tt({{"A", 0, 2}, {"B", 2.5, 4}});
  EXPECT_EQ(events(t), V({"gap 2 2.5 A>B"}));
  EXPECT_EQ(turns(t), V({"1 A 0 2 n/a", "2 B 2.5 4 0.5"}));
  EXPECT_EQ(t.turns[1].prev_role, "A");
}

TEST(TurnTaking, PauseKeepsTheFloor) {
  auto t = tt({{"A", 0, 1}, {"A", 1.5, 3}});
  EXPECT_EQ(events(t), V({"pause 1 1.5 A>A"}));
  EXPECT_EQ(turns(t), V({"1 A 0 3 n/a"}));
  EXPECT_EQ(t.turns[0].talkspurts, 2u);
  EXPECT_EQ(t.turns[0].speaking_s, 2.5);
}

TEST(TurnTaking, ShortBetweenOverlapIsNoInterruption) {
  auto t = tt({{"A", 0, 3}, {"B", 2.5, 5}});
  EXPECT_EQ(events(t), V({"overlap_between 2.5 3 A>B"}));
  EXPECT_EQ(turns(t), V({"1 A 0 3 n/a", "2 B 2.5 5 -0.5"}));
}

TEST(TurnTaking, SuccessfulInterruption) {
  auto t = tt({{"A", 0, 4}, {"B", 2, 6}});
  EXPECT_EQ(events(t), V({"interruption 2 4 A>B ok", "overlap_between 2 4 A>B"}));
  EXPECT_EQ(turns(t), V({"1 A 0 4 n/a", "2 B 2 6 -2"}));
}

TEST(TurnTaking, FailedInterruption) {
  auto t = tt({{"A", 0, 6}, {"B", 2, 4}});
  EXPECT_EQ(events(t), V({"interruption 2 4 A>B failed", "overlap_within 2 4 A>B"}));
  EXPECT_EQ(turns(t), V({"1 A 0 6 n/a"}));
}

TEST(TurnTaking, BackchannelIsNotATurn) {
  auto t = tt({{"A", 0, 6}, {"B", 2, 2.5}, {"B", 7, 8}});
  EXPECT_EQ(events(t), V({"backchannel 2 2.5 A>B", "overlap_within 2 2.5 A>B", "gap 6 7 A>B"}));
  EXPECT_EQ(turns(t), V({"1 A 0 6 n/a", "2 B 7 8 1"}));
}

TEST(TurnTaking, BackchannelAndInterruptionThresholdsAreStrict) {
  // exactly backchannel_max_s long: neither a backchannel nor an interruption
  auto t = tt({{"A", 0, 6}, {"B", 2, 3}});
  EXPECT_EQ(events(t), V({"overlap_within 2 3 A>B"}));
  // the parameter moves both
  t = tt({{"A", 0, 6}, {"B", 2, 3}}, {}, 1.5);
  EXPECT_EQ(events(t), V({"backchannel 2 3 A>B", "overlap_within 2 3 A>B"}));
  t = tt({{"A", 0, 6}, {"B", 2, 3}}, {}, 0.5);
  EXPECT_EQ(events(t), V({"interruption 2 3 A>B failed", "overlap_within 2 3 A>B"}));
}

TEST(TurnTaking, SimultaneousStartTiesByRoleOrder) {
  // Both start at 0: A counts as the holder; B stops first -> within overlap, a backchannel
  // (preceded by the session start, so not an interruption).
  auto t = tt({{"B", 0, 0.5}, {"A", 0, 2}});
  EXPECT_EQ(events(t), V({"backchannel 0 0.5 A>B", "overlap_within 0 0.5 A>B"}));
  EXPECT_EQ(turns(t), V({"1 A 0 2 n/a"}));
  // A stops first: the floor goes to B in a between overlap, never an interruption
  t = tt({{"A", 0, 1.5}, {"B", 0, 3}});
  EXPECT_EQ(events(t), V({"overlap_between 0 1.5 A>B"}));
  EXPECT_EQ(turns(t), V({"1 A 0 1.5 n/a", "2 B 0 3 -1.5"}));
  // simultaneous start after a silence, simultaneous end before one
  t = tt({{"A", 0, 1}, {"A", 2, 4}, {"B", 2, 4}, {"B", 5, 6}});
  // overlap 2-4: before A (tie), after: both end at 4 -> A (tie) -> within; silence 4-5: A>B gap
  EXPECT_EQ(events(t), V({"pause 1 2 A>A", "overlap_within 2 4 A>B", "gap 4 5 A>B"}));
  EXPECT_EQ(turns(t), V({"1 A 0 4 n/a", "2 B 5 6 1"}));
}

TEST(TurnTaking, DirectHandOverPassesTheFloorWithoutAnEvent) {
  auto t = tt({{"A", 0, 1}, {"B", 1, 2}});
  EXPECT_TRUE(t.events.empty());
  EXPECT_EQ(turns(t), V({"1 A 0 1 n/a", "2 B 1 2 0"}));
}

TEST(TurnTaking, ThreePartyOverlap) {
  // A holds; B enters at 1, the therapist at 2; A stops at 4, B at 5; the therapist goes on.
  auto t = tt({{"A", 0, 4}, {"B", 1, 5}, {"therapist", 2, 7}}, {}, 1.0, {"A", "B", "therapist"});
  EXPECT_EQ(events(t), V({"interruption 1 5 A>B ok", "overlap_between 1 5 A>B"}));
  EXPECT_EQ(turns(t), V({"1 A 0 4 n/a", "2 therapist 2 7 -2"}));
  auto st = summarize(t, 0, 8);
  ASSERT_EQ(st.roles.size(), 3u);
  EXPECT_EQ(st.roles[1].turns.count, 0u);
  EXPECT_EQ(st.roles[1].overlap_s, 4);  // B always overlapped
  EXPECT_EQ(st.roles[2].overlap_s, 3);
  EXPECT_EQ(st.roles[2].solo_s, 2);
  EXPECT_EQ(st.dyad.overlap_s, 4);
  EXPECT_EQ(st.dyad.silence_s, 1);
  ASSERT_EQ(st.dyad.directions.size(), 6u);
  EXPECT_EQ(st.dyad.directions[1].from_role, "A");
  EXPECT_EQ(st.dyad.directions[1].to_role, "therapist");
  EXPECT_EQ(st.dyad.directions[1].fto.median_s, -2);
}

TEST(TurnTaking, TherapistTakesTurnsAfterGaps) {
  auto t = tt({{"A", 0, 1}, {"therapist", 1.5, 2}, {"B", 3, 4}, {"A", 4.25, 5}}, {}, 1.0, {"A", "B", "therapist"});
  EXPECT_EQ(events(t), V({"gap 1 1.5 A>therapist", "gap 2 3 therapist>B", "gap 4 4.25 B>A"}));
  EXPECT_EQ(turns(t), V({"1 A 0 1 n/a", "2 therapist 1.5 2 0.5", "3 B 3 4 1", "4 A 4.25 5 0.25"}));
}

TEST(TurnTaking, OnePartnerSilent) {
  auto t = tt({{"A", 0, 1}, {"A", 2, 3}});
  EXPECT_EQ(t.roles, V({"A", "B"}));
  EXPECT_EQ(events(t), V({"pause 1 2 A>A"}));
  auto st = summarize(t, 0, 4);
  EXPECT_EQ(st.roles[0].speaking_s, 2);
  EXPECT_EQ(st.roles[0].speaking_share, 1);
  EXPECT_EQ(st.roles[0].speaking_fraction, 0.5);
  EXPECT_EQ(st.roles[1].speaking_s, 0);
  EXPECT_EQ(st.roles[1].speaking_share, 0);
  EXPECT_EQ(st.roles[1].floor_s, 0);
  EXPECT_TRUE(std::isnan(st.roles[1].turns.mean_s));
  EXPECT_EQ(st.dyad.floor_changes, 0u);
  EXPECT_TRUE(std::isnan(st.dyad.fto.median_s));
}

TEST(TurnTaking, NobodySpeaks) {
  auto t = tt({});
  EXPECT_TRUE(t.events.empty());
  EXPECT_TRUE(t.turns.empty());
  auto st = summarize(t, 0, 10);
  EXPECT_EQ(st.dyad.silence_s, 10);
  EXPECT_TRUE(std::isnan(st.roles[0].speaking_share));
}

TEST(TurnTaking, ExclusionsClipTalkspurtsAndCutEventsAndTurns) {
  // A talks across an exclusion: two talkspurts, no pause (it would touch the exclusion), two turns
  auto t = tt({{"A", 0, 10}}, {{4, 6}});
  ASSERT_EQ(t.segments.size(), 2u);
  EXPECT_EQ(t.segments[0].end_s, 4);
  EXPECT_EQ(t.segments[1].start_s, 6);
  EXPECT_TRUE(t.events.empty());
  EXPECT_EQ(turns(t), V({"1 A 0 4 n/a", "2 A 6 10 n/a"}));
  // a silence touching an exclusion is not a gap; B's talkspurt starts at the exclusion's end
  t = tt({{"A", 0, 2}, {"B", 4, 8}}, {{3, 5}});
  EXPECT_TRUE(t.events.empty());
  EXPECT_EQ(turns(t), V({"1 A 0 2 n/a", "2 B 5 8 n/a"}));
  // an overlap touching an exclusion is not an event
  t = tt({{"A", 0, 5}, {"B", 3, 5}}, {{4, 6}});
  EXPECT_TRUE(t.events.empty());
  // an overlap after an exclusion, not touching it, is an event (preceded by silence)
  t = tt({{"A", 7, 9}, {"B", 7, 7.5}}, {{4, 6}});
  EXPECT_EQ(events(t), V({"backchannel 7 7.5 A>B", "overlap_within 7 7.5 A>B"}));
  // a talkspurt entirely inside is dropped; overlapping exclusions merge
  t = tt({{"A", 0, 1}, {"B", 4.5, 5.5}, {"A", 8, 9}}, {{5, 7}, {4, 5.25}});
  ASSERT_EQ(t.exclusions.size(), 1u);
  EXPECT_EQ(t.exclusions[0].start_s, 4);
  EXPECT_EQ(t.exclusions[0].end_s, 7);
  EXPECT_EQ(t.segments.size(), 2u);
  auto st = summarize(t, 0, 10);
  EXPECT_EQ(st.dyad.excluded_s, 3);
  EXPECT_EQ(st.dyad.analysed_s, 7);
  EXPECT_EQ(st.dyad.silence_s, 5);
}

TEST(TurnTaking, MergesTouchingTalkspurtsAndSortsSegments) {
  auto t = tt({{"B", 1, 2}, {"A", 0, 1}, {"A", 1, 3}, {"B", 1, 1}});
  ASSERT_EQ(t.segments.size(), 2u);
  EXPECT_EQ(t.segments[0].role, "A");
  EXPECT_EQ(t.segments[0].end_s, 3);
  EXPECT_EQ(t.segments[1].role, "B");
}

TEST(TurnTaking, RejectsBadInput) {
  try {
    tt({{"A", 2, 1}});
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "turn taking: talkspurt 1 of role 'A' is not a finite interval with end >= start (2.000000 to 1.000000)");
  }
  try {
    tt({{"A", 0, 1}}, {}, -1);
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "turn taking: backchannel_max_s must be a finite number >= 0, got -1.000000");
  }
  EXPECT_THROW(tt({{"A", 0, NAN}}), std::invalid_argument);
}

TEST(TurnTaking, DistributionQuartilesAreRType7) {
  auto d = distribution({4, 1, 3, 2});
  EXPECT_EQ(d.count, 4u);
  EXPECT_EQ(d.total_s, 10);
  EXPECT_EQ(d.mean_s, 2.5);
  EXPECT_EQ(d.median_s, 2.5);
  EXPECT_EQ(d.q1_s, 1.75);
  EXPECT_EQ(d.q3_s, 3.25);
  EXPECT_EQ(d.iqr_s, 1.5);
  EXPECT_EQ(d.min_s, 1);
  EXPECT_EQ(d.max_s, 4);
  auto one = distribution({-0.5});
  EXPECT_EQ(one.median_s, -0.5);
  EXPECT_EQ(one.iqr_s, 0);
}

TEST(TurnTaking, ConversationStatisticsAreExact) {
  // A 0-4 (pause 4-4.5) A 4.5-6; B backchannel 2-2.5; gap 6-7 -> B 7-10; A interrupts 9-10
  // (between, successful: B stops at 10, A goes on to 12); gap 12-12.5 -> B 12.5-13.
  auto t = tt({{"A", 0, 4}, {"A", 4.5, 6}, {"B", 2, 2.5}, {"B", 7, 10}, {"A", 8.5, 12}, {"B", 12.5, 13}});
  EXPECT_EQ(events(t), V({"backchannel 2 2.5 A>B", "overlap_within 2 2.5 A>B", "pause 4 4.5 A>A", "gap 6 7 A>B",
                          "interruption 8.5 10 B>A ok", "overlap_between 8.5 10 B>A", "gap 12 12.5 A>B"}));
  EXPECT_EQ(turns(t), V({"1 A 0 6 n/a", "2 B 7 10 1", "3 A 8.5 12 -1.5", "4 B 12.5 13 0.5"}));
  auto st = summarize(t, 0, 14);
  const auto& a = st.roles[0];
  const auto& b = st.roles[1];
  EXPECT_EQ(a.speaking_s, 9);
  EXPECT_EQ(b.speaking_s, 4);
  EXPECT_EQ(a.speaking_share, 9.0 / 13);
  EXPECT_EQ(a.talkspurts, 3u);
  EXPECT_EQ(a.overlap_s, 2);
  EXPECT_EQ(a.floor_s, 9.5);
  EXPECT_EQ(b.floor_s, 3.5);
  EXPECT_EQ(a.floor_share, 9.5 / 13);
  EXPECT_EQ(a.turns.count, 2u);
  EXPECT_EQ(a.turns.mean_s, 4.75);
  EXPECT_EQ(a.pauses.count, 1u);
  EXPECT_EQ(a.pauses.total_s, 0.5);
  EXPECT_EQ(b.gaps_before.count, 2u);
  EXPECT_EQ(b.gaps_before.total_s, 1.5);
  EXPECT_EQ(a.gaps_after.count, 2u);
  EXPECT_EQ(b.backchannels_given, 1u);
  EXPECT_EQ(a.backchannels_received, 1u);
  EXPECT_EQ(a.interruptions_made, 1u);
  EXPECT_EQ(a.interruptions_made_successful, 1u);
  EXPECT_EQ(b.interrupted, 1u);
  EXPECT_EQ(b.interrupted_successfully, 1u);
  EXPECT_EQ(a.overlaps_between_entered, 1u);
  EXPECT_EQ(b.overlaps_within_entered, 1u);
  const auto& d = st.dyad;
  EXPECT_EQ(d.speech_s, 11);
  EXPECT_EQ(d.overlap_s, 2);
  EXPECT_EQ(d.silence_s, 3);
  EXPECT_EQ(d.turns_count, 4u);
  EXPECT_EQ(d.floor_changes, 3u);
  EXPECT_EQ(d.fto.median_s, 0.5);
  EXPECT_EQ(d.gaps.count, 2u);
  EXPECT_EQ(d.interruptions_successful, 1u);
  // directions: A>B then B>A
  EXPECT_EQ(d.directions[0].from_role, "A");
  EXPECT_EQ(d.directions[0].fto.count, 2u);
  EXPECT_EQ(d.directions[0].fto.median_s, 0.75);
  EXPECT_EQ(d.directions[0].fto.iqr_s, 0.25);
  EXPECT_EQ(d.directions[1].fto.median_s, -1.5);

  auto w = window_stats(t, 14, 5);
  ASSERT_EQ(w.size(), 3u);
  EXPECT_EQ(w[0].speaking_s, std::vector<double>({4.5, 0.5}));
  EXPECT_EQ(w[1].speaking_s, std::vector<double>({2.5, 3}));
  EXPECT_EQ(w[2].speaking_s, std::vector<double>({2, 0.5}));
  EXPECT_EQ(w[0].floor_s, std::vector<double>({5, 0}));
  EXPECT_EQ(w[1].floor_s, std::vector<double>({2.5, 3}));
  EXPECT_EQ(w[1].turns_started, std::vector<std::size_t>({1, 1}));
  EXPECT_EQ(w[0].backchannels, 1u);
  EXPECT_EQ(w[0].pauses, 1u);
  EXPECT_EQ(w[1].gaps, 1u);
  EXPECT_EQ(w[1].interruptions, 1u);
  EXPECT_EQ(w[2].gaps, 1u);
  EXPECT_EQ(w[1].overlap_s, 1.5);
  EXPECT_EQ(w[2].end_s, 14);
  EXPECT_EQ(w[2].silence_s, 1.5);
  EXPECT_THROW(window_stats(t, 14, 0), std::invalid_argument);
}

TEST(TurnTaking, EventTypeNamesRoundTrip) {
  for (auto t : {EventType::pause, EventType::gap, EventType::overlap_between, EventType::overlap_within,
                 EventType::backchannel, EventType::interruption})
    EXPECT_EQ(parse_event_type(event_type_name(t)), t);
  EXPECT_FALSE(parse_event_type("silence"));
}
