#pragma once
// The "simulated" provider: a SimulatedSite behind injected faults and
// latency. Latency is an asio steady_timer awaited on the caller's executor,
// so many calls wait at once without blocking the io thread. Every call,
// reads included, draws one fault decision; a read has no effect, so an
// ambiguous fault is a plain transient failure there.

#include <memory>

#include "core/result.hpp"
#include "core/time.hpp"
#include "providers/provider.hpp"
#include "providers/simulated/faults.hpp"
#include "providers/simulated/options.hpp"
#include "providers/simulated/site.hpp"

namespace uda {

class SimulatedProvider final : public Provider {
 public:
  // `time` drives outage windows and the site's timestamps; it must outlive
  // the provider.
  SimulatedProvider(std::unique_ptr<SimulatedSite> site, FaultOptions faults,
                    const TimeSource& time);

  // Loads the fixture, opens (or creates and seeds) the state and applies the faults.
  static Expected<std::unique_ptr<SimulatedProvider>> create(const SimulatedOptions& options,
                                                             const TimeSource& time);

  [[nodiscard]] std::string_view name() const override { return "simulated"; }

  Awaitable<CreateResult> create_relationship(const RelationshipRequest& req) override;
  Awaitable<FindResult> find_relationship(std::uint32_t resource_id,
                                          const std::string& unique_user_name) override;
  Awaitable<ResolveResult> resolve_machine(const std::string& name) override;
  Awaitable<UserResolveResult> resolve_user(const std::string& upn) override;
  Awaitable<UsagePage> console_usage(std::uint32_t after_resource_id, std::size_t limit) override;

  // For tests and the CLI: the site behind the faults.
  [[nodiscard]] SimulatedSite& site() { return *site_; }
  [[nodiscard]] const FaultInjector& faults() const { return faults_; }

 private:
  Awaitable<void> delay(Millis d);
  std::string machine_name(std::uint32_t resource_id);

  std::unique_ptr<SimulatedSite> site_;
  FaultInjector faults_;
};

}  // namespace uda
