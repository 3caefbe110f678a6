#include "intake/decider.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "core/log_text.hpp"
#include "rules/engine.hpp"

namespace uda {

Decider::Decider(asio::io_context& io, JobStore& store, std::shared_ptr<const RuleSet> rules,
                 const TimeSource& time, Millis poll_interval, std::size_t batch, OnJobs on_jobs)
    : io_(io),
      store_(store),
      rules_(std::move(rules)),
      time_(time),
      poll_interval_(poll_interval),
      batch_(batch),
      on_jobs_(std::move(on_jobs)),
      timer_(io) {}

void Decider::start() {
  asio::co_spawn(io_, loop(), asio::detached);
}

void Decider::wake() {
  wake_pending_ = true;
  timer_.cancel();
}

void Decider::stop() {
  stopping_ = true;
  timer_.cancel();
}

void Decider::set_rules(std::shared_ptr<const RuleSet> rules) {
  std::lock_guard lock(rules_mu_);
  rules_ = std::move(rules);
}

std::shared_ptr<const RuleSet> Decider::rules() const {
  std::lock_guard lock(rules_mu_);
  return rules_;
}

Decider::Stats Decider::stats() const {
  return Stats{decided_.load(), created_.load(), skipped_.load(), duplicates_.load()};
}

std::vector<Decision> Decider::decide_batch(std::span<const Trigger> triggers) const {
  const auto current = rules();
  std::vector<Decision> out;
  out.reserve(triggers.size());
  for (const auto& t : triggers) out.push_back(decide(*current, t));
  return out;
}

bool Decider::report(std::span<const Trigger> triggers, std::span<const Decision> decisions,
                     std::span<const DecisionOutcome> outcomes) {
  bool created = false;
  std::size_t i = 0;
  const std::size_t n = std::min(triggers.size(), decisions.size());
  for (const auto& o : outcomes) {
    while (i < n && triggers[i].id != o.trigger_id) ++i;
    if (i == n) break;
    const auto& t = triggers[i];
    const auto& d = decisions[i];
    ++decided_;
    if (o.decision == "create") {
      ++created_;
      created = true;
      // Ids, origins and device names come from outside: escaped (a user
      // is validated and holds neither quotes nor control characters).
      spdlog::info(
          "trigger={} kind={} origin=\"{}\" machine=\"{}\" decision=create rule={} "
          "user=\"{}\" source={}({}) type={} job={}",
          log_value(t.id), to_string(t.kind), log_printable(t.origin),
          log_printable(t.machine.describe()), d.rule, d.user ? d.user->str() : t.user,
          to_string(d.source), static_cast<unsigned>(d.source), static_cast<unsigned>(d.type),
          o.job_id.value_or(0));
    } else if (o.decision == "duplicate") {
      ++duplicates_;
      spdlog::info(
          "trigger={} kind={} machine=\"{}\" decision=duplicate rule={} user=\"{}\" "
          "job={} reason=\"same machine, user, source and type already queued or done\"",
          log_value(t.id), to_string(t.kind), log_printable(t.machine.describe()), d.rule,
          d.user ? d.user->str() : t.user, o.job_id.value_or(0));
    } else {
      ++skipped_;
      spdlog::info(
          "trigger={} kind={} origin=\"{}\" machine=\"{}\" user=\"{}\" decision=skip "
          "rule={} reason=\"{}\"",
          log_value(t.id), to_string(t.kind), log_printable(t.origin),
          log_printable(t.machine.describe()), t.user, d.rule, d.reason);
    }
  }
  return created;
}

std::size_t Decider::run_once() {
  std::size_t total = 0;
  for (;;) {
    const Batch b = run_batch();
    total += b.decided;
    if (!b.more) return total;
  }
}

Decider::Batch Decider::run_batch() {
  Batch out;
  {
    auto triggers = store_.received_triggers(batch_);
    if (!triggers) {
      // While the store reports a disk fault it has logged it once; no line per pass.
      spdlog::log(store_.write_fault() ? spdlog::level::debug : spdlog::level::err,
                  "decider: reading received triggers failed: {}", triggers.error().message);
      return out;
    }
    if (triggers->empty()) return out;
    const auto decisions = decide_batch(*triggers);
    std::vector<std::pair<std::string, Decision>> by_id;
    by_id.reserve(decisions.size());
    for (std::size_t i = 0; i < decisions.size(); ++i) {
      by_id.emplace_back((*triggers)[i].id, decisions[i]);
    }

    auto outcomes = store_.record_decisions(by_id, time_.now());
    if (!outcomes) {
      // Nothing was recorded (one transaction): the triggers stay 'received'
      // and are decided again at the next pass.
      spdlog::log(store_.write_fault() ? spdlog::level::debug : spdlog::level::err,
                  "decider: recording {} decision(s) failed: {}", decisions.size(),
                  outcomes.error().message);
      return out;
    }
    const bool created = report(*triggers, decisions, *outcomes);
    out.decided = outcomes->size();
    if (created && on_jobs_) on_jobs_();
    out.more = triggers->size() == batch_;
  }
  return out;
}

Awaitable<void> Decider::loop() {
  while (!stopping_) {
    // One batch at a time, then the HTTP sessions and the dispatcher on the
    // same thread get their turn: a burst of triggers is acknowledged while
    // the rules work through it, not after.
    if (run_batch().more) {
      co_await asio::post(io_, asio::use_awaitable);
      continue;
    }
    if (wake_pending_) {
      wake_pending_ = false;
      continue;
    }
    timer_.expires_after(poll_interval_);
    boost::system::error_code ec;
    co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

}  // namespace uda
