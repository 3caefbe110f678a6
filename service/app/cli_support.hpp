#pragma once
// Small helpers shared by the CLI commands: loading the config and opening
// the store with a message on failure, printing tables.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "app/commands.hpp"
#include "config/agent_config.hpp"
#include "store/job_store.hpp"

namespace uda::cli {

// Loads the config; on error prints "uda-agent: <message>" to stderr.
std::optional<AgentConfig> load_config_or_report(const Global& g);
// Opens the store named by the config. read_only: for list/show commands.
std::unique_ptr<JobStore> open_store_or_report(const AgentConfig& cfg, bool read_only);
void report_error(const std::string& message);

// Left-aligned text table with a header row; cells are cut at 60 characters.
void print_table(const std::vector<std::string>& header,
                 const std::vector<std::vector<std::string>>& rows);

}  // namespace uda::cli
