// The pure parts of the API and its client: error field extraction, JSON
// depth, URL parsing.
#include <gtest/gtest.h>

#include "sources/http/api.hpp"
#include "sources/http/client.hpp"
#include "sources/http/digest.hpp"

namespace uda::http {
namespace {

TEST(ApiHelpers, FieldOfAValidationMessage) {
  EXPECT_EQ(field_of("machine.resource_id: must be 1..4294967295"), "machine.resource_id");
  EXPECT_EQ(field_of("attributes.usage.minutes: must be a finite number"),
            "attributes.usage.minutes");
  EXPECT_EQ(field_of("no field here"), "");
  EXPECT_EQ(field_of("bad field!: x"), "");
  EXPECT_EQ(field_of(": x"), "");
}

TEST(ApiHelpers, JsonDepthSkipsStringsAndStopsEarly) {
  EXPECT_EQ(json_depth(R"({"a":[1,{"b":2}]})", 32), 3U);
  EXPECT_EQ(json_depth(R"({"a":"[[[[[[\"]]]]"})", 32), 1U);
  EXPECT_EQ(json_depth("42", 32), 0U);
  const std::string deep(1'000'000, '[');
  EXPECT_EQ(json_depth(deep, 32), 33U);  // stops at the first level past the limit
}

TEST(ApiHelpers, ErrorResponsesAreJson) {
  auto r = error_response(bhttp::status::bad_request, "invalid_json", "say \"why\"");
  EXPECT_EQ(r.result(), bhttp::status::bad_request);
  auto j = nlohmann::json::parse(r.body());
  EXPECT_EQ(j["error"]["code"], "invalid_json");
  EXPECT_EQ(j["error"]["message"], "say \"why\"");
  EXPECT_EQ(r[bhttp::field::content_type], "application/json");
}

TEST(ClientUrl, Forms) {
  auto a = parse_url("http://127.0.0.1:8700");
  ASSERT_TRUE(a);
  EXPECT_FALSE(a->tls);
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, 8700);
  auto b = parse_url("https://sccm01.contoso.com/");
  ASSERT_TRUE(b);
  EXPECT_TRUE(b->tls);
  EXPECT_EQ(b->port, 443);
  auto c = parse_url("https://[::1]:9443");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->host, "::1");
  EXPECT_EQ(c->port, 9443);
  for (const char* bad : {"ftp://x", "http://", "http://h:0", "http://h:99999", "http://h/path",
                          "127.0.0.1:8700", "https://[::1"}) {
    EXPECT_FALSE(parse_url(bad)) << bad;
  }
}

TEST(Digest, Sha256KnownAnswer) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

}  // namespace
}  // namespace uda::http
