#include "sources/http/http_options.hpp"

#include <gtest/gtest.h>

#include "sources/http/tls_support.hpp"
#include "sources/http/token_auth.hpp"

namespace uda::http {
namespace {

Expected<HttpOptions> parse(const std::string& text) {
  auto root = yaml::load_text(text, "c.yaml");
  EXPECT_TRUE(root) << root.error().message;
  return parse_http_options(yaml::Doc{"c.yaml"}, (*root)["http"], "/etc/uda");
}

std::string error_of(const std::string& text) {
  auto o = parse(text);
  EXPECT_FALSE(o) << text;
  return o ? "" : o.error().message;
}

#define EXPECT_HAS(s, part) EXPECT_NE((s).find(part), std::string::npos) << (s)

TEST(HttpOptions, DefaultsAndEverySetting) {
  const std::string hash = to_string(hash_token("uda_secret"));
  // A build without TLS (Windows, for now) refuses http.tls: see TlsNeedsATlsBuild.
  const std::string tls = kTlsAvailable ? "  tls: {cert: tls/c.pem, key: /k.pem}\n" : "";
  auto o = parse("http:\n  listen: 0.0.0.0:9443\n" + tls +
                 "  tokens:\n    - {name: osd-ts, hash: '" + hash +
                 "', kinds: [osd, manual]}\n"
                 "  max_batch: 50\n  max_body: 64KiB\n  max_header: 4KiB\n  read_timeout: 5s\n"
                 "  idle_timeout: 1m\n  max_connections: 10\n"
                 "  rate_limit: {per_second: 20, burst: 40}\n");
  ASSERT_TRUE(o) << o.error().message;
  EXPECT_TRUE(o->enabled);
  EXPECT_EQ(o->address, "0.0.0.0");
  EXPECT_EQ(o->port, 9443);
  if (kTlsAvailable) {
    EXPECT_EQ(o->tls_cert, "/etc/uda/tls/c.pem");
    EXPECT_EQ(o->tls_key, "/k.pem");
  }
  ASSERT_EQ(o->tokens.size(), 1U);
  EXPECT_EQ(o->tokens[0].name, "osd-ts");
  EXPECT_EQ(o->tokens[0].kinds, (std::vector<std::string>{"osd", "manual"}));
  EXPECT_EQ(o->max_batch, 50U);
  EXPECT_EQ(o->limits.max_body, 64U * 1024);
  EXPECT_EQ(o->limits.max_header, 4U * 1024);
  EXPECT_EQ(o->limits.read_timeout, Millis(5000));
  EXPECT_EQ(o->limits.idle_timeout, Millis(60'000));
  EXPECT_EQ(o->limits.max_connections, 10U);
  EXPECT_EQ(o->rate_per_second, 20);
  EXPECT_EQ(o->rate_burst, 40);
  EXPECT_EQ(o->local_url(), kTlsAvailable ? "https://127.0.0.1:9443" : "http://127.0.0.1:9443");
}

TEST(HttpOptions, TlsNeedsATlsBuild) {
  const std::string text = "http:\n  allow_anonymous: true\n  tls: {cert: /c.pem, key: /k.pem}\n";
  if (kTlsAvailable) {
    auto o = parse(text);
    ASSERT_TRUE(o) << o.error().message;
    EXPECT_TRUE(o->tls());
  } else {
    EXPECT_HAS(error_of(text), "http.tls: TLS (https) is not in the Windows build yet");
  }
}

TEST(HttpOptions, ErrorsSayWhereAndHowToFix) {
  EXPECT_HAS(error_of("http:\n  listen: localhost\n  allow_anonymous: true\n"),
             "c.yaml:2:11: http.listen: 'localhost' is not host:port");
  EXPECT_HAS(error_of("http:\n  listen: myhost:80\n  allow_anonymous: true\n"),
             "is not an IP address");
  EXPECT_HAS(error_of("http:\n  listen: 0.0.0.0:8700\n  allow_anonymous: true\n"),
             "c.yaml:3:20: http.allow_anonymous: only allowed when listening on a loopback");
  EXPECT_HAS(error_of("http:\n  listen: 127.0.0.1:8700\n"), "no client could use the API");
  EXPECT_HAS(error_of("http:\n  allow_anonymous: true\n  tokens: [{name: a, hash: 'x'}]\n"),
             "http.tokens[0].hash");
  EXPECT_HAS(error_of("http:\n  tokens: [{name: a, hash: 'uda_plaintext'}]\n"),
             "http.tokens[0].hash");
  const std::string hash = to_string(hash_token("t"));
  EXPECT_HAS(error_of("http:\n  tokens: [{name: a, hash: '" + hash + "'}, {name: A, hash: '" +
                      hash + "'}]\n"),
             "listed twice");
  EXPECT_HAS(error_of("http:\n  tokens: [{name: a, hash: '" + hash + "', kinds: [reboot]}]\n"),
             "'reboot' is not a trigger kind");
  EXPECT_HAS(error_of("http:\n  allow_anonymous: true\n  tls: {cert: a.pem}\n"), "give both cert");
  EXPECT_HAS(error_of("http:\n  allow_anonymous: true\n  max_conections: 5\n"),
             "unknown key 'max_conections' (did you mean 'max_connections'?)");
  EXPECT_HAS(error_of("http:\n  allow_anonymous: true\n  max_body: 1TiB\n"), "http.max_body");
}

TEST(HttpOptions, ListenForms) {
  EXPECT_EQ(parse_listen("127.0.0.1:8700")->first, "127.0.0.1");
  EXPECT_EQ(parse_listen("[::1]:8700")->first, "::1");
  EXPECT_EQ(parse_listen(":8700")->first, "0.0.0.0");
  EXPECT_EQ(parse_listen(":8700")->second, 8700);
  EXPECT_FALSE(parse_listen("127.0.0.1:70000"));
  EXPECT_FALSE(parse_listen("127.0.0.1"));
  EXPECT_TRUE(is_loopback("127.0.0.1"));
  EXPECT_TRUE(is_loopback("::1"));
  EXPECT_FALSE(is_loopback("0.0.0.0"));
  EXPECT_FALSE(is_loopback("10.1.2.3"));
}

}  // namespace
}  // namespace uda::http
