// End to end: triggers submitted through the CLI are decided by the shipped
// rules, queued in the store and dispatched to the simulated site, with and
// without injected faults. Every trigger must end in exactly one terminal
// state, with the right SourceId, and no relationship may be created twice.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "agent_harness.hpp"
#include "site_reader.hpp"

namespace uda::test {
namespace {

using nlohmann::json;

// Devices 16777220..16777259 (WKS-0001..) and users CONTOSO\user001..user040
// (test::user) exist in tests/data/integration/site.yaml.
json trigger(const std::string& id, const std::string& kind, std::uint32_t machine,
             const std::string& u, json attributes = json::object()) {
  return json{{"id", id},
              {"kind", kind},
              {"machine", {{"resource_id", machine}}},
              {"user", u},
              {"attributes", attributes}};
}

std::map<std::string, json> by_id(const json& arr) {
  std::map<std::string, json> m;
  for (const auto& t : arr) m[t["id"].get<std::string>()] = t;
  return m;
}

TEST(Pipeline, OsdTriggerBecomesPrimaryUserWithSourceOsd) {
  AgentHarness h("osd");
  h.write_config();
  h.start();
  auto r = h.cli({"submit", "--kind", "osd", "--machine", "16777220", "--user", "CONTOSO\\user001",
                  "--id", "osd-1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("accepted trigger osd-1"), std::string::npos) << r.out;
  ASSERT_TRUE(AgentHarness::wait_for([&] { return h.all_triggers_terminal(1); })) << h.log();

  auto t = h.cli_json({"triggers", "show", "osd-1"});
  EXPECT_EQ(t["outcome"], "done");
  EXPECT_EQ(t["decision"], "create");
  ASSERT_TRUE(t["job_id"].is_number());
  auto jobs = h.jobs();
  ASSERT_EQ(jobs.size(), 1U);
  EXPECT_EQ(jobs[0]["source_id"], 6);
  EXPECT_EQ(jobs[0]["type_id"], 1);
  EXPECT_EQ(jobs[0]["user"], "CONTOSO\\user001");
  EXPECT_EQ(jobs[0]["attempts"], 1);

  auto rels = h.cli_json({"relationships", "list", "--machine", "16777220"});
  bool found = false;
  for (const auto& rel : rels) {
    if (rel["user"] == "CONTOSO\\user001") {
      found = true;
      EXPECT_NE(rel["sources"].dump().find("6"), std::string::npos) << rel.dump();
    }
  }
  EXPECT_TRUE(found) << rels.dump();
  // One decision line and one outcome line, both with the trigger/job ids.
  EXPECT_EQ(h.log_count("trigger=osd-1 kind=osd"), 1U);
  EXPECT_EQ(h.log_count("outcome=done"), 1U);
  EXPECT_EQ(h.stop(SIGTERM), 0);
}

TEST(Pipeline, RulesChooseSourcePerKindAndSkipWhatTheyShould) {
  AgentHarness h("kinds");
  h.write_config();
  json batch = json::array({
      trigger("k-osd", "osd", 16777221, "CONTOSO\\user002"),
      trigger("k-manual", "manual", 16777222, "CONTOSO\\user003"),
      trigger("k-usage", "usage", 16777223, "CONTOSO\\user004",
              {{"usage.minutes", 3000}, {"usage.days", 20}}),
      trigger("k-usage-low", "usage", 16777224, "CONTOSO\\user005",
              {{"usage.minutes", 100}, {"usage.days", 20}}),
      trigger("k-enroll", "enrollment", 16777225, "CONTOSO\\user006"),
      trigger("k-machine-acct", "osd", 16777226, "CONTOSO\\WKS-0007$"),
      trigger("k-unknown-device", "osd", 16777999, "CONTOSO\\user007"),
  });
  h.write_file("batch.json", batch.dump());
  auto r = h.cli({"submit", "--file", "batch.json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  h.start();
  ASSERT_TRUE(AgentHarness::wait_for([&] { return h.all_triggers_terminal(7); })) << h.log();
  auto t = by_id(h.triggers());
  EXPECT_EQ(t["k-osd"]["outcome"], "done");
  EXPECT_EQ(t["k-manual"]["outcome"], "done");
  EXPECT_EQ(t["k-usage"]["outcome"], "done");
  EXPECT_EQ(t["k-usage-low"]["outcome"], "skipped");
  EXPECT_EQ(t["k-enroll"]["outcome"], "done");
  EXPECT_EQ(t["k-machine-acct"]["outcome"], "skipped");
  EXPECT_NE(t["k-machine-acct"]["reason"].get<std::string>().find("machine account"),
            std::string::npos);
  EXPECT_EQ(t["k-unknown-device"]["outcome"], "dead");

  std::map<std::string, int> source_of;
  for (const auto& j : h.jobs()) source_of[j["trigger_id"]] = j["source_id"];
  EXPECT_EQ(source_of["k-osd"], 6);
  EXPECT_EQ(source_of["k-manual"], 2);
  EXPECT_EQ(source_of["k-usage"], 4);
  EXPECT_EQ(source_of["k-enroll"], 5);
  EXPECT_EQ(h.stop(SIGTERM), 0);
}

TEST(Pipeline, DuplicatesAreQueuedOnceAndResubmittedIdsIgnored) {
  AgentHarness h("dupes");
  h.write_config();
  for (int i = 0; i < 3; ++i) {
    auto r = h.cli({"submit", "--kind", "osd", "--machine", "16777230", "--user",
                    "CONTOSO\\user010", "--id", "dup-" + std::to_string(i)});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  auto again = h.cli({"submit", "--kind", "osd", "--machine", "16777230", "--user",
                      "CONTOSO\\user010", "--id", "dup-0"});
  ASSERT_EQ(again.exit_code, 0);
  EXPECT_NE(again.out.find("already present"), std::string::npos) << again.out;
  h.start();
  ASSERT_TRUE(AgentHarness::wait_for([&] { return h.all_triggers_terminal(3); })) << h.log();
  auto jobs = h.jobs();
  ASSERT_EQ(jobs.size(), 1U) << jobs.dump();
  int duplicates = 0;
  for (const auto& t : h.triggers()) {
    EXPECT_EQ(t["job_id"], jobs[0]["id"]);
    EXPECT_EQ(t["outcome"], "done");
    duplicates += t["decision"] == "duplicate" ? 1 : 0;
  }
  EXPECT_EQ(duplicates, 2);
  SiteReader site(h.dir() / "var/site.db");
  EXPECT_EQ(site.effects_for(16777230, "CONTOSO\\user010", 6), 1);
  EXPECT_EQ(h.stop(SIGTERM), 0);
}

// Faults: transient errors, ambiguous failures after the effect, latency.
// 120 triggers over 40 devices; every one must end exactly once, correctly.
TEST(Pipeline, InjectedFaultsStillGiveExactlyOneTerminalStateAndNoDoubleEffects) {
  AgentHarness h("faults");
  h.write_config(
      "seed: 7\nlatency: 2ms\nlatency_jitter: 3ms\ntransient_error_rate: 0.3\n"
      "ambiguous_rate: 0.15\n",
      "max_attempts: 30\ncircuit_breaker: {failure_threshold: 50, open_for: 100ms}\n"
      "verify_before_create: false\n");
  json batch = json::array();
  for (int i = 0; i < 120; ++i) {
    const auto machine = static_cast<std::uint32_t>(16777220 + i % 40);
    const auto kind = i < 40 ? "osd" : (i < 80 ? "manual" : "enrollment");
    batch.push_back(trigger("f-" + std::to_string(i), kind, machine, user(i % 40 + 1)));
  }
  h.write_file("batch.json", batch.dump());
  ASSERT_EQ(h.cli({"submit", "--file", "batch.json"}).exit_code, 0);
  h.start();
  ASSERT_TRUE(AgentHarness::wait_for([&] { return h.all_triggers_terminal(120); },
                                     std::chrono::seconds(120)))
      << h.log();
  EXPECT_EQ(h.stop(SIGTERM), 0);

  auto jobs = h.jobs();
  EXPECT_EQ(jobs.size(), 120U);
  int retried = 0;
  for (const auto& j : jobs) {
    EXPECT_EQ(j["state"], "done") << j.dump();
    retried += j["attempts"].get<int>() > 1 ? 1 : 0;
    const std::string trig = j["trigger_id"];
    const int i = std::stoi(trig.substr(2));
    const int expected_source = i < 40 ? 6 : (i < 80 ? 2 : 5);
    EXPECT_EQ(j["source_id"], expected_source) << trig;
  }
  EXPECT_GT(retried, 10) << "faults were injected, some jobs must have retried";
  SiteReader site(h.dir() / "var/site.db");
  for (const auto& j : jobs) {
    EXPECT_EQ(site.effects_for(j["machine_resource_id"], j["user"], j["source_id"]), 1)
        << "job " << j["id"] << " " << j["user"];
  }
  EXPECT_GT(h.log_count("verify_first=true"), 0U) << "ambiguous failures were injected";
}

TEST(Pipeline, OutageOpensTheBreakerAndTheBacklogDrainsAfterwards) {
  AgentHarness h("outage");
  h.write_config("outages:\n  - {start: 0s, duration: 2s}\n",
                 "max_attempts: 100\ncircuit_breaker: {failure_threshold: 3, open_for: 300ms, "
                 "max_open_for: 600ms}\n");
  json batch = json::array();
  for (int i = 0; i < 20; ++i) {
    batch.push_back(trigger("o-" + std::to_string(i), "osd",
                            static_cast<std::uint32_t>(16777220 + i), user(i + 1)));
  }
  h.write_file("batch.json", batch.dump());
  ASSERT_EQ(h.cli({"submit", "--file", "batch.json"}).exit_code, 0);
  h.start();
  ASSERT_TRUE(AgentHarness::wait_for([&] { return h.all_triggers_terminal(20); })) << h.log();
  EXPECT_EQ(h.stop(SIGTERM), 0);
  EXPECT_GE(h.log_count("state=open"), 1U);
  EXPECT_GE(h.log_count("state=closed"), 1U);
  for (const auto& j : h.jobs()) EXPECT_EQ(j["state"], "done") << j.dump();
  // Bounded calls during the 2 s outage: threshold + in flight + a probe per period,
  // far below what 20 jobs with 10-200 ms backoff would make unchecked.
  EXPECT_LT(h.log_count("outcome=retry"), 80U);
}

}  // namespace
}  // namespace uda::test
