#include "sources/usage/usage_poller.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <iterator>
#include <map>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <utility>

#include "core/log_text.hpp"
#include "dispatch/backoff.hpp"
#include "sources/usage/query_pacer.hpp"
#include "sources/usage/usage_state.hpp"
#include "sources/usage/usage_trigger.hpp"

namespace uda {
namespace {

// Skipped rows logged (at debug) per page; the rest are counted.
constexpr std::size_t kMaxSkipLogsPerPage = 20;
// Triggers per submission: a page of many devices with many users each is
// handed over in parts, all committed before any watermark is written.
constexpr std::size_t kMaxTriggersPerSubmit = 1000;

using Key = std::pair<std::uint32_t, std::string>;

std::uint64_t seed_or_random(std::uint64_t seed) {
  return seed != 0 ? seed : std::random_device{}();
}

// One console_usage call in flight: its answer, or the timer ran out / the
// poller stopped first. Shared with the detached call, which may outlive the
// wait (a provider call cannot be cancelled; see dispatch/with_timeout.hpp).
struct CallState {
  explicit CallState(asio::io_context& io) : timer(io) {}
  asio::steady_timer timer;
  std::optional<UsagePage> result;
  bool finished = false;
};

// One submission waiting for the committer's answer (posted back to us).
struct CommitState {
  explicit CommitState(asio::io_context& io) : timer(io) {}
  asio::steady_timer timer;
  std::optional<Expected<std::vector<bool>>> result;
};

struct CommitAnswer {
  bool ok = false;
  std::size_t inserted = 0;
  std::size_t duplicate = 0;
  std::string error;
};

// What one page comes to, before its commit.
struct PagePlan {
  std::vector<Trigger> triggers;  // to send
  UsagePageRecord record;         // to write after the commit
  std::size_t changed = 0;        // rows that differ from their watermark
  std::size_t unchanged = 0;
  std::size_t below_min = 0;
  std::size_t skipped = 0;
};

// One pass's totals, for its log line.
struct PassTotals {
  std::uint64_t pages = 0;
  std::uint64_t rows = 0;
  std::uint64_t changed = 0;
  std::uint64_t sent = 0;
  std::uint64_t unchanged = 0;
  std::uint64_t skipped = 0;
  std::uint64_t errors = 0;
};

struct Counters {
  std::atomic<std::uint64_t> passes{0};
  std::atomic<std::uint64_t> passes_failed{0};
  std::atomic<std::uint64_t> queries{0};
  std::atomic<std::uint64_t> pages{0};
  std::atomic<std::uint64_t> rows{0};
  std::atomic<std::uint64_t> triggers_sent{0};
  std::atomic<std::uint64_t> triggers_duplicate{0};
  std::atomic<std::uint64_t> unchanged{0};
  std::atomic<std::uint64_t> below_min{0};
  std::atomic<std::uint64_t> skipped{0};
  std::atomic<std::uint64_t> errors{0};
};

UsageOptions sanitized(UsageOptions o) {
  o.page_size = std::max<std::size_t>(1, o.page_size);
  o.max_queries_per_minute = std::max(1, o.max_queries_per_minute);
  o.clock_recheck = std::max(Millis(1), o.clock_recheck);
  o.call_timeout = std::max(Millis(1), o.call_timeout);
  o.backoff.max_attempts = std::max(1, o.backoff.max_attempts);
  return o;
}

}  // namespace

struct UsagePoller::Impl : std::enable_shared_from_this<Impl> {
  Impl(asio::io_context& io_, Provider& provider_, UsageOptions options_, Submit submit_,
       const TimeSource& time_)
      : io(io_),
        provider(provider_),
        options(sanitized(std::move(options_))),
        submit(std::move(submit_)),
        time(time_),
        pacer(options.max_queries_per_minute),
        backoff(options.backoff, seed_or_random(options.seed)),
        sleep_timer(io_) {}

