#pragma once
// Group commit for bursts: many callers each hand over one trigger; a writer
// thread commits whatever has queued (up to max_batch) in ONE transaction and
// only then completes every caller's future. One fsync serves the whole batch.

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <future>
#include <mutex>
#include <thread>

#include "core/result.hpp"
#include "core/time.hpp"
#include "core/trigger.hpp"
#include "store/job_store.hpp"

namespace uda {

class GroupCommitter {
 public:
  // max_batch: most triggers per transaction. max_queue: submissions beyond
  // this are refused at once (bounded memory). max_delay: how long the writer
  // waits for more work after the first item arrives (0 = commit at once).
  GroupCommitter(JobStore& store, std::size_t max_batch, std::size_t max_queue, Millis max_delay);
  ~GroupCommitter();  // stops: commits what is queued, then joins
  GroupCommitter(const GroupCommitter&) = delete;
  GroupCommitter& operator=(const GroupCommitter&) = delete;

  // Resolves after the commit: true = inserted, false = id already present;
  // an Error if the commit failed or the queue is full / stopped.
  std::future<Expected<bool>> submit(Trigger trigger);

  // Refuses further submissions, commits what is queued, then joins the
  // writer. Idempotent; call it from the owning thread (the destructor does).
  void stop();

  struct Stats {
    std::uint64_t batches = 0;
    std::uint64_t triggers = 0;
    std::size_t largest_batch = 0;
  };
  [[nodiscard]] Stats stats() const;

 private:
  struct Item {
    Trigger trigger;
    std::promise<Expected<bool>> done;
  };
  void run();

  JobStore& store_;
  const std::size_t max_batch_;
  const std::size_t max_queue_;
  const Millis max_delay_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Item> queue_;
  bool stopping_ = false;
  Stats stats_;
  std::thread writer_;
};

}  // namespace uda
