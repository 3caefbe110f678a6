#include "metrics/histogram.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace uda::metrics {
namespace {

std::string rendered(const HistogramFamily& f) {
  std::string out;
  f.render(out);
  return out;
}

TEST(Histogram, BucketsAreCumulative) {
  HistogramFamily f("d_seconds", "D.", {}, {0.005, 0.25, 1, 2.5}, 1000);
  for (double v : {0.001, 0.005, 0.1, 0.25, 0.3, 2.0, 100.0}) f.observe({}, v);
  const auto s = f.with({}).snapshot();
  EXPECT_EQ(s.cumulative, (std::vector<std::uint64_t>{2, 4, 5, 6, 7}));
  EXPECT_EQ(s.count, 7U);
  EXPECT_EQ(rendered(f),
            "# HELP d_seconds D.\n"
            "# TYPE d_seconds histogram\n"
            "d_seconds_bucket{le=\"0.005\"} 2\n"
            "d_seconds_bucket{le=\"0.25\"} 4\n"
            "d_seconds_bucket{le=\"1\"} 5\n"
            "d_seconds_bucket{le=\"2.5\"} 6\n"
            "d_seconds_bucket{le=\"+Inf\"} 7\n"
            "d_seconds_sum " +
                format_value(0.001 + 0.005 + 0.1 + 0.25 + 0.3 + 2 + 100.0) +
                "\n"
                "d_seconds_count 7\n");
}

TEST(Histogram, LabelledSeriesAreSeparate) {
  HistogramFamily f("d_seconds", "D.", {"route"}, {1}, 1000);
  f.observe({"/b"}, 0.5);
  f.observe({"/a"}, 3);
  EXPECT_EQ(rendered(f),
            "# HELP d_seconds D.\n"
            "# TYPE d_seconds histogram\n"
            "d_seconds_bucket{route=\"/a\",le=\"1\"} 0\n"
            "d_seconds_bucket{route=\"/a\",le=\"+Inf\"} 1\n"
            "d_seconds_sum{route=\"/a\"} 3\n"
            "d_seconds_count{route=\"/a\"} 1\n"
            "d_seconds_bucket{route=\"/b\",le=\"1\"} 1\n"
            "d_seconds_bucket{route=\"/b\",le=\"+Inf\"} 1\n"
            "d_seconds_sum{route=\"/b\"} 0.5\n"
            "d_seconds_count{route=\"/b\"} 1\n");
}

TEST(Histogram, NoBucketsMeansOnlyInf) {
  HistogramFamily f("h", "H.", {}, {}, 1000);
  f.observe({}, 2);
  const auto s = f.with({}).snapshot();
  EXPECT_EQ(s.cumulative, (std::vector<std::uint64_t>{1}));
  EXPECT_EQ(s.sum, 2);
}

TEST(Histogram, NanGoesToInfOnly) {
  HistogramFamily f("h", "H.", {}, {1}, 1000);
  f.observe({}, std::numeric_limits<double>::quiet_NaN());
  const auto s = f.with({}).snapshot();
  EXPECT_EQ(s.cumulative, (std::vector<std::uint64_t>{0, 1}));
}

TEST(Histogram, BadBucketsAreRejected) {
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_THROW(HistogramFamily("h", "H.", {}, {1, 1}, 1000), std::invalid_argument);
  EXPECT_THROW(HistogramFamily("h", "H.", {}, {2, 1}, 1000), std::invalid_argument);
  EXPECT_THROW(HistogramFamily("h", "H.", {}, {1, std::numeric_limits<double>::quiet_NaN()}, 1000),
               std::invalid_argument);
  EXPECT_THROW(HistogramFamily("h", "H.", {}, {-inf, 1}, 1000), std::invalid_argument);
  EXPECT_THROW(HistogramFamily("h", "H.", {}, {inf, inf}, 1000), std::invalid_argument);
  EXPECT_THROW(HistogramFamily("h", "H.", {"le"}, {1}, 1000), std::invalid_argument);
  HistogramFamily ok("h", "H.", {}, {-1, 0, 1, inf}, 1000);
  EXPECT_EQ(ok.buckets(), (std::vector<double>{-1, 0, 1}));
}

TEST(Histogram, CardinalityIsCapped) {
  HistogramFamily f("h", "H.", {"route"}, {1}, 2);
  for (int i = 0; i < 100; ++i) f.observe({"/r" + std::to_string(i)}, 0.5);
  EXPECT_EQ(f.series_count(), 3U);
  EXPECT_EQ(f.with({"_other"}).snapshot().count, 98U);
}

TEST(Histogram, ConcurrentObservationsAreAllCounted) {
  HistogramFamily f("h", "H.", {}, {1, 2, 3}, 1000);
  std::vector<std::thread> threads;
  threads.reserve(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&f] {
      for (int i = 0; i < 10'000; ++i) f.observe({}, i % 4 + 0.5);
    });
  }
  for (int i = 0; i < 20; ++i) {
    const auto s = f.with({}).snapshot();
    EXPECT_EQ(s.cumulative.back(), s.count);
  }
  for (auto& th : threads) th.join();
  const auto s = f.with({}).snapshot();
  EXPECT_EQ(s.cumulative, (std::vector<std::uint64_t>{10'000, 20'000, 30'000, 40'000}));
  EXPECT_EQ(s.sum, 4 * (2'500 * (0.5 + 1.5 + 2.5 + 3.5)));
}

}  // namespace
}  // namespace uda::metrics
