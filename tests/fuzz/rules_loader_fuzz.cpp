// libFuzzer target: the rules file (rules/rules_loader.hpp, load_rules_text)
// and the engine that runs a loaded rule set (rules/engine.hpp, decide).
//
// Properties: no crash, sanitizer report or exception on any bytes; every
// error starts with "<file>:" (the loader promises file:line:column); an
// accepted rule set keeps its documented bounds (at most kMaxRules rules,
// unique valid names, none reserved) and every decision it makes on a few
// fixed triggers is consistent: made by "user-policy", "default" or an
// enabled rule of the set, with that rule's action and SourceId, a reason, a
// valid DOMAIN\user (or a UPN left for the site) for a create, and the same
// outcome without the trace.

#include <algorithm>
#include <cctype>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/user_account.hpp"
#include "fuzz_support.hpp"
#include "rules/engine.hpp"
#include "rules/explain.hpp"
#include "rules/rules_loader.hpp"

namespace {

using namespace uda;

const std::string kName = "fuzz-rules.yaml";

Trigger make_trigger(TriggerKind kind, std::optional<std::uint32_t> id,
                     std::optional<std::string> name, std::string user, std::string origin,
                     std::string_view received_at, Attributes attributes) {
  Trigger t;
  t.id = "fuzz-" + user;
  t.kind = kind;
  t.machine.resource_id = id;
  t.machine.name = std::move(name);
  t.user = std::move(user);
  t.origin = std::move(origin);
  t.received_at = parse_iso8601(received_at).value();
  t.attributes = std::move(attributes);
  return t;
}

// Triggers that reach the different conditions: kinds, origins, machine
// names and ids, DOMAIN\user and UPN users, machine accounts, attributes of
// each type, received on a weekday, at night and on a weekend.
const std::vector<Trigger>& triggers() {
  static const std::vector<Trigger> all{
      make_trigger(TriggerKind::Osd, 16777220, "WKS-001", "CONTOSO\\jdoe", "http:osd-ts",
                   "2026-11-24T10:00:00Z",
                   {{"usage.minutes", 3120.0}, {"ts.name", std::string("Win11 OSD")}}),
      make_trigger(TriggerKind::Usage, std::nullopt, "KIOSK-0003", " jdoe@contoso.com ",
                   "usage-poller", "2026-11-29T23:30:00+01:00",
                   {{"usage.minutes", 10.0}, {"usage.logons", 2.0}, {"primary", true}}),
      make_trigger(TriggerKind::Enrollment, 16777299, std::nullopt, "contoso.local\\svc_backup",
                   "spool", "2026-11-21T06:59:59Z", {}),
      make_trigger(TriggerKind::Manual, 16777230, "PC01", "CONTOSO\\PC01$", "cli",
                   "2026-11-25T12:00:00Z", {{"note", std::string("")}}),
      make_trigger(TriggerKind::Discovery, 4294967295U, "LAB-9", "FABRIKAM\\Anna.Berg",
                   "wmi:new-devices", "2026-11-26T18:00:00-05:00", {{"x", -1.5}}),
  };
  return all;
}

bool valid_rule_name(std::string_view n) {
  return !n.empty() && n.size() <= 64 && std::all_of(n.begin(), n.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_' || c == '.';
  });
}

void check_decision(const RuleSet& set, const Trigger& t) {
  const Decision d = decide(set, t, TraceLevel::Full);
  fuzz::check(!d.reason.empty(), "a decision without a reason", d.rule);
  if (d.rule == "user-policy") {
    fuzz::check(d.action == DecisionAction::Skip, "user-policy decided to create");
    fuzz::check(d.trace.empty(), "rules were tried for a refused user");
  } else {
    fuzz::check(d.user.has_value() != d.upn.has_value(),
                "an accepted user is not exactly one of DOMAIN\\user or a UPN for the site");
    if (d.user) {
      fuzz::check(parse_domain_user(d.user->str()).has_value(),
                  "the normalised user is not a valid DOMAIN\\user", d.user->str());
    }
    const RuleAction* expected = &set.fallback;
    if (d.rule != "default") {
      const auto it = std::find_if(set.rules.begin(), set.rules.end(),
                                   [&](const Rule& r) { return r.name == d.rule; });
      fuzz::check(it != set.rules.end(), "the deciding rule is not in the set", d.rule);
      fuzz::check(it->enabled, "a disabled rule decided", d.rule);
      expected = &it->then;
      fuzz::check(!d.trace.empty() && d.trace.back().matched && d.trace.back().rule == d.rule,
                  "the trace does not end with the deciding rule", d.rule);
    }
    fuzz::check(d.action == expected->action, "the decision's action is not its rule's", d.rule);
    if (d.action == DecisionAction::Create) {
      fuzz::check(d.source == expected->source && d.type == expected->type,
                  "the decision's SourceId or TypeId is not its rule's", d.rule);
    }
    fuzz::check(d.trace.size() <= set.rules.size(), "more rules traced than there are");
  }
  const Decision quick = decide(set, t, TraceLevel::None);
  fuzz::check(quick.action == d.action && quick.rule == d.rule && quick.source == d.source &&
                  quick.type == d.type && quick.user == d.user && quick.upn == d.upn,
              "the decision depends on the trace level", d.rule);
  fuzz::check(!format_explanation(t, d).empty(), "an empty explanation");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(fuzz::as_text(data, size));
  auto set = load_rules_text(text, kName);
  if (!set) {
    fuzz::check(fuzz::starts_with(set.error().message, kName + ":"),
                "a rules error does not start with the file name", set.error().message);
    return 0;
  }
  fuzz::check(set->version == 1, "a rules version other than 1 was accepted");
  fuzz::check(set->rules.size() <= kMaxRules, "more than kMaxRules rules were accepted");
  std::set<std::string> names;
  for (const auto& r : set->rules) {
    fuzz::check(valid_rule_name(r.name), "an invalid rule name was accepted", r.name);
    fuzz::check(r.name != "default" && r.name != "user-policy",
                "a reserved rule name was accepted");
    fuzz::check(names.insert(ascii_lower(r.name)).second, "two rules share a name", r.name);
    fuzz::check(r.then.reason.size() <= 512, "a reason longer than 512 characters", r.name);
  }
  fuzz::check(set->fallback.action != DecisionAction::Skip || !set->fallback.reason.empty(),
              "a default skip without a reason");
  for (const auto& t : triggers()) check_decision(*set, t);
  return 0;
}