  asio::io_context& io;
  Provider& provider;
  const UsageOptions options;
  Submit submit;
  const TimeSource& time;
  QueryPacer pacer;
  Backoff backoff;
  std::unique_ptr<UsageState> state;
  UsageCursor cursor;  // in memory; written through `state`
  asio::steady_timer sleep_timer;
  std::optional<TimePoint> sleeping;
  std::shared_ptr<CallState> call;  // the query in flight
  bool started = false;
  bool stopping = false;
  std::atomic<bool> running{false};
  Counters counters;

  // ---- control -------------------------------------------------------------

  Status start() {
    if (stopping) return Error{"usage: the poller was stopped; it does not start again"};
    if (started) return Error{"usage: the poller is started already"};
    auto opened = UsageState::open(options.state_path);
    if (!opened) return opened.error();
    auto c = (*opened)->cursor();
    if (!c) return c.error();
    state = std::move(*opened);
    cursor = *c;
    started = true;
    running = true;
    auto self = shared_from_this();
    auto loop = [self]() { return self->run(); };
    asio::co_spawn(io, loop, asio::detached);
    spdlog::info(
        "usage: poller started provider={} interval={} page_size={} max_queries_per_minute={} "
        "min_minutes={} origin={} state={} last_pass={} after={}",
        provider.name(), format_duration(options.interval), options.page_size,
        options.max_queries_per_minute, options.min_minutes, options.origin,
        options.state_path.string(), to_string(cursor.state), cursor.after_resource_id);
    return Status::Ok();
  }

  void stop() {
    if (stopping) return;
    stopping = true;
    sleep_timer.cancel();
    if (call) call->timer.cancel();
    if (!started) running = false;
  }

  void wake() { sleep_timer.cancel(); }

  // ---- waits ---------------------------------------------------------------

