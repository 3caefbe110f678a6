#include "app/agent_metrics.hpp"

#include <mutex>

namespace uda {

// Store counts cached for a second: a scrape every few seconds must not turn
// into a table scan per gauge.
struct AgentMetrics::Snapshot {
  Snapshot(JobStore& s, const TimeSource& t) : store(s), time(t) {}
  JobStore& store;
  const TimeSource& time;
  std::mutex mu;
  std::chrono::steady_clock::time_point taken{};
  StoreCounts counts;
  bool ok = false;

  StoreCounts get(bool* fresh_ok) {
    std::lock_guard lock(mu);
    const auto now = std::chrono::steady_clock::now();
    if (!ok || now - taken > std::chrono::seconds(1)) {
      auto c = store.counts();
      ok = static_cast<bool>(c);
      if (c) counts = std::move(*c);
      taken = now;
    }
    *fresh_ok = ok;
    return counts;
  }
};

AgentMetrics::AgentMetrics(metrics::Registry& registry, JobStore& store,
                           const GroupCommitter* committer, const Dispatcher& dispatcher,
                           const TimeSource& time)
    : snapshot_(std::make_shared<Snapshot>(store, time)),
      calls_(registry.counter("uda_dispatch_calls_total",
                              "Provider calls by kind (resolve, find, create) and outcome "
                              "(ok, retry, fail)",
                              {"call", "outcome"})),
      latency_(registry.histogram(
          "uda_dispatch_call_duration_seconds", "Provider call latency by kind", {"call"},
          {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60})),
      outcomes_(registry.counter("uda_dispatch_attempts_total",
                                 "Dispatch attempts by how they ended (done, retry, dead, "
                                 "released)",
                                 {"outcome"})) {
  auto snap = snapshot_;
  registry.gauge_family_fn("uda_jobs", "Jobs in the store by state", {"state"}, [snap] {
    bool ok = false;
    const auto c = snap->get(&ok);
    std::vector<metrics::GaugeSample> out;
    for (const auto& [state, n] : c.jobs_by_state) {
      out.push_back({{state}, static_cast<double>(n)});
    }
    return out;
  });
  registry.gauge_fn("uda_triggers_awaiting_decision",
                    "Triggers accepted but not yet decided by the rules", [snap] {
                      bool ok = false;
                      return static_cast<double>(snap->get(&ok).triggers_received);
                    });
  registry.gauge_fn("uda_oldest_pending_job_age_seconds",
                    "Age of the oldest pending or in-flight job (0 when there is none)", [snap] {
                      bool ok = false;
                      const auto c = snap->get(&ok);
                      if (!c.oldest_pending) return 0.0;
                      const auto age = snap->time.now() - *c.oldest_pending;
                      return std::max(0.0, std::chrono::duration<double>(age).count());
                    });
  registry.gauge_fn("uda_store_readable", "1 when the last read of the store's counts worked",
                    [snap] {
                      bool ok = false;
                      snap->get(&ok);
                      return ok ? 1.0 : 0.0;
                    });
  if (committer != nullptr) {
    registry.gauge_fn("uda_intake_queue_depth",
                      "Triggers received over HTTP or the spool folder, waiting for their commit",
                      [committer] { return static_cast<double>(committer->queued()); });
  }
  const Dispatcher* d = &dispatcher;
  registry.gauge_family_fn(
      "uda_provider_breaker_state",
      "Circuit breaker of the provider: 1 for the current state (closed, half_open, open)",
      {"state"}, [d] {
        const auto s = d->breaker_state();
        return std::vector<metrics::GaugeSample>{
            {{"closed"}, s == BreakerState::Closed ? 1.0 : 0.0},
            {{"half_open"}, s == BreakerState::HalfOpen ? 1.0 : 0.0},
            {{"open"}, s == BreakerState::Open ? 1.0 : 0.0}};
      });
  registry.gauge_fn("uda_dispatch_in_flight", "Provider calls in flight",
                    [d] { return static_cast<double>(d->in_flight()); });
}

DispatchObserver AgentMetrics::dispatch_observer() {
  DispatchObserver o;
  o.on_call = [this](std::string_view call, CallOutcome outcome, Millis latency) {
    calls_.add({call, to_string(outcome)});
    latency_.observe({call}, std::chrono::duration<double>(latency).count());
  };
  o.on_finish = [this](std::string_view outcome) { outcomes_.add({outcome}); };
  return o;
}

}  // namespace uda
