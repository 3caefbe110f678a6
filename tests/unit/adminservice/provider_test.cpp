// The AdminService provider against a scripted transport: the requests it
// sends (URLs, bodies) and how it reads the answers.
#include <gtest/gtest.h>

#include <deque>
#include <mutex>
#include <nlohmann/json.hpp>

#include "providers/adminservice/adminservice_provider.hpp"

namespace uda::adminservice {
namespace {

class ScriptedTransport final : public HttpTransport {
 public:
  HttpResponse send(const HttpRequest& request) override {
    std::lock_guard lock(mu);
    requests.push_back(request);
    if (answers.empty()) {
      HttpResponse r;
      r.status = 500;
      r.body = "no scripted answer";
      return r;
    }
    auto a = answers.front();
    answers.pop_front();
    return a;
  }
  void answer(int status, std::string body, std::string retry_after = "") {
    HttpResponse r;
    r.status = status;
    r.body = std::move(body);
    r.retry_after = std::move(retry_after);
    answers.push_back(std::move(r));
  }
  std::mutex mu;
  std::deque<HttpResponse> answers;
  std::vector<HttpRequest> requests;
};

class AdminServiceProviderTest : public ::testing::Test {
 protected:
  AdminServiceProviderTest() {
    auto t = std::make_unique<ScriptedTransport>();
    transport_ = t.get();
    Options o;
    o.url = "https://sccm01.contoso.com";
    o.workers = 2;
    provider_ = std::make_unique<AdminServiceProvider>(o, std::move(t), time_);
  }
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

  asio::io_context io_;
  SystemTimeSource time_;
  ScriptedTransport* transport_ = nullptr;
  std::unique_ptr<AdminServiceProvider> provider_;
};

TEST_F(AdminServiceProviderTest, CreateSendsNumbersByNameAndReadsTheAnswer) {
  transport_->answer(201, "");
  transport_->answer(201, R"({"@odata.context":"x","ReturnValue":0})");
  transport_->answer(200, R"({"ReturnValue":2147749890})");
  transport_->answer(500, R"({"error":{"code":"InternalError","message":"RPC failure"}})");
  transport_->answer(404, R"({"error":{"code":"NotFound","message":"no device"}})");
  RelationshipRequest req{16777222, "CONTOSO\\jdoe", SourceId::Osd, TypeId::Primary, "t-1"};
  auto a = run(provider_->create_relationship(req));
  EXPECT_EQ(a.status.outcome, CallOutcome::Ok);
  const auto& sent = transport_->requests.at(0);
  EXPECT_EQ(sent.method, "POST");
  EXPECT_EQ(sent.url,
            "https://sccm01.contoso.com/AdminService/wmi/"
            "SMS_UserMachineRelationship.CreateRelationship");
  EXPECT_EQ(nlohmann::json::parse(sent.body), (nlohmann::json{{"MachineResourceId", 16777222},
                                                              {"UserAccountName", "CONTOSO\\jdoe"},
                                                              {"SourceId", 6},
                                                              {"TypeId", 1}}));
  EXPECT_EQ(run(provider_->create_relationship(req)).status.outcome, CallOutcome::Ok);
  auto rv = run(provider_->create_relationship(req));
  EXPECT_EQ(rv.status.outcome, CallOutcome::Fail);
  EXPECT_NE(rv.status.detail.find("ReturnValue 2147749890 (0x80041002)"), std::string::npos)
      << rv.status.detail;
  auto five = run(provider_->create_relationship(req));
  EXPECT_EQ(five.status.outcome, CallOutcome::Retry);
  EXPECT_TRUE(five.status.ambiguous);
  auto missing = run(provider_->create_relationship(req));
  EXPECT_EQ(missing.status.outcome, CallOutcome::Fail);
  EXPECT_NE(missing.status.detail.find("NotFound: no device"), std::string::npos);
}

TEST_F(AdminServiceProviderTest, FindReadsSourcesTypesAndActive) {
  transport_->answer(200, R"({"value":[{"RelationshipResourceID":25165825,"ResourceID":16777222,
      "UniqueUserName":"contoso\\JDOE","Sources":[2,6],"Types":[1],"IsActive":true}]})");
  transport_->answer(200, R"({"value":[]})");
  transport_->answer(200, R"(<html>proxy error</html>)");
  auto f = run(provider_->find_relationship(16777222, "CONTOSO\\jdoe"));
  ASSERT_EQ(f.status.outcome, CallOutcome::Ok);
  ASSERT_TRUE(f.relationship);
  EXPECT_EQ(f.relationship->relationship_resource_id, 25165825);
  EXPECT_TRUE(f.relationship->has_source(SourceId::Osd));
  EXPECT_TRUE(f.relationship->has_source(SourceId::Administrator));
  EXPECT_TRUE(f.relationship->has_type(TypeId::Primary));
  EXPECT_TRUE(f.relationship->is_active);
  EXPECT_EQ(
      transport_->requests.at(0).url,
      "https://sccm01.contoso.com/AdminService/wmi/SMS_UserMachineRelationship"
      "?$filter=ResourceID%20eq%2016777222%20and%20UniqueUserName%20eq%20%27CONTOSO%5Cjdoe%27");
  auto none = run(provider_->find_relationship(16777222, "CONTOSO\\jdoe"));
  EXPECT_EQ(none.status.outcome, CallOutcome::Ok);
  EXPECT_FALSE(none.relationship);
  auto junk = run(provider_->find_relationship(16777222, "CONTOSO\\jdoe"));
  EXPECT_EQ(junk.status.outcome, CallOutcome::Retry);
}

