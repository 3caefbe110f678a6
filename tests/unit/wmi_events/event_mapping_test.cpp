// map_event and friends on custom subscriptions: where filters, machine and
// user extraction, attributes, deterministic ids, last-logon completion.

#include "sources/wmi_events/event_mapping.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "sources/wmi_events/wmi_events_options.hpp"

namespace uda {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

const TimePoint kMappingNow = *parse_iso8601("2026-11-20T08:20:00Z");

constexpr std::string_view kHead = R"(wmi_events:
  subscriptions:
    - name: custom
      query: SELECT * FROM __InstanceCreationEvent WITHIN 300 WHERE TargetInstance ISA 'SMS_R_System'
      kind: discovery
      machine: {resource_id: TargetInstance.ResourceID, name: TargetInstance.Name}
)";

// A subscription: kHead plus `extra` lines (6-space indent). Adds the
// standard user template unless `extra` names a user.
Subscription make(const std::string& extra = "") {
  std::string text = std::string(kHead) + extra;
  if (extra.find("user") == std::string::npos) {
    text +=
        "      user: '{TargetInstance.LastLogonUserDomain}\\{TargetInstance.LastLogonUserName}'\n";
  }
  auto root = yaml::load_text(text, "agent.yaml");
  EXPECT_TRUE(root);
  auto o = parse_wmi_events_options(yaml::Doc{"agent.yaml"}, (*root)["wmi_events"]);
  EXPECT_TRUE(o) << (o ? "" : o.error().message);
  return o ? o->subscriptions.at(0) : Subscription{};
}

WmiInstance device(std::int64_t id = 16777242, const std::string& name = "WKS-0042") {
  WmiInstance e;
  e.class_name = "__InstanceCreationEvent";
  e.properties.emplace("TargetInstance.__CLASS", std::string("SMS_R_System"));
  e.properties.emplace("TargetInstance.ResourceID", id);
  e.properties.emplace("TargetInstance.Name", name);
  e.properties.emplace("TargetInstance.LastLogonUserDomain", std::string("CONTOSO"));
  e.properties.emplace("TargetInstance.LastLogonUserName", std::string("jdoe"));
  e.properties.emplace("TargetInstance.Client", std::int64_t{1});
  e.properties.emplace("TargetInstance.IsVirtualMachine", false);
  e.properties.emplace("TargetInstance.IPAddresses",
                       std::vector<std::string>{"10.0.0.1", "10.0.0.2"});
  e.properties.emplace("TargetInstance.CreationDate", std::string("20261120081200.000000+***"));
  return e;
}

void set(WmiInstance& e, const std::string& name, WmiValue v) {
  e.properties.insert_or_assign(name, std::move(v));
}

TEST(MapEvent, BuildsAValidTrigger) {
  const auto r = map_event(make(), device(), kMappingNow);
  ASSERT_TRUE(r.trigger) << r.skipped_reason;
  EXPECT_TRUE(r.skipped_reason.empty());
  EXPECT_EQ(r.trigger->user, "CONTOSO\\jdoe");
  EXPECT_EQ(r.trigger->machine.describe(), "16777242 (WKS-0042)");
  EXPECT_EQ(r.trigger->origin, "wmi:custom");
  EXPECT_TRUE(r.trigger->attributes.empty());
  EXPECT_TRUE(validate(*r.trigger));
}

TEST(MapEvent, WhereFilters) {
  const auto sub =
      make("      where: {TargetInstance.Client: 1, TargetInstance.IsVirtualMachine: false}\n");
  EXPECT_TRUE(map_event(sub, device(), kMappingNow).trigger);

  auto no_client = device();
  set(no_client, "TargetInstance.Client", std::int64_t{0});
  auto r = map_event(sub, no_client, kMappingNow);
  EXPECT_FALSE(r.trigger);
  EXPECT_EQ(r.skipped_reason, "where: TargetInstance.Client is 0, not 1");

  auto vm = device();
  set(vm, "TargetInstance.IsVirtualMachine", true);
  EXPECT_EQ(map_event(sub, vm, kMappingNow).skipped_reason,
            "where: TargetInstance.IsVirtualMachine is true, not false");

  auto null_client = device();
  set(null_client, "TargetInstance.Client", WmiValue{});
  EXPECT_EQ(map_event(sub, null_client, kMappingNow).skipped_reason,
            "where: TargetInstance.Client is NULL, not 1");

  auto missing = device();
  missing.properties.erase("TargetInstance.Client");
  EXPECT_EQ(map_event(sub, missing, kMappingNow).skipped_reason,
            "where: TargetInstance.Client is missing, not 1");
}

