#include "sources/wmi_events/wmi_event_watcher.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <deque>
#include <map>
#include <mutex>
#include <utility>

#include "core/log_text.hpp"
#include "sources/wmi_events/event_mapping.hpp"
#include "sources/wmi_events/reconnect_backoff.hpp"
#include "sources/wmi_events/wmi_datetime.hpp"
#include "sources/wmi_events/wql.hpp"

namespace uda {
namespace {

using SteadyClock = std::chrono::steady_clock;

constexpr std::string_view kSiteQuery =
    "SELECT SiteCode FROM SMS_ProviderLocation WHERE ProviderForLocalSite = TRUE";
// Entries looked at per batch beyond the triggers (skipped events, barriers).
constexpr std::size_t kMaxEntriesPerBatchFactor = 4;

std::string replace_all(std::string text, std::string_view from, std::string_view to) {
  for (auto pos = text.find(from); pos != std::string::npos;
       pos = text.find(from, pos + to.size())) {
    text.replace(pos, from.size(), to);
  }
  return text;
}

bool valid_site_code(std::string_view code) {
  if (code.empty() || code.size() > 8) return false;
  return std::all_of(code.begin(), code.end(),
                     [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; });
}

}  // namespace

std::string_view to_string(WmiEventWatcher::State s) {
  switch (s) {
    case WmiEventWatcher::State::Connecting:
      return "connecting";
    case WmiEventWatcher::State::Up:
      return "up";
    case WmiEventWatcher::State::Waiting:
      return "waiting";
    case WmiEventWatcher::State::Stopped:
      break;
  }
  return "stopped";
}

// ---------------------------------------------------------------------------

struct WmiEventWatcher::Impl : std::enable_shared_from_this<WmiEventWatcher::Impl> {
  using State = WmiEventWatcher::State;

  // One event (or a barrier) waiting for its commit, in arrival order.
  struct Entry {
    std::uint64_t seq = 0;
    bool barrier = false;          // marks the end of a connection's catch-up
    std::uint64_t generation = 0;  // barrier: of which connection
    bool ready = true;             // false while its user lookup runs
    int lookup_attempts = 0;
    std::optional<Trigger> trigger;  // none: skipped (still ordered for the bookmark)
    std::optional<TimePoint> mark;   // bookmark candidate once committed
  };

  struct Sub {
    Subscription config;
    State state = State::Stopped;
    std::uint64_t generation = 0;  // one per connection attempt
    int attempt = 0;               // consecutive failures
    std::optional<Error> lost_while_connecting;
    SteadyClock::time_point up_since{};
    bool resume_done = false;            // the current connection's catch-up is committed
    bool frozen = false;                 // an event was dropped: keep the bookmark for this run
    std::optional<TimePoint> saved;      // the bookmark in the store
    std::optional<TimePoint> committed;  // the largest committed mark
    bool saving = false;
    bool save_again = false;
    std::deque<Entry> queue;
    std::size_t in_flight = 0;  // entries at the front of `queue` being committed
    bool commit_wait = false;   // a failed commit waits for its retry
    int commit_attempt = 0;
    std::unique_ptr<asio::steady_timer> timer;         // reconnect
    std::unique_ptr<asio::steady_timer> commit_timer;  // commit retry
    SubscriptionStats stats;                           // guarded by stats_mu
  };

  Impl(asio::io_context& io, WmiEventsOptions o, EventSource& src, BookmarkStore& bm, Submit s,
       const TimeSource& t)
      : strand(asio::make_strand(io)),
        options(std::move(o)),
        source(src),
        bookmarks(bm),
        submit(std::move(s)),
        time(t),
        delays(options.reconnect_base, options.reconnect_cap, options.seed) {}

  asio::strand<asio::io_context::executor_type> strand;
  asio::thread_pool worker{1};
  WmiEventsOptions options;
  EventSource& source;
  BookmarkStore& bookmarks;
  Submit submit;
  const TimeSource& time;
  ReconnectBackoff delays;
  std::map<std::string, std::unique_ptr<Sub>> subs;
  std::uint64_t next_seq = 0;
  bool started = false;
  std::atomic<bool> stopping{false};
  bool joined = false;
  std::string site_ns;  // worker thread only: namespace "auto" once resolved
  mutable std::mutex stats_mu;

  template <class F>
  void stat(Sub& s, F&& f) {
    std::lock_guard lock(stats_mu);
    f(s.stats);
  }

  Sub* find(const std::string& name) {
    const auto it = subs.find(name);
    return it == subs.end() ? nullptr : it->second.get();
  }

