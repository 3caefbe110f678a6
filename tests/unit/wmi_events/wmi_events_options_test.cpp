// parse_wmi_events_options: the `wmi_events:` section, read strictly with
// file:line:column, presets applied and overridden.

#include "sources/wmi_events/wmi_events_options.hpp"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace uda {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

Expected<WmiEventsOptions> parse(const std::string& text) {
  auto root = yaml::load_text(text, "agent.yaml");
  if (!root) return root.error();
  return parse_wmi_events_options(yaml::Doc{"agent.yaml"}, (*root)["wmi_events"]);
}

std::string error_of(const std::string& text) {
  auto r = parse(text);
  EXPECT_FALSE(r) << "expected an error for:\n" << text;
  return r ? std::string() : r.error().message;
}

// One subscription given by `body` (indented 6 spaces, after "- name: x").
std::string sub(const std::string& body) {
  return "wmi_events:\n  subscriptions:\n    - name: x\n" + body;
}

constexpr std::string_view kCustom =
    R"(      query: SELECT * FROM __InstanceCreationEvent WITHIN 300 WHERE TargetInstance ISA 'SMS_R_System'
      kind: discovery
      machine: {resource_id: TargetInstance.ResourceID}
      user: '{TargetInstance.LastLogonUserDomain}\{TargetInstance.LastLogonUserName}'
)";

std::vector<std::string> texts(const std::vector<PropertyPath>& paths) {
  std::vector<std::string> out;
  for (const auto& p : paths) out.push_back(p.text);
  return out;
}

