#include "rules/engine.hpp"

#include <fmt/format.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

namespace uda {
namespace {

void apply(const RuleAction& a, Decision& d) {
  d.action = a.action;
  d.source = a.source;
  d.type = a.type;
}

// The rule matched: its action, and why (the trace's last entry is this rule
// when the trace is kept).
Decision decided_by(const Rule& rule, Decision& d, bool full) {
  apply(rule.then, d);
  d.rule = rule.name;
  if (!rule.then.reason.empty()) {
    d.reason = rule.then.reason;
  } else if (rule.conditions.empty()) {
    d.reason = fmt::format("rule '{}' applies to every trigger", rule.name);
  } else if (full) {
    std::string all;
    for (const auto& p : d.trace.back().passed) {
      if (!all.empty()) all += "; ";
      all += p;
    }
    d.reason = fmt::format("rule '{}' matched: {}", rule.name, all);
  } else {
    d.reason = fmt::format("rule '{}' matched", rule.name);
  }
  return std::move(d);
}

}  // namespace

Decision decide(const RuleSet& rules, const Trigger& trigger, TraceLevel trace) {
  Decision d;
  auto user = normalise_user(rules.users, trigger.user);
  d.user_steps = std::move(user.steps);
  if (!user.user && !user.upn) {
    d.action = DecisionAction::Skip;
    d.rule = "user-policy";
    d.reason = std::move(user.rejected);
    return d;
  }
  // A UPN left for the site: until it is resolved, user conditions see an
  // empty domain and the UPN as the name.
  const DomainUser seen = user.user ? *user.user : DomainUser{"", *user.upn};
  d.user = std::move(user.user);
  d.upn = std::move(user.upn);

  const bool full = trace == TraceLevel::Full;
  const std::string account = seen.str();
  const EvalContext ctx{trigger, seen, account};
  if (!full && rules.index.covers(rules.rules.size())) {
    // Only the rules that can match this kind, in order; nothing recorded
    // for the ones that do not match.
    // (Not a ?: with "": that would make a temporary std::string.)
    std::string_view machine;
    if (trigger.machine.name) machine = *trigger.machine.name;
    for (const RuleCandidate& candidate : rules.index.candidates(trigger.kind)) {
      if (!candidate.may_match(machine)) continue;
      const Rule& rule = rules.rules[candidate.rule];
      bool matched = true;
      for (const auto& c : rule.conditions) {
        if (!c->eval(ctx, nullptr)) {
          matched = false;
          break;
        }
      }
      if (matched) {
        d.trace.push_back(RuleTrace{rule.name, true, {}, {}});
        return decided_by(rule, d, full);
      }
    }
  } else {
    std::string why;
    std::string* why_ptr = full ? &why : nullptr;
    if (full) d.trace.reserve(rules.rules.size());
    for (const auto& rule : rules.rules) {
      if (!rule.enabled) continue;
      bool matched = true;
      RuleTrace t;
      for (const auto& c : rule.conditions) {
        const bool ok = c->eval(ctx, why_ptr);
        if (!ok) {
          matched = false;
          if (full) t.failed = std::exchange(why, {});
          break;
        }
        if (full) t.passed.push_back(std::exchange(why, {}));
      }
      if (!matched && !full) continue;
      t.rule = rule.name;
      t.matched = matched;
      d.trace.push_back(std::move(t));
      if (matched) return decided_by(rule, d, full);
    }
  }
  apply(rules.fallback, d);
  d.rule = "default";
  d.reason = rules.fallback.reason.empty() ? std::string("no rule matched") : rules.fallback.reason;
  return d;
}

}  // namespace uda
