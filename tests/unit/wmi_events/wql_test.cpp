// The WQL shape checks behind subscription validation.

#include "sources/wmi_events/wql.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace uda {
namespace {

using ::testing::HasSubstr;

TEST(Wql, EventQuery) {
  auto q = parse_wql_select(
      "SELECT * FROM __InstanceCreationEvent WITHIN 300 WHERE TargetInstance ISA "
      "'SMS_R_System' AND TargetInstance.Client = 1");
  ASSERT_TRUE(q) << q.error().message;
  EXPECT_EQ(q->from_class, "__InstanceCreationEvent");
  ASSERT_TRUE(q->within_seconds);
  EXPECT_EQ(*q->within_seconds, 300);
  ASSERT_TRUE(q->isa_class);
  EXPECT_EQ(*q->isa_class, "SMS_R_System");
}

TEST(Wql, KeywordsIgnoreCaseAndWithinMayBeFractional) {
  auto q = parse_wql_select(
      "select Name from __instancemodificationevent within 0.5 where targetinstance isa "
      "\"Win32_Service\"");
  ASSERT_TRUE(q) << q.error().message;
  EXPECT_EQ(q->from_class, "__instancemodificationevent");
  EXPECT_EQ(*q->within_seconds, 0.5);
  EXPECT_EQ(*q->isa_class, "Win32_Service");
}

TEST(Wql, DataQueryWithQuotedTextContainingKeywords) {
  auto q = parse_wql_select(
      "SELECT * FROM SMS_StatusMessage WHERE Component = 'FROM WITHIN ISA' AND Time > "
      "'20261120081200.000000+000'");
  ASSERT_TRUE(q) << q.error().message;
  EXPECT_EQ(q->from_class, "SMS_StatusMessage");
  EXPECT_FALSE(q->within_seconds);
  EXPECT_FALSE(q->isa_class);
}

TEST(Wql, GroupWithinIsAllowed) {
  auto q = parse_wql_select(
      "SELECT * FROM __InstanceCreationEvent WITHIN 60 WHERE TargetInstance ISA 'SMS_R_System' "
      "GROUP WITHIN 600");
  ASSERT_TRUE(q) << q.error().message;
  EXPECT_EQ(*q->within_seconds, 60);
}

TEST(Wql, Errors) {
  const auto error = [](std::string_view wql) {
    auto q = parse_wql_select(wql);
    EXPECT_FALSE(q) << wql;
    return q ? std::string() : q.error().message;
  };
  EXPECT_THAT(error(""), HasSubstr("SELECT statement"));
  EXPECT_THAT(error("ASSOCIATORS OF {SMS_R_System.ResourceID=1}"), HasSubstr("SELECT statement"));
  EXPECT_THAT(error("SELECT * WHERE Name = 'x'"), HasSubstr("no FROM"));
  EXPECT_THAT(error("SELECT FROM SMS_R_System"), HasSubstr("names no properties"));
  EXPECT_THAT(error("SELECT * FROM"), HasSubstr("class name"));
  EXPECT_THAT(error("SELECT * FROM __InstanceCreationEvent WITHIN WHERE x = 1"),
              HasSubstr("polling interval"));
  EXPECT_THAT(error("SELECT * FROM __InstanceCreationEvent WHERE TargetInstance ISA 'A' WITHIN 5"),
              HasSubstr("WITHIN belongs right after FROM"));
  EXPECT_THAT(error("SELECT * FROM X WHERE Name = 'open"), HasSubstr("not closed"));
  EXPECT_THAT(error("SELECT * FROM __InstanceCreationEvent WITHIN 5 WHERE TargetInstance ISA "
                    "SMS_R_System"),
              HasSubstr("quoted class name"));
  EXPECT_THAT(error("SELECT * FROM A B"), HasSubstr("expected WHERE"));
}

TEST(Wql, IntrinsicEvents) {
  EXPECT_TRUE(is_intrinsic_instance_event("__InstanceCreationEvent"));
  EXPECT_TRUE(is_intrinsic_instance_event("__instanceoperationevent"));
  EXPECT_FALSE(is_intrinsic_instance_event("__ClassCreationEvent"));
  EXPECT_FALSE(is_intrinsic_instance_event("SMS_R_System"));
  EXPECT_TRUE(has_previous_instance("__InstanceModificationEvent"));
  EXPECT_FALSE(has_previous_instance("__InstanceCreationEvent"));
}

TEST(Wql, Quote) {
  EXPECT_EQ(wql_quote("WKS-001"), "'WKS-001'");
  EXPECT_EQ(wql_quote("O'Brien\\PC"), "'O\\'Brien\\\\PC'");
}

}  // namespace
}  // namespace uda
