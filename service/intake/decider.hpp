#pragma once
// The rules stage of the pipeline: takes triggers the store has accepted
// (state 'received'), asks the rules what to do, and records every decision
// (and the job it creates) in one transaction per batch. One log line per
// decision, with the trigger id.

#include <functional>
#include <memory>
#include <mutex>

#include "core/asio.hpp"
#include "rules/rule_set.hpp"
#include "store/job_store.hpp"

namespace uda {

class Decider {
 public:
  using OnJobs = std::function<void()>;  // called when a batch created jobs

  Decider(asio::io_context& io, JobStore& store, std::shared_ptr<const RuleSet> rules,
          const TimeSource& time, Millis poll_interval, std::size_t batch, OnJobs on_jobs);

  void start();
  void wake();  // triggers were just inserted
  void stop();
  // Swaps the rule set (SIGHUP / PARAMCHANGE); decisions already recorded stay.
  void set_rules(std::shared_ptr<const RuleSet> rules);
  // Decides everything currently received; returns how many were decided.
  std::size_t run_once();
  // Decides one batch of received triggers (the oldest). `more`: the batch
  // was full, so more may be waiting.
  struct Batch {
    std::size_t decided = 0;
    bool more = false;
  };
  Batch run_batch();

  struct Stats {
    std::uint64_t decided = 0;
    std::uint64_t created = 0;
    std::uint64_t skipped = 0;
    std::uint64_t duplicates = 0;
  };
  [[nodiscard]] const Stats& stats() const { return stats_; }

 private:
  Awaitable<void> loop();

  asio::io_context& io_;
  JobStore& store_;
  std::shared_ptr<const RuleSet> rules_;
  const TimeSource& time_;
  Millis poll_interval_;
  std::size_t batch_;
  OnJobs on_jobs_;
  asio::steady_timer timer_;
  bool stopping_ = false;
  bool wake_pending_ = false;
  Stats stats_;
};

}  // namespace uda
