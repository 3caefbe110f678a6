#include "providers/simulated/options.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>

#include "test_support.hpp"

namespace uda {
namespace {

const std::filesystem::path kBase = "/etc/uda";

// Parses `body` (lines under provider.simulated, indented by 4) as c.yaml.
Expected<SimulatedOptions> parse(const std::string& body) {
  const std::string text = "provider:\n  type: simulated\n  simulated:\n" + body;
  auto root = yaml::load_text(text, "c.yaml");
  if (!root) return root.error();
  return parse_simulated_options(yaml::Doc{"c.yaml"}, (*root)["provider"]["simulated"], kBase);
}

TEST(SimulatedOptions, AllKeys) {
  auto o = parse(
      "    fixture: sites/site.yaml\n"
      "    state_path: ../var/site.db\n"
      "    seed: 42\n"
      "    latency: 50ms\n"
      "    latency_jitter: 1s\n"
      "    transient_error_rate: 0.25\n"
      "    permanent_error_rate: 0.05\n"
      "    ambiguous_rate: 0.1\n"
      "    outages:\n"
      "      - {start: 10s, duration: 30s}\n"
      "      - {start: 2m, duration: 500ms}\n"
      "    fail_users: ['CONTOSO\\locked', 'CONTOSO\\gone']\n"
      "    fail_machines: [16777230, KIOSK-0001]\n");
  ASSERT_TRUE(o) << o.error().message;
  EXPECT_EQ(o->fixture, "/etc/uda/sites/site.yaml");
  EXPECT_EQ(o->state_path, "/etc/var/site.db");
  EXPECT_EQ(o->faults.seed, std::optional<std::uint64_t>(42));
  EXPECT_EQ(o->faults.latency, Millis(50));
  EXPECT_EQ(o->faults.latency_jitter, Millis(1000));
  EXPECT_DOUBLE_EQ(o->faults.transient_error_rate, 0.25);
  EXPECT_DOUBLE_EQ(o->faults.permanent_error_rate, 0.05);
  EXPECT_DOUBLE_EQ(o->faults.ambiguous_rate, 0.1);
  ASSERT_EQ(o->faults.outages.size(), 2U);
  EXPECT_EQ(o->faults.outages[0].start, Millis(10'000));
  EXPECT_EQ(o->faults.outages[0].duration, Millis(30'000));
  EXPECT_EQ(o->faults.outages[1].start, Millis(120'000));
  EXPECT_EQ(o->faults.fail_users, (std::vector<std::string>{"CONTOSO\\locked", "CONTOSO\\gone"}));
  EXPECT_EQ(o->faults.fail_machines, (std::vector<std::string>{"16777230", "KIOSK-0001"}));
}

TEST(SimulatedOptions, MinimalIsInMemoryWithoutFaults) {
  auto o = parse("    fixture: /srv/site.yaml\n");
  ASSERT_TRUE(o) << o.error().message;
  EXPECT_EQ(o->fixture, "/srv/site.yaml");
  EXPECT_TRUE(o->state_path.empty());
  EXPECT_FALSE(o->faults.seed);
  EXPECT_TRUE(o->faults.none());
}

struct Bad {
  std::string body;
  std::string expected;  // substring, with the location where it matters
};
void PrintTo(const Bad& b, std::ostream* os) {
  *os << b.body;
}

class SimulatedOptionsErrors : public ::testing::TestWithParam<Bad> {};

TEST_P(SimulatedOptionsErrors, SayWhatAndWhere) {
  auto o = parse(GetParam().body);
  ASSERT_FALSE(o);
  EXPECT_NE(o.error().message.find(GetParam().expected), std::string::npos) << o.error().message;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, SimulatedOptionsErrors,
    ::testing::Values(
        Bad{"    fixture: s.yaml\n    latncy: 5ms\n",
            "c.yaml:5:5: provider.simulated: unknown key 'latncy' (did you mean 'latency'?)"},
        Bad{"    state_path: x.db\n", "c.yaml:4:5: provider.simulated.fixture: missing"},
        Bad{"    fixture: ''\n", "c.yaml:4:14: provider.simulated.fixture: must not be empty"},
        Bad{"    fixture: [a, b]\n", "provider.simulated.fixture: must be a string"},
        Bad{"    fixture: s.yaml\n    seed: -1\n",
            "c.yaml:5:11: provider.simulated.seed: must be an integer"},
        Bad{"    fixture: s.yaml\n    latency: fast\n",
            "c.yaml:5:14: provider.simulated.latency: must be a duration"},
        Bad{"    fixture: s.yaml\n    latency_jitter: 11m\n", "provider.simulated.latency_jitter"},
        Bad{"    fixture: s.yaml\n    transient_error_rate: 1.5\n",
            "c.yaml:5:27: provider.simulated.transient_error_rate: must be a number 0..1"},
        Bad{"    fixture: s.yaml\n    ambiguous_rate: lots\n", "provider.simulated.ambiguous_rate"},
        Bad{"    fixture: s.yaml\n    transient_error_rate: 0.7\n    permanent_error_rate: 0.2\n"
            "    ambiguous_rate: 0.2\n",
            "ambiguous_rate = 1.1; must be at most 1"},
        Bad{"    fixture: s.yaml\n    outages: 10s\n",
            "provider.simulated.outages: must be a list"},
        Bad{"    fixture: s.yaml\n    outages:\n      - {start: 10s}\n",
            "c.yaml:6:9: provider.simulated.outages[0].duration: missing"},
        Bad{"    fixture: s.yaml\n    outages:\n      - {start: 1s, duration: 0s}\n",
            "provider.simulated.outages[0].duration: must be a duration 1ms"},
        Bad{"    fixture: s.yaml\n    outages:\n      - {start: 1s, duration: 1s, end: 2s}\n",
            "c.yaml:6:35: provider.simulated.outages[0]: unknown key 'end'"},
        Bad{"    fixture: s.yaml\n    fail_users: [jdoe@contoso.com]\n",
            "c.yaml:5:18: provider.simulated.fail_users[0]: 'jdoe@contoso.com' is a UPN"},
        Bad{"    fixture: s.yaml\n    fail_users: jdoe\n",
            "provider.simulated.fail_users[0]: 'jdoe' is not DOMAIN\\user"},
        Bad{"    fixture: s.yaml\n    fail_machines: ['']\n",
            "provider.simulated.fail_machines[0]: must be a ResourceID or a device name"},
        Bad{"    fixture: s.yaml\n    fail_machines: {a: 1}\n",
            "provider.simulated.fail_machines: must be a string or a list"}),
    [](const auto& param_info) { return "Case" + std::to_string(param_info.index); });

TEST(SimulatedOptions, SectionMustBeAMap) {
  auto o = parse("    - fixture\n");
  ASSERT_FALSE(o);
  EXPECT_NE(o.error().message.find("provider.simulated: must be a map"), std::string::npos)
      << o.error().message;
}

// ---- fixtures ----

TEST(SimulatedFixture, ShippedSiteLoads) {
  auto f = load_fixture(test::data_path("config/simulated-site.yaml"));
  ASSERT_TRUE(f) << f.error().message;
  EXPECT_GE(f->devices.size(), 18U);
  EXPECT_EQ(f->devices.front().resource_id, 16777220U);
  EXPECT_GE(f->users.size(), 5U);
  EXPECT_EQ(f->users.front().unique_user_name, "CONTOSO\\jdoe");
  EXPECT_EQ(f->users.front().upn, "jdoe@contoso.com");
  ASSERT_EQ(f->relationships.size(), 1U);
  EXPECT_EQ(f->relationships[0].sources, std::vector<SourceId>{SourceId::Administrator});
  bool svc = false;
  for (const auto& u : f->users)
    svc = svc || u.unique_user_name.find("\\svc_") != std::string::npos;
  EXPECT_TRUE(svc);

  // Console usage: some rows above the usage agent's 2880-minute threshold,
  // some below, one above it but last used more than 30 days before another.
  ASSERT_GE(f->usage.size(), 5U);
  const auto newest = std::max_element(f->usage.begin(), f->usage.end(), [](auto& a, auto& b) {
                        return a.last_console_use < b.last_console_use;
                      })->last_console_use;
  ASSERT_TRUE(newest);
  int above = 0;
  int below = 0;
  int stale_above = 0;
  for (const auto& u : f->usage) {
    ASSERT_TRUE(u.last_console_use) << u.resource_id;
    const bool stale = *newest - *u.last_console_use > std::chrono::hours(24 * 30);
    if (u.total_console_minutes >= 2880 && !stale) ++above;
    if (u.total_console_minutes < 2880) ++below;
    if (u.total_console_minutes >= 2880 && stale) ++stale_above;
  }
  EXPECT_GE(above, 2);
  EXPECT_GE(below, 2);
  EXPECT_GE(stale_above, 1);
}

TEST(SimulatedFixture, TestSitesLoad) {
  auto small = load_fixture(test::data_path("tests/data/sites/small.yaml"));
  ASSERT_TRUE(small) << small.error().message;
  EXPECT_EQ(small->devices.size(), 8U);
  EXPECT_FALSE(small->devices[4].active);
  ASSERT_EQ(small->relationships.size(), 2U);
  EXPECT_EQ(small->relationships[1].unique_user_name, "CONTOSO\\asmith");
  EXPECT_EQ(small->relationships[1].sources,
            (std::vector<SourceId>{SourceId::Osd, SourceId::UsageAgent}));
  EXPECT_EQ(small->relationships[1].types, std::vector<std::uint32_t>{1});
  EXPECT_FALSE(small->relationships[1].active);

  auto gen = load_fixture(test::data_path("tests/data/sites/generated.yaml"));
  ASSERT_TRUE(gen) << gen.error().message;
  ASSERT_EQ(gen->devices.size(), 2001U);
  EXPECT_EQ(gen->devices[1].resource_id, 16777300U);
  EXPECT_EQ(gen->devices[1].name, "PC-0001");
  EXPECT_EQ(gen->devices[2000].resource_id, 16779299U);
  EXPECT_EQ(gen->devices[2000].name, "PC-2000");
  ASSERT_EQ(gen->users.size(), 201U);
  EXPECT_EQ(gen->users[1].unique_user_name, "CONTOSO\\user001");
  EXPECT_EQ(gen->users[1].upn, "user001@contoso.com");
  EXPECT_EQ(gen->users[200].unique_user_name, "CONTOSO\\user200");
  ASSERT_EQ(gen->usage.size(), 4000U) << "two rows for each generated device";
  EXPECT_EQ(gen->usage[0].resource_id, 16777300U);
  EXPECT_EQ(gen->usage[0].system_console_user, "CONTOSO\\user001");
  EXPECT_EQ(gen->usage[1].system_console_user, "CONTOSO\\user002");
  EXPECT_EQ(gen->usage[2].resource_id, 16777301U);
  EXPECT_EQ(gen->usage[2].system_console_user, "CONTOSO\\user003");
  EXPECT_EQ(gen->usage[399].system_console_user, "CONTOSO\\user200");
  EXPECT_EQ(gen->usage[400].system_console_user, "CONTOSO\\user001") << "users in turn";
  EXPECT_DOUBLE_EQ(gen->usage[0].total_console_minutes, 3000);
  EXPECT_EQ(gen->usage[0].console_logons, 10);
  EXPECT_EQ(gen->usage[0].last_console_use, parse_iso8601("2026-11-20T08:00:00Z"));

  EXPECT_EQ(small->usage.size(), 6U);
  EXPECT_EQ(small->usage[4].system_console_user, "FABRIKAM\\Bob") << "the fixture's spelling";
}

TEST(SimulatedFixture, UsageRows) {
  auto f = parse_fixture(
      "devices:\n  - {resource_id: 1, name: A, active: false}\n  - {resource_id: 2, name: B}\n"
      "users:\n  - {name: 'D\\Jo'}\n  - {name: 'D\\al'}\n"
      "usage:\n"
      "  - {resource_id: 1, user: 'd\\jo', minutes: 3120, logons: 14, "
      "last_use: 2026-11-20T08:12:00Z}\n"
      "  - {resource_id: 1, user: 'D\\al', minutes: 0}\n"
      "  - {resource_id: 2, user: 'D\\al', minutes: 4294967295, logons: 0, "
      "last_use: '2026-11-20 09:12:00.5+01:00'}\n",
      "u.yaml");
  ASSERT_TRUE(f) << f.error().message;
  ASSERT_EQ(f->usage.size(), 3U);
  EXPECT_EQ(f->usage[0].resource_id, 1U);
  EXPECT_EQ(f->usage[0].system_console_user, "D\\Jo");
  EXPECT_DOUBLE_EQ(f->usage[0].total_console_minutes, 3120);
  EXPECT_EQ(f->usage[0].console_logons, 14);
  EXPECT_EQ(f->usage[0].last_console_use, parse_iso8601("2026-11-20T08:12:00Z"));
  EXPECT_EQ(f->usage[1].console_logons, 0);
  EXPECT_FALSE(f->usage[1].last_console_use);
  EXPECT_DOUBLE_EQ(f->usage[2].total_console_minutes, 4294967295.0);
  EXPECT_EQ(f->usage[2].last_console_use, parse_iso8601("2026-11-20T08:12:00.500Z"));
}

TEST(SimulatedFixture, GeneratedUsageUsesListedUsersWhenNoneAreGenerated) {
  auto f = parse_fixture(
      "users:\n  - {name: 'D\\a'}\n  - {name: 'D\\b'}\n  - {name: 'D\\c'}\n"
      "generate:\n  devices: {count: 3, first_resource_id: 10}\n"
      "  usage: {per_device: 2, minutes: 5}\n"
      "usage:\n  - {resource_id: 10, user: 'D\\c', minutes: 1}\n",
      "g.yaml");
  ASSERT_TRUE(f) << f.error().message;
  std::vector<std::string> users;
  for (const auto& u : f->usage) {
    users.push_back(std::to_string(u.resource_id) + " " + u.system_console_user);
  }
  EXPECT_EQ(users, (std::vector<std::string>{"10 D\\c", "10 D\\a", "10 D\\b", "11 D\\c", "11 D\\a",
                                             "12 D\\b", "12 D\\c"}));
  EXPECT_DOUBLE_EQ(f->usage[1].total_console_minutes, 5);
  EXPECT_EQ(f->usage[1].console_logons, 10);
  EXPECT_FALSE(f->usage[1].last_console_use);
}

TEST(SimulatedFixture, MissingFile) {
  auto f = load_fixture("/nonexistent/site.yaml");
  ASSERT_FALSE(f);
  EXPECT_NE(f.error().message.find("/nonexistent/site.yaml: cannot open"), std::string::npos)
      << f.error().message;
}

class SimulatedFixtureErrors : public ::testing::TestWithParam<Bad> {};

TEST_P(SimulatedFixtureErrors, SayWhatAndWhere) {
  auto f = parse_fixture(GetParam().body, "site.yaml");
  ASSERT_FALSE(f);
  EXPECT_NE(f.error().message.find(GetParam().expected), std::string::npos) << f.error().message;
}

const std::string kHead =
    "devices:\n"
    "  - {resource_id: 1, name: A}\n"
    "users:\n"
    "  - {name: 'D\\u'}\n";

INSTANTIATE_TEST_SUITE_P(
    Cases, SimulatedFixtureErrors,
    ::testing::Values(
        Bad{"- a\n", "site.yaml:1:1: the fixture must be a map"},
        Bad{"devices: []\ndevice: []\n",
            "site.yaml:2:1: fixture: unknown key 'device' (did you mean 'devices'?)"},
        Bad{"devices: {a: 1}\n", "site.yaml:1:10: devices: must be a list"},
        Bad{"devices:\n  - {resource_id: 1, nmae: A}\n",
            "site.yaml:2:22: devices[0]: unknown key 'nmae' (did you mean 'name'?)"},
        Bad{"devices:\n  - {name: A}\n", "site.yaml:2:5: devices[0].resource_id: missing"},
        Bad{"devices:\n  - {resource_id: x1, name: A}\n",
            "site.yaml:2:19: devices[0].resource_id: must be an integer 1..4294967295, got 'x1'"},
        Bad{"devices:\n  - {resource_id: 4294967296, name: A}\n",
            "devices[0].resource_id: must be an integer"},
        Bad{"devices:\n  - {resource_id: 1}\n", "devices[0].name: missing"},
        Bad{"devices:\n  - {resource_id: 1, name: A, active: maybe}\n",
            "site.yaml:2:39: devices[0].active: must be true or false"},
        Bad{"devices:\n  - {resource_id: 7, name: A}\n  - {resource_id: 7, name: B}\n",
            "site.yaml:3:19: devices[1].resource_id: ResourceID 7 is already used by "
            "devices[0].resource_id"},
        Bad{"users:\n  - {name: jdoe@contoso.com}\n",
            "site.yaml:2:12: users[0].name: 'jdoe@contoso.com' is a UPN"},
        Bad{"users:\n  - {name: jdoe}\n", "users[0].name: 'jdoe' is not DOMAIN\\user"},
        Bad{"users:\n  - {name: 'D\\u'}\n  - {name: 'd\\U'}\n",
            "site.yaml:3:12: users[1].name: user 'd\\U' is already listed by users[0].name"},
        Bad{"users:\n  - {name: 'D\\u', upn: 'D\\u'}\n", "users[0].upn: 'D\\u' is not a UPN"},
        Bad{"users:\n  - {name: 'D\\u', mail: x}\n", "users[0]: unknown key 'mail'"},
        Bad{kHead + "relationships:\n  - {resource_id: 2, user: 'D\\u', sources: [OSD]}\n",
            "site.yaml:6:19: relationships[0].resource_id: no device with ResourceID 2"},
        Bad{kHead + "relationships:\n  - {resource_id: 1, user: 'D\\x', sources: [OSD]}\n",
            "site.yaml:6:28: relationships[0].user: no user 'D\\x' in this fixture"},
        Bad{kHead + "relationships:\n  - {resource_id: 1, user: 'D\\u'}\n",
            "relationships[0].sources: missing"},
        Bad{kHead + "relationships:\n  - {resource_id: 1, user: 'D\\u', sources: [OSD, Magic]}\n",
            "site.yaml:6:50: relationships[0].sources[1]: 'Magic' is not a SourceId"},
        Bad{kHead + "relationships:\n  - {resource_id: 1, user: 'D\\u', sources: []}\n",
            "relationships[0].sources: must not be empty"},
        Bad{kHead +
                "relationships:\n  - {resource_id: 1, user: 'D\\u', sources: [6], types: [2]}\n",
            "relationships[0].types[0]: '2' is not a TypeId"},
        Bad{kHead + "relationships:\n  - {resource_id: 1, user: 'D\\u', sources: [6]}\n"
                    "  - {resource_id: 1, user: 'd\\U', sources: [4]}\n",
            "site.yaml:7:5: relationships[1]: a relationship between 1 and 'D\\u' is already"},
        Bad{"generate:\n  devices: {count: 2, first_resource_id: 1, name: 'X#'}\n"
            "devices:\n  - {resource_id: 2, name: A}\n",
            "generate.devices[1]: ResourceID 2 is already used by devices[0]"},
        Bad{"generate:\n  devices: {count: 2}\n", "generate.devices.first_resource_id: missing"},
        Bad{"generate:\n  users: {count: 2, name: 'user###'}\n",
            "generate.users.name: 'user###' is not DOMAIN\\user"},
        Bad{"generate:\n  machines: {}\n", "generate: unknown key 'machines'"},
        Bad{"users:\n  - {name: 'D\\u', upn: u@d.com}\n  - {name: 'D\\v', upn: U@D.com}\n",
            "site.yaml:3:12: users[1].name: UPN 'U@D.com' is already used by users[0].name"},
        Bad{kHead + "usage:\n  - {resource_id: 2, user: 'D\\u', minutes: 1}\n",
            "site.yaml:6:19: usage[0].resource_id: no device with ResourceID 2 in this fixture"},
        Bad{kHead + "usage:\n  - {resource_id: 1, user: 'D\\x', minutes: 1}\n",
            "site.yaml:6:28: usage[0].user: no user 'D\\x' in this fixture"},
        Bad{kHead + "usage:\n  - {resource_id: 1, user: u@d.com, minutes: 1}\n",
            "usage[0].user: 'u@d.com' is a UPN"},
        Bad{kHead + "usage:\n  - {resource_id: 1, user: 'D\\u'}\n",
            "site.yaml:6:5: usage[0].minutes: missing"},
        Bad{kHead + "usage:\n  - {resource_id: 1, user: 'D\\u', minutes: -5}\n",
            "usage[0].minutes: must be an integer 0..4294967295, got '-5'"},
        Bad{kHead + "usage:\n  - {resource_id: 1, user: 'D\\u', minutes: 2.5}\n",
            "usage[0].minutes: must be an integer"},
        Bad{kHead + "usage:\n  - {resource_id: 1, user: 'D\\u', minutes: 1, logons: -1}\n",
            "usage[0].logons: must be an integer 0..4294967295"},
        Bad{kHead + "usage:\n  - {resource_id: 1, user: 'D\\u', minutes: 1, "
                    "last_use: 2026-11-20T08:12:00}\n",
            "usage[0].last_use: '2026-11-20T08:12:00' is not an ISO 8601 time with a zone"},
        Bad{kHead + "usage:\n  - {resource_id: 1, user: 'D\\u', minutes: 1, last_use: yesterday}\n",
            "usage[0].last_use: 'yesterday' is not an ISO 8601 time"},
        Bad{kHead + "usage:\n  - {resource_id: 1, user: 'D\\u', minutes: 1, last_use: [1]}\n",
            "usage[0].last_use: must be a string"},
        Bad{kHead + "usage:\n  - {resource_id: 1, user: 'D\\u', minutes: 1, seconds: 1}\n",
            "usage[0]: unknown key 'seconds'"},
        Bad{kHead + "usage:\n  - {resource_id: 1, user: 'D\\u', minutes: 1}\n"
                    "  - {resource_id: 1, user: 'd\\U', minutes: 2}\n",
            "site.yaml:7:5: usage[1]: usage of 1 by 'D\\u' is already listed by usage[0]"},
        Bad{kHead + "usage: {a: 1}\n", "usage: must be a list"},
        Bad{kHead + "generate:\n  usage: {per_device: 1}\n",
            "generate.usage: generates rows for generated devices; add generate.devices"},
        Bad{"generate:\n  devices: {count: 2, first_resource_id: 1}\n"
            "  users: {count: 1, name: 'D\\u#'}\n  usage: {per_device: 2}\n",
            "generate.usage.per_device: 2 users per device, but only 1 users"},
        Bad{"generate:\n  devices: {count: 2, first_resource_id: 1}\n  usage: {}\n",
            "generate.usage.per_device: missing"},
        Bad{"generate:\n  devices: {count: 2, first_resource_id: 1}\n"
            "  users: {count: 1, name: 'D\\u#'}\n  usage: {per_device: 1, minutes: -1}\n",
            "generate.usage.minutes: must be an integer"},
        Bad{"generate:\n  devices: {count: 2, first_resource_id: 1}\n"
            "  users: {count: 1, name: 'D\\u#'}\n  usage: {per_device: 1, last_use: now}\n",
            "generate.usage.last_use: 'now' is not an ISO 8601 time"},
        Bad{"generate:\n  devices: {count: 2, first_resource_id: 1}\n"
            "  users: {count: 1, name: 'D\\u#'}\n  usage: {per_device: 1, hours: 1}\n",
            "generate.usage: unknown key 'hours'"},
        Bad{"generate:\n  devices: {count: 2, first_resource_id: 1}\n"
            "  users: {count: 1, name: 'D\\u#'}\n  usage: {per_device: 1}\n"
            "usage:\n  - {resource_id: 2, user: 'D\\u1', minutes: 1}\n",
            "generate.usage[1]: usage of 2 by 'D\\u1' is already listed by usage[0]"},
        Bad{"devices: [unclosed\n", "site.yaml:2:1: YAML syntax error"}),
    [](const auto& param_info) { return "Case" + std::to_string(param_info.index); });

TEST(SimulatedFixture, EmptyListsAreFine) {
  auto f = parse_fixture("devices: []\nusers:\nrelationships: []\n", "x.yaml");
  ASSERT_TRUE(f) << f.error().message;
  EXPECT_TRUE(f->devices.empty());
}

}  // namespace
}  // namespace uda
