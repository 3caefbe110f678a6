#pragma once
// spdlog set-up for the agent: console and/or a size-rotated file, one line
// per event in key=value form ("logfmt") with UTC timestamps.

#include "config/agent_config.hpp"
#include "core/result.hpp"

namespace uda {

Status setup_logging(const LoggingConfig& cfg);
// CLI commands: warnings and errors to stderr only.
void setup_cli_logging();

}  // namespace uda
