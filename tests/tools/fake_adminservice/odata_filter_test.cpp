#include "fake_adminservice/odata_filter.hpp"

#include <gtest/gtest.h>

namespace uda::fake {
namespace {

FilterCondition cond(std::string p, FilterOp op, FilterLiteral v) {
  return FilterCondition{std::move(p), op, std::move(v)};
}

TEST(ODataFilter, ParsesOneCondition) {
  auto f = parse_filter("ResourceID eq 16777222");
  ASSERT_TRUE(f) << f.error().message;
  EXPECT_EQ(*f, (Filter{cond("ResourceID", FilterOp::Eq, std::int64_t{16777222})}));
  auto g = parse_filter("ResourceID gt -5");
  ASSERT_TRUE(g) << g.error().message;
  EXPECT_EQ(*g, (Filter{cond("ResourceID", FilterOp::Gt, std::int64_t{-5})}));
}

TEST(ODataFilter, ParsesConditionsJoinedByAnd) {
  auto f = parse_filter(
      "ResourceID eq 16777222 and UniqueUserName eq 'CONTOSO\\jdoe' and "
      "IsActive eq true");
  ASSERT_TRUE(f) << f.error().message;
  EXPECT_EQ(*f, (Filter{cond("ResourceID", FilterOp::Eq, std::int64_t{16777222}),
                        cond("UniqueUserName", FilterOp::Eq, std::string("CONTOSO\\jdoe")),
                        cond("IsActive", FilterOp::Eq, true)}));
  auto spaced = parse_filter("  A  eq   false   and B gt 0  ");
  ASSERT_TRUE(spaced) << spaced.error().message;
  EXPECT_EQ(spaced->size(), 2U);
  EXPECT_EQ(spaced->at(0).value, FilterLiteral{false});
}

TEST(ODataFilter, StringsUseDoubledQuotes) {
  auto f = parse_filter("Name eq 'O''Brien'");
  ASSERT_TRUE(f) << f.error().message;
  EXPECT_EQ(std::get<std::string>(f->at(0).value), "O'Brien");
  auto only_quote = parse_filter("Name eq ''''");
  ASSERT_TRUE(only_quote) << only_quote.error().message;
  EXPECT_EQ(std::get<std::string>(only_quote->at(0).value), "'");
  auto empty = parse_filter("Name eq ''");
  ASSERT_TRUE(empty) << empty.error().message;
  EXPECT_EQ(std::get<std::string>(empty->at(0).value), "");
  auto spaces = parse_filter("Name eq 'a and b eq 1' and X eq 2");
  ASSERT_TRUE(spaces) << spaces.error().message;
  ASSERT_EQ(spaces->size(), 2U);
  EXPECT_EQ(std::get<std::string>(spaces->at(0).value), "a and b eq 1");
  auto backslash = parse_filter("U eq 'CONTOSO\\j''doe\\'");
  ASSERT_TRUE(backslash) << backslash.error().message;
  EXPECT_EQ(std::get<std::string>(backslash->at(0).value), "CONTOSO\\j'doe\\");
}

TEST(ODataFilter, FormatLiteralRoundTrips) {
  EXPECT_EQ(format_literal(std::int64_t{-7}), "-7");
  EXPECT_EQ(format_literal(true), "true");
  EXPECT_EQ(format_literal(std::string("O'Brien")), "'O''Brien'");
  const std::string text = "Name eq " + format_literal(std::string("a''b'"));
  auto f = parse_filter(text);
  ASSERT_TRUE(f) << f.error().message;
  EXPECT_EQ(std::get<std::string>(f->at(0).value), "a''b'");
  EXPECT_EQ(to_string(FilterOp::Gt), "gt");
}

struct Bad {
  std::string filter;
  std::string expected;
};
void PrintTo(const Bad& b, std::ostream* os) {
  *os << b.filter;
}

class ODataFilterRejects : public ::testing::TestWithParam<Bad> {};

TEST_P(ODataFilterRejects, WithAReason) {
  auto f = parse_filter(GetParam().filter);
  ASSERT_FALSE(f) << GetParam().filter;
  EXPECT_NE(f.error().message.find(GetParam().expected), std::string::npos) << f.error().message;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ODataFilterRejects,
    ::testing::Values(
        Bad{"", "the filter is empty"}, Bad{"   ", "the filter is empty"},
        Bad{"ResourceID", "expected a space after 'ResourceID'"},
        Bad{"ResourceID eq", "expected a space after 'eq'"},
        Bad{"ResourceID eq ", "expected a value"},
        Bad{"ResourceID ne 1", "operator 'ne' is not supported (only eq and gt)"},
        Bad{"ResourceID lt 1", "operator 'lt' is not supported"},
        Bad{"ResourceID ge 1", "operator 'ge' is not supported"},
        Bad{"ResourceID Eq 1", "operator 'Eq' is not supported"},
        Bad{"ResourceID = 1", "expected eq or gt"},
        Bad{"A eq 1 or B eq 2", "'or' is not supported (only 'and')"},
        Bad{"A eq 1 AND B eq 2", "expected 'and', got 'AND B eq 2'"},
        Bad{"not A eq 1", "operator 'A' is not supported"},
        Bad{"(A eq 1)", "expected a property name, got '(A eq 1)'"},
        Bad{"A eq 1 and (B eq 2)", "expected a property name"},
        Bad{"startswith(Name,'WKS')", "functions such as startswith(...) are not supported"},
        Bad{"Name eq \"WKS\"", "strings take single quotes"},
        Bad{"Name eq 'WKS", "unterminated string"}, Bad{"Name eq 'it''s", "unterminated string"},
        Bad{"Name eq 'a'b'", "unexpected 'b' after a string"},
        Bad{"Name eq 'a')", "unexpected ')' after a string"},
        Bad{"A eq 1 and", "expected a condition after 'and'"},
        Bad{"A eq 1 and ", "expected a condition after 'and'"},
        Bad{"A eq 1and B eq 2", "unexpected 'a' after a number"},
        Bad{"A eq 1.5", "unexpected '.' after a number (only integers are supported)"},
        Bad{"A eq 16777220L", "unexpected 'L' after a number"},
        Bad{"A eq 99999999999999999999", "the integer 99999999999999999999 is out of range"},
        Bad{"A eq -", "expected digits after '-'"}, Bad{"A eq null", "null is not supported"},
        Bad{"A eq True", "expected a value (an integer, a 'string' or true/false), got 'True'"},
        Bad{"A eq1", "operator 'eq1' is not supported"}, Bad{"1A eq 1", "expected a property name"},
        Bad{"A eq 1 B eq 2", "expected 'and', got 'B eq 2'"},
        Bad{"A eq 'x' and and B eq 1", "operator 'B' is not supported"}),
    [](const auto& param_info) { return "Case" + std::to_string(param_info.index); });

TEST(ODataFilter, ErrorsSayWhere) {
  auto f = parse_filter("A eq 1 or B eq 2");
  ASSERT_FALSE(f);
  EXPECT_NE(f.error().message.find("(at character 7 of \"A eq 1 or B eq 2\")"), std::string::npos)
      << f.error().message;
}

}  // namespace
}  // namespace uda::fake
