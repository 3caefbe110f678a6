#include "fake_adminservice/odata_query.hpp"

#include <gtest/gtest.h>

namespace uda::fake {
namespace {

TEST(ODataQuery, PercentDecoding) {
  EXPECT_EQ(*percent_decode("a%20b%27c%5Cd", false), "a b'c\\d");
  EXPECT_EQ(*percent_decode("a+b", true), "a b");
  EXPECT_EQ(*percent_decode("a+b", false), "a+b");
  EXPECT_EQ(*percent_decode("%2B%2b", true), "++");
  EXPECT_EQ(*percent_decode("", true), "");
  for (const std::string bad : {"%", "%2", "%zz", "a%2g", "%00"}) {
    EXPECT_FALSE(percent_decode(bad, true)) << bad;
  }
}

TEST(ODataQuery, SplitsPathAndOptions) {
  auto q = parse_target(
      "/AdminService/wmi/SMS_R_System%28167%29?%24filter=Name%20eq%20%27WKS%27%27s%27"
      "&$select=ResourceID,%20Name&$orderby=ResourceID+desc&$top=5&");
  ASSERT_TRUE(q) << q.error().message;
  EXPECT_EQ(q->path, "/AdminService/wmi/SMS_R_System(167)");
  ASSERT_TRUE(q->filter);
  ASSERT_EQ(q->filter->size(), 1U);
  EXPECT_EQ(std::get<std::string>(q->filter->at(0).value), "WKS's");
  EXPECT_EQ(q->select, (std::vector<std::string>{"ResourceID", "Name"}));
  ASSERT_TRUE(q->orderby);
  EXPECT_EQ(q->orderby->property, "ResourceID");
  EXPECT_TRUE(q->orderby->descending);
  EXPECT_EQ(q->top, std::optional<std::size_t>(5));

  auto plain = parse_target("/AdminService/wmi/SMS_R_User");
  ASSERT_TRUE(plain);
  EXPECT_FALSE(plain->filter);
  EXPECT_TRUE(plain->select.empty());
  EXPECT_FALSE(plain->orderby);
  EXPECT_FALSE(plain->top);

  auto asc = parse_target("/x?$orderby=Name asc&$top=0");
  ASSERT_TRUE(asc) << asc.error().message;
  EXPECT_FALSE(asc->orderby->descending);
  EXPECT_EQ(asc->top, std::optional<std::size_t>(0));
  // A literal '+' in a value must be sent as %2B ('+' is a space).
  auto plus = parse_target("/x?$filter=Name eq 'a%2Bb+c'");
  ASSERT_TRUE(plus) << plus.error().message;
  EXPECT_EQ(std::get<std::string>(plus->filter->at(0).value), "a+b c");
}

struct BadTarget {
  std::string target;
  std::string expected;
};
void PrintTo(const BadTarget& b, std::ostream* os) {
  *os << b.target;
}

class ODataQueryRejects : public ::testing::TestWithParam<BadTarget> {};

TEST_P(ODataQueryRejects, WithAReason) {
  auto q = parse_target(GetParam().target);
  ASSERT_FALSE(q) << GetParam().target;
  EXPECT_NE(q.error().message.find(GetParam().expected), std::string::npos) << q.error().message;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ODataQueryRejects,
    ::testing::Values(BadTarget{"/x?$skip=10", "query option '$skip' is not supported"},
                      BadTarget{"/x?filter=A eq 1", "query option 'filter' is not supported"},
                      BadTarget{"/x?$count=true", "'$count' is not supported"},
                      BadTarget{"/x?$top", "query option '$top' has no value"},
                      BadTarget{"/x?$top=-1", "$top: '-1' is not an integer"},
                      BadTarget{"/x?$top=ten", "$top: 'ten' is not an integer"},
                      BadTarget{"/x?$top=1&$top=2", "query option $top is given twice"},
                      BadTarget{"/x?$filter=A eq 1&$filter=B eq 2", "$filter is given twice"},
                      BadTarget{"/x?$filter=A ne 1", "unsupported filter: operator 'ne'"},
                      BadTarget{"/x?$filter=", "unsupported filter: the filter is empty"},
                      BadTarget{"/x?$select=A,,B", "$select: '' is not a property name"},
                      BadTarget{"/x?$select=A;B", "$select: 'A;B' is not a property name"},
                      BadTarget{"/x?$orderby=A,B", "$orderby: only one property is supported"},
                      BadTarget{"/x?$orderby=A sideways", "$orderby: expected asc or desc after A"},
                      BadTarget{"/x?$filter=A%zz", "bad URL encoding"},
                      BadTarget{"/x%2?a=b", "bad URL encoding"}),
    [](const auto& param_info) { return "Case" + std::to_string(param_info.index); });

TEST(ODataQuery, FilterErrorsAreMarked) {
  auto q = parse_target("/x?$filter=A or B");
  ASSERT_FALSE(q);
  EXPECT_EQ(q.error().message.rfind(kUnsupportedFilter, 0), 0U) << q.error().message;
}

}  // namespace
}  // namespace uda::fake