TEST(WmiEventsOptions, PresetsOnly) {
  auto o = parse(R"(wmi_events:
  subscriptions:
    - {name: new-device, preset: new-device}
    - {name: osd-success, preset: osd-success}
    - {name: mdm, preset: mdm-enrollment}
)");
  ASSERT_TRUE(o) << o.error().message;
  EXPECT_TRUE(o->enabled);
  EXPECT_FALSE(WmiEventsOptions{}.enabled);
  EXPECT_EQ(o->ns, "auto");
  EXPECT_EQ(o->reconnect_base, Millis(5000));
  EXPECT_EQ(o->reconnect_cap, Millis(300'000));
  EXPECT_EQ(o->max_queue, 10'000U);
  ASSERT_EQ(o->subscriptions.size(), 3U);

  const auto& nd = o->subscriptions[0];
  EXPECT_EQ(nd.name, "new-device");
  EXPECT_EQ(nd.preset, "new-device");
  EXPECT_TRUE(nd.enabled);
  EXPECT_EQ(nd.ns, "auto");
  EXPECT_EQ(nd.query,
            "SELECT * FROM __InstanceCreationEvent WITHIN 300 WHERE TargetInstance ISA "
            "'SMS_R_System'");
  EXPECT_EQ(nd.resume_query, "SELECT * FROM SMS_R_System WHERE CreationDate > '{since}'");
  EXPECT_EQ(nd.event_class, "__InstanceCreationEvent");
  EXPECT_EQ(nd.target_class, "SMS_R_System");
  EXPECT_EQ(nd.within_seconds, 300);
  EXPECT_EQ(nd.kind, TriggerKind::Discovery);
  EXPECT_EQ(nd.machine.resource_id->text, "TargetInstance.ResourceID");
  EXPECT_EQ(nd.machine.name->text, "TargetInstance.Name");
  ASSERT_TRUE(nd.user);
  EXPECT_EQ(nd.user->text,
            "{TargetInstance.LastLogonUserDomain}\\{TargetInstance.LastLogonUserName}");
  EXPECT_EQ(nd.user_lookup, UserLookup::None);
  ASSERT_EQ(nd.attributes.size(), 2U);
  EXPECT_EQ(nd.attributes[0].first, "device.aad_id");
  EXPECT_EQ(nd.attributes[0].second.text, "TargetInstance.AADDeviceID");
  EXPECT_EQ(nd.attributes[1].first, "device.client");
  EXPECT_THAT(texts(nd.key), ElementsAre("TargetInstance.ResourceID"));
  EXPECT_EQ(nd.bookmark->text, "TargetInstance.CreationDate");

  const auto& osd = o->subscriptions[1];
  EXPECT_EQ(osd.kind, TriggerKind::Osd);
  EXPECT_EQ(osd.target_class, "SMS_StatusMessage");
  EXPECT_EQ(osd.within_seconds, 120);
  EXPECT_FALSE(osd.user);
  EXPECT_EQ(osd.user_lookup, UserLookup::LastLogon);
  EXPECT_FALSE(osd.machine.resource_id);
  EXPECT_EQ(osd.machine.name->text, "TargetInstance.MachineName");
  EXPECT_THAT(osd.query,
              HasSubstr("TargetInstance.MessageID = 11171 OR TargetInstance.MessageID = 11143"));
  EXPECT_THAT(osd.query, HasSubstr("TargetInstance.Component = 'Task Sequence Engine'"));
  EXPECT_THAT(*osd.resume_query, HasSubstr("Time > '{since}'"));

  const auto& mdm = o->subscriptions[2];
  EXPECT_EQ(mdm.kind, TriggerKind::Enrollment);
  EXPECT_EQ(mdm.event_class, "__InstanceModificationEvent");
  EXPECT_EQ(mdm.target_class, "SMS_CombinedDeviceResources");
  EXPECT_FALSE(mdm.resume_query);
  EXPECT_EQ(mdm.user->text, "{TargetInstance.CurrentLogonUser}");
}

TEST(WmiEventsOptions, CustomSubscriptionWithEveryKey) {
  auto o = parse(R"(wmi_events:
  namespace: root\sms\site_PS1
  reconnect: {base: 1s, cap: 2m}
  max_queue: 500
  subscriptions:
    - name: my-custom
      enabled: false
      namespace: root\sms\site_PS2
      query: SELECT * FROM __InstanceCreationEvent WITHIN 600 WHERE TargetInstance ISA 'SMS_R_System'
      resume_query: SELECT * FROM SMS_R_System WHERE CreationDate > '{since}'
      resume_overlap: 15m
      bookmark: TargetInstance.CreationDate
      kind: discovery
      machine: {resource_id: TargetInstance.ResourceID, name: TargetInstance.Name}
      user: '{TargetInstance.LastLogonUserDomain}\{TargetInstance.LastLogonUserName}'
      attributes: {device.aad_id: TargetInstance.AADDeviceID, device.client: TargetInstance.Client}
      where: {TargetInstance.Client: 1, TargetInstance.Name: [WKS-1, WKS-2], TargetInstance.AADDeviceID: ~}
      key: [TargetInstance.ResourceID, TargetInstance.CreationDate]
)");
  ASSERT_TRUE(o) << o.error().message;
  EXPECT_EQ(o->ns, "root\\sms\\site_PS1");
  EXPECT_EQ(o->reconnect_base, Millis(1000));
  EXPECT_EQ(o->reconnect_cap, Millis(120'000));
  EXPECT_EQ(o->max_queue, 500U);
  const auto& s = o->subscriptions.at(0);
  EXPECT_FALSE(s.enabled);
  EXPECT_EQ(s.preset, "");
  EXPECT_EQ(s.ns, "root\\sms\\site_PS2");
  EXPECT_EQ(s.resume_overlap, Millis(15 * 60 * 1000));
  ASSERT_EQ(s.where.size(), 3U);
  EXPECT_EQ(s.where[0].path.text, "TargetInstance.Client");
  EXPECT_THAT(s.where[0].any_of, ElementsAre(WhereValue{false, "1"}));
  EXPECT_THAT(s.where[1].any_of,
              ElementsAre(WhereValue{false, "WKS-1"}, WhereValue{false, "WKS-2"}));
  EXPECT_THAT(s.where[2].any_of, ElementsAre(WhereValue{true, ""}));
  EXPECT_THAT(texts(s.key),
              ElementsAre("TargetInstance.ResourceID", "TargetInstance.CreationDate"));
}

TEST(WmiEventsOptions, NamespaceIsInheritedFromTheSection) {
  auto o = parse(
      "wmi_events:\n  namespace: root\\sms\\site_LAB\n  subscriptions:\n"
      "    - {name: a, preset: new-device}\n");
  ASSERT_TRUE(o) << o.error().message;
  EXPECT_EQ(o->subscriptions[0].ns, "root\\sms\\site_LAB");
}

TEST(WmiEventsOptions, ExplicitKeysOverrideThePreset) {
  auto o = parse(R"(wmi_events:
  subscriptions:
    - name: new-device
      preset: new-device
      query: SELECT * FROM __InstanceCreationEvent WITHIN 900 WHERE TargetInstance ISA 'SMS_R_System' AND TargetInstance.Client = 1
      attributes: {device.os: TargetInstance.OperatingSystemNameandVersion}
      kind: enrollment
    - name: osd
      preset: osd-success
      user: '{TargetInstance.SiteCode}\{TargetInstance.MachineName}'
)");
  ASSERT_TRUE(o) << o.error().message;
  const auto& nd = o->subscriptions[0];
  EXPECT_EQ(nd.within_seconds, 900);
  EXPECT_EQ(nd.kind, TriggerKind::Enrollment);
  ASSERT_EQ(nd.attributes.size(), 1U);  // replaced whole, not merged
  EXPECT_EQ(nd.attributes[0].first, "device.os");
  EXPECT_TRUE(nd.resume_query);                       // kept from the preset
  EXPECT_EQ(nd.resume_overlap, Millis(1800 * 1000));  // twice WITHIN 900
  const auto& osd = o->subscriptions[1];
  EXPECT_EQ(osd.user_lookup, UserLookup::None);  // user given: the preset's lookup dropped
  ASSERT_TRUE(osd.user);
  // The default key stays the preset's.
  EXPECT_THAT(texts(osd.key), ElementsAre("TargetInstance.RecordID", "TargetInstance.MachineName",
                                          "TargetInstance.MessageID"));
}

TEST(WmiEventsOptions, DefaultKeyIsMachineAndUserPaths) {
  auto o = parse(sub(std::string(kCustom)));
  ASSERT_TRUE(o) << o.error().message;
  EXPECT_THAT(texts(o->subscriptions[0].key),
              ElementsAre("TargetInstance.ResourceID", "TargetInstance.LastLogonUserDomain",
                          "TargetInstance.LastLogonUserName"));
}

TEST(WmiEventsOptions, WithinBelowSixtyForSmsClassesIsRefusedWithTheFix) {
  const auto e = error_of(
      sub("      query: SELECT * FROM __InstanceCreationEvent WITHIN 30 WHERE TargetInstance ISA "
          "'SMS_R_System'\n"
          "      kind: discovery\n      machine: {name: TargetInstance.Name}\n"
          "      user_lookup: last-logon\n"));
  EXPECT_THAT(e, StartsWith("agent.yaml:4:14: wmi_events.subscriptions[0].query: WITHIN 30 polls "
                            "SMS_R_System too often"));
  EXPECT_THAT(e, HasSubstr("no event provider"));
  EXPECT_THAT(e, HasSubstr("Use WITHIN 60 or more"));
}

TEST(WmiEventsOptions, SmsClassWithoutWithinIsRefused) {
  const auto e =
      error_of(sub("      query: SELECT * FROM __InstanceCreationEvent WHERE TargetInstance ISA "
                   "'SMS_StatusMessage'\n"
                   "      kind: osd\n      machine: {name: TargetInstance.MachineName}\n"
                   "      user_lookup: last-logon\n"));
  EXPECT_THAT(e, StartsWith("agent.yaml:4:14: wmi_events.subscriptions[0].query:"));
  EXPECT_THAT(e, HasSubstr("Add WITHIN <seconds> after FROM __InstanceCreationEvent"));
}

TEST(WmiEventsOptions, OverrideOfAPresetQueryIsCheckedToo) {
  const auto e = error_of(R"(wmi_events:
  subscriptions:
    - name: fast
      preset: new-device
      query: SELECT * FROM __InstanceCreationEvent WITHIN 10 WHERE TargetInstance ISA 'SMS_R_System'
)");
  EXPECT_THAT(e, StartsWith("agent.yaml:5:14: wmi_events.subscriptions[0].query: WITHIN 10"));
}

TEST(WmiEventsOptions, NonSmsClassesMayPollFasterOrUseAProvider) {
  auto o = parse(
      sub("      query: SELECT * FROM __InstanceCreationEvent WITHIN 5 WHERE TargetInstance ISA "
          "'Win32_Process'\n"
          "      kind: manual\n      machine: {name: TargetInstance.CSName}\n"
          "      user: 'CONTOSO\\{TargetInstance.Name}'\n"));
  ASSERT_TRUE(o) << o.error().message;
}

TEST(WmiEventsOptions, QueryShapeErrors) {
  const auto with_query = [](const std::string& q) {
    return sub("      query: \"" + q +
               "\"\n      kind: discovery\n      machine: {name: TargetInstance.Name}\n"
               "      user_lookup: last-logon\n");
  };
  EXPECT_THAT(
      error_of(with_query("SELECT * FROM SMS_R_System")),
      HasSubstr("watches SMS_R_System; a subscription watches an intrinsic instance event"));
  EXPECT_THAT(error_of(with_query("SELECT * FROM __InstanceCreationEvent WITHIN 300")),
              HasSubstr("add WHERE TargetInstance ISA '<class>'"));
  EXPECT_THAT(error_of(with_query("DELETE FROM SMS_R_System")), HasSubstr("SELECT statement"));
  EXPECT_THAT(error_of(with_query("SELECT * FROM __InstanceCreationEvent WITHIN 100000 WHERE "
                                  "TargetInstance ISA 'SMS_R_System'")),
              HasSubstr("at most 86400 seconds"));
  EXPECT_THAT(error_of(with_query("")), HasSubstr("must not be empty"));
  EXPECT_THAT(error_of(with_query(std::string(5000, 'x'))), HasSubstr("at most 4096 characters"));
}

TEST(WmiEventsOptions, ResumeQueryChecks) {
  const auto with_resume = [](const std::string& r, const std::string& extra = "") {
    return sub(std::string(kCustom) + "      resume_query: \"" + r + "\"\n" + extra);
  };
  EXPECT_THAT(error_of(with_resume("SELECT * FROM SMS_R_System")),
              HasSubstr("must contain '{since}'"));
  EXPECT_THAT(error_of(with_resume("SELECT * FROM SMS_R_User WHERE CreationDate > '{since}'")),
              HasSubstr("reads SMS_R_User, but the query watches SMS_R_System"));
  EXPECT_THAT(error_of(with_resume("SELECT * FROM __InstanceCreationEvent WITHIN 300 WHERE "
                                   "TargetInstance.CreationDate > '{since}'")),
              HasSubstr("not an event, and without WITHIN"));
  const auto e = error_of(with_resume("SELECT * FROM SMS_R_System WHERE CreationDate > '{since}'",
                                      "      resume_overlap: 1m\n"));
  EXPECT_THAT(e, StartsWith("agent.yaml:9:23: wmi_events.subscriptions[0].resume_overlap: 1m is "
                            "shorter than the polling interval (WITHIN 300)"));
  EXPECT_THAT(e, HasSubstr("Use at least 5m"));
  auto ok =
      parse(with_resume("SELECT * FROM sms_r_system WHERE CreationDate > '{since}' AND Client = 1",
                        "      resume_overlap: 5m\n"));
  ASSERT_TRUE(ok) << ok.error().message;
}

TEST(WmiEventsOptions, PropertyPathErrorsPointAtThePath) {
  const auto e1 = error_of(
      sub("      query: SELECT * FROM __InstanceCreationEvent WITHIN 300 WHERE TargetInstance ISA "
          "'SMS_R_System'\n"
          "      kind: discovery\n"
          "      machine: {resource_id: TargetInstance..ResourceID}\n"
          "      user_lookup: last-logon\n"));
  EXPECT_THAT(e1, StartsWith("agent.yaml:6:30: wmi_events.subscriptions[0].machine.resource_id: "
                             "'TargetInstance..ResourceID' is not a property path"));
  const auto e2 = error_of(
      sub("      query: SELECT * FROM __InstanceCreationEvent WITHIN 300 WHERE TargetInstance ISA "
          "'SMS_R_System'\n"
          "      kind: discovery\n"
          "      machine: {resource_id: ResourceID}\n"
          "      user_lookup: last-logon\n"));
  EXPECT_THAT(e2, StartsWith("agent.yaml:6:30: "));
  EXPECT_THAT(e2, HasSubstr("TargetInstance.ResourceID"));
  const auto e3 =
      error_of(sub(std::string(kCustom) + "      attributes: {old.name: PreviousInstance.Name}\n"));
  EXPECT_THAT(e3, StartsWith("agent.yaml:8:"));
  EXPECT_THAT(e3, HasSubstr("__InstanceCreationEvent has no PreviousInstance"));
  const auto e4 = error_of(sub(std::string(kCustom) + "      where: {Target.Client: 1}\n"));
  EXPECT_THAT(e4, StartsWith("agent.yaml:8:15: wmi_events.subscriptions[0].where: "));
  EXPECT_THAT(e4, HasSubstr("write TargetInstance.Client"));
  const auto e5 = error_of(sub(std::string(kCustom) + "      key: [TargetInstance.a.b]\n"));
  EXPECT_THAT(e5, HasSubstr("key[0]: 'TargetInstance.a.b' is not a property path"));
  const auto e6 = error_of(sub(
      "      query: SELECT * FROM __InstanceCreationEvent WITHIN 300 WHERE TargetInstance ISA "
      "'SMS_R_System'\n"
      "      kind: discovery\n      machine: {name: TargetInstance.Name}\n"
      "      user: '{TargetInstance.LastLogonUserDomain}\\{TargetInstance.LastLogonUserName'\n"));
  EXPECT_THAT(e6, StartsWith("agent.yaml:7:13: wmi_events.subscriptions[0].user: '{' at position"));
  // The event's own properties are fine.
  auto ok = parse(sub(std::string(kCustom) + "      attributes: {event.time: TIME_CREATED}\n"));
  ASSERT_TRUE(ok) << ok.error().message;
}

TEST(WmiEventsOptions, PreviousInstanceAndResume) {
  const std::string base =
      "      query: SELECT * FROM __InstanceModificationEvent WITHIN 300 WHERE TargetInstance ISA "
      "'SMS_R_System'\n"
      "      kind: discovery\n      machine: {name: TargetInstance.Name}\n"
      "      user_lookup: last-logon\n";
  auto ok = parse(sub(base + "      where: {PreviousInstance.Client: [0, ~]}\n"));
  ASSERT_TRUE(ok) << ok.error().message;
  const auto e = error_of(sub(base + "      where: {PreviousInstance.Client: 0}\n" +
                              "      resume_query: SELECT * FROM SMS_R_System WHERE "
                              "CreationDate > '{since}'\n"));
  EXPECT_THAT(e, HasSubstr("the rows of resume_query have no PreviousInstance"));
  // Attributes may use it: a missing attribute is just left out.
  auto attrs = parse(sub(base + "      attributes: {old.client: PreviousInstance.Client}\n" +
                         "      resume_query: SELECT * FROM SMS_R_System WHERE "
                         "CreationDate > '{since}'\n"));
  ASSERT_TRUE(attrs) << attrs.error().message;
}

TEST(WmiEventsOptions, UserAndLookupChoices) {
  const std::string head =
      "      query: SELECT * FROM __InstanceCreationEvent WITHIN 300 WHERE TargetInstance ISA "
      "'SMS_R_System'\n"
      "      kind: discovery\n      machine: {name: TargetInstance.Name}\n";
  EXPECT_THAT(error_of(sub(head)), HasSubstr("subscriptions[0].user: missing"));
  EXPECT_THAT(error_of(sub(head + "      user: x\\{TargetInstance.Name}\n      user_lookup: "
                                  "last-logon\n")),
              HasSubstr("give user (a template) or user_lookup, not both"));
  EXPECT_THAT(error_of(sub(head + "      user_lookup: manager\n")),
              HasSubstr("'manager': use last-logon"));
  EXPECT_THAT(error_of(sub(head + "      user_lookup: none\n")),
              HasSubstr("none leaves the trigger without a user"));
  EXPECT_THAT(error_of(sub(head + "      user: '  '\n")), HasSubstr("must name the user"));
}

TEST(WmiEventsOptions, MissingKeysSayWhatToWrite) {
  EXPECT_THAT(error_of(sub("      kind: osd\n")),
              HasSubstr("query: missing: give a query (or a preset: new-device, osd-success, "
                        "mdm-enrollment)"));
  EXPECT_THAT(error_of(sub("      query: SELECT * FROM __InstanceCreationEvent WITHIN 300 WHERE "
                           "TargetInstance ISA 'SMS_R_System'\n")),
              HasSubstr("kind: missing: the trigger kind, one of enrollment, osd"));
  EXPECT_THAT(error_of(sub("      query: SELECT * FROM __InstanceCreationEvent WITHIN 300 WHERE "
                           "TargetInstance ISA 'SMS_R_System'\n      kind: discovery\n")),
              HasSubstr("machine: missing"));
  EXPECT_THAT(error_of(sub("      query: SELECT * FROM __InstanceCreationEvent WITHIN 300 WHERE "
                           "TargetInstance ISA 'SMS_R_System'\n      kind: discovery\n"
                           "      machine: {}\n      user_lookup: last-logon\n")),
              HasSubstr("give resource_id and/or name"));
  EXPECT_THAT(error_of(sub("      preset: new-device\n      kind: install\n")),
              StartsWith("agent.yaml:5:13: wmi_events.subscriptions[0].kind: 'install' is not a "
                         "trigger kind"));
}

TEST(WmiEventsOptions, UnknownKeysAndPresets) {
  EXPECT_EQ(error_of("wmi_events:\n  subscription: []\n"),
            "agent.yaml:2:3: wmi_events: unknown key 'subscription' (did you mean "
            "'subscriptions'?); known keys: namespace, subscriptions, reconnect, max_queue");
  EXPECT_THAT(error_of(sub("      preset: new-device\n      resum_query: x\n")),
              StartsWith("agent.yaml:5:7: wmi_events.subscriptions[0]: unknown key 'resum_query' "
                         "(did you mean 'resume_query'?)"));
  EXPECT_THAT(error_of(sub("      preset: new-devices\n")),
              StartsWith("agent.yaml:4:15: wmi_events.subscriptions[0].preset: unknown preset "
                         "'new-devices'; presets: new-device, osd-success, mdm-enrollment"));
  EXPECT_THAT(
      error_of(sub(
          "      preset: new-device\n      machine: {resourceid: TargetInstance.ResourceID}\n")),
      HasSubstr("unknown key 'resourceid' (did you mean 'resource_id'?)"));
}

TEST(WmiEventsOptions, NamesAreUniqueIgnoringCase) {
  const auto e = error_of(R"(wmi_events:
  subscriptions:
    - {name: New-Device, preset: new-device}
    - {name: new-device, preset: new-device}
)");
  EXPECT_EQ(
      e,
      "agent.yaml:4:14: wmi_events.subscriptions[1].name: 'new-device' is already the name of "
      "subscriptions[0] (names ignore case)");
  EXPECT_THAT(
      error_of("wmi_events:\n  subscriptions:\n    - {name: 'bad name', preset: new-device}\n"),
      HasSubstr("'bad name': 1..64 letters, digits"));
  EXPECT_THAT(error_of("wmi_events:\n  subscriptions:\n    - {preset: new-device}\n"),
              HasSubstr("name: missing"));
}

TEST(WmiEventsOptions, Bounds) {
  EXPECT_THAT(error_of("wmi_events:\n  subscriptions: []\n"),
              HasSubstr("list at least one subscription"));
  EXPECT_THAT(error_of("wmi_events: {}\n"), HasSubstr("list at least one subscription"));
  std::string many = "wmi_events:\n  subscriptions:\n";
  for (int i = 0; i < 33; ++i) many += fmt::format("    - {{name: s{}, preset: new-device}}\n", i);
  EXPECT_THAT(error_of(many), HasSubstr("at most 32 subscriptions"));
  std::string attrs = "      attributes:\n";
  for (int i = 0; i < 64; ++i) attrs += fmt::format("        a{}: TargetInstance.Name\n", i);
  EXPECT_THAT(error_of(sub(std::string(kCustom) + attrs)), HasSubstr("at most 63 attributes"));
  EXPECT_THAT(error_of(sub(std::string(kCustom) +
                           "      attributes: {user.source: TargetInstance.Name}\n")),
              HasSubstr("'user.source' is set by the watcher"));
  EXPECT_THAT(error_of(sub(std::string(kCustom) + "      key: []\n")),
              HasSubstr("give 1..8 property paths"));
  EXPECT_THAT(error_of(sub(std::string(kCustom) + "      where: {TargetInstance.Client: []}\n")),
              HasSubstr("must not be an empty list"));
  EXPECT_THAT(
      error_of(sub(std::string(kCustom) + "      where: {TargetInstance.Client: {a: 1}}\n")),
      HasSubstr("must be a value"));
  EXPECT_THAT(
      error_of("wmi_events:\n  max_queue: 0\n  subscriptions: [{name: a, preset: new-device}]\n"),
      HasSubstr("max_queue: must be an integer 1..1000000"));
  EXPECT_THAT(
      error_of("wmi_events:\n  reconnect: {base: 10m, cap: 1m}\n  subscriptions: [{name: a, "
               "preset: new-device}]\n"),
      HasSubstr("cap (1m) must not be below base (10m)"));
  EXPECT_THAT(error_of("wmi_events:\n  reconnect: {base: 10ms}\n  subscriptions: [{name: a, "
                       "preset: new-device}]\n"),
              HasSubstr("reconnect.base: must be a duration 100ms..1h"));
}

TEST(WmiEventsOptions, Namespaces) {
  EXPECT_TRUE(check_namespace("auto"));
  EXPECT_TRUE(check_namespace("root\\sms\\site_PS1"));
  EXPECT_TRUE(check_namespace("ROOT\\SMS"));
  EXPECT_FALSE(check_namespace(""));
  EXPECT_FALSE(check_namespace("\\\\cm01\\root\\sms\\site_PS1"));
  EXPECT_FALSE(check_namespace("root\\\\sms"));
  EXPECT_FALSE(check_namespace("root/sms/site_PS1"));
  EXPECT_FALSE(check_namespace("sms\\site_PS1"));
  EXPECT_FALSE(check_namespace("root\\sms\\"));
  const auto e = error_of(sub("      preset: new-device\n      namespace: root/sms\n"));
  EXPECT_THAT(e, StartsWith("agent.yaml:5:18: wmi_events.subscriptions[0].namespace: 'root/sms' "
                            "has '/' in a part"));
  EXPECT_THAT(e, HasSubstr("root\\sms\\site_PS1, or auto"));
}

}  // namespace
}  // namespace uda
