#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sources/http/token_auth.hpp"

namespace uda::http {
namespace {

TEST(TokenVerifier, RoundTripNewHashVerify) {
  const std::string token = new_token();
  auto hash = parse_token_hash(to_string(hash_token(token)));  // as it goes through config
  ASSERT_TRUE(hash.ok());
  const TokenVerifier v({ApiToken{"osd-ts", *hash, {"osd"}}});
  const ApiToken* match = v.verify(token);
  ASSERT_NE(match, nullptr);
  EXPECT_EQ(match->name, "osd-ts");
  EXPECT_EQ(match->kinds, std::vector<std::string>{"osd"});
}

TEST(TokenVerifier, WrongTokensAreRefused) {
  const std::string token = new_token();
  const TokenVerifier v({ApiToken{"a", hash_token(token), {}}});
  EXPECT_EQ(v.verify(new_token()), nullptr);
  EXPECT_EQ(v.verify(token.substr(0, token.size() - 1)), nullptr);
  EXPECT_EQ(v.verify(token + "x"), nullptr);
  EXPECT_EQ(v.verify(""), nullptr);
  std::string flipped = token;
  flipped.back() = flipped.back() == 'A' ? 'B' : 'A';
  EXPECT_EQ(v.verify(flipped), nullptr);
}

TEST(TokenVerifier, TamperedHashDoesNotVerify) {
  const std::string token = new_token();
  const TokenHash good = hash_token(token);
  TokenHash bad_digest = good;
  bad_digest.digest[31] ^= 1;
  TokenHash bad_salt = good;
  bad_salt.salt[0] ^= 0x80;
  const TokenVerifier v({ApiToken{"digest", bad_digest, {}}, ApiToken{"salt", bad_salt, {}}});
  EXPECT_EQ(v.verify(token), nullptr);

  // The same via the config text: flip one hex digit of the digest.
  std::string text = to_string(good);
  text.back() = text.back() == '0' ? '1' : '0';
  auto parsed = parse_token_hash(text);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(TokenVerifier({ApiToken{"t", *parsed, {}}}).verify(token), nullptr);
}

TEST(TokenVerifier, SamePlaintextWithDifferentSaltsBothVerify) {
  const std::string token = new_token();
  const TokenVerifier first({ApiToken{"one", hash_token(token), {}}});
  const TokenVerifier second({ApiToken{"two", hash_token(token), {}}});
  ASSERT_NE(first.verify(token), nullptr);
  ASSERT_NE(second.verify(token), nullptr);
  EXPECT_EQ(first.verify(token)->name, "one");
  EXPECT_EQ(second.verify(token)->name, "two");

  // Both in one verifier: the first configured match is returned.
  const TokenVerifier both(
      {ApiToken{"one", hash_token(token), {}}, ApiToken{"two", hash_token(token), {}}});
  ASSERT_NE(both.verify(token), nullptr);
  EXPECT_EQ(both.verify(token)->name, "one");
}

TEST(TokenVerifier, PicksTheRightTokenAmongMany) {
  std::vector<std::string> plain;
  std::vector<ApiToken> tokens;
  for (int i = 0; i < 20; ++i) {
    plain.push_back(new_token());
    tokens.push_back(ApiToken{"t" + std::to_string(i), hash_token(plain.back()), {}});
  }
  const TokenVerifier v(std::move(tokens));
  for (int i = 0; i < 20; ++i) {
    const ApiToken* m = v.verify(plain[static_cast<std::size_t>(i)]);
    ASSERT_NE(m, nullptr);
    EXPECT_EQ(m->name, "t" + std::to_string(i));
  }
}

TEST(TokenVerifier, OverlongTokensAreRefusedEvenIfConfigured) {
  // A (silly) configured token longer than the limit can never be presented.
  const std::string huge = "uda_" + std::string(kMaxPresentedTokenBytes, 'x');
  const std::string at_limit = std::string(kMaxPresentedTokenBytes, 'y');
  const TokenVerifier v(
      {ApiToken{"huge", hash_token(huge), {}}, ApiToken{"limit", hash_token(at_limit), {}}});
  EXPECT_EQ(v.verify(huge), nullptr);
  EXPECT_EQ(v.verify(std::string(1 << 20, 'x')), nullptr);
  ASSERT_NE(v.verify(at_limit), nullptr);
  EXPECT_EQ(v.verify(at_limit)->name, "limit");
}

TEST(TokenVerifier, NoTokensConfigured) {
  const TokenVerifier v({});
  EXPECT_TRUE(v.empty());
  EXPECT_EQ(v.verify(new_token()), nullptr);
}

}  // namespace
}  // namespace uda::http
