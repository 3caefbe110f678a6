#pragma once
// A small RAII wrapper of the job store over the SQLite C API: a connection
// (with a cache of prepared statements), a prepared statement with typed binds
// and columns, and a transaction guard. Failures throw sqlite::Error, which
// carries the (extended) result code; the store catches it at its public edge
// and turns it into an uda::Error with context. Nothing here is thread-safe:
// the store serialises every use of a connection behind its mutex.

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>

#include "core/time.hpp"

namespace uda::sqlite {

class Error : public std::runtime_error {
 public:
  Error(int code, const std::string& message) : std::runtime_error(message), code_(code) {}
  // Extended result code (e.g. SQLITE_IOERR_FSYNC); primary() is its low byte.
  [[nodiscard]] int code() const { return code_; }
  [[nodiscard]] int primary() const { return code_ & 0xff; }

 private:
  int code_;
};

// "SQLITE_BUSY", "SQLITE_FULL", ...; an extended code keeps its number:
// "SQLITE_IOERR[1034]"; "SQLITE_ERROR <n>" if unknown.
std::string code_name(int code);

class Connection;

// A prepared statement. Bind indexes (1-based) and column indexes (0-based)
// are those of SQLite. A statement borrowed from the connection's cache is
// reset (and its bindings cleared) when this object goes away.
class Statement {
 public:
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&&) = delete;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  Statement& bind_int64(int index, std::int64_t value);
  Statement& bind_text(int index, std::string_view value);
  Statement& bind_null(int index);

  template <class T>
  requires std::is_integral_v<T> Statement& bind(int index, T value) {
    return bind_int64(index, static_cast<std::int64_t>(value));
  }
  Statement& bind(int index, std::string_view value) { return bind_text(index, value); }
  Statement& bind(int index, const char* value) { return bind_text(index, value); }
  Statement& bind(int index, const std::string& value) { return bind_text(index, value); }
  Statement& bind(int index, TimePoint value) { return bind_int64(index, to_unix_ms(value)); }
  template <class T>
  Statement& bind(int index, const std::optional<T>& value) {
    return value ? bind(index, *value) : bind_null(index);
  }

  // True when a row is available, false when the statement is done.
  bool step();
  // Steps to completion (statements without result rows).
  void run();
  // Back to the start, bindings cleared.
  void reset();

  [[nodiscard]] bool is_null(int column) const;
  [[nodiscard]] std::int64_t int64(int column) const;
  [[nodiscard]] std::string text(int column) const;
  [[nodiscard]] std::optional<std::int64_t> opt_int64(int column) const;
  [[nodiscard]] std::optional<std::string> opt_text(int column) const;
  [[nodiscard]] TimePoint time(int column) const { return from_unix_ms(int64(column)); }
  [[nodiscard]] std::optional<TimePoint> opt_time(int column) const;

 private:
  friend class Connection;
  Statement(sqlite3* db, sqlite3_stmt* stmt, bool* in_use)
      : db_(db), stmt_(stmt), in_use_(in_use) {}
  void check(int rc, std::string_view what) const;

  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
  bool* in_use_ = nullptr;  // set when borrowed from the cache
};

class Connection {
 public:
  enum class Mode {
    ReadOnly,  // SQLITE_OPEN_READONLY: the file must exist; nothing is ever written
    // Read-only and immutable=1: no -shm/-wal files, no locks. Only for a
    // store nobody can write (e.g. on a read-only volume).
    ReadOnlyImmutable,
    ReadWriteCreate,
  };
  static Connection open(const std::filesystem::path& path, Mode mode);

  Connection(Connection&& other) noexcept;
  Connection& operator=(Connection&&) = delete;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection();

  [[nodiscard]] sqlite3* handle() const { return db_; }
  // True when SQLite opened the file read-only (asked to, or no write permission).
  [[nodiscard]] bool read_only() const;
  void set_busy_timeout(Millis timeout);

  // Runs SQL without parameters (schema, pragmas); may hold several statements.
  void exec(const std::string& sql);
  // A new statement, finalized when the returned object goes away.
  Statement prepare(std::string_view sql);
  // A statement prepared once per connection and reused (hot paths). If the
  // cached one is still in use, a fresh one is prepared instead.
  Statement cached(std::string_view sql);

  // Rows changed by the last INSERT/UPDATE/DELETE.
  [[nodiscard]] std::int64_t changes() const;
  [[nodiscard]] std::int64_t last_insert_rowid() const;
  // Rows changed by every INSERT/UPDATE/DELETE since the connection opened.
  [[nodiscard]] std::int64_t total_changes() const;

 private:
  explicit Connection(sqlite3* db) : db_(db) {}
  struct Cached {
    sqlite3_stmt* stmt = nullptr;
    bool in_use = false;
  };
  sqlite3* db_ = nullptr;
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, std::unique_ptr<Cached>, Hash, std::equal_to<>> cache_;
};

// BEGIN (IMMEDIATE by default: take the write lock now, waiting up to the busy
// timeout) on construction; ROLLBACK unless commit() succeeded.
class Transaction {
 public:
  enum class Kind { Deferred, Immediate };
  explicit Transaction(Connection& connection, Kind kind = Kind::Immediate);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit();

 private:
  Connection& connection_;
  bool done_ = false;
};

}  // namespace uda::sqlite
