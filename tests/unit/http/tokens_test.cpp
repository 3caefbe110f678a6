#include <gtest/gtest.h>

#include <cctype>
#include <set>
#include <string>
#include <vector>

#include "sources/http/token_auth.hpp"

namespace uda::http {
namespace {

constexpr std::string_view kHint =
    "must look like sha256:<32 hex>:<64 hex>; generate one with `uda-agent token new`";

bool is_base64url(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_';
}

TEST(Tokens, NewTokenHasThePrefixAnd43Base64UrlChars) {
  const std::string t = new_token();
  ASSERT_EQ(t.size(), 4U + 43U);
  EXPECT_TRUE(t.starts_with("uda_"));
  for (char c : t.substr(4)) EXPECT_TRUE(is_base64url(c)) << c;
  EXPECT_TRUE(bearer_from_header("Bearer " + t).ok());
}

TEST(Tokens, NewTokensDiffer) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) seen.insert(new_token());
  EXPECT_EQ(seen.size(), 100U);
}

TEST(Tokens, HashFormatRoundTrips) {
  const TokenHash h = hash_token("uda_example");
  const std::string text = to_string(h);
  ASSERT_EQ(text.size(), 6U + 1 + 32 + 1 + 64);
  EXPECT_TRUE(text.starts_with("sha256:"));
  EXPECT_EQ(text[39], ':');
  EXPECT_EQ(text.find_first_not_of("0123456789abcdef", 7), 39U);
  auto parsed = parse_token_hash(text);
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(*parsed, h);
}

TEST(Tokens, DigestIsSha256OfSaltThenToken) {
  // hashlib.sha256(bytes(16) + b"abc").hexdigest()
  const std::string digest = "277e7ff6d232b9763f4a66e8d05d210da32dac9c6dbce1026ad4cc98acb5fefe";
  auto h = parse_token_hash("sha256:00000000000000000000000000000000:" + digest);
  ASSERT_TRUE(h.ok());
  const TokenVerifier verifier({ApiToken{"t", *h, {}}});
  EXPECT_NE(verifier.verify("abc"), nullptr);
  EXPECT_EQ(verifier.verify("abd"), nullptr);

  // Upper-case hex reads the same; output is lower case.
  std::string upper = digest;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  auto u = parse_token_hash("sha256:00000000000000000000000000000000:" + upper);
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(*u, *h);
  EXPECT_EQ(to_string(*u), "sha256:00000000000000000000000000000000:" + digest);
}

TEST(Tokens, SamePlaintextGetsDifferentSalts) {
  const TokenHash a = hash_token("uda_same");
  const TokenHash b = hash_token("uda_same");
  EXPECT_NE(a.salt, b.salt);
  EXPECT_NE(a.digest, b.digest);
}

TEST(Tokens, MalformedHashesAreRejectedClearly) {
  const std::string salt(32, 'a');
  const std::string digest(64, 'b');
  const std::vector<std::string> bad = {
      "",
      "sha256",
      "sha256:" + salt,
      "sha256:" + salt + ":",
      "sha256:" + salt + ":" + digest + ":extra",
      "md5:" + salt + ":" + digest,
      "SHA256:" + salt + ":" + digest,
      "sha256:" + salt.substr(1) + ":" + digest,
      "sha256:" + salt + "a:" + digest,
      "sha256:" + salt + ":" + digest.substr(1),
      "sha256:" + salt + ":" + digest + "b",
      "sha256:" + std::string(31, 'a') + "g:" + digest,
      "sha256:" + salt + ":" + std::string(63, 'b') + "z",
      " sha256:" + salt + ":" + digest,
      "sha256:" + salt + ":" + digest + "\n",
  };
  for (const auto& text : bad) {
    auto r = parse_token_hash(text);
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_NE(r.error().message.find(kHint), std::string::npos) << r.error().message;
  }
  EXPECT_TRUE(parse_token_hash("sha256:" + salt + ":" + digest).ok());
}

TEST(Tokens, APlaintextTokenInPlaceOfTheHashIsNotEchoed) {
  const std::string token = new_token();
  auto r = parse_token_hash(token);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message.find(token.substr(4)), std::string::npos);
  EXPECT_NE(r.error().message.find("not its hash"), std::string::npos);
}

TEST(Tokens, ErrorsDoNotEchoTheInput) {
  const std::string secretish = "sha256:" + std::string(32, 'a') + ":supersecretvalue";
  auto r = parse_token_hash(secretish);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message.find("supersecretvalue"), std::string::npos);
}

TEST(Tokens, ApiTokenKinds) {
  ApiToken all{"all", {}, {}};
  ApiToken osd{"osd-ts", {}, {"osd", "enrollment"}};
  EXPECT_TRUE(all.allows_kind("usage"));
  EXPECT_TRUE(osd.allows_kind("osd"));
  EXPECT_TRUE(osd.allows_kind("enrollment"));
  EXPECT_FALSE(osd.allows_kind("usage"));
  EXPECT_FALSE(osd.allows_kind(""));
}

}  // namespace
}  // namespace uda::http
