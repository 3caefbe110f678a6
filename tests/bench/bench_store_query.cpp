#include "bench_store_query.hpp"

#include <sqlite3.h>

namespace uda::bench {

std::optional<std::int64_t> query_int(const std::filesystem::path& db_path,
                                      const std::string& sql) {
  sqlite3* db = nullptr;
  std::optional<std::int64_t> n;
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_busy_timeout(db, 5000);
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
      n = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
  }
  sqlite3_close(db);
  return n;
}

std::int64_t store_bytes(const std::filesystem::path& db_path) {
  std::error_code ec;
  std::int64_t total = 0;
  for (const auto& p : {db_path, std::filesystem::path(db_path.string() + "-wal")}) {
    const auto n = std::filesystem::file_size(p, ec);
    if (!ec) total += static_cast<std::int64_t>(n);
  }
  return total;
}

}  // namespace uda::bench
