// The CLI an admin uses: validation, explanations, and steering jobs.
#include <gtest/gtest.h>

#include "agent_harness.hpp"

namespace uda::test {
namespace {

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

TEST(Cli, VersionAndHelp) {
  AgentHarness h("version");
  auto r = h.cli({"--version"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_TRUE(contains(r.out, "uda-agent 0.")) << r.out;
  auto none = h.cli({});
  EXPECT_NE(none.exit_code, 0);
}

TEST(Cli, CheckConfigAcceptsTheShippedConfig) {
  AgentHarness h("check-shipped");
  auto r =
      h.cli({"--config", std::string(UDA_SOURCE_DIR) + "/config/uda-agent.yaml", "check-config"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "is valid")) << r.out;
}

TEST(Cli, CheckConfigReportsFileLineColumn) {
  AgentHarness h("check-bad");
  h.write_config("", "concurrency_limit: 4\n");
  auto r = h.cli({"check-config"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(contains(r.err, "uda-agent.yaml:")) << r.err;
  EXPECT_TRUE(contains(r.err, "unknown key 'concurrency_limit'")) << r.err;

  h.write_config();
  h.write_file("rules.yaml",
               "version: 1\nrules:\n  - name: a\n    action: create\n    source: Teleport\n");
  auto rules = h.cli({"check-config"});
  EXPECT_EQ(rules.exit_code, 2);
  EXPECT_TRUE(contains(rules.err, "rules.yaml:5:")) << rules.err;
}

TEST(Cli, RulesExplainShowsTheMatchingRuleAndWhyOthersFailed) {
  AgentHarness h("explain");
  h.write_config();
  h.write_file("t.json",
               R"({"kind":"usage","machine":16777220,"user":"CONTOSO\\user001",
                   "attributes":{"usage.minutes":3000,"usage.days":12}})");
  auto r = h.cli({"rules", "explain", "--trigger", "t.json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "UsageAgent")) << r.out;
  auto j = h.cli_json({"rules", "explain", "--trigger", "t.json"});
  EXPECT_EQ(j["decision"]["action"], "create");
  EXPECT_EQ(j["decision"]["source_id"], 4);
  ASSERT_TRUE(j["decision"]["trace"].is_array());
  bool some_failed = false;
  for (const auto& t : j["decision"]["trace"]) some_failed |= t.contains("failed");
  EXPECT_TRUE(some_failed) << "rules before the usage rule should show why they failed";

  auto stdin_r = h.cli({"rules", "explain", "--trigger", "-"},
                       R"({"kind":"osd","machine":1,"user":"CONTOSO\\svc_backup"})");
  ASSERT_EQ(stdin_r.exit_code, 0) << stdin_r.err;
  EXPECT_TRUE(contains(stdin_r.out, "service account")) << stdin_r.out;

  auto bad = h.cli({"rules", "explain", "--trigger", "-"}, R"({"kind":"osd"})");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_TRUE(contains(bad.err, "machine")) << bad.err;
}

TEST(Cli, SubmitRejectsBadInputWithoutWritingAnything) {
  AgentHarness h("submit-bad");
  h.write_config();
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const std::vector<Case> cases{
      {{"submit", "--kind", "reboot", "--machine", "1", "--user", "C\\u"}, "--kind 'reboot'"},
      {{"submit", "--kind", "osd", "--user", "C\\u"}, "--machine"},
      {{"submit", "--kind", "osd", "--machine", "0", "--user", "C\\u"}, "1..4294967295"},
      {{"submit", "--kind", "osd", "--machine", "5", "--user", "jdoe"}, "--user"},
      {{"submit", "--kind", "osd", "--machine", "5", "--user", "C\\u", "--attr", "novalue"},
       "key=value"},
      {{"submit", "--file", "missing.json"}, "cannot open"},
  };
  for (const auto& c : cases) {
    auto r = h.cli(c.args);
    EXPECT_EQ(r.exit_code, 2) << c.args[2];
    EXPECT_TRUE(contains(r.err, c.message)) << r.err;
  }
  h.write_file("mixed.json",
               R"([{"kind":"osd","machine":1,"user":"C\\u"},{"kind":"osd","machine":"x"}])");
  auto mixed = h.cli({"submit", "--file", "mixed.json"});
  EXPECT_EQ(mixed.exit_code, 2);
  EXPECT_TRUE(contains(mixed.err, "trigger [1]")) << mixed.err;
  // A number beyond a double is nlohmann::json's out_of_range, not a
  // parse_error; it escaped as an exception and aborted the CLI (tests/fuzz).
  h.write_file("huge.json", R"({"kind":"osd","machine":1,"user":"C\\u","attributes":{"n":1e400}})");
  auto huge = h.cli({"submit", "--file", "huge.json"});
  EXPECT_EQ(huge.exit_code, 2);
  EXPECT_TRUE(contains(huge.err, "not valid JSON")) << huge.err;
  EXPECT_FALSE(std::filesystem::exists(h.dir() / "var/uda-agent.db"))
      << "a rejected submit must not write the store";
}

TEST(Cli, JobsCanBeInspectedRetriedAndCancelled) {
  AgentHarness h("jobs");
  h.write_config();
  ASSERT_EQ(h.cli({"submit", "--kind", "osd", "--machine", "16777999", "--user", "CONTOSO\\user001",
                   "--id", "ghost"})
                .exit_code,
            0);
  ASSERT_EQ(h.cli({"submit", "--kind", "osd", "--machine", "16777221", "--user", "CONTOSO\\user002",
                   "--id", "real"})
                .exit_code,
            0);
  h.start();
  ASSERT_TRUE(AgentHarness::wait_for([&] { return h.all_triggers_terminal(2); })) << h.log();
  EXPECT_EQ(h.stop(SIGTERM), 0);

  auto ghost = h.cli_json({"triggers", "show", "ghost"});
  ASSERT_EQ(ghost["outcome"], "dead");
  const auto dead_id = std::to_string(ghost["job_id"].get<long long>());
  auto show = h.cli({"jobs", "show", dead_id});
  EXPECT_EQ(show.exit_code, 0);
  EXPECT_TRUE(contains(show.out, "WBEM_E_NOT_FOUND")) << show.out;
  EXPECT_TRUE(contains(show.out, "#1")) << show.out;

  auto list = h.cli({"jobs", "list", "--state", "dead"});
  EXPECT_EQ(list.exit_code, 0);
  EXPECT_TRUE(contains(list.out, "16777999")) << list.out;

  EXPECT_EQ(h.cli({"jobs", "retry", dead_id}).exit_code, 0);
  auto retried = h.cli_json({"jobs", "show", dead_id});
  EXPECT_EQ(retried["state"], "pending");
  EXPECT_EQ(h.cli({"jobs", "cancel", dead_id}).exit_code, 0);
  EXPECT_EQ(h.cli_json({"jobs", "show", dead_id})["state"], "cancelled");

  auto real = h.cli_json({"triggers", "show", "real"});
  const auto done_id = std::to_string(real["job_id"].get<long long>());
  auto refuse = h.cli({"jobs", "cancel", done_id});
  EXPECT_EQ(refuse.exit_code, 1);
  EXPECT_FALSE(refuse.err.empty());
  auto nojob = h.cli({"jobs", "show", "999999"});
  EXPECT_EQ(nojob.exit_code, 1);
  EXPECT_TRUE(contains(nojob.err, "no job 999999")) << nojob.err;
  EXPECT_EQ(h.cli({"jobs", "list", "--state", "sleeping"}).exit_code, 2);
}

}  // namespace
}  // namespace uda::test

namespace uda::test {
namespace {

// An admin steers a running agent: the CLI writes the store while the agent
// works on it, and the agent acts on what the CLI changed.
TEST(Cli, RetryAndCancelWorkWhileTheAgentRuns) {
  AgentHarness h("steer-live");
  h.write_config();
  h.start();
  ASSERT_EQ(h.cli({"submit", "--kind", "osd", "--machine", "16777999", "--user", "CONTOSO\\user001",
                   "--id", "ghost"})
                .exit_code,
            0);
  ASSERT_TRUE(AgentHarness::wait_for([&] { return h.all_triggers_terminal(1); })) << h.log();
  const auto id =
      std::to_string(h.cli_json({"triggers", "show", "ghost"})["job_id"].get<long long>());

  // Retry: the running agent claims it again and records a second attempt.
  ASSERT_EQ(h.cli({"jobs", "retry", id}).exit_code, 0);
  ASSERT_TRUE(AgentHarness::wait_for([&] {
    auto j = h.cli_json({"jobs", "show", id});
    return j["state"] == "dead" && j["attempt_history"].size() == 2;
  })) << h.log();

  // Cancel: a dead job is cancelled and stays so; the agent does not touch it.
  ASSERT_EQ(h.cli({"jobs", "cancel", id}).exit_code, 0);
  EXPECT_EQ(h.stop(SIGTERM), 0);
  auto j = h.cli_json({"jobs", "show", id});
  EXPECT_EQ(j["state"], "cancelled");
  EXPECT_EQ(j["attempt_history"].size(), 2U);
  EXPECT_EQ(h.log_count("outcome=dead"), 2U);
}

}  // namespace
}  // namespace uda::test

namespace uda::test {
namespace {

// `service install` writes `uda-agent.exe run --config X` into the service's
// command line: the global --config must be accepted after the command too.
TEST(Cli, ConfigOptionMayFollowTheCommand) {
  AgentHarness h("cli-config-after");
  h.write_config();
  auto r =
      h.run_tool({agent_binary().string(), "check-config", "--config", h.config_path().string()});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("is valid"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace uda::test
