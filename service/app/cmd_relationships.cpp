#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "app/cli_support.hpp"
#include "app/commands.hpp"
#include "providers/simulated/site.hpp"

namespace uda::cli {

int cmd_relationships_list(const Global& g, std::optional<std::int64_t> machine) {
  if (machine && (*machine <= 0 || *machine > static_cast<std::int64_t>(0xFFFFFFFFLL))) {
    report_error(fmt::format("--machine {}: a ResourceID is 1..4294967295", *machine));
    return kBadInput;
  }
  auto cfg = load_config_or_report(g);
  if (!cfg) return kBadInput;
  if (cfg->provider.type != ProviderType::Simulated) {
    report_error(
        "relationships list reads the simulated site; this config uses another provider "
        "(look the relationships up in the ConfigMgr console instead)");
    return kBadInput;
  }
  const auto& path = cfg->provider.simulated.state_path;
  if (path.empty()) {
    report_error(
        "the simulated site keeps its state in memory (provider.simulated.state_path is "
        "not set), so it cannot be read from outside the agent; set state_path");
    return kBadInput;
  }
  auto site = SimulatedSite::open_read_only(path);
  if (!site) {
    report_error(site.error().message);
    return kFailed;
  }
  std::optional<std::uint32_t> filter;
  if (machine) filter = static_cast<std::uint32_t>(*machine);
  auto rels = (*site)->list_relationships(filter);
  if (!rels) {
    report_error(rels.error().message);
    return kFailed;
  }
  if (g.json) {
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& r : *rels) {
      nlohmann::json sources = nlohmann::json::array();
      nlohmann::json names = nlohmann::json::array();
      for (auto s : r.sources) {
        sources.push_back(static_cast<unsigned>(s));
        names.push_back(std::string(to_string(s)));
      }
      arr.push_back({{"relationship_resource_id", r.relationship_resource_id},
                     {"resource_id", r.resource_id},
                     {"user", r.unique_user_name},
                     {"sources", sources},
                     {"source_names", names},
                     {"types", r.types},
                     {"active", r.is_active}});
    }
    fmt::print("{}\n", arr.dump());
    return kOk;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& r : *rels) {
    std::string sources;
    for (auto s : r.sources) {
      if (!sources.empty()) sources += ", ";
      sources += fmt::format("{}({})", to_string(s), static_cast<unsigned>(s));
    }
    std::string types;
    for (auto t : r.types) types += (types.empty() ? "" : ",") + std::to_string(t);
    rows.push_back({std::to_string(r.relationship_resource_id), std::to_string(r.resource_id),
                    r.unique_user_name, sources, types, r.is_active ? "yes" : "no"});
  }
  print_table({"RELATIONSHIP", "RESOURCE_ID", "USER", "SOURCES", "TYPES", "ACTIVE"}, rows);
  return kOk;
}

}  // namespace uda::cli
