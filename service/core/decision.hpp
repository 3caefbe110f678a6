#pragma once
// What the rules decided for one trigger. Pure data: the rules engine makes it,
// the store persists it, `rules explain` prints it.

#include <optional>
#include <string>
#include <vector>

#include "core/source_id.hpp"
#include "core/user_account.hpp"

namespace uda {

enum class DecisionAction { Create, Skip };

// One rule the engine looked at, and why it did or did not match.
struct RuleTrace {
  std::string rule;  // rule name
  bool matched = false;
  std::vector<std::string> passed;  // conditions that held, e.g. "kind is osd"
  std::string failed;               // the first condition that did not hold (empty if matched)
};

struct Decision {
  DecisionAction action = DecisionAction::Skip;
  std::string rule;                // name of the rule that decided, or "default" / "user-policy"
  std::string reason;              // human sentence: why create / why skip
  std::optional<DomainUser> user;  // normalised DOMAIN\user when known
  // A UPN the rules could not map (users.unmapped_upn: resolve_in_site): the
  // dispatcher asks the site for its UniqueUserName before creating.
  std::optional<std::string> upn;
  SourceId source = SourceId::Administrator;
  TypeId type = TypeId::Primary;
  std::vector<std::string> user_steps;  // normalisation steps taken, in order
  std::vector<RuleTrace> trace;         // every rule tried, in order
};

}  // namespace uda
