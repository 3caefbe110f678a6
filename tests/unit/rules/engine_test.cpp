#include "rules/engine.hpp"

#include <gtest/gtest.h>

#include "load_rules.hpp"
#include "rules/rules_loader.hpp"

namespace uda {
namespace {

using test::load;

Trigger trig(TriggerKind kind, std::string user = "CONTOSO\\jdoe",
             std::optional<std::uint32_t> id = 16777220,
             std::optional<std::string> name = std::nullopt) {
  Trigger t;
  t.id = "t-1";
  t.kind = kind;
  t.machine.resource_id = id;
  t.machine.name = std::move(name);
  t.user = std::move(user);
  t.origin = "cli";
  t.received_at = *parse_iso8601("2026-11-25T10:30:00Z");  // a Wednesday
  return t;
}

const char* kRules = R"(
version: 1
users:
  upn_suffixes: {contoso.com: CONTOSO}
  reject: [{pattern: '*\svc_*', reason: service account}]
rules:
  - name: lab
    when: {machine: {name: 'LAB-*'}}
    action: skip
    reason: shared lab device
  - name: osd
    when: {kind: osd}
    action: create
    source: OSD
  - name: usage
    when:
      kind: usage
      attributes: ['usage.minutes >= 2880', 'usage.days <= 30']
    action: create
    source: UsageAgent
default:
  action: skip
  reason: nothing applies
)";

TEST(Engine, FirstMatchWinsAndTheTraceSaysWhy) {
  const auto rs = load(kRules);
  const auto d = decide(rs, trig(TriggerKind::Osd));
  EXPECT_EQ(d.action, DecisionAction::Create);
  EXPECT_EQ(d.rule, "osd");
  EXPECT_EQ(d.source, SourceId::Osd);
  EXPECT_EQ(d.type, TypeId::Primary);
  ASSERT_TRUE(d.user);
  EXPECT_EQ(d.user->str(), "CONTOSO\\jdoe");
  ASSERT_EQ(d.trace.size(), 2U);
  EXPECT_EQ(d.trace[0].rule, "lab");
  EXPECT_FALSE(d.trace[0].matched);
  EXPECT_EQ(d.trace[0].failed,
            "machine name is not known (the trigger gave only resource id 16777220)");
  EXPECT_TRUE(d.trace[1].matched);
  EXPECT_EQ(d.trace[1].passed, std::vector<std::string>{"kind osd is one of [osd]"});
  EXPECT_EQ(d.reason, "rule 'osd' matched: kind osd is one of [osd]");
}

TEST(Engine, SkipRuleBeforeCreateRuleWins) {
  const auto rs = load(kRules);
  const auto d = decide(rs, trig(TriggerKind::Osd, "CONTOSO\\jdoe", 16777231, "lab-a01"));
  EXPECT_EQ(d.action, DecisionAction::Skip);
  EXPECT_EQ(d.rule, "lab");
  EXPECT_EQ(d.reason, "shared lab device");
  EXPECT_EQ(d.trace.size(), 1U);
}

TEST(Engine, UsageThresholdUsesNumericAttributes) {
  const auto rs = load(kRules);
  auto t = trig(TriggerKind::Usage);
  t.attributes = {{"usage.minutes", 3000.0}, {"usage.days", 12.0}};
  auto d = decide(rs, t);
  EXPECT_EQ(d.action, DecisionAction::Create);
  EXPECT_EQ(d.source, SourceId::UsageAgent);

  t.attributes["usage.minutes"] = 100.0;
  d = decide(rs, t);
  EXPECT_EQ(d.action, DecisionAction::Skip);
  EXPECT_EQ(d.rule, "default");
  EXPECT_EQ(d.reason, "nothing applies");
  ASSERT_EQ(d.trace.size(), 3U);
  EXPECT_EQ(d.trace[2].failed, "usage.minutes 100 is not >= 2880");
  EXPECT_EQ(d.trace[2].passed, std::vector<std::string>{"kind usage is one of [usage]"});
}

TEST(Engine, UserPolicyDecidesBeforeAnyRule) {
  const auto rs = load(kRules);
  auto d = decide(rs, trig(TriggerKind::Osd, "CONTOSO\\svc_backup"));
  EXPECT_EQ(d.action, DecisionAction::Skip);
  EXPECT_EQ(d.rule, "user-policy");
  EXPECT_NE(d.reason.find("service account"), std::string::npos);
  EXPECT_TRUE(d.trace.empty());

  d = decide(rs, trig(TriggerKind::Osd, "CONTOSO\\WKS-0007$"));
  EXPECT_EQ(d.rule, "user-policy");
  EXPECT_NE(d.reason.find("machine account"), std::string::npos);

  d = decide(rs, trig(TriggerKind::Osd, "jdoe@contoso.com"));
  EXPECT_EQ(d.action, DecisionAction::Create);
  EXPECT_EQ(d.user->str(), "CONTOSO\\jdoe");
  EXPECT_EQ(d.user_steps.size(), 1U);
}

TEST(Engine, UserConditionsSeeTheNormalisedName) {
  const auto rs = load(R"(
users: {upn_suffixes: {contoso.com: CONTOSO}}
rules:
  - {name: admins, when: {user: {name: 'adm-*'}}, action: skip, reason: admin account}
  - {name: fabrikam, when: {user: {domain: FABRIKAM}}, action: skip, reason: other forest}
  - {name: rx, when: {user: {regex: '^contoso\\x\d+$'}}, action: skip, reason: numbered}
  - {name: acct, when: {user: {account: 'CONTOSO\boss'}}, action: create, source: 2}
)");
  EXPECT_EQ(decide(rs, trig(TriggerKind::Manual, "adm-jdoe@contoso.com")).rule, "admins");
  EXPECT_EQ(decide(rs, trig(TriggerKind::Manual, "fabrikam\\bob")).rule, "fabrikam");
  EXPECT_EQ(decide(rs, trig(TriggerKind::Manual, "CONTOSO\\x42")).rule, "rx");
  EXPECT_EQ(decide(rs, trig(TriggerKind::Manual, "contoso\\BOSS")).rule, "acct");
  EXPECT_EQ(decide(rs, trig(TriggerKind::Manual, "CONTOSO\\jdoe")).rule, "default");
}

TEST(Engine, MachineOriginResourceIdAndRegex) {
  const auto rs = load(R"(
rules:
  - {name: range, when: {machine: {resource_id: ['16777300-16777399', 5]}}, action: skip}
  - {name: rx, when: {machine: {name_regex: '^KIOSK-\d{4}$'}}, action: skip}
  - {name: http, when: {origin: ['http:osd-*']}, action: create, source: OSD}
)");
  EXPECT_EQ(decide(rs, trig(TriggerKind::Osd, "C\\u", 16777350)).rule, "range");
  EXPECT_EQ(decide(rs, trig(TriggerKind::Osd, "C\\u", 5)).rule, "range");
  EXPECT_EQ(decide(rs, trig(TriggerKind::Osd, "C\\u", 16777400, "kiosk-0001")).rule, "rx");
  EXPECT_EQ(decide(rs, trig(TriggerKind::Osd, "C\\u", 16777400, "kiosk-01")).rule, "default");
  auto t = trig(TriggerKind::Osd, "C\\u", 16777400);
  t.origin = "http:osd-token";
  EXPECT_EQ(decide(rs, t).rule, "http");
  // Name-only trigger: the resource id condition explains it cannot tell.
  auto named = trig(TriggerKind::Osd, "C\\u", std::nullopt, "WKS-1");
  auto d = decide(rs, named);
  EXPECT_EQ(d.trace[0].failed, "resource id is not known (the trigger gave only the name 'WKS-1')");
}

TEST(Engine, TimeWindowsUseTheReceivedTimeAndOffset) {
  const auto rs = load(R"(
rules:
  - name: office-hours
    when: {time: {days: mon-fri, hours: '08:00-18:00', utc_offset: '+01:00'}}
    action: create
    source: Administrator
  - name: night
    when: {time: {hours: '22:00-06:00'}}
    action: skip
    reason: night
)");
  auto t = trig(TriggerKind::Manual);  // Wed 10:30 UTC = 11:30 +01:00
  auto d = decide(rs, t);
  EXPECT_EQ(d.rule, "office-hours");
  EXPECT_EQ(d.trace[0].passed.at(0),
            "received wed 11:30 (UTC+01:00) is within mon-fri 08:00-18:00 UTC+01:00");
  t.received_at = *parse_iso8601("2026-11-25T17:30:00Z");  // 18:30 local: after hours
  EXPECT_EQ(decide(rs, t).rule, "default");
  t.received_at = *parse_iso8601("2026-11-28T10:00:00Z");  // Saturday
  EXPECT_EQ(decide(rs, t).rule, "default");
  t.received_at = *parse_iso8601("2026-11-28T23:15:00Z");  // wraps midnight
  EXPECT_EQ(decide(rs, t).rule, "night");
  t.received_at = *parse_iso8601("2026-11-29T05:59:00Z");
  EXPECT_EQ(decide(rs, t).rule, "night");
  t.received_at = *parse_iso8601("2026-11-29T06:00:00Z");
  EXPECT_EQ(decide(rs, t).rule, "default");
}

TEST(Engine, DisabledRulesAreNotTried) {
  const auto rs = load("rules:\n  - {name: off, enabled: false, action: create, source: 2}\n");
  const auto d = decide(rs, trig(TriggerKind::Manual));
  EXPECT_EQ(d.rule, "default");
  EXPECT_TRUE(d.trace.empty());
}

TEST(Engine, WithoutTraceOnlyTheDecidingRuleIsRecorded) {
  const auto rs = load(kRules);
  const auto full = decide(rs, trig(TriggerKind::Osd));
  const auto lean = decide(rs, trig(TriggerKind::Osd), TraceLevel::None);
  EXPECT_EQ(lean.action, full.action);
  EXPECT_EQ(lean.rule, full.rule);
  EXPECT_EQ(lean.source, full.source);
  ASSERT_EQ(lean.trace.size(), 1U);
  EXPECT_TRUE(lean.trace[0].matched);
  EXPECT_TRUE(lean.trace[0].passed.empty());
}

TEST(Engine, SameInputSameDecision) {
  const auto rs = load(kRules);
  auto t = trig(TriggerKind::Usage);
  t.attributes = {{"usage.minutes", 5000.0}, {"usage.days", 1.0}};
  const auto a = decide(rs, t);
  const auto b = decide(rs, t);
  EXPECT_EQ(a.rule, b.rule);
  EXPECT_EQ(a.reason, b.reason);
  EXPECT_EQ(a.trace.size(), b.trace.size());
}

TEST(Engine, UnmappedUpnCanBeLeftForTheSite) {
  const auto rs = load(R"(
users: {upn_suffixes: {contoso.com: CONTOSO}, unmapped_upn: resolve_in_site}
rules:
  - {name: admins, when: {user: {name: 'adm-*'}}, action: skip, reason: admin account}
  - {name: osd, when: {kind: osd}, action: create, source: OSD}
)");
  auto d = decide(rs, trig(TriggerKind::Osd, "Bob.Smith@fabrikam.com"));
  EXPECT_EQ(d.action, DecisionAction::Create);
  EXPECT_FALSE(d.user);
  ASSERT_TRUE(d.upn);
  EXPECT_EQ(*d.upn, "Bob.Smith@fabrikam.com");
  EXPECT_NE(d.user_steps.at(0).find("the site will resolve it"), std::string::npos);
  // Mapped suffixes are still mapped here.
  auto mapped = decide(rs, trig(TriggerKind::Osd, "jdoe@contoso.com"));
  ASSERT_TRUE(mapped.user);
  EXPECT_FALSE(mapped.upn);
  // User conditions see the UPN as the name until the site resolves it.
  EXPECT_EQ(decide(rs, trig(TriggerKind::Osd, "adm-x@fabrikam.com")).rule, "admins");
}

// The quick path (TraceLevel::None) looks only at the rules the index says
// can match; it must decide exactly as walking every rule does.
TEST(Engine, TheRuleIndexNeverChangesADecision) {
  const auto rs = load(R"(
rules:
  - {name: off, enabled: false, when: {machine: {name: 'W*'}}, action: create, source: 2}
  - {name: lab, when: {machine: {name: ['LAB-*', 'kiosk??']}}, action: skip}
  - {name: q-lead, when: {machine: {name: '?AB*'}}, action: skip}
  - {name: star-lead, when: {machine: {name: '*-SRV'}}, action: skip}
  - {name: rx-and-glob, when: {machine: {name: 'X*', name_regex: '^y'}}, action: skip}
  - {name: osd-wks, when: {kind: osd, machine: {name: 'WKS-*'}}, action: create, source: OSD}
  - {name: usage-or-manual, when: {kind: [usage, manual], user: {name: 'j*'}}, action: create, source: 2}
  - {name: enroll, when: {kind: enrollment}, action: create, source: DeviceManagement}
  - {name: everything-else, when: {machine: {resource_id: '1-99'}}, action: skip}
)");
  ASSERT_TRUE(rs.index.covers(rs.rules.size()));
  const std::vector<std::optional<std::string>> names{
      std::nullopt, "",      "LAB-1",   "lab-1", "Kiosk01", "kiosk1", "CAB9", "?AB",
      "web-srv",    "X1",    "y2",      "Y2",    "WKS-7",   "wks-7",  "W",    "\xc3\xa9t\xc3\xa9",
      "-SRV",       "*-SRV", "NOMATCH", "j",     "LAB-"};
  int compared = 0;
  for (int k = 0; k < 5; ++k) {
    for (const auto& name : names) {
      for (const std::uint32_t id : {5U, 16777220U}) {
        for (const char* user : {"CONTOSO\\jdoe", "CONTOSO\\anna"}) {
          const auto t = trig(static_cast<TriggerKind>(k), user, id, name);
          const auto full = decide(rs, t, TraceLevel::Full);
          const auto quick = decide(rs, t, TraceLevel::None);
          ASSERT_EQ(quick.rule, full.rule)
              << to_string(t.kind) << " " << name.value_or("(none)") << " " << id << " " << user;
          EXPECT_EQ(quick.action, full.action);
          EXPECT_EQ(quick.source, full.source);
          ++compared;
        }
      }
    }
  }
  EXPECT_EQ(compared, 5 * 21 * 2 * 2);
}

TEST(Engine, TheRuleIndexKnowsKindsAndMachineNameLeads) {
  const auto rs = load(R"(
rules:
  - {name: lab, when: {machine: {name: ['LAB-*', 'kiosk??']}}, action: skip}
  - {name: osd, when: {kind: osd}, action: create, source: OSD}
  - {name: any, when: {machine: {name: '*'}}, action: skip}
)");
  const auto& usage = rs.index.candidates(TriggerKind::Usage);
  ASSERT_EQ(usage.size(), 2U) << "the osd rule cannot match a usage trigger";
  EXPECT_EQ(usage[0].rule, 0U);
  EXPECT_EQ(usage[1].rule, 2U);
  EXPECT_TRUE(usage[0].may_match("lab-1"));
  EXPECT_TRUE(usage[0].may_match("KIOSK01"));
  EXPECT_FALSE(usage[0].may_match("WKS-1"));
  EXPECT_FALSE(usage[0].may_match(""));
  EXPECT_TRUE(usage[1].may_match("")) << "'*' restricts nothing";
  EXPECT_EQ(rs.index.candidates(TriggerKind::Osd).size(), 3U);
  // A set built by hand has no index and is walked whole.
  RuleSet by_hand = rs;
  by_hand.index = {};
  EXPECT_FALSE(by_hand.index.covers(by_hand.rules.size()));
  EXPECT_EQ(decide(by_hand, trig(TriggerKind::Osd), TraceLevel::None).rule, "osd");
}

}  // namespace
}  // namespace uda
