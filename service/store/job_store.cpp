#include "store/job_store.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <limits>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <system_error>
#include <utility>

#include "core/decision_json.hpp"
#include "core/trigger_json.hpp"
#include "core/user_account.hpp"
#include "store/migrations.hpp"
#include "store/sqlite.hpp"

namespace uda {
namespace {

namespace fs = std::filesystem;
using sqlite::Statement;
using sqlite::Transaction;

// Every limit a caller passes is bounded: no query returns more rows.
constexpr std::size_t kMaxLimit = 100'000;
// Rows deleted per purge transaction (keeps the write lock short).
constexpr std::int64_t kPurgeChunk = 1000;

std::int64_t bounded(std::size_t limit) {
  return static_cast<std::int64_t>(std::min(limit, kMaxLimit));
}

// JSON text that never throws on invalid UTF-8 (rule traces quote user input).
std::string dump(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::optional<std::uint32_t> to_resource_id(const std::optional<std::int64_t>& v) {
  if (!v || *v < 0 || *v > std::numeric_limits<std::uint32_t>::max()) return std::nullopt;
  return static_cast<std::uint32_t>(*v);
}

// --- jobs rows ---------------------------------------------------------------

#define UDA_JOB_COLUMNS                                                                      \
  "id, trigger_id, machine_resource_id, machine_name, user, source_id, type_id, rule, "      \
  "idempotency_key, state, attempts, next_attempt_at_ms, lease_owner, lease_expires_at_ms, " \
  "verify_first, last_error, outcome, created_at_ms, updated_at_ms, finished_at_ms"

Job read_job(const Statement& st) {
  Job j;
  j.id = st.int64(0);
  j.trigger_id = st.text(1);
  j.machine_resource_id = to_resource_id(st.opt_int64(2));
  j.machine_name = st.opt_text(3);
  j.user = st.text(4);
  const auto source = st.int64(5);
  j.source = source_id_from_number(source).value_or(static_cast<SourceId>(source));
  const auto type = st.int64(6);
  j.type = type_id_from_number(type).value_or(static_cast<TypeId>(type));
  j.rule = st.text(7);
  j.idempotency_key = st.text(8);
  const std::string state = st.text(9);
  // The schema's CHECK constraint allows only the five known states.
  j.state = parse_job_state(state).value_or(JobState::Pending);
  j.attempts = static_cast<int>(st.int64(10));
  j.next_attempt_at = st.time(11);
  j.lease_owner = st.opt_text(12);
  j.lease_expires_at = st.opt_time(13);
  j.verify_first = st.int64(14) != 0;
  j.last_error = st.text(15);
  j.outcome = st.text(16);
  j.created_at = st.time(17);
  j.updated_at = st.time(18);
  j.finished_at = st.opt_time(19);
  return j;
}

// --- triggers rows -----------------------------------------------------------

#define UDA_TRIGGER_COLUMNS                                                 \
  "t.id, t.kind, t.machine_resource_id, t.machine_name, t.user, t.origin, " \
  "t.attributes_json, t.received_at_ms"
#define UDA_TRIGGER_RECORD_COLUMNS                             \
  UDA_TRIGGER_COLUMNS                                          \
  ", t.state, t.decided_at_ms, t.decision, t.rule, t.reason, " \
  "t.trace_json, t.job_id, j.state"
#define UDA_TRIGGER_RECORD_FROM " FROM triggers t LEFT JOIN jobs j ON j.id = t.job_id "

Trigger read_trigger(const Statement& st) {
  Trigger t;
  t.id = st.text(0);
  const std::string kind = st.text(1);
  if (auto k = parse_trigger_kind(kind)) {
    t.kind = *k;
  } else {
    spdlog::warn("store: trigger {} has an unknown kind '{}'; shown as manual", t.id, kind);
  }
  t.machine.resource_id = to_resource_id(st.opt_int64(2));
  t.machine.name = st.opt_text(3);
  t.user = st.text(4);
  t.origin = st.text(5);
  const auto attrs = nlohmann::json::parse(st.text(6), nullptr, /*allow_exceptions=*/false);
  if (auto a = attributes_from_json(attrs.is_discarded() ? nlohmann::json::object() : attrs)) {
    t.attributes = std::move(*a);
  } else {
    spdlog::warn("store: trigger {} has unreadable attributes: {}", t.id, a.error().message);
  }
  t.received_at = st.time(7);
  return t;
}

// Binds ?1..?8 of an INSERT INTO triggers: the trigger as received.
void bind_received_columns(Statement& st, const Trigger& t) {
  st.bind(1, t.id).bind(2, to_string(t.kind)).bind(3, t.machine.resource_id);
  st.bind(4, t.machine.name).bind(5, t.user).bind(6, t.origin);
  st.bind(7, dump(attributes_to_json(t.attributes))).bind(8, t.received_at);
}

TriggerRecord read_trigger_record(const Statement& st) {
  TriggerRecord r;
  r.trigger = read_trigger(st);
  r.state = st.text(8);
  r.decided_at = st.opt_time(9);
  r.decision = st.text(10);
  r.rule = st.text(11);
  r.reason = st.text(12);
  r.trace_json = st.text(13);
  r.job_id = st.opt_int64(14);
  if (auto s = st.opt_text(15)) r.job_state = parse_job_state(*s);
  return r;
}

std::string hint(int primary, Millis busy_timeout) {
  switch (primary) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return fmt::format(
          "; another process held the store's lock for longer than busy_timeout ({})",
          format_duration(busy_timeout));
    case SQLITE_FULL:
      return "; the disk holding the store is full: free space, nothing was written";
    case SQLITE_READONLY:
    case SQLITE_PERM:
      return "; the store file or its directory is not writable by this process";
    case SQLITE_IOERR:
      return "; the disk holding the store reported an I/O error";
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return "; the file is damaged or is not a uda-agent store";
    case SQLITE_CANTOPEN:
      return "; check that the path exists and is accessible";
    default:
      return "";
  }
}

// False when the first read of a read-only connection fails because SQLite
// cannot open the store's -shm/-wal files (SQLITE_CANTOPEN).
bool readable(sqlite::Connection& db) {
  try {
    db.exec("SELECT count(*) FROM sqlite_master");
    return true;
  } catch (const sqlite::Error& e) {
    if (e.primary() == SQLITE_CANTOPEN) return false;
    throw;
  }
}

// How each end of an attempt changes its job (?1 id, ?2 the time).
constexpr const char* kCompleteSql =
    "UPDATE jobs SET state = 'done', outcome = ?3, finished_at_ms = ?2, updated_at_ms = ?2, "
    "verify_first = 0, lease_owner = NULL, lease_expires_at_ms = NULL, leased_at_ms = NULL "
    "WHERE id = ?1";
constexpr const char* kRetrySql =
    "UPDATE jobs SET state = 'pending', next_attempt_at_ms = ?3, last_error = ?4, "
    "verify_first = ?5, updated_at_ms = ?2, lease_owner = NULL, lease_expires_at_ms = NULL, "
    "leased_at_ms = NULL WHERE id = ?1";
constexpr const char* kDeadSql =
    "UPDATE jobs SET state = 'dead', last_error = ?3, outcome = ?4, finished_at_ms = ?2, "
    "updated_at_ms = ?2, lease_owner = NULL, lease_expires_at_ms = NULL, "
    "leased_at_ms = NULL WHERE id = ?1";
constexpr const char* kReleaseSql =
    "UPDATE jobs SET state = 'pending', next_attempt_at_ms = ?2, verify_first = 1, "
    "attempts = MAX(attempts - ?3, 0), updated_at_ms = ?2, lease_owner = NULL, "
    "lease_expires_at_ms = NULL, leased_at_ms = NULL WHERE id = ?1";

}  // namespace

// --- Impl ----------------------------------------------------------------------

struct JobStore::Impl {
  Impl(sqlite::Connection connection, const StoreOptions& o, int v)
      : db(std::move(connection)),
        path(o.path.string()),
        busy_timeout(o.busy_timeout),
        duplicate_window(o.duplicate_window),
        read_only(o.read_only),
        version(v) {}

