#include "sources/wmi_events/sqlite_bookmark_store.hpp"

#include <fmt/format.h>

#include <mutex>

#include "store/sqlite.hpp"

namespace uda {

struct SqliteBookmarkStore::Db {
  explicit Db(sqlite::Connection c) : conn(std::move(c)) {}
  std::mutex mu;
  sqlite::Connection conn;
};

SqliteBookmarkStore::SqliteBookmarkStore(std::filesystem::path path, std::unique_ptr<Db> db)
    : path_(std::move(path)), db_(std::move(db)) {}

SqliteBookmarkStore::~SqliteBookmarkStore() = default;

Expected<std::unique_ptr<SqliteBookmarkStore>> SqliteBookmarkStore::open(
    const std::filesystem::path& path) {
  try {
    if (path.has_parent_path()) {
      std::error_code ec;
      std::filesystem::create_directories(path.parent_path(), ec);
    }
    auto conn = sqlite::Connection::open(path, sqlite::Connection::Mode::ReadWriteCreate);
    conn.exec("PRAGMA journal_mode = WAL");
    conn.exec("PRAGMA synchronous = FULL");
    conn.exec(
        "CREATE TABLE IF NOT EXISTS bookmarks (subscription TEXT PRIMARY KEY, at_ms INTEGER NOT "
        "NULL, saved_at_ms INTEGER NOT NULL) WITHOUT ROWID");
    return std::unique_ptr<SqliteBookmarkStore>(
        new SqliteBookmarkStore(path, std::make_unique<Db>(std::move(conn))));
  } catch (const std::exception& e) {
    return Error{fmt::format("wmi_events: bookmarks {}: {}", path.string(), e.what())};
  }
}

Expected<std::optional<TimePoint>> SqliteBookmarkStore::load(const std::string& subscription) {
  try {
    std::lock_guard lock(db_->mu);
    auto st = db_->conn.prepare("SELECT at_ms FROM bookmarks WHERE subscription = ?");
    st.bind(1, subscription);
    if (!st.step()) return std::optional<TimePoint>{};
    return std::optional<TimePoint>{st.time(0)};
  } catch (const std::exception& e) {
    return Error{fmt::format("wmi_events: reading the bookmark of {} from {}: {}", subscription,
                             path_.string(), e.what())};
  }
}

Status SqliteBookmarkStore::save(const std::string& subscription, TimePoint bookmark) {
  try {
    std::lock_guard lock(db_->mu);
    auto st = db_->conn.prepare(
        "INSERT INTO bookmarks (subscription, at_ms, saved_at_ms) VALUES (?, ?, ?) ON CONFLICT "
        "(subscription) DO UPDATE SET at_ms = excluded.at_ms, saved_at_ms = excluded.saved_at_ms");
    st.bind(1, subscription).bind(2, bookmark).bind(3, now_ms());
    st.run();
    return Status::Ok();
  } catch (const std::exception& e) {
    return Error{fmt::format("wmi_events: saving the bookmark of {} to {}: {}", subscription,
                             path_.string(), e.what())};
  }
}

std::filesystem::path default_bookmark_path(const std::filesystem::path& store_path) {
  return store_path.parent_path() / "wmi-bookmarks.db";
}

}  // namespace uda
