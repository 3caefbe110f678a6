#include <gtest/gtest.h>

#include "platform/service_host/default_paths.hpp"

namespace uda::svc {
namespace {

TEST(KnownFolder, ProgramDataUdaAgent) {
  const auto dir = program_data_dir();
  ASSERT_TRUE(dir.has_value());
  EXPECT_TRUE(dir->is_absolute()) << dir->string();
  EXPECT_EQ(dir->filename(), "UdaAgent");
  EXPECT_FALSE(dir->parent_path().empty());
  const auto cfg = default_config_path();
  ASSERT_TRUE(cfg.has_value());
  EXPECT_EQ(cfg->filename(), "uda-agent.yaml");
  EXPECT_EQ(cfg->parent_path(), *dir);
}

}  // namespace
}  // namespace uda::svc
