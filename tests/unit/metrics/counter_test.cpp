#include "metrics/counter.hpp"

#include <gtest/gtest.h>

#include <array>
#include <limits>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "metrics/registry.hpp"

namespace uda::metrics {
namespace {

std::string rendered(const CounterFamily& f) {
  std::string out;
  f.render(out);
  return out;
}

TEST(Counter, AddsAndIgnoresNegativeAmounts) {
  CounterFamily f("c_total", "C.", {"kind"}, 1000);
  f.add({"osd"});
  f.add({"osd"}, 2.5);
  f.add({"osd"}, -10);
  f.add({"osd"}, std::numeric_limits<double>::quiet_NaN());
  EXPECT_EQ(f.with({"osd"}).value(), 3.5);
  EXPECT_EQ(f.series_count(), 1U);
}

TEST(Counter, HandleFromWithIsTheSameSeries) {
  CounterFamily f("c_total", "C.", {"kind", "origin"}, 1000);
  Counter& osd = f.with({"osd", "cli"});
  osd.add();
  f.add({"osd", "cli"});
  EXPECT_EQ(&osd, &f.with({"osd", "cli"}));
  EXPECT_EQ(osd.value(), 2);

  const std::array<std::string_view, 2> values{"osd", "cli"};
  f.add(values, 3);
  EXPECT_EQ(osd.value(), 5);
}

TEST(Counter, WrongNumberOfLabelValuesIsAProgrammingError) {
  CounterFamily f("c_total", "C.", {"kind", "origin"}, 1000);
  EXPECT_THROW(f.add({"osd"}), std::logic_error);
  EXPECT_THROW(f.add({"osd", "cli", "extra"}), std::logic_error);
  EXPECT_THROW(f.add({}), std::logic_error);
  EXPECT_EQ(f.series_count(), 0U);
}

TEST(Counter, UnlabelledCounterHasOneSeries) {
  CounterFamily f("c_total", "C.", {}, 1000);
  f.add({});
  f.add({}, 4);
  EXPECT_EQ(rendered(f), "# HELP c_total C.\n# TYPE c_total counter\nc_total 5\n");
}

TEST(Counter, HostileLabelValuesAreEscaped) {
  CounterFamily f("uda_triggers_received_total", "T.", {"kind", "origin"}, 1000);
  f.add({"osd", "http:\"} 1\nevil_metric 666\n\\"});
  EXPECT_EQ(rendered(f),
            "# HELP uda_triggers_received_total T.\n"
            "# TYPE uda_triggers_received_total counter\n"
            "uda_triggers_received_total{kind=\"osd\",origin=\"http:\\\"} 1\\nevil_metric "
            "666\\n\\\\\"} 1\n");
}

TEST(Counter, HugeAndInvalidLabelValuesAreBounded) {
  CounterFamily f("c_total", "C.", {"origin"}, 1000);
  const std::string huge(std::size_t{10} * 1024, '"');  // escapes to twice its size if kept
  f.add({huge});
  f.add({huge});
  f.add({std::string(std::size_t{10} * 1024, '"') + "different tail"});  // same first 128 bytes
  EXPECT_EQ(f.series_count(), 1U);
  EXPECT_EQ(f.with({std::string(kMaxLabelValueBytes, '"')}).value(), 3);
  EXPECT_LT(rendered(f).size(), 400U);

  f.add({"bad\xFFutf8"});
  EXPECT_NE(rendered(f).find("c_total{origin=\"bad\xEF\xBF\xBDutf8\"} 1\n"), std::string::npos);
}

TEST(Counter, CardinalityIsCapped) {
  CounterFamily f("c_total", "C.", {"kind", "origin"}, 3);
  for (int i = 0; i < 10'000; ++i) f.add({"osd", "http:token-" + std::to_string(i)});
  EXPECT_EQ(f.series_count(), 4U);  // three label sets and the overflow series
  EXPECT_EQ(f.with({"osd", "http:token-0"}).value(), 1);
  EXPECT_EQ(f.with({"osd", "http:token-2"}).value(), 1);
  EXPECT_EQ(f.with({"_other", "_other"}).value(), 9'997);
  // Label sets that made it in before the cap keep their own series.
  f.add({"osd", "http:token-1"}, 5);
  EXPECT_EQ(f.with({"osd", "http:token-1"}).value(), 6);
  EXPECT_EQ(f.series_count(), 4U);
  EXPECT_EQ(rendered(f),
            "# HELP c_total C.\n# TYPE c_total counter\n"
            "c_total{kind=\"_other\",origin=\"_other\"} 9997\n"
            "c_total{kind=\"osd\",origin=\"http:token-0\"} 1\n"
            "c_total{kind=\"osd\",origin=\"http:token-1\"} 6\n"
            "c_total{kind=\"osd\",origin=\"http:token-2\"} 1\n");
}

TEST(Counter, RegistryAppliesItsCap) {
  Registry r(RegistryOptions{2});
  auto& f = r.counter("c_total", "C.", {"origin"});
  for (int i = 0; i < 50; ++i) f.add({std::to_string(i)});
  EXPECT_EQ(f.series_count(), 3U);
}

TEST(Counter, ConcurrentAddsSumCorrectly) {
  CounterFamily f("c_total", "C.", {"kind", "origin"}, 1000);
  constexpr int kThreads = 8;
  constexpr int kAdds = 20'000;
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&f, t] {
      const std::string own = "thread-" + std::to_string(t);
      for (int i = 0; i < kAdds; ++i) {
        f.add({"shared", "all"});
        f.add({"own", own}, 2);
        if (i % 1000 == 0) {  // inserts while the others add
          f.add({"new", own + "-" + std::to_string(i)});
        }
      }
    });
  }
  // Scrapes race with the writers.
  for (int i = 0; i < 20; ++i) EXPECT_FALSE(rendered(f).empty());
  for (auto& th : threads) th.join();

  EXPECT_EQ(f.with({"shared", "all"}).value(), kThreads * kAdds);
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(f.with({"own", "thread-" + std::to_string(t)}).value(), 2.0 * kAdds);
  }
  EXPECT_EQ(f.series_count(), 1U + kThreads + kThreads * (kAdds / 1000));
}

}  // namespace
}  // namespace uda::metrics
