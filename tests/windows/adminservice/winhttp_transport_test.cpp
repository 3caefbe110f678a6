// WinHttpTransport (Windows): real exchanges with the fake AdminService, run
// under Wine here or natively on Windows. The fake's address comes from the
// environment (fake_site.hpp); the tests that need no site run always.
#include "providers/adminservice/winhttp_transport.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>

#include "fake_site.hpp"

namespace uda::adminservice {
namespace {

namespace fs = std::filesystem;

class TokenDir {
 public:
  TokenDir() {
    static std::atomic<int> n{0};
    path_ = fs::temp_directory_path() /
            ("uda-winhttp-" + std::to_string(std::random_device{}()) + "-" + std::to_string(n++));
    fs::create_directories(path_);
  }
  ~TokenDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TokenDir(const TokenDir&) = delete;
  TokenDir& operator=(const TokenDir&) = delete;
  fs::path write(const std::string& name, const std::string& text) const {
    const auto p = path_ / name;
    std::ofstream(p, std::ios::binary | std::ios::trunc) << text << "\n";
    return p;
  }

 private:
  fs::path path_;
};

Options bearer(const std::string& url, const fs::path& token_file) {
  Options o;
  o.url = url;
  o.auth = Auth::Bearer;
  o.token_file = token_file;
  o.timeout = Millis(10'000);
  return o;
}

std::unique_ptr<WinHttpTransport> make(const Options& o) {
  auto t = WinHttpTransport::create(o);
  EXPECT_TRUE(t.ok()) << (t ? "" : t.error().message);
  return t ? std::move(*t) : nullptr;
}

HttpRequest get(const std::string& url, const std::string& path) {
  return HttpRequest{"GET", url + "/AdminService/wmi/" + path, ""};
}

TEST(WinHttpTransport, CaFileIsRefusedWithAClearMessage) {
  Options o;
  o.url = "https://sccm01.contoso.com";
  o.ca_file = "C:\\ProgramData\\UdaAgent\\ca.pem";
  auto t = WinHttpTransport::create(o);
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.error().message.find("ca_file"), std::string::npos) << t.error().message;
  EXPECT_NE(t.error().message.find("certutil -addstore Root"), std::string::npos);
}

TEST(WinHttpTransport, AMissingTokenFileIsAnErrorNamingTheFile) {
  auto t = WinHttpTransport::create(
      bearer("https://sccm01.contoso.com", fs::temp_directory_path() / "uda-no-such-token"));
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.error().message.find("token_file"), std::string::npos) << t.error().message;
  EXPECT_NE(t.error().message.find("uda-no-such-token"), std::string::npos) << t.error().message;
}

TEST(WinHttpTransport, ARefusedConnectionIsConnectNotAmbiguous) {
  TokenDir dir;
  // Port 1 on loopback: nothing listens there.
  auto t = make(bearer("http://127.0.0.1:1", dir.write("token", "T")));
  ASSERT_NE(t, nullptr);
  const auto r = t->send(get("http://127.0.0.1:1", "SMS_R_System(16777220)"));
  EXPECT_EQ(r.error, TransportError::Connect) << r.error_text;
  EXPECT_FALSE(r.error_text.empty());
}

TEST(WinHttpTransport, AnUnknownHostIsResolve) {
  TokenDir dir;
  const std::string url = "http://uda-agent-no-such-host.invalid";
  auto t = make(bearer(url, dir.write("token", "T")));
  ASSERT_NE(t, nullptr);
  const auto r = t->send(get(url, "SMS_R_System(16777220)"));
  EXPECT_EQ(r.error, TransportError::Resolve) << r.error_text;
}

TEST(WinHttpTransport, BearerGetReadsTheAnswer) {
  UDA_REQUIRE_ENV(url, "UDA_FAKE_ADMINSERVICE_URL");
  UDA_REQUIRE_ENV(token, "UDA_FAKE_ADMINSERVICE_TOKEN");
  TokenDir dir;
  auto t = make(bearer(url, dir.write("token", token)));
  ASSERT_NE(t, nullptr);
  const auto r = t->send(get(url, "SMS_R_System?$filter=Name%20eq%20%27WKS-0001%27"));
  ASSERT_EQ(r.error, TransportError::None) << r.error_text;
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("16777220"), std::string::npos) << r.body;
}

TEST(WinHttpTransport, BearerPostCreatesTheRelationship) {
  UDA_REQUIRE_ENV(url, "UDA_FAKE_ADMINSERVICE_URL");
  UDA_REQUIRE_ENV(token, "UDA_FAKE_ADMINSERVICE_TOKEN");
  TokenDir dir;
  auto t = make(bearer(url, dir.write("token", token)));
  ASSERT_NE(t, nullptr);
  const HttpRequest post{
      "POST", url + "/AdminService/wmi/SMS_UserMachineRelationship.CreateRelationship",
      R"({"MachineResourceId":16777226,"UserAccountName":"CONTOSO\\svc_deploy","SourceId":6,)"
      R"("TypeId":1})"};
  const auto r = t->send(post);
  ASSERT_EQ(r.error, TransportError::None) << r.error_text;
  EXPECT_TRUE(r.status == 200 || r.status == 201) << r.status << " " << r.body;
  const auto check =
      t->send(get(url, "SMS_UserMachineRelationship?$filter=ResourceID%20eq%2016777226"));
  ASSERT_EQ(check.error, TransportError::None) << check.error_text;
  EXPECT_EQ(check.status, 200);
  EXPECT_NE(check.body.find("svc_deploy"), std::string::npos) << check.body;
}

