#include "store/group_commit.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <exception>
#include <utility>
#include <vector>

namespace uda {

GroupCommitter::GroupCommitter(JobStore& store, std::size_t max_batch, std::size_t max_queue,
                               Millis max_delay)
    : store_(store),
      max_batch_(std::max<std::size_t>(1, max_batch)),
      max_queue_(std::max<std::size_t>(1, max_queue)),
      max_delay_(std::max(Millis(0), max_delay)) {
  writer_ = std::thread([this] { run(); });
}

GroupCommitter::~GroupCommitter() {
  stop();
}

void GroupCommitter::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (writer_.joinable()) writer_.join();
}

std::future<Expected<bool>> GroupCommitter::submit(Trigger trigger) {
  std::promise<Expected<bool>> done;
  auto future = done.get_future();
  {
    std::lock_guard lock(mu_);
    if (stopping_) {
      done.set_value(Error{"intake is stopping; the trigger was not accepted"});
      return future;
    }
    if (queue_.size() >= max_queue_) {
      done.set_value(Error{fmt::format(
          "intake queue is full ({} triggers waiting to be committed); try again shortly",
          queue_.size())});
      return future;
    }
    queue_.push_back(Item{std::move(trigger), std::move(done)});
  }
  cv_.notify_all();
  return future;
}

GroupCommitter::Stats GroupCommitter::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

void GroupCommitter::run() {
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, and everything is committed

    // Let the batch fill: up to max_delay after the first item, unless it is
    // full already or we are stopping (then commit at once).
    if (max_delay_ > Millis(0) && queue_.size() < max_batch_ && !stopping_) {
      const auto deadline = std::chrono::steady_clock::now() + max_delay_;
      cv_.wait_until(lock, deadline, [this] { return stopping_ || queue_.size() >= max_batch_; });
    }

    const std::size_t n = std::min(queue_.size(), max_batch_);
    std::vector<Trigger> triggers;
    std::vector<std::promise<Expected<bool>>> promises;
    triggers.reserve(n);
    promises.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
      triggers.push_back(std::move(queue_.front().trigger));
      promises.push_back(std::move(queue_.front().done));
      queue_.pop_front();
    }
    lock.unlock();

    // One transaction (one fsync) for the whole batch.
    std::optional<Error> failure;
    std::vector<bool> inserted;
    try {
      auto result = store_.insert_triggers(triggers);
      if (!result) {
        failure = result.error();
      } else if (result->size() != n) {
        failure = Error{"store answered for a different number of triggers than were committed"};
      } else {
        inserted = std::move(*result);
      }
    } catch (const std::exception& e) {
      failure = Error{fmt::format("could not commit the triggers: {}", e.what())};
    }
    if (failure) {
      spdlog::error("intake: committing a batch of {} trigger(s) failed: {}", n, failure->message);
    }

    lock.lock();
    if (!failure) {
      ++stats_.batches;
      stats_.triggers += n;
      stats_.largest_batch = std::max(stats_.largest_batch, n);
    }
    lock.unlock();

    // Only now, after the commit, does any caller learn its answer.
    for (std::size_t i = 0; i < n; ++i) {
      if (failure) {
        promises[i].set_value(*failure);
      } else {
        promises[i].set_value(static_cast<bool>(inserted[i]));
      }
    }
    lock.lock();
  }
}

}  // namespace uda