  // Waits until the TimeSource says `until`, in slices of at most
  // clock_recheck (or until wake()). False when stopped.
  Awaitable<bool> sleep_until(TimePoint until) {
    while (!stopping) {
      const TimePoint now = time.now();
      if (now >= until) break;
      const auto left = std::chrono::duration_cast<Millis>(until - now);
      sleeping = until;
      sleep_timer.expires_after(std::min(left, options.clock_recheck));
      boost::system::error_code ec;
      co_await sleep_timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    sleeping.reset();
    co_return !stopping;
  }

  // Waits for the query pace, then counts a query as started.
  Awaitable<bool> pace() {
    const TimePoint now = time.now();
    const Millis wait = pacer.wait(now);
    if (wait > Millis(0)) {
      const TimePoint until = now + wait;
      if (!co_await sleep_until(until)) co_return false;
    }
    if (stopping) co_return false;
    pacer.record(time.now());
    ++counters.queries;
    co_return true;
  }

  // console_usage(after, page_size) under call_timeout. Empty on timeout or
  // when stopped meanwhile (the late answer is dropped).
  Awaitable<std::optional<UsagePage>> query(std::uint32_t after) {
    auto st = std::make_shared<CallState>(io);
    st->timer.expires_after(options.call_timeout);
    call = st;
    Provider* p = &provider;
    const std::size_t limit = options.page_size;
    // A named callable, passed as an lvalue (GCC 12, PR 100611: no prvalue
    // arguments into coroutines). It owns all it uses: it may outlive us.
    auto make_call = [st, p, after, limit]() -> Awaitable<void> {
      std::optional<UsagePage> page;
      std::string thrown;
      try {
        page = co_await p->console_usage(after, limit);
      } catch (const std::exception& e) {
        thrown = e.what();
      }
      if (!page) page = UsagePage{CallStatus::fail("console_usage threw: " + thrown), {}, false};
      if (!st->finished) {
        st->result = std::move(page);
        st->finished = true;
        st->timer.cancel();
      }
    };
    asio::co_spawn(io, make_call, asio::detached);
    boost::system::error_code ec;
    co_await st->timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    st->finished = true;
    call.reset();
    if (stopping) co_return std::nullopt;
    co_return std::move(st->result);
  }

  // Hands the triggers to the store (in parts of at most
  // kMaxTriggersPerSubmit) and waits for every commit. Not cut short by
  // stop(): the committer always answers.
  Awaitable<CommitAnswer> commit(std::vector<Trigger>& triggers) {
    CommitAnswer answer;
    std::size_t begin = 0;
    while (begin < triggers.size()) {
      const std::size_t end = std::min(triggers.size(), begin + kMaxTriggersPerSubmit);
      std::vector<Trigger> part(
          std::make_move_iterator(triggers.begin() + static_cast<std::ptrdiff_t>(begin)),
          std::make_move_iterator(triggers.begin() + static_cast<std::ptrdiff_t>(end)));
      const std::size_t n = part.size();
      auto wait = std::make_shared<CommitState>(io);
      wait->timer.expires_at(asio::steady_timer::time_point::max());
      std::weak_ptr<CommitState> weak = wait;
      auto ex = io.get_executor();
      GroupCommitter::Done done = [weak, ex](Expected<std::vector<bool>> result) {
        // On the committer's writer thread (or ours, when refused at once).
        asio::post(ex, [weak, result = std::move(result)]() mutable {
          if (auto w = weak.lock()) {
            w->result = std::move(result);
            w->timer.cancel();
          }
        });
      };
      try {
        submit(std::move(part), std::move(done));
      } catch (const std::exception& e) {
        answer.error = fmt::format("submitting failed: {}", e.what());
        co_return answer;
      }
      while (!wait->result) {
        boost::system::error_code ec;
        co_await wait->timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      }
      if (!*wait->result) {
        answer.error = wait->result->error().message;
        co_return answer;
      }
      const auto& flags = wait->result->value();
      const auto inserted = static_cast<std::size_t>(std::count(flags.begin(), flags.end(), true));
      answer.inserted += inserted;
      answer.duplicate += n - std::min(n, inserted);
      begin = end;
    }
    answer.ok = true;
    co_return answer;
  }

  // ---- one page ------------------------------------------------------------

  Expected<PagePlan> plan(const UsagePage& page, std::uint32_t after, std::uint32_t last,
                          TimePoint now) {
    PagePlan p;
    p.record.after = after;
    p.record.last = last;
    p.record.last_page = !page.more;
    p.record.at = now;
    auto marks = state->watermarks(after, last);
    if (!marks) return marks.error();
    std::map<Key, const UsageWatermark*> by_key;
    for (const auto& w : *marks) by_key.emplace(Key{w.values.resource_id, w.values.user_lc}, &w);

    std::set<Key> seen;
    std::size_t logged = 0;
    const auto skip = [&](const ConsoleUsage& row, const std::string& why) {
      ++p.skipped;
      if (logged < kMaxSkipLogsPerPage) {
        ++logged;
        spdlog::debug("usage: row skipped resource={} user=\"{}\" reason=\"{}\"", row.resource_id,
                      log_printable(row.system_console_user.substr(0, kMaxUserLength)),
                      log_printable(why));
      }
    };
    for (const auto& row : page.rows) {
      if (row.resource_id <= after) {
        skip(row, fmt::format("ResourceID is not after the page's after_resource_id {}", after));
        continue;
      }
      if (auto problem = usage_row_problem(row)) {
        skip(row, *problem);
        continue;
      }
      auto fp = usage_fingerprint(row);
      Key key{fp.resource_id, fp.user_lc};
      if (!seen.insert(key).second) {
        skip(row, "a second row for this device and user in one page");
        continue;
      }
      if (auto it = by_key.find(key); it != by_key.end() && it->second->values == fp) {
        ++p.unchanged;
        continue;
      }
      auto trigger = usage_trigger(row, options.origin, now);
      if (!trigger) {
        skip(row, trigger.error().message);
        continue;
      }
      ++p.changed;
      if (row.total_console_minutes < options.min_minutes) {
        ++p.below_min;
        continue;
      }
      p.record.sent.push_back(UsageWatermark{std::move(fp), trigger->id, now});
      p.triggers.push_back(std::move(*trigger));
    }
    if (p.skipped > logged) {
      spdlog::debug("usage: page after={}: {} more rows skipped (not logged)", after,
                    p.skipped - logged);
    }
    // Pairs the site no longer reports within this page's devices.
    for (const auto& [key, w] : by_key) {
      if (!seen.contains(key)) p.record.gone.push_back(key);
    }
    return p;
  }

  // ---- passes --------------------------------------------------------------

  // The next pass starts `interval` after this one started (a start time in
  // the future, after the clock went back, counts as now).
  [[nodiscard]] TimePoint next_pass_at(TimePoint now) const {
    return std::min(cursor.started_at, now) + options.interval;
  }

  void pass_failed(const PassTotals& totals, std::uint32_t after, const std::string& why) {
    const TimePoint now = time.now();
    cursor.state = PassState::Failed;
    cursor.finished_at = now;
    if (auto st = state->fail_pass(now); !st) {
      ++counters.errors;
      spdlog::error("usage: {}", st.error().message);
    }
    ++counters.passes_failed;
    spdlog::warn(
        "usage: pass outcome=failed started={} pages={} rows={} changed={} sent={} unchanged={} "
        "skipped={} errors={} after={} error=\"{}\" next={}",
        format_iso8601(cursor.started_at), totals.pages, totals.rows, totals.changed, totals.sent,
        totals.unchanged, totals.skipped, totals.errors, after, log_printable(why),
        format_iso8601(next_pass_at(now)));
  }

  Awaitable<void> run_pass(std::uint32_t after) {
    PassTotals totals;
    int failures = 0;  // in a row, on this page
    while (!stopping) {
      if (!co_await pace()) co_return;
      auto answer = co_await query(after);
      if (stopping) co_return;

      std::string retry_error;
      std::optional<Millis> retry_after;
      if (!answer) {
        retry_error =
            fmt::format("console_usage timed out after {}", format_duration(options.call_timeout));
      } else if (answer->status.outcome == CallOutcome::Retry) {
        retry_error = answer->status.detail;
        retry_after = answer->status.retry_after;
      } else if (answer->status.outcome == CallOutcome::Fail) {
        ++counters.errors;
        ++totals.errors;
        pass_failed(totals, after, "console_usage failed: " + answer->status.detail);
        co_return;
      } else {
        const UsagePage& page = *answer;
        std::uint32_t last = after;
        for (const auto& row : page.rows) last = std::max(last, row.resource_id);
        if (page.more && last <= after) {
          ++counters.errors;
          ++totals.errors;
          pass_failed(totals, after,
                      fmt::format("the provider said more pages follow, but its page did not "
                                  "move past ResourceID {}",
                                  after));
          co_return;
        }
        const TimePoint now = time.now();
        auto planned = plan(page, after, last, now);
        if (!planned) {
          ++counters.errors;
          ++totals.errors;
          pass_failed(totals, after, planned.error().message);
          co_return;
        }
        PagePlan& p = *planned;
        const std::size_t to_send = p.triggers.size();
        CommitAnswer committed;
        committed.ok = true;
        if (to_send > 0) committed = co_await commit(p.triggers);
        if (committed.ok) {
          // Only now, with the triggers durable, do the watermarks move.
          if (auto st = state->record_page(p.record); !st) {
            ++counters.errors;
            ++totals.errors;
            const auto why = fmt::format(
                "{} (its {} triggers are committed; they are sent again later and the store "
                "ignores the ids it holds)",
                st.error().message, to_send);
            if (stopping) {
              spdlog::error("usage: {}", why);
            } else {
              pass_failed(totals, after, why);
            }
            co_return;
          }
          counters.pages += 1;
          counters.rows += page.rows.size();
          counters.triggers_sent += to_send;
          counters.triggers_duplicate += committed.duplicate;
          counters.unchanged += p.unchanged;
          counters.below_min += p.below_min;
          counters.skipped += p.skipped;
          totals.pages += 1;
          totals.rows += page.rows.size();
          totals.changed += p.changed;
          totals.sent += to_send;
          totals.unchanged += p.unchanged;
          totals.skipped += p.skipped;
          spdlog::info(
              "usage: page after={} rows={} changed={} sent={} unchanged={} below_min={} "
              "skipped={} duplicate={} more={}",
              after, page.rows.size(), p.changed, to_send, p.unchanged, p.below_min, p.skipped,
              committed.duplicate, page.more);
          failures = 0;
          cursor.after_resource_id = last;
          if (!page.more) {
            cursor.state = PassState::Complete;
            cursor.finished_at = now;
            ++counters.passes;
            spdlog::info(
                "usage: pass outcome=complete started={} pages={} rows={} changed={} sent={} "
                "unchanged={} skipped={} errors={} next={}",
                format_iso8601(cursor.started_at), totals.pages, totals.rows, totals.changed,
                totals.sent, totals.unchanged, totals.skipped, totals.errors,
                format_iso8601(next_pass_at(now)));
            co_return;
          }
          after = last;
          continue;
        }
        retry_error = "committing its triggers failed: " + committed.error;
      }

      // Retry the same page after a backoff.
      if (stopping) co_return;
      ++counters.errors;
      ++totals.errors;
      ++failures;
      if (backoff.exhausted(failures)) {
        pass_failed(totals, after,
                    fmt::format("{} failures in a row, the last: {}", failures, retry_error));
        co_return;
      }
      Millis delay = backoff.next_delay(failures);
      if (retry_after) delay = std::max(delay, std::min(*retry_after, options.backoff.cap));
      spdlog::warn("usage: page after={} outcome=retry attempt={} wait={} error=\"{}\"", after,
                   failures, format_duration(delay), log_printable(retry_error));
      const TimePoint until = time.now() + delay;
      if (!co_await sleep_until(until)) co_return;
    }
  }

  Awaitable<void> run() {
    while (!stopping) {
      std::uint32_t after = 0;
      if (cursor.state == PassState::Running) {
        // A pass an earlier run did not finish: continue at its cursor.
        cursor.started_at = std::min(cursor.started_at, time.now());
        after = cursor.after_resource_id;
        spdlog::info("usage: continuing the pass started {} after={}",
                     format_iso8601(cursor.started_at), after);
      } else {
        if (cursor.state != PassState::None) {
          const TimePoint next = next_pass_at(time.now());
          if (!co_await sleep_until(next)) break;
        }
        const TimePoint begins = time.now();
        cursor = UsageCursor{PassState::Running, 0, begins, std::nullopt};
        if (auto st = state->begin_pass(begins); !st) {
          ++counters.errors;
          pass_failed(PassTotals{}, 0, st.error().message);
          continue;
        }
      }
      co_await run_pass(after);
    }
    running = false;
  }
};

UsagePoller::UsagePoller(asio::io_context& io, Provider& provider, UsageOptions options,
                         Submit submit, const TimeSource& time)
    : impl_(std::make_shared<Impl>(io, provider, std::move(options), std::move(submit), time)) {}

UsagePoller::~UsagePoller() {
  stop();
}

Status UsagePoller::start() {
  return impl_->start();
}

void UsagePoller::stop() {
  impl_->stop();
}

void UsagePoller::wake() {
  impl_->wake();
}

bool UsagePoller::running() const {
  return impl_->running.load();
}

std::optional<TimePoint> UsagePoller::sleeping_until() const {
  return impl_->sleeping;
}

UsagePoller::Stats UsagePoller::stats() const {
  const auto& c = impl_->counters;
  Stats s;
  s.passes = c.passes.load();
  s.passes_failed = c.passes_failed.load();
  s.queries = c.queries.load();
  s.pages = c.pages.load();
  s.rows = c.rows.load();
  s.triggers_sent = c.triggers_sent.load();
  s.triggers_duplicate = c.triggers_duplicate.load();
  s.unchanged = c.unchanged.load();
  s.below_min = c.below_min.load();
  s.skipped = c.skipped.load();
  s.errors = c.errors.load();
  return s;
}

const UsageOptions& UsagePoller::options() const {
  return impl_->options;
}

}  // namespace uda
