// The real agent with `provider: adminservice` against the fake AdminService
// (tests/tools/fake_adminservice) over HTTPS with a bearer token: injected
// 5xx, 429 + Retry-After, resets, hangs and ambiguous failures still give
// every job exactly one terminal state and every relationship exactly one
// effect on the site; a refused token holds the backlog until it is renewed;
// machine names and UPNs are resolved in the site.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "agent_harness.hpp"
#include "fake_adminservice_process.hpp"
#include "site_reader.hpp"

namespace uda::test {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

const std::string kToken = "cmg-token-for-tests-7f3a";

fs::path integration_site() {
  return fs::path(UDA_SOURCE_DIR) / "tests/data/integration/site.yaml";
}

// provider: adminservice, trusting the fake's certificate, token from cmg.token.
std::string adminservice_provider(const FakeAdminService& fake, const std::string& timeout) {
  return "provider:\n  type: adminservice\n  adminservice:\n    url: " + fake.url() +
         "\n    auth: bearer\n    token_file: cmg.token\n    ca_file: " + fake.ca_file().string() +
         "\n    timeout: " + timeout + "\n    workers: 4\n";
}

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(AdminService, FaultsStillGiveExactlyOneTerminalStateAndOneEffectPerJob) {
  AgentHarness h("as-faults");
  FakeAdminService fake(h.dir() / "fake", integration_site(), kToken,
                        {"--seed", "11", "--error-rate-5xx", "0.12", "--rate-429", "0.08",
                         "--retry-after", "1", "--ambiguous-rate", "0.12", "--reset-rate", "0.05",
                         "--timeout-rate", "0.02", "--timeout-sleep-ms", "3000"});
  ASSERT_FALSE(fake.url().empty()) << fake.log();
  h.write_file("cmg.token", kToken + "\n");
  h.set_provider(adminservice_provider(fake, "1s"));
  h.write_config("",
                 "max_attempts: 40\ncall_timeout: 2s\n"
                 "circuit_breaker: {failure_threshold: 200, open_for: 100ms}\n");
  json batch = json::array();
  for (int i = 0; i < 60; ++i) {
    // 0..39: OSD (SourceId 6); 40..59: manual (SourceId 2). Every (device,
    // user) pair is different: each job must have its own effect.
    const auto machine = static_cast<std::uint32_t>(16777220 + (i < 40 ? i : (i + 20) % 40));
    const auto kind = i < 40 ? "osd" : "manual";
    batch.push_back(json{{"id", "as-" + std::to_string(i)},
                         {"kind", kind},
                         {"machine", {{"resource_id", machine}}},
                         {"user", user(i % 40 + 1)}});
  }
  h.write_file("batch.json", batch.dump());
  ASSERT_EQ(h.cli({"submit", "--file", "batch.json"}).exit_code, 0);
  h.start();
  ASSERT_TRUE(AgentHarness::wait_for([&] { return h.all_triggers_terminal(60); },
                                     std::chrono::seconds(150)))
      << h.log() << "\n--- fake ---\n"
      << fake.log();
  EXPECT_EQ(h.stop(SIGTERM), 0);

  auto jobs = h.jobs();
  ASSERT_EQ(jobs.size(), 60U);
  int retried = 0;
  for (const auto& j : jobs) {
    EXPECT_EQ(j["state"], "done") << j.dump();
    const std::string trig = j["trigger_id"];
    EXPECT_EQ(j["source_id"], std::stoi(trig.substr(3)) < 40 ? 6 : 2) << trig;
    retried += j["attempts"].get<int>() > 1 ? 1 : 0;
  }
  EXPECT_GT(retried, 5) << "faults were injected, some jobs must have retried";
  SiteReader site(fake.state_path());
  for (const auto& j : jobs) {
    EXPECT_EQ(site.effects_for(j["machine_resource_id"], j["user"], j["source_id"]), 1)
        << "job " << j["id"] << " " << j["user"];
  }
  // Ambiguous failures were checked before the next create; 429s were seen.
  EXPECT_GT(h.log_count("verify_first=true"), 0U);
  EXPECT_GT(h.log_count("HTTP 429"), 0U);
  // The token never reaches the log.
  EXPECT_EQ(h.log().find(kToken), std::string::npos);
}

TEST(AdminService, RefusedTokenHoldsTheBacklogUntilTheTokenFileIsRenewed) {
  AgentHarness h("as-token");
  FakeAdminService fake(h.dir() / "fake", integration_site(), kToken, {"--seed", "3"});
  ASSERT_FALSE(fake.url().empty()) << fake.log();
  h.write_file("cmg.token", "expired-token\n");
  h.set_provider(adminservice_provider(fake, "5s"));
  h.write_config("",
                 "max_attempts: 1000\n"
                 "circuit_breaker: {failure_threshold: 3, open_for: 200ms, max_open_for: 400ms}\n");
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(h.cli({"submit", "--kind", "osd", "--machine", std::to_string(16777230 + i), "--user",
                     user(i + 11), "--id", "tok-" + std::to_string(i)})
                  .exit_code,
              0);
  }
  h.start();
  // Refused: retried (not dead-lettered), the breaker opens, nothing created.
  ASSERT_TRUE(AgentHarness::wait_for([&] { return h.log_count("authentication refused") >= 3; }))
      << h.log();
  ASSERT_TRUE(AgentHarness::wait_for([&] { return h.log_count("state=open") > 0; })) << h.log();
  for (const auto& j : h.jobs()) EXPECT_NE(j["state"], "dead") << j.dump();
  {
    SiteReader site(fake.state_path());
    for (int i = 0; i < 5; ++i) {
      EXPECT_EQ(site.effects_for(static_cast<std::uint32_t>(16777230 + i), user(i + 11), 6), 0);
    }
  }
  // A scheduled task renews the token: picked up without a restart.
  h.write_file("cmg.token.tmp", kToken + "\n");
  fs::rename(h.dir() / "cmg.token.tmp", h.dir() / "cmg.token");
  ASSERT_TRUE(AgentHarness::wait_for([&] { return h.all_triggers_terminal(5); }))
      << h.log() << "\n--- fake ---\n"
      << fake.log();
  EXPECT_EQ(h.stop(SIGTERM), 0);
  SiteReader site(fake.state_path());
  for (const auto& j : h.jobs()) {
    EXPECT_EQ(j["state"], "done") << j.dump();
    EXPECT_EQ(site.effects_for(j["machine_resource_id"], j["user"], 6), 1) << j.dump();
  }
  EXPECT_EQ(h.log().find(kToken), std::string::npos);
  EXPECT_EQ(h.log().find("expired-token"), std::string::npos);
}

