#pragma once
// The durable heart of the agent: received triggers (audit), decisions, jobs
// and their attempt history in one SQLite database (WAL, synchronous=FULL).
//
// Life of a trigger:
//   insert_triggers()      -> triggers.state = 'received'   (the acknowledgement point)
//   record_decisions()     -> 'skipped', or 'decided' + a job (or linked to an existing job
//                             with the same idempotency key: decision 'duplicate')
//   claim_due()            -> job 'leased' (attempts + 1 up to max_attempts, lease_owner,
//                             lease_expires_at)
//   complete()/retry_later()/dead_letter()/release()
//                          -> job 'done' | 'pending' | 'dead' | 'pending'; one attempts row each
//
// Every method is thread-safe (one connection behind a mutex) and every SQL
// statement is parameterized. Other processes (the CLI) open the same file.

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/decision.hpp"
#include "core/job.hpp"
#include "core/result.hpp"
#include "core/time.hpp"
#include "core/trigger.hpp"

namespace uda {

struct StoreOptions {
  std::filesystem::path path;  // created with its parent dirs if missing
  Millis busy_timeout{5000};   // wait for another writer (CLI) at most this long
  Millis duplicate_window{Millis(24 * 3600 * 1000)};  // a done job with the same key this recent
                                                      // makes a new Create a duplicate
  bool read_only = false;                             // CLI readers: never migrates or writes
};

// Trigger as stored, with what became of it.
struct TriggerRecord {
  Trigger trigger;
  std::string state;  // "received" | "decided" | "skipped"
  std::optional<TimePoint> decided_at;
  std::string decision;    // "" | "create" | "skip" | "duplicate"
  std::string rule;        // rule that decided
  std::string reason;      // the decision's sentence
  std::string trace_json;  // the rules trace (JSON array) for `jobs show` / explain
  std::optional<std::int64_t> job_id;
  std::optional<JobState> job_state;  // state of the linked job, if any
};

struct Attempt {
  std::int64_t job_id = 0;
  int attempt = 0;  // 1-based
  TimePoint started_at{};
  TimePoint finished_at{};
  std::string outcome;  // "ok" | "retry" | "fail" | "released" | "lease-expired"
  std::string detail;
};

struct DecisionOutcome {
  std::string trigger_id;
  std::string decision;  // "create" | "skip" | "duplicate"
  std::optional<std::int64_t> job_id;
};

// An Idempotency-Key a client sent with a request, and the first answer it
// got. A repeat of the request with the same key gets that answer again.
struct IdempotencyClaim {
  std::string scope;        // who sent it: the API token's name, or "anonymous"
  std::string key;          // the client's Idempotency-Key
  std::string fingerprint;  // digest of the request: the same key with another request is refused
  std::size_t first = 0;    // the request's triggers in the batch: [first, first + count)
  std::size_t count = 0;
};

struct IdempotencyRecord {
  std::string scope;
  std::string key;
  std::string fingerprint;
  std::vector<std::string> trigger_ids;
  std::vector<bool> inserted;  // the first answer per trigger (false = was already stored)
  TimePoint created_at{};
};

// How one attempt of a leased job ended, for JobStore::end_attempts.
struct AttemptEnd {
  enum class Kind { Done, Retry, Dead, Release };
  std::int64_t job_id = 0;
  Kind kind = Kind::Done;
  TimePoint at{};               // when the attempt ended
  std::string detail;           // Done: what happened; Retry / Dead: the error
  TimePoint next_attempt_at{};  // Retry
  bool verify_first = false;    // Retry
  bool counted = true;          // Release: the claim counted an attempt
};

struct StoreCounts {
  std::int64_t triggers_received = 0;                 // awaiting a decision
  std::map<std::string, std::int64_t> jobs_by_state;  // "pending" -> n, ...
  std::optional<TimePoint> oldest_pending;            // min created_at of pending/leased jobs
};

class JobStore {
 public:
  // Opens (creating and migrating to the latest schema unless read_only).
  static Expected<std::unique_ptr<JobStore>> open(const StoreOptions& options);
  ~JobStore();
  JobStore(const JobStore&) = delete;
  JobStore& operator=(const JobStore&) = delete;