  sqlite::Connection db;
  const std::string path;
  const Millis busy_timeout;
  const Millis duplicate_window;
  const bool read_only;
  const int version;
  std::mutex mu;

  // The disk refusing writes: set by the first write that fails that way,
  // cleared by the next write that commits (see JobStore::write_fault).
  mutable std::mutex fault_mu;
  std::optional<std::string> fault;
  std::chrono::steady_clock::time_point fault_since{};
  std::int64_t faulted_writes = 0;

  static bool disk_fault(int primary) {
    return primary == SQLITE_FULL || primary == SQLITE_IOERR || primary == SQLITE_READONLY ||
           primary == SQLITE_CANTOPEN || primary == SQLITE_PERM;
  }

  void note_write_fault(const std::string& message) {
    std::lock_guard lock(fault_mu);
    ++faulted_writes;
    if (fault) {
      *fault = message;
      return;
    }
    fault = message;
    fault_since = std::chrono::steady_clock::now();
    spdlog::error(
        "store: writes are failing: {}. Until they work again, new triggers are refused "
        "(HTTP 503, spool files stay in inbox/) and nothing already stored is lost",
        message);
  }

  void note_write_ok() {
    std::lock_guard lock(fault_mu);
    if (!fault) return;
    const auto lasted =
        std::chrono::duration_cast<Millis>(std::chrono::steady_clock::now() - fault_since);
    spdlog::warn("store: writes work again after {} ({} write(s) failed meanwhile)",
                 format_duration(lasted), faulted_writes);
    fault.reset();
    faulted_writes = 0;
  }

  // Runs `f` under the mutex; turns every exception into an Error that says
  // what was being done. `writes` operations are refused on a read-only store.
  template <class R, class F>
  R guarded(const std::string& what, bool writes, F&& f) {
    if (writes && read_only) {
      return Error{fmt::format("store {} is open read-only; cannot {}", path, what)};
    }
    try {
      std::lock_guard lock(mu);
      const std::int64_t before = writes ? db.total_changes() : 0;
      R result = std::forward<F>(f)();
      // Only a write that changed rows proves the disk takes writes again
      // (check_writable's empty transaction does not).
      if (writes && db.total_changes() != before) note_write_ok();
      return result;
    } catch (const sqlite::Error& e) {
      std::string message = fmt::format("store {}: could not {}: {}{}", path, what, e.what(),
                                        hint(e.primary(), busy_timeout));
      if (writes && disk_fault(e.primary())) note_write_fault(message);
      return Error{std::move(message)};
    } catch (const std::exception& e) {
      return Error{fmt::format("store {}: could not {}: {}", path, what, e.what())};
    } catch (...) {
      return Error{fmt::format("store {}: could not {}: unknown error", path, what)};
    }
  }

  // --- helpers; called with the mutex held, inside a transaction -----------

  struct Lease {
    int attempts = 0;
    TimePoint leased_at{};
  };

  // The job as leased by `owner`, or the error every owner-checked call returns.
  Expected<Lease> leased_by(std::int64_t id, const std::string& owner, TimePoint now) {
    auto st =
        db.cached("SELECT state, lease_owner, attempts, leased_at_ms FROM jobs WHERE id = ?1");
    st.bind(1, id);
    if (!st.step()) {
      return Error{fmt::format("job {} is not leased by {} (there is no job {})", id, owner, id)};
    }
    const std::string state = st.text(0);
    if (state != "leased") {
      return Error{fmt::format("job {} is not leased by {} (it is {})", id, owner, state)};
    }
    const std::string holder = st.text(1);
    if (holder != owner) {
      return Error{
          fmt::format("job {} is not leased by {} (it is leased by {})", id, owner, holder)};
    }
    return Lease{static_cast<int>(st.int64(2)), st.opt_time(3).value_or(now)};
  }