  void set_state(Sub& s, State st) {
    s.state = st;
    stat(s, [&](SubscriptionStats& x) { x.state = st; });
  }

  void update_queued(Sub& s) {
    stat(s, [&](SubscriptionStats& x) { x.queued = s.queue.size(); });
  }

  // Posts `f` (a member call) to the strand, if the watcher still exists.
  template <class F>
  void on_strand(F&& f) {
    asio::post(strand, [w = weak_from_this(), f = std::forward<F>(f)]() mutable {
      if (auto self = w.lock()) f(*self);
    });
  }

  // Runs `f` on the worker thread unless stopping.
  template <class F>
  void on_worker(F&& f) {
    asio::post(worker, [self = shared_from_this(), f = std::forward<F>(f)]() mutable {
      if (!self->stopping) f(*self);
    });
  }

  Millis backoff(int attempt, bool longest) { return delays.next(attempt, longest); }

  // ---- start / stop -------------------------------------------------------

  Status start() {
    if (started) return Error{"wmi_events: already started"};
    if (stopping) return Error{"wmi_events: a stopped watcher is not started again"};
    started = true;
    std::size_t enabled = 0;
    for (const auto& cfg : options.subscriptions) {
      auto s = std::make_unique<Sub>();
      s->config = cfg;
      s->timer = std::make_unique<asio::steady_timer>(strand);
      s->commit_timer = std::make_unique<asio::steady_timer>(strand);
      s->stats.name = cfg.name;
      s->stats.ns = cfg.ns;
      Sub& ref = *s;
      {
        std::lock_guard lock(stats_mu);
        subs.emplace(cfg.name, std::move(s));
      }
      if (!cfg.enabled) {
        spdlog::info("wmi: subscription={} outcome=disabled", log_value(cfg.name));
        continue;
      }
      ++enabled;
      connect(ref);
    }
    spdlog::info("wmi: started subscriptions={} enabled={}", options.subscriptions.size(), enabled);
    return Status::Ok();
  }

  void stop() {
    if (stopping.exchange(true)) {
      join();
      return;
    }
    std::vector<std::string> names;
    for (auto& [name, s] : subs) {
      s->timer->cancel();
      s->commit_timer->cancel();
      ++s->generation;  // answers still on their way are stale now
      set_state(*s, State::Stopped);
      names.push_back(name);
    }
    // Cancel on the worker, after whatever it is doing (a subscribe in
    // progress is cancelled right after it).
    asio::post(worker, [self = shared_from_this(), names] {
      for (const auto& n : names) self->source.cancel(n);
    });
    join();
    if (started) spdlog::info("wmi: stopped subscriptions={}", names.size());
  }

  void join() {
    if (joined) return;
    joined = true;
    worker.join();
  }

  // ---- connecting -----------------------------------------------------------

  void connect(Sub& s) {
    const auto gen = ++s.generation;
    s.lost_while_connecting.reset();
    set_state(s, State::Connecting);
    on_worker([name = s.config.name, gen, cfg = s.config](Impl& self) mutable {
      self.connect_work(name, gen, std::move(cfg));
    });
  }

  // Worker thread.
  Expected<std::string> resolve_namespace(const std::string& ns) {
    if (ns != "auto") return ns;
    if (!site_ns.empty()) return site_ns;
    auto rows = source.query("root\\sms", std::string(kSiteQuery));
    if (!rows) return rows.error();
    for (const auto& row : *rows) {
      const auto* v = row.find("SiteCode");
      const auto* code = v ? std::get_if<std::string>(v) : nullptr;
      if (code != nullptr && valid_site_code(*code)) {
        site_ns = "root\\sms\\site_" + *code;
        return site_ns;
      }
    }
    return Error{
        "no SMS Provider for the local site answered in root\\sms (SMS_ProviderLocation WHERE "
        "ProviderForLocalSite = TRUE); set wmi_events.namespace to root\\sms\\site_<site code>"};
  }

