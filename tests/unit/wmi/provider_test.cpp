// The WMI provider's logic against a fake WmiSession: what it asks WMI
// (namespaces, WQL, method parameters by name) and how it reads the answers.
#include <gtest/gtest.h>

#include <atomic>
#include <deque>
#include <mutex>

#include "providers/wmi/wmi_provider.hpp"

namespace uda::wmi {
namespace {

#define EXPECT_HAS(s, part) EXPECT_NE((s).find(part), std::string::npos) << (s)

struct MethodCall {
  std::string class_name;
  std::string method;
  WmiProperties in;
};

// The site all fake sessions talk to; answers are scripted per test.
struct FakeSite {
  std::mutex mu;
  std::vector<std::string> connects;
  std::vector<std::string> queries;
  std::vector<MethodCall> methods;
  std::atomic<int> sessions{0};
  std::atomic<int> live{0};
  std::deque<WmiCall> connect_answers;
  std::function<QueryResult(const std::string&)> on_query = [](const std::string& wql) {
    QueryResult r;
    if (wql.find("SMS_ProviderLocation") != std::string::npos) {
      r.rows.push_back(WmiInstance{"SMS_ProviderLocation", {{"SiteCode", std::string("PS1")}}});
    }
    return r;
  };
  std::deque<MethodResult> method_answers;
};

class FakeSession final : public WmiSession {
 public:
  explicit FakeSession(FakeSite& site) : site_(site) {
    ++site_.sessions;
    ++site_.live;
  }
  ~FakeSession() override { --site_.live; }
  WmiCall connect(const std::string& ns) override {
    std::lock_guard lock(site_.mu);
    site_.connects.push_back(ns);
    if (site_.connect_answers.empty()) return {};
    auto a = site_.connect_answers.front();
    site_.connect_answers.pop_front();
    return a;
  }
  QueryResult exec_query(const std::string& wql) override {
    std::function<QueryResult(const std::string&)> f;
    {
      std::lock_guard lock(site_.mu);
      site_.queries.push_back(wql);
      f = site_.on_query;
    }
    return f(wql);
  }
  MethodResult exec_static_method(const std::string& class_name, const std::string& method,
                                  const WmiProperties& in) override {
    std::lock_guard lock(site_.mu);
    site_.methods.push_back({class_name, method, in});
    if (site_.method_answers.empty()) {
      MethodResult r;
      r.out["ReturnValue"] = std::int64_t{0};
      return r;
    }
    auto a = site_.method_answers.front();
    site_.method_answers.pop_front();
    return a;
  }

