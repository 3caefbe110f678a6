#pragma once
// The usage-threshold poller: a trigger source that reads console usage
// (SMS_G_System_SYSTEM_CONSOLE_USER) through whichever provider is in use and
// hands every new or changed (device, user) row to the store as a `usage`
// trigger; the rules decide whether it makes a primary user.
//
// A pass pages through all devices in ResourceID order (page_size devices per
// console_usage query, each query under call_timeout, queries paced to
// max_queries_per_minute). Per page:
//   1. rows are mapped to triggers (usage_trigger.hpp); rows whose user is not
//      DOMAIN\user are skipped; rows equal to their watermark (usage_state.hpp)
//      are unchanged and not sent; changed rows below min_minutes are not sent;
//   2. the rest go to the store as ONE batch (Submit, usually
//      GroupCommitter::submit);
//   3. only after that commit succeeded are their watermarks and the pass
//      cursor written (one SQLite transaction).
// A provider Retry (or a timeout, or a failed commit) backs off with full
// jitter and asks for the same page again, up to backoff.max_attempts times
// in a row; a provider Fail (or retries used up) ends the pass. The next pass
// starts `interval` after the previous one started. A restarted agent
// continues an unfinished pass at its cursor. A crash between the commit and
// the watermark write sends the page again with the same trigger ids, which
// the store ignores.
//
// Everything runs on the io_context's thread; the committer's answer (on its
// writer thread) is posted back. Call start()/stop()/wake() and the getters
// from that thread (or before it runs / after it stopped); stats() from any.
// All waits are measured with the TimeSource, so tests drive the poller with
// their own clock (see sleeping_until() and wake()).

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "core/asio.hpp"
#include "core/result.hpp"
#include "core/time.hpp"
#include "core/trigger.hpp"
#include "providers/provider.hpp"
#include "sources/usage/usage_options.hpp"
#include "store/group_commit.hpp"

namespace uda {

class UsagePoller {
 public:
  // Hands a page's triggers (one batch, committed whole or not at all) to the
  // store; `done` runs exactly once, on any thread.
  using Submit = std::function<void(std::vector<Trigger>, GroupCommitter::Done)>;

  struct Stats {
    std::uint64_t passes = 0;              // passes that reached their last page
    std::uint64_t passes_failed = 0;       // passes ended early (provider Fail, retries used up)
    std::uint64_t queries = 0;             // console_usage calls (retries included)
    std::uint64_t pages = 0;               // pages handled to the end (watermarks written)
    std::uint64_t rows = 0;                // rows in those pages
    std::uint64_t triggers_sent = 0;       // triggers in successful commits
    std::uint64_t triggers_duplicate = 0;  // of those, already in the store (same id)
    std::uint64_t unchanged = 0;           // rows equal to their watermark
    std::uint64_t below_min = 0;           // changed rows under min_minutes (not sent)
    std::uint64_t skipped = 0;             // rows that cannot be a trigger (bad user, ...)
    std::uint64_t errors = 0;              // failed queries, timeouts, failed commits, state errors
  };

  UsagePoller(asio::io_context& io, Provider& provider, UsageOptions options, Submit submit,
              const TimeSource& time);
  ~UsagePoller();  // stops
  UsagePoller(const UsagePoller&) = delete;
  UsagePoller& operator=(const UsagePoller&) = delete;

  // Opens (creates, migrates) the state file and starts the loop. An error
  // names the file and why; the poller is then not running. Once only.
  Status start();
  // No new queries; a query in flight is dropped (its late answer ignored); a
  // commit in flight is still awaited and its watermarks written while the
  // io_context runs. Never waits itself. Idempotent.
  void stop();
  // The clock may have moved: look at it again now rather than at the end of
  // the current timer slice (clock_recheck).
  void wake();

  // True from start() until the loop has ended after stop().
  [[nodiscard]] bool running() const;
  // When the loop waits for a time (the next pass, the query pace, a
  // backoff): that time, by the TimeSource. Empty when it is not waiting.
  [[nodiscard]] std::optional<TimePoint> sleeping_until() const;
  [[nodiscard]] Stats stats() const;
  [[nodiscard]] const UsageOptions& options() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace uda
