#pragma once
// The rules stage of the pipeline. At intake, the GroupCommitter runs it on
// its writer thread for each batch (decide_batch before the transaction,
// report after it), so a trigger is stored with its decision and job in one
// commit. Triggers stored without a decision (state 'received': no rules
// stage, it failed, or an older agent left them) are decided by the poll
// loop here, in one transaction per batch. One log line per decision, with
// the trigger id. Thread-safe: set_rules on the io thread, decide_batch and
// report on the committer's.

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <vector>

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
  // The rules stage at intake (GroupCommitter::RulesStage): one decision per
  // trigger, from the current rules.
  [[nodiscard]] std::vector<Decision> decide_batch(std::span<const Trigger> triggers) const;
  // After the commit: one log line per stored decision and the counters.
  // `outcomes` holds the triggers that were stored, in order (a subset of
  // `triggers`, paired by id). True when a job was created.
  bool report(std::span<const Trigger> triggers, std::span<const Decision> decisions,
              std::span<const DecisionOutcome> outcomes);
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
  [[nodiscard]] Stats stats() const;

 private:
  Awaitable<void> loop();

  asio::io_context& io_;
  JobStore& store_;
  [[nodiscard]] std::shared_ptr<const RuleSet> rules() const;

  mutable std::mutex rules_mu_;
  std::shared_ptr<const RuleSet> rules_;
  const TimeSource& time_;
  Millis poll_interval_;
  std::size_t batch_;
  OnJobs on_jobs_;
  asio::steady_timer timer_;
  bool stopping_ = false;
  bool wake_pending_ = false;
  std::atomic<std::uint64_t> decided_{0};
  std::atomic<std::uint64_t> created_{0};
  std::atomic<std::uint64_t> skipped_{0};
  std::atomic<std::uint64_t> duplicates_{0};
};

}  // namespace uda
