#include "rules/engine.hpp"

#include <fmt/format.h>

#include <utility>

namespace uda {
namespace {

void apply(const RuleAction& a, Decision& d) {
  d.action = a.action;
  d.source = a.source;
  d.type = a.type;
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
  const EvalContext ctx{trigger, seen};
  std::string why;
  std::string* why_ptr = full ? &why : nullptr;
  for (const auto& rule : rules.rules) {
    if (!rule.enabled) continue;
    RuleTrace t;
    t.rule = rule.name;
    bool matched = true;
    for (const auto& c : rule.conditions) {
      const bool ok = c->eval(ctx, why_ptr);
      if (!ok) {
        matched = false;
        if (full) t.failed = std::exchange(why, {});
        break;
      }
      if (full) t.passed.push_back(std::exchange(why, {}));
    }
    t.matched = matched;
    if (full || matched) d.trace.push_back(std::move(t));
    if (!matched) continue;

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
    return d;
  }
  apply(rules.fallback, d);
  d.rule = "default";
  d.reason = rules.fallback.reason.empty() ? std::string("no rule matched") : rules.fallback.reason;
  return d;
}

}  // namespace uda
