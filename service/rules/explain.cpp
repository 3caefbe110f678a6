#include "rules/explain.hpp"

#include <fmt/format.h>

#include "core/decision_json.hpp"

namespace uda {

std::string format_explanation(const Trigger& t, const Decision& d) {
  std::string out;
  auto line = [&out](const std::string& s) {
    out += s;
    out += '\n';
  };
  line(fmt::format("trigger {}: kind={} machine={} user={} origin={}", t.id, to_string(t.kind),
                   t.machine.describe(), t.user, t.origin.empty() ? "-" : t.origin));
  if (!t.attributes.empty()) {
    std::string attrs;
    for (const auto& [k, v] : t.attributes) {
      if (!attrs.empty()) attrs += ", ";
      attrs += fmt::format("{}={}", k, attribute_to_string(v));
    }
    line("  attributes: " + attrs);
  }
  line("");
  if (d.user) {
    line(fmt::format("user: {}{}", d.user->str(), d.user_steps.empty() ? " (used as given)" : ""));
  } else if (d.upn) {
    line(fmt::format("user: {} (the site resolves it before the create)", *d.upn));
  } else {
    line("user: rejected");
  }
  for (const auto& s : d.user_steps) line("  - " + s);

  if (d.rule == "user-policy") {
    line("");
    line("no rule was tried: the users: policy refused the user");
  } else {
    line("");
    line("rules (first match wins):");
    std::size_t width = 0;
    for (const auto& r : d.trace) width = std::max(width, r.rule.size());
    int n = 0;
    for (const auto& r : d.trace) {
      ++n;
      if (r.matched) {
        line(fmt::format("  {:>2}. {:<{}}  MATCH", n, r.rule, width));
        for (const auto& p : r.passed) line(fmt::format("        + {}", p));
      } else {
        line(fmt::format("  {:>2}. {:<{}}  no: {}", n, r.rule, width, r.failed));
        for (const auto& p : r.passed) line(fmt::format("        + {}", p));
      }
    }
    if (d.trace.empty()) line("  (no enabled rules)");
    if (d.rule == "default") line("  no rule matched: the default applies");
  }
  line("");
  if (d.action == DecisionAction::Create) {
    line(fmt::format("decision: create  {} as primary user of {}  SourceId={} ({})  TypeId={} ({})",
                     d.user ? d.user->str() : d.upn.value_or(t.user), t.machine.describe(),
                     to_string(d.source), static_cast<unsigned>(d.source), to_string(d.type),
                     static_cast<unsigned>(d.type)));
  } else {
    line("decision: skip");
  }
  line(fmt::format("rule:     {}", d.rule));
  line(fmt::format("reason:   {}", d.reason));
  return out;
}

}  // namespace uda
