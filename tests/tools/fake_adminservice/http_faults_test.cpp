#include "fake_adminservice/http_faults.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <map>

namespace uda::fake {
namespace {

class FakeTime final : public TimeSource {
 public:
  [[nodiscard]] TimePoint now() const override { return from_unix_ms(ms_.load()); }
  void advance(Millis d) { ms_ += d.count(); }

 private:
  std::atomic<std::int64_t> ms_{1'800'000'000'000};
};

HttpFaultOptions seeded() {
  HttpFaultOptions o;
  o.seed = 7;
  return o;
}

TEST(HttpFaults, NoneByDefault) {
  FakeTime time;
  HttpFaultInjector f(seeded(), time);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(f.next().kind, HttpFault::None);
  EXPECT_EQ(f.seed(), 7U);
}

TEST(HttpFaults, EachRateAtOneAlwaysFires) {
  FakeTime time;
  const auto one = [&](auto set, HttpFault expected, unsigned status) {
    auto o = seeded();
    set(o);
    HttpFaultInjector f(o, time);
    for (int i = 0; i < 20; ++i) {
      const auto d = f.next();
      if (expected == HttpFault::ServerError) {
        EXPECT_EQ(d.kind, HttpFault::ServerError);
        EXPECT_TRUE(d.status == 500 || d.status == 502 || d.status == 503) << d.status;
      } else if (expected == HttpFault::AmbiguousError) {
        EXPECT_TRUE(d.kind == HttpFault::AmbiguousError || d.kind == HttpFault::AmbiguousReset);
        EXPECT_EQ(d.status, d.kind == HttpFault::AmbiguousError ? 500U : 0U);
      } else {
        EXPECT_EQ(d.kind, expected);
        EXPECT_EQ(d.status, status);
      }
    }
  };
  one([](HttpFaultOptions& o) { o.error_5xx_rate = 1; }, HttpFault::ServerError, 0);
  one([](HttpFaultOptions& o) { o.rate_429 = 1; }, HttpFault::TooManyRequests, 429);
  one([](HttpFaultOptions& o) { o.timeout_rate = 1; }, HttpFault::Timeout, 504);
  one([](HttpFaultOptions& o) { o.reset_rate = 1; }, HttpFault::Reset, 0);
  one([](HttpFaultOptions& o) { o.ambiguous_rate = 1; }, HttpFault::AmbiguousError, 0);
}

TEST(HttpFaults, MixedRatesAreRoughlyRightAndDeterministic) {
  FakeTime time;
  auto o = seeded();
  o.error_5xx_rate = 0.2;
  o.rate_429 = 0.2;
  o.reset_rate = 0.2;
  o.ambiguous_rate = 0.2;
  HttpFaultInjector a(o, time);
  HttpFaultInjector b(o, time);
  std::map<HttpFault, int> counts;
  for (int i = 0; i < 5000; ++i) {
    const auto da = a.next();
    const auto db = b.next();
    ASSERT_EQ(da.kind, db.kind) << i;
    ASSERT_EQ(da.status, db.status) << i;
    ++counts[da.kind];
  }
  EXPECT_NEAR(counts[HttpFault::None], 1000, 150);
  EXPECT_NEAR(counts[HttpFault::ServerError], 1000, 150);
  EXPECT_NEAR(counts[HttpFault::TooManyRequests], 1000, 150);
  EXPECT_NEAR(counts[HttpFault::Reset], 1000, 150);
  EXPECT_NEAR(counts[HttpFault::AmbiguousError] + counts[HttpFault::AmbiguousReset], 1000, 150);
  EXPECT_GT(counts[HttpFault::AmbiguousError], 300);
  EXPECT_GT(counts[HttpFault::AmbiguousReset], 300);
  EXPECT_EQ(counts[HttpFault::Timeout], 0);
}

TEST(HttpFaults, OutageWindowAnswers503ThenRecovers) {
  FakeTime time;
  auto o = seeded();
  o.outages = {{Millis(1'000), Millis(2'000)}};
  HttpFaultInjector f(o, time);
  EXPECT_EQ(f.next().kind, HttpFault::None);
  time.advance(Millis(1'000));
  const auto d = f.next();
  EXPECT_EQ(d.kind, HttpFault::Outage);
  EXPECT_EQ(d.status, 503U);
  time.advance(Millis(1'999));
  EXPECT_EQ(f.next().kind, HttpFault::Outage);
  time.advance(Millis(1));
  EXPECT_EQ(f.next().kind, HttpFault::None);
}

TEST(HttpFaults, Validation) {
  EXPECT_TRUE(validate(HttpFaultOptions{}));
  auto sum = HttpFaultOptions{};
  sum.error_5xx_rate = 0.6;
  sum.reset_rate = 0.6;
  auto st = validate(sum);
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message.find("add up to 1.2"), std::string::npos) << st.error().message;
  auto neg = HttpFaultOptions{};
  neg.rate_429 = -0.1;
  EXPECT_FALSE(validate(neg));
  auto sleep = HttpFaultOptions{};
  sleep.timeout_sleep = Millis(0);
  EXPECT_FALSE(validate(sleep));
  auto outage = HttpFaultOptions{};
  outage.outages = {{Millis(0), Millis(0)}};
  EXPECT_FALSE(validate(outage));
  EXPECT_EQ(to_string(HttpFault::AmbiguousReset), "ambiguous-reset");
}

}  // namespace
}  // namespace uda::fake
