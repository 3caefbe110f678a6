#include "store/sqlite.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <utility>

namespace uda::sqlite {
namespace {

// Message of the connection's last error, with the code's name.
[[noreturn]] void fail(sqlite3* db, int rc, std::string_view what) {
  const int code = db != nullptr ? sqlite3_extended_errcode(db) : rc;
  // The connection's code is the one of the last API call, which is this one
  // unless rc came from elsewhere; prefer rc when they disagree.
  const int effective = (code & 0xff) == (rc & 0xff) ? code : rc;
  const char* msg = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  throw Error(effective, fmt::format("{}: {} ({})", what, msg, code_name(effective)));
}

}  // namespace

std::string code_name(int code) {
  static constexpr std::array<std::pair<int, std::string_view>, 29> kNames{{
      {SQLITE_OK, "SQLITE_OK"},
      {SQLITE_ERROR, "SQLITE_ERROR"},
      {SQLITE_INTERNAL, "SQLITE_INTERNAL"},
      {SQLITE_PERM, "SQLITE_PERM"},
      {SQLITE_ABORT, "SQLITE_ABORT"},
      {SQLITE_BUSY, "SQLITE_BUSY"},
      {SQLITE_LOCKED, "SQLITE_LOCKED"},
      {SQLITE_NOMEM, "SQLITE_NOMEM"},
      {SQLITE_READONLY, "SQLITE_READONLY"},
      {SQLITE_INTERRUPT, "SQLITE_INTERRUPT"},
      {SQLITE_IOERR, "SQLITE_IOERR"},
      {SQLITE_CORRUPT, "SQLITE_CORRUPT"},
      {SQLITE_NOTFOUND, "SQLITE_NOTFOUND"},
      {SQLITE_FULL, "SQLITE_FULL"},
      {SQLITE_CANTOPEN, "SQLITE_CANTOPEN"},
      {SQLITE_PROTOCOL, "SQLITE_PROTOCOL"},
      {SQLITE_EMPTY, "SQLITE_EMPTY"},
      {SQLITE_SCHEMA, "SQLITE_SCHEMA"},
      {SQLITE_TOOBIG, "SQLITE_TOOBIG"},
      {SQLITE_CONSTRAINT, "SQLITE_CONSTRAINT"},
      {SQLITE_MISMATCH, "SQLITE_MISMATCH"},
      {SQLITE_MISUSE, "SQLITE_MISUSE"},
      {SQLITE_NOLFS, "SQLITE_NOLFS"},
      {SQLITE_AUTH, "SQLITE_AUTH"},
      {SQLITE_FORMAT, "SQLITE_FORMAT"},
      {SQLITE_RANGE, "SQLITE_RANGE"},
      {SQLITE_NOTADB, "SQLITE_NOTADB"},
      {SQLITE_NOTICE, "SQLITE_NOTICE"},
      {SQLITE_WARNING, "SQLITE_WARNING"},
  }};
  const int primary = code & 0xff;
  for (const auto& [value, name] : kNames) {
    if (value != primary) continue;
    // Extended codes (e.g. SQLITE_IOERR_FSYNC = 1034) keep their number.
    return code == primary ? std::string(name) : fmt::format("{}[{}]", name, code);
  }
  return fmt::format("SQLITE_ERROR {}", code);
}

// --- Statement ---------------------------------------------------------------

Statement::Statement(Statement&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)),
      stmt_(std::exchange(other.stmt_, nullptr)),
      in_use_(std::exchange(other.in_use_, nullptr)) {}

Statement::~Statement() {
  if (stmt_ == nullptr) return;
  if (in_use_ != nullptr) {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
    *in_use_ = false;
  } else {
    sqlite3_finalize(stmt_);
  }
}

void Statement::check(int rc, std::string_view what) const {
  if (rc != SQLITE_OK) fail(db_, rc, what);
}

Statement& Statement::bind_int64(int index, std::int64_t value) {
  check(sqlite3_bind_int64(stmt_, index, value), "bind");
  return *this;
}

Statement& Statement::bind_text(int index, std::string_view value) {
  // SQLite wants a non-null pointer for an empty (not NULL) text.
  const char* data = value.data() != nullptr ? value.data() : "";
  check(sqlite3_bind_text64(stmt_, index, data, value.size(), SQLITE_TRANSIENT, SQLITE_UTF8),
        "bind");
  return *this;
}

Statement& Statement::bind_null(int index) {
  check(sqlite3_bind_null(stmt_, index), "bind");
  return *this;
}

bool Statement::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  // Reset so the statement (possibly cached) is usable again; with
  // prepare_v2 the step's code and message are already the detailed ones.
  const std::string msg = sqlite3_errmsg(db_);
  const int code = sqlite3_extended_errcode(db_);
  sqlite3_reset(stmt_);
  throw Error(code, fmt::format("{} ({})", msg, code_name(code)));
}