  // Worker thread: resolve, load the bookmark, subscribe, catch up.
  void connect_work(const std::string& name, std::uint64_t gen, Subscription cfg) {
    const auto fail = [&](const Error& e, std::string what) {
      on_strand(
          [name, gen, e, what = std::move(what)](Impl& self) { self.failed(name, gen, e, what); });
    };
    auto ns = resolve_namespace(cfg.ns);
    if (!ns) return fail(ns.error(), "resolving namespace auto");
    cfg.ns = *ns;
    auto bookmark = bookmarks.load(name);
    if (!bookmark) return fail(bookmark.error(), "reading the bookmark");

    auto on_event = [w = weak_from_this(), ex = strand, name](WmiInstance event) {
      asio::post(ex, [w, name, event = std::move(event)]() mutable {
        if (auto self = w.lock()) self->event_arrived(name, std::move(event), false);
      });
    };
    auto on_lost = [w = weak_from_this(), ex = strand, name, gen](Error e) {
      asio::post(ex, [w, name, gen, e = std::move(e)] {
        if (auto self = w.lock()) self->lost(name, gen, e);
      });
    };
    if (auto st = source.subscribe(cfg, std::move(on_event), std::move(on_lost)); !st) {
      return fail(st.error(), "subscribing");
    }
    const TimePoint connected_at = time.now();
    std::vector<WmiInstance> rows;
    std::string resume_wql;
    if (*bookmark && cfg.resume_query) {
      const auto since = **bookmark - cfg.resume_overlap;
      resume_wql = replace_all(*cfg.resume_query, "{since}", format_wmi_datetime(since));
      auto r = source.query(cfg.ns, resume_wql);
      if (!r) {
        source.cancel(name);
        return fail(r.error(), "running the resume query");
      }
      rows = std::move(*r);
    }
    on_strand([name, gen, ns = cfg.ns, b = *bookmark, connected_at, rows = std::move(rows),
               resume_wql = std::move(resume_wql)](Impl& self) mutable {
      self.connected(name, gen, ns, b, connected_at, std::move(rows), resume_wql);
    });
  }

  void connected(const std::string& name, std::uint64_t gen, const std::string& ns,
                 std::optional<TimePoint> bookmark, TimePoint connected_at,
                 std::vector<WmiInstance> rows, const std::string& resume_wql) {
    Sub* s = find(name);
    if (s == nullptr || stopping || gen != s->generation) return;
    if (s->lost_while_connecting) {
      const Error e = *s->lost_while_connecting;
      on_worker([name](Impl& self) { self.source.cancel(name); });
      ++s->attempt;
      return wait_and_reconnect(*s, e, "the subscription was lost while connecting");
    }
    s->up_since = SteadyClock::now();
    if (bookmark && (!s->saved || *s->saved < *bookmark)) s->saved = bookmark;
    if (bookmark && (!s->committed || *s->committed < *bookmark)) s->committed = bookmark;
    set_state(*s, State::Up);
    stat(*s, [&](SubscriptionStats& x) {
      ++x.connects;
      x.ns = ns;
      x.bookmark = bookmark;
    });
    spdlog::info("wmi: subscription={} outcome=subscribed namespace={} bookmark={} resumed={}{}",
                 log_value(name), log_value(ns), bookmark ? format_iso8601(*bookmark) : "none",
                 rows.size(),
                 resume_wql.empty() ? "" : fmt::format(" resume_query={}", log_value(resume_wql)));
    for (auto& row : rows) {
      event_arrived(name, as_target_instance(row, s->config.event_class), true);
    }
    // Everything before this barrier is the catch-up; once it is committed
    // the bookmark may move to the time of the subscription.
    Entry barrier;
    barrier.seq = ++next_seq;
    barrier.barrier = true;
    barrier.generation = gen;
    barrier.mark = connected_at;
    s->queue.push_back(std::move(barrier));
    update_queued(*s);
    pump(*s);
  }

  void failed(const std::string& name, std::uint64_t gen, const Error& e, const std::string& what) {
    Sub* s = find(name);
    if (s == nullptr || stopping || gen != s->generation) return;
    ++s->attempt;
    wait_and_reconnect(*s, e, what);
  }

  void lost(const std::string& name, std::uint64_t gen, const Error& e) {
    Sub* s = find(name);
    if (s == nullptr || stopping || gen != s->generation) return;
    if (s->state == State::Connecting) {
      s->lost_while_connecting = e;
      return;
    }
    if (s->state != State::Up) return;
    if (SteadyClock::now() - s->up_since >= options.healthy_after) s->attempt = 0;
    ++s->attempt;
    on_worker([name](Impl& self) { self.source.cancel(name); });
    wait_and_reconnect(*s, e, "the subscription was lost");
  }

