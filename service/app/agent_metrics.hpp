#pragma once
// The agent-wide metrics behind GET /metrics that no single source owns:
// jobs by state and the oldest pending job (read from the store at scrape
// time, at most once a second), the intake queue, the provider's circuit
// breaker, and the dispatcher's calls (count and latency) and outcomes.

#include <memory>

#include "dispatch/dispatcher.hpp"
#include "metrics/registry.hpp"
#include "store/group_commit.hpp"
#include "store/job_store.hpp"

namespace uda {

class AgentMetrics {
 public:
  AgentMetrics(metrics::Registry& registry, JobStore& store, const GroupCommitter* committer,
               const Dispatcher& dispatcher, const TimeSource& time);
  // The hooks to give the dispatcher (set_observer) before it starts.
  DispatchObserver dispatch_observer();

 private:
  struct Snapshot;
  std::shared_ptr<Snapshot> snapshot_;
  metrics::CounterFamily& calls_;
  metrics::HistogramFamily& latency_;
  metrics::CounterFamily& outcomes_;
};

}  // namespace uda
