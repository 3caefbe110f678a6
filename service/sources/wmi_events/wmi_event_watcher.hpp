#pragma once
// The WMI event source's platform-independent half: for every enabled
// subscription it
//
//  1. resolves namespace "auto" (SMS_ProviderLocation WHERE
//     ProviderForLocalSite = TRUE in root\sms -> root\sms\site_<SiteCode>),
//  2. loads the bookmark and subscribes (EventSource::subscribe),
//  3. then, if it has a bookmark and a resume_query, runs that query with
//     {since} = bookmark - resume_overlap to catch up on what happened while
//     nobody listened. Subscribing first leaves no gap; an instance seen by
//     both gives the same trigger id, and the store keeps it once.
//  4. maps every event (map_event; last-logon lookups through
//     EventSource::query) and submits the triggers in order, at most one batch
//     in flight per subscription; a failed commit is retried after a backoff
//     with the same batch (events are never dropped on a store error),
//  5. advances the bookmark after the commit: to the largest event time
//     committed (the subscription's `bookmark` property, or the time of
//     receipt), and — once the catch-up of the current connection is
//     committed — to the time the subscription was made. Until then nothing is
//     saved, so a crash during a catch-up repeats it,
//  6. on a failed subscribe / resume query, or when the subscription is lost
//     (WBEM_E_FAILED 0x80041001, transport failures, the provider restarting),
//     cancels it and reconnects after a full-jitter backoff
//     random(0, min(cap, base * 2^(failures-1))); a subscription that stayed
//     up for healthy_after starts again from base. Permanent errors (access
//     denied, no such namespace/class, a refused query) wait the full cap and
//     are logged as errors with the fix. It never gives up.
//
// Events beyond max_queue waiting for their commit are dropped (counted,
// logged); the bookmark is then frozen for the rest of the run, so the next
// start's resume query delivers them again.
//
// Everything runs on one strand of the io_context; EventSource and
// BookmarkStore calls run on one worker thread of the watcher (they may
// block). Call start()/stop() from the io_context's thread (or before it runs
// / after it stopped), like the other stages. A stopped watcher is not started
// again.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/asio.hpp"
#include "core/result.hpp"
#include "core/time.hpp"
#include "core/trigger.hpp"
#include "sources/wmi_events/bookmark_store.hpp"
#include "sources/wmi_events/event_source.hpp"
#include "sources/wmi_events/wmi_events_options.hpp"

namespace uda {

class WmiEventWatcher {
 public:
  // Per trigger: true = stored, false = already stored (same id). `done` runs
  // exactly once, on any thread (usually GroupCommitter::submit).
  using Done = std::function<void(Expected<std::vector<bool>>)>;
  using Submit = std::function<void(std::vector<Trigger>, Done)>;

  enum class State {
    Stopped,     // not started, disabled, or stopped
    Connecting,  // subscribing / catching up
    Up,          // subscribed
    Waiting,     // backing off before the next attempt
  };

  struct SubscriptionStats {
    std::string name;
    State state = State::Stopped;
    std::string ns;                // the namespace in use ("auto" resolved)
    std::uint64_t connects = 0;    // successful subscribes
    std::uint64_t failures = 0;    // failed attempts and lost subscriptions
    std::uint64_t events = 0;      // delivered by the subscription
    std::uint64_t resumed = 0;     // delivered by resume queries
    std::uint64_t triggers = 0;    // events that became triggers
    std::uint64_t skipped = 0;     // events that did not (reason logged)
    std::uint64_t lookups = 0;     // last-logon lookups run (retries included)
    std::uint64_t inserted = 0;    // triggers committed and stored
    std::uint64_t duplicates = 0;  // triggers committed that were already stored
    std::uint64_t commit_failures = 0;
    std::uint64_t dropped = 0;          // events refused: queue full
    std::size_t queued = 0;             // events waiting for their commit
    std::optional<TimePoint> bookmark;  // last saved
    std::string last_error;
  };

  WmiEventWatcher(asio::io_context& io, WmiEventsOptions options, EventSource& source,
                  BookmarkStore& bookmarks, Submit submit, const TimeSource& time);
  ~WmiEventWatcher();  // stops
  WmiEventWatcher(const WmiEventWatcher&) = delete;
  WmiEventWatcher& operator=(const WmiEventWatcher&) = delete;

  // Starts every enabled subscription; connecting happens in the background.
  Status start();
  // Cancels the subscriptions and waits for the worker thread (a blocking
  // EventSource call in progress is waited for). Commits in flight are not
  // waited for: their bookmarks are not saved, and the next start's resume
  // query covers them. Idempotent.
  void stop();

  // Safe from any thread.
  [[nodiscard]] std::vector<SubscriptionStats> stats() const;
  [[nodiscard]] const WmiEventsOptions& options() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

std::string_view to_string(WmiEventWatcher::State s);

}  // namespace uda