TEST(MapEvent, WhereAnyOfTextNullAndArrays) {
  const auto sub = make(
      "      where:\n"
      "        TargetInstance.Name: [wks-0042, WKS-0043]\n"            // text ignores case
      "        TargetInstance.AADDeviceID: ~\n"                        // NULL or missing
      "        TargetInstance.IPAddresses: 10.0.0.2\n"                 // any item of an array
      "        TargetInstance.ResourceID: [16777242.0, 16777243]\n");  // numbers as numbers
  ASSERT_TRUE(map_event(sub, device(), kMappingNow).trigger);

  auto other = device(16777242, "WKS-0099");
  EXPECT_EQ(map_event(sub, other, kMappingNow).skipped_reason,
            "where: TargetInstance.Name is 'WKS-0099', not one of wks-0042, WKS-0043");

  auto aad = device();
  set(aad, "TargetInstance.AADDeviceID", std::string("abc"));
  EXPECT_EQ(map_event(sub, aad, kMappingNow).skipped_reason,
            "where: TargetInstance.AADDeviceID is 'abc', not NULL");

  auto ips = device();
  set(ips, "TargetInstance.IPAddresses", std::vector<std::string>{"10.9.9.9"});
  EXPECT_THAT(map_event(sub, ips, kMappingNow).skipped_reason,
              StartsWith("where: TargetInstance.IPAddresses is ['10.9.9.9'], not 10.0.0.2"));

  auto id = device(16777244);
  EXPECT_THAT(map_event(sub, id, kMappingNow).skipped_reason,
              StartsWith("where: TargetInstance.ResourceID is 16777244"));

  // A quoted number in YAML is still compared by the property's type.
  const auto quoted = make("      where: {TargetInstance.Client: '1'}\n");
  EXPECT_TRUE(map_event(quoted, device(), kMappingNow).trigger);
  // Text against a number never matches.
  const auto text = make("      where: {TargetInstance.Client: yes-please}\n");
  EXPECT_FALSE(map_event(text, device(), kMappingNow).trigger);
  // Integer arrays, booleans spelled differently.
  auto ints = device();
  set(ints, "TargetInstance.Flags", std::vector<std::int64_t>{4, 8});
  set(ints, "TargetInstance.IsVirtualMachine", true);
  const auto more =
      make("      where: {TargetInstance.Flags: 8, TargetInstance.IsVirtualMachine: yes}\n");
  EXPECT_TRUE(map_event(more, ints, kMappingNow).trigger);
}

TEST(MapEvent, MachineFallsBackToWhatIsThere) {
  const auto sub = make();
  auto no_id = device();
  set(no_id, "TargetInstance.ResourceID", WmiValue{});
  auto r = map_event(sub, no_id, kMappingNow);
  ASSERT_TRUE(r.trigger) << r.skipped_reason;
  EXPECT_FALSE(r.trigger->machine.resource_id);
  EXPECT_EQ(r.trigger->machine.name, "WKS-0042");

  auto neither = no_id;
  set(neither, "TargetInstance.Name", std::string("  "));
  r = map_event(sub, neither, kMappingNow);
  EXPECT_FALSE(r.trigger);
  EXPECT_EQ(
      r.skipped_reason,
      "machine: TargetInstance.ResourceID and TargetInstance.Name are missing, NULL or empty");

  // A ResourceID handed over as text (uint64 / BSTR) is read; nonsense is refused.
  auto text_id = device();
  set(text_id, "TargetInstance.ResourceID", std::string("16777242"));
  EXPECT_EQ(map_event(sub, text_id, kMappingNow).trigger->machine.resource_id, 16777242U);
  for (WmiValue bad :
       {WmiValue{std::int64_t{0}}, WmiValue{std::int64_t{-16777242}},
        WmiValue{std::int64_t{4294967296}}, WmiValue{std::string("x")}, WmiValue{2.5}}) {
    auto e = device();
    set(e, "TargetInstance.ResourceID", bad);
    r = map_event(sub, e, kMappingNow);
    EXPECT_FALSE(r.trigger) << describe(bad);
    EXPECT_THAT(r.skipped_reason, StartsWith("machine.resource_id: TargetInstance.ResourceID is "));
    EXPECT_THAT(r.skipped_reason, HasSubstr("not a ResourceID (1..4294967295)"));
  }
}