void Statement::run() {
  while (step()) {
  }
}

void Statement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

bool Statement::is_null(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

std::int64_t Statement::int64(int column) const {
  return sqlite3_column_int64(stmt_, column);
}

std::string Statement::text(int column) const {
  const unsigned char* p = sqlite3_column_text(stmt_, column);
  if (p == nullptr) return {};
  const auto n = static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column));
  return {reinterpret_cast<const char*>(p), n};
}

std::optional<std::int64_t> Statement::opt_int64(int column) const {
  if (is_null(column)) return std::nullopt;
  return int64(column);
}

std::optional<std::string> Statement::opt_text(int column) const {
  if (is_null(column)) return std::nullopt;
  return text(column);
}

std::optional<TimePoint> Statement::opt_time(int column) const {
  if (is_null(column)) return std::nullopt;
  return time(column);
}

// --- Connection ----------------------------------------------------------------

Connection Connection::open(const std::filesystem::path& path, Mode mode) {
  int flags = SQLITE_OPEN_EXRESCODE;
  flags |= mode == Mode::ReadWriteCreate ? (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)
                                         : SQLITE_OPEN_READONLY;
  std::string name = path.string();
  if (mode == Mode::ReadOnlyImmutable) {
    // A URI: the characters that mean something in one are escaped.
    std::string uri = "file:";
    for (const char c : name) {
      if (c == '%' || c == '?' || c == '#') {
        uri += fmt::format("%{:02X}", static_cast<unsigned char>(c));
      } else {
        uri += c;
      }
    }
    name = uri + "?immutable=1";
    flags |= SQLITE_OPEN_URI;
  }
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(name.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    const std::string msg = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    const int code = db != nullptr ? sqlite3_extended_errcode(db) : rc;
    sqlite3_close_v2(db);
    throw Error(code, fmt::format("open: {} ({})", msg, code_name(code)));
  }
  sqlite3_extended_result_codes(db, 1);
  return Connection(db);
}

Connection::Connection(Connection&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)), cache_(std::move(other.cache_)) {}

Connection::~Connection() {
  for (auto& [sql, entry] : cache_) sqlite3_finalize(entry->stmt);
  cache_.clear();
  if (db_ != nullptr) sqlite3_close_v2(db_);
}

bool Connection::read_only() const {
  return sqlite3_db_readonly(db_, "main") == 1;
}

void Connection::set_busy_timeout(Millis timeout) {
  const auto ms = std::clamp<std::int64_t>(timeout.count(), 0, 0x7fffffff);
  if (const int rc = sqlite3_busy_timeout(db_, static_cast<int>(ms)); rc != SQLITE_OK) {
    fail(db_, rc, "busy_timeout");
  }
}

void Connection::exec(const std::string& sql) {
  char* err = nullptr;
  const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    const std::string msg = err != nullptr ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    const int code = sqlite3_extended_errcode(db_);
    const int effective = (code & 0xff) == (rc & 0xff) ? code : rc;
    throw Error(effective, fmt::format("{} ({})", msg, code_name(effective)));
  }
}

Statement Connection::prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  const int rc =
      sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), 0, &stmt, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(stmt);
    fail(db_, rc, "prepare");
  }
  return Statement(db_, stmt, nullptr);
}

Statement Connection::cached(std::string_view sql) {
  auto it = cache_.find(sql);
  if (it == cache_.end()) {
    sqlite3_stmt* stmt = nullptr;
    const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                      SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK) {
      sqlite3_finalize(stmt);
      fail(db_, rc, "prepare");
    }
    auto entry = std::make_unique<Cached>();
    entry->stmt = stmt;
    it = cache_.emplace(std::string(sql), std::move(entry)).first;
  }
  Cached& entry = *it->second;
  if (entry.in_use) return prepare(sql);  // nested use of the same SQL
  entry.in_use = true;
  return Statement(db_, entry.stmt, &entry.in_use);
}

std::int64_t Connection::changes() const {
  return sqlite3_changes64(db_);
}

std::int64_t Connection::total_changes() const {
  return sqlite3_total_changes64(db_);
}

std::int64_t Connection::last_insert_rowid() const {
  return sqlite3_last_insert_rowid(db_);
}

// --- Transaction ---------------------------------------------------------------

Transaction::Transaction(Connection& connection, Kind kind) : connection_(connection) {
  connection_.exec(kind == Kind::Immediate ? "BEGIN IMMEDIATE" : "BEGIN");
}

Transaction::~Transaction() {
  // After some errors (SQLITE_FULL, IOERR, NOMEM) SQLite has already rolled
  // back; then there is no transaction left and this is a harmless no-op.
  if (!done_ && sqlite3_get_autocommit(connection_.handle()) == 0) {
    sqlite3_exec(connection_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
  }
}

void Transaction::commit() {
  connection_.exec("COMMIT");
  done_ = true;
}

}  // namespace uda::sqlite
