#include "providers/simulated/site.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>

#include "providers/simulated/wmi_codes.hpp"
#include "test_support.hpp"

namespace uda {
namespace {

using test::FakeTime;
using test::TempDir;

constexpr std::uint32_t kWks1 = 16777220;
constexpr std::uint32_t kWks2 = 16777221;   // jdoe, Administrator (from the fixture)
constexpr std::uint32_t kOld = 16777224;    // inactive
constexpr std::uint32_t kKiosk = 16777225;  // asmith, inactive relationship

std::unique_ptr<SimulatedSite> open_memory(const TimeSource& time) {
  auto s = SimulatedSite::open({}, test::fixture(), time);
  EXPECT_TRUE(s) << s.error().message;
  return s ? std::move(*s) : nullptr;
}

std::vector<std::uint32_t> numbers(const std::vector<SourceId>& v) {
  std::vector<std::uint32_t> out;
  for (auto s : v) out.push_back(static_cast<std::uint32_t>(s));
  return out;
}

class SimulatedSiteTest : public ::testing::Test {
 protected:
  FakeTime time;
  std::unique_ptr<SimulatedSite> site = open_memory(time);

  std::size_t effect_rows() {
    auto e = site->effects();
    EXPECT_TRUE(e);
    return e ? e->size() : 0;
  }
};

TEST_F(SimulatedSiteTest, CreatesANewRelationship) {
  auto r = site->create_relationship(kWks1, "CONTOSO\\asmith", 6, 1, "t-1");
  ASSERT_EQ(r.status.outcome, CallOutcome::Ok) << r.status.detail;
  EXPECT_EQ(r.code, 0U);
  EXPECT_FALSE(r.already_existed);
  ASSERT_TRUE(r.effect);
  EXPECT_EQ(*r.effect, EffectKind::Created);

  auto f = site->find_relationship(kWks1, "CONTOSO\\asmith");
  ASSERT_EQ(f.status.outcome, CallOutcome::Ok);
  ASSERT_TRUE(f.relationship);
  EXPECT_EQ(f.relationship->resource_id, kWks1);
  EXPECT_EQ(f.relationship->unique_user_name, "CONTOSO\\asmith");
  EXPECT_EQ(numbers(f.relationship->sources), std::vector<std::uint32_t>{6});
  EXPECT_EQ(f.relationship->types, std::vector<std::uint32_t>{1});
  EXPECT_TRUE(f.relationship->is_active);
  EXPECT_TRUE(f.relationship->has_type(TypeId::Primary));
  EXPECT_GT(f.relationship->relationship_resource_id, 0);
}

TEST_F(SimulatedSiteTest, SameCallAgainIsNoChangeAndAlreadyExisted) {
  ASSERT_EQ(site->create_relationship(kWks1, "CONTOSO\\asmith", 6, 1).status.outcome,
            CallOutcome::Ok);
  auto again = site->create_relationship(kWks1, "CONTOSO\\asmith", 6, 1);
  ASSERT_EQ(again.status.outcome, CallOutcome::Ok);
  EXPECT_TRUE(again.already_existed);
  EXPECT_EQ(again.effect, EffectKind::NoChange);
  auto all = site->list_relationships(kWks1);
  ASSERT_TRUE(all);
  EXPECT_EQ(all->size(), 1U);
  EXPECT_EQ(numbers(all->front().sources), std::vector<std::uint32_t>{6});
}

TEST_F(SimulatedSiteTest, OtherSourceIsAddedToTheExistingRow) {
  auto r = site->create_relationship(kWks2, "CONTOSO\\jdoe", 4, 1);  // fixture row: source 2
  ASSERT_EQ(r.status.outcome, CallOutcome::Ok) << r.status.detail;
  EXPECT_TRUE(r.already_existed);
  EXPECT_EQ(r.effect, EffectKind::SourceAdded);
  auto f = site->find_relationship(kWks2, "CONTOSO\\jdoe");
  ASSERT_TRUE(f.relationship);
  EXPECT_EQ(numbers(f.relationship->sources), (std::vector<std::uint32_t>{2, 4}));
  auto all = site->list_relationships(kWks2);
  ASSERT_TRUE(all);
  EXPECT_EQ(all->size(), 1U);
}

TEST_F(SimulatedSiteTest, UserMatchingIsCaseInsensitiveAndKeepsTheSiteSpelling) {
  auto r = site->create_relationship(kWks2, "contoso\\JDOE", 2, 1, "t-case");
  ASSERT_EQ(r.status.outcome, CallOutcome::Ok) << r.status.detail;
  EXPECT_TRUE(r.already_existed);
  EXPECT_EQ(r.effect, EffectKind::NoChange);

  auto c = site->create_relationship(kWks1, "fabrikam\\bob", 5, 1);
  ASSERT_EQ(c.status.outcome, CallOutcome::Ok) << c.status.detail;
  auto f = site->find_relationship(kWks1, "FABRIKAM\\BOB");
  ASSERT_TRUE(f.relationship);
  EXPECT_EQ(f.relationship->unique_user_name, "FABRIKAM\\Bob");
  auto e = site->effects();
  ASSERT_TRUE(e);
  ASSERT_EQ(e->size(), 2U);
  EXPECT_EQ(e->back().unique_user_name, "FABRIKAM\\Bob");
  EXPECT_EQ(*site->effect_count(kWks1, "fabrikam\\BOB", 5), 1);
}

TEST_F(SimulatedSiteTest, InactiveRelationshipIsReactivated) {
  auto before = site->find_relationship(kKiosk, "CONTOSO\\asmith");
  ASSERT_TRUE(before.relationship);
  EXPECT_FALSE(before.relationship->is_active);
  auto r = site->create_relationship(kKiosk, "CONTOSO\\asmith", 6, 1);  // OSD already there
  ASSERT_EQ(r.status.outcome, CallOutcome::Ok) << r.status.detail;
  EXPECT_TRUE(r.already_existed);
  EXPECT_EQ(r.effect, EffectKind::SourceAdded);
  auto after = site->find_relationship(kKiosk, "CONTOSO\\asmith");
  ASSERT_TRUE(after.relationship);
  EXPECT_TRUE(after.relationship->is_active);
  EXPECT_EQ(numbers(after.relationship->sources), (std::vector<std::uint32_t>{6, 4}));
}

struct BadCall {
  std::uint32_t machine;
  std::string user;
  std::uint32_t source;
  std::uint32_t type;
  std::uint32_t code;
  std::string detail;  // prefix of status.detail
};
void PrintTo(const BadCall& b, std::ostream* os) {
  *os << b.detail;
}

class SimulatedSiteRejects : public SimulatedSiteTest,
                             public ::testing::WithParamInterface<BadCall> {};

TEST_P(SimulatedSiteRejects, PermanentlyWithTheWmiCode) {
  const auto& c = GetParam();
  auto r = site->create_relationship(c.machine, c.user, c.source, c.type, "t-bad");
  EXPECT_EQ(r.status.outcome, CallOutcome::Fail) << r.status.detail;
  EXPECT_EQ(r.code, c.code);
  EXPECT_FALSE(r.status.ambiguous);
  EXPECT_FALSE(r.effect);
  EXPECT_EQ(r.status.detail.substr(0, c.detail.size()), c.detail) << r.status.detail;
  EXPECT_EQ(effect_rows(), 0U) << "a rejected call must leave no trace";
  auto rels = site->list_relationships();
  ASSERT_TRUE(rels);
  EXPECT_EQ(rels->size(), 2U) << "only the fixture's rows";
}

INSTANTIATE_TEST_SUITE_P(
    Cases, SimulatedSiteRejects,
    ::testing::Values(
        BadCall{16777299, "CONTOSO\\jdoe", 6, 1, wmi::kNotFound,
                "0x80041002 WBEM_E_NOT_FOUND: no device with ResourceID 16777299"},
        BadCall{kOld, "CONTOSO\\jdoe", 6, 1, wmi::kNotFound,
                "0x80041002 WBEM_E_NOT_FOUND: device with ResourceID 16777224 (OLD-0001) is not "
                "active"},
        BadCall{kWks1, "jdoe@contoso.com", 6, 1, wmi::kInvalidParameter,
                "0x80041008 WBEM_E_INVALID_PARAMETER: UserAccountName 'jdoe@contoso.com' is a "
                "UPN"},
        BadCall{kWks1, "jdoe", 6, 1, wmi::kInvalidParameter,
                "0x80041008 WBEM_E_INVALID_PARAMETER: UserAccountName 'jdoe' is not in "
                "DOMAIN\\user form"},
        BadCall{kWks1, "", 6, 1, wmi::kInvalidParameter,
                "0x80041008 WBEM_E_INVALID_PARAMETER: UserAccountName ''"},
        BadCall{kWks1, "CONTOSO\\nobody", 6, 1, wmi::kInvalidParameter,
                "0x80041008 WBEM_E_INVALID_PARAMETER: UserAccountName 'CONTOSO\\nobody': no such "
                "user"},
        BadCall{kWks1, "FABRIKAM\\jdoe", 6, 1, wmi::kInvalidParameter,
                "0x80041008 WBEM_E_INVALID_PARAMETER: UserAccountName 'FABRIKAM\\jdoe': no such"},
        BadCall{kWks1, "CONTOSO\\jdoe", 0, 1, wmi::kInvalidParameter,
                "0x80041008 WBEM_E_INVALID_PARAMETER: SourceId 0 is not one of 1..9"},
        BadCall{kWks1, "CONTOSO\\jdoe", 10, 1, wmi::kInvalidParameter,
                "0x80041008 WBEM_E_INVALID_PARAMETER: SourceId 10"},
        BadCall{kWks1, "CONTOSO\\jdoe", 6, 2, wmi::kInvalidParameter,
                "0x80041008 WBEM_E_INVALID_PARAMETER: TypeId 2 is not supported"},
        BadCall{kWks1, "CONTOSO\\jdoe", 6, 0, wmi::kInvalidParameter,
                "0x80041008 WBEM_E_INVALID_PARAMETER: TypeId 0"}),
    [](const auto& param_info) { return "Case" + std::to_string(param_info.index); });

TEST_F(SimulatedSiteTest, EveryValidSourceIdIsAccepted) {
  for (std::uint32_t s = 1; s <= 9; ++s) {
    auto r = site->create_relationship(kWks1, "CONTOSO\\svc_deploy", s, 1);
    EXPECT_EQ(r.status.outcome, CallOutcome::Ok) << s << ": " << r.status.detail;
  }
  auto f = site->find_relationship(kWks1, "CONTOSO\\svc_deploy");
  ASSERT_TRUE(f.relationship);
  EXPECT_EQ(f.relationship->sources.size(), 9U);
}

TEST_F(SimulatedSiteTest, FindReturnsNothingForUnknownPairs) {
  auto f = site->find_relationship(kWks1, "CONTOSO\\jdoe");
  EXPECT_EQ(f.status.outcome, CallOutcome::Ok);
  EXPECT_FALSE(f.relationship);
  auto g = site->find_relationship(16777299, "CONTOSO\\jdoe");
  EXPECT_EQ(g.status.outcome, CallOutcome::Ok);
  EXPECT_FALSE(g.relationship);
}

TEST_F(SimulatedSiteTest, EffectsLogRecordsEveryAcceptedCallInOrder) {
  time.set(1'800'000'000'000);
  ASSERT_EQ(site->create_relationship(kWks1, "CONTOSO\\jdoe", 6, 1, "t-a").status.outcome,
            CallOutcome::Ok);
  time.advance(Millis(5));
  ASSERT_EQ(site->create_relationship(kWks1, "CONTOSO\\JDoe", 6, 1, "t-b").status.outcome,
            CallOutcome::Ok);
  ASSERT_EQ(site->create_relationship(kWks1, "CONTOSO\\jdoe", 4, 1, "t-c").status.outcome,
            CallOutcome::Ok);
  ASSERT_EQ(site->create_relationship(16777299, "CONTOSO\\jdoe", 4, 1, "t-d").status.outcome,
            CallOutcome::Fail);
  auto e = site->effects();
  ASSERT_TRUE(e);
  ASSERT_EQ(e->size(), 3U);
  EXPECT_EQ((*e)[0].trigger_id, "t-a");
  EXPECT_EQ((*e)[0].effect, EffectKind::Created);
  EXPECT_EQ((*e)[0].at, from_unix_ms(1'800'000'000'000));
  EXPECT_EQ((*e)[0].resource_id, kWks1);
  EXPECT_EQ((*e)[0].unique_user_name, "CONTOSO\\jdoe");
  EXPECT_EQ((*e)[0].source_id, 6U);
  EXPECT_EQ((*e)[0].type_id, 1U);
  EXPECT_EQ((*e)[1].trigger_id, "t-b");
  EXPECT_EQ((*e)[1].effect, EffectKind::NoChange);
  EXPECT_EQ((*e)[1].at, from_unix_ms(1'800'000'000'005));
  EXPECT_EQ((*e)[2].effect, EffectKind::SourceAdded);
  EXPECT_LT((*e)[0].id, (*e)[1].id);
  EXPECT_EQ(*site->effect_count(kWks1, "CONTOSO\\jdoe", 6), 1) << "no-change is not an effect";
  EXPECT_EQ(*site->effect_count(kWks1, "CONTOSO\\jdoe", 4), 1);
  EXPECT_EQ(*site->effect_count(kWks1, "CONTOSO\\jdoe", 5), 0);
  EXPECT_EQ(to_string(EffectKind::SourceAdded), "source-added");
}

TEST_F(SimulatedSiteTest, ResolveMachine) {
  auto one = site->resolve_machine("wks-0001");
  ASSERT_EQ(one.status.outcome, CallOutcome::Ok);
  EXPECT_EQ(one.resource_id, std::optional<std::uint32_t>(kWks1));

  auto none = site->resolve_machine("NO-SUCH-PC");
  EXPECT_EQ(none.status.outcome, CallOutcome::Ok);
  EXPECT_FALSE(none.resource_id);

  auto inactive_only = site->resolve_machine("OLD-0001");
  EXPECT_EQ(inactive_only.status.outcome, CallOutcome::Ok);
  EXPECT_FALSE(inactive_only.resource_id);

  auto reimaged = site->resolve_machine("WKS-0003");  // one active, one inactive record
  ASSERT_EQ(reimaged.status.outcome, CallOutcome::Ok);
  EXPECT_EQ(reimaged.resource_id, std::optional<std::uint32_t>(16777226));

  auto twice = site->resolve_machine("Lab-01");
  EXPECT_EQ(twice.status.outcome, CallOutcome::Fail);
  EXPECT_FALSE(twice.resource_id);
  EXPECT_NE(twice.status.detail.find("ambiguous name"), std::string::npos) << twice.status.detail;
  EXPECT_NE(twice.status.detail.find("16777222, 16777223"), std::string::npos);
}

TEST_F(SimulatedSiteTest, ListsDevicesUsersAndRelationships) {
  auto d = site->devices();
  ASSERT_TRUE(d);
  EXPECT_EQ(d->size(), 8U);
  auto u = site->users();
  ASSERT_TRUE(u);
  EXPECT_EQ(u->size(), 4U);
  auto one = site->device(kOld);
  ASSERT_TRUE(one && *one);
  EXPECT_EQ((*one)->name, "OLD-0001");
  EXPECT_FALSE((*one)->active);
  auto missing = site->device(1);
  ASSERT_TRUE(missing);
  EXPECT_FALSE(*missing);
  auto rels = site->list_relationships();
  ASSERT_TRUE(rels);
  ASSERT_EQ(rels->size(), 2U);
  EXPECT_EQ(rels->at(1).unique_user_name, "CONTOSO\\asmith") << "fixture's user spelling";
  EXPECT_EQ(numbers(rels->at(1).sources), (std::vector<std::uint32_t>{6, 4}));
  auto none = site->list_relationships(kWks1);
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
}

TEST(SimulatedSiteState, PersistsAcrossReopenAndSeedsOnlyOnce) {
  TempDir dir;
  FakeTime time;
  const auto path = dir.path() / "sub/site.db";
  {
    auto site = SimulatedSite::open(path, test::fixture(), time);
    ASSERT_TRUE(site) << site.error().message;
    ASSERT_EQ((*site)->create_relationship(kWks1, "CONTOSO\\jdoe", 6, 1, "t-1").status.outcome,
              CallOutcome::Ok);
  }
  // Reopen with another fixture: the state wins, the fixture is not applied again.
  SiteFixture other;
  other.devices.push_back({99, "OTHER", true});
  other.users.push_back({"OTHER\\x", ""});
  auto site = SimulatedSite::open(path, other, time);
  ASSERT_TRUE(site) << site.error().message;
  auto f = (*site)->find_relationship(kWks1, "CONTOSO\\jdoe");
  ASSERT_TRUE(f.relationship);
  auto devices = (*site)->devices();
  ASSERT_TRUE(devices);
  EXPECT_EQ(devices->size(), 8U);
  auto dev = (*site)->device(99);
  ASSERT_TRUE(dev);
  EXPECT_FALSE(*dev);
  auto again = (*site)->create_relationship(kWks1, "CONTOSO\\jdoe", 6, 1, "t-2");
  EXPECT_TRUE(again.already_existed);
  auto e = (*site)->effects();
  ASSERT_TRUE(e);
  EXPECT_EQ(e->size(), 2U);
}

TEST(SimulatedSiteState, ReadOnlyHandleSeesWritesOfAnotherHandle) {
  TempDir dir;
  FakeTime time;
  const auto path = dir.path() / "site.db";
  auto writer = SimulatedSite::open(path, test::fixture(), time);
  ASSERT_TRUE(writer) << writer.error().message;
  auto reader = SimulatedSite::open_read_only(path);
  ASSERT_TRUE(reader) << reader.error().message;
  EXPECT_TRUE((*reader)->read_only());
  auto before = (*reader)->list_relationships();
  ASSERT_TRUE(before);
  EXPECT_EQ(before->size(), 2U);

  ASSERT_EQ((*writer)->create_relationship(kWks1, "CONTOSO\\jdoe", 6, 1, "t-1").status.outcome,
            CallOutcome::Ok);
  auto after = (*reader)->list_relationships();
  ASSERT_TRUE(after);
  EXPECT_EQ(after->size(), 3U);
  EXPECT_TRUE((*reader)->find_relationship(kWks1, "contoso\\jdoe").relationship);
  EXPECT_EQ(*(*reader)->effect_count(kWks1, "CONTOSO\\jdoe", 6), 1);

  auto denied = (*reader)->create_relationship(kWks1, "CONTOSO\\asmith", 6, 1);
  EXPECT_EQ(denied.status.outcome, CallOutcome::Fail);
  EXPECT_EQ(denied.code, wmi::kAccessDenied);
  EXPECT_EQ((*writer)->list_relationships()->size(), 3U);
}

TEST(SimulatedSiteState, ReadOnlyOpenNeverCreates) {
  TempDir dir;
  auto missing = SimulatedSite::open_read_only(dir.path() / "none.db");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("no simulated site state yet"), std::string::npos)
      << missing.error().message;
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "none.db"));
  auto memory = SimulatedSite::open_read_only({});
  ASSERT_FALSE(memory);
  EXPECT_NE(memory.error().message.find("in memory"), std::string::npos);

  // An unrelated SQLite file is refused.
  std::ofstream(dir.path() / "junk.db") << "";
  auto junk = SimulatedSite::open_read_only(dir.path() / "junk.db");
  ASSERT_FALSE(junk);
  EXPECT_NE(junk.error().message.find("not a simulated site state file"), std::string::npos)
      << junk.error().message;
}