TEST(MapEvent, MissingUserPartsSkipWithTheReason) {
  const auto sub = make();
  auto e = device();
  set(e, "TargetInstance.LastLogonUserName", WmiValue{});
  EXPECT_EQ(map_event(sub, e, kMappingNow).skipped_reason,
            "user: TargetInstance.LastLogonUserName is NULL");
  set(e, "TargetInstance.LastLogonUserName", std::string(" "));
  EXPECT_EQ(map_event(sub, e, kMappingNow).skipped_reason,
            "user: TargetInstance.LastLogonUserName is empty");
  e.properties.erase("TargetInstance.LastLogonUserName");
  EXPECT_EQ(map_event(sub, e, kMappingNow).skipped_reason,
            "user: TargetInstance.LastLogonUserName is missing from the event");
  set(e, "TargetInstance.LastLogonUserName", std::vector<std::string>{"a"});
  EXPECT_EQ(map_event(sub, e, kMappingNow).skipped_reason,
            "user: TargetInstance.LastLogonUserName must be a string or an integer, got string "
            "array ['a']");
}

TEST(MapEvent, InvalidTriggersAreSkippedWithValidateReason) {
  const auto sub = make("      user: '{TargetInstance.Name}'\n");  // "WKS-0042": no domain
  const auto r = map_event(sub, device(), kMappingNow);
  EXPECT_FALSE(r.trigger);
  EXPECT_EQ(r.skipped_reason,
            "the trigger would not be valid: user: 'WKS-0042' is neither DOMAIN\\user nor a UPN "
            "(user@domain)");
}

TEST(MapEvent, UserTemplateLiteralsAndBraces) {
  const auto sub = make("      user: '{{x}}{TargetInstance.LastLogonUserName}@contoso.com'\n");
  const auto r = map_event(sub, device(), kMappingNow);
  ASSERT_TRUE(r.trigger) << r.skipped_reason;
  EXPECT_EQ(r.trigger->user, "{x}jdoe@contoso.com");
  auto numeric = device();
  set(numeric, "TargetInstance.LastLogonUserName", std::int64_t{4711});
  EXPECT_EQ(map_event(sub, numeric, kMappingNow).trigger->user, "{x}4711@contoso.com");
}

TEST(MapEvent, AttributesKeepTheirTypes) {
  const auto sub = make(
      "      attributes:\n"
      "        device.client: TargetInstance.Client\n"
      "        device.vm: TargetInstance.IsVirtualMachine\n"
      "        device.ips: TargetInstance.IPAddresses\n"
      "        device.flags: TargetInstance.Flags\n"
      "        device.aad_id: TargetInstance.AADDeviceID\n"
      "        device.cpu: TargetInstance.CPU\n"
      "        device.gone: TargetInstance.NotThere\n"
      "        event.class: TargetInstance.__CLASS\n");
  auto e = device();
  set(e, "TargetInstance.Flags", std::vector<std::int64_t>{4, 8});
  set(e, "TargetInstance.AADDeviceID", WmiValue{});
  set(e, "TargetInstance.CPU", 1.5);
  const auto r = map_event(sub, e, kMappingNow);
  ASSERT_TRUE(r.trigger) << r.skipped_reason;
  const auto& a = r.trigger->attributes;
  EXPECT_EQ(std::get<double>(a.at("device.client")), 1.0);
  EXPECT_EQ(std::get<bool>(a.at("device.vm")), false);
  EXPECT_EQ(std::get<std::string>(a.at("device.ips")), "10.0.0.1, 10.0.0.2");
  EXPECT_EQ(std::get<std::string>(a.at("device.flags")), "4, 8");
  EXPECT_EQ(std::get<double>(a.at("device.cpu")), 1.5);
  EXPECT_EQ(std::get<std::string>(a.at("event.class")), "SMS_R_System");
  EXPECT_EQ(a.count("device.aad_id"), 0U);  // NULL: left out
  EXPECT_EQ(a.count("device.gone"), 0U);    // missing: left out
}