  [[nodiscard]] int schema_version() const;
  [[nodiscard]] const StoreOptions& options() const { return options_; }

  // --- intake -------------------------------------------------------------
  // All triggers in ONE transaction (group commit). Result[i] is true when
  // trigger i was inserted, false when a trigger with that id already existed
  // (the earlier one is kept untouched). Returns only after the commit.
  Expected<std::vector<bool>> insert_triggers(std::span<const Trigger> triggers);
  // The same, recording each claim's key with the answers for its triggers in
  // the same transaction (a claim whose key is already recorded keeps the
  // first record). created_at of a record is `now`.
  Expected<std::vector<bool>> insert_triggers(std::span<const Trigger> triggers,
                                              std::span<const IdempotencyClaim> claims,
                                              TimePoint now);
  // Intake with the rules already applied (the rules stage runs on the
  // committer's thread, before the transaction): every new trigger is
  // stored with its decision (decisions[i] is trigger i's) and, for Create,
  // its job, exactly as record_decisions would record it, in the same ONE
  // transaction as the insert and the claims. A trigger whose id is already
  // stored is left untouched and gets no decision. With no decisions this is
  // insert_triggers: every new trigger is stored 'received'.
  struct Intake {
    std::vector<bool> inserted;  // per trigger, as insert_triggers answers
    std::vector<DecisionOutcome>
        decided;  // per inserted trigger, in order (empty without decisions)
  };
  Expected<Intake> insert_and_decide(std::span<const Trigger> triggers,
                                     std::span<const Decision> decisions,
                                     std::span<const IdempotencyClaim> claims, TimePoint now);
  // The record of an earlier request with this scope and key, if any.
  Expected<std::optional<IdempotencyRecord>> find_idempotency(const std::string& scope,
                                                              const std::string& key);

  // --- decisions ----------------------------------------------------------
  // Oldest first, at most `limit`, state 'received'.
  Expected<std::vector<Trigger>> received_triggers(std::size_t limit);
  // Records every decision in ONE transaction. Skip -> trigger 'skipped'.
  // Create -> a new pending job (next_attempt_at = now) unless a job with the
  // same idempotency key is pending/leased, or done within duplicate_window:
  // then the trigger is linked to that job with decision 'duplicate'.
  // Triggers no longer in state 'received' are left alone (not in the result).
  Expected<std::vector<DecisionOutcome>> record_decisions(
      std::span<const std::pair<std::string, Decision>> decisions, TimePoint now);

