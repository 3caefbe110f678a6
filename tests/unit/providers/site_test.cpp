#include "providers/simulated/site.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>

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

}  // namespace
}  // namespace uda
