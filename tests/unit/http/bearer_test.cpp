#include <gtest/gtest.h>

#include <string>

#include "sources/http/token_auth.hpp"

namespace uda::http {
namespace {

std::string bearer(std::string_view header) {
  auto r = bearer_from_header(header);
  return r.ok() ? std::string(*r) : "ERROR: " + r.error().message;
}

TEST(Bearer, ParsesTheToken) {
  EXPECT_EQ(bearer("Bearer uda_abc-DEF_123"), "uda_abc-DEF_123");
  EXPECT_EQ(bearer("bearer uda_x"), "uda_x");
  EXPECT_EQ(bearer("BEARER uda_x"), "uda_x");
  EXPECT_EQ(bearer("BeArEr uda_x"), "uda_x");
}

TEST(Bearer, ToleratesExtraSpaces) {
  EXPECT_EQ(bearer("Bearer    uda_x"), "uda_x");
  EXPECT_EQ(bearer("  Bearer uda_x  "), "uda_x");
  EXPECT_EQ(bearer("Bearer\tuda_x"), "uda_x");
}

TEST(Bearer, AcceptsToken68Characters) {
  EXPECT_EQ(bearer("Bearer a.b~c+d/e=="), "a.b~c+d/e==");
}

TEST(Bearer, RefusesOtherSchemes) {
  EXPECT_FALSE(bearer_from_header("Basic dXNlcjpwYXNz").ok());
  EXPECT_FALSE(bearer_from_header("Token uda_x").ok());
  EXPECT_FALSE(bearer_from_header("Bearer_uda_x").ok());
  EXPECT_FALSE(bearer_from_header("Bearerx uda_x").ok());
  EXPECT_FALSE(bearer_from_header("uda_x").ok());
}

TEST(Bearer, RefusesMissingOrMalformedTokens) {
  EXPECT_FALSE(bearer_from_header("").ok());
  EXPECT_FALSE(bearer_from_header("   ").ok());
  EXPECT_FALSE(bearer_from_header("Bearer").ok());
  EXPECT_FALSE(bearer_from_header("Bearer   ").ok());
  EXPECT_FALSE(bearer_from_header("Bearer two words").ok());
  EXPECT_FALSE(bearer_from_header("Bearer uda_x,other").ok());
  EXPECT_FALSE(bearer_from_header("Bearer \"uda_x\"").ok());
  EXPECT_FALSE(bearer_from_header("Bearer =abc").ok());
  EXPECT_FALSE(bearer_from_header("Bearer ab=c").ok());
  EXPECT_FALSE(bearer_from_header(std::string_view("Bearer uda\0x", 12)).ok());
}

TEST(Bearer, ErrorsDoNotEchoTheHeader) {
  for (std::string_view header : {"Basic c2VjcmV0c2VjcmV0", "Bearer secret secretsecret",
                                  "Bearer secretsecret\"", "secretsecret"}) {
    auto r = bearer_from_header(header);
    ASSERT_FALSE(r.ok()) << header;
    EXPECT_EQ(r.error().message.find("secret"), std::string::npos) << r.error().message;
    EXPECT_EQ(r.error().message.find("c2VjcmV0"), std::string::npos) << r.error().message;
  }
}

TEST(Bearer, LongTokensParseButNeverVerify) {
  const std::string long_token(kMaxPresentedTokenBytes + 1, 'a');
  // bearer_from_header returns a view into its argument: keep the header alive.
  const std::string header = "Bearer " + long_token;
  auto parsed = bearer_from_header(header);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->size(), long_token.size());
  const TokenVerifier v({ApiToken{"t", hash_token(long_token), {}}});
  EXPECT_EQ(v.verify(*parsed), nullptr);
}

}  // namespace
}  // namespace uda::http
