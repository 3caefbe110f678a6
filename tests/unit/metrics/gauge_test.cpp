#include "metrics/gauge.hpp"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

namespace uda::metrics {
namespace {

TEST(Gauge, SetAndAdd) {
  GaugeFamily f("uda_jobs_in_flight", "In flight.", {"provider"}, 1000);
  f.set({"sim"}, 5);
  f.add({"sim"}, -2);
  f.add({"wmi"}, 1.5);
  EXPECT_EQ(f.with({"sim"}).value(), 3);
  std::string out;
  f.render(out);
  EXPECT_EQ(out,
            "# HELP uda_jobs_in_flight In flight.\n"
            "# TYPE uda_jobs_in_flight gauge\n"
            "uda_jobs_in_flight{provider=\"sim\"} 3\n"
            "uda_jobs_in_flight{provider=\"wmi\"} 1.5\n");
}

TEST(Gauge, CanGoNegativeAndBeInfinite) {
  GaugeFamily f("g", "G.", {}, 1000);
  f.add({}, -4);
  EXPECT_EQ(f.with({}).value(), -4);
  f.set({}, -std::numeric_limits<double>::infinity());
  std::string out;
  f.render(out);
  EXPECT_EQ(out, "# HELP g G.\n# TYPE g gauge\ng -Inf\n");
}

TEST(Gauge, ConcurrentAddsBalance) {
  GaugeFamily f("g", "G.", {}, 1000);
  std::vector<std::thread> threads;
  threads.reserve(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&f] {
      for (int i = 0; i < 10'000; ++i) {
        f.add({}, 1);
        f.add({}, -1);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(f.with({}).value(), 0);
}

}  // namespace
}  // namespace uda::metrics