TEST(MapEvent, IdsAreDeterministicFromNameAndKey) {
  const auto sub = make("      key: [TargetInstance.ResourceID]\n");
  const auto a = map_event(sub, device(), kMappingNow);
  const auto b = map_event(sub, device(), kMappingNow + Millis(3'600'000));
  ASSERT_TRUE(a.trigger && b.trigger);
  EXPECT_EQ(a.trigger->id, b.trigger->id);
  EXPECT_EQ(a.trigger->id, wmi_trigger_id(sub, device()));
  EXPECT_THAT(a.trigger->id, StartsWith("wmi-custom-"));
  EXPECT_EQ(a.trigger->id.size(), std::string("wmi-custom-").size() + 16);
  // Other key values, another id; non-key properties do not matter.
  EXPECT_NE(wmi_trigger_id(sub, device(16777243)), a.trigger->id);
  auto renamed_user = device();
  set(renamed_user, "TargetInstance.LastLogonUserName", std::string("other"));
  EXPECT_EQ(wmi_trigger_id(sub, renamed_user), a.trigger->id);
  // Property name case does not matter; the subscription name does.
  WmiInstance lower;
  lower.properties.emplace("targetinstance.resourceid", std::int64_t{16777242});
  EXPECT_EQ(wmi_trigger_id(sub, lower), a.trigger->id);
  auto other_name = sub;
  other_name.name = "custom2";
  const auto hash = [](const std::string& id) { return id.substr(id.size() - 16); };
  EXPECT_NE(hash(wmi_trigger_id(other_name, device())), hash(a.trigger->id));
  // NULL and missing are the same; both differ from the text "NULL".
  auto null_id = device();
  set(null_id, "TargetInstance.ResourceID", WmiValue{});
  auto missing_id = device();
  missing_id.properties.erase("TargetInstance.ResourceID");
  auto text_null = device();
  set(text_null, "TargetInstance.ResourceID", std::string("NULL"));
  EXPECT_EQ(wmi_trigger_id(sub, null_id), wmi_trigger_id(sub, missing_id));
  EXPECT_NE(wmi_trigger_id(sub, null_id), wmi_trigger_id(sub, text_null));
  // The id is valid for any allowed subscription name (64 characters).
  auto long_name = sub;
  long_name.name = std::string(64, 'n');
  auto t = map_event(long_name, device(), kMappingNow);
  ASSERT_TRUE(t.trigger) << t.skipped_reason;
  EXPECT_LE(t.trigger->id.size(), kMaxIdLength);
}

TEST(MapEvent, EventTimeFromTheBookmarkProperty) {
  auto sub = make("      bookmark: TargetInstance.CreationDate\n");
  EXPECT_EQ(format_iso8601(*event_time(sub, device())), "2026-11-20T08:12:00.000Z");
  auto bad = device();
  set(bad, "TargetInstance.CreationDate", std::string("yesterday"));
  EXPECT_FALSE(event_time(sub, bad));
  set(bad, "TargetInstance.CreationDate", std::int64_t{1});
  EXPECT_FALSE(event_time(sub, bad));
  EXPECT_FALSE(event_time(make(), device()));  // no bookmark property
}

