#pragma once
// A loaded rule set (rules/default.yaml and friends): the user policy, the
// ordered rules (first match wins) and the default for triggers no rule
// matches. Immutable once loaded; the agent swaps whole sets on reload.

#include <string>
#include <vector>

#include "core/decision.hpp"
#include "core/source_id.hpp"
#include "rules/condition.hpp"
#include "rules/rule_index.hpp"
#include "rules/user_policy.hpp"

namespace uda {

// What a rule (or the default) does when it matches.
struct RuleAction {
  DecisionAction action = DecisionAction::Skip;
  SourceId source = SourceId::Administrator;  // create only
  TypeId type = TypeId::Primary;              // create only
  std::string reason;                         // optional for create, the why of a skip
};

struct Rule {
  std::string name;
  std::string description;
  bool enabled = true;
  std::vector<ConditionPtr> conditions;  // all must hold; none = matches every trigger
  RuleAction then;
  std::string where;  // "rules/default.yaml:12:5", for messages
};

struct RuleSet {
  std::string source;  // the file it was loaded from
  int version = 1;
  UserPolicy users;
  std::vector<Rule> rules;
  RuleAction fallback{DecisionAction::Skip, SourceId::Administrator, TypeId::Primary,
                      "no rule matched"};
  // Things worth knowing that do not stop the load (e.g. unreachable rules).
  std::vector<std::string> warnings;
  // Candidate rules per trigger kind (rules_loader builds it; see rule_index.hpp).
  RuleIndex index;
};

}  // namespace uda
