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

struct BadFilter {
  std::string filter;
  std::string expected;
};
void PrintTo(const BadFilter& b, std::ostream* os) {
  *os << b.filter;
}

class ODataFilterRejects : public ::testing::TestWithParam<BadFilter> {};

TEST_P(ODataFilterRejects, WithAReason) {
  auto f = parse_filter(GetParam().filter);
  ASSERT_FALSE(f) << GetParam().filter;
  EXPECT_NE(f.error().message.find(GetParam().expected), std::string::npos) << f.error().message;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ODataFilterRejects,
    ::testing::Values(
        BadFilter{"", "the filter is empty"}, BadFilter{"   ", "the filter is empty"},
        BadFilter{"ResourceID", "expected a space after 'ResourceID'"},
        BadFilter{"ResourceID eq", "expected a space after 'eq'"},
        BadFilter{"ResourceID eq ", "expected a value"},
        BadFilter{"ResourceID ne 1", "operator 'ne' is not supported (only eq and gt)"},
        BadFilter{"ResourceID lt 1", "operator 'lt' is not supported"},
        BadFilter{"ResourceID ge 1", "operator 'ge' is not supported"},
        BadFilter{"ResourceID Eq 1", "operator 'Eq' is not supported"},
        BadFilter{"ResourceID = 1", "expected eq or gt"},
        BadFilter{"A eq 1 or B eq 2", "'or' is not supported (only 'and')"},
        BadFilter{"A eq 1 AND B eq 2", "expected 'and', got 'AND B eq 2'"},
        BadFilter{"not A eq 1", "operator 'A' is not supported"},
        BadFilter{"(A eq 1)", "expected a property name, got '(A eq 1)'"},
        BadFilter{"A eq 1 and (B eq 2)", "expected a property name"},
        BadFilter{"startswith(Name,'WKS')", "functions such as startswith(...) are not supported"},
        BadFilter{"Name eq \"WKS\"", "strings take single quotes"},
        BadFilter{"Name eq 'WKS", "unterminated string"},
        BadFilter{"Name eq 'it''s", "unterminated string"},
        BadFilter{"Name eq 'a'b'", "unexpected 'b' after a string"},
        BadFilter{"Name eq 'a')", "unexpected ')' after a string"},
        BadFilter{"A eq 1 and", "expected a condition after 'and'"},
        BadFilter{"A eq 1 and ", "expected a condition after 'and'"},
        BadFilter{"A eq 1and B eq 2", "unexpected 'a' after a number"},
        BadFilter{"A eq 1.5", "unexpected '.' after a number (only integers are supported)"},
        BadFilter{"A eq 16777220L", "unexpected 'L' after a number"},
        BadFilter{"A eq 99999999999999999999", "the integer 99999999999999999999 is out of range"},
        BadFilter{"A eq -", "expected digits after '-'"},
        BadFilter{"A eq null", "null is not supported"},
        BadFilter{"A eq True",
                  "expected a value (an integer, a 'string' or true/false), got 'True'"},
        BadFilter{"A eq1", "operator 'eq1' is not supported"},
        BadFilter{"1A eq 1", "expected a property name"},
        BadFilter{"A eq 1 B eq 2", "expected 'and', got 'B eq 2'"},
        BadFilter{"A eq 'x' and and B eq 1", "operator 'B' is not supported"}),
    [](const auto& param_info) { return "Case" + std::to_string(param_info.index); });

TEST(ODataFilter, ErrorsSayWhere) {
  auto f = parse_filter("A eq 1 or B eq 2");
  ASSERT_FALSE(f);
  EXPECT_NE(f.error().message.find("(at character 7 of \"A eq 1 or B eq 2\")"), std::string::npos)
      << f.error().message;
}

}  // namespace
}  // namespace uda::fake