  void insert_attempt(std::int64_t job_id, int attempt, TimePoint started, TimePoint finished,
                      std::string_view outcome, std::string_view detail) {
    auto st = db.cached(
        "INSERT INTO attempts (job_id, attempt, started_at_ms, finished_at_ms, outcome, detail) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
    st.bind(1, job_id).bind(2, attempt).bind(3, started).bind(4, finished);
    st.bind(5, outcome).bind(6, detail);
    st.run();
  }

  template <class Bind>
  Status end_attempt_in_tx(std::int64_t job_id, const std::string& owner, TimePoint now,
                           std::string_view sql, Bind&& bind, std::string_view outcome,
                           std::string_view detail) {
    auto lease = leased_by(job_id, owner, now);
    if (!lease) return lease.error();
    {
      auto st = db.cached(sql);
      st.bind(1, job_id).bind(2, now);
      std::forward<Bind>(bind)(st);
      st.run();
    }
    insert_attempt(job_id, lease->attempts, lease->leased_at, now, outcome, detail);
    return Status::Ok();
  }

  // One attempt's end in its own transaction (complete, retry_later, ...).
  Status end_single(const std::string& what, const std::string& owner, const AttemptEnd& e) {
    return guarded<Status>(what, true, [&]() -> Status {
      Transaction tx(db);
      auto st = end_one(owner, e);
      if (st) tx.commit();
      return st;
    });
  }

  // One AttemptEnd, written as complete / retry_later / dead_letter /
  // release write it.
  Status end_one(const std::string& owner, const AttemptEnd& e) {
    switch (e.kind) {
      case AttemptEnd::Kind::Done:
        return end_attempt_in_tx(
            e.job_id, owner, e.at, kCompleteSql, [&](Statement& st) { st.bind(3, e.detail); }, "ok",
            e.detail);
      case AttemptEnd::Kind::Retry:
        return end_attempt_in_tx(
            e.job_id, owner, e.at, kRetrySql,
            [&](Statement& st) {
              st.bind(3, e.next_attempt_at).bind(4, e.detail).bind(5, e.verify_first ? 1 : 0);
            },
            "retry", e.detail);
      case AttemptEnd::Kind::Dead:
        return end_attempt_in_tx(
            e.job_id, owner, e.at, kDeadSql,
            [&](Statement& st) { st.bind(3, e.detail).bind(4, "dead: " + e.detail); }, "fail",
            e.detail);
      case AttemptEnd::Kind::Release:
        return end_attempt_in_tx(
            e.job_id, owner, e.at, kReleaseSql,
            [&](Statement& st) { st.bind(3, e.counted ? 1 : 0); }, "released",
            fmt::format("given back by {} before the attempt finished; will verify first", owner));
    }
    return Error{"unknown attempt end"};
  }

  // A leased job's machine or user, as the site named it, replaces what the
  // trigger said (a device name, a UPN). The idempotency key is rebuilt from
  // the resolved values so later triggers naming them find this job; if
  // another active job already holds that key, the old key is kept (the
  // unique index forbids two active jobs with one key; the existence check
  // before the create covers the overlap).
  Status resolve_job(std::int64_t job_id, const std::string& owner,
                     std::optional<std::uint32_t> resource_id, std::optional<std::string> user) {
    Transaction tx(db);
    auto lease = leased_by(job_id, owner, TimePoint{});
    if (!lease) return lease.error();
    std::optional<std::uint32_t> rid;
    std::optional<std::string> name;
    std::string job_user;
    std::int64_t source = 0;
    std::int64_t type = 0;
    std::string old_key;
    {
      auto st = db.cached(
          "SELECT machine_resource_id, machine_name, user, source_id, type_id, idempotency_key "
          "FROM jobs WHERE id = ?1");
      st.bind(1, job_id);
      if (!st.step()) return no_job(job_id);
      if (auto v = st.opt_int64(0)) rid = static_cast<std::uint32_t>(*v);
      name = st.opt_text(1);
      job_user = st.text(2);
      source = st.int64(3);
      type = st.int64(4);
      old_key = st.text(5);
    }
    if (resource_id) rid = resource_id;
    if (user) job_user = *user;
    std::string key = idempotency_key(rid, rid ? std::nullopt : name, job_user,
                                      static_cast<SourceId>(source), static_cast<TypeId>(type));
    if (auto other = active_job_with_key(key, job_id)) {
      spdlog::warn(
          "job={} resolved to '{}', but job {} is already active for that machine, user, source "
          "and type; keeping key '{}'",
          job_id, key, *other, old_key);
      key = old_key;
    }
    {
      auto st = db.cached(
          "UPDATE jobs SET machine_resource_id = ?2, user = ?3, idempotency_key = ?4 WHERE id = "
          "?1");
      st.bind(1, job_id).bind(2, rid).bind(3, job_user).bind(4, key);
      st.run();
    }
    tx.commit();
    return Status::Ok();
  }

  // Another active (pending/leased) job with `key`, other than `except`.
  std::optional<std::int64_t> active_job_with_key(const std::string& key, std::int64_t except) {
    auto st = db.cached(
        "SELECT id FROM jobs WHERE idempotency_key = ?1 AND state IN ('pending', 'leased') "
        "AND id <> ?2");
    st.bind(1, key).bind(2, except);
    if (st.step()) return st.int64(0);
    return std::nullopt;
  }

  // What a decision does to the jobs table, inside the caller's transaction:
  // Create -> a new pending job, or a link to the job with the same key that
  // is active or done within duplicate_window ('duplicate'); Skip -> nothing.
  // Returns the outcome and the sentence recorded with the trigger.
  struct Applied {
    DecisionOutcome outcome;
    std::string reason;
  };
  Applied apply_decision(const std::string& trigger_id,
                         const std::optional<std::uint32_t>& resource_id,
                         const std::optional<std::string>& machine_name,
                         std::string_view trigger_user, const Decision& d, TimePoint now) {
    Applied a{DecisionOutcome{trigger_id, "skip", std::nullopt}, d.reason};
    if (d.action != DecisionAction::Create) return a;
    if (!resource_id && !machine_name) {
      // Intake validation prevents this; should such a trigger slip in, it
      // must not wedge every batch it is part of: record it as skipped.
      a.reason += " (not queued: the trigger names no machine)";
      return a;
    }
    const std::string user =
        d.user ? d.user->str() : (d.upn ? *d.upn : std::string(trim(trigger_user)));
    const std::string key = idempotency_key(resource_id, machine_name, user, d.source, d.type);
    {
      // One look at the jobs with this key (one per repeat until purged): an
      // active one wins; else the latest done within duplicate_window.
      auto st = db.cached("SELECT id, state, finished_at_ms FROM jobs WHERE idempotency_key = ?1");
      st.bind(1, key);
      const TimePoint done_since = now - duplicate_window;
      std::optional<std::pair<TimePoint, std::int64_t>> latest_done;
      while (st.step()) {
        const std::string state = st.text(1);
        if (state == "pending" || state == "leased") {
          a.outcome.decision = "duplicate";
          a.outcome.job_id = st.int64(0);
          return a;
        }
        const auto finished = st.opt_time(2);
        if (state == "done" && finished && *finished >= done_since) {
          const std::pair candidate(*finished, st.int64(0));
          if (!latest_done || candidate > *latest_done) latest_done = candidate;
        }
      }
      if (latest_done) {
        a.outcome.decision = "duplicate";
        a.outcome.job_id = latest_done->second;
        return a;
      }
    }
    auto st = db.cached(
        "INSERT INTO jobs (trigger_id, machine_resource_id, machine_name, user, "
        "source_id, type_id, rule, idempotency_key, state, attempts, "
        "next_attempt_at_ms, verify_first, created_at_ms, updated_at_ms) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'pending', 0, ?9, 0, ?9, ?9)");
    st.bind(1, trigger_id).bind(2, resource_id).bind(3, machine_name).bind(4, user);
    st.bind(5, static_cast<std::uint32_t>(d.source));
    st.bind(6, static_cast<std::uint32_t>(d.type));
    st.bind(7, d.rule).bind(8, key).bind(9, now);
    st.run();
    a.outcome.decision = "create";
    a.outcome.job_id = db.last_insert_rowid();
    return a;
  }

  struct JobSummary {
    std::string state;
    std::optional<std::string> lease_owner;
    std::optional<TimePoint> lease_expires_at;
    std::string idempotency_key;
  };
  std::optional<JobSummary> summary(std::int64_t id) {
    auto st = db.cached(
        "SELECT state, lease_owner, lease_expires_at_ms, idempotency_key FROM jobs WHERE id = ?1");
    st.bind(1, id);
    if (!st.step()) return std::nullopt;
    return JobSummary{st.text(0), st.opt_text(1), st.opt_time(2), st.text(3)};
  }

  static Error in_flight(std::int64_t id, const JobSummary& s) {
    return Error{fmt::format(
        "job {} is in flight (leased by {} until {}); try again after the call finishes", id,
        s.lease_owner.value_or("?"),
        s.lease_expires_at ? format_iso8601(*s.lease_expires_at) : "?")};
  }

  static Error no_job(std::int64_t id) {
    return Error{fmt::format("no job {} (see `uda-agent jobs list`)", id)};
  }
};

// --- open ------------------------------------------------------------------------

JobStore::JobStore(StoreOptions options, std::unique_ptr<Impl> impl)
    : options_(std::move(options)), impl_(std::move(impl)) {}

JobStore::~JobStore() = default;

Expected<std::unique_ptr<JobStore>> JobStore::open(const StoreOptions& options) {
  const std::string path = options.path.string();
  if (options.path.empty()) return Error{"store path is empty (set store.path)"};
  try {
    std::error_code ec;
    if (options.read_only) {
      const bool exists = fs::exists(options.path, ec);
      if (ec) {
        return Error{fmt::format("store {}: cannot look at the file: {}", path, ec.message())};
      }
      if (!exists) {
        return Error{fmt::format(
            "store {} does not exist yet; start the agent or submit a trigger first "
            "(`uda-agent submit ...`) to create it, or check store.path in the configuration",
            path)};
      }
    } else if (const auto parent = options.path.parent_path(); !parent.empty()) {
      fs::create_directories(parent, ec);
      if (ec) {
        return Error{fmt::format("store {}: cannot create its directory {}: {}", path,
                                 parent.string(), ec.message())};
      }
    }

    auto db = [&] {
      auto c = sqlite::Connection::open(
          options.path, options.read_only ? sqlite::Connection::Mode::ReadOnly
                                          : sqlite::Connection::Mode::ReadWriteCreate);
      if (options.read_only && !readable(c)) {
        // A WAL store nobody has open, on a volume that is read-only (or a
        // folder this user cannot write): SQLite cannot make its -shm file.
        // Nothing can write it either, so it is read as an immutable file.
        return sqlite::Connection::open(options.path, sqlite::Connection::Mode::ReadOnlyImmutable);
      }
      return c;
    }();
    db.set_busy_timeout(options.busy_timeout);
    if (!options.read_only && db.read_only()) {
      return Error{fmt::format(
          "store {} is not writable by this process; check the permissions of the file, its "
          "-wal/-shm files and its directory",
          path)};
    }
    db.exec("PRAGMA foreign_keys = ON");

    int version = store::read_schema_version(db);
    const int latest = store::latest_schema_version();
    if (version > latest) {
      return Error{
          fmt::format("store {} has schema version {}; this uda-agent knows up to {}; upgrade "
                      "uda-agent",
                      path, version, latest)};
    }
    if (options.read_only) {
      db.exec("PRAGMA query_only = ON");
      if (version == 0) {
        return Error{fmt::format(
            "store {} is not initialised yet; start the agent or submit a trigger first to "
            "create its schema",
            path)};
      }
      if (version < latest) {
        return Error{fmt::format(
            "store {} has schema version {}; this uda-agent expects {}; start the agent (or run "
            "a command that writes, such as `uda-agent submit`) once to migrate it",
            path, version, latest)};
      }
    } else {
      // WAL is a property of the file (persistent); synchronous is per connection.
      std::string journal;
      {
        auto mode = db.prepare("PRAGMA journal_mode = WAL");
        if (mode.step()) journal = mode.text(0);
      }
      if (journal != "wal") {
        return Error{fmt::format("store {}: could not switch to WAL journal mode (got '{}')", path,
                                 journal)};
      }
      db.exec("PRAGMA synchronous = FULL");
      version = store::migrate(db);
    }
    auto impl = std::make_unique<Impl>(std::move(db), options, version);
    return std::unique_ptr<JobStore>(new JobStore(options, std::move(impl)));
  } catch (const sqlite::Error& e) {
    return Error{fmt::format("store {}: could not open: {}{}", path, e.what(),
                             hint(e.primary(), options.busy_timeout))};
  } catch (const std::exception& e) {
    return Error{fmt::format("store {}: could not open: {}", path, e.what())};
  }
}

int JobStore::schema_version() const {
  return impl_->version;
}

// --- intake ------------------------------------------------------------------------

Expected<std::vector<bool>> JobStore::insert_triggers(std::span<const Trigger> triggers) {
  return insert_triggers(triggers, {}, TimePoint{});
}

Expected<std::vector<bool>> JobStore::insert_triggers(std::span<const Trigger> triggers,
                                                      std::span<const IdempotencyClaim> claims,
                                                      TimePoint now) {
  auto r = insert_and_decide(triggers, {}, claims, now);
  if (!r) return r.error();
  return std::move(r->inserted);
}

Expected<JobStore::Intake> JobStore::insert_and_decide(std::span<const Trigger> triggers,
                                                       std::span<const Decision> decisions,
                                                       std::span<const IdempotencyClaim> claims,
                                                       TimePoint now) {
  using R = Expected<Intake>;
  return impl_->guarded<R>(fmt::format("insert {} trigger(s)", triggers.size()), true, [&]() -> R {
    Intake out;
    out.inserted.reserve(triggers.size());
    if (!decisions.empty() && decisions.size() != triggers.size()) {
      return Error{"decisions and triggers differ in number"};
    }
    if (triggers.empty()) return out;
    for (const auto& c : claims) {
      if (c.first + c.count > triggers.size() || c.count == 0) {
        return Error{"an idempotency claim names triggers outside the batch"};
      }
    }
    auto& db = impl_->db;
    Transaction tx(db);
    for (std::size_t i = 0; i < triggers.size(); ++i) {
      const Trigger& t = triggers[i];
      if (decisions.empty()) {
        auto st = db.cached(
            "INSERT INTO triggers (id, kind, machine_resource_id, machine_name, user, origin, "
            "attributes_json, received_at_ms, state) "
            "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'received') "
            "ON CONFLICT (id) DO NOTHING");
        bind_received_columns(st, t);
        st.run();
        out.inserted.push_back(db.changes() == 1);
        continue;
      }
      {
        // A trigger with this id is kept as it is (also one earlier in this
        // batch): no decision, no job.
        auto st = db.cached("SELECT 1 FROM triggers WHERE id = ?1");
        st.bind(1, t.id);
        if (st.step()) {
          out.inserted.push_back(false);
          continue;
        }
      }
      const Decision& d = decisions[i];
      auto [o, reason] =
          impl_->apply_decision(t.id, t.machine.resource_id, t.machine.name, t.user, d, now);
      auto st = db.cached(
          "INSERT INTO triggers (id, kind, machine_resource_id, machine_name, user, origin, "
          "attributes_json, received_at_ms, state, decided_at_ms, decision, rule, reason, "
          "trace_json, job_id) "
          "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)");
      bind_received_columns(st, t);
      st.bind(9, o.job_id ? "decided" : "skipped").bind(10, now).bind(11, o.decision);
      st.bind(12, d.rule).bind(13, reason).bind(14, dump(trace_to_json(d.trace)));
      st.bind(15, o.job_id);
      st.run();
      out.inserted.push_back(true);
      out.decided.push_back(std::move(o));
    }
    for (const auto& c : claims) {
      nlohmann::json ids = nlohmann::json::array();
      nlohmann::json answers = nlohmann::json::array();
      for (std::size_t i = c.first; i < c.first + c.count; ++i) {
        ids.push_back(triggers[i].id);
        answers.push_back(static_cast<bool>(out.inserted[i]));
      }
      auto st = db.cached(
          "INSERT INTO idempotency (scope, key, fingerprint, trigger_ids_json, inserted_json, "
          "created_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (scope, key) DO NOTHING");
      st.bind(1, c.scope).bind(2, c.key).bind(3, c.fingerprint).bind(4, dump(ids));
      st.bind(5, dump(answers)).bind(6, now);
      st.run();
    }
    tx.commit();
    return out;
  });
}

Expected<std::optional<IdempotencyRecord>> JobStore::find_idempotency(const std::string& scope,
                                                                      const std::string& key) {
  using R = Expected<std::optional<IdempotencyRecord>>;
  return impl_->guarded<R>("look up an idempotency key", false, [&]() -> R {
    auto st = impl_->db.cached(
        "SELECT fingerprint, trigger_ids_json, inserted_json, created_at_ms FROM idempotency "
        "WHERE scope = ?1 AND key = ?2");
    st.bind(1, scope).bind(2, key);
    if (!st.step()) return std::optional<IdempotencyRecord>();
    IdempotencyRecord r;
    r.scope = scope;
    r.key = key;
    r.fingerprint = st.text(0);
    const auto ids = nlohmann::json::parse(st.text(1), nullptr, false);
    const auto answers = nlohmann::json::parse(st.text(2), nullptr, false);
    if (!ids.is_array() || !answers.is_array() || ids.size() != answers.size()) {
      return Error{fmt::format("idempotency record for key '{}' is damaged", key)};
    }
    for (std::size_t i = 0; i < ids.size(); ++i) {
      if (!ids[i].is_string() || !answers[i].is_boolean()) {
        return Error{fmt::format("idempotency record for key '{}' is damaged", key)};
      }
      r.trigger_ids.push_back(ids[i].get<std::string>());
      r.inserted.push_back(answers[i].get<bool>());
    }
    r.created_at = st.time(3);
    return std::optional<IdempotencyRecord>(std::move(r));
  });
}

// --- decisions ---------------------------------------------------------------------

Expected<std::vector<Trigger>> JobStore::received_triggers(std::size_t limit) {
  using R = Expected<std::vector<Trigger>>;
  return impl_->guarded<R>("read received triggers", false, [&]() -> R {
    std::vector<Trigger> out;
    auto st = impl_->db.cached("SELECT " UDA_TRIGGER_COLUMNS
                               " FROM triggers t WHERE t.state = 'received' "
                               "ORDER BY t.received_at_ms, t.rowid LIMIT ?1");
    st.bind(1, bounded(limit));
    while (st.step()) out.push_back(read_trigger(st));
    return out;
  });
}

Expected<std::vector<DecisionOutcome>> JobStore::record_decisions(
    std::span<const std::pair<std::string, Decision>> decisions, TimePoint now) {
  using R = Expected<std::vector<DecisionOutcome>>;
  return impl_->guarded<R>(
      fmt::format("record {} decision(s)", decisions.size()), true, [&]() -> R {
        std::vector<DecisionOutcome> out;
        if (decisions.empty()) return out;
        auto& db = impl_->db;
        Transaction tx(db);
        for (const auto& [trigger_id, d] : decisions) {
          std::optional<std::uint32_t> resource_id;
          std::optional<std::string> machine_name;
          std::string trigger_user;
          {
            auto st = db.cached(
                "SELECT machine_resource_id, machine_name, user FROM triggers "
                "WHERE id = ?1 AND state = 'received'");
            st.bind(1, trigger_id);
            if (!st.step()) continue;  // unknown or already decided: left alone
            resource_id = to_resource_id(st.opt_int64(0));
            machine_name = st.opt_text(1);
            trigger_user = st.text(2);
          }
          auto [o, reason] =
              impl_->apply_decision(trigger_id, resource_id, machine_name, trigger_user, d, now);
          auto st = db.cached(
              "UPDATE triggers SET state = ?2, decided_at_ms = ?3, decision = ?4, rule = ?5, "
              "reason = ?6, trace_json = ?7, job_id = ?8 WHERE id = ?1 AND state = 'received'");
          st.bind(1, trigger_id).bind(2, o.job_id ? "decided" : "skipped").bind(3, now);
          st.bind(4, o.decision).bind(5, d.rule).bind(6, reason);
          st.bind(7, dump(trace_to_json(d.trace))).bind(8, o.job_id);
          st.run();
          out.push_back(std::move(o));
        }
        tx.commit();
        return out;
      });
}

// --- dispatch ------------------------------------------------------------------------

namespace {

// Leases up to `limit` due jobs to `owner`, inside the caller's transaction.
std::vector<Job> claim_in_tx(sqlite::Connection& db, std::size_t limit, TimePoint now, Millis lease,
                             const std::string& owner, int max_attempts) {
  std::vector<Job> jobs;
  if (limit == 0) return jobs;
  // Jobs that have used every attempt already: their last attempt was cut
  // off and re-armed (attempts count it: it may have had its effect). They
  // are leased for a final check that counts no attempt. Same rows as the
  // UPDATE below (same query, same transaction); usually none.
  std::vector<std::int64_t> final_checks;
  if (max_attempts > 0) {
    auto st = db.cached(
        "SELECT id FROM (SELECT id, attempts FROM jobs WHERE state = 'pending' "
        "AND next_attempt_at_ms <= ?1 ORDER BY next_attempt_at_ms, id LIMIT ?2) "
        "WHERE attempts >= ?3");
    st.bind(1, now).bind(2, bounded(limit)).bind(3, max_attempts);
    while (st.step()) final_checks.push_back(st.int64(0));
  }
  {
    auto st = db.cached(
        "UPDATE jobs SET state = 'leased', "
        "attempts = CASE WHEN ?5 > 0 AND attempts >= ?5 THEN attempts ELSE attempts + 1 END, "
        "lease_owner = ?1, lease_expires_at_ms = ?2, leased_at_ms = ?3, updated_at_ms = ?3 "
        "WHERE id IN (SELECT id FROM jobs WHERE state = 'pending' AND next_attempt_at_ms <= ?3 "
        "ORDER BY next_attempt_at_ms, id LIMIT ?4) "
        "RETURNING " UDA_JOB_COLUMNS);
    st.bind(1, owner).bind(2, now + lease).bind(3, now).bind(4, bounded(limit));
    st.bind(5, std::max(max_attempts, 0));
    while (st.step()) {
      jobs.push_back(read_job(st));
      jobs.back().final_check =
          std::find(final_checks.begin(), final_checks.end(), jobs.back().id) != final_checks.end();
    }
  }
  // RETURNING has no defined order.
  std::sort(jobs.begin(), jobs.end(), [](const Job& a, const Job& b) {
    return std::pair(a.next_attempt_at, a.id) < std::pair(b.next_attempt_at, b.id);
  });
  return jobs;
}

}  // namespace

Expected<std::vector<Job>> JobStore::claim_due(std::size_t limit, TimePoint now, Millis lease,
                                               const std::string& owner, int max_attempts) {
  using R = Expected<std::vector<Job>>;
  return impl_->guarded<R>(fmt::format("claim due jobs for {}", owner), true, [&]() -> R {
    if (limit == 0) return std::vector<Job>{};
    Transaction tx(impl_->db);
    auto jobs = claim_in_tx(impl_->db, limit, now, lease, owner, max_attempts);
    tx.commit();
    return jobs;
  });
}

Expected<JobStore::EndedAndClaimed> JobStore::end_attempts_and_claim(
    const std::string& owner, std::span<const AttemptEnd> ends, std::size_t limit, TimePoint now,
    Millis lease, int max_attempts) {
  using R = Expected<EndedAndClaimed>;
  return impl_->guarded<R>(
      fmt::format("record {} job outcome(s) and claim due jobs for {}", ends.size(), owner), true,
      [&]() -> R {
        EndedAndClaimed out;
        out.ended.reserve(ends.size());
        Transaction tx(impl_->db);
        for (const auto& e : ends) out.ended.push_back(impl_->end_one(owner, e));
        out.claimed = claim_in_tx(impl_->db, limit, now, lease, owner, max_attempts);
        tx.commit();
        return out;
      });
}

Expected<std::optional<TimePoint>> JobStore::next_due() {
  using R = Expected<std::optional<TimePoint>>;
  return impl_->guarded<R>("find the next due job", false, [&]() -> R {
    auto st = impl_->db.cached("SELECT MIN(next_attempt_at_ms) FROM jobs WHERE state = 'pending'");
    if (!st.step()) return std::optional<TimePoint>();
    return st.opt_time(0);
  });
}

Status JobStore::complete(std::int64_t job_id, const std::string& owner, TimePoint now,
                          const std::string& detail) {
  AttemptEnd e;
  e.job_id = job_id;
  e.at = now;
  e.detail = detail;
  return impl_->end_single(fmt::format("complete job {}", job_id), owner, e);
}

Status JobStore::retry_later(std::int64_t job_id, const std::string& owner, TimePoint now,
                             TimePoint next_attempt_at, const std::string& error,
                             bool verify_first) {
  AttemptEnd e;
  e.job_id = job_id;
  e.kind = AttemptEnd::Kind::Retry;
  e.at = now;
  e.detail = error;
  e.next_attempt_at = next_attempt_at;
  e.verify_first = verify_first;
  return impl_->end_single(fmt::format("reschedule job {}", job_id), owner, e);
}

Status JobStore::dead_letter(std::int64_t job_id, const std::string& owner, TimePoint now,
                             const std::string& error) {
  AttemptEnd e;
  e.job_id = job_id;
  e.kind = AttemptEnd::Kind::Dead;
  e.at = now;
  e.detail = error;
  return impl_->end_single(fmt::format("dead-letter job {}", job_id), owner, e);
}

Status JobStore::release(std::int64_t job_id, const std::string& owner, TimePoint now,
                         bool counted) {
  AttemptEnd e;
  e.job_id = job_id;
  e.kind = AttemptEnd::Kind::Release;
  e.at = now;
  e.counted = counted;
  return impl_->end_single(fmt::format("release job {}", job_id), owner, e);
}

Expected<std::vector<Status>> JobStore::end_attempts(const std::string& owner,
                                                     std::span<const AttemptEnd> ends) {
  auto r = end_attempts_and_claim(owner, ends, 0, TimePoint{}, Millis(0));
  if (!r) return r.error();
  return std::move(r->ended);
}

Status JobStore::set_resource_id(std::int64_t job_id, const std::string& owner,
                                 std::uint32_t resource_id) {
  return impl_->guarded<Status>(
      fmt::format("record resource id {} for job {}", resource_id, job_id), true,
      [&]() -> Status { return impl_->resolve_job(job_id, owner, resource_id, std::nullopt); });
}

Status JobStore::set_user(std::int64_t job_id, const std::string& owner,
                          const std::string& unique_user_name) {
  return impl_->guarded<Status>(
      fmt::format("record user {} for job {}", unique_user_name, job_id), true, [&]() -> Status {
        return impl_->resolve_job(job_id, owner, std::nullopt, unique_user_name);
      });
}

Expected<int> JobStore::rearm_leases(TimePoint now, bool all) {
  return impl_->guarded<Expected<int>>(
      all ? std::string("re-arm all leases") : std::string("re-arm expired leases"), true,
      [&]() -> Expected<int> {
        auto& db = impl_->db;
        Transaction tx(db);
        struct Row {
          std::int64_t id;
          int attempts;
          TimePoint leased_at;
          std::string owner;
          std::optional<TimePoint> expires;
        };
        std::vector<Row> rows;
        {
          auto st = db.cached(
              "SELECT id, attempts, leased_at_ms, lease_owner, lease_expires_at_ms FROM jobs "
              "WHERE state = 'leased' AND (?1 = 1 OR lease_expires_at_ms <= ?2) ORDER BY id");
          st.bind(1, all ? 1 : 0).bind(2, now);
          while (st.step()) {
            rows.push_back(Row{st.int64(0), static_cast<int>(st.int64(1)),
                               st.opt_time(2).value_or(now), st.text(3), st.opt_time(4)});
          }
        }
        for (const Row& r : rows) {
          const std::string detail =
              r.expires && *r.expires <= now
                  ? fmt::format(
                        "lease of {} expired at {}; the call may have run, verifying "
                        "first",
                        r.owner, format_iso8601(*r.expires))
                  : fmt::format(
                        "lease of {} re-armed at start-up; the call may have run, "
                        "verifying first",
                        r.owner);
          // attempts is not decremented: the call may have had its effect.
          auto st = db.cached(
              "UPDATE jobs SET state = 'pending', next_attempt_at_ms = ?2, verify_first = 1, "
              "last_error = ?3, updated_at_ms = ?2, lease_owner = NULL, "
              "lease_expires_at_ms = NULL, leased_at_ms = NULL WHERE id = ?1");
          st.bind(1, r.id).bind(2, now).bind(3, detail);
          st.run();
          impl_->insert_attempt(r.id, r.attempts, r.leased_at, now, "lease-expired", detail);
        }
        tx.commit();
        return static_cast<int>(rows.size());
      });
}

// --- admin -------------------------------------------------------------------------

Expected<std::vector<Job>> JobStore::list_jobs(std::optional<JobState> state, std::size_t limit) {
  using R = Expected<std::vector<Job>>;
  return impl_->guarded<R>("list jobs", false, [&]() -> R {
    std::vector<Job> jobs;
    auto& db = impl_->db;
    if (state) {
      auto st = db.cached("SELECT " UDA_JOB_COLUMNS
                          " FROM jobs WHERE state = ?1 ORDER BY id DESC LIMIT ?2");
      st.bind(1, to_string(*state)).bind(2, bounded(limit));
      while (st.step()) jobs.push_back(read_job(st));
    } else {
      auto st = db.cached("SELECT " UDA_JOB_COLUMNS " FROM jobs ORDER BY id DESC LIMIT ?1");
      st.bind(1, bounded(limit));
      while (st.step()) jobs.push_back(read_job(st));
    }
    return jobs;
  });
}

Expected<std::optional<Job>> JobStore::get_job(std::int64_t job_id) {
  using R = Expected<std::optional<Job>>;
  return impl_->guarded<R>(fmt::format("read job {}", job_id), false, [&]() -> R {
    auto st = impl_->db.cached("SELECT " UDA_JOB_COLUMNS " FROM jobs WHERE id = ?1");
    st.bind(1, job_id);
    if (!st.step()) return std::optional<Job>();
    return std::optional<Job>(read_job(st));
  });
}

Expected<std::vector<Attempt>> JobStore::attempts(std::int64_t job_id) {
  using R = Expected<std::vector<Attempt>>;
  return impl_->guarded<R>(fmt::format("read the attempts of job {}", job_id), false, [&]() -> R {
    std::vector<Attempt> out;
    auto st = impl_->db.cached(
        "SELECT job_id, attempt, started_at_ms, finished_at_ms, outcome, detail FROM attempts "
        "WHERE job_id = ?1 ORDER BY id LIMIT ?2");
    st.bind(1, job_id).bind(2, bounded(kMaxLimit));
    while (st.step()) {
      out.push_back(Attempt{st.int64(0), static_cast<int>(st.int64(1)), st.time(2), st.time(3),
                            st.text(4), st.text(5)});
    }
    return out;
  });
}

Expected<std::optional<TriggerRecord>> JobStore::get_trigger(const std::string& trigger_id) {
  using R = Expected<std::optional<TriggerRecord>>;
  return impl_->guarded<R>(fmt::format("read trigger '{}'", trigger_id), false, [&]() -> R {
    auto st = impl_->db.cached("SELECT " UDA_TRIGGER_RECORD_COLUMNS UDA_TRIGGER_RECORD_FROM
                               "WHERE t.id = ?1");
    st.bind(1, trigger_id);
    if (!st.step()) return std::optional<TriggerRecord>();
    return std::optional<TriggerRecord>(read_trigger_record(st));
  });
}

Expected<std::vector<TriggerRecord>> JobStore::list_triggers(std::size_t limit) {
  using R = Expected<std::vector<TriggerRecord>>;
  return impl_->guarded<R>("list triggers", false, [&]() -> R {
    std::vector<TriggerRecord> out;
    auto st = impl_->db.cached("SELECT " UDA_TRIGGER_RECORD_COLUMNS UDA_TRIGGER_RECORD_FROM
                               "ORDER BY t.received_at_ms DESC, t.rowid DESC LIMIT ?1");
    st.bind(1, bounded(limit));
    while (st.step()) out.push_back(read_trigger_record(st));
    return out;
  });
}

Expected<std::vector<TriggerRecord>> JobStore::triggers_for_job(std::int64_t job_id) {
  using R = Expected<std::vector<TriggerRecord>>;
  return impl_->guarded<R>(fmt::format("read the triggers of job {}", job_id), false, [&]() -> R {
    std::vector<TriggerRecord> out;
    auto st = impl_->db.cached("SELECT " UDA_TRIGGER_RECORD_COLUMNS UDA_TRIGGER_RECORD_FROM
                               "WHERE t.job_id = ?1 ORDER BY t.received_at_ms, t.rowid LIMIT ?2");
    st.bind(1, job_id).bind(2, bounded(kMaxLimit));
    while (st.step()) out.push_back(read_trigger_record(st));
    return out;
  });
}

Status JobStore::retry_now(std::int64_t job_id, TimePoint now) {
  return impl_->guarded<Status>(fmt::format("retry job {}", job_id), true, [&]() -> Status {
    auto& db = impl_->db;
    Transaction tx(db);
    const auto job = impl_->summary(job_id);
    if (!job) return Impl::no_job(job_id);
    if (job->state == "leased") return Impl::in_flight(job_id, *job);
    if (job->state == "done") {
      return Error{fmt::format("job {} is done; nothing to retry (see `uda-agent jobs show {}`)",
                               job_id, job_id)};
    }
    if (auto other = impl_->active_job_with_key(job->idempotency_key, job_id)) {
      return Error{fmt::format(
          "job {} cannot be retried: job {} is already queued for the same machine, user, "
          "source and type (see `uda-agent jobs show {}`)",
          job_id, *other, *other)};
    }
    {
      // A job that made calls may have had its effect: check the site first.
      auto st = db.cached(
          "UPDATE jobs SET state = 'pending', attempts = 0, next_attempt_at_ms = ?2, "
          "verify_first = CASE WHEN attempts > 0 THEN 1 ELSE verify_first END, outcome = '', "
          "finished_at_ms = NULL, updated_at_ms = ?2 WHERE id = ?1");
      st.bind(1, job_id).bind(2, now);
      st.run();
    }
    tx.commit();
    return Status::Ok();
  });
}

Status JobStore::cancel(std::int64_t job_id, TimePoint now) {
  return impl_->guarded<Status>(fmt::format("cancel job {}", job_id), true, [&]() -> Status {
    auto& db = impl_->db;
    Transaction tx(db);
    const auto job = impl_->summary(job_id);
    if (!job) return Impl::no_job(job_id);
    if (job->state == "leased") return Impl::in_flight(job_id, *job);
    if (job->state == "done") {
      return Error{fmt::format("job {} is done; nothing to cancel", job_id)};
    }
    if (job->state == "cancelled") return Status::Ok();  // already what was asked
    {
      auto st = db.cached(
          "UPDATE jobs SET state = 'cancelled', outcome = 'cancelled', finished_at_ms = ?2, "
          "updated_at_ms = ?2 WHERE id = ?1");
      st.bind(1, job_id).bind(2, now);
      st.run();
    }
    tx.commit();
    return Status::Ok();
  });
}

Expected<StoreCounts> JobStore::counts() {
  return impl_->guarded<Expected<StoreCounts>>("count jobs", false, [&]() -> Expected<StoreCounts> {
    auto& db = impl_->db;
    StoreCounts c;
    for (auto s : {JobState::Pending, JobState::Leased, JobState::Done, JobState::Dead,
                   JobState::Cancelled}) {
      c.jobs_by_state[std::string(to_string(s))] = 0;
    }
    Transaction tx(db, Transaction::Kind::Deferred);  // one consistent snapshot
    {
      auto st = db.cached("SELECT COUNT(*) FROM triggers WHERE state = 'received'");
      if (st.step()) c.triggers_received = st.int64(0);
    }
    {
      auto st = db.cached("SELECT state, COUNT(*) FROM jobs GROUP BY state");
      while (st.step()) c.jobs_by_state[st.text(0)] = st.int64(1);
    }
    {
      // The planner would take jobs_due and read every active row (141 ms at
      // 1,000,000 pending jobs); the partial index answers at once.
      auto st = db.cached(
          "SELECT MIN(created_at_ms) FROM jobs INDEXED BY jobs_active_created "
          "WHERE state IN ('pending', 'leased')");
      if (st.step()) c.oldest_pending = st.opt_time(0);
    }
    tx.commit();
    return c;
  });
}

std::optional<std::string> JobStore::write_fault() const {
  std::lock_guard lock(impl_->fault_mu);
  return impl_->fault;
}

Status JobStore::check_writable() {
  return impl_->guarded<Status>("take the write lock", true, [&]() -> Status {
    Transaction tx(impl_->db);  // BEGIN IMMEDIATE; rolled back when it goes out of scope
    return Status::Ok();
  });
}

Expected<std::int64_t> JobStore::purge_finished(TimePoint older_than) {
  // One chunk per transaction so the agent's writers are never held up for
  // long; each chunk answers (rows removed, whether there may be more).
  using Chunk = Expected<std::pair<std::int64_t, bool>>;
  std::int64_t removed = 0;
  // Terminal jobs with their attempts and triggers. '+state' steers the
  // planner to jobs_finished: the search is by finish time, not by state.
  for (bool more = true; more;) {
    auto chunk = impl_->guarded<Chunk>("purge finished jobs", true, [&]() -> Chunk {
      auto& db = impl_->db;
      Transaction tx(db);
      std::vector<std::int64_t> ids;
      {
        auto st = db.cached(
            "SELECT id FROM jobs WHERE finished_at_ms < ?1 "
            "AND +state IN ('done', 'dead', 'cancelled') LIMIT ?2");
        st.bind(1, older_than).bind(2, kPurgeChunk);
        while (st.step()) ids.push_back(st.int64(0));
      }
      std::int64_t count = 0;
      for (const auto id : ids) {
        for (const char* sql :
             {"DELETE FROM triggers WHERE job_id = ?1", "DELETE FROM attempts WHERE job_id = ?1",
              "DELETE FROM jobs WHERE id = ?1"}) {
          auto st = db.cached(sql);
          st.bind(1, id);
          st.run();
          count += db.changes();
        }
      }
      tx.commit();
      return std::pair(count, std::ssize(ids) == kPurgeChunk);
    });
    if (!chunk) return chunk.error();
    removed += chunk->first;
    more = chunk->second;
  }
  // Idempotency records older than the cut-off: a client retrying that late
  // is sending a new request.
  {
    auto chunk = impl_->guarded<Chunk>("purge idempotency keys", true, [&]() -> Chunk {
      auto& db = impl_->db;
      auto st = db.cached("DELETE FROM idempotency WHERE created_at_ms < ?1");
      st.bind(1, older_than);
      st.run();
      return std::pair(static_cast<std::int64_t>(db.changes()), false);
    });
    if (!chunk) return chunk.error();
    removed += chunk->first;
  }
  // Skipped triggers (they have no job) decided before the cut-off.
  for (bool more = true; more;) {
    auto chunk = impl_->guarded<Chunk>("purge skipped triggers", true, [&]() -> Chunk {
      auto& db = impl_->db;
      Transaction tx(db);
      std::int64_t count = 0;
      {
        auto st = db.cached(
            "DELETE FROM triggers WHERE rowid IN (SELECT rowid FROM triggers "
            "WHERE state = 'skipped' AND decided_at_ms < ?1 LIMIT ?2)");
        st.bind(1, older_than).bind(2, kPurgeChunk);
        st.run();
        count = db.changes();
      }
      tx.commit();
      return std::pair(count, count == kPurgeChunk);
    });
    if (!chunk) return chunk.error();
    removed += chunk->first;
    more = chunk->second;
  }
  return removed;
}

#undef UDA_JOB_COLUMNS
#undef UDA_TRIGGER_COLUMNS
#undef UDA_TRIGGER_RECORD_COLUMNS
#undef UDA_TRIGGER_RECORD_FROM

}  // namespace uda