  void wait_and_reconnect(Sub& s, const Error& e, const std::string& what) {
    const bool permanent = is_permanent_wmi_failure(e);
    const auto delay = backoff(s.attempt, permanent);
    s.resume_done = false;
    set_state(s, State::Waiting);
    stat(s, [&](SubscriptionStats& x) {
      ++x.failures;
      x.last_error = fmt::format("{}: {}", what, e.message);
    });
    const auto hint = wmi_failure_hint(e);
    spdlog::log(permanent ? spdlog::level::err : spdlog::level::warn,
                "wmi: subscription={} outcome=reconnect-wait attempt={} delay={} error=\"{}: "
                "{}\"{}",
                log_value(s.config.name), s.attempt, format_duration(delay), log_printable(what),
                log_printable(e.message),
                hint.empty() ? "" : fmt::format(" fix=\"{}\"", log_printable(hint)));
    s.timer->expires_after(delay);
    s.timer->async_wait(
        asio::bind_executor(strand, [w = weak_from_this(), name = s.config.name,
                                     gen = s.generation](const boost::system::error_code& ec) {
          if (ec) return;
          auto self = w.lock();
          if (!self || self->stopping) return;
          Sub* sub = self->find(name);
          if (sub == nullptr || sub->generation != gen || sub->state != State::Waiting) return;
          self->connect(*sub);
        }));
  }

  // ---- events ---------------------------------------------------------------

  void event_arrived(const std::string& name, WmiInstance event, bool resumed) {
    Sub* s = find(name);
    if (s == nullptr || stopping) return;
    stat(*s, [&](SubscriptionStats& x) { ++(resumed ? x.resumed : x.events); });
    if (s->queue.size() >= options.max_queue) {
      const bool first = !s->frozen;
      s->frozen = true;
      std::uint64_t dropped = 0;
      stat(*s, [&](SubscriptionStats& x) { dropped = ++x.dropped; });
      if (first || dropped % 1000 == 0) {
        spdlog::error(
            "wmi: subscription={} outcome=dropped dropped={} queued={} note=\"the commit queue "
            "is full (max_queue={}); the bookmark is kept where it is, so the next start's "
            "resume query delivers these events again\"",
            log_value(name), dropped, s->queue.size(), options.max_queue);
      }
      return;
    }
    const auto now = time.now();
    auto r = map_event(s->config, event, now);
    Entry e;
    e.seq = ++next_seq;
    e.mark = event_time(s->config, event).value_or(now);
    if (!r.trigger) {
      stat(*s, [](SubscriptionStats& x) { ++x.skipped; });
      spdlog::info("wmi: subscription={} outcome=skipped{} event={} reason=\"{}\"", log_value(name),
                   resumed ? " resumed=true" : "", log_value(wmi_trigger_id(s->config, event)),
                   log_printable(r.skipped_reason));
    } else if (r.needs_user_lookup) {
      e.ready = false;
      e.trigger = std::move(r.trigger);
    } else {
      stat(*s, [](SubscriptionStats& x) { ++x.triggers; });
      spdlog::debug("wmi: subscription={} outcome=mapped trigger={} machine={} user={}",
                    log_value(name), r.trigger->id, log_value(r.trigger->machine.describe()),
                    log_value(r.trigger->user));
      e.trigger = std::move(r.trigger);
    }
    const bool lookup = !e.ready;
    const auto seq = e.seq;
    s->queue.push_back(std::move(e));
    update_queued(*s);
    if (lookup) {
      start_lookup(*s, seq);
    } else {
      pump(*s);
    }
  }

  Entry* entry(Sub& s, std::uint64_t seq) {
    auto it = std::lower_bound(s.queue.begin(), s.queue.end(), seq,
                               [](const Entry& e, std::uint64_t q) { return e.seq < q; });
    return it != s.queue.end() && it->seq == seq ? &*it : nullptr;
  }

  void start_lookup(Sub& s, std::uint64_t seq) {
    Entry* e = entry(s, seq);
    if (e == nullptr || !e->trigger) return;
    ++e->lookup_attempts;
    stat(s, [](SubscriptionStats& x) { ++x.lookups; });
    on_worker([name = s.config.name, ns = s.config.ns, seq,
               wql = last_logon_query(e->trigger->machine)](Impl& self) {
      Expected<std::vector<WmiInstance>> rows = Error{""};
      auto resolved = self.resolve_namespace(ns);
      if (!resolved) {
        rows = resolved.error();
      } else {
        rows = self.source.query(*resolved, wql);
      }
      self.on_strand([name, seq, rows = std::move(rows)](Impl& me) mutable {
        me.lookup_done(name, seq, std::move(rows));
      });
    });
  }

