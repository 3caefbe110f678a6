#pragma once
// Small RAII helpers over the SQLite C API for the simulated site (kept local
// so the site does not depend on the job store). Errors throw SqliteError;
// the site catches them at its public edges.

#include <sqlite3.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace uda::sim {

class SqliteError : public std::runtime_error {
 public:
  SqliteError(int code, const std::string& what) : std::runtime_error(what), code_(code) {}
  [[nodiscard]] int code() const { return code_; }

 private:
  int code_;
};

struct SqliteCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using DbHandle = std::unique_ptr<sqlite3, SqliteCloser>;

// Throws SqliteError with the connection's message unless rc is OK/ROW/DONE.
void check(sqlite3* db, int rc, std::string_view what);
// Runs SQL without parameters (schema, pragmas, BEGIN/COMMIT).
void exec(sqlite3* db, const char* sql);

// Prepared statements kept for the life of one connection: the site's calls
// run the same few statements over and over, and preparing one costs more
// than running it. Not thread-safe (the site holds its mutex); destroy it
// before closing the connection.
class StmtCache {
 public:
  explicit StmtCache(sqlite3* db) : db_(db) {}
  ~StmtCache();
  StmtCache(const StmtCache&) = delete;
  StmtCache& operator=(const StmtCache&) = delete;

  [[nodiscard]] sqlite3* db() const { return db_; }
  // A statement for `sql`, prepared now or reused; give it back when done.
  sqlite3_stmt* take(const std::string& sql);
  void give_back(const std::string& sql, sqlite3_stmt* stmt);

 private:
  sqlite3* db_;
  std::map<std::string, std::vector<sqlite3_stmt*>, std::less<>> free_;
};

// A prepared statement. Bind indexes are 1-based as in SQLite.
class Stmt {
 public:
  Stmt(sqlite3* db, std::string_view sql);
  // Borrowed from the cache, reset and given back on destruction.
  Stmt(StmtCache& cache, std::string_view sql);
  ~Stmt();
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  Stmt& bind(int i, std::int64_t v);
  Stmt& bind(int i, std::string_view v);
  // Named apart from bind(): an int argument would be ambiguous with a double overload.
  Stmt& bind_real(int i, double v);
  Stmt& bind_null(int i);
  // True while there is a row; false when done.
  bool step();
  // Steps to completion (statements without rows).
  void run();
  void reset();

  [[nodiscard]] std::int64_t int64(int col) const;
  [[nodiscard]] std::string text(int col) const;
  [[nodiscard]] double real(int col) const;
  [[nodiscard]] bool is_null(int col) const;

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
  StmtCache* cache_ = nullptr;
  std::string sql_;  // the cache key, when borrowed
};

// BEGIN IMMEDIATE on construction; ROLLBACK unless commit() was called.
class Transaction {
 public:
  explicit Transaction(sqlite3* db);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit();

 private:
  sqlite3* db_;
  bool done_ = false;
};

}  // namespace uda::sim
