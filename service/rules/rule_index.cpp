#include "rules/rule_index.hpp"

#include "rules/rule_set.hpp"

namespace uda {
namespace {

// What the rule's conditions say about the machine name's first character.
RuleCandidate candidate_for(std::uint32_t index, const Rule& rule) {
  RuleCandidate c;
  c.rule = index;
  for (const auto& cond : rule.conditions) {
    const auto* names = dynamic_cast<const NameMatches*>(cond.get());
    if (names == nullptr || names->field() != NameField::MachineName) continue;
    const std::string leads = names->leads();
    if (leads.empty()) continue;
    std::bitset<256> allowed;
    for (const char ch : leads) allowed.set(static_cast<unsigned char>(ch));
    // Every such condition must hold: the allowed characters are the
    // intersection.
    c.machine_leads = c.any_machine ? allowed : (c.machine_leads & allowed);
    c.any_machine = false;
  }
  return c;
}

}  // namespace

RuleIndex build_rule_index(const std::vector<Rule>& rules) {
  static_assert(static_cast<std::size_t>(TriggerKind::Discovery) + 1 == kTriggerKindCount,
                "kTriggerKindCount must follow TriggerKind");
  RuleIndex index;
  for (std::size_t i = 0; i < rules.size(); ++i) {
    const Rule& rule = rules[i];
    if (!rule.enabled) continue;
    const RuleCandidate candidate = candidate_for(static_cast<std::uint32_t>(i), rule);
    for (std::size_t k = 0; k < kTriggerKindCount; ++k) {
      const auto kind = static_cast<TriggerKind>(k);
      bool possible = true;
      for (const auto& c : rule.conditions) {
        if (const auto* kinds = dynamic_cast<const KindIs*>(c.get());
            kinds != nullptr && !kinds->accepts(kind)) {
          possible = false;
          break;
        }
      }
      if (possible) index.by_kind[k].push_back(candidate);
    }
  }
  index.rule_count = rules.size();
  index.built = true;
  return index;
}

}  // namespace uda
