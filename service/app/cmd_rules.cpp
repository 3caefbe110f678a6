#include <fmt/format.h>

#include <iostream>
#include <sstream>

#include "app/cli_support.hpp"
#include "app/commands.hpp"
#include "core/decision_json.hpp"
#include "core/trigger_json.hpp"
#include "core/yaml_util.hpp"
#include "rules/engine.hpp"
#include "rules/explain.hpp"
#include "rules/rules_loader.hpp"

namespace uda::cli {

int cmd_rules_explain(const Global& g, const ExplainArgs& a) {
  std::filesystem::path rules_path = a.rules_path;
  if (rules_path.empty()) {
    auto cfg = load_config_or_report(g);
    if (!cfg) return kBadInput;
    rules_path = cfg->rules.path;
  }
  auto rules = load_rules_file(rules_path);
  if (!rules) {
    report_error(rules.error().message);
    return kBadInput;
  }
  std::string text;
  if (a.trigger_file == "-") {
    std::ostringstream ss;
    ss << std::cin.rdbuf();
    text = ss.str();
  } else {
    auto doc = yaml::read_document(a.trigger_file);
    if (!doc) {
      report_error(doc.error().message);
      return kBadInput;
    }
    text = std::move(*doc);
  }
  auto trigger = trigger_from_json_text(text, "cli");
  if (!trigger) {
    report_error(fmt::format("{}: {}", a.trigger_file == "-" ? "<stdin>" : a.trigger_file,
                             trigger.error().message));
    return kBadInput;
  }
  const Decision d = decide(*rules, *trigger);
  if (g.json) {
    fmt::print("{}\n",
               nlohmann::json{{"trigger", to_json(*trigger)}, {"decision", to_json(d)}}.dump(2));
  } else {
    fmt::print("{}", format_explanation(*trigger, d));
  }
  return kOk;
}

}  // namespace uda::cli
