// The AdminService provider as the agent builds it on Windows
// (AdminServiceProvider::create picks WinHttpTransport) against the fake
// AdminService: name look-up, existence check and CreateRelationship.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <random>

#include "fake_site.hpp"
#include "providers/adminservice/adminservice_provider.hpp"

namespace uda::adminservice {
namespace {

namespace fs = std::filesystem;

class ProviderOverWinHttp : public ::testing::Test {
 protected:
  template <class T>
  T run(Awaitable<T> a) {
    std::optional<T> out;
    asio::co_spawn(io_, std::move(a), [&](std::exception_ptr e, T v) {
      if (e) std::rethrow_exception(e);
      out = std::move(v);
    });
    io_.run();
    io_.restart();
    return std::move(*out);
  }
  void TearDown() override {
    std::error_code ec;
    if (!token_file_.empty()) fs::remove(token_file_, ec);
  }
  std::unique_ptr<AdminServiceProvider> make(const std::string& url, const std::string& token) {
    token_file_ = fs::temp_directory_path() /
                  ("uda-provider-token-" + std::to_string(std::random_device{}()));
    std::ofstream(token_file_, std::ios::binary) << token << "\n";
    Options o;
    o.url = url;
    o.auth = Auth::Bearer;
    o.token_file = token_file_;
    o.workers = 2;
    o.timeout = Millis(10'000);
    auto p = AdminServiceProvider::create(o, time_);
    EXPECT_TRUE(p.ok()) << (p ? "" : p.error().message);
    return p ? std::move(*p) : nullptr;
  }

  asio::io_context io_;
  SystemTimeSource time_;
  fs::path token_file_;
};

TEST_F(ProviderOverWinHttp, ResolvesChecksAndCreates) {
  UDA_REQUIRE_ENV(url, "UDA_FAKE_ADMINSERVICE_URL");
  UDA_REQUIRE_ENV(token, "UDA_FAKE_ADMINSERVICE_TOKEN");
  auto p = make(url, token);
  ASSERT_NE(p, nullptr);

  const auto machine = run(p->resolve_machine("WKS-0002"));
  ASSERT_EQ(machine.status.outcome, CallOutcome::Ok) << machine.status.detail;
  ASSERT_TRUE(machine.resource_id.has_value());
  EXPECT_EQ(*machine.resource_id, 16777221U);

  const auto existing = run(p->find_relationship(16777221, "CONTOSO\\jdoe"));
  ASSERT_EQ(existing.status.outcome, CallOutcome::Ok) << existing.status.detail;
  ASSERT_TRUE(existing.relationship.has_value());
  EXPECT_TRUE(existing.relationship->has_type(TypeId::Primary));

  RelationshipRequest req;
  req.machine_resource_id = 16777222;
  req.user_account_name = "CONTOSO\\asmith";
  req.source = SourceId::Osd;
  req.trigger_id = "winhttp-test";
  const auto created = run(p->create_relationship(req));
  ASSERT_EQ(created.status.outcome, CallOutcome::Ok) << created.status.detail;
  const auto now = run(p->find_relationship(16777222, "CONTOSO\\asmith"));
  ASSERT_EQ(now.status.outcome, CallOutcome::Ok) << now.status.detail;
  ASSERT_TRUE(now.relationship.has_value());
  EXPECT_TRUE(now.relationship->has_source(SourceId::Osd));
}

TEST_F(ProviderOverWinHttp, AnUnreachableSiteIsARetryThatIsNotAmbiguous) {
  auto p = make("http://127.0.0.1:1", "T");
  ASSERT_NE(p, nullptr);
  RelationshipRequest req;
  req.machine_resource_id = 16777222;
  req.user_account_name = "CONTOSO\\asmith";
  const auto r = run(p->create_relationship(req));
  EXPECT_EQ(r.status.outcome, CallOutcome::Retry) << r.status.detail;
  EXPECT_FALSE(r.status.ambiguous) << r.status.detail;
}

}  // namespace
}  // namespace uda::adminservice
