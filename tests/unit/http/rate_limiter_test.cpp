#include "sources/http/rate_limiter.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace uda::http {
namespace {

using std::chrono::milliseconds;
using namespace std::chrono_literals;
constexpr auto t0 = std::chrono::steady_clock::time_point{} + std::chrono::hours(1000);

int allowed_in_a_row(RateLimiter& limiter, std::string_view key,
                     std::chrono::steady_clock::time_point now, int tries = 1000) {
  int n = 0;
  while (n < tries && limiter.allow(key, now).allowed) ++n;
  return n;
}

TEST(RateLimiter, BurstThenRefusal) {
  RateLimiter limiter(10, 5, 100);
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(limiter.allow("10.0.0.1", t0).allowed) << i;
  const auto refused = limiter.allow("10.0.0.1", t0);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after, 100ms);
  EXPECT_FALSE(limiter.allow("10.0.0.1", t0).allowed);  // refusals do not use up tokens
  EXPECT_EQ(limiter.allow("10.0.0.1", t0).retry_after, 100ms);
}

TEST(RateLimiter, AllowedDecisionHasNoRetryAfter) {
  RateLimiter limiter(1, 1, 10);
  const auto d = limiter.allow("a", t0);
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.retry_after, 0ms);
}

TEST(RateLimiter, RefillsOverInjectedTime) {
  RateLimiter limiter(10, 5, 100);  // one request per 100 ms
  EXPECT_EQ(allowed_in_a_row(limiter, "c", t0), 5);
  EXPECT_FALSE(limiter.allow("c", t0 + 99ms).allowed);
  EXPECT_TRUE(limiter.allow("c", t0 + 100ms).allowed);
  EXPECT_FALSE(limiter.allow("c", t0 + 100ms).allowed);
  EXPECT_EQ(allowed_in_a_row(limiter, "c", t0 + 350ms), 2);  // 250 ms more: two and a half
  // Long idle refills to the burst, never beyond it.
  EXPECT_EQ(allowed_in_a_row(limiter, "c", t0 + 1h), 5);
}

TEST(RateLimiter, RetryAfterIsExact) {
  RateLimiter limiter(4, 2, 10);  // one request per 250 ms
  EXPECT_EQ(allowed_in_a_row(limiter, "c", t0), 2);
  EXPECT_EQ(limiter.allow("c", t0).retry_after, 250ms);
  EXPECT_EQ(limiter.allow("c", t0 + 100ms).retry_after, 150ms);
  EXPECT_EQ(limiter.allow("c", t0 + 249ms).retry_after, 1ms);
  EXPECT_EQ(limiter.allow("c", t0 + 249ms + 500us).retry_after, 1ms);  // rounded up
  // Waiting exactly retry_after is enough.
  const auto d = limiter.allow("c", t0 + 10ms);
  ASSERT_FALSE(d.allowed);
  EXPECT_TRUE(limiter.allow("c", t0 + 10ms + d.retry_after).allowed);
}

TEST(RateLimiter, SlowRatesGiveLongRetryAfter) {
  RateLimiter limiter(1.0 / 60, 1, 10);  // one a minute
  EXPECT_TRUE(limiter.allow("c", t0).allowed);
  EXPECT_EQ(limiter.allow("c", t0).retry_after, 60'000ms);
  EXPECT_EQ(limiter.allow("c", t0 + 30s).retry_after, 30'000ms);
}

TEST(RateLimiter, FractionalBurst) {
  RateLimiter limiter(1, 2.5, 10);
  EXPECT_EQ(allowed_in_a_row(limiter, "c", t0), 2);
  EXPECT_EQ(limiter.allow("c", t0).retry_after, 500ms);
}

TEST(RateLimiter, ClientsAreIsolated) {
  RateLimiter limiter(1, 3, 100);
  EXPECT_EQ(allowed_in_a_row(limiter, "noisy", t0), 3);
  EXPECT_FALSE(limiter.allow("noisy", t0).allowed);
  EXPECT_EQ(allowed_in_a_row(limiter, "quiet", t0), 3);
  EXPECT_EQ(allowed_in_a_row(limiter, "other", t0), 3);
  EXPECT_EQ(limiter.client_count(), 3U);
}

TEST(RateLimiter, TimeGoingBackwardsIsHarmless) {
  RateLimiter limiter(10, 2, 10);
  EXPECT_EQ(allowed_in_a_row(limiter, "c", t0), 2);
  EXPECT_FALSE(limiter.allow("c", t0 - 10s).allowed);
  EXPECT_TRUE(limiter.allow("c", t0 + 100ms).allowed);
}

TEST(RateLimiter, EvictionKeepsMemoryBounded) {
  RateLimiter limiter(1, 2, 3);
  for (int i = 0; i < 10'000; ++i) {
    (void)limiter.allow("client-" + std::to_string(i), t0 + milliseconds(i));
    EXPECT_LE(limiter.client_count(), 3U);
  }
  EXPECT_EQ(limiter.client_count(), 3U);
}

TEST(RateLimiter, EvictsTheLeastRecentlySeen) {
  RateLimiter limiter(1, 2, 2);
  EXPECT_EQ(allowed_in_a_row(limiter, "a", t0), 2);
  EXPECT_EQ(allowed_in_a_row(limiter, "b", t0), 2);
  EXPECT_FALSE(limiter.allow("a", t0).allowed);  // a is now the most recently seen
  EXPECT_TRUE(limiter.allow("c", t0).allowed);   // full: b goes
  EXPECT_EQ(limiter.client_count(), 2U);
  EXPECT_FALSE(limiter.allow("a", t0).allowed);      // a was kept, still empty
  EXPECT_EQ(allowed_in_a_row(limiter, "b", t0), 2);  // b comes back with a full bucket
}

TEST(RateLimiter, ZeroRateIsUnlimited) {
  RateLimiter limiter(0, 0, 1);
  EXPECT_TRUE(limiter.unlimited());
  EXPECT_EQ(allowed_in_a_row(limiter, "c", t0, 100'000), 100'000);
  EXPECT_TRUE(limiter.allow("d", t0).allowed);
  EXPECT_EQ(limiter.client_count(), 0U);
}

TEST(RateLimiter, BadParametersThrow) {
  EXPECT_THROW(RateLimiter(-1, 1, 1), std::invalid_argument);
  EXPECT_THROW(RateLimiter(1, 0.5, 1), std::invalid_argument);
  EXPECT_THROW(RateLimiter(1, 1, 0), std::invalid_argument);
  EXPECT_THROW(RateLimiter(std::numeric_limits<double>::quiet_NaN(), 1, 1), std::invalid_argument);
  EXPECT_THROW(RateLimiter(std::numeric_limits<double>::infinity(), 1, 1), std::invalid_argument);
  EXPECT_NO_THROW(RateLimiter(1e6, 1e7, 1));
}

TEST(RateLimiter, ConcurrentClientsGetExactlyTheirBurst) {
  RateLimiter limiter(1, 50, 1000);
  std::atomic<int> allowed{0};
  std::vector<std::thread> threads;
  threads.reserve(8);
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 100; ++i) {
        if (limiter.allow("shared", t0).allowed) ++allowed;
        (void)limiter.allow("k" + std::to_string(i), t0);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(allowed.load(), 50);
  EXPECT_EQ(limiter.client_count(), 101U);
}

}  // namespace
}  // namespace uda::http
