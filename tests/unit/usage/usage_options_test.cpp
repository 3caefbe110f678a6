// parse_usage_options: the `usage:` section, read strictly with file:line:col.

#include "sources/usage/usage_options.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace uda {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

Expected<UsageOptions> parse(const std::string& text,
                             const std::filesystem::path& base = "/etc/uda") {
  auto root = yaml::load_text(text, "agent.yaml");
  if (!root) return root.error();
  return parse_usage_options(yaml::Doc{"agent.yaml"}, (*root)["usage"], base);
}

std::string error_of(const std::string& text) {
  auto r = parse(text);
  EXPECT_FALSE(r) << "expected an error";
  return r ? std::string() : r.error().message;
}

TEST(UsageOptions, EmptySectionMeansDefaults) {
  for (const std::string text : {"usage:\n", "usage: {}\n"}) {
    auto o = parse(text);
    ASSERT_TRUE(o) << o.error().message;
    EXPECT_TRUE(o->enabled);
    EXPECT_EQ(o->interval, Millis(3'600'000));
    EXPECT_EQ(o->page_size, 500U);
    EXPECT_EQ(o->max_queries_per_minute, 60);
    EXPECT_TRUE(o->state_path.empty());
    EXPECT_EQ(o->min_minutes, 0.0);
    EXPECT_EQ(o->origin, "usage-poller");
  }
  EXPECT_FALSE(UsageOptions{}.enabled);
}

TEST(UsageOptions, AllKeys) {
  auto o = parse(R"(usage:
  interval: 2h
  page_size: 1000
  max_queries_per_minute: 12
  state_path: ../var/usage.db
  min_minutes: 120.5
  origin: usage:nightly
)");
  ASSERT_TRUE(o) << o.error().message;
  EXPECT_EQ(o->interval, Millis(7'200'000));
  EXPECT_EQ(o->page_size, 1000U);
  EXPECT_EQ(o->max_queries_per_minute, 12);
  EXPECT_EQ(o->state_path, std::filesystem::path("/etc/var/usage.db"));
  EXPECT_EQ(o->min_minutes, 120.5);
  EXPECT_EQ(o->origin, "usage:nightly");
}

TEST(UsageOptions, AbsoluteStatePathKept) {
  auto o = parse("usage:\n  state_path: /srv/uda/usage.db\n");
  ASSERT_TRUE(o) << o.error().message;
  EXPECT_EQ(o->state_path, std::filesystem::path("/srv/uda/usage.db"));
}

TEST(UsageOptions, DefaultStatePathIsNextToTheStore) {
  EXPECT_EQ(default_usage_state_path("/var/lib/uda/uda-agent.db"),
            std::filesystem::path("/var/lib/uda/usage-poller.db"));
}

TEST(UsageOptions, UnknownKeyIsReportedWithPositionAndSuggestion) {
  const auto e = error_of("usage:\n  interval: 1h\n  page_sise: 10\n");
  EXPECT_THAT(e, StartsWith("agent.yaml:3:3: usage: unknown key 'page_sise'"));
  EXPECT_THAT(e, HasSubstr("did you mean 'page_size'?"));
}

TEST(UsageOptions, NotAMap) {
  EXPECT_THAT(error_of("usage: yes\n"), HasSubstr("usage: must be a map"));
  EXPECT_THAT(error_of("usage: [1, 2]\n"), HasSubstr("usage: must be a map"));
}

TEST(UsageOptions, IntervalBounds) {
  EXPECT_THAT(error_of("usage:\n  interval: 59s\n"),
              AllOf(StartsWith("agent.yaml:2:13: usage.interval:"), HasSubstr("1m..30d")));
  EXPECT_THAT(error_of("usage:\n  interval: 31d\n"), HasSubstr("usage.interval"));
  EXPECT_THAT(error_of("usage:\n  interval: soon\n"), HasSubstr("usage.interval"));
  auto o = parse("usage:\n  interval: 1m\n");
  ASSERT_TRUE(o) << o.error().message;
  EXPECT_EQ(o->interval, Millis(60'000));
}

TEST(UsageOptions, PageSizeBounds) {
  EXPECT_THAT(error_of("usage:\n  page_size: 0\n"),
              AllOf(StartsWith("agent.yaml:2:14: usage.page_size:"), HasSubstr("1..10000")));
  EXPECT_THAT(error_of("usage:\n  page_size: 10001\n"), HasSubstr("1..10000"));
  EXPECT_THAT(error_of("usage:\n  page_size: many\n"), HasSubstr("usage.page_size"));
  EXPECT_TRUE(parse("usage:\n  page_size: 10000\n"));
}

TEST(UsageOptions, QueryRateBounds) {
  EXPECT_THAT(error_of("usage:\n  max_queries_per_minute: 0\n"),
              AllOf(HasSubstr("usage.max_queries_per_minute"), HasSubstr("1..1000")));
  EXPECT_THAT(error_of("usage:\n  max_queries_per_minute: 1001\n"), HasSubstr("1..1000"));
  EXPECT_THAT(error_of("usage:\n  max_queries_per_minute: 2.5\n"),
              HasSubstr("usage.max_queries_per_minute"));
}

TEST(UsageOptions, MinMinutesBounds) {
  EXPECT_THAT(error_of("usage:\n  min_minutes: -1\n"), HasSubstr("usage.min_minutes"));
  EXPECT_THAT(error_of("usage:\n  min_minutes: lots\n"), HasSubstr("usage.min_minutes"));
  EXPECT_THAT(error_of("usage:\n  min_minutes: 10000001\n"), HasSubstr("usage.min_minutes"));
  auto o = parse("usage:\n  min_minutes: 2880\n");
  ASSERT_TRUE(o) << o.error().message;
  EXPECT_EQ(o->min_minutes, 2880.0);
}

TEST(UsageOptions, EmptyStringsRefused) {
  EXPECT_THAT(
      error_of("usage:\n  state_path: ''\n"),
      AllOf(StartsWith("agent.yaml:2:15: usage.state_path:"), HasSubstr("must not be empty")));
  EXPECT_THAT(error_of("usage:\n  origin: ' '\n"), HasSubstr("usage.origin: must not be empty"));
  EXPECT_THAT(error_of("usage:\n  origin: [a]\n"), HasSubstr("usage.origin: must be a string"));
  EXPECT_THAT(error_of("usage:\n  origin: " + std::string(200, 'x') + "\n"),
              HasSubstr("at most 128 characters"));
}

}  // namespace
}  // namespace uda
