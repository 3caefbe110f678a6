// `provider.type: wmi` in the agent config: the options are checked on every
// platform (check-config on Linux vets a Windows config); only the Windows
// build accepts the provider.
#include <gtest/gtest.h>

#include "config/agent_config.hpp"

namespace uda {
namespace {

#define EXPECT_HAS(s, part) EXPECT_NE((s).find(part), std::string::npos) << (s)

Expected<AgentConfig> load(const std::string& provider) {
  return load_config_text("provider:\n  type: wmi\n" + provider, "c.yaml", "/etc/uda");
}

TEST(WmiProviderConfig, OptionErrorsAreReportedEverywhere) {
  auto c = load("  wmi:\n    site_code: TOOLONG\n");
  ASSERT_FALSE(c);
  EXPECT_HAS(c.error().message, "c.yaml:4:16: provider.wmi.site_code");
  c = load("  wmi:\n    servr: x\n");
  ASSERT_FALSE(c);
  EXPECT_HAS(c.error().message, "c.yaml:4:5");
  EXPECT_HAS(c.error().message, "server");
}

#ifdef _WIN32
TEST(WmiProviderConfig, AcceptedOnWindows) {
  auto c = load("  wmi:\n    server: sccm01\n    site_code: PS1\n    timeout: 20s\n");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->provider.type, ProviderType::Wmi);
  EXPECT_EQ(c->provider.wmi.server, "sccm01");
  EXPECT_EQ(c->provider.wmi.site_code, "PS1");
  EXPECT_EQ(c->provider.wmi.timeout, Millis(20'000));
  auto defaults = load("");
  ASSERT_TRUE(defaults) << defaults.error().message;
  EXPECT_EQ(defaults->provider.wmi.server, ".");
}
#else
TEST(WmiProviderConfig, ValidOptionsStillNeedTheWindowsBuild) {
  auto c = load("  wmi:\n    server: sccm01\n    site_code: PS1\n");
  ASSERT_FALSE(c);
  EXPECT_HAS(c.error().message, "c.yaml:2:9: provider.type");
  EXPECT_HAS(c.error().message, "needs the Windows build");
  c = load("");
  ASSERT_FALSE(c);
  EXPECT_HAS(c.error().message, "needs the Windows build");
}
#endif

}  // namespace
}  // namespace uda