TEST(SimulatedSiteState, BadSeedIsReported) {
  FakeTime time;
  SiteFixture dup;
  dup.devices.push_back({1, "A", true});
  dup.devices.push_back({1, "B", true});
  auto site = SimulatedSite::open({}, dup, time);
  ASSERT_FALSE(site);
  EXPECT_NE(site.error().message.find("UNIQUE"), std::string::npos) << site.error().message;
}

TEST(SimulatedSiteState, StateFileIsWalWithFullSync) {
  TempDir dir;
  FakeTime time;
  const auto path = dir.path() / "site.db";
  auto site = SimulatedSite::open(path, test::fixture(), time);
  ASSERT_TRUE(site);
  ASSERT_EQ((*site)->create_relationship(kWks1, "CONTOSO\\jdoe", 6, 1).status.outcome,
            CallOutcome::Ok);
  EXPECT_TRUE(std::filesystem::exists(path.string() + "-wal"));
}

// ---- users by UPN, devices by name ----

TEST_F(SimulatedSiteTest, ResolveUserByUpnCaseInsensitively) {
  auto r = site->resolve_user("JDoe@Contoso.COM");
  ASSERT_EQ(r.status.outcome, CallOutcome::Ok) << r.status.detail;
  EXPECT_EQ(r.code, 0U);
  EXPECT_EQ(r.unique_user_name, std::optional<std::string>("CONTOSO\\jdoe"));
  auto bob = site->resolve_user("bob@fabrikam.com");
  EXPECT_EQ(bob.unique_user_name, std::optional<std::string>("FABRIKAM\\Bob"));

  for (const std::string none : {"nobody@contoso.com", "CONTOSO\\jdoe", "", "  "}) {
    auto n = site->resolve_user(none);
    EXPECT_EQ(n.status.outcome, CallOutcome::Ok) << none;
    EXPECT_FALSE(n.unique_user_name) << none << " (svc_deploy has no UPN)";
  }
  auto rows = site->users_with_upn("ASMITH@contoso.com");
  ASSERT_TRUE(rows);
  ASSERT_EQ(rows->size(), 1U);
  EXPECT_EQ(rows->front().unique_user_name, "CONTOSO\\asmith");
  EXPECT_EQ(rows->front().upn, "asmith@contoso.com");
}

