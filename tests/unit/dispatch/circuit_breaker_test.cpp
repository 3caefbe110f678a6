#include "dispatch/circuit_breaker.hpp"

#include <gtest/gtest.h>

namespace uda {
namespace {

const TimePoint t0 = from_unix_ms(1'000'000);

TEST(CircuitBreaker, OpensAfterConsecutiveTransientFailures) {
  CircuitBreaker b({3, Millis(1000), Millis(8000)});
  EXPECT_TRUE(b.allow(t0));
  b.on_transient_failure(t0);
  b.on_transient_failure(t0);
  EXPECT_EQ(b.state(t0), BreakerState::Closed);
  b.on_transient_failure(t0);
  EXPECT_EQ(b.state(t0), BreakerState::Open);
  EXPECT_FALSE(b.allow(t0 + Millis(999)));
  EXPECT_EQ(b.times_opened(), 1);
}

TEST(CircuitBreaker, SuccessResetsTheCount) {
  CircuitBreaker b({3, Millis(1000), Millis(8000)});
  b.on_transient_failure(t0);
  b.on_transient_failure(t0);
  b.on_success();
  b.on_transient_failure(t0);
  b.on_transient_failure(t0);
  EXPECT_EQ(b.state(t0), BreakerState::Closed);
}

TEST(CircuitBreaker, HalfOpenLetsExactlyOneProbeThrough) {
  CircuitBreaker b({1, Millis(1000), Millis(8000)});
  b.on_transient_failure(t0);
  const auto later = t0 + Millis(1000);
  EXPECT_EQ(b.state(later), BreakerState::HalfOpen);
  EXPECT_TRUE(b.allow(later));
  EXPECT_FALSE(b.allow(later));
  EXPECT_FALSE(b.allow(later + Millis(5000)));
  b.on_success();
  EXPECT_EQ(b.state(later), BreakerState::Closed);
  EXPECT_TRUE(b.allow(later));
  EXPECT_TRUE(b.allow(later));
}

TEST(CircuitBreaker, FailedProbeReopensForLongerUpToTheMax) {
  CircuitBreaker b({1, Millis(1000), Millis(3000)});
  b.on_transient_failure(t0);
  TimePoint now = t0 + Millis(1000);
  ASSERT_TRUE(b.allow(now));
  b.on_transient_failure(now);
  EXPECT_EQ(b.state(now + Millis(1999)), BreakerState::Open);
  EXPECT_EQ(b.state(now + Millis(2000)), BreakerState::HalfOpen);
  now += Millis(2000);
  ASSERT_TRUE(b.allow(now));
  b.on_transient_failure(now);
  EXPECT_EQ(b.reopens_at(), now + Millis(3000));  // capped at max_open_for
  now += Millis(3000);
  ASSERT_TRUE(b.allow(now));
  b.on_success();
  b.on_transient_failure(now);  // after closing, the period starts over
  EXPECT_EQ(b.reopens_at(), now + Millis(1000));
}

}  // namespace
}  // namespace uda
