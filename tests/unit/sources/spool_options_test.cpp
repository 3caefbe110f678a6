// parse_spool_options: the `spool:` section, read strictly with file:line:col.

#include "sources/spool/spool_options.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace uda {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

Expected<SpoolOptions> parse(const std::string& text,
                             const std::filesystem::path& base = "/etc/uda") {
  auto root = yaml::load_text(text, "agent.yaml");
  if (!root) return root.error();
  return parse_spool_options(yaml::Doc{"agent.yaml"}, (*root)["spool"], base);
}

std::string error_of(const std::string& text) {
  auto r = parse(text);
  EXPECT_FALSE(r) << "expected an error";
  return r ? std::string() : r.error().message;
}

TEST(SpoolOptions, DefaultsWithOnlyDir) {
  auto o = parse("spool:\n  dir: ../var/spool\n");
  ASSERT_TRUE(o) << o.error().message;
  EXPECT_TRUE(o->enabled);
  EXPECT_EQ(o->dir, std::filesystem::path("/etc/var/spool"));
  EXPECT_EQ(o->poll_interval, Millis(2000));
  EXPECT_EQ(o->settle, Millis(2000));
  EXPECT_EQ(o->max_file_size, 1024U * 1024U);
  EXPECT_EQ(o->max_triggers_per_file, 1000U);
  EXPECT_EQ(o->max_files_per_scan, 1000U);
  EXPECT_EQ(o->origin, "spool");
  EXPECT_FALSE(SpoolOptions{}.enabled);
}

TEST(SpoolOptions, AllKeys) {
  auto o = parse(R"(spool:
  dir: /srv/uda/spool
  poll_interval: 500ms
  settle: 0
  max_file_size: 64KiB
  max_triggers_per_file: 10
  max_files_per_scan: 5
  origin: spool:winpe
)");
  ASSERT_TRUE(o) << o.error().message;
  EXPECT_EQ(o->dir, std::filesystem::path("/srv/uda/spool"));
  EXPECT_EQ(o->poll_interval, Millis(500));
  EXPECT_EQ(o->settle, Millis(0));
  EXPECT_EQ(o->max_file_size, 65536U);
  EXPECT_EQ(o->max_triggers_per_file, 10U);
  EXPECT_EQ(o->max_files_per_scan, 5U);
  EXPECT_EQ(o->origin, "spool:winpe");
}

TEST(SpoolOptions, UnknownKeyHasPositionAndSuggestion) {
  const auto e = error_of("spool:\n  dir: x\n  poll_intervall: 2s\n");
  EXPECT_THAT(e, StartsWith("agent.yaml:3:3: spool: unknown key 'poll_intervall'"));
  EXPECT_THAT(e, HasSubstr("did you mean 'poll_interval'?"));
}

TEST(SpoolOptions, DirIsRequiredAndNotEmpty) {
  EXPECT_THAT(error_of("spool:\n  settle: 1s\n"), HasSubstr("spool.dir: missing"));
  EXPECT_THAT(error_of("spool:\n  dir: ''\n"), HasSubstr("spool.dir: must not be empty"));
  EXPECT_THAT(error_of("spool:\n  dir: [a]\n"), HasSubstr("spool.dir: must be a string"));
  EXPECT_THAT(error_of("spool:\n"), HasSubstr("spool: must be a map"));
}

TEST(SpoolOptions, ValuesAreBounded) {
  EXPECT_THAT(error_of("spool:\n  dir: x\n  poll_interval: 1ms\n"),
              StartsWith("agent.yaml:3:18: spool.poll_interval: must be a duration"));
  EXPECT_THAT(error_of("spool:\n  dir: x\n  settle: soon\n"), HasSubstr("spool.settle"));
  EXPECT_THAT(error_of("spool:\n  dir: x\n  max_file_size: 1GiB\n"),
              HasSubstr("spool.max_file_size: must be a size"));
  EXPECT_THAT(error_of("spool:\n  dir: x\n  max_triggers_per_file: 0\n"),
              HasSubstr("spool.max_triggers_per_file: must be an integer"));
  EXPECT_THAT(error_of("spool:\n  dir: x\n  max_files_per_scan: many\n"),
              HasSubstr("spool.max_files_per_scan: must be an integer"));
  EXPECT_THAT(error_of("spool:\n  dir: x\n  origin: ''\n"), HasSubstr("spool.origin"));
  EXPECT_THAT(error_of("spool:\n  dir: x\n  origin: " + std::string(200, 'o') + "\n"),
              HasSubstr("at most 128"));
}

}  // namespace
}  // namespace uda
