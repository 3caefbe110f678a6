#pragma once
// Builds the provider the config selects (simulated today; adminservice and
// wmi arrive with the ConfigMgr integration).

#include <memory>

#include "config/agent_config.hpp"
#include "core/asio.hpp"
#include "core/result.hpp"
#include "providers/provider.hpp"

namespace uda {

Expected<std::unique_ptr<Provider>> make_provider(const ProviderConfig& config,
                                                  asio::io_context& io, const TimeSource& time);

}  // namespace uda