TEST(AdminService, MachineNameAndUpnAreResolvedInTheSite) {
  AgentHarness h("as-resolve");
  FakeAdminService fake(h.dir() / "fake", integration_site(), kToken, {"--seed", "5"});
  ASSERT_FALSE(fake.url().empty()) << fake.log();
  h.write_file("cmg.token", kToken + "\n");
  // The shipped rules, but UPNs are left to the site instead of a suffix table.
  std::string rules = read_text(h.dir() / "rules.yaml");
  const std::string suffixes =
      "  upn_suffixes:                    # UPN suffix -> NetBIOS domain\n"
      "    contoso.com: CONTOSO\n";
  const auto at = rules.find(suffixes);
  ASSERT_NE(at, std::string::npos) << "rules/default.yaml changed; update this test";
  rules.replace(at, suffixes.size(), "  unmapped_upn: resolve_in_site\n");
  h.write_file("rules.yaml", rules);
  h.set_provider(adminservice_provider(fake, "5s"));
  h.write_config();
  json batch = json::array({json{{"id", "by-name"},
                                 {"kind", "osd"},
                                 {"machine", {{"name", "WKS-0003"}}},
                                 {"user", "user003@contoso.com"}},
                            json{{"id", "unknown-upn"},
                                 {"kind", "osd"},
                                 {"machine", {{"resource_id", 16777224}}},
                                 {"user", "nobody@contoso.com"}},
                            json{{"id", "unknown-name"},
                                 {"kind", "osd"},
                                 {"machine", {{"name", "WKS-9999"}}},
                                 {"user", "CONTOSO\\user004"}}});
  h.write_file("batch.json", batch.dump());
  ASSERT_EQ(h.cli({"submit", "--file", "batch.json"}).exit_code, 0);
  h.start();
  ASSERT_TRUE(AgentHarness::wait_for([&] { return h.all_triggers_terminal(3); }))
      << h.log() << "\n--- fake ---\n"
      << fake.log();
  EXPECT_EQ(h.stop(SIGTERM), 0);

  std::map<std::string, json> by_trigger;
  for (const auto& j : h.jobs()) by_trigger[j["trigger_id"].get<std::string>()] = j;
  ASSERT_EQ(by_trigger.count("by-name"), 1U);
  const auto& ok = by_trigger["by-name"];
  EXPECT_EQ(ok["state"], "done") << ok.dump();
  EXPECT_EQ(ok["machine_resource_id"], 16777222);
  EXPECT_EQ(ok["user"], "CONTOSO\\user003");
  SiteReader site(fake.state_path());
  EXPECT_EQ(site.effects_for(16777222, "CONTOSO\\user003", 6), 1);

  // A UPN or a name the site does not know: dead-lettered, with why, no effect.
  ASSERT_EQ(by_trigger.count("unknown-upn"), 1U);
  EXPECT_EQ(by_trigger["unknown-upn"]["state"], "dead") << by_trigger["unknown-upn"].dump();
  EXPECT_NE(by_trigger["unknown-upn"].dump().find("nobody@contoso.com"), std::string::npos)
      << by_trigger["unknown-upn"].dump();
  const auto t = h.cli_json({"triggers", "show", "unknown-name"});
  EXPECT_NE(t["outcome"], "done") << t.dump();
  EXPECT_EQ(site.effects_for(16777224, "nobody@contoso.com", 6), 0);
}

}  // namespace
}  // namespace uda::test
