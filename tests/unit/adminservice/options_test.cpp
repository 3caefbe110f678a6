#include "providers/adminservice/options.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "temp_dir.hpp"

namespace uda::adminservice {
namespace {

Expected<Options> parse(const std::string& text) {
  auto root = yaml::load_text(text, "c.yaml");
  EXPECT_TRUE(root) << root.error().message;
  return parse_options(yaml::Doc{"c.yaml"}, (*root)["adminservice"], "/etc/uda");
}

std::string error_of(const std::string& text) {
  auto o = parse(text);
  EXPECT_FALSE(o) << text;
  return o ? "" : o.error().message;
}

#define EXPECT_HAS(s, part) EXPECT_NE((s).find(part), std::string::npos) << (s)

TEST(AdminServiceOptions, Defaults) {
  auto o = parse("adminservice:\n  url: https://sccm01.contoso.com/\n");
  ASSERT_TRUE(o) << o.error().message;
  EXPECT_EQ(o->url, "https://sccm01.contoso.com");
  EXPECT_EQ(o->auth, Auth::Negotiate);
  EXPECT_TRUE(o->verify_tls);
  EXPECT_EQ(o->timeout, Millis(30'000));
  EXPECT_EQ(o->workers, 8);
}

TEST(AdminServiceOptions, EveryAuth) {
  auto ntlm = parse(
      "adminservice:\n  url: https://p:8443\n  auth: ntlm\n  username: 'CONTOSO\\svc'\n"
      "  password_file: secrets/pw\n  ca_file: /ca.pem\n  timeout: 10s\n  workers: 2\n");
  ASSERT_TRUE(ntlm) << ntlm.error().message;
  EXPECT_EQ(ntlm->auth, Auth::Ntlm);
  EXPECT_EQ(ntlm->password_file, "/etc/uda/secrets/pw");
  EXPECT_EQ(ntlm->ca_file, "/ca.pem");
  auto bearer = parse(
      "adminservice:\n  url: https://cmg.contoso.com\n  auth: bearer\n"
      "  token_file: t\n");
  ASSERT_TRUE(bearer) << bearer.error().message;
  EXPECT_EQ(bearer->token_file, "/etc/uda/t");
}

TEST(AdminServiceOptions, ErrorsSayWhatToFix) {
  EXPECT_HAS(error_of("adminservice:\n  auth: ntlm\n"), "provider.adminservice.url: missing");
  EXPECT_HAS(error_of("adminservice:\n  url: https://p/AdminService\n"), "with no path");
  EXPECT_HAS(error_of("adminservice:\n  url: ftp://p\n"), "must be https://");
  EXPECT_HAS(error_of("adminservice:\n  url: https://p\n  auth: kerberos\n"),
             "'kerberos' is not one of negotiate, ntlm, bearer");
  EXPECT_HAS(error_of("adminservice:\n  url: https://p\n  auth: ntlm\n"),
             "auth: ntlm needs username and password_file");
  EXPECT_HAS(error_of("adminservice:\n  url: https://p\n  auth: bearer\n"), "needs token_file");
  EXPECT_HAS(error_of("adminservice:\n  url: https://p\n  username: bob\n"),
             "neither DOMAIN\\user nor a UPN");
  EXPECT_HAS(error_of("adminservice:\n  url: https://p\n  timout: 5s\n"),
             "unknown key 'timout' (did you mean 'timeout'?)");
}

TEST(AdminServiceOptions, SecretsAreReadWithoutBeingEchoed) {
  test::TempDir dir;
  std::ofstream(dir.path() / "ok") << "  s3cret-token \n";
  std::ofstream(dir.path() / "two") << "line1\nline2\n";
  std::ofstream(dir.path() / "empty") << "\n";
  EXPECT_EQ(*read_secret(dir.path() / "ok"), "s3cret-token");
  auto two = read_secret(dir.path() / "two");
  ASSERT_FALSE(two);
  EXPECT_EQ(two.error().message.find("line1"), std::string::npos);
  EXPECT_FALSE(read_secret(dir.path() / "empty"));
  EXPECT_FALSE(read_secret(dir.path() / "missing"));
}

}  // namespace
}  // namespace uda::adminservice
