#include "providers/adminservice/odata.hpp"

#include <gtest/gtest.h>

namespace uda::adminservice {
namespace {

TEST(OData, StringLiteralsDoubleQuotes) {
  EXPECT_EQ(odata_string("WKS-0001"), "'WKS-0001'");
  EXPECT_EQ(odata_string("O'Brien"), "'O''Brien'");
  EXPECT_EQ(odata_string("'; DROP"), "'''; DROP'");
  EXPECT_EQ(odata_string("CONTOSO\\jdoe"), "'CONTOSO\\jdoe'");  // backslash is literal in OData
  EXPECT_EQ(odata_string(""), "''");
}

TEST(OData, InjectionCannotEscapeTheLiteral) {
  // Whatever a name holds, the filter stays one comparison: the quotes inside
  // are doubled and everything is percent-encoded in the URL.
  const std::string hostile = "x' or Name ne 'y";
  const auto q = query_string({{"$filter", "Name eq " + odata_string(hostile)}});
  EXPECT_EQ(q, "?$filter=Name%20eq%20%27x%27%27%20or%20Name%20ne%20%27%27y%27");
  EXPECT_EQ(q.find(' '), std::string::npos);
  EXPECT_EQ(q.find('&', 1), std::string::npos);
}

TEST(OData, UrlEncodingKeepsOnlyUnreserved) {
  EXPECT_EQ(url_encode("a-b_c.d~e"), "a-b_c.d~e");
  EXPECT_EQ(url_encode("a b&c=d/e?f#g"), "a%20b%26c%3Dd%2Fe%3Ff%23g");
  EXPECT_EQ(url_encode("CONTOSO\\jdoe"), "CONTOSO%5Cjdoe");
  EXPECT_EQ(url_encode("\xc3\xa9"), "%C3%A9");
  EXPECT_EQ(query_string({{"$filter", "ResourceID gt 5"}, {"$top", "10"}}),
            "?$filter=ResourceID%20gt%205&$top=10");
}

TEST(OData, ValueArraysAndErrors) {
  auto v = value_array(R"({"@odata.context":"x","value":[{"ResourceID":1}]})");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->size(), 1U);
  EXPECT_FALSE(value_array("[]"));
  EXPECT_FALSE(value_array("<html>"));
  EXPECT_EQ(error_text(R"({"error":{"code":"NotFound","message":"Instance not found"}})"),
            "NotFound: Instance not found");
  EXPECT_EQ(error_text(R"({"error":{"code":"x","message":{"lang":"en","value":"deep"}}})"),
            "x: deep");
  EXPECT_EQ(error_text(""), "(empty body)");
  EXPECT_EQ(error_text("line1\nline2"), "line1 line2");
  EXPECT_EQ(error_text(std::string(1000, 'a')).size(), 200U);
}

TEST(OData, WmiTimes) {
  EXPECT_EQ(parse_wmi_time("2026-11-20T08:12:00Z"), parse_iso8601("2026-11-20T08:12:00Z"));
  EXPECT_EQ(parse_wmi_time("20261120081200.000000+000"), parse_iso8601("2026-11-20T08:12:00Z"));
  EXPECT_EQ(parse_wmi_time("20261120091200.500000+060"), parse_iso8601("2026-11-20T08:12:00.500Z"));
  EXPECT_EQ(parse_wmi_time("20261120031200.000000-300"), parse_iso8601("2026-11-20T08:12:00Z"));
  EXPECT_FALSE(parse_wmi_time("yesterday"));
  EXPECT_FALSE(parse_wmi_time("20261120081200.000000"));
}

}  // namespace
}  // namespace uda::adminservice
