#include "fake_adminservice/auth.hpp"

#include <gtest/gtest.h>

namespace uda::fake {
namespace {

TEST(FakeAuth, BearerToken) {
  const Credentials c{"s3cret", std::nullopt};
  EXPECT_EQ(check_authorization(c, "Bearer s3cret"), AuthResult::Ok);
  EXPECT_EQ(check_authorization(c, "bearer s3cret"), AuthResult::Ok) << "schemes ignore case";
  EXPECT_EQ(check_authorization(c, "  Bearer   s3cret  "), AuthResult::Ok);
  EXPECT_EQ(check_authorization(c, "Bearer s3cre"), AuthResult::Invalid);
  EXPECT_EQ(check_authorization(c, "Bearer s3cret2"), AuthResult::Invalid);
  EXPECT_EQ(check_authorization(c, "Bearer S3CRET"), AuthResult::Invalid) << "tokens do not";
  EXPECT_EQ(check_authorization(c, "Bearer"), AuthResult::Invalid);
  EXPECT_EQ(check_authorization(c, "s3cret"), AuthResult::Invalid);
  EXPECT_EQ(check_authorization(c, "Negotiate YIIB"), AuthResult::Invalid);
  EXPECT_EQ(check_authorization(c, ""), AuthResult::Missing);
  EXPECT_EQ(check_authorization(c, "   "), AuthResult::Missing);
  // Basic is refused unless configured.
  EXPECT_EQ(check_authorization(c, "Basic dTpw"), AuthResult::Invalid);
}

TEST(FakeAuth, BasicWhenConfigured) {
  const Credentials c{"t", std::string("CONTOSO\\svc:pa:ss")};
  // base64("CONTOSO\svc:pa:ss")
  EXPECT_EQ(check_authorization(c, "Basic Q09OVE9TT1xzdmM6cGE6c3M="), AuthResult::Ok);
  EXPECT_EQ(check_authorization(c, "basic Q09OVE9TT1xzdmM6cGE6c3M="), AuthResult::Ok);
  EXPECT_EQ(check_authorization(c, "Basic Q09OVE9TT1xzdmM6cGE6c3Q="), AuthResult::Invalid);
  EXPECT_EQ(check_authorization(c, "Basic !!!!"), AuthResult::Invalid);
  EXPECT_EQ(check_authorization(c, "Bearer t"), AuthResult::Ok) << "the token still works";
}

TEST(FakeAuth, Base64) {
  EXPECT_EQ(base64_decode(""), std::optional<std::string>(""));
  EXPECT_EQ(base64_decode("Zg=="), std::optional<std::string>("f"));
  EXPECT_EQ(base64_decode("Zm8="), std::optional<std::string>("fo"));
  EXPECT_EQ(base64_decode("Zm9v"), std::optional<std::string>("foo"));
  EXPECT_EQ(base64_decode("dTpw"), std::optional<std::string>("u:p"));
  for (const std::string bad : {"Zg=", "Zg", "Z===", "Zg==Zg==", "Zm9v!", "Zm9=v", "=Zm9"}) {
    EXPECT_FALSE(base64_decode(bad)) << bad;
  }
}

}  // namespace
}  // namespace uda::fake
