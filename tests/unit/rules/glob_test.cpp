#include "rules/glob.hpp"

#include <gtest/gtest.h>

namespace uda {
namespace {

TEST(Glob, LiteralsAndCase) {
  EXPECT_TRUE(Glob("WKS-0001").matches("wks-0001"));
  EXPECT_TRUE(Glob("wks-0001").matches("WKS-0001"));
  EXPECT_FALSE(Glob("WKS-0001").matches("WKS-00011"));
  EXPECT_FALSE(Glob("WKS-0001").matches("WKS-000"));
  EXPECT_TRUE(Glob("").matches(""));
  EXPECT_FALSE(Glob("").matches("x"));
}

TEST(Glob, StarMatchesAnyRunIncludingNone) {
  EXPECT_TRUE(Glob("LAB-*").matches("LAB-"));
  EXPECT_TRUE(Glob("LAB-*").matches("lab-a01"));
  EXPECT_FALSE(Glob("LAB-*").matches("XLAB-A01"));
  EXPECT_TRUE(Glob("*").matches(""));
  EXPECT_TRUE(Glob("*-0*1").matches("WKS-0001"));
  EXPECT_TRUE(Glob("a*b*c").matches("aXXbYYbZZc"));
  EXPECT_FALSE(Glob("a*b*c").matches("aXXbYYbZZ"));
  EXPECT_TRUE(Glob("**x**").matches("abxcd"));
}

TEST(Glob, QuestionMarkIsExactlyOneCharacter) {
  EXPECT_TRUE(Glob("WKS-000?").matches("WKS-0007"));
  EXPECT_FALSE(Glob("WKS-000?").matches("WKS-000"));
  EXPECT_FALSE(Glob("WKS-000?").matches("WKS-00077"));
}

TEST(Glob, BackslashIsLiteralForDomainAccounts) {
  EXPECT_TRUE(Glob("*\\svc_*").matches("CONTOSO\\svc_backup"));
  EXPECT_FALSE(Glob("*\\svc_*").matches("CONTOSO\\jdoe_svc_x"));
  EXPECT_TRUE(Glob("CONTOSO\\*").matches("contoso\\jdoe"));
  EXPECT_FALSE(Glob("CONTOSO\\*").matches("FABRIKAM\\jdoe"));
}

TEST(Glob, PathologicalPatternStaysFast) {
  // Exponential for naive recursive matchers; linear-ish here. No timing
  // assertion: the test simply has to finish.
  const std::string text(5000, 'a');
  EXPECT_FALSE(Glob("*a*a*a*a*a*a*a*a*a*a*b").matches(text));
  EXPECT_TRUE(Glob("*a*a*a*a*a*a*a*a*a*a*").matches(text));
}

}  // namespace
}  // namespace uda
