#include "core/user_account.hpp"

#include <gtest/gtest.h>

namespace uda {
namespace {

TEST(UserAccount, ParsesDomainUser) {
  auto u = parse_domain_user("CONTOSO\\jdoe");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->domain, "CONTOSO");
  EXPECT_EQ(u->user, "jdoe");
  EXPECT_EQ(u->str(), "CONTOSO\\jdoe");
}

TEST(UserAccount, RejectsMalformedDomainUser) {
  EXPECT_FALSE(parse_domain_user("jdoe"));
  EXPECT_FALSE(parse_domain_user("\\jdoe"));
  EXPECT_FALSE(parse_domain_user("CONTOSO\\"));
  EXPECT_FALSE(parse_domain_user("A\\B\\C"));
  EXPECT_FALSE(parse_domain_user("CONTOSO\\j*doe"));
  EXPECT_FALSE(parse_domain_user("CONTOSO\\jdoe@x"));
  EXPECT_FALSE(parse_domain_user("CON TOSO\\jdoe"));
  EXPECT_FALSE(parse_domain_user(std::string("CONTOSO\\j\ndoe")));
  EXPECT_FALSE(parse_domain_user("CONTOSO\\x' OR '1'='1"));  // quote is fine, '=' is not
}

TEST(UserAccount, ParsesUpn) {
  auto u = parse_upn("john.doe@corp.contoso.com");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->user, "john.doe");
  EXPECT_EQ(u->suffix, "corp.contoso.com");
  EXPECT_FALSE(parse_upn("@contoso.com"));
  EXPECT_FALSE(parse_upn("jdoe@"));
  EXPECT_FALSE(parse_upn("a@b@c"));
  EXPECT_FALSE(parse_upn("CONTOSO\\jdoe@x.com"));
  EXPECT_FALSE(parse_upn("j doe@contoso.com"));
  EXPECT_FALSE(parse_upn("jdoe@.contoso.com"));
}

TEST(UserAccount, CaseAndTrimHelpers) {
  EXPECT_EQ(ascii_lower("CONTOSO\\JDoe"), "contoso\\jdoe");
  EXPECT_EQ(ascii_upper("contoso"), "CONTOSO");
  EXPECT_EQ(trim("  x y \t"), "x y");
  EXPECT_EQ(trim(""), "");
}

}  // namespace
}  // namespace uda
