#include "sources/usage/usage_state.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <span>
#include <string_view>
#include <system_error>

#include "store/sqlite.hpp"

namespace uda {
namespace {

namespace fs = std::filesystem;

struct Migration {
  int version;            // user_version after it ran
  std::string_view name;  // for logs
  std::string_view sql;
};

// Version 1: watermarks per (device, user) and the one-row pass cursor.
// minutes is the canonical text of the double (exact, comparable as text).
constexpr std::string_view kV1 = R"sql(
CREATE TABLE watermarks (
  resource_id INTEGER NOT NULL CHECK (resource_id > 0),
  user_lc     TEXT    NOT NULL,
  minutes     TEXT    NOT NULL,
  logons      INTEGER NOT NULL,
  last_use_ms INTEGER,
  trigger_id  TEXT    NOT NULL,
  sent_at_ms  INTEGER NOT NULL,
  PRIMARY KEY (resource_id, user_lc)
) WITHOUT ROWID;

CREATE TABLE pass (
  id                INTEGER PRIMARY KEY CHECK (id = 1),
  state             TEXT    NOT NULL CHECK (state IN ('running', 'complete', 'failed')),
  after_resource_id INTEGER NOT NULL,
  started_at_ms     INTEGER NOT NULL,
  finished_at_ms    INTEGER
);
)sql";

constexpr std::array<Migration, 1> kMigrations{{
    {1, "watermarks and pass cursor", kV1},
}};

int read_version(sqlite::Connection& db) {
  auto st = db.prepare("PRAGMA user_version");
  if (!st.step()) return 0;
  return static_cast<int>(st.int64(0));
}

int migrate(sqlite::Connection& db, const fs::path& path) {
  int version = read_version(db);
  for (const Migration& m : kMigrations) {
    if (m.version <= version) continue;
    sqlite::Transaction tx(db);
    version = read_version(db);
    if (m.version <= version) continue;
    db.exec(std::string(m.sql));
    // user_version cannot be a bound parameter; the value is our own constant.
    db.exec(fmt::format("PRAGMA user_version = {}", m.version));
    tx.commit();
    spdlog::info("usage: state {} migrated to schema version {} ({})", path.string(), m.version,
                 m.name);
    version = m.version;
  }
  return version;
}

std::optional<PassState> parse_state(std::string_view s) {
  if (s == "running") return PassState::Running;
  if (s == "complete") return PassState::Complete;
  if (s == "failed") return PassState::Failed;
  return std::nullopt;
}

}  // namespace

std::string_view to_string(PassState s) {
  switch (s) {
    case PassState::None:
      return "none";
    case PassState::Running:
      return "running";
    case PassState::Complete:
      return "complete";
    case PassState::Failed:
      return "failed";
  }
  return "unknown";
}

int usage_state_schema_version() {
  return kMigrations.back().version;
}

struct UsageState::Impl {
  Impl(sqlite::Connection c, fs::path p, int v)
      : db(std::move(c)), path(std::move(p)), version(v) {}
  sqlite::Connection db;
  fs::path path;
  int version;

  // Runs `f`, turning SQLite failures into an Error naming the file.
  template <class F>
  auto guarded(std::string_view what, F&& f) -> decltype(f()) {
    try {
      return f();
    } catch (const std::exception& e) {
      return Error{fmt::format("usage state {}: {}: {}", path.string(), what, e.what())};
    }
  }
};

