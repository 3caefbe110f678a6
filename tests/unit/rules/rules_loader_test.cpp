#include "rules/rules_loader.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "load_rules.hpp"

namespace uda {
namespace {

std::string load_error(const std::string& text) {
  auto r = load_rules_text(text, "r.yaml");
  EXPECT_FALSE(r) << "should not load:\n" << text;
  return r ? "" : r.error().message;
}

using test::load;

#define EXPECT_HAS(haystack, needle) \
  EXPECT_NE((haystack).find(needle), std::string::npos) << (haystack)

TEST(RulesLoader, MinimalFileAndDefaults) {
  auto rs = load(
      "version: 1\nrules:\n  - name: osd\n    when: {kind: osd}\n    action: create\n"
      "    source: OSD\n");
  ASSERT_EQ(rs.rules.size(), 1U);
  EXPECT_EQ(rs.rules[0].name, "osd");
  EXPECT_EQ(rs.rules[0].then.action, DecisionAction::Create);
  EXPECT_EQ(rs.rules[0].then.source, SourceId::Osd);
  EXPECT_EQ(rs.rules[0].then.type, TypeId::Primary);
  EXPECT_EQ(rs.rules[0].where, "r.yaml:3:5");
  EXPECT_EQ(rs.fallback.action, DecisionAction::Skip);
  EXPECT_EQ(rs.fallback.reason, "no rule matched");
  EXPECT_TRUE(rs.users.reject_machine_accounts);
}

TEST(RulesLoader, SourceAndTypeAcceptNamesAndNumbers) {
  auto rs = load(
      "rules:\n  - {name: a, action: create, source: 4, type: 1}\n"
      "  - {name: b, action: create, source: usage-agent, type: primary}\n"
      "  - {name: c, action: create, source: DeviceManagement}\n");
  EXPECT_EQ(rs.rules[0].then.source, SourceId::UsageAgent);
  EXPECT_EQ(rs.rules[1].then.source, SourceId::UsageAgent);
  EXPECT_EQ(rs.rules[2].then.source, SourceId::DeviceManagement);
}

TEST(RulesLoader, ErrorsSayFileLineColumnAndHowToFix) {
  EXPECT_HAS(load_error("rules:\n  - name: a\n    action: create\n    source: Teleport\n"),
             "r.yaml:4:13: rules[0] (a).source: 'Teleport' is not a SourceId; use one of");
  EXPECT_HAS(load_error("rules:\n  - name: a\n    action: explode\n"),
             "r.yaml:3:13: rules[0] (a).action: 'explode' is not one of create, skip");
  EXPECT_HAS(load_error("rules:\n  - name: a\n    action: create\n"),
             "a create needs the SourceId");
  EXPECT_HAS(load_error("rules:\n  - name: a\n    action: skip\n    source: OSD\n"),
             "only a create has a source");
  EXPECT_HAS(load_error("rules:\n  - action: skip\n"), "every rule has a name");
  // Two files pasted together: the second would be silently ignored.
  EXPECT_HAS(load_error("rules: []\n---\nrules:\n  - {name: b, action: skip}\n"),
             "r.yaml:2:1: a second YAML document starts here");
  EXPECT_HAS(load_error("rules:\n  - name: a\n    action: skip\n    wen: {kind: osd}\n"),
             "r.yaml:4:5: rules[0] (a): unknown key 'wen' (did you mean 'when'?)");
  EXPECT_HAS(load_error("rules:\n  - name: a\n    when: {kind: reboot}\n    action: skip\n"),
             "r.yaml:3:18: rules[0] (a).when.kind: 'reboot' is not a trigger kind");
  EXPECT_HAS(load_error("rules:\n  - name: a\n    when:\n      attributes: ['usage.minutes >= "
                        "lots']\n    action: skip\n"),
             "r.yaml:4:20: rules[0] (a).when.attributes: 'usage.minutes >= lots'");
  EXPECT_HAS(load_error("rules:\n  - name: a\n    when: {machine: {name_regex: '(['}}\n"
                        "    action: skip\n"),
             "not a valid regular expression");
  EXPECT_HAS(load_error("rules:\n  - name: a\n    when: {machine: {resource_id: [0]}}\n"
                        "    action: skip\n"),
             "is not a ResourceID");
  EXPECT_HAS(load_error("rules:\n  - name: a\n    when: {machine: {resource_id: '20-10'}}\n"
                        "    action: skip\n"),
             "is not a ResourceID");
  EXPECT_HAS(
      load_error("rules:\n  - name: a\n    when: {time: {hours: '7-19'}}\n    action: skip\n"),
      "HH:MM-HH:MM");
  EXPECT_HAS(
      load_error("rules:\n  - name: a\n    when: {time: {days: [funday]}}\n    action: skip\n"),
      "'funday' is not a day");
  EXPECT_HAS(
      load_error("rules:\n  - name: a\n    when: {time: {utc_offset: '+1'}}\n    action: skip\n"),
      "is not a UTC offset");
  EXPECT_HAS(load_error("rules:\n  - name: a\n    when: {machine: {}}\n    action: skip\n"),
             "give name, name_regex or resource_id");
  EXPECT_HAS(load_error("version: 2\nrules: []\n"), "version: must be an integer 1..1");
  EXPECT_HAS(load_error("rules: {a: 1}\n"), "must be a list of rules");
  EXPECT_HAS(load_error("version: 1\n"), "missing: add 'rules:'");
  EXPECT_HAS(load_error("rules: [\n"), "YAML syntax error");
  EXPECT_HAS(load_error("- a\n- b\n"), "a rules file is a map");
}

TEST(RulesLoader, RuleNamesAreCheckedAndUnique) {
  EXPECT_HAS(load_error("rules:\n  - {name: a, action: skip}\n  - {name: A, action: skip}\n"),
             "r.yaml:3:12: rules[1].name: 'A' is already the name of the rule at r.yaml:2:5");
  EXPECT_HAS(load_error("rules:\n  - {name: 'has space', action: skip}\n"), "letters, digits");
  EXPECT_HAS(load_error("rules:\n  - {name: default, action: skip}\n"), "reserved");
}

TEST(RulesLoader, UsersSectionIsValidated) {
  auto rs = load(
      "users:\n  upn_suffixes: {Contoso.com: CONTOSO, '*': CORP}\n"
      "  upn_map: {john.doe@contoso.com: 'CONTOSO\\jdoe'}\n"
      "  domains: {contoso.local: CONTOSO}\n  domain_case: keep\n  name_case: lower\n"
      "  reject: ['*\\svc_*', {pattern: '*\\sa_*', reason: shared admin}]\n"
      "rules: []\n");
  EXPECT_EQ(rs.users.upn_suffixes.at("contoso.com"), "CONTOSO");
  EXPECT_EQ(rs.users.upn_suffixes.at("*"), "CORP");
  EXPECT_EQ(rs.users.upn_map.at("john.doe@contoso.com"), "CONTOSO\\jdoe");
  EXPECT_EQ(rs.users.domain_case, LetterCase::Keep);
  EXPECT_EQ(rs.users.name_case, LetterCase::Lower);
  ASSERT_EQ(rs.users.reject.size(), 2U);
  EXPECT_EQ(rs.users.reject[0].reason, "excluded account");
  EXPECT_EQ(rs.users.reject[1].reason, "shared admin");

  EXPECT_HAS(load_error("users:\n  upn_map: {jdoe: 'CONTOSO\\jdoe'}\nrules: []\n"),
             "'jdoe' is not a UPN");
  EXPECT_HAS(load_error("users:\n  upn_map: {j@contoso.com: jdoe}\nrules: []\n"),
             "'jdoe' is not DOMAIN\\user");
  EXPECT_HAS(load_error("users:\n  upn_suffixes: {contoso.com: 'CON TOSO'}\nrules: []\n"),
             "not a valid NetBIOS domain");
  EXPECT_HAS(load_error("users:\n  reject: ['svc_*']\nrules: []\n"), "write e.g. '*\\svc_*'");
  EXPECT_HAS(load_error("users:\n  domain_case: shout\nrules: []\n"),
             "not one of keep, upper, lower");
  EXPECT_HAS(load_error("users:\n  upn_suffixes: {a.com: A, A.COM: B}\nrules: []\n"),
             "listed twice");
  EXPECT_HAS(load_error("users:\n  unmapped_upn: ask\nrules: []\n"),
             "'ask' is not one of skip, resolve_in_site");
  EXPECT_TRUE(load("users:\n  unmapped_upn: resolve_in_site\nrules: []\n")
                  .users.resolve_unmapped_upn_in_site);
}

TEST(RulesLoader, UnreachableRulesAreWarnedNotRefused) {
  auto rs = load(
      "rules:\n  - {name: freeze, action: skip, reason: change freeze}\n"
      "  - {name: osd, when: {kind: osd}, action: create, source: OSD}\n"
      "  - {name: off, enabled: false, action: skip}\n");
  ASSERT_EQ(rs.warnings.size(), 1U);
  EXPECT_HAS(rs.warnings[0], "rule 'osd' is never tried: rule 'freeze' at r.yaml:2:5");
}

TEST(RulesLoader, DefaultCanCreate) {
  auto rs = load("rules: []\ndefault: {action: create, source: Administrator}\n");
  EXPECT_EQ(rs.fallback.action, DecisionAction::Create);
  EXPECT_EQ(rs.fallback.source, SourceId::Administrator);
  EXPECT_HAS(load_error("rules: []\ndefault: {action: create}\n"), "default.source");
}

TEST(RulesLoader, ShippedRuleFilesLoadWithoutWarnings) {
  const std::filesystem::path dir = std::filesystem::path(UDA_SOURCE_DIR) / "rules";
  std::vector<std::filesystem::path> files{dir / "default.yaml"};
  for (const auto& e : std::filesystem::directory_iterator(dir / "examples")) {
    if (e.path().extension() == ".yaml") files.push_back(e.path());
  }
  EXPECT_GE(files.size(), 3U);
  for (const auto& f : files) {
    auto rs = load_rules_file(f);
    ASSERT_TRUE(rs) << rs.error().message;
    EXPECT_FALSE(rs->rules.empty()) << f;
    EXPECT_TRUE(rs->warnings.empty()) << f << ": " << rs->warnings.front();
  }
}

TEST(RulesLoader, MissingFileSaysSo) {
  auto rs = load_rules_file("/nonexistent/rules.yaml");
  ASSERT_FALSE(rs);
  EXPECT_HAS(rs.error().message, "/nonexistent/rules.yaml: cannot open file");
}

}  // namespace
}  // namespace uda