TEST(SimulatedSiteUsers, TwoUsersWithOneUpnAreAmbiguous) {
  FakeTime time;
  SiteFixture fx;  // built in code: the fixture parser refuses this
  fx.users.push_back({"A\\x", "x@a.com"});
  fx.users.push_back({"B\\x", "X@A.com"});
  auto site = SimulatedSite::open({}, fx, time);
  ASSERT_TRUE(site) << site.error().message;
  auto r = (*site)->resolve_user("x@a.com");
  EXPECT_EQ(r.status.outcome, CallOutcome::Fail);
  EXPECT_FALSE(r.unique_user_name);
  EXPECT_NE(r.status.detail.find("ambiguous UPN: 2 users"), std::string::npos) << r.status.detail;
}

TEST_F(SimulatedSiteTest, DevicesNamedListsActiveAndInactive) {
  auto lab = site->devices_named("LAB-01");
  ASSERT_TRUE(lab);
  ASSERT_EQ(lab->size(), 2U);
  EXPECT_EQ(lab->at(0).resource_id, 16777222U);
  EXPECT_EQ(lab->at(1).name, "lab-01");
  auto wks3 = site->devices_named("wks-0003");
  ASSERT_TRUE(wks3);
  ASSERT_EQ(wks3->size(), 2U);
  EXPECT_TRUE(wks3->at(0).active);
  EXPECT_FALSE(wks3->at(1).active);
  auto none = site->devices_named("NOPE");
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
}

