#pragma once
// JSON form of a Decision (stored as the trigger's audit trace, printed by
// `rules explain --json` and `jobs show`).

#include <nlohmann/json.hpp>

#include "core/decision.hpp"

namespace uda {

std::string_view to_string(DecisionAction a);  // "create" | "skip"
nlohmann::json to_json(const RuleTrace& t);
nlohmann::json trace_to_json(const std::vector<RuleTrace>& trace);
nlohmann::json to_json(const Decision& d);

}  // namespace uda
