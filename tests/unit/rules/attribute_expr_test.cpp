#include "rules/attribute_expr.hpp"

#include <gtest/gtest.h>

namespace uda {
namespace {

AttributeExpr parse(const std::string& s) {
  auto e = parse_attribute_expr(s);
  EXPECT_TRUE(e) << s << ": " << (e ? "" : e.error().message);
  return e ? *e : AttributeExpr{};
}

std::string error_of(const std::string& s) {
  auto e = parse_attribute_expr(s);
  EXPECT_FALSE(e) << s << " should not parse";
  return e ? "" : e.error().message;
}

TEST(AttributeExpr, ParsesNumbersBooleansStringsAndPresence) {
  auto a = parse("usage.minutes >= 2880");
  EXPECT_EQ(a.key, "usage.minutes");
  EXPECT_EQ(a.op, CompareOp::Ge);
  EXPECT_EQ(std::get<double>(a.value), 2880.0);

  auto b = parse("osd.success == true");
  EXPECT_EQ(std::get<bool>(b.value), true);

  auto c = parse("ts.name == 'Win11 OSD'");
  EXPECT_EQ(std::get<std::string>(c.value), "Win11 OSD");

  auto d = parse("ts.name == \"2880\"");  // quoted: a string, not a number
  EXPECT_EQ(std::get<std::string>(d.value), "2880");

  auto e = parse("ts.id exists");
  EXPECT_EQ(e.op, CompareOp::Exists);
  auto f = parse("  ts.id   missing ");
  EXPECT_EQ(f.op, CompareOp::Missing);
  auto g = parse("ts.name matches 'Win11*'");
  EXPECT_EQ(g.op, CompareOp::Matches);
  auto h = parse("usage.days<30");
  EXPECT_EQ(h.op, CompareOp::Lt);
  EXPECT_EQ(std::get<double>(h.value), 30.0);
  auto i = parse("site:code != PS1");
  EXPECT_EQ(std::get<std::string>(i.value), "PS1");
}

TEST(AttributeExpr, RejectsMalformedExpressionsWithAHint) {
  EXPECT_NE(error_of(">= 5").find("attribute name first"), std::string::npos);
  EXPECT_NE(error_of("usage.minutes").find("no comparison"), std::string::npos);
  EXPECT_NE(error_of("usage.minutes ~ 5").find("no comparison"), std::string::npos);
  EXPECT_NE(error_of("usage.minutes >=").find("a value must follow"), std::string::npos);
  EXPECT_NE(error_of("usage.minutes >= lots").find("not a number"), std::string::npos);
  EXPECT_NE(error_of("ts.name matches 5").find("wildcard"), std::string::npos);
  EXPECT_NE(error_of("ts.id exists now").find("nothing may follow"), std::string::npos);
}

TEST(AttributeExpr, ComparesNumbersAsNumbers) {
  Attributes attrs{{"usage.minutes", 3120.0}, {"usage.days", 12.0}};
  std::string why;
  EXPECT_TRUE(evaluate(parse("usage.minutes >= 2880"), attrs, &why));
  EXPECT_EQ(why, "usage.minutes 3120 >= 2880");
  EXPECT_FALSE(evaluate(parse("usage.minutes < 2880"), attrs, &why));
  EXPECT_EQ(why, "usage.minutes 3120 is not < 2880");
  EXPECT_TRUE(evaluate(parse("usage.days <= 30"), attrs, nullptr));
  EXPECT_TRUE(evaluate(parse("usage.days == 12"), attrs, nullptr));
  EXPECT_TRUE(evaluate(parse("usage.days != 13"), attrs, nullptr));
  EXPECT_FALSE(evaluate(parse("usage.days > 12"), attrs, nullptr));
}

TEST(AttributeExpr, QuotedNumbersInTriggersStillCompareAsNumbers) {
  Attributes attrs{{"usage.minutes", std::string("3120")}, {"usage.days", std::string("soon")}};
  EXPECT_TRUE(evaluate(parse("usage.minutes >= 2880"), attrs, nullptr));
  std::string why;
  EXPECT_FALSE(evaluate(parse("usage.days <= 30"), attrs, &why));
  EXPECT_NE(why.find("cannot be compared"), std::string::npos) << why;
}

TEST(AttributeExpr, MissingAttributeFailsAndSaysSo) {
  std::string why;
  EXPECT_FALSE(evaluate(parse("usage.minutes >= 2880"), {}, &why));
  EXPECT_NE(why.find("usage.minutes is missing"), std::string::npos) << why;
  EXPECT_TRUE(evaluate(parse("usage.minutes missing"), {}, &why));
  EXPECT_FALSE(evaluate(parse("usage.minutes exists"), {}, &why));
}

TEST(AttributeExpr, StringsCompareWithoutCaseAndMatchWildcards) {
  Attributes attrs{{"ts.name", std::string("Win11 OSD Production")}, {"osd.success", true}};
  EXPECT_TRUE(evaluate(parse("ts.name == 'win11 osd production'"), attrs, nullptr));
  EXPECT_FALSE(evaluate(parse("ts.name != 'WIN11 OSD PRODUCTION'"), attrs, nullptr));
  EXPECT_TRUE(evaluate(parse("ts.name matches 'Win11*'"), attrs, nullptr));
  EXPECT_FALSE(evaluate(parse("ts.name matches 'Win10*'"), attrs, nullptr));
  EXPECT_TRUE(evaluate(parse("osd.success == true"), attrs, nullptr));
  EXPECT_FALSE(evaluate(parse("osd.success != true"), attrs, nullptr));
  std::string why;
  EXPECT_FALSE(evaluate(parse("osd.success == 1"), attrs, &why));
  EXPECT_NE(why.find("cannot be compared"), std::string::npos) << why;
}

}  // namespace
}  // namespace uda