// ---- console usage ----

std::vector<std::pair<std::uint32_t, std::string>> keys(const std::vector<ConsoleUsage>& rows) {
  std::vector<std::pair<std::uint32_t, std::string>> out;
  for (const auto& r : rows) out.emplace_back(r.resource_id, r.system_console_user);
  return out;
}

using Keys = std::vector<std::pair<std::uint32_t, std::string>>;

TEST_F(SimulatedSiteTest, ConsoleUsageIsSeededFromTheFixture) {
  auto all = site->console_usage(0, 100);
  ASSERT_EQ(all.status.outcome, CallOutcome::Ok) << all.status.detail;
  EXPECT_FALSE(all.more);
  EXPECT_EQ(keys(all.rows), (Keys{{kWks1, "CONTOSO\\asmith"},
                                  {kWks1, "CONTOSO\\jdoe"},
                                  {kWks2, "CONTOSO\\jdoe"},
                                  {kOld, "CONTOSO\\jdoe"},
                                  {kKiosk, "FABRIKAM\\Bob"},
                                  {16777226, "CONTOSO\\svc_deploy"}}));
  const auto& jdoe = all.rows[1];
  EXPECT_DOUBLE_EQ(jdoe.total_console_minutes, 3120);
  EXPECT_EQ(jdoe.console_logons, 14);
  EXPECT_EQ(jdoe.last_console_use, parse_iso8601("2026-11-20T08:12:00Z"));
  EXPECT_EQ(all.rows[0].last_console_use, parse_iso8601("2026-11-18T09:00:00Z"))
      << "+01:00 is converted to UTC";
  const auto& bob = all.rows[4];
  EXPECT_DOUBLE_EQ(bob.total_console_minutes, 0);
  EXPECT_EQ(bob.console_logons, 0);
  EXPECT_FALSE(bob.last_console_use);
}