  void lookup_done(const std::string& name, std::uint64_t seq,
                   Expected<std::vector<WmiInstance>> rows) {
    Sub* s = find(name);
    if (s == nullptr || stopping) return;
    Entry* e = entry(*s, seq);
    if (e == nullptr || e->ready || !e->trigger) return;
    if (!rows) {
      const bool permanent = is_permanent_wmi_failure(rows.error());
      if (!permanent && e->lookup_attempts < options.lookup_attempts) {
        const auto delay = backoff(e->lookup_attempts, false);
        spdlog::warn(
            "wmi: subscription={} outcome=lookup-retry trigger={} attempt={} delay={} "
            "error=\"{}\"",
            log_value(name), e->trigger->id, e->lookup_attempts, format_duration(delay),
            log_printable(rows.error().message));
        auto timer = std::make_shared<asio::steady_timer>(strand);
        timer->expires_after(delay);
        timer->async_wait(asio::bind_executor(
            strand, [w = weak_from_this(), name, seq, timer](const boost::system::error_code& ec) {
              if (ec) return;
              auto self = w.lock();
              if (!self || self->stopping) return;
              if (Sub* sub = self->find(name)) self->start_lookup(*sub, seq);
            }));
        return;
      }
      stat(*s, [&](SubscriptionStats& x) {
        ++x.skipped;
        x.last_error = "user lookup: " + rows.error().message;
      });
      spdlog::error(
          "wmi: subscription={} outcome=skipped trigger={} reason=\"user lookup failed after {} "
          "attempt(s): {}\"",
          log_value(name), e->trigger->id, e->lookup_attempts, log_printable(rows.error().message));
      e->trigger.reset();
    } else {
      auto r = complete_user_lookup(std::move(*e->trigger), *rows);
      e->trigger.reset();
      if (r.trigger) {
        stat(*s, [](SubscriptionStats& x) { ++x.triggers; });
        spdlog::debug(
            "wmi: subscription={} outcome=mapped trigger={} machine={} user={} "
            "user_source=last-logon",
            log_value(name), r.trigger->id, log_value(r.trigger->machine.describe()),
            log_value(r.trigger->user));
        e->trigger = std::move(r.trigger);
      } else {
        stat(*s, [](SubscriptionStats& x) { ++x.skipped; });
        spdlog::info("wmi: subscription={} outcome=skipped reason=\"{}\"", log_value(name),
                     log_printable(r.skipped_reason));
      }
    }
    e->ready = true;
    pump(*s);
  }

  // ---- commits --------------------------------------------------------------

  void pump(Sub& s) {
    while (!stopping && s.in_flight == 0 && !s.commit_wait) {
      std::vector<Trigger> triggers;
      std::size_t n = 0;
      const std::size_t max_entries = options.batch * kMaxEntriesPerBatchFactor;
      for (const auto& e : s.queue) {
        if (!e.ready || triggers.size() >= options.batch || n >= max_entries) break;
        if (e.trigger) triggers.push_back(*e.trigger);
        ++n;
      }
      if (n == 0) return;
      if (triggers.empty()) {
        settle(s, n);  // nothing to store: skipped events and barriers only
        continue;
      }
      s.in_flight = n;
      auto done = [w = weak_from_this(), ex = strand,
                   name = s.config.name](Expected<std::vector<bool>> result) {
        asio::post(ex, [w, name, result = std::move(result)]() mutable {
          if (auto self = w.lock()) self->committed(name, std::move(result));
        });
      };
      try {
        submit(std::move(triggers), std::move(done));
      } catch (const std::exception& ex) {
        s.in_flight = 0;
        commit_failed(s, Error{fmt::format("submitting failed: {}", ex.what())});
      }
      return;
    }
  }

  void committed(const std::string& name, Expected<std::vector<bool>> result) {
    Sub* s = find(name);
    if (s == nullptr || stopping || s->in_flight == 0) return;
    const auto n = s->in_flight;
    s->in_flight = 0;
    if (!result) return commit_failed(*s, result.error());
    s->commit_attempt = 0;
    const auto inserted =
        static_cast<std::uint64_t>(std::count(result->begin(), result->end(), true));
    const auto duplicates = result->size() - inserted;
    stat(*s, [&](SubscriptionStats& x) {
      x.inserted += inserted;
      x.duplicates += duplicates;
    });
    std::string ids;
    std::size_t listed = 0;
    for (std::size_t i = 0; i < n && listed < 50; ++i) {
      if (!s->queue[i].trigger) continue;
      if (listed++) ids += ',';
      ids += s->queue[i].trigger->id;
    }
    spdlog::info(
        "wmi: subscription={} outcome=committed triggers={} inserted={} duplicate={} "
        "ids={}{}",
        log_value(name), result->size(), inserted, duplicates, ids,
        result->size() > listed ? ",..." : "");
    settle(*s, n);
    pump(*s);
  }