TEST_F(AdminServiceProviderTest, NameAndUpnLookUpsSkipObsoleteRecordsAndRefuseAmbiguity) {
  transport_->answer(200, R"({"value":[{"ResourceID":16777238,"Name":"WKS-0009","Active":0,
      "Obsolete":1},{"ResourceID":16777239,"Name":"WKS-0009","Active":1,"Obsolete":0}]})");
  transport_->answer(200, R"({"value":[{"ResourceID":1,"Name":"LAB","Active":1,"Obsolete":0},
      {"ResourceID":2,"Name":"LAB","Active":1,"Obsolete":0}]})");
  transport_->answer(200, R"({"value":[]})");
  transport_->answer(200, R"({"value":[{"UniqueUserName":"CONTOSO\\jdoe",
      "UserPrincipalName":"jdoe@contoso.com"}]})");
  auto one = run(provider_->resolve_machine("WKS-0009"));
  ASSERT_EQ(one.status.outcome, CallOutcome::Ok);
  EXPECT_EQ(one.resource_id, 16777239U);
  EXPECT_NE(transport_->requests.at(0).url.find("Name%20eq%20%27WKS-0009%27"), std::string::npos);
  auto two = run(provider_->resolve_machine("LAB"));
  EXPECT_EQ(two.status.outcome, CallOutcome::Fail);
  EXPECT_NE(two.status.detail.find("ambiguous name"), std::string::npos);
  auto none = run(provider_->resolve_machine("O'Neil-PC"));
  EXPECT_EQ(none.status.outcome, CallOutcome::Ok);
  EXPECT_FALSE(none.resource_id);
  EXPECT_NE(transport_->requests.at(2).url.find("%27O%27%27Neil-PC%27"), std::string::npos);
  auto user = run(provider_->resolve_user("jdoe@contoso.com"));
  ASSERT_EQ(user.status.outcome, CallOutcome::Ok);
  EXPECT_EQ(user.unique_user_name, "CONTOSO\\jdoe");
}

TEST_F(AdminServiceProviderTest, UsagePagesNeverSplitADevice) {
  // A full page (top = 3) whose last device may continue on the next page.
  transport_->answer(200, R"({"value":[
      {"ResourceID":10,"SystemConsoleUser":"C\\a","TotalUserConsoleMinutes":3000,
       "NumberOfConsoleLogons":5,"LastConsoleUse":"20261120081200.000000+000"},
      {"ResourceID":11,"SystemConsoleUser":"C\\b","TotalUserConsoleMinutes":10,
       "NumberOfConsoleLogons":1,"LastConsoleUse":"2026-11-01T00:00:00Z"},
      {"ResourceID":12,"SystemConsoleUser":"C\\c","TotalUserConsoleMinutes":1,
       "NumberOfConsoleLogons":1}]})");
  auto page = run(provider_->console_usage(0, 3));
  ASSERT_EQ(page.status.outcome, CallOutcome::Ok);
  EXPECT_TRUE(page.more);
  ASSERT_EQ(page.rows.size(), 2U);  // device 12 comes again on the next page
  EXPECT_EQ(page.rows[0].resource_id, 10U);
  EXPECT_EQ(page.rows[0].total_console_minutes, 3000);
  EXPECT_EQ(page.rows[0].console_logons, 5);
  EXPECT_EQ(page.rows[0].last_console_use, parse_iso8601("2026-11-20T08:12:00Z"));
  EXPECT_EQ(transport_->requests.at(0).url,
            "https://sccm01.contoso.com/AdminService/wmi/SMS_G_System_SYSTEM_CONSOLE_USER"
            "?$filter=ResourceID%20gt%200&$orderby=ResourceID&$top=3");

  // A full page of one device: all its rows are read with a second query.
  transport_->answer(200, R"({"value":[{"ResourceID":20,"SystemConsoleUser":"C\\a"},
      {"ResourceID":20,"SystemConsoleUser":"C\\b"}]})");
  transport_->answer(200, R"({"value":[{"ResourceID":20,"SystemConsoleUser":"C\\a"},
      {"ResourceID":20,"SystemConsoleUser":"C\\b"},{"ResourceID":20,"SystemConsoleUser":"C\\c"}]})");
  auto big = run(provider_->console_usage(12, 2));
  ASSERT_EQ(big.status.outcome, CallOutcome::Ok);
  EXPECT_EQ(big.rows.size(), 3U);
  EXPECT_TRUE(big.more);
  EXPECT_NE(transport_->requests.back().url.find("ResourceID%20eq%2020"), std::string::npos);

  // The last page.
  transport_->answer(200, R"({"value":[{"ResourceID":30,"SystemConsoleUser":"C\\a"}]})");
  auto last = run(provider_->console_usage(20, 2));
  EXPECT_FALSE(last.more);
  EXPECT_EQ(last.rows.size(), 1U);
}

}  // namespace
}  // namespace uda::adminservice