TEST_F(SimulatedSiteTest, ConsoleUsagePagesByDeviceNeverSplittingOne) {
  std::vector<std::size_t> page_sizes;
  std::vector<ConsoleUsage> seen;
  std::uint32_t after = 0;
  for (int guard = 0; guard < 20; ++guard) {
    auto page = site->console_usage(after, 1);
    ASSERT_EQ(page.status.outcome, CallOutcome::Ok) << page.status.detail;
    page_sizes.push_back(page.rows.size());
    seen.insert(seen.end(), page.rows.begin(), page.rows.end());
    if (!page.more) break;
    ASSERT_FALSE(page.rows.empty());
    after = page.rows.back().resource_id;
  }
  EXPECT_EQ(page_sizes, (std::vector<std::size_t>{2, 1, 1, 1, 1})) << "WKS-0001's two rows stay";
  EXPECT_EQ(keys(seen), keys(site->console_usage(0, 100).rows));

  auto two = site->console_usage(0, 2);
  EXPECT_EQ(two.rows.size(), 3U);
  EXPECT_TRUE(two.more);
  auto last = site->console_usage(kKiosk, 2);
  EXPECT_EQ(keys(last.rows), (Keys{{16777226, "CONTOSO\\svc_deploy"}}));
  EXPECT_FALSE(last.more);
  auto exact = site->console_usage(kOld, 2);  // exactly the last two devices
  EXPECT_EQ(exact.rows.size(), 2U);
  EXPECT_FALSE(exact.more);
  auto past = site->console_usage(16777226, 5);
  EXPECT_EQ(past.status.outcome, CallOutcome::Ok);
  EXPECT_TRUE(past.rows.empty());
  EXPECT_FALSE(past.more);
  auto huge = site->console_usage(0, std::numeric_limits<std::size_t>::max());
  EXPECT_EQ(huge.status.outcome, CallOutcome::Ok) << huge.status.detail;
  EXPECT_EQ(huge.rows.size(), 6U);
}