UsageState::UsageState(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
UsageState::~UsageState() = default;

Expected<std::unique_ptr<UsageState>> UsageState::open(const fs::path& path) {
  const auto name = path.string();
  if (path.empty()) return Error{"usage state: no path given (usage.state_path)"};
  try {
    if (const auto parent = path.parent_path(); !parent.empty()) {
      std::error_code ec;
      fs::create_directories(parent, ec);
      if (ec) {
        return Error{fmt::format("usage state {}: cannot create its folder {}: {}", name,
                                 parent.string(), ec.message())};
      }
    }
    auto db = sqlite::Connection::open(path, sqlite::Connection::Mode::ReadWriteCreate);
    db.set_busy_timeout(Millis(5000));
    if (db.read_only()) {
      return Error{fmt::format(
          "usage state {} is not writable by this process; check the permissions of the file, "
          "its -wal/-shm files and its folder",
          name)};
    }
    const int found = read_version(db);
    if (found > usage_state_schema_version()) {
      return Error{fmt::format(
          "usage state {} has schema version {}; this uda-agent knows up to {}; upgrade "
          "uda-agent or point usage.state_path elsewhere",
          name, found, usage_state_schema_version())};
    }
    std::string journal;
    {
      auto mode = db.prepare("PRAGMA journal_mode = WAL");
      if (mode.step()) journal = mode.text(0);
    }
    if (journal != "wal") {
      return Error{fmt::format("usage state {}: could not switch to WAL journal mode (got '{}')",
                               name, journal)};
    }
    db.exec("PRAGMA synchronous = FULL");
    const int version = migrate(db, path);
    return std::unique_ptr<UsageState>(
        new UsageState(std::make_unique<Impl>(std::move(db), path, version)));
  } catch (const std::exception& e) {
    return Error{fmt::format("usage state {}: could not open: {}", name, e.what())};
  }
}

const fs::path& UsageState::path() const {
  return impl_->path;
}

int UsageState::schema_version() const {
  return impl_->version;
}

Expected<UsageCursor> UsageState::cursor() {
  return impl_->guarded("reading the pass cursor", [&]() -> Expected<UsageCursor> {
    auto st = impl_->db.cached(
        "SELECT state, after_resource_id, started_at_ms, finished_at_ms FROM pass WHERE id = 1");
    UsageCursor c;
    if (!st.step()) return c;
    const auto state = st.text(0);
    const auto parsed = parse_state(state);
    if (!parsed) return Error{fmt::format("unknown pass state '{}'", state)};
    c.state = *parsed;
    const auto after = st.int64(1);
    c.after_resource_id =
        static_cast<std::uint32_t>(std::clamp<std::int64_t>(after, 0, 0xFFFFFFFFLL));
    c.started_at = st.time(2);
    c.finished_at = st.opt_time(3);
    return c;
  });
}

Status UsageState::begin_pass(TimePoint started_at) {
  return impl_->guarded("starting a pass", [&]() -> Status {
    impl_->db
        .cached(
            "INSERT INTO pass (id, state, after_resource_id, started_at_ms, finished_at_ms) "
            "VALUES (1, 'running', 0, ?1, NULL) ON CONFLICT (id) DO UPDATE SET "
            "state = 'running', after_resource_id = 0, started_at_ms = ?1, finished_at_ms = NULL")
        .bind(1, started_at)
        .run();
    return Status::Ok();
  });
}

Status UsageState::fail_pass(TimePoint at) {
  return impl_->guarded("ending a pass", [&]() -> Status {
    impl_->db.cached("UPDATE pass SET state = 'failed', finished_at_ms = ?1 WHERE id = 1")
        .bind(1, at)
        .run();
    return Status::Ok();
  });
}

Expected<std::vector<UsageWatermark>> UsageState::watermarks(std::uint32_t after,
                                                             std::uint32_t last) {
  return impl_->guarded("reading watermarks", [&]() -> Expected<std::vector<UsageWatermark>> {
    std::vector<UsageWatermark> out;
    auto st = impl_->db.cached(
        "SELECT resource_id, user_lc, minutes, logons, last_use_ms, trigger_id, sent_at_ms "
        "FROM watermarks WHERE resource_id > ?1 AND resource_id <= ?2 "
        "ORDER BY resource_id, user_lc");
    st.bind(1, after).bind(2, last);
    while (st.step()) {
      UsageWatermark w;
      w.values.resource_id = static_cast<std::uint32_t>(st.int64(0));
      w.values.user_lc = st.text(1);
      w.values.minutes = st.text(2);
      w.values.logons = st.int64(3);
      w.values.last_use_ms = st.opt_int64(4);
      w.trigger_id = st.text(5);
      w.sent_at = st.time(6);
      out.push_back(std::move(w));
    }
    return out;
  });
}

Status UsageState::record_page(const UsagePageRecord& page) {
  return impl_->guarded("recording a page", [&]() -> Status {
    auto& db = impl_->db;
    sqlite::Transaction tx(db);
    for (const auto& w : page.sent) {
      db.cached(
            "INSERT INTO watermarks (resource_id, user_lc, minutes, logons, last_use_ms, "
            "trigger_id, sent_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
            "ON CONFLICT (resource_id, user_lc) DO UPDATE SET minutes = ?3, logons = ?4, "
            "last_use_ms = ?5, trigger_id = ?6, sent_at_ms = ?7")
          .bind(1, w.values.resource_id)
          .bind(2, w.values.user_lc)
          .bind(3, w.values.minutes)
          .bind(4, w.values.logons)
          .bind(5, w.values.last_use_ms)
          .bind(6, w.trigger_id)
          .bind(7, w.sent_at)
          .run();
    }
    for (const auto& [resource_id, user_lc] : page.gone) {
      db.cached("DELETE FROM watermarks WHERE resource_id = ?1 AND user_lc = ?2")
          .bind(1, resource_id)
          .bind(2, user_lc)
          .run();
    }
    if (page.last_page) {
      db.cached("DELETE FROM watermarks WHERE resource_id > ?1").bind(1, page.last).run();
      db.cached(
            "UPDATE pass SET state = 'complete', after_resource_id = ?1, finished_at_ms = ?2 "
            "WHERE id = 1")
          .bind(1, page.last)
          .bind(2, page.at)
          .run();
    } else {
      db.cached("UPDATE pass SET after_resource_id = ?1 WHERE id = 1").bind(1, page.last).run();
    }
    tx.commit();
    return Status::Ok();
  });
}

Expected<std::size_t> UsageState::watermark_count() {
  return impl_->guarded("counting watermarks", [&]() -> Expected<std::size_t> {
    auto st = impl_->db.cached("SELECT count(*) FROM watermarks");
    if (!st.step()) return std::size_t{0};
    return static_cast<std::size_t>(st.int64(0));
  });
}

}  // namespace uda
