// Hostile device names, users and UPNs through the WMI provider: every WQL
// query it runs is read back the way WMI reads it (a '...' literal with
// backslash escapes) and must hold the name as one exact literal that ends
// the query. CreateRelationship takes the user as a method parameter, never
// as WQL text.
#include <gtest/gtest.h>

#include <mutex>

#include "providers/wmi/wmi_provider.hpp"

namespace uda::wmi {
namespace {

struct Recorded {
  std::mutex mu;
  std::vector<std::string> queries;
  std::vector<WmiProperties> method_inputs;
};

class RecordingSession final : public WmiSession {
 public:
  explicit RecordingSession(Recorded& r) : r_(r) {}
  WmiCall connect(const std::string& /*ns*/) override { return {}; }
  QueryResult exec_query(const std::string& wql) override {
    std::lock_guard lock(r_.mu);
    r_.queries.push_back(wql);
    QueryResult out;
    if (wql.find("SMS_ProviderLocation") != std::string::npos) {
      out.rows.push_back(WmiInstance{"SMS_ProviderLocation", {{"SiteCode", std::string("PS1")}}});
    }
    return out;
  }
  MethodResult exec_static_method(const std::string& /*class_name*/, const std::string& /*method*/,
                                  const WmiProperties& in) override {
    std::lock_guard lock(r_.mu);
    r_.method_inputs.push_back(in);
    MethodResult m;
    m.out["ReturnValue"] = std::int64_t{0};
    return m;
  }

 private:
  Recorded& r_;
};

const std::vector<std::string>& hostile() {
  static const std::vector<std::string> v{
      "o'brien",
      "'",
      "\\",
      "\\'",
      "x' OR Name LIKE '%",
      "x\\' OR 1=1 --",
      "a\" OR \"b",
      "{} %s %n",
      "'; DROP TABLE x; --",
      "m\xc3\xbcller",
      "trailing\\",
  };
  return v;
}

// Reads `prefix` then one WQL string literal that must end the query.
std::optional<std::string> literal_after(const std::string& wql, const std::string& prefix) {
  if (wql.rfind(prefix + "'", 0) != 0) return std::nullopt;
  std::string value;
  std::size_t i = prefix.size() + 1;
  for (; i < wql.size(); ++i) {
    if (wql[i] == '\\' && i + 1 < wql.size()) {
      value += wql[++i];
    } else if (wql[i] == '\'') {
      break;
    } else {
      value += wql[i];
    }
  }
  if (i != wql.size() - 1) return std::nullopt;  // text after the literal
  return value;
}

class WqlInjectionTest : public ::testing::Test {
 protected:
  WqlInjectionTest() {
    Options o;
    o.workers = 1;
    provider_ = std::make_unique<WmiProvider>(
        o, [this] { return std::make_unique<RecordingSession>(recorded_); });
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
  std::string last_query() {
    std::lock_guard lock(recorded_.mu);
    return recorded_.queries.back();
  }

  asio::io_context io_;
  Recorded recorded_;
  std::unique_ptr<WmiProvider> provider_;
};

TEST_F(WqlInjectionTest, UsersAreOneLiteralOfTheRelationshipQuery) {
  for (const auto& name : hostile()) {
    SCOPED_TRACE(name);
    const std::string user = "CONTOSO\\" + name;
    auto r = run(provider_->find_relationship(16777220, user));
    EXPECT_EQ(r.status.outcome, CallOutcome::Ok) << r.status.detail;
    EXPECT_EQ(literal_after(last_query(),
                            "SELECT RelationshipResourceID, ResourceID, UniqueUserName, Sources, "
                            "Types, IsActive FROM SMS_UserMachineRelationship WHERE ResourceID = "
                            "16777220 AND UniqueUserName = "),
              user)
        << last_query();
  }
}

TEST_F(WqlInjectionTest, DeviceNamesAreOneLiteralOfTheSystemQuery) {
  for (const auto& name : hostile()) {
    SCOPED_TRACE(name);
    auto r = run(provider_->resolve_machine(name));
    EXPECT_EQ(r.status.outcome, CallOutcome::Ok) << r.status.detail;
    EXPECT_EQ(literal_after(last_query(),
                            "SELECT ResourceID, Name, Active, Obsolete FROM SMS_R_System WHERE "
                            "Name = "),
              name)
        << last_query();
  }
}

TEST_F(WqlInjectionTest, UpnsAreOneLiteralOfTheUserQuery) {
  for (const auto& name : hostile()) {
    SCOPED_TRACE(name);
    const std::string upn = name + "@contoso.com";
    (void)run(provider_->resolve_user(upn));
    EXPECT_EQ(literal_after(last_query(),
                            "SELECT UniqueUserName, UserPrincipalName FROM SMS_R_User WHERE "
                            "UserPrincipalName = "),
              upn)
        << last_query();
  }
}

TEST_F(WqlInjectionTest, CreatePassesTheUserAsAParameterUnchanged) {
  for (const auto& name : hostile()) {
    SCOPED_TRACE(name);
    RelationshipRequest req;
    req.machine_resource_id = 16777222;
    req.user_account_name = "CONTOSO\\" + name;
    req.source = SourceId::Osd;
    req.type = TypeId::Primary;
    req.trigger_id = "t";
    auto r = run(provider_->create_relationship(req));
    EXPECT_EQ(r.status.outcome, CallOutcome::Ok) << r.status.detail;
    std::lock_guard lock(recorded_.mu);
    ASSERT_FALSE(recorded_.method_inputs.empty());
    const auto& in = recorded_.method_inputs.back();
    ASSERT_TRUE(in.count("UserAccountName"));
    EXPECT_EQ(std::get<std::string>(in.at("UserAccountName")), "CONTOSO\\" + name);
  }
}

}  // namespace
}  // namespace uda::wmi