  // --- dispatch -----------------------------------------------------------
  // Pending jobs with next_attempt_at <= now, oldest due first: marks them
  // leased by `owner` until now + lease and increments attempts. With
  // max_attempts > 0, attempts never pass it: a job that has used them all
  // already (its last attempt was cut off by a crash or an expired lease and
  // re-armed; or max_attempts was lowered) is leased without counting another
  // and comes back with Job::final_check set.
  Expected<std::vector<Job>> claim_due(std::size_t limit, TimePoint now, Millis lease,
                                       const std::string& owner, int max_attempts = 0);
  // Earliest next_attempt_at among pending jobs.
  Expected<std::optional<TimePoint>> next_due();
  // The following act only on a job leased by `owner`; otherwise they return
  // an error "job N is not leased by <owner>" and change nothing.
  Status complete(std::int64_t job_id, const std::string& owner, TimePoint now,
                  const std::string& detail);
  Status retry_later(std::int64_t job_id, const std::string& owner, TimePoint now,
                     TimePoint next_attempt_at, const std::string& error, bool verify_first);
  Status dead_letter(std::int64_t job_id, const std::string& owner, TimePoint now,
                     const std::string& error);
  // Shutdown: back to pending now, verify_first = 1, attempts - 1 (the attempt
  // did not finish), attempts row 'released'. `counted` = false for a lease
  // whose claim counted no attempt (Job::final_check): attempts stay.
  Status release(std::int64_t job_id, const std::string& owner, TimePoint now, bool counted = true);
  // Many attempts' ends in ONE transaction (one fsync for a burst of finished
  // calls), each exactly as the single call above would write it. The answer
  // has one Status per entry: an entry refused on its own (not leased by
  // `owner`) changes nothing and does not stop the others. An Error means
  // the transaction failed and nothing was written.
  Expected<std::vector<Status>> end_attempts(const std::string& owner,
                                             std::span<const AttemptEnd> ends);
  // end_attempts, then claim_due, in ONE transaction: the dispatcher's loop
  // records what finished and takes the next jobs with one fsync.
  struct EndedAndClaimed {
    std::vector<Status> ended;  // one per entry of `ends`
    std::vector<Job> claimed;
  };
  Expected<EndedAndClaimed> end_attempts_and_claim(const std::string& owner,
                                                   std::span<const AttemptEnd> ends,
                                                   std::size_t limit, TimePoint now, Millis lease,
                                                   int max_attempts = 0);
  // After resolving a machine name to its resource id.
  Status set_resource_id(std::int64_t job_id, const std::string& owner, std::uint32_t resource_id);
  // After resolving a UPN to the site's UniqueUserName (DOMAIN\user).
  Status set_user(std::int64_t job_id, const std::string& owner,
                  const std::string& unique_user_name);
  // Leases that expired (lease_expires_at <= now), or every lease when `all`
  // (start-up of the single agent that owns the store): back to pending with
  // verify_first = 1; attempts row 'lease-expired'. Returns how many.
  Expected<int> rearm_leases(TimePoint now, bool all);

  // --- admin (CLI) ----------------------------------------------------------
  // Newest first; `state` filters; at most `limit`.
  Expected<std::vector<Job>> list_jobs(std::optional<JobState> state, std::size_t limit);
  Expected<std::optional<Job>> get_job(std::int64_t job_id);
  Expected<std::vector<Attempt>> attempts(std::int64_t job_id);
  Expected<std::optional<TriggerRecord>> get_trigger(const std::string& trigger_id);
  // Newest first.
  Expected<std::vector<TriggerRecord>> list_triggers(std::size_t limit);
  // Triggers linked to a job (the creator and its duplicates).
  Expected<std::vector<TriggerRecord>> triggers_for_job(std::int64_t job_id);
  // Dead or cancelled (or pending) job -> pending now with attempts reset to 0.
  // Refused while leased, when done, or when another active job has the key.
  Status retry_now(std::int64_t job_id, TimePoint now);
  // Pending or dead -> cancelled. Refused while leased ("in flight; try again")
  // and when done.
  Status cancel(std::int64_t job_id, TimePoint now);
  Expected<StoreCounts> counts();
  // Takes and releases the write lock (BEGIN IMMEDIATE; ROLLBACK): fails when
  // the store is read-only, locked by another writer past busy_timeout, or the
  // file cannot be written. For health checks.
  Status check_writable();
  // Why the disk is refusing the store's writes (full, read-only, I/O
  // error), from the last write that failed that way; nullopt once a write
  // commits again. The first failure and the recovery are logged once each.
  [[nodiscard]] std::optional<std::string> write_fault() const;
  // Deletes terminal jobs (and their attempts and triggers) finished before
  // `older_than`, skipped triggers decided before it, and idempotency records
  // created before it. Returns rows removed.
  Expected<std::int64_t> purge_finished(TimePoint older_than);

 private:
  struct Impl;
  explicit JobStore(StoreOptions options, std::unique_ptr<Impl> impl);
  StoreOptions options_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace uda
