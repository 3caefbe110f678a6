#include "intake/decider.hpp"

#include <spdlog/spdlog.h>

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
  rules_ = std::move(rules);
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
    std::vector<std::pair<std::string, Decision>> decisions;
    decisions.reserve(triggers->size());
    for (const auto& t : *triggers) decisions.emplace_back(t.id, decide(*rules_, t));

    auto outcomes = store_.record_decisions(decisions, time_.now());
    if (!outcomes) {
      // Nothing was recorded (one transaction): the triggers stay 'received'
      // and are decided again at the next pass.
      spdlog::log(store_.write_fault() ? spdlog::level::debug : spdlog::level::err,
                  "decider: recording {} decision(s) failed: {}", decisions.size(),
                  outcomes.error().message);
      return out;
    }
    bool created = false;
    std::size_t i = 0;
    for (const auto& o : *outcomes) {
      while (i < decisions.size() && decisions[i].first != o.trigger_id) ++i;
      if (i == decisions.size()) break;
      const auto& t = (*triggers)[i];
      const auto& d = decisions[i].second;
      ++stats_.decided;
      if (o.decision == "create") {
        ++stats_.created;
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
        ++stats_.duplicates;
        spdlog::info(
            "trigger={} kind={} machine=\"{}\" decision=duplicate rule={} user=\"{}\" "
            "job={} reason=\"same machine, user, source and type already queued or done\"",
            log_value(t.id), to_string(t.kind), log_printable(t.machine.describe()), d.rule,
            d.user ? d.user->str() : t.user, o.job_id.value_or(0));
      } else {
        ++stats_.skipped;
        spdlog::info(
            "trigger={} kind={} origin=\"{}\" machine=\"{}\" user=\"{}\" decision=skip "
            "rule={} reason=\"{}\"",
            log_value(t.id), to_string(t.kind), log_printable(t.origin),
            log_printable(t.machine.describe()), t.user, d.rule, d.reason);
      }
    }
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
