#include "core/decision_json.hpp"

namespace uda {

std::string_view to_string(DecisionAction a) {
  return a == DecisionAction::Create ? "create" : "skip";
}

nlohmann::json to_json(const RuleTrace& t) {
  nlohmann::json j{{"rule", t.rule}, {"matched", t.matched}, {"passed", t.passed}};
  if (!t.failed.empty()) j["failed"] = t.failed;
  return j;
}

nlohmann::json trace_to_json(const std::vector<RuleTrace>& trace) {
  nlohmann::json arr = nlohmann::json::array();
  for (const auto& t : trace) arr.push_back(to_json(t));
  return arr;
}

nlohmann::json to_json(const Decision& d) {
  nlohmann::json j{{"action", std::string(to_string(d.action))},
                   {"rule", d.rule},
                   {"reason", d.reason},
                   {"user_steps", d.user_steps},
                   {"trace", trace_to_json(d.trace)}};
  if (d.user) j["user"] = d.user->str();
  if (d.upn) j["upn_to_resolve"] = *d.upn;
  if (d.action == DecisionAction::Create) {
    j["source_id"] = static_cast<unsigned>(d.source);
    j["source"] = std::string(to_string(d.source));
    j["type_id"] = static_cast<unsigned>(d.type);
  }
  return j;
}

}  // namespace uda
