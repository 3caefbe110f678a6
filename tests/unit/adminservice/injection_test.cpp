// Hostile device names, users and UPNs through the AdminService provider:
// every request it sends is read back the way a server would (split the
// query at '&', percent-decode, read the OData literal) and must carry the
// name as one exact literal, with no extra query option or comparison.
#include <gtest/gtest.h>

#include <deque>
#include <mutex>
#include <nlohmann/json.hpp>

#include "providers/adminservice/adminservice_provider.hpp"

namespace uda::adminservice {
namespace {

class RecordingTransport final : public HttpTransport {
 public:
  HttpResponse send(const HttpRequest& request) override {
    std::lock_guard lock(mu);
    requests.push_back(request);
    HttpResponse r;
    r.status = request.method == "POST" ? 201 : 200;
    r.body = request.method == "POST" ? "" : R"({"value":[]})";
    return r;
  }
  std::mutex mu;
  std::vector<HttpRequest> requests;
};

// The hostile texts: quotes (doubled, escaped, percent-encoded), URL
// delimiters, format specifiers, SQL, non-ASCII.
const std::vector<std::string>& hostile() {
  static const std::vector<std::string> v{
      "o'brien",
      "'",
      "''",
      "x' or Name ne 'y",
      "x') or (1 eq 1",
      "\\'",
      "%27",
      "%2527 or 1 eq 1",
      "a&$top=1#frag",
      "a+b=c;d/e?f",
      "'; DROP TABLE x; --",
      "{} {0} %s %n",
      "\"quoted\"",
      "m\xc3\xbcller",
  };
  return v;
}

// "%41" -> "A"; '+' stays '+' (it is not a space in a path or an OData query).
std::string percent_decode(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

// name -> decoded value of each query option, in order.
std::vector<std::pair<std::string, std::string>> options_of(const std::string& url) {
  std::vector<std::pair<std::string, std::string>> out;
  const auto q = url.find('?');
  if (q == std::string::npos) return out;
  EXPECT_EQ(url.find('#'), std::string::npos) << url;
  EXPECT_EQ(url.find(' '), std::string::npos) << url;
  std::string rest = url.substr(q + 1);
  while (!rest.empty()) {
    const auto amp = rest.find('&');
    const auto pair = rest.substr(0, amp);
    const auto eq = pair.find('=');
    out.emplace_back(pair.substr(0, eq),
                     eq == std::string::npos ? "" : percent_decode(pair.substr(eq + 1)));
    if (amp == std::string::npos) break;
    rest = rest.substr(amp + 1);
  }
  return out;
}

// Reads `prefix` then one OData string literal that must end the filter;
// the literal's value, or nullopt when the filter is anything else.
std::optional<std::string> literal_after(const std::string& filter, const std::string& prefix) {
  if (filter.rfind(prefix + "'", 0) != 0) return std::nullopt;
  std::string value;
  std::size_t i = prefix.size() + 1;
  for (; i < filter.size(); ++i) {
    if (filter[i] == '\'') {
      if (i + 1 < filter.size() && filter[i + 1] == '\'') {
        value += '\'';
        ++i;
        continue;
      }
      break;  // the closing quote
    }
    value += filter[i];
  }
  if (i != filter.size() - 1) return std::nullopt;  // something after the literal
  return value;
}

class AdminServiceInjectionTest : public ::testing::Test {
 protected:
  AdminServiceInjectionTest() {
    auto t = std::make_unique<RecordingTransport>();
    transport_ = t.get();
    Options o;
    o.url = "https://sccm01.contoso.com";
    o.workers = 1;
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
  HttpRequest last() {
    std::lock_guard lock(transport_->mu);
    return transport_->requests.back();
  }

  asio::io_context io_;
  SystemTimeSource time_;
  RecordingTransport* transport_ = nullptr;
  std::unique_ptr<AdminServiceProvider> provider_;
};

TEST_F(AdminServiceInjectionTest, DeviceNamesAreOneLiteralOfTheNameFilter) {
  for (const auto& name : hostile()) {
    SCOPED_TRACE(name);
    auto r = run(provider_->resolve_machine("WKS-" + name));
    EXPECT_EQ(r.status.outcome, CallOutcome::Ok) << r.status.detail;
    const auto req = last();
    EXPECT_EQ(req.url.rfind("https://sccm01.contoso.com/AdminService/wmi/SMS_R_System?", 0), 0U)
        << req.url;
    const auto opts = options_of(req.url);
    ASSERT_EQ(opts.size(), 2U) << req.url;
    EXPECT_EQ(opts[0].first, "$filter");
    EXPECT_EQ(opts[1].first, "$select");
    EXPECT_EQ(opts[1].second, "ResourceID,Name,Active,Obsolete");
    EXPECT_EQ(literal_after(opts[0].second, "Name eq "), "WKS-" + name) << opts[0].second;
  }
}

TEST_F(AdminServiceInjectionTest, UsersAreOneLiteralOfTheRelationshipFilter) {
  for (const auto& name : hostile()) {
    SCOPED_TRACE(name);
    const std::string user = "CONTOSO\\" + name;
    auto r = run(provider_->find_relationship(16777220, user));
    EXPECT_EQ(r.status.outcome, CallOutcome::Ok) << r.status.detail;
    EXPECT_FALSE(r.relationship);
    const auto opts = options_of(last().url);
    ASSERT_EQ(opts.size(), 1U) << last().url;
    EXPECT_EQ(opts[0].first, "$filter");
    EXPECT_EQ(literal_after(opts[0].second, "ResourceID eq 16777220 and UniqueUserName eq "), user)
        << opts[0].second;
  }
}

TEST_F(AdminServiceInjectionTest, UpnsAreOneLiteralOfTheUserFilter) {
  for (const auto& name : hostile()) {
    SCOPED_TRACE(name);
    const std::string upn = name + "@contoso.com";
    auto r = run(provider_->resolve_user(upn));
    (void)r;
    const auto opts = options_of(last().url);
    ASSERT_GE(opts.size(), 1U) << last().url;
    EXPECT_EQ(opts[0].first, "$filter");
    EXPECT_EQ(literal_after(opts[0].second, "UserPrincipalName eq "), upn) << opts[0].second;
    for (const auto& [k, v] : opts) EXPECT_EQ(k.rfind("$", 0), 0U) << k;
  }
}

TEST_F(AdminServiceInjectionTest, CreateSendsTheUserAsAJsonStringAndNothingElse) {
  for (const auto& name : hostile()) {
    SCOPED_TRACE(name);
    RelationshipRequest req{16777222, "CONTOSO\\" + name, SourceId::Osd, TypeId::Primary, "t"};
    auto r = run(provider_->create_relationship(req));
    EXPECT_EQ(r.status.outcome, CallOutcome::Ok) << r.status.detail;
    const auto sent = last();
    EXPECT_EQ(sent.url,
              "https://sccm01.contoso.com/AdminService/wmi/"
              "SMS_UserMachineRelationship.CreateRelationship");
    const auto body = nlohmann::json::parse(sent.body, nullptr, false);
    ASSERT_TRUE(body.is_object()) << sent.body;
    EXPECT_EQ(body.size(), 4U) << sent.body;
    EXPECT_EQ(body["UserAccountName"], "CONTOSO\\" + name);
    EXPECT_EQ(body["MachineResourceId"], 16777222);
  }
}

}  // namespace
}  // namespace uda::adminservice
