#pragma once
// The rules engine: a pure function of (rule set, trigger). No I/O, no clock:
// the same trigger and rules always give the same decision, which is what
// makes `rules explain` and the stored trace trustworthy.

#include "core/decision.hpp"
#include "core/trigger.hpp"
#include "rules/rule_set.hpp"

namespace uda {

enum class TraceLevel {
  Full,  // every rule tried, with the sentence of every condition (explain, audit)
  None,  // only the deciding rule (bulk evaluation, benchmarks)
};

// 1. users: normalisation; a rejected user is skipped by "user-policy".
// 2. rules in order; the first whose conditions all hold decides.
// 3. otherwise the default ("default").
Decision decide(const RuleSet& rules, const Trigger& trigger, TraceLevel trace = TraceLevel::Full);

}  // namespace uda
