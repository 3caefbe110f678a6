#include "dispatch/backoff.hpp"

#include <gtest/gtest.h>

namespace uda {
namespace {

TEST(Backoff, CeilingDoublesFromBaseUpToCap) {
  Backoff b({Millis(1000), Millis(300'000), 8}, 1);
  EXPECT_EQ(b.ceiling(1), Millis(1000));
  EXPECT_EQ(b.ceiling(2), Millis(2000));
  EXPECT_EQ(b.ceiling(3), Millis(4000));
  EXPECT_EQ(b.ceiling(9), Millis(256'000));
  EXPECT_EQ(b.ceiling(10), Millis(300'000));
  EXPECT_EQ(b.ceiling(1000), Millis(300'000));  // no overflow, saturates at cap
  EXPECT_EQ(b.ceiling(0), Millis(1000));
}

TEST(Backoff, DelaysAreFullJitterWithinTheCeiling) {
  Backoff b({Millis(100), Millis(10'000), 8}, 42);
  for (int attempt = 1; attempt <= 12; ++attempt) {
    const auto ceiling = b.ceiling(attempt);
    Millis lo = ceiling;
    Millis hi{0};
    double sum = 0;
    constexpr int kSamples = 4000;
    for (int i = 0; i < kSamples; ++i) {
      const auto d = b.next_delay(attempt);
      ASSERT_GE(d, Millis(0));
      ASSERT_LE(d, ceiling);
      lo = std::min(lo, d);
      hi = std::max(hi, d);
      sum += static_cast<double>(d.count());
    }
    // Full jitter spreads over the whole range: mean near half the ceiling,
    // samples near both ends (wide bounds: this is a property, not a timing).
    const double mean = sum / kSamples;
    EXPECT_NEAR(mean, static_cast<double>(ceiling.count()) / 2, ceiling.count() * 0.1) << attempt;
    EXPECT_LT(lo.count(), ceiling.count() / 10 + 1) << attempt;
    EXPECT_GT(hi.count(), ceiling.count() * 9 / 10) << attempt;
  }
}

TEST(Backoff, SameSeedSameSequence) {
  Backoff a({Millis(100), Millis(10'000), 8}, 7);
  Backoff b({Millis(100), Millis(10'000), 8}, 7);
  Backoff c({Millis(100), Millis(10'000), 8}, 8);
  bool differs = false;
  for (int i = 1; i < 50; ++i) {
    const auto x = a.next_delay(i % 10 + 1);
    EXPECT_EQ(x, b.next_delay(i % 10 + 1));
    differs = differs || x != c.next_delay(i % 10 + 1);
  }
  EXPECT_TRUE(differs);
}

TEST(Backoff, ExhaustedAfterMaxAttempts) {
  Backoff b({Millis(1), Millis(2), 3}, 1);
  EXPECT_FALSE(b.exhausted(1));
  EXPECT_FALSE(b.exhausted(2));
  EXPECT_TRUE(b.exhausted(3));
  EXPECT_TRUE(b.exhausted(4));
}

}  // namespace
}  // namespace uda