 private:
  FakeSite& site_;
};

WmiInstance row(std::initializer_list<std::pair<const std::string, WmiValue>> props) {
  return WmiInstance{"Row", WmiProperties(props)};
}

class WmiProviderTest : public ::testing::Test {
 protected:
  void make(Options o = {}) {
    o.workers = 2;
    provider_ =
        std::make_unique<WmiProvider>(o, [this] { return std::make_unique<FakeSession>(site_); });
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
  RelationshipRequest request() {
    RelationshipRequest r;
    r.machine_resource_id = 16777222;
    r.user_account_name = "CONTOSO\\jdoe";
    r.source = SourceId::Osd;
    r.type = TypeId::Primary;
    r.trigger_id = "t1";
    return r;
  }

  asio::io_context io_;
  FakeSite site_;
  std::unique_ptr<WmiProvider> provider_;
};

TEST_F(WmiProviderTest, DiscoversTheSiteThenReusesTheConnection) {
  make();
  auto c = run(provider_->create_relationship(request()));
  EXPECT_EQ(c.status.outcome, CallOutcome::Ok) << c.status.detail;
  ASSERT_EQ(site_.connects.size(), 2U);
  EXPECT_EQ(site_.connects[0], "\\\\.\\root\\sms");
  EXPECT_EQ(site_.connects[1], "\\\\.\\root\\sms\\site_PS1");
  EXPECT_EQ(site_.queries.at(0),
            "SELECT SiteCode FROM SMS_ProviderLocation WHERE ProviderForLocalSite = TRUE");
  EXPECT_EQ(provider_->site_namespace_in_use(), "\\\\.\\root\\sms\\site_PS1");
  c = run(provider_->create_relationship(request()));
  EXPECT_EQ(c.status.outcome, CallOutcome::Ok);
  EXPECT_EQ(site_.sessions.load(), 1);
  EXPECT_EQ(site_.connects.size(), 2U);
}

TEST_F(WmiProviderTest, ConfiguredSiteCodeSkipsDiscovery) {
  Options o;
  o.server = "sccm01.contoso.com";
  o.site_code = "LAB";
  make(o);
  auto c = run(provider_->create_relationship(request()));
  EXPECT_EQ(c.status.outcome, CallOutcome::Ok);
  ASSERT_EQ(site_.connects.size(), 1U);
  EXPECT_EQ(site_.connects[0], "\\\\sccm01.contoso.com\\root\\sms\\site_LAB");
  EXPECT_TRUE(site_.queries.empty());
}

TEST_F(WmiProviderTest, NoLocalSiteFails) {
  site_.on_query = [](const std::string&) { return QueryResult{}; };
  make();
  auto c = run(provider_->create_relationship(request()));
  EXPECT_EQ(c.status.outcome, CallOutcome::Fail);
  EXPECT_HAS(c.status.detail, "WBEM_E_NOT_FOUND");
  EXPECT_HAS(c.status.detail, "provider.wmi.site_code");
  EXPECT_TRUE(site_.methods.empty());
}

TEST_F(WmiProviderTest, ConnectFailureRetriesAndConnectsAgain) {
  site_.connect_answers.push_back(WmiCall::failure(0x800706BA, "ConnectServer"));
  make();
  auto c = run(provider_->create_relationship(request()));
  EXPECT_EQ(c.status.outcome, CallOutcome::Retry);
  EXPECT_FALSE(c.status.ambiguous);
  EXPECT_HAS(c.status.detail, "0x800706BA RPC_S_SERVER_UNAVAILABLE");
  EXPECT_EQ(site_.live.load(), 0);  // the failed session is not kept
  c = run(provider_->create_relationship(request()));
  EXPECT_EQ(c.status.outcome, CallOutcome::Ok);
}

TEST_F(WmiProviderTest, CreateRelationshipParametersByName) {
  make();
  auto c = run(provider_->create_relationship(request()));
  ASSERT_EQ(c.status.outcome, CallOutcome::Ok);
  ASSERT_EQ(site_.methods.size(), 1U);
  const auto& m = site_.methods[0];
  EXPECT_EQ(m.class_name, "SMS_UserMachineRelationship");
  EXPECT_EQ(m.method, "CreateRelationship");
  EXPECT_EQ(m.in.size(), 4U);
  EXPECT_EQ(m.in.at("MachineResourceId"), WmiValue(std::int64_t{16777222}));
  EXPECT_EQ(m.in.at("UserAccountName"), WmiValue(std::string("CONTOSO\\jdoe")));
  EXPECT_EQ(m.in.at("SourceId"), WmiValue(std::int64_t{6}));
  EXPECT_EQ(m.in.at("TypeId"), WmiValue(std::int64_t{1}));
}

TEST_F(WmiProviderTest, NonZeroReturnValueFails) {
  MethodResult r;
  r.out["ReturnValue"] = std::int64_t{-2147217406};  // 0x80041002
  site_.method_answers.push_back(r);
  make();
  auto c = run(provider_->create_relationship(request()));
  EXPECT_EQ(c.status.outcome, CallOutcome::Fail);
  EXPECT_HAS(c.status.detail, "ReturnValue -2147217406 (0x80041002 WBEM_E_NOT_FOUND)");
}

TEST_F(WmiProviderTest, CallFailedIsAmbiguousAndDropsTheConnection) {
  MethodResult r;
  r.call = WmiCall::failure(0x800706BE, "ExecMethod");
  site_.method_answers.push_back(r);
  make();
  auto c = run(provider_->create_relationship(request()));
  EXPECT_EQ(c.status.outcome, CallOutcome::Retry);
  EXPECT_TRUE(c.status.ambiguous);
  EXPECT_HAS(c.status.detail, "SMS_UserMachineRelationship.CreateRelationship: ExecMethod");
  EXPECT_EQ(site_.live.load(), 0);
  EXPECT_EQ(site_.methods.size(), 1U);  // never repeated at once
  c = run(provider_->create_relationship(request()));
  EXPECT_EQ(c.status.outcome, CallOutcome::Ok);
  EXPECT_EQ(site_.sessions.load(), 2);
}

TEST_F(WmiProviderTest, StalePooledConnectionIsReplacedAtOnce) {
  make();
  ASSERT_EQ(run(provider_->create_relationship(request())).status.outcome, CallOutcome::Ok);
  MethodResult r;
  r.call = WmiCall::failure(0x800706BA, "ExecMethod");  // did not execute
  site_.method_answers.push_back(r);
  auto c = run(provider_->create_relationship(request()));
  EXPECT_EQ(c.status.outcome, CallOutcome::Ok) << c.status.detail;
  EXPECT_EQ(site_.methods.size(), 3U);
  EXPECT_EQ(site_.sessions.load(), 2);
}

TEST_F(WmiProviderTest, ExtendedStatusDecides) {
  MethodResult r;
  ExtendedStatus e;
  e.class_name = "SMS_ExtendedStatus";
  e.error_code = 0x80041002;
  e.description = "Resource not found";
  r.call = WmiCall::failure(0x80041001, "ExecMethod", e);
  site_.method_answers.push_back(r);
  make();
  auto c = run(provider_->create_relationship(request()));
  EXPECT_EQ(c.status.outcome, CallOutcome::Fail);
  EXPECT_HAS(c.status.detail, "SMS_ExtendedStatus ErrorCode 2147749890 (0x80041002)");
}

TEST_F(WmiProviderTest, FindRelationshipQueryAndRow) {
  site_.on_query = [](const std::string& wql) {
    QueryResult r;
    if (wql.find("SMS_ProviderLocation") != std::string::npos) {
      r.rows.push_back(row({{"SiteCode", std::string("PS1")}}));
      return r;
    }
    r.rows.push_back(row({{"RelationshipResourceID", std::int64_t{25165825}},
                          {"ResourceID", std::int64_t{16777222}},
                          {"UniqueUserName", std::string("contoso\\JDOE")},
                          {"Sources", std::vector<std::int64_t>{2, 6}},
                          {"Types", std::vector<std::int64_t>{1}},
                          {"IsActive", true}}));
    return r;
  };
  make();
  auto f = run(provider_->find_relationship(16777222, "CONTOSO\\jdoe"));
  ASSERT_EQ(f.status.outcome, CallOutcome::Ok) << f.status.detail;
  EXPECT_EQ(site_.queries.back(),
            "SELECT RelationshipResourceID, ResourceID, UniqueUserName, Sources, Types, IsActive "
            "FROM SMS_UserMachineRelationship WHERE ResourceID = 16777222 AND UniqueUserName = "
            "'CONTOSO\\\\jdoe'");
  ASSERT_TRUE(f.relationship);
  EXPECT_EQ(f.relationship->relationship_resource_id, 25165825);
  EXPECT_TRUE(f.relationship->has_source(SourceId::Osd));
  EXPECT_TRUE(f.relationship->has_type(TypeId::Primary));
  EXPECT_TRUE(f.relationship->is_active);
}

TEST_F(WmiProviderTest, FindRelationshipNoneAndQuoting) {
  make();
  auto f = run(provider_->find_relationship(1, "D\\o'brien"));
  ASSERT_EQ(f.status.outcome, CallOutcome::Ok);
  EXPECT_FALSE(f.relationship);
  EXPECT_HAS(site_.queries.back(), "UniqueUserName = 'D\\\\o\\'brien'");
}

TEST_F(WmiProviderTest, QueryErrorsAreClassified) {
  site_.on_query = [](const std::string& wql) {
    QueryResult r;
    if (wql.find("SMS_ProviderLocation") != std::string::npos) {
      r.rows.push_back(row({{"SiteCode", std::string("PS1")}}));
    } else {
      r.call = WmiCall::failure(0x80041003, "ExecQuery");
    }
    return r;
  };
  make();
  auto f = run(provider_->find_relationship(1, "D\\u"));
  EXPECT_EQ(f.status.outcome, CallOutcome::Fail);
  EXPECT_HAS(f.status.detail, "0x80041003 WBEM_E_ACCESS_DENIED: SELECT");
}

TEST_F(WmiProviderTest, ResolveMachine) {
  site_.on_query = [](const std::string& wql) {
    QueryResult r;
    if (wql.find("SMS_ProviderLocation") != std::string::npos) {
      r.rows.push_back(row({{"SiteCode", std::string("PS1")}}));
    } else if (wql.find("'WKS-0001'") != std::string::npos) {
      r.rows.push_back(row({{"ResourceID", std::int64_t{16777220}},
                            {"Active", std::int64_t{1}},
                            {"Obsolete", std::int64_t{0}}}));
      r.rows.push_back(row({{"ResourceID", std::int64_t{16777100}},
                            {"Active", std::int64_t{0}},
                            {"Obsolete", std::int64_t{1}}}));
      r.rows.push_back(row({{"ResourceID", std::int64_t{16777101}}, {"Active", WmiValue{}}}));
    } else if (wql.find("'TWIN'") != std::string::npos) {
      r.rows.push_back(row({{"ResourceID", std::int64_t{1}}}));
      r.rows.push_back(row({{"ResourceID", std::int64_t{2}}}));
    }
    return r;
  };
  make();
  auto m = run(provider_->resolve_machine("WKS-0001"));
  EXPECT_EQ(site_.queries.back(),
            "SELECT ResourceID, Name, Active, Obsolete FROM SMS_R_System WHERE Name = 'WKS-0001'");
  // 16777101 has Active NULL: counted as active, so two remain -> ambiguous.
  EXPECT_EQ(m.status.outcome, CallOutcome::Fail);
  EXPECT_HAS(m.status.detail, "(ResourceID 16777101, 16777220)");
  EXPECT_FALSE(m.resource_id);
  m = run(provider_->resolve_machine("TWIN"));
  EXPECT_EQ(m.status.outcome, CallOutcome::Fail);
  EXPECT_HAS(m.status.detail,
             "ambiguous name: 2 active devices are named 'TWIN' (ResourceID 1, 2)");
  m = run(provider_->resolve_machine("NONE"));
  EXPECT_EQ(m.status.outcome, CallOutcome::Ok);
  EXPECT_FALSE(m.resource_id);
}

TEST_F(WmiProviderTest, ResolveMachineSkipsObsolete) {
  site_.on_query = [](const std::string& wql) {
    QueryResult r;
    if (wql.find("SMS_ProviderLocation") != std::string::npos) {
      r.rows.push_back(row({{"SiteCode", std::string("PS1")}}));
    } else {
      r.rows.push_back(row({{"ResourceID", std::int64_t{16777220}},
                            {"Active", std::int64_t{1}},
                            {"Obsolete", std::int64_t{0}}}));
      r.rows.push_back(row({{"ResourceID", std::int64_t{16777100}},
                            {"Active", std::int64_t{1}},
                            {"Obsolete", std::int64_t{1}}}));
    }
    return r;
  };
  make();
  auto m = run(provider_->resolve_machine("WKS-0001"));
  ASSERT_EQ(m.status.outcome, CallOutcome::Ok) << m.status.detail;
  EXPECT_EQ(m.resource_id, 16777220U);
}

TEST_F(WmiProviderTest, ResolveUser) {
  site_.on_query = [](const std::string& wql) {
    QueryResult r;
    if (wql.find("SMS_ProviderLocation") != std::string::npos) {
      r.rows.push_back(row({{"SiteCode", std::string("PS1")}}));
    } else if (wql.find("jdoe@") != std::string::npos) {
      r.rows.push_back(row({{"UniqueUserName", std::string("CONTOSO\\jdoe")}}));
      r.rows.push_back(row({{"UniqueUserName", std::string("contoso\\JDOE")}}));  // same user
    } else if (wql.find("two@") != std::string::npos) {
      r.rows.push_back(row({{"UniqueUserName", std::string("A\\two")}}));
      r.rows.push_back(row({{"UniqueUserName", std::string("B\\two")}}));
    }
    return r;
  };
  make();
  auto u = run(provider_->resolve_user("jdoe@contoso.com"));
  ASSERT_EQ(u.status.outcome, CallOutcome::Ok) << u.status.detail;
  EXPECT_EQ(site_.queries.back(),
            "SELECT UniqueUserName, UserPrincipalName FROM SMS_R_User WHERE UserPrincipalName = "
            "'jdoe@contoso.com'");
  EXPECT_EQ(u.unique_user_name, "CONTOSO\\jdoe");
  u = run(provider_->resolve_user("two@contoso.com"));
  EXPECT_EQ(u.status.outcome, CallOutcome::Fail);
  u = run(provider_->resolve_user("none@contoso.com"));
  EXPECT_EQ(u.status.outcome, CallOutcome::Ok);
  EXPECT_FALSE(u.unique_user_name);
}

std::vector<WmiInstance> usage_rows() {
  auto r = [](std::int64_t id, const char* user, std::int64_t minutes, const char* last) {
    return row({{"ResourceID", id},
                {"SystemConsoleUser", std::string(user)},
                {"TotalUserConsoleMinutes", minutes},
                {"NumberOfConsoleLogons", std::int64_t{3}},
                {"LastConsoleUse", last ? WmiValue(std::string(last)) : WmiValue{}}});
  };
  return {r(30, "D\\c", 10, nullptr), r(10, "D\\b", 3000, "20261120081200.000000+***"),
          r(10, "D\\a", 5, "20261120091200.000000+060"), r(20, "D\\z", 7, nullptr),
          r(40, "D\\x", 1, nullptr)};
}

TEST_F(WmiProviderTest, ConsoleUsagePages) {
  site_.on_query = [](const std::string& wql) {
    QueryResult r;
    if (wql.find("SMS_ProviderLocation") != std::string::npos) {
      r.rows.push_back(row({{"SiteCode", std::string("PS1")}}));
      return r;
    }
    // A tiny WQL evaluator for "ResourceID > a [AND ResourceID <= b]".
    const auto gt = std::stoll(wql.substr(wql.find("ResourceID > ") + 13));
    std::int64_t le = 1LL << 40;
    if (auto p = wql.find("ResourceID <= "); p != std::string::npos) {
      le = std::stoll(wql.substr(p + 14));
    }
    for (auto& x : usage_rows()) {
      const auto id = std::get<std::int64_t>(*x.find("ResourceID"));
      if (id > gt && id <= le) r.rows.push_back(x);
    }
    return r;
  };
  make();
  auto p = run(provider_->console_usage(0, 2));
  ASSERT_EQ(p.status.outcome, CallOutcome::Ok) << p.status.detail;
  EXPECT_TRUE(p.more);
  ASSERT_EQ(p.rows.size(), 3U);
  EXPECT_EQ(p.rows[0].resource_id, 10U);
  EXPECT_EQ(p.rows[0].system_console_user, "D\\a");
  ASSERT_TRUE(p.rows[0].last_console_use);
  EXPECT_EQ(to_unix_ms(*p.rows[0].last_console_use), to_unix_ms(*p.rows[1].last_console_use));
  EXPECT_EQ(p.rows[1].total_console_minutes, 3000);
  EXPECT_EQ(p.rows[1].console_logons, 3);
  EXPECT_EQ(p.rows[2].resource_id, 20U);
  EXPECT_FALSE(p.rows[2].last_console_use);
  EXPECT_EQ(site_.queries[1],
            "SELECT ResourceID FROM SMS_G_System_SYSTEM_CONSOLE_USER WHERE ResourceID > 0");
  EXPECT_EQ(site_.queries[2],
            "SELECT ResourceID, SystemConsoleUser, TotalUserConsoleMinutes, NumberOfConsoleLogons, "
            "LastConsoleUse FROM SMS_G_System_SYSTEM_CONSOLE_USER WHERE ResourceID > 0 AND "
            "ResourceID <= 20");
  p = run(provider_->console_usage(20, 2));
  ASSERT_EQ(p.status.outcome, CallOutcome::Ok);
  EXPECT_FALSE(p.more);
  ASSERT_EQ(p.rows.size(), 2U);
  EXPECT_EQ(p.rows[1].resource_id, 40U);
  p = run(provider_->console_usage(40, 2));
  EXPECT_EQ(p.status.outcome, CallOutcome::Ok);
  EXPECT_TRUE(p.rows.empty());
  EXPECT_FALSE(p.more);
}

}  // namespace
}  // namespace uda::wmi
