#pragma once
// Which rules can match a trigger, worked out once per rule set, so that a
// decision that does not need the full trace looks only at rules that might
// match, still in file order (first match wins). The full trace walks every
// rule, as before, so `rules explain` shows them all.
//
// Two facts are used, both exact (a rule left out could never have matched):
//   - a rule with `when.kind` applies only to the kinds it lists;
//   - a rule whose machine-name patterns all start with a literal character
//     ('LAB-*', 'KIOSK??') needs a machine name starting with one of them.

#include <array>
#include <bitset>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "core/trigger.hpp"
#include "core/user_account.hpp"

namespace uda {

struct Rule;

inline constexpr std::size_t kTriggerKindCount = 5;  // TriggerKind::Enrollment .. Discovery

struct RuleCandidate {
  std::uint32_t rule = 0;  // index into RuleSet::rules
  // Bit c: a machine name whose first character lowercases to c can match.
  std::bitset<256> machine_leads;
  bool any_machine = true;  // no machine-name restriction known

  [[nodiscard]] bool may_match(std::string_view machine_name) const {
    if (any_machine) return true;
    if (machine_name.empty()) return false;
    return machine_leads.test(static_cast<unsigned char>(ascii_lower_char(machine_name.front())));
  }
};

struct RuleIndex {
  // Enabled rules whose kind conditions (if any) accept the kind, ascending.
  std::array<std::vector<RuleCandidate>, kTriggerKindCount> by_kind;
  // The number of rules the index was built for; an index that does not
  // match the set (a set built by hand) is not used.
  std::size_t rule_count = 0;
  bool built = false;

  [[nodiscard]] bool covers(std::size_t rules) const { return built && rule_count == rules; }
  [[nodiscard]] const std::vector<RuleCandidate>& candidates(TriggerKind k) const {
    return by_kind[static_cast<std::size_t>(k)];
  }
};

RuleIndex build_rule_index(const std::vector<Rule>& rules);

}  // namespace uda
