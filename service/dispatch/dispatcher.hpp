#pragma once
// The dispatcher turns due jobs into provider calls. It owns everything about
// retrying: claims with a lease, bounded concurrency, full-jitter backoff,
// dead letters, the circuit breaker, the existence check before a create and
// before every retry of an ambiguous failure, and a shutdown that finishes or
// releases in-flight work within a deadline.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/asio.hpp"
#include "core/job.hpp"
#include "core/time.hpp"
#include "dispatch/backoff.hpp"
#include "dispatch/circuit_breaker.hpp"
#include "providers/provider.hpp"
#include "store/job_store.hpp"

namespace uda {

struct DispatcherOptions {
  int concurrency = 8;
  BackoffPolicy backoff;
  BreakerPolicy breaker;
  Millis lease{120'000};
  Millis call_timeout{60'000};
  Millis poll_interval{1000};
  Millis shutdown_deadline{10'000};
  bool verify_before_create = true;
  std::uint64_t seed = 0;  // 0 = random
};

struct DispatcherStats {
  std::uint64_t claimed = 0;
  std::uint64_t calls = 0;  // provider calls of any kind
  std::uint64_t done = 0;
  std::uint64_t already_present = 0;
  std::uint64_t retried = 0;
  std::uint64_t dead = 0;
  std::uint64_t released = 0;
  std::uint64_t breaker_opened = 0;
};

// Hooks for metrics: every provider call with its outcome and latency, and
// every attempt's end ("done", "retry", "dead", "released").
struct DispatchObserver {
  std::function<void(std::string_view call, CallOutcome outcome, Millis latency)> on_call;
  std::function<void(std::string_view outcome)> on_finish;
};

class Dispatcher {
 public:
  Dispatcher(asio::io_context& io, JobStore& store, Provider& provider, DispatcherOptions options,
             const TimeSource& time, std::string owner);

  // Starts the claim loop on the io_context.
  void start();
  // Set before start().
  void set_observer(DispatchObserver observer) { observer_ = std::move(observer); }
  // New work may be due: look now rather than at the next poll.
  void wake();
  // Stops claiming, waits for in-flight jobs up to shutdown_deadline, then
  // releases the leases of those still running. Completes when all is settled.
  Awaitable<void> shutdown();

  [[nodiscard]] int in_flight() const { return static_cast<int>(in_flight_.size()); }
  [[nodiscard]] BreakerState breaker_state() const { return breaker_.state(time_.now()); }
  [[nodiscard]] const DispatcherStats& stats() const { return stats_; }
  [[nodiscard]] const std::string& owner() const { return owner_; }

 private:
  Awaitable<void> loop();
  Awaitable<void> run_job(Job job);
  Awaitable<void> run_job_steps(Job& job);
  // A job claimed with every attempt used (Job::final_check): one existence
  // check decides done (the cut-off last attempt took effect) or dead.
  Awaitable<void> final_check(Job& job);
  // Outcome handlers: each writes one attempts row through the store.
  void finish_done(const Job& job, const std::string& detail);
  void finish_retry(const Job& job, const CallStatus& status, bool verify_first);
  void finish_dead(const Job& job, const std::string& error);
  void note_call(std::string_view call, const CallStatus& status, TimePoint started);
  void note_finish(std::string_view outcome);
  // Queues one job's outcome; `recorded` runs once it is written. The loop
  // writes every queued outcome in one transaction (one fsync for all the
  // calls that finished meanwhile) before it claims anything new. If the
  // store cannot take them (a full disk), they stay queued and are written
  // when it can, so a job whose call ran is not left leased until its lease
  // runs out.
  void record(const Job& job, AttemptEnd end, std::function<void()> recorded);
  // Writes the queued outcomes and claims up to `limit` due jobs, in one
  // transaction; nullopt (nothing written, nothing claimed) while the store
  // refuses writes.
  std::optional<std::vector<Job>> write_outcomes_and_claim(std::size_t limit, TimePoint now);

  asio::io_context& io_;
  JobStore& store_;
  Provider& provider_;
  DispatcherOptions options_;
  const TimeSource& time_;
  std::string owner_;
  Backoff backoff_;
  CircuitBreaker breaker_;
  asio::steady_timer timer_;
  std::map<std::int64_t, bool> in_flight_;  // job id -> Job::final_check
  struct PendingOutcome {
    AttemptEnd end;
    std::string trigger_id;
    std::function<void()> recorded;
    bool failed = false;  // a write of it failed (logged once)
  };
  // At most one per job claimed: nothing new is claimed while any wait.
  std::vector<PendingOutcome> outcomes_;
  bool stopping_ = false;
  bool wake_pending_ = false;
  bool loop_running_ = false;
  TimePoint last_rearm_{};
  DispatcherStats stats_;
  DispatchObserver observer_;
  std::shared_ptr<asio::steady_timer> idle_signal_;  // fires when in_flight_ drains during shutdown
};

}  // namespace uda
