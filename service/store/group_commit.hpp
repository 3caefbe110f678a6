#pragma once
// Group commit for bursts: many callers each hand over one trigger or a batch;
// a writer thread commits whatever has queued (up to max_batch triggers) in
// ONE transaction and only then answers every caller. One fsync serves all.
//
// Two ways to wait for the answer: a future (CLI, tests), or a callback that
// runs on the writer thread after the commit (the HTTP server and the spool
// watcher post it back to their own executor). A caller's batch is never
// split across transactions: it is committed whole or refused whole.

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <thread>
#include <vector>

#include "core/decision.hpp"
#include "core/result.hpp"
#include "core/time.hpp"
#include "core/trigger.hpp"
#include "store/job_store.hpp"

namespace uda {

class GroupCommitter {
 public:
  // Answer for one submission: per trigger, true = inserted, false = a
  // trigger with that id was already stored (the first one is kept).
  using Done = std::function<void(Expected<std::vector<bool>>)>;
  // Runs on the writer thread after each successful commit that stored
  // triggers without a decision (no rules stage, or it failed), with how
  // many: e.g. to wake the Decider, which decides them.
  using OnCommitted = std::function<void(std::size_t undecided)>;
  // The rules stage (sources -> rules -> store): run on the writer thread for
  // each batch before its transaction, so every new trigger is stored with its
  // decision and job in the same commit as the trigger. `decide` answers one
  // Decision per trigger; `decided` runs after the commit (and after the
  // callers have their answers) with what was stored: it logs, counts and
  // wakes the dispatcher. Should `decide` throw or answer for the wrong
  // number of triggers, the batch is stored undecided (OnCommitted).
  struct RulesStage {
    std::function<std::vector<Decision>(std::span<const Trigger>)> decide;
    std::function<void(std::span<const Trigger>, std::span<const Decision>,
                       std::span<const DecisionOutcome>)>
        decided;
  };

  // Where answers run. Without one, every caller's `done` and the rules
  // stage's `decided` run on the writer thread. With one, the writer hands
  // them over as ONE function per batch (the agent posts it to its io
  // thread: the HTTP responses are built there) and goes straight on to the
  // next transaction. A deliverer must run what it is given exactly once.
  using Deliver = std::function<void(std::function<void()>)>;

  // max_batch: most triggers per transaction (a larger single submission is
  // committed alone). max_queue: triggers waiting beyond this are refused at
  // once (bounded memory). max_delay: how long the writer waits for more work
  // after the first item arrives (0 = commit at once).
  GroupCommitter(JobStore& store, std::size_t max_batch, std::size_t max_queue, Millis max_delay,
                 OnCommitted on_committed = nullptr, RulesStage rules = {},
                 Deliver deliver = nullptr);
  ~GroupCommitter();  // stops: commits what is queued, then joins
  GroupCommitter(const GroupCommitter&) = delete;
  GroupCommitter& operator=(const GroupCommitter&) = delete;

  // Resolves after the commit: true = inserted, false = id already present;
  // an Error if the commit failed or the queue is full / stopped.
  std::future<Expected<bool>> submit(Trigger trigger);
  // `done` runs exactly once: on the writer thread after the commit, or at
  // once on the caller's thread when the submission is refused (queue full,
  // stopping, empty or oversized batch).
  // With `claim` (an Idempotency-Key; first/count are filled in here), the
  // key is recorded with the answers in the same transaction.
  void submit(std::vector<Trigger> triggers, Done done,
              std::optional<IdempotencyClaim> claim = std::nullopt);

  // Refuses further submissions, commits what is queued, then joins the
  // writer. Idempotent; call it from the owning thread (the destructor does).
  void stop();

  struct Stats {
    std::uint64_t batches = 0;   // transactions committed
    std::uint64_t triggers = 0;  // triggers in them
    std::size_t largest_batch = 0;
    std::uint64_t refused = 0;  // submissions refused (queue full, stopping)
    std::uint64_t failed = 0;   // transactions that failed (every caller got the error)
  };
  [[nodiscard]] Stats stats() const;
  // Triggers waiting to be committed.
  [[nodiscard]] std::size_t queued() const;
  [[nodiscard]] std::size_t max_queue() const { return max_queue_; }

 private:
  struct Request {
    std::vector<Trigger> triggers;
    Done done;
    std::optional<IdempotencyClaim> claim;
  };
  // One committed (or failed) batch, until its answers have run.
  struct Answers {
    std::vector<Request> requests;
    std::optional<Error> failure;
    JobStore::Intake stored;
    std::vector<Trigger> triggers;
    std::vector<Decision> decisions;
    std::shared_ptr<const RulesStage> rules;
  };
  void run();
  void commit(std::vector<Request> requests, std::size_t n);
  static void answer(Answers& a);

  JobStore& store_;
  const std::size_t max_batch_;
  const std::size_t max_queue_;
  const Millis max_delay_;
  OnCommitted on_committed_;
  std::shared_ptr<const RulesStage> rules_;
  Deliver deliver_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Request> queue_;
  std::size_t queued_triggers_ = 0;
  bool stopping_ = false;
  Stats stats_;
  std::thread writer_;
};

}  // namespace uda