  void commit_failed(Sub& s, const Error& e) {
    ++s.commit_attempt;
    s.commit_wait = true;
    const auto delay = backoff(s.commit_attempt, false);
    stat(s, [&](SubscriptionStats& x) {
      ++x.commit_failures;
      x.last_error = "commit: " + e.message;
    });
    spdlog::warn(
        "wmi: subscription={} outcome=commit-retry attempt={} delay={} queued={} error=\"{}\"",
        log_value(s.config.name), s.commit_attempt, format_duration(delay), s.queue.size(),
        log_printable(e.message));
    s.commit_timer->expires_after(delay);
    s.commit_timer->async_wait(asio::bind_executor(
        strand, [w = weak_from_this(), name = s.config.name](const boost::system::error_code& ec) {
          if (ec) return;
          auto self = w.lock();
          if (!self || self->stopping) return;
          if (Sub* sub = self->find(name)) {
            sub->commit_wait = false;
            self->pump(*sub);
          }
        }));
  }

  // The first n entries are committed (or had nothing to commit).
  void settle(Sub& s, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
      const auto& e = s.queue.front();
      if (e.mark && (!s.committed || *s.committed < *e.mark)) s.committed = e.mark;
      if (e.barrier && e.generation == s.generation) s.resume_done = true;
      s.queue.pop_front();
    }
    update_queued(s);
    save_bookmark(s);
  }

  void save_bookmark(Sub& s) {
    if (!s.resume_done || s.frozen || !s.committed) return;
    if (s.saved && *s.committed <= *s.saved) return;
    if (s.saving) {
      s.save_again = true;
      return;
    }
    s.saving = true;
    s.save_again = false;
    on_worker([name = s.config.name, at = *s.committed](Impl& self) {
      auto st = self.bookmarks.save(name, at);
      self.on_strand([name, at, st = std::move(st)](Impl& me) { me.bookmark_saved(name, at, st); });
    });
  }

  void bookmark_saved(const std::string& name, TimePoint at, const Status& st) {
    Sub* s = find(name);
    if (s == nullptr) return;
    s->saving = false;
    if (!st) {
      stat(*s, [&](SubscriptionStats& x) { x.last_error = "bookmark: " + st.error().message; });
      spdlog::warn(
          "wmi: subscription={} outcome=bookmark-not-saved bookmark={} error=\"{}\" "
          "(tried again at the next commit)",
          log_value(name), format_iso8601(at), log_printable(st.error().message));
      return;
    }
    if (!s->saved || *s->saved < at) s->saved = at;
    stat(*s, [&](SubscriptionStats& x) { x.bookmark = s->saved; });
    spdlog::debug("wmi: subscription={} outcome=bookmark bookmark={}", log_value(name),
                  format_iso8601(at));
    if (s->save_again && !stopping) save_bookmark(*s);
  }

  std::vector<SubscriptionStats> stats() const {
    std::lock_guard lock(stats_mu);
    std::vector<SubscriptionStats> out;
    if (subs.empty()) {
      for (const auto& cfg : options.subscriptions) {
        SubscriptionStats x;
        x.name = cfg.name;
        x.ns = cfg.ns;
        out.push_back(std::move(x));
      }
      return out;
    }
    for (const auto& cfg : options.subscriptions) {
      const auto it = subs.find(cfg.name);
      if (it != subs.end()) out.push_back(it->second->stats);
    }
    return out;
  }
};

// ---------------------------------------------------------------------------

WmiEventWatcher::WmiEventWatcher(asio::io_context& io, WmiEventsOptions options,
                                 EventSource& source, BookmarkStore& bookmarks, Submit submit,
                                 const TimeSource& time)
    : impl_(std::make_shared<Impl>(io, std::move(options), source, bookmarks, std::move(submit),
                                   time)) {}

WmiEventWatcher::~WmiEventWatcher() {
  stop();
}

Status WmiEventWatcher::start() {
  return impl_->start();
}

void WmiEventWatcher::stop() {
  impl_->stop();
}

std::vector<WmiEventWatcher::SubscriptionStats> WmiEventWatcher::stats() const {
  return impl_->stats();
}

const WmiEventsOptions& WmiEventWatcher::options() const {
  return impl_->options;
}

}  // namespace uda