TEST_F(SimulatedSiteTest, ConsoleUsageNeedsRoomForOneDevice) {
  auto r = site->console_usage(0, 0);
  EXPECT_EQ(r.status.outcome, CallOutcome::Fail);
  EXPECT_EQ(r.code, wmi::kInvalidParameter);
  EXPECT_TRUE(r.rows.empty());
}

TEST_F(SimulatedSiteTest, ConsoleUsageRowsIsPlainTopAndMaySplitADevice) {
  auto first = site->console_usage_rows(0, 1);
  ASSERT_EQ(first.status.outcome, CallOutcome::Ok);
  EXPECT_EQ(keys(first.rows), (Keys{{kWks1, "CONTOSO\\asmith"}}));
  EXPECT_TRUE(first.more);
  auto three = site->console_usage_rows(kWks1, 3);
  EXPECT_EQ(keys(three.rows),
            (Keys{{kWks2, "CONTOSO\\jdoe"}, {kOld, "CONTOSO\\jdoe"}, {kKiosk, "FABRIKAM\\Bob"}}));
  EXPECT_TRUE(three.more);
  auto rest = site->console_usage_rows(kKiosk, 3);
  EXPECT_EQ(rest.rows.size(), 1U);
  EXPECT_FALSE(rest.more);
  auto one = site->console_usage_rows(0, 10, kWks1);
  EXPECT_EQ(one.rows.size(), 2U);
  EXPECT_FALSE(one.more);
  auto none = site->console_usage_rows(0, 0);
  EXPECT_TRUE(none.rows.empty());
  EXPECT_TRUE(none.more);
  auto beyond = site->console_usage_rows(kWks1, 10, kWks1);
  EXPECT_TRUE(beyond.rows.empty());
}

TEST_F(SimulatedSiteTest, UpsertUsageChangesUsageOverTime) {
  time.set(1'800'000'000'000);
  ConsoleUsage row{kWks1, "contoso\\JDOE", 4000, 20, from_unix_ms(1'799'000'000'000)};
  ASSERT_TRUE(site->upsert_usage(row));
  auto page = site->console_usage_rows(0, 10, kWks1);
  ASSERT_EQ(page.rows.size(), 2U) << "replaced, not added";
  EXPECT_EQ(page.rows[1].system_console_user, "CONTOSO\\jdoe") << "the site's spelling";
  EXPECT_DOUBLE_EQ(page.rows[1].total_console_minutes, 4000);
  EXPECT_EQ(page.rows[1].console_logons, 20);
  EXPECT_EQ(page.rows[1].last_console_use, from_unix_ms(1'799'000'000'000));

  // A new row on a device without usage; fractional minutes are kept; no last use.
  ASSERT_TRUE(site->upsert_usage({16777227, "FABRIKAM\\bob", 12.5, 1, std::nullopt}));
  // A user the site does not know (a local account) is kept as given.
  ASSERT_TRUE(site->upsert_usage({16777222, "LAB-01\\Admin", 30, 2, std::nullopt}));
  auto all = site->console_usage(0, 100);
  EXPECT_EQ(all.rows.size(), 8U);
  auto lab = site->console_usage_rows(0, 10, 16777222);
  ASSERT_EQ(lab.rows.size(), 1U);
  EXPECT_EQ(lab.rows[0].system_console_user, "LAB-01\\Admin");
  auto wks3 = site->console_usage_rows(0, 10, 16777227);
  ASSERT_EQ(wks3.rows.size(), 1U);
  EXPECT_EQ(wks3.rows[0].system_console_user, "FABRIKAM\\Bob");
  EXPECT_DOUBLE_EQ(wks3.rows[0].total_console_minutes, 12.5);
  EXPECT_FALSE(wks3.rows[0].last_console_use);

  ASSERT_TRUE(site->delete_usage(kWks1, "CONTOSO\\ASMITH"));
  ASSERT_TRUE(site->delete_usage(kWks1, "CONTOSO\\nobody")) << "nothing to delete is fine";
  EXPECT_EQ(site->console_usage_rows(0, 10, kWks1).rows.size(), 1U);
}

