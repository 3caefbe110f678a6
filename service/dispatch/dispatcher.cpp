#include "dispatch/dispatcher.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <optional>
#include <random>

#include "core/log_text.hpp"
#include "dispatch/with_timeout.hpp"

namespace uda {
namespace {

std::string join_sources(const Relationship& r) {
  std::string out;
  for (auto s : r.sources) {
    if (!out.empty()) out += ",";
    out += fmt::format("{}({})", to_string(s), static_cast<unsigned>(s));
  }
  return out.empty() ? "none" : out;
}

std::uint64_t seed_or_random(std::uint64_t seed) {
  return seed != 0 ? seed : std::random_device{}();
}

std::string_view kind_text(AttemptEnd::Kind k) {
  switch (k) {
    case AttemptEnd::Kind::Done:
      return "completion";
    case AttemptEnd::Kind::Retry:
      return "retry";
    case AttemptEnd::Kind::Dead:
      return "dead letter";
    case AttemptEnd::Kind::Release:
      return "release";
  }
  return "outcome";
}

}  // namespace

Dispatcher::Dispatcher(asio::io_context& io, JobStore& store, Provider& provider,
                       DispatcherOptions options, const TimeSource& time, std::string owner)
    : io_(io),
      store_(store),
      provider_(provider),
      options_(options),
      time_(time),
      owner_(std::move(owner)),
      backoff_(options.backoff, seed_or_random(options.seed)),
      breaker_(options.breaker),
      timer_(io) {}

void Dispatcher::start() {
  loop_running_ = true;
  asio::co_spawn(io_, loop(), asio::detached);
}

void Dispatcher::wake() {
  wake_pending_ = true;
  timer_.cancel();
}

Awaitable<void> Dispatcher::loop() {
  while (!stopping_) {
    const TimePoint now = time_.now();
    // Leases can only expire if a call outlived the lease (a hung provider) or
    // another process claimed; re-arm them now and then.
    if (now - last_rearm_ >= options_.lease / 2) {
      last_rearm_ = now;
      if (auto n = store_.rearm_leases(now, false); !n) {
        spdlog::log(store_.write_fault() ? spdlog::level::debug : spdlog::level::err,
                    "dispatcher: re-arming expired leases failed: {}", n.error().message);
      } else if (*n > 0) {
        spdlog::warn("dispatcher: re-armed {} expired lease(s); they will be verified first", *n);
      }
    }

    const BreakerState breaker = breaker_.state(now);
    std::size_t limit = 0;
    const int free = options_.concurrency - in_flight();
    if (breaker == BreakerState::Closed) {
      limit = static_cast<std::size_t>(std::max(0, free));
    } else if (breaker == BreakerState::HalfOpen && in_flight() == 0) {
      limit = 1;  // the probe
    }
    // The outcomes of the calls that finished since the last pass are
    // written first, in the same transaction as the next claim (one fsync).
    // Until they are written nothing new is claimed.
    bool store_failed = false;
    std::optional<std::vector<Job>> claimed;
    if (!outcomes_.empty()) {
      claimed = write_outcomes_and_claim(limit, now);
      store_failed = !claimed;
    } else if (limit > 0) {
      auto jobs =
          store_.claim_due(limit, now, options_.lease, owner_, options_.backoff.max_attempts);
      if (!jobs) {
        // While the store reports a disk fault it has logged it once; no line per poll.
        spdlog::log(store_.write_fault() ? spdlog::level::debug : spdlog::level::err,
                    "dispatcher: claiming due jobs failed: {}", jobs.error().message);
        store_failed = true;
      } else {
        claimed = std::move(*jobs);
      }
    }
    bool claimed_all = false;
    if (claimed && limit > 0) {
      claimed_all = claimed->size() == limit;
      for (auto& job : *claimed) {
        ++stats_.claimed;
        in_flight_.emplace(job.id, job.final_check);
        asio::co_spawn(io_, run_job(std::move(job)), asio::detached);
      }
    }

    // Sleep until the next thing can happen: a job falls due, the breaker
    // lets a probe through, a call finishes, new work arrives, or the poll.
    Millis wait = options_.poll_interval;
    if (store_failed) {
      // The store refuses writes: look again at the next poll, not at once
      // (jobs already due would otherwise make this a hot loop).
    } else if (breaker == BreakerState::Open) {
      wait = std::min(
          wait,
          std::max(Millis(1), std::chrono::duration_cast<Millis>(breaker_.reopens_at() - now)));
    } else if (claimed_all && in_flight() < options_.concurrency) {
      wait = Millis(0);  // more may be due right now
    } else if (in_flight() < options_.concurrency) {
      if (auto due = store_.next_due(); due && *due) {
        wait = std::clamp(std::chrono::duration_cast<Millis>(**due - now), Millis(0), wait);
      }
    }
    if (wake_pending_ && !store_failed) {
      wake_pending_ = false;
      wait = Millis(0);
    }
    if (wait > Millis(0)) {
      timer_.expires_after(wait);
      boost::system::error_code ec;
      co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      wake_pending_ = false;
    } else {
      co_await asio::post(io_, asio::use_awaitable);  // let calls and other work run
    }
  }
  loop_running_ = false;
}

void Dispatcher::note_finish(std::string_view outcome) {
  if (observer_.on_finish) observer_.on_finish(outcome);
}

void Dispatcher::note_call(std::string_view call, const CallStatus& status, TimePoint started) {
  ++stats_.calls;
  if (observer_.on_call) {
    observer_.on_call(call, status.outcome,
                      std::chrono::duration_cast<Millis>(time_.now() - started));
  }
  if (status.outcome == CallOutcome::Retry) {
    const int before = breaker_.times_opened();
    breaker_.on_transient_failure(time_.now());
    if (breaker_.times_opened() != before) {
      ++stats_.breaker_opened;
      spdlog::warn("breaker provider={} state=open failures={} reopens_at={} reason=\"{}\"",
                   provider_.name(), breaker_.consecutive_failures(),
                   format_iso8601(breaker_.reopens_at()), status.detail);
    }
  } else {
    if (breaker_.state(time_.now()) != BreakerState::Closed) {
      spdlog::info("breaker provider={} state=closed (probe answered)", provider_.name());
    }
    breaker_.on_success();  // the site answered: it is healthy, even if it said no
  }
}

Awaitable<void> Dispatcher::run_job(Job job) {
  const std::int64_t id = job.id;
  if (!breaker_.allow(time_.now())) {
    // The breaker opened after this job was claimed: give it back untouched.
    AttemptEnd end;
    end.kind = AttemptEnd::Kind::Release;
    end.counted = !job.final_check;
    record(job, std::move(end), [this] {
      ++stats_.released;
      note_finish("released");
    });
  } else {
    co_await run_job_steps(job);
  }
  in_flight_.erase(id);
  if (stopping_) {
    if (in_flight_.empty() && idle_signal_) idle_signal_->cancel();
  } else {
    wake();  // a slot is free
  }
}

Awaitable<void> Dispatcher::run_job_steps(Job& job) {
  if (job.final_check) {
    co_await final_check(job);
    co_return;
  }
  Provider* provider = &provider_;
  const auto timeout = options_.call_timeout;

  // 1. A trigger that named only a machine: find its resource id.
  if (!job.machine_resource_id) {
    const std::string name = job.machine_name.value_or("");
    // Named callables, passed as lvalues: GCC 12 destroys a prvalue argument
    // of a coroutine twice (PR 100611), so no temporaries go into co_await.
    auto resolve = [provider, name]() { return provider->resolve_machine(name); };
    const TimePoint started = time_.now();
    auto r = co_await with_timeout<ResolveResult>(resolve, timeout);
    if (!r)
      r = ResolveResult{CallStatus::retry("resolve timed out after " + format_duration(timeout)),
                        {}};
    note_call("resolve", r->status, started);
    if (r->status.outcome == CallOutcome::Retry)
      co_return finish_retry(job, r->status, job.verify_first);
    if (r->status.outcome == CallOutcome::Fail) co_return finish_dead(job, r->status.detail);
    if (!r->resource_id) {
      co_return finish_dead(
          job, fmt::format("no device named '{}' in the site (SMS_R_System.Name)", name));
    }
    job.machine_resource_id = r->resource_id;
    if (auto st = store_.set_resource_id(job.id, owner_, *r->resource_id); !st) {
      spdlog::error("job={} trigger={} could not record resource id: {}", job.id,
                    log_value(job.trigger_id), st.error().message);
      co_return;  // lease lost (shutdown released it): the next run starts over
    }
  }
  const std::uint32_t resource_id = *job.machine_resource_id;

  // 1b. A UPN the rules left for the site: find its UniqueUserName.
  if (job.user.find('\\') == std::string::npos && job.user.find('@') != std::string::npos) {
    const std::string upn = job.user;
    auto resolve_user = [provider, upn]() { return provider->resolve_user(upn); };
    const TimePoint started = time_.now();
    auto u = co_await with_timeout<UserResolveResult>(resolve_user, timeout);
    if (!u) {
      u = UserResolveResult{
          CallStatus::retry("user look-up timed out after " + format_duration(timeout)), {}};
    }
    note_call("resolve_user", u->status, started);
    if (u->status.outcome == CallOutcome::Retry) {
      co_return finish_retry(job, u->status, job.verify_first);
    }
    if (u->status.outcome == CallOutcome::Fail) co_return finish_dead(job, u->status.detail);
    if (!u->unique_user_name) {
      co_return finish_dead(
          job,
          fmt::format("no user with UPN '{}' in the site (SMS_R_User.UserPrincipalName)", upn));
    }
    job.user = *u->unique_user_name;
    if (auto st = store_.set_user(job.id, owner_, job.user); !st) {
      spdlog::error("job={} trigger={} could not record user: {}", job.id,
                    log_value(job.trigger_id), st.error().message);
      co_return;  // lease lost (shutdown released it): the next run starts over
    }
    spdlog::info("job={} trigger={} upn=\"{}\" resolved to user=\"{}\"", job.id,
                 log_value(job.trigger_id), upn, log_printable(job.user));
  }

  // 2. Check first: always when configured, and after any ambiguous failure
  //    (the earlier call may have had its effect).
  if (options_.verify_before_create || job.verify_first) {
    const std::string user = job.user;
    auto find = [provider, resource_id, user]() {
      return provider->find_relationship(resource_id, user);
    };
    const TimePoint started = time_.now();
    auto f = co_await with_timeout<FindResult>(find, timeout);
    if (!f)
      f = FindResult{
          CallStatus::retry("existence check timed out after " + format_duration(timeout)), {}};
    note_call("find", f->status, started);
    if (f->status.outcome == CallOutcome::Retry)
      co_return finish_retry(job, f->status, job.verify_first);
    if (f->status.outcome == CallOutcome::Fail) co_return finish_dead(job, f->status.detail);
    if (f->relationship && f->relationship->is_active && f->relationship->has_type(job.type)) {
      ++stats_.already_present;
      co_return finish_done(
          job, fmt::format("already present (sources: {})", join_sources(*f->relationship)));
    }
  }

  // 3. CreateRelationship.
  RelationshipRequest req{resource_id, job.user, job.source, job.type, job.trigger_id};
  auto create = [provider, req]() { return provider->create_relationship(req); };
  const TimePoint started = time_.now();
  auto c = co_await with_timeout<CreateResult>(create, timeout);
  if (!c) {
    c = CreateResult{
        CallStatus::retry("CreateRelationship timed out after " + format_duration(timeout),
                          /*ambiguous=*/true),
        false};
  }
  note_call("create", c->status, started);
  switch (c->status.outcome) {
    case CallOutcome::Ok:
      co_return finish_done(
          job, c->already_existed ? "source added to existing relationship" : "created");
    case CallOutcome::Retry:
      co_return finish_retry(job, c->status, c->status.ambiguous || job.verify_first);
    case CallOutcome::Fail:
      co_return finish_dead(job, c->status.detail);
  }
}

Awaitable<void> Dispatcher::final_check(Job& job) {
  // Every attempt is used, and the last one was cut off (the agent was killed,
  // or its lease expired, while it ran): it may have had its effect. Calling
  // again would exceed max_attempts (and a job whose call brings the agent
  // down would do so forever), so only find out whether it took effect.
  const std::string gave_up = fmt::format(
      "gave up after {} attempts; no attempt left after the last one was cut off (the agent "
      "stopped or its lease expired while it ran)",
      job.attempts);
  const bool upn =
      job.user.find('\\') == std::string::npos && job.user.find('@') != std::string::npos;
  if (!job.machine_resource_id || upn) {
    // The name or UPN was never resolved, so CreateRelationship never ran.
    co_return finish_dead(job, gave_up + " before it called CreateRelationship");
  }
  Provider* provider = &provider_;
  const std::uint32_t resource_id = *job.machine_resource_id;
  const std::string user = job.user;
  auto find = [provider, resource_id, user]() {
    return provider->find_relationship(resource_id, user);
  };
  const TimePoint started = time_.now();
  auto f = co_await with_timeout<FindResult>(find, options_.call_timeout);
  if (!f) {
    f = FindResult{CallStatus::retry("existence check timed out after " +
                                     format_duration(options_.call_timeout)),
                   {}};
  }
  note_call("find", f->status, started);
  if (f->status.outcome != CallOutcome::Ok) {
    co_return finish_dead(
        job, gave_up + "; checking whether it took effect failed: " + f->status.detail);
  }
  if (f->relationship && f->relationship->is_active && f->relationship->has_type(job.type)) {
    ++stats_.already_present;
    co_return finish_done(job, fmt::format("already present (sources: {}); the last attempt, cut "
                                           "off, had taken effect",
                                           join_sources(*f->relationship)));
  }
  co_return finish_dead(job, gave_up +
                                 "; it did not take effect (the site has no such "
                                 "relationship)");
}

void Dispatcher::record(const Job& job, AttemptEnd end, std::function<void()> recorded) {
  end.job_id = job.id;
  if (end.at == TimePoint{}) end.at = time_.now();
  outcomes_.push_back({std::move(end), job.trigger_id, std::move(recorded), false});
  wake();  // the loop writes them, together with any others that finished meanwhile
}

std::optional<std::vector<Job>> Dispatcher::write_outcomes_and_claim(std::size_t limit,
                                                                     TimePoint now) {
  std::vector<AttemptEnd> ends;
  ends.reserve(outcomes_.size());
  for (const auto& o : outcomes_) ends.push_back(o.end);
  auto written = store_.end_attempts_and_claim(owner_, ends, limit, now, options_.lease,
                                               options_.backoff.max_attempts);
  if (!written) {
    // Nothing was written and nothing claimed; every outcome is kept and
    // tried again at the next pass. Each job says so once.
    for (auto& o : outcomes_) {
      if (o.failed) continue;
      o.failed = true;
      spdlog::error(
          "job={} trigger={} could not record {}: {} (kept; written again before anything new "
          "is claimed)",
          o.end.job_id, log_value(o.trigger_id), kind_text(o.end.kind), written.error().message);
    }
    return std::nullopt;
  }
  auto outcomes = std::move(outcomes_);
  outcomes_.clear();
  for (std::size_t i = 0; i < outcomes.size(); ++i) {
    auto& o = outcomes[i];
    if (const Status& st = written->ended[i]; !st) {
      // E.g. the lease ran out during a long store fault and the job was
      // re-armed: it is not ours now, and whoever runs it next checks the
      // site first.
      spdlog::warn("job={} trigger={} {} dropped: {}", o.end.job_id, log_value(o.trigger_id),
                   kind_text(o.end.kind), st.error().message);
      continue;
    }
    if (o.failed) {
      spdlog::info("job={} trigger={} {} recorded after the store recovered", o.end.job_id,
                   log_value(o.trigger_id), kind_text(o.end.kind));
    }
    o.recorded();
  }
  return std::move(written->claimed);
}

void Dispatcher::finish_done(const Job& job, const std::string& detail) {
  AttemptEnd end;
  end.kind = AttemptEnd::Kind::Done;
  end.detail = detail;
  record(job, std::move(end), [this, job, detail] {
    ++stats_.done;
    note_finish("done");
    spdlog::info(
        "job={} trigger={} machine={} user=\"{}\" source={}({}) attempt={} outcome=done "
        "detail=\"{}\"",
        job.id, log_value(job.trigger_id), job.machine_resource_id.value_or(0), job.user,
        to_string(job.source), static_cast<unsigned>(job.source), job.attempts, detail);
  });
}

void Dispatcher::finish_retry(const Job& job, const CallStatus& status, bool verify_first) {
  if (backoff_.exhausted(job.attempts)) {
    finish_dead(
        job, fmt::format("gave up after {} attempts; last error: {}", job.attempts, status.detail));
    return;
  }
  Millis delay = backoff_.next_delay(job.attempts);
  if (status.retry_after) delay = std::max(delay, *status.retry_after);
  AttemptEnd end;
  end.kind = AttemptEnd::Kind::Retry;
  end.detail = status.detail;
  // One clock reading for both: the wait is counted from the attempt's end.
  end.at = time_.now();
  end.next_attempt_at = end.at + delay;
  end.verify_first = verify_first;
  record(job, std::move(end), [this, job, delay, detail = status.detail, verify_first] {
    ++stats_.retried;
    note_finish("retry");
    spdlog::warn(
        "job={} trigger={} attempt={}/{} outcome=retry next_in={} verify_first={} "
        "error=\"{}\"",
        job.id, log_value(job.trigger_id), job.attempts, options_.backoff.max_attempts,
        format_duration(delay), verify_first, detail);
  });
}

void Dispatcher::finish_dead(const Job& job, const std::string& error) {
  AttemptEnd end;
  end.kind = AttemptEnd::Kind::Dead;
  end.detail = error;
  record(job, std::move(end), [this, job, error] {
    ++stats_.dead;
    note_finish("dead");
    spdlog::error("job={} trigger={} machine={} user=\"{}\" attempt={} outcome=dead error=\"{}\"",
                  job.id, log_value(job.trigger_id), job.machine_resource_id.value_or(0), job.user,
                  job.attempts, error);
  });
}

Awaitable<void> Dispatcher::shutdown() {
  stopping_ = true;
  timer_.cancel();
  if (!in_flight_.empty()) {
    spdlog::info("dispatcher: stopping; waiting up to {} for {} call(s) in flight",
                 format_duration(options_.shutdown_deadline), in_flight_.size());
    idle_signal_ = std::make_shared<asio::steady_timer>(io_);
    idle_signal_->expires_after(options_.shutdown_deadline);
    boost::system::error_code ec;
    co_await idle_signal_->async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  if (!outcomes_.empty() && !write_outcomes_and_claim(0, time_.now())) {
    spdlog::warn(
        "dispatcher: {} outcome(s) could not be written before stopping; those jobs stay "
        "leased and are checked against the site first at the next start",
        outcomes_.size());
    outcomes_.clear();
  }
  // Whatever still runs has its lease given back; the late result will find
  // the job no longer leased by us and be dropped, and the next run checks
  // the site before calling again (verify_first).
  for (const auto& [id, final_check] : std::map<std::int64_t, bool>(in_flight_)) {
    if (auto st = store_.release(id, owner_, time_.now(), !final_check); !st) {
      spdlog::error("job={} release at shutdown failed: {}", id, st.error().message);
    } else {
      ++stats_.released;
      note_finish("released");
      spdlog::warn("job={} released at shutdown (call still in flight; will verify first)", id);
    }
  }
  in_flight_.clear();
}

}  // namespace uda
