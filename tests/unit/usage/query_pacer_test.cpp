// QueryPacer: evenly spaced query starts, never more than N in a minute.

#include "sources/usage/query_pacer.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace uda {
namespace {

const TimePoint kPacerT0 = from_unix_ms(1'800'000'000'000);

TEST(QueryPacer, FirstQueryAtOnceThenEvenGaps) {
  QueryPacer p(60);
  EXPECT_EQ(p.gap(), Millis(1000));
  EXPECT_EQ(p.wait(kPacerT0), Millis(0));
  p.record(kPacerT0);
  EXPECT_EQ(p.wait(kPacerT0), Millis(1000));
  EXPECT_EQ(p.wait(kPacerT0 + Millis(400)), Millis(600));
  EXPECT_EQ(p.wait(kPacerT0 + Millis(1000)), Millis(0));
  EXPECT_EQ(p.wait(kPacerT0 + Millis(5000)), Millis(0));
}

TEST(QueryPacer, GapRoundsUpSoAMinuteNeverHoldsMore) {
  QueryPacer p(7);  // 60000 / 7 = 8571.4 -> 8572
  EXPECT_EQ(p.gap(), Millis(8572));
  // Start every query as early as allowed; no 60 s window holds more than 7.
  std::vector<TimePoint> starts;
  TimePoint now = kPacerT0;
  for (int i = 0; i < 50; ++i) {
    now += p.wait(now);
    p.record(now);
    starts.push_back(now);
  }
  for (std::size_t i = 0; i < starts.size(); ++i) {
    int in_window = 0;
    for (const auto& s : starts) {
      if (s >= starts[i] && s < starts[i] + Millis(60'000)) ++in_window;
    }
    EXPECT_LE(in_window, 7) << "window starting at query " << i;
  }
}

TEST(QueryPacer, ClockGoingBackNeverWaitsLongerThanOneGap) {
  QueryPacer p(1);
  p.record(kPacerT0);
  EXPECT_EQ(p.wait(kPacerT0 - Millis(3'600'000)), Millis(60'000));
}

TEST(QueryPacer, OutOfRangeRateIsOnePerMinute) {
  EXPECT_EQ(QueryPacer(0).gap(), Millis(60'000));
  EXPECT_EQ(QueryPacer(-5).gap(), Millis(60'000));
}

}  // namespace
}  // namespace uda