TEST_F(SimulatedSiteTest, UpsertUsageRefusesBadRows) {
  const auto bad = [&](ConsoleUsage row, const std::string& expected) {
    auto st = site->upsert_usage(row);
    ASSERT_FALSE(st) << expected;
    EXPECT_NE(st.error().message.find(expected), std::string::npos) << st.error().message;
  };
  bad({16777299, "CONTOSO\\jdoe", 1, 1, {}}, "no device with ResourceID 16777299");
  bad({kWks1, "jdoe@contoso.com", 1, 1, {}}, "'jdoe@contoso.com' is not DOMAIN\\user");
  bad({kWks1, "CONTOSO\\jdoe", -1, 1, {}}, "minutes must be a number >= 0");
  bad({kWks1, "CONTOSO\\jdoe", std::nan(""), 1, {}}, "minutes must be a number >= 0");
  bad({kWks1, "CONTOSO\\jdoe", std::numeric_limits<double>::infinity(), 1, {}}, "minutes");
  bad({kWks1, "CONTOSO\\jdoe", 1, -3, {}}, "logons must be >= 0");
  EXPECT_EQ(site->console_usage(0, 100).rows.size(), 6U);
}

TEST(SimulatedSiteUsage, GeneratedUsagePagesThroughTwoThousandDevices) {
  FakeTime time;
  auto s = SimulatedSite::open({}, test::fixture("generated.yaml"), time);
  ASSERT_TRUE(s) << s.error().message;
  auto& site = **s;
  std::size_t rows = 0;
  std::size_t pages = 0;
  std::uint32_t after = 0;
  std::uint32_t previous = 0;
  for (bool more = true; more; ++pages) {
    auto page = site.console_usage(after, 500);
    ASSERT_EQ(page.status.outcome, CallOutcome::Ok) << page.status.detail;
    ASSERT_LE(page.rows.size(), 1000U);
    for (const auto& r : page.rows) {
      ASSERT_GE(r.resource_id, previous);
      previous = r.resource_id;
    }
    rows += page.rows.size();
    more = page.more;
    if (!page.rows.empty()) after = page.rows.back().resource_id;
    ASSERT_LT(pages, 10U);
  }
  EXPECT_EQ(rows, 4000U);
  EXPECT_EQ(pages, 4U);
}

TEST(SimulatedSiteUsage, ReadOnlyHandleReadsUsageAndCannotWriteIt) {
  TempDir dir;
  FakeTime time;
  const auto path = dir.path() / "site.db";
  auto writer = SimulatedSite::open(path, test::fixture(), time);
  ASSERT_TRUE(writer) << writer.error().message;
  auto reader = SimulatedSite::open_read_only(path);
  ASSERT_TRUE(reader) << reader.error().message;
  EXPECT_EQ((*reader)->console_usage(0, 100).rows.size(), 6U);
  ASSERT_TRUE((*writer)->upsert_usage({16777227, "CONTOSO\\jdoe", 1, 1, {}}));
  EXPECT_EQ((*reader)->console_usage(0, 100).rows.size(), 7U);
  EXPECT_FALSE((*reader)->upsert_usage({16777227, "CONTOSO\\jdoe", 2, 1, {}}));
  EXPECT_FALSE((*reader)->delete_usage(16777227, "CONTOSO\\jdoe"));
  EXPECT_EQ((*reader)->resolve_user("jdoe@contoso.com").unique_user_name,
            std::optional<std::string>("CONTOSO\\jdoe"));
}

// ---- schema migration ----

// What a version 1 build wrote (kept here verbatim: the migration must keep
// such files working).
constexpr const char* kVersion1 = R"sql(
PRAGMA journal_mode=WAL;
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE devices(
  resource_id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  name_lc TEXT NOT NULL,
  active INTEGER NOT NULL);
CREATE INDEX devices_by_name ON devices(name_lc, active);
CREATE TABLE users(
  name_lc TEXT PRIMARY KEY,
  unique_user_name TEXT NOT NULL,
  upn TEXT NOT NULL);
CREATE TABLE relationships(
  relationship_resource_id INTEGER PRIMARY KEY AUTOINCREMENT,
  resource_id INTEGER NOT NULL,
  unique_user_name TEXT NOT NULL,
  user_lc TEXT NOT NULL,
  sources TEXT NOT NULL,
  types TEXT NOT NULL,
  is_active INTEGER NOT NULL,
  created_at_ms INTEGER NOT NULL,
  updated_at_ms INTEGER NOT NULL,
  UNIQUE(resource_id, user_lc));
CREATE TABLE effects(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at_ms INTEGER NOT NULL,
  resource_id INTEGER NOT NULL,
  unique_user_name TEXT NOT NULL,
  source_id INTEGER NOT NULL,
  type_id INTEGER NOT NULL,
  trigger_id TEXT NOT NULL,
  effect TEXT NOT NULL);
CREATE INDEX effects_by_key ON effects(resource_id, unique_user_name, source_id);
INSERT INTO meta VALUES ('schema_version', '1'), ('created_at', '2026-11-01T00:00:00.000Z');
INSERT INTO devices VALUES (16777220, 'WKS-0001', 'wks-0001', 1), (16777221, 'WKS-0002', 'wks-0002', 1);
INSERT INTO users VALUES ('contoso\jdoe', 'CONTOSO\jdoe', 'jdoe@contoso.com');
INSERT INTO relationships(resource_id, unique_user_name, user_lc, sources, types, is_active,
  created_at_ms, updated_at_ms) VALUES (16777221, 'CONTOSO\jdoe', 'contoso\jdoe', '2', '1', 1, 1, 1);
INSERT INTO effects(at_ms, resource_id, unique_user_name, source_id, type_id, trigger_id, effect)
  VALUES (1, 16777221, 'CONTOSO\jdoe', 2, 1, 't-old', 'created');
)sql";

