#pragma once
// Reads a rules file strictly. Every problem is reported as
// "file:line:column: <path>: <what is wrong and how to fix it>" and the load
// fails as a whole: a rule set is used completely or not at all.
//
//   version: 1
//   users:                          # normalisation and refusals (user_policy.hpp)
//     upn_suffixes: {contoso.com: CONTOSO}
//     reject: [{pattern: '*\svc_*', reason: service account}]
//   rules:                          # first match wins
//     - name: osd
//       when: {kind: osd}
//       action: create
//       source: OSD                 # name or number 1..9
//   default: {action: skip, reason: no rule matched}
//
// rules/README.md documents every key.

#include <filesystem>
#include <string>

#include "core/result.hpp"
#include "rules/rule_set.hpp"

namespace uda {

Expected<RuleSet> load_rules_file(const std::filesystem::path& path);
// `name` is used in messages (a path, or "<stdin>").
Expected<RuleSet> load_rules_text(const std::string& text, const std::string& name);

// Bounds on a rules file.
inline constexpr std::size_t kMaxRules = 10'000;
inline constexpr std::size_t kMaxPatternsPerCondition = 1'000;
inline constexpr std::size_t kMaxPatternLength = 512;

}  // namespace uda
