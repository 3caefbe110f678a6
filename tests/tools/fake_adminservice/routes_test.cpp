#include "fake_adminservice/routes.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <nlohmann/json.hpp>

#include "providers/simulated/options.hpp"
#include "temp_dir.hpp"

namespace uda::fake {
namespace {

using Json = nlohmann::json;

constexpr const char* kCreatePath =
    "/AdminService/wmi/SMS_UserMachineRelationship.CreateRelationship";

class FixedTime final : public TimeSource {
 public:
  [[nodiscard]] TimePoint now() const override { return from_unix_ms(1'800'000'000'000); }
};

class FakeRoutes : public ::testing::Test {
 protected:
  void SetUp() override {
    auto fx = load_fixture(std::filesystem::path(UDA_SOURCE_DIR) / "tests/data/sites/small.yaml");
    ASSERT_TRUE(fx) << fx.error().message;
    auto s = SimulatedSite::open(dir.path() / "site.db", *fx, time);
    ASSERT_TRUE(s) << s.error().message;
    site = std::move(*s);
    RouteOptions o;
    o.base_url = "https://sms.contoso.com";
    o.fail_users = {"CONTOSO\\svc_deploy"};
    o.fail_machines = {"KIOSK-01", "16777226"};
    routes = std::make_unique<AdminServiceRoutes>(*site, o);
  }

  RouteResponse get(const std::string& target) {
    RouteRequest r;
    r.method = "GET";
    r.target = target;
    return routes->handle(r);
  }

  RouteResponse post(const std::string& body, const std::string& content_type = "application/json",
                     const std::string& target = kCreatePath) {
    RouteRequest r;
    r.method = "POST";
    r.target = target;
    r.body = body;
    r.content_type = content_type;
    r.request_id = "req-1";
    return routes->handle(r);
  }

