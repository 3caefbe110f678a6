// Full-jitter reconnect backoff: bounded ceilings, permanent failures at the cap.

#include "sources/wmi_events/reconnect_backoff.hpp"

#include <gtest/gtest.h>

namespace uda {
namespace {

TEST(ReconnectBackoff, CeilingDoublesUpToTheCap) {
  const ReconnectBackoff b(Millis(5000), Millis(300'000), 1);
  EXPECT_EQ(b.ceiling(0), Millis(5000));
  EXPECT_EQ(b.ceiling(1), Millis(5000));
  EXPECT_EQ(b.ceiling(2), Millis(10'000));
  EXPECT_EQ(b.ceiling(3), Millis(20'000));
  EXPECT_EQ(b.ceiling(7), Millis(300'000));  // 320 s capped
  EXPECT_EQ(b.ceiling(1'000'000), Millis(300'000));
  EXPECT_EQ(b.ceiling(1, true), Millis(300'000));
}

TEST(ReconnectBackoff, DelaysStayWithinTheCeiling) {
  ReconnectBackoff b(Millis(100), Millis(1000), 42);
  bool saw_low = false;
  bool saw_high = false;
  for (int i = 0; i < 2000; ++i) {
    const int failures = 1 + i % 10;
    const auto d = b.next(failures, i % 7 == 0);
    EXPECT_GE(d, Millis(0));
    EXPECT_LE(d, b.ceiling(failures, i % 7 == 0));
    saw_low |= d < Millis(50);
    saw_high |= d > Millis(900);
  }
  EXPECT_TRUE(saw_low);  // full jitter: anywhere from 0
  EXPECT_TRUE(saw_high);
}

TEST(ReconnectBackoff, CapBelowBaseIsRaised) {
  ReconnectBackoff b(Millis(2000), Millis(10), 7);
  EXPECT_EQ(b.ceiling(5), Millis(2000));
  ReconnectBackoff zero(Millis(0), Millis(0), 7);
  EXPECT_EQ(zero.next(3), Millis(0));
}

}  // namespace
}  // namespace uda
