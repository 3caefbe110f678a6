#include "config/agent_config.hpp"

#include <gtest/gtest.h>

namespace uda {
namespace {

const std::filesystem::path kBase = "/etc/uda";

std::string minimal(const std::string& extra = "") {
  return "provider:\n  type: simulated\n  simulated:\n    fixture: site.yaml\n" + extra;
}

TEST(AgentConfig, ShippedConfigLoads) {
  auto cfg = load_config(std::filesystem::path(UDA_SOURCE_DIR) / "config/uda-agent.yaml");
  ASSERT_TRUE(cfg) << cfg.error().message;
  EXPECT_EQ(cfg->store.path.filename(), "uda-agent.db");
  EXPECT_EQ(cfg->store.path.parent_path().filename(), "var");
  EXPECT_EQ(cfg->rules.path.filename(), "default.yaml");
  EXPECT_EQ(cfg->provider.type, ProviderType::Simulated);
  EXPECT_EQ(cfg->dispatcher.concurrency, 8);
  EXPECT_EQ(cfg->dispatcher.backoff.base, Millis(2000));
  EXPECT_EQ(cfg->dispatcher.backoff.cap, Millis(300'000));
  EXPECT_EQ(cfg->dispatcher.breaker.failure_threshold, 5);
  EXPECT_EQ(cfg->logging.max_size, 10U * 1024 * 1024);
}

TEST(AgentConfig, DefaultsAndRelativePaths) {
  auto cfg = load_config_text(minimal("store:\n  path: data/x.db\n"), "c.yaml", kBase);
  ASSERT_TRUE(cfg) << cfg.error().message;
  EXPECT_EQ(cfg->store.path, "/etc/uda/data/x.db");
  EXPECT_EQ(cfg->rules.path, "/etc/uda/rules.yaml");
  EXPECT_EQ(cfg->dispatcher.backoff.max_attempts, 8);
  EXPECT_EQ(cfg->intake.batch, 256);
  auto abs = load_config_text(minimal("store:\n  path: /var/lib/uda/x.db\n"), "c.yaml", kBase);
  ASSERT_TRUE(abs);
  EXPECT_EQ(abs->store.path, "/var/lib/uda/x.db");
}

struct Bad {
  std::string yaml;
  std::string expected;  // substring of the message, including the location
};
void PrintTo(const Bad& b, std::ostream* os) {
  *os << b.yaml;
}

class AgentConfigErrors : public ::testing::TestWithParam<Bad> {};

TEST_P(AgentConfigErrors, SaysWhatAndWhere) {
  auto cfg = load_config_text(GetParam().yaml, "c.yaml", kBase);
  ASSERT_FALSE(cfg);
  EXPECT_NE(cfg.error().message.find(GetParam().expected), std::string::npos)
      << cfg.error().message;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, AgentConfigErrors,
    ::testing::Values(
        Bad{minimal("colour: red\n"), "c.yaml:5:1: unknown key 'colour'"},
        Bad{minimal("http: {allow_anonymous: true, max_batch: 500}\nintake: {max_queue: 100}\n"),
            "http.max_batch: 500 is more than intake.max_queue (100)"},
        Bad{minimal("spool: {dir: s, max_triggers_per_file: 500}\nintake: {max_queue: 100}\n"),
            "spool.max_triggers_per_file: 500 is more than intake.max_queue (100)"},
        Bad{minimal("http: {listen: '10.0.0.1:80', allow_anonymous: true}\n"),
            "http.allow_anonymous: only allowed when listening on a loopback"},
        Bad{minimal("spool: {}\n"), "spool"},
        Bad{minimal("usage: {page_size: 500}\nintake: {max_queue: 100}\n"),
            "usage.page_size: 500 is more than intake.max_queue (100)"},
        Bad{minimal("usage: {interval: 10s}\n"), "usage.interval"},
        Bad{minimal("wmi_events:\n  subscriptions:\n    - {name: nd, preset: no-such}\n"),
            "no-such"},
        Bad{minimal("usage: {pagesize: 10}\n"), "unknown key 'pagesize'"},
        Bad{minimal("store:\n  pathh: x\n"),
            "c.yaml:6:3: store: unknown key 'pathh' (did you mean 'path'?)"},
        Bad{minimal("dispatcher:\n  concurrency: many\n"),
            "c.yaml:6:16: dispatcher.concurrency: must be an integer 1..1024, got 'many'"},
        Bad{minimal("dispatcher:\n  concurrency: 0\n"), "dispatcher.concurrency"},
        Bad{minimal("dispatcher:\n  backoff: {base: 10s, cap: 1s}\n"),
            "cap (1s) must be >= base (10s)"},
        Bad{minimal("dispatcher:\n  lease: 10s\n  call_timeout: 10s\n"),
            "call_timeout (10s) must be shorter than lease (10s)"},
        Bad{minimal("dispatcher:\n  poll_interval: soon\n"),
            "dispatcher.poll_interval: must be a duration"},
        Bad{minimal("logging:\n  level: loud\n"),
            "c.yaml:6:10: logging.level: 'loud' is not one of"},
        Bad{minimal("logging:\n  max_size: 10 MiB\n"), "logging.max_size"},
        Bad{minimal("store: [1, 2]\n"), "store: must be a map"},
        Bad{"store:\n  path: x\n", "provider: missing"},
        Bad{"provider:\n  type: sccm\n",
            "c.yaml:2:9: provider.type: 'sccm' is not one of simulated, adminservice, wmi"},
        Bad{"provider:\n  type: adminservice\n", "provider.adminservice: missing"},
        Bad{"provider:\n  type: adminservice\n  adminservice: {url: 'https://p', auth: ntlm}\n",
            "auth: ntlm needs username and password_file"},
        Bad{"provider: {type: simulated}\n", "provider.simulated: missing"},
        Bad{"- just\n- a list\n", "the config must be a map"},
        Bad{"store: {path: [unclosed\n", "YAML syntax error"},
        Bad{minimal("---\nlogging: {level: debug}\n"),
            "a second YAML document starts here; this file is one document"}),
    [](const auto& param_info) { return "Case" + std::to_string(param_info.index); });

TEST(AgentConfig, UsagePollerIsOffUntilItsSectionIsPresent) {
  auto off = load_config_text(minimal(), "c.yaml", kBase);
  ASSERT_TRUE(off) << off.error().message;
  EXPECT_FALSE(off->usage.enabled);

  auto on = load_config_text(minimal("store: {path: data/x.db}\ndispatcher: {call_timeout: 20s}\n"
                                     "usage: {interval: 2h, page_size: 100}\n"),
                             "c.yaml", kBase);
  ASSERT_TRUE(on) << on.error().message;
  EXPECT_TRUE(on->usage.enabled);
  EXPECT_EQ(on->usage.interval, Millis(2LL * 3600 * 1000));
  EXPECT_EQ(on->usage.page_size, 100U);
  // Watermarks next to the store; one query is bounded like one dispatch call.
  EXPECT_EQ(on->usage.state_path, "/etc/uda/data/usage-poller.db");
  EXPECT_EQ(on->usage.call_timeout, Millis(20'000));

  auto empty = load_config_text(minimal("usage:\n"), "c.yaml", kBase);
  ASSERT_TRUE(empty) << empty.error().message;
  EXPECT_TRUE(empty->usage.enabled);
}

// provider.type wmi is the Windows build's; elsewhere it is refused with the reason.
TEST(AgentConfig, WmiProviderIsTheWindowsBuilds) {
  auto cfg = load_config_text("provider:\n  type: wmi\n", "c.yaml", kBase);
#ifdef _WIN32
  ASSERT_TRUE(cfg) << cfg.error().message;
  EXPECT_EQ(cfg->provider.type, ProviderType::Wmi);
#else
  ASSERT_FALSE(cfg);
  EXPECT_NE(cfg.error().message.find("'wmi' needs the Windows build"), std::string::npos)
      << cfg.error().message;
#endif
}

#ifndef _WIN32
TEST(AgentConfig, WmiEventsAreValidatedButNeedTheWindowsBuild) {
  auto cfg = load_config_text(
      minimal("wmi_events:\n  subscriptions:\n    - {name: nd, preset: new-device}\n"), "c.yaml",
      kBase);
  ASSERT_FALSE(cfg);
  EXPECT_NE(cfg.error().message.find("c.yaml:6:3: wmi_events: the section is valid, but WMI "
                                     "event queries need the Windows build"),
            std::string::npos)
      << cfg.error().message;
}
#endif

TEST(AgentConfig, MissingFile) {
  auto cfg = load_config("/nonexistent/uda-agent.yaml");
  ASSERT_FALSE(cfg);
  EXPECT_NE(cfg.error().message.find("cannot open"), std::string::npos);
}

}  // namespace
}  // namespace uda