  static Json json(const RouteResponse& r) {
    auto j = Json::parse(r.body, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.body;
    return j;
  }

  // The value array of a 200 answer.
  static Json rows(const RouteResponse& r) {
    EXPECT_EQ(r.status, 200U) << r.body;
    auto j = json(r);
    EXPECT_TRUE(j.contains("@odata.context")) << r.body;
    EXPECT_TRUE(j["value"].is_array()) << r.body;
    return j["value"];
  }

  static void expect_error(const RouteResponse& r, unsigned status, const std::string& code,
                           const std::string& message_part) {
    EXPECT_EQ(r.status, status) << r.body;
    auto j = json(r);
    ASSERT_TRUE(j.contains("error")) << r.body;
    EXPECT_EQ(j["error"]["code"], code) << r.body;
    EXPECT_TRUE(j["error"]["message"].is_string());
    EXPECT_NE(j["error"]["message"].get<std::string>().find(message_part), std::string::npos)
        << r.body;
  }

  test::TempDir dir;
  FixedTime time;
  std::unique_ptr<SimulatedSite> site;
  std::unique_ptr<AdminServiceRoutes> routes;
};

// ---- CreateRelationship ----

TEST_F(FakeRoutes, CreateRelationshipAppliesTheEffect) {
  const auto r = post(
      R"({"MachineResourceId":16777220,"UserAccountName":"CONTOSO\\jdoe","SourceId":6,"TypeId":1})");
  EXPECT_EQ(r.status, 201U) << r.body;
  const auto j = json(r);
  EXPECT_TRUE(j["ReturnValue"].is_number_integer());
  EXPECT_EQ(j["ReturnValue"], 0);
  EXPECT_EQ(j["@odata.context"],
            "https://sms.contoso.com/AdminService/wmi/"
            "$metadata#SMS_UserMachineRelationship.CreateRelationship");
  EXPECT_EQ(*site->effect_count(16777220, "CONTOSO\\jdoe", 6), 1);
  auto e = site->effects();
  ASSERT_TRUE(e);
  EXPECT_EQ(e->back().trigger_id, "req-1");

  // Again: still 201, no second effect; charset in the content type is fine.
  const auto again = post(
      R"({"TypeId":1,"SourceId":6,"UserAccountName":"contoso\\JDOE","MachineResourceId":16777220})",
      "application/json; charset=utf-8");
  EXPECT_EQ(again.status, 201U) << again.body;
  EXPECT_EQ(*site->effect_count(16777220, "CONTOSO\\jdoe", 6), 1);
  // No Content-Type at all is accepted too.
  EXPECT_EQ(post(R"({"MachineResourceId":16777220,"UserAccountName":"CONTOSO\\jdoe",)"
                 R"("SourceId":4,"TypeId":1})",
                 "")
                .status,
            201U);
}

struct BadBody {
  std::string body;
  std::string message;
};
void PrintTo(const BadBody& b, std::ostream* os) {
  *os << b.body;
}

class FakeRoutesBadBody : public FakeRoutes, public ::testing::WithParamInterface<BadBody> {};

TEST_P(FakeRoutesBadBody, Is400AndAppliesNothing) {
  expect_error(post(GetParam().body), 400, "BadRequest", GetParam().message);
  auto e = site->effects();
  ASSERT_TRUE(e);
  EXPECT_TRUE(e->empty());
}

INSTANTIATE_TEST_SUITE_P(
    Cases, FakeRoutesBadBody,
    ::testing::Values(
        BadBody{R"({"MachineResourceId":"16777220","UserAccountName":"CONTOSO\\jdoe",)"
                R"("SourceId":6,"TypeId":1})",
                "MachineResourceId must be a JSON number (an integer 0..4294967295), got "
                "\"16777220\""},
        BadBody{R"({"MachineResourceId":16777220,"UserAccountName":"CONTOSO\\jdoe",)"
                R"("SourceId":"6","TypeId":1})",
                "SourceId must be a JSON number"},
        BadBody{R"({"MachineResourceId":16777220,"UserAccountName":"CONTOSO\\jdoe",)"
                R"("SourceId":6,"TypeId":1.0})",
                "TypeId must be a JSON number (an integer 0..4294967295), got 1.0"},
        BadBody{R"({"MachineResourceId":-1,"UserAccountName":"CONTOSO\\jdoe",)"
                R"("SourceId":6,"TypeId":1})",
                "MachineResourceId must be a JSON number"},
        BadBody{R"({"MachineResourceId":4294967296,"UserAccountName":"CONTOSO\\jdoe",)"
                R"("SourceId":6,"TypeId":1})",
                "MachineResourceId must be a JSON number"},
        BadBody{R"({"MachineResourceId":null,"UserAccountName":"CONTOSO\\jdoe",)"
                R"("SourceId":6,"TypeId":1})",
                "got null"},
        BadBody{R"({"MachineResourceId":16777220,"UserAccountName":7,"SourceId":6,"TypeId":1})",
                "UserAccountName must be a JSON string, got 7"},
        BadBody{R"({"MachineResourceId":16777220,"UserAccountName":"CONTOSO\\jdoe",)"
                R"("SourceId":6})",
                "missing field 'TypeId'"},
        BadBody{R"({"MachineResourceId":16777220,"UserAccountName":"CONTOSO\\jdoe",)"
                R"("SourceId":6,"TypeId":1,"Force":true})",
                "unknown field 'Force'"},
        BadBody{R"({"machineResourceId":16777220,"UserAccountName":"CONTOSO\\jdoe",)"
                R"("SourceId":6,"TypeId":1})",
                "unknown field 'machineResourceId'"},
        BadBody{R"([16777220,"CONTOSO\\jdoe",6,1])", "the body must be a JSON object"},
        BadBody{R"("hello")", "the body must be a JSON object"},
        BadBody{"", "the body is not valid JSON"},
        BadBody{"{\"MachineResourceId\":16777220,", "the body is not valid JSON"},
        // Site errors that are the caller's fault.
        BadBody{R"({"MachineResourceId":16777220,"UserAccountName":"jdoe@contoso.com",)"
                R"("SourceId":6,"TypeId":1})",
                "0x80041008 WBEM_E_INVALID_PARAMETER: UserAccountName 'jdoe@contoso.com' is a UPN"},
        BadBody{R"({"MachineResourceId":16777220,"UserAccountName":"CONTOSO\\nobody",)"
                R"("SourceId":6,"TypeId":1})",
                "no such user"},
        BadBody{R"({"MachineResourceId":16777220,"UserAccountName":"CONTOSO\\jdoe",)"
                R"("SourceId":0,"TypeId":1})",
                "SourceId 0 is not one of 1..9"},
        BadBody{R"({"MachineResourceId":16777220,"UserAccountName":"CONTOSO\\jdoe",)"
                R"("SourceId":6,"TypeId":2})",
                "TypeId 2 is not supported"}),
    [](const auto& param_info) { return "Case" + std::to_string(param_info.index); });

TEST_F(FakeRoutes, CreateRelationshipStatusMapping) {
  expect_error(post(R"({"MachineResourceId":16777299,"UserAccountName":"CONTOSO\\jdoe",)"
                    R"("SourceId":6,"TypeId":1})"),
               404, "NotFound", "0x80041002 WBEM_E_NOT_FOUND: no device with ResourceID 16777299");
  expect_error(post(R"({"MachineResourceId":16777224,"UserAccountName":"CONTOSO\\jdoe",)"
                    R"("SourceId":6,"TypeId":1})"),
               404, "NotFound", "is not active");
  expect_error(post(R"({"MachineResourceId":16777220,"UserAccountName":"contoso\\SVC_DEPLOY",)"
                    R"("SourceId":6,"TypeId":1})"),
               403, "Forbidden", "0x80041003 WBEM_E_ACCESS_DENIED: access denied for");
  expect_error(post(R"({"MachineResourceId":16777225,"UserAccountName":"CONTOSO\\jdoe",)"
                    R"("SourceId":6,"TypeId":1})"),
               403, "Forbidden", "(fail_machines)");  // KIOSK-01 by name
  expect_error(post(R"({"MachineResourceId":16777226,"UserAccountName":"CONTOSO\\jdoe",)"
                    R"("SourceId":6,"TypeId":1})"),
               403, "Forbidden", "(fail_machines)");  // by ResourceID
  expect_error(post("{}", "text/plain"), 415, "UnsupportedMediaType", "text/plain");
  auto e = site->effects();
  ASSERT_TRUE(e);
  EXPECT_TRUE(e->empty());
}

TEST_F(FakeRoutes, ReadOnlySiteIsAccessDenied) {
  auto reader = SimulatedSite::open_read_only(dir.path() / "site.db");
  ASSERT_TRUE(reader) << reader.error().message;
  AdminServiceRoutes ro(**reader, {});
  RouteRequest r;
  r.method = "POST";
  r.target = kCreatePath;
  r.body =
      R"({"MachineResourceId":16777220,"UserAccountName":"CONTOSO\\jdoe","SourceId":6,"TypeId":1})";
  expect_error(ro.handle(r), 403, "Forbidden", "read-only");
}

TEST_F(FakeRoutes, SiteStorageTroubleIs500) {
  // Another connection breaks the state under the site's feet.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir.path() / "site.db").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "DROP TABLE effects", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  expect_error(post(R"({"MachineResourceId":16777220,"UserAccountName":"CONTOSO\\jdoe",)"
                    R"("SourceId":6,"TypeId":1})"),
               500, "InternalServerError", "0x80041001 WBEM_E_FAILED: simulated site storage");
  ASSERT_EQ(sqlite3_open((dir.path() / "site.db").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "DROP TABLE console_usage", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  expect_error(get("/AdminService/wmi/SMS_G_System_SYSTEM_CONSOLE_USER"), 500,
               "InternalServerError", "storage");
}

// ---- SMS_UserMachineRelationship ----

TEST_F(FakeRoutes, FindRelationshipByDeviceAndUser) {
  auto v =
      rows(get("/AdminService/wmi/SMS_UserMachineRelationship?$filter=ResourceID%20eq%2016777221"
               "%20and%20UniqueUserName%20eq%20%27contoso%5CJDOE%27"));
  ASSERT_EQ(v.size(), 1U);
  const auto& row = v[0];
  EXPECT_TRUE(row["RelationshipResourceID"].is_number_integer());
  EXPECT_TRUE(row["ResourceID"].is_number_integer());
  EXPECT_EQ(row["ResourceID"], 16777221);
  EXPECT_EQ(row["UniqueUserName"], "CONTOSO\\jdoe");
  EXPECT_EQ(row["Sources"], Json::array({2}));
  EXPECT_EQ(row["Types"], Json::array({1}));
  EXPECT_TRUE(row["IsActive"].is_boolean());
  EXPECT_EQ(row["IsActive"], true);

  auto none =
      rows(get("/AdminService/wmi/SMS_UserMachineRelationship?$filter=ResourceID eq "
               "16777220 and UniqueUserName eq 'CONTOSO\\jdoe'"));
  EXPECT_TRUE(none.empty());
  auto inactive =
      rows(get("/AdminService/wmi/SMS_UserMachineRelationship?$filter=ResourceID eq "
               "16777225"));
  ASSERT_EQ(inactive.size(), 1U);
  EXPECT_EQ(inactive[0]["IsActive"], false);
  EXPECT_EQ(inactive[0]["Sources"], Json::array({6, 4}));
  auto active_only =
      rows(get("/AdminService/wmi/SMS_UserMachineRelationship?$filter=IsActive "
               "eq true"));
  EXPECT_EQ(active_only.size(), 1U);
  auto all = rows(get("/AdminService/wmi/SMS_UserMachineRelationship"));
  EXPECT_EQ(all.size(), 2U);
  auto huge =
      rows(get("/AdminService/wmi/SMS_UserMachineRelationship?$filter=ResourceID eq "
               "99999999999"));
  EXPECT_TRUE(huge.empty());
}

TEST_F(FakeRoutes, CreatedRelationshipIsFoundAfterwards) {
  ASSERT_EQ(post(R"({"MachineResourceId":16777220,"UserAccountName":"FABRIKAM\\bob",)"
                 R"("SourceId":4,"TypeId":1})")
                .status,
            201U);
  auto v =
      rows(get("/AdminService/wmi/SMS_UserMachineRelationship?$filter=UniqueUserName eq "
               "'fabrikam\\BOB'"));
  ASSERT_EQ(v.size(), 1U);
  EXPECT_EQ(v[0]["UniqueUserName"], "FABRIKAM\\Bob");
  EXPECT_EQ(v[0]["Sources"], Json::array({4}));
}

// ---- SMS_R_System ----

TEST_F(FakeRoutes, SystemByKey) {
  auto v = rows(get("/AdminService/wmi/SMS_R_System(16777220)"));
  ASSERT_EQ(v.size(), 1U);
  EXPECT_EQ(v[0],
            Json::parse(R"({"ResourceID":16777220,"Name":"WKS-0001","Active":1,"Obsolete":0})"));
  auto old = rows(get("/AdminService/wmi/SMS_R_System%2816777224%29"));
  ASSERT_EQ(old.size(), 1U);
  EXPECT_EQ(old[0]["Active"], 0);
  EXPECT_EQ(old[0]["Obsolete"], 1);
  auto sel = rows(get("/AdminService/wmi/SMS_R_System(16777220)?$select=Name"));
  EXPECT_EQ(sel[0], Json::parse(R"({"Name":"WKS-0001"})"));
  EXPECT_EQ(json(get("/AdminService/wmi/SMS_R_System(16777220)?$select=Name"))["@odata.context"],
            "https://sms.contoso.com/AdminService/wmi/$metadata#SMS_R_System(Name)");
  expect_error(get("/AdminService/wmi/SMS_R_System(16777299)"), 404, "NotFound",
               "SMS_R_System(16777299) does not exist");
  expect_error(get("/AdminService/wmi/SMS_R_System(WKS-0001)"), 400, "BadRequest",
               "'WKS-0001' is not a ResourceID");
  expect_error(get("/AdminService/wmi/SMS_R_System()"), 400, "BadRequest", "is not a ResourceID");
  expect_error(get("/AdminService/wmi/SMS_R_System(16777220)?$top=1"), 400, "BadRequest",
               "takes $select only");
  expect_error(get("/AdminService/wmi/SMS_R_User(1)"), 404, "NotFound", "no route");
}

TEST_F(FakeRoutes, SystemsByNameActiveOrNot) {
  auto v =
      rows(get("/AdminService/wmi/SMS_R_System?$filter=Name%20eq%20%27wks-0003%27"
               "&$select=ResourceID,Name,Active,Obsolete"));
  ASSERT_EQ(v.size(), 2U);
  EXPECT_EQ(v[0],
            Json::parse(R"({"ResourceID":16777226,"Name":"WKS-0003","Active":1,"Obsolete":0})"));
  EXPECT_EQ(v[1],
            Json::parse(R"({"ResourceID":16777227,"Name":"WKS-0003","Active":0,"Obsolete":1})"));
  auto lab =
      rows(get("/AdminService/wmi/SMS_R_System?$filter=Name eq 'LAB-01'&$select=ResourceID"));
  ASSERT_EQ(lab.size(), 2U);
  EXPECT_EQ(lab[1], Json::parse(R"({"ResourceID":16777223})"));
  auto active =
      rows(get("/AdminService/wmi/SMS_R_System?$filter=Name eq 'WKS-0003' and Active eq 1"));
  EXPECT_EQ(active.size(), 1U);
  EXPECT_TRUE(rows(get("/AdminService/wmi/SMS_R_System?$filter=Name eq 'nope'")).empty());
  EXPECT_EQ(rows(get("/AdminService/wmi/SMS_R_System")).size(), 8U);
  auto top = rows(get("/AdminService/wmi/SMS_R_System?$orderby=ResourceID desc&$top=2"));
  ASSERT_EQ(top.size(), 2U);
  EXPECT_EQ(top[0]["ResourceID"], 16777227);
  auto by_id = rows(get("/AdminService/wmi/SMS_R_System?$filter=ResourceID eq 16777221"));
  ASSERT_EQ(by_id.size(), 1U);
  EXPECT_EQ(by_id[0]["Name"], "WKS-0002");
  auto after = rows(get("/AdminService/wmi/SMS_R_System?$filter=ResourceID gt 16777225"));
  EXPECT_EQ(after.size(), 2U);
}

// ---- SMS_R_User ----

TEST_F(FakeRoutes, UsersByUpn) {
  auto v =
      rows(get("/AdminService/wmi/SMS_R_User?$filter=UserPrincipalName%20eq%20"
               "%27JDOE%40contoso.com%27&$select=UniqueUserName,UserPrincipalName"));
  ASSERT_EQ(v.size(), 1U);
  EXPECT_EQ(
      v[0],
      Json::parse(R"({"UniqueUserName":"CONTOSO\\jdoe","UserPrincipalName":"jdoe@contoso.com"})"));
  EXPECT_TRUE(rows(get("/AdminService/wmi/SMS_R_User?$filter=UserPrincipalName eq "
                       "'nobody@contoso.com'"))
                  .empty());
  auto svc =
      rows(get("/AdminService/wmi/SMS_R_User?$filter=UniqueUserName eq 'contoso\\svc_deploy'"));
  ASSERT_EQ(svc.size(), 1U);
  EXPECT_TRUE(svc[0]["UserPrincipalName"].is_null());
  EXPECT_EQ(rows(get("/AdminService/wmi/sms_r_user")).size(), 4U) << "class names ignore case";
}

// ---- SMS_G_System_SYSTEM_CONSOLE_USER ----

TEST_F(FakeRoutes, ConsoleUsageRowsAndTypes) {
  auto v =
      rows(get("/AdminService/wmi/SMS_G_System_SYSTEM_CONSOLE_USER?$filter=ResourceID eq "
               "16777220"));
  ASSERT_EQ(v.size(), 2U);
  EXPECT_EQ(v[0]["SystemConsoleUser"], "CONTOSO\\asmith");
  const auto& jdoe = v[1];
  EXPECT_EQ(jdoe, Json::parse(R"({"ResourceID":16777220,"SystemConsoleUser":"CONTOSO\\jdoe",)"
                              R"("TotalUserConsoleMinutes":3120,"NumberOfConsoleLogons":14,)"
                              R"("LastConsoleUse":"2026-11-20T08:12:00Z"})"));
  EXPECT_TRUE(jdoe["TotalUserConsoleMinutes"].is_number_integer());
  EXPECT_TRUE(jdoe["NumberOfConsoleLogons"].is_number_integer());
  auto bob =
      rows(get("/AdminService/wmi/SMS_G_System_SYSTEM_CONSOLE_USER?$filter=ResourceID eq "
               "16777225"));
  ASSERT_EQ(bob.size(), 1U);
  EXPECT_TRUE(bob[0]["LastConsoleUse"].is_null());
  ASSERT_TRUE(
      site->upsert_usage({16777227, "CONTOSO\\jdoe", 12.5, 1, from_unix_ms(1'800'000'000'123)}));
  auto frac =
      rows(get("/AdminService/wmi/SMS_G_System_SYSTEM_CONSOLE_USER?$filter=ResourceID eq "
               "16777227"));
  ASSERT_EQ(frac.size(), 1U);
  EXPECT_DOUBLE_EQ(frac[0]["TotalUserConsoleMinutes"].get<double>(), 12.5);
  EXPECT_EQ(frac[0]["LastConsoleUse"], "2027-01-15T08:00:00.123Z");
}

TEST_F(FakeRoutes, ConsoleUsagePagesByRowsWithTop) {
  // Plain OData $top: at most that many rows; a device may be split across pages.
  std::vector<std::pair<int, std::string>> seen;
  std::int64_t after = 0;
  std::vector<std::size_t> sizes;
  for (int guard = 0; guard < 10; ++guard) {
    auto v =
        rows(get("/AdminService/wmi/SMS_G_System_SYSTEM_CONSOLE_USER?$filter=ResourceID%20gt%20" +
                 std::to_string(after) + "&$orderby=ResourceID&$top=1"));
    sizes.push_back(v.size());
    if (v.empty()) break;
    for (const auto& r : v) seen.emplace_back(r["ResourceID"].get<int>(), r["SystemConsoleUser"]);
    after = v.back()["ResourceID"].get<std::int64_t>();
  }
  // $top=1 with gt skips WKS-0001's second row: the client must handle a split device.
  EXPECT_EQ(sizes, (std::vector<std::size_t>{1, 1, 1, 1, 1, 0}));
  EXPECT_EQ(seen.front(), (std::pair<int, std::string>{16777220, "CONTOSO\\asmith"}));

  auto three =
      rows(get("/AdminService/wmi/SMS_G_System_SYSTEM_CONSOLE_USER?$filter=ResourceID gt "
               "16777220&$orderby=ResourceID&$top=3"));
  ASSERT_EQ(three.size(), 3U);
  EXPECT_EQ(three[0]["ResourceID"], 16777221);
  EXPECT_EQ(three[2]["ResourceID"], 16777225);
  auto all = rows(get("/AdminService/wmi/SMS_G_System_SYSTEM_CONSOLE_USER"));
  EXPECT_EQ(all.size(), 6U);
  auto desc =
      rows(get("/AdminService/wmi/SMS_G_System_SYSTEM_CONSOLE_USER?$orderby=ResourceID "
               "desc&$top=1"));
  ASSERT_EQ(desc.size(), 1U);
  EXPECT_EQ(desc[0]["ResourceID"], 16777226);
  auto user =
      rows(get("/AdminService/wmi/SMS_G_System_SYSTEM_CONSOLE_USER?$filter=SystemConsoleUser "
               "eq 'contoso\\jdoe' and ResourceID gt 16777220&$top=1"));
  ASSERT_EQ(user.size(), 1U);
  EXPECT_EQ(user[0]["ResourceID"], 16777221);
  auto minutes =
      rows(get("/AdminService/wmi/SMS_G_System_SYSTEM_CONSOLE_USER?$filter="
               "TotalUserConsoleMinutes gt 2880"));
  EXPECT_EQ(minutes.size(), 3U);
  auto clash =
      rows(get("/AdminService/wmi/SMS_G_System_SYSTEM_CONSOLE_USER?$filter=ResourceID eq "
               "16777220 and ResourceID gt 16777220"));
  EXPECT_TRUE(clash.empty());
  auto top0 = rows(get("/AdminService/wmi/SMS_G_System_SYSTEM_CONSOLE_USER?$top=0"));
  EXPECT_TRUE(top0.empty());
}

// ---- errors ----

TEST_F(FakeRoutes, UnknownRoutesAre404) {
  expect_error(get("/AdminService/wmi/SMS_Nothing"), 404, "NotFound", "no route for GET");
  expect_error(get("/AdminService/v1.0/Device"), 404, "NotFound", "no route");
  expect_error(get("/"), 404, "NotFound", "no route");
  expect_error(get(kCreatePath), 404, "NotFound", "no route");
  expect_error(post("{}", "application/json", "/AdminService/wmi/SMS_R_System"), 404, "NotFound",
               "no route for POST");
  RouteRequest del;
  del.method = "DELETE";
  del.target = "/AdminService/wmi/SMS_R_System(16777220)";
  expect_error(routes->handle(del), 404, "NotFound", "no route for DELETE");
}

TEST_F(FakeRoutes, UnsupportedQueriesAre400) {
  expect_error(get("/AdminService/wmi/SMS_R_System?$filter=Name ne 'x'"), 400, "BadRequest",
               "unsupported filter: operator 'ne'");
  expect_error(get("/AdminService/wmi/SMS_R_System?$filter=startswith(Name,'WKS')"), 400,
               "BadRequest", "unsupported filter");
  expect_error(get("/AdminService/wmi/SMS_R_System?$filter=Nmae eq 'x'"), 400, "BadRequest",
               "unsupported filter: SMS_R_System has no property 'Nmae'");
  expect_error(get("/AdminService/wmi/SMS_R_System?$filter=ResourceID eq '16777220'"), 400,
               "BadRequest",
               "unsupported filter: ResourceID eq '16777220': the value has the wrong");
  expect_error(get("/AdminService/wmi/SMS_R_System?$filter=Name gt 'A'"), 400, "BadRequest",
               "unsupported filter: gt works on numbers only (Name)");
  expect_error(get("/AdminService/wmi/SMS_UserMachineRelationship?$filter=Sources eq 6"), 400,
               "BadRequest", "Sources cannot be filtered on");
  expect_error(get("/AdminService/wmi/SMS_R_System?$select=Nope"), 400, "BadRequest",
               "$select: SMS_R_System has no property 'Nope'");
  expect_error(get("/AdminService/wmi/SMS_R_System?$orderby=Nope"), 400, "BadRequest",
               "$orderby: SMS_R_System has no property 'Nope'");
  expect_error(get("/AdminService/wmi/SMS_R_System?$skip=5"), 400, "BadRequest",
               "'$skip' is not supported");
}

}  // namespace
}  // namespace uda::fake