TEST(WinHttpTransport, AWrongTokenIs401AndARenewedTokenFileIsPickedUp) {
  UDA_REQUIRE_ENV(url, "UDA_FAKE_ADMINSERVICE_URL");
  UDA_REQUIRE_ENV(token, "UDA_FAKE_ADMINSERVICE_TOKEN");
  TokenDir dir;
  const auto file = dir.write("token", "expired-" + token + "-expired");
  auto t = make(bearer(url, file));
  ASSERT_NE(t, nullptr);
  const auto r = t->send(get(url, "SMS_R_System(16777220)"));
  ASSERT_EQ(r.error, TransportError::None) << r.error_text;
  EXPECT_EQ(r.status, 401) << r.body;
  // A scheduled task renews the file (other size): the next call uses it.
  dir.write("token", token);
  const auto again = t->send(get(url, "SMS_R_System(16777220)"));
  ASSERT_EQ(again.error, TransportError::None) << again.error_text;
  EXPECT_EQ(again.status, 200) << again.body;
}

TEST(WinHttpTransport, ThrottlingKeepsRetryAfter) {
  // A fake started with --rate-429 1 --retry-after 7.
  UDA_REQUIRE_ENV(url, "UDA_FAKE_ADMINSERVICE_THROTTLED_URL");
  UDA_REQUIRE_ENV(token, "UDA_FAKE_ADMINSERVICE_TOKEN");
  TokenDir dir;
  auto t = make(bearer(url, dir.write("token", token)));
  ASSERT_NE(t, nullptr);
  const auto r = t->send(get(url, "SMS_R_System(16777220)"));
  ASSERT_EQ(r.error, TransportError::None) << r.error_text;
  EXPECT_EQ(r.status, 429) << r.body;
  EXPECT_EQ(r.retry_after, "7");
  EXPECT_NE(r.body.find("TooManyRequests"), std::string::npos) << r.body;
}

TEST(WinHttpTransport, NoAnswerInTimeAfterSendingIsTimeoutAndAmbiguous) {
  // A fake started with --latency-ms 4000: the request is sent, no answer comes
  // within the transport's timeout, so the site may have processed it.
  UDA_REQUIRE_ENV(url, "UDA_FAKE_ADMINSERVICE_SLOW_URL");
  UDA_REQUIRE_ENV(token, "UDA_FAKE_ADMINSERVICE_TOKEN");
  TokenDir dir;
  auto o = bearer(url, dir.write("token", token));
  o.timeout = Millis(1'000);
  auto t = make(o);
  ASSERT_NE(t, nullptr);
  const auto r = t->send(get(url, "SMS_R_System(16777220)"));
  EXPECT_EQ(r.error, TransportError::Timeout) << r.error_text << " status " << r.status;
}

TEST(WinHttpTransport, NegotiateWithoutADomainEndsInThe401NotALoop) {
  // The fake offers Negotiate but accepts only its token: the service's own
  // credentials are tried once and the 401 is reported (under Wine there is
  // no Kerberos at all). The exchange must end promptly either way.
  UDA_REQUIRE_ENV(url, "UDA_FAKE_ADMINSERVICE_URL");
  Options o;
  o.url = url;
  o.auth = Auth::Negotiate;
  o.timeout = Millis(10'000);
  auto t = make(o);
  ASSERT_NE(t, nullptr);
  const auto r = t->send(get(url, "SMS_R_System(16777220)"));
  if (r.error == TransportError::None) {
    EXPECT_EQ(r.status, 401) << r.body;
  } else {
    // Wine without winbind's ntlm_auth may fail the Negotiate leg locally.
    EXPECT_NE(r.error, TransportError::Timeout) << r.error_text;
  }
}

TEST(WinHttpTransport, HttpsWithAnUntrustedCertificateIsTls) {
  UDA_REQUIRE_ENV(url, "UDA_FAKE_ADMINSERVICE_HTTPS_URL");
  UDA_REQUIRE_ENV(token, "UDA_FAKE_ADMINSERVICE_TOKEN");
  TokenDir dir;
  auto t = make(bearer(url, dir.write("token", token)));
  ASSERT_NE(t, nullptr);
  const auto r = t->send(get(url, "SMS_R_System(16777220)"));
  EXPECT_EQ(r.error, TransportError::Tls) << r.error_text << " status " << r.status;
}

TEST(WinHttpTransport, HttpsWithoutVerificationReachesTheSite) {
  UDA_REQUIRE_ENV(url, "UDA_FAKE_ADMINSERVICE_HTTPS_URL");
  UDA_REQUIRE_ENV(token, "UDA_FAKE_ADMINSERVICE_TOKEN");
  TokenDir dir;
  auto o = bearer(url, dir.write("token", token));
  o.verify_tls = false;
  auto t = make(o);
  ASSERT_NE(t, nullptr);
  const auto r = t->send(get(url, "SMS_R_System(16777220)"));
  ASSERT_EQ(r.error, TransportError::None) << r.error_text;
  EXPECT_EQ(r.status, 200) << r.body;
}

}  // namespace
}  // namespace uda::adminservice