TEST(MapEvent, LastLogonLookupLeavesTheUserOpen) {
  auto sub = make("      user_lookup: last-logon\n");
  const auto r = map_event(sub, device(), kMappingNow);
  ASSERT_TRUE(r.trigger) << r.skipped_reason;
  EXPECT_TRUE(r.needs_user_lookup);
  EXPECT_EQ(r.trigger->user, "");
  EXPECT_EQ(last_logon_query(r.trigger->machine),
            "SELECT ResourceID, Name, LastLogonUserDomain, LastLogonUserName FROM SMS_R_System "
            "WHERE ResourceID = 16777242");
  // Everything else was validated: an unusable machine is still skipped.
  auto e = device();
  set(e, "TargetInstance.Name", std::string(300, 'x'));
  EXPECT_THAT(map_event(sub, e, kMappingNow).skipped_reason,
              HasSubstr("the trigger would not be valid: machine.name"));
}

TEST(LastLogon, QueryByNameIsQuoted) {
  MachineRef m;
  m.name = "O'BRIEN\\PC";
  EXPECT_EQ(last_logon_query(m),
            "SELECT ResourceID, Name, LastLogonUserDomain, LastLogonUserName FROM SMS_R_System "
            "WHERE Name = 'O\\'BRIEN\\\\PC' AND (Obsolete = 0 OR Obsolete IS NULL)");
}

Trigger pending() {
  Trigger t;
  t.id = "wmi-osd-0000000000000001";
  t.kind = TriggerKind::Osd;
  t.machine.name = "WKS-0042";
  t.origin = "wmi:osd";
  t.received_at = kMappingNow;
  return t;
}

WmiInstance row(std::int64_t id, WmiValue domain, WmiValue user) {
  WmiInstance r;
  r.class_name = "SMS_R_System";
  r.properties.emplace("ResourceID", id);
  r.properties.emplace("Name", std::string("WKS-0042"));
  r.properties.emplace("LastLogonUserDomain", std::move(domain));
  r.properties.emplace("LastLogonUserName", std::move(user));
  return r;
}

TEST(LastLogon, CompletesFromOneRow) {
  const auto r =
      complete_user_lookup(pending(), {row(16777242, std::string("CONTOSO"), std::string("jdoe"))});
  ASSERT_TRUE(r.trigger) << r.skipped_reason;
  EXPECT_EQ(r.trigger->user, "CONTOSO\\jdoe");
  EXPECT_EQ(r.trigger->machine.resource_id, 16777242U);
  EXPECT_EQ(std::get<std::string>(r.trigger->attributes.at("user.source")), "last-logon");
  // A row wrapped as an event works too.
  const auto wrapped = complete_user_lookup(
      pending(), {as_target_instance(row(16777242, std::string("CONTOSO"), std::string("jdoe")),
                                     kInstanceCreationEvent)});
  ASSERT_TRUE(wrapped.trigger) << wrapped.skipped_reason;
  EXPECT_EQ(wrapped.trigger->user, "CONTOSO\\jdoe");
}

TEST(LastLogon, SkipsWithReasons) {
  EXPECT_EQ(complete_user_lookup(pending(), {}).skipped_reason,
            "user lookup: no SMS_R_System record for device WKS-0042 (not discovered yet, or "
            "obsolete)");
  EXPECT_EQ(complete_user_lookup(pending(), {row(1, std::string("C"), std::string("a")),
                                             row(2, std::string("C"), std::string("b"))})
                .skipped_reason,
            "user lookup: 2 SMS_R_System records are named WKS-0042 (ResourceIDs 1, 2); cannot "
            "tell which device this event is about");
  EXPECT_EQ(
      complete_user_lookup(pending(), {row(1, std::string("CONTOSO"), WmiValue{})}).skipped_reason,
      "user lookup: device WKS-0042 has no last logon user yet "
      "(SMS_R_System.LastLogonUserName is NULL)");
  EXPECT_EQ(complete_user_lookup(pending(), {row(1, std::string(""), std::string("jdoe"))})
                .skipped_reason,
            "user lookup: device WKS-0042 has no last logon user yet "
            "(SMS_R_System.LastLogonUserDomain is '')");
  EXPECT_THAT(complete_user_lookup(pending(), {row(1, std::string("CON TOSO?"), std::string("j"))})
                  .skipped_reason,
              StartsWith("the trigger would not be valid: user:"));
}

}  // namespace
}  // namespace uda
