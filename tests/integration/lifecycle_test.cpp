// The agent as a process: crash and restart, clean stop with calls in flight,
// rules reload on SIGHUP, one agent per store.
#include <gtest/gtest.h>
#include <signal.h>

#include "agent_harness.hpp"
#include "site_reader.hpp"

namespace uda::test {
namespace {

using nlohmann::json;

json osd_batch(const std::string& prefix, int n) {
  json batch = json::array();
  for (int i = 0; i < n; ++i) {
    char u[32];
    std::snprintf(u, sizeof(u), "CONTOSO\\user%03d", i % 40 + 1);
    batch.push_back({{"id", prefix + std::to_string(i)},
                     {"kind", "osd"},
                     {"machine", {{"resource_id", 16777220 + i % 40}}},
                     {"user", u}});
  }
  return batch;
}

TEST(Lifecycle, KillDashNineMidFlightLosesNothingAndCreatesNothingTwice) {
  AgentHarness h("kill9");
  // Slow calls so that kills land while calls are in flight.
  h.write_config("seed: 3\nlatency: 150ms\nambiguous_rate: 0.1\n",
                 "max_attempts: 50\ncircuit_breaker: {failure_threshold: 100, open_for: 100ms}\n");
  h.write_file("batch.json", osd_batch("k-", 40).dump());
  ASSERT_EQ(h.cli({"submit", "--file", "batch.json"}).exit_code, 0);
  for (int round = 0; round < 4; ++round) {
    h.start();
    // Let some calls start, then pull the plug.
    AgentHarness::wait_for([&] { return h.log_count("outcome=done") >= 5U * (round + 1); },
                           std::chrono::seconds(10));
    EXPECT_EQ(h.stop(SIGKILL), 128 + SIGKILL);
  }
  h.start();
  ASSERT_TRUE(AgentHarness::wait_for([&] { return h.all_triggers_terminal(40); })) << h.log();
  EXPECT_EQ(h.stop(SIGTERM), 0);
  EXPECT_GE(h.log_count("were in flight when the agent last stopped"), 1U);

  auto jobs = h.jobs();
  ASSERT_EQ(jobs.size(), 40U);
  SiteReader site(h.dir() / "var/site.db");
  for (const auto& j : jobs) {
    EXPECT_EQ(j["state"], "done") << j.dump();
    EXPECT_EQ(site.effects_for(j["machine_resource_id"], j["user"], 6), 1) << j.dump();
  }
}

TEST(Lifecycle, SigtermWithCallsInFlightReleasesThemAndExitsCleanly) {
  AgentHarness h("sigterm");
  h.write_config("latency: 5s\n", "shutdown_deadline: 200ms\ncall_timeout: 30s\n");
  h.write_file("batch.json", osd_batch("s-", 3).dump());
  ASSERT_EQ(h.cli({"submit", "--file", "batch.json"}).exit_code, 0);
  h.start();
  ASSERT_TRUE(AgentHarness::wait_for([&] {
    auto jobs = h.jobs();
    int leased = 0;
    for (const auto& j : jobs) leased += j["state"] == "leased" ? 1 : 0;
    return leased == 3;
  })) << h.log();
  EXPECT_EQ(h.stop(SIGTERM), 0);
  EXPECT_EQ(h.log_count("released at shutdown"), 3U);
  for (const auto& j : h.jobs()) {
    EXPECT_EQ(j["state"], "pending");
    EXPECT_EQ(j["verify_first"], true);
    EXPECT_EQ(j["attempts"], 0);
  }
}

TEST(Lifecycle, SighupReloadsRulesAndKeepsTheOldOnesWhenTheNewAreInvalid) {
  AgentHarness h("sighup");
  h.write_file("custom-rules.yaml",
               "version: 1\nrules:\n  - name: skip-all\n    action: skip\n    reason: frozen\n"
               "default:\n  action: skip\n  reason: no rule matched\n");
  h.write_config("", "", "custom-rules.yaml");
  h.start();
  ASSERT_EQ(h.cli({"submit", "--kind", "osd", "--machine", "16777220", "--user", "CONTOSO\\user001",
                   "--id", "before"})
                .exit_code,
            0);
  ASSERT_TRUE(AgentHarness::wait_for([&] { return h.all_triggers_terminal(1); }));

  h.write_file("custom-rules.yaml", "version: 1\nrules:\n  - name: broken\n    action: explode\n");
  h.signal(SIGHUP);
  ASSERT_TRUE(AgentHarness::wait_for([&] { return h.log_count("rules reload rejected") == 1; }))
      << h.log();
  ASSERT_EQ(h.cli({"submit", "--kind", "osd", "--machine", "16777220", "--user", "CONTOSO\\user001",
                   "--id", "during"})
                .exit_code,
            0);
  ASSERT_TRUE(AgentHarness::wait_for([&] { return h.all_triggers_terminal(2); }));

  h.write_file("custom-rules.yaml",
               "version: 1\nrules:\n  - name: osd\n    when: {kind: osd}\n    action: create\n"
               "    source: OSD\ndefault:\n  action: skip\n  reason: no rule matched\n");
  h.signal(SIGHUP);
  ASSERT_TRUE(AgentHarness::wait_for([&] { return h.log_count("rules reloaded") == 1; }))
      << h.log();
  ASSERT_EQ(h.cli({"submit", "--kind", "osd", "--machine", "16777220", "--user", "CONTOSO\\user001",
                   "--id", "after"})
                .exit_code,
            0);
  ASSERT_TRUE(AgentHarness::wait_for([&] { return h.all_triggers_terminal(3); }));
  EXPECT_EQ(h.stop(SIGTERM), 0);

  auto before = h.cli_json({"triggers", "show", "before"});
  auto during = h.cli_json({"triggers", "show", "during"});
  auto after = h.cli_json({"triggers", "show", "after"});
  EXPECT_EQ(before["rule"], "skip-all");
  EXPECT_EQ(during["rule"], "skip-all");  // the broken file did not replace the rules
  EXPECT_EQ(after["rule"], "osd");
  EXPECT_EQ(after["outcome"], "done");
}

TEST(Lifecycle, SecondAgentOnTheSameStoreRefusesToStart) {
  AgentHarness h("twice");
  h.write_config();
  h.start();
  auto r = h.cli({"run"});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE((r.err + h.log()).find("another uda-agent"), std::string::npos);
  EXPECT_EQ(h.stop(SIGINT), 0);
}

}  // namespace
}  // namespace uda::test
