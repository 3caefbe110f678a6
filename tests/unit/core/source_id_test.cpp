#include "core/source_id.hpp"

#include <gtest/gtest.h>

namespace uda {
namespace {

TEST(SourceId, NamesAndNumbersMapToConfigMgrValues) {
  EXPECT_EQ(parse_source_id("OSD"), SourceId::Osd);
  EXPECT_EQ(static_cast<int>(*parse_source_id("OSD")), 6);
  EXPECT_EQ(parse_source_id("usage-agent"), SourceId::UsageAgent);
  EXPECT_EQ(parse_source_id("Usage_Agent"), SourceId::UsageAgent);
  EXPECT_EQ(parse_source_id("usage"), SourceId::UsageAgent);
  EXPECT_EQ(parse_source_id("admin"), SourceId::Administrator);
  EXPECT_EQ(parse_source_id("enrollment"), SourceId::DeviceManagement);
  EXPECT_EQ(parse_source_id("9"), SourceId::SecureUsageAgent);
  EXPECT_EQ(parse_source_id("1"), SourceId::SoftwareCatalog);
}

TEST(SourceId, RejectsUnknownAndOutOfRange) {
  EXPECT_FALSE(parse_source_id("0"));
  EXPECT_FALSE(parse_source_id("10"));
  EXPECT_FALSE(parse_source_id("-1"));
  EXPECT_FALSE(parse_source_id("sccm"));
  EXPECT_FALSE(parse_source_id(""));
  EXPECT_FALSE(source_id_from_number(0));
  EXPECT_TRUE(source_id_from_number(8));
}

TEST(SourceId, RoundTripsEveryValue) {
  for (int n = 1; n <= 9; ++n) {
    auto id = source_id_from_number(n);
    ASSERT_TRUE(id);
    EXPECT_EQ(parse_source_id(to_string(*id)), id) << n;
  }
  EXPECT_NE(source_id_choices().find("OSD (6)"), std::string::npos);
}

TEST(TypeId, OnlyPrimaryIsDocumented) {
  EXPECT_EQ(parse_type_id("primary"), TypeId::Primary);
  EXPECT_EQ(parse_type_id("1"), TypeId::Primary);
  EXPECT_FALSE(parse_type_id("2"));
  EXPECT_FALSE(parse_type_id("secondary"));
}

}  // namespace
}  // namespace uda
