#include "store/group_commit.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <exception>
#include <memory>
#include <utility>

namespace uda {

GroupCommitter::GroupCommitter(JobStore& store, std::size_t max_batch, std::size_t max_queue,
                               Millis max_delay, OnCommitted on_committed, RulesStage rules,
                               Deliver deliver)
    : store_(store),
      max_batch_(std::max<std::size_t>(1, max_batch)),
      max_queue_(std::max<std::size_t>(1, max_queue)),
      max_delay_(std::max(Millis(0), max_delay)),
      on_committed_(std::move(on_committed)),
      rules_(std::make_shared<const RulesStage>(std::move(rules))),
      deliver_(std::move(deliver)) {
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
  auto promise = std::make_shared<std::promise<Expected<bool>>>();
  auto future = promise->get_future();
  std::vector<Trigger> one;
  one.push_back(std::move(trigger));
  submit(std::move(one), [promise](Expected<std::vector<bool>> r) {
    if (!r) {
      promise->set_value(r.error());
    } else {
      promise->set_value(static_cast<bool>(r->at(0)));
    }
  });
  return future;
}

void GroupCommitter::submit(std::vector<Trigger> triggers, Done done,
                            std::optional<IdempotencyClaim> claim) {
  std::optional<Error> refusal;
  {
    std::lock_guard lock(mu_);
    if (triggers.empty()) {
      refusal = Error{"no triggers to commit"};
    } else if (stopping_) {
      refusal = Error{"intake is stopping; the trigger was not accepted"};
    } else if (triggers.size() > max_queue_) {
      refusal = Error{
          fmt::format("{} triggers in one submission; at most {}", triggers.size(), max_queue_)};
    } else if (queued_triggers_ + triggers.size() > max_queue_) {
      refusal = Error{fmt::format(
          "intake queue is full ({} triggers waiting to be committed); try again shortly",
          queued_triggers_)};
    }
    if (refusal) {
      ++stats_.refused;
    } else {
      queued_triggers_ += triggers.size();
      queue_.push_back(Request{std::move(triggers), std::move(done), std::move(claim)});
    }
  }
  if (refusal) {
    done(std::move(*refusal));
    return;
  }
  cv_.notify_all();
}

GroupCommitter::Stats GroupCommitter::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

std::size_t GroupCommitter::queued() const {
  std::lock_guard lock(mu_);
  return queued_triggers_;
}

void GroupCommitter::run() {
  std::unique_lock lock(mu_);
  bool arrived_during_commit = false;
  for (;;) {
    cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, and everything is committed

    // Let the batch fill: up to max_delay after the first item, unless it is
    // full already, we are stopping, or these arrived while the last commit
    // ran (a steady stream: each commit then takes what queued during the
    // one before, and waiting would only add latency).
    if (max_delay_ > Millis(0) && queued_triggers_ < max_batch_ && !stopping_ &&
        !arrived_during_commit) {
      const auto deadline = std::chrono::steady_clock::now() + max_delay_;
      cv_.wait_until(lock, deadline,
                     [this] { return stopping_ || queued_triggers_ >= max_batch_; });
    }

    // Whole requests, up to max_batch triggers (the first one always goes).
    std::vector<Request> requests;
    std::size_t n = 0;
    while (!queue_.empty() &&
           (requests.empty() || n + queue_.front().triggers.size() <= max_batch_)) {
      n += queue_.front().triggers.size();
      requests.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
    queued_triggers_ -= n;
    lock.unlock();
    commit(std::move(requests), n);
    lock.lock();
    arrived_during_commit = !queue_.empty();
  }
}

void GroupCommitter::commit(std::vector<Request> requests, std::size_t n) {
  std::vector<Trigger> triggers;
  std::vector<IdempotencyClaim> claims;
  triggers.reserve(n);
  for (auto& r : requests) {
    if (r.claim) {
      r.claim->first = triggers.size();
      r.claim->count = r.triggers.size();
      claims.push_back(*r.claim);
    }
    std::move(r.triggers.begin(), r.triggers.end(), std::back_inserter(triggers));
  }

  // The rules stage first, outside any lock: its decisions go into the
  // same transaction as the triggers.
  std::vector<Decision> decisions;
  if (rules_->decide) {
    try {
      decisions = rules_->decide(triggers);
      if (decisions.size() != triggers.size()) {
        spdlog::error(
            "intake: the rules stage answered {} decision(s) for {} trigger(s); the batch is "
            "stored undecided and decided by the next pass",
            decisions.size(), triggers.size());
        decisions.clear();
      }
    } catch (const std::exception& e) {
      spdlog::error(
          "intake: the rules stage failed ({}); the batch is stored undecided and decided by "
          "the next pass",
          e.what());
      decisions.clear();
    }
  }

  // One transaction (one fsync) for the whole batch.
  std::optional<Error> failure;
  JobStore::Intake stored;
  try {
    auto result = store_.insert_and_decide(triggers, decisions, claims, now_ms());
    if (!result) {
      failure = result.error();
    } else if (result->inserted.size() != n) {
      failure = Error{"store answered for a different number of triggers than were committed"};
    } else {
      stored = std::move(*result);
    }
  } catch (const std::exception& e) {
    failure = Error{fmt::format("could not commit the triggers: {}", e.what())};
  }
  const auto& inserted = stored.inserted;
  const auto fresh = static_cast<std::size_t>(std::count(inserted.begin(), inserted.end(), true));
  {
    std::lock_guard lock(mu_);
    if (failure) {
      ++stats_.failed;
    } else {
      ++stats_.batches;
      stats_.triggers += n;
      stats_.largest_batch = std::max(stats_.largest_batch, n);
    }
  }
  if (failure) {
    // A disk fault is logged once by the store; each refusal is then logged
    // by its source (the API's 503 line, the spool's retry line).
    spdlog::log(store_.write_fault() ? spdlog::level::debug : spdlog::level::err,
                "intake: committing a batch of {} trigger(s) failed: {}", n, failure->message);
  }

  const std::size_t undecided = failure ? 0 : fresh - stored.decided.size();

  // Only now, after the commit, does any caller learn its answer; then the
  // rules stage reports what it stored.
  // The answers hold what they need (not this committer): a deliverer may
  // run them after the committer is gone.
  auto answers =
      std::make_shared<Answers>(Answers{std::move(requests), std::move(failure), std::move(stored),
                                        std::move(triggers), std::move(decisions), rules_});
  if (deliver_) {
    deliver_([answers] { answer(*answers); });
  } else {
    answer(*answers);
  }
  if (undecided > 0 && on_committed_) on_committed_(undecided);
}

void GroupCommitter::answer(Answers& a) {
  std::size_t at = 0;
  for (auto& r : a.requests) {
    const std::size_t k = r.triggers.size();
    if (a.failure) {
      r.done(*a.failure);
    } else {
      r.done(std::vector<bool>(a.stored.inserted.begin() + static_cast<std::ptrdiff_t>(at),
                               a.stored.inserted.begin() + static_cast<std::ptrdiff_t>(at + k)));
    }
    at += k;
  }
  if (a.failure || a.stored.decided.empty() || !a.rules->decided) return;
  try {
    a.rules->decided(a.triggers, a.decisions, a.stored.decided);
  } catch (const std::exception& e) {
    spdlog::error("intake: reporting {} decision(s) failed: {}", a.stored.decided.size(), e.what());
  }
}

}  // namespace uda