void write_state(const std::filesystem::path& path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.string().c_str(), &db), SQLITE_OK);
  char* err = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
  EXPECT_EQ(rc, SQLITE_OK) << (err != nullptr ? err : "");
  sqlite3_free(err);
  sqlite3_close(db);
}

std::string meta_value(const std::filesystem::path& path, const std::string& key) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open_v2(path.string().c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = ?", -1, &st, nullptr);
  sqlite3_bind_text(st, 1, key.c_str(), -1, SQLITE_TRANSIENT);
  std::string v;
  if (sqlite3_step(st) == SQLITE_ROW) v = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
  sqlite3_finalize(st);
  sqlite3_close(db);
  return v;
}

TEST(SimulatedSiteMigration, VersionOneStateIsReadableReadOnlyWithoutUsage) {
  TempDir dir;
  const auto path = dir.path() / "v1.db";
  write_state(path, kVersion1);
  auto reader = SimulatedSite::open_read_only(path);
  ASSERT_TRUE(reader) << reader.error().message;
  auto usage = (*reader)->console_usage(0, 10);
  EXPECT_EQ(usage.status.outcome, CallOutcome::Ok) << usage.status.detail;
  EXPECT_TRUE(usage.rows.empty());
  EXPECT_TRUE((*reader)->console_usage_rows(0, 10).rows.empty());
  EXPECT_EQ((*reader)->list_relationships()->size(), 1U);
  EXPECT_EQ((*reader)->resolve_user("JDOE@contoso.com").unique_user_name,
            std::optional<std::string>("CONTOSO\\jdoe"));
  EXPECT_EQ(meta_value(path, "schema_version"), "1") << "a read-only open never migrates";
}

TEST(SimulatedSiteMigration, VersionOneStateIsMigratedInPlaceAndKeepsItsRows) {
  TempDir dir;
  FakeTime time;
  const auto path = dir.path() / "v1.db";
  write_state(path, kVersion1);
  {
    // The fixture has usage rows, but an existing state is never seeded again.
    auto site = SimulatedSite::open(path, test::fixture(), time);
    ASSERT_TRUE(site) << site.error().message;
    EXPECT_EQ(meta_value(path, "schema_version"), "2");
    EXPECT_FALSE(meta_value(path, "migrated_at").empty());
    auto devices = (*site)->devices();
    ASSERT_TRUE(devices);
    EXPECT_EQ(devices->size(), 2U);
    auto usage = (*site)->console_usage(0, 10);
    EXPECT_EQ(usage.status.outcome, CallOutcome::Ok) << usage.status.detail;
    EXPECT_TRUE(usage.rows.empty());
    EXPECT_EQ(*(*site)->effect_count(16777221, "CONTOSO\\jdoe", 2), 1);
    auto again = (*site)->create_relationship(16777221, "CONTOSO\\jdoe", 4, 1, "t-new");
    EXPECT_EQ(again.effect, EffectKind::SourceAdded) << again.status.detail;
    ASSERT_TRUE((*site)->upsert_usage({16777220, "CONTOSO\\jdoe", 3000, 9, {}}));
    EXPECT_EQ((*site)->resolve_user("jdoe@CONTOSO.com").unique_user_name,
              std::optional<std::string>("CONTOSO\\jdoe"));
  }
  // Reopened (now version 2): nothing is migrated or seeded again.
  auto site = SimulatedSite::open(path, test::fixture(), time);
  ASSERT_TRUE(site) << site.error().message;
  EXPECT_EQ((*site)->console_usage(0, 10).rows.size(), 1U);
  auto reader = SimulatedSite::open_read_only(path);
  ASSERT_TRUE(reader) << reader.error().message;
  EXPECT_EQ((*reader)->console_usage(0, 10).rows.size(), 1U);
}

TEST(SimulatedSiteMigration, NewerOrBrokenVersionsAreRefused) {
  TempDir dir;
  FakeTime time;
  for (const std::string v : {"3", "0", "two", ""}) {
    const auto path = dir.path() / ("v" + v + ".db");
    write_state(path,
                "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
                "INSERT INTO meta VALUES ('schema_version', '" +
                    v + "');");
    auto site = SimulatedSite::open(path, test::fixture(), time);
    ASSERT_FALSE(site) << v;
    EXPECT_NE(site.error().message.find("schema version " + v + " is not supported"),
              std::string::npos)
        << site.error().message;
    auto reader = SimulatedSite::open_read_only(path);
    ASSERT_FALSE(reader) << v;
    EXPECT_EQ(meta_value(path, "schema_version"), v) << "left as it was";
  }
}

TEST(SimulatedSiteMigration, NewStateIsVersionTwoWithUsageSeededOnce) {
  TempDir dir;
  FakeTime time;
  const auto path = dir.path() / "site.db";
  {
    auto site = SimulatedSite::open(path, test::fixture(), time);
    ASSERT_TRUE(site) << site.error().message;
    ASSERT_TRUE((*site)->delete_usage(kWks1, "CONTOSO\\jdoe"));
  }
  EXPECT_EQ(meta_value(path, "schema_version"), "2");
  EXPECT_TRUE(meta_value(path, "migrated_at").empty());
  auto site = SimulatedSite::open(path, test::fixture(), time);
  ASSERT_TRUE(site) << site.error().message;
  EXPECT_EQ((*site)->console_usage(0, 100).rows.size(), 5U) << "the deleted row stays deleted";
}

}  // namespace
}  // namespace uda
