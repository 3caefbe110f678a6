#pragma once
// Reads the simulated site's state file (var/site.db) the way an auditor
// would: straight from SQLite, read-only, independent of the agent's code.

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <string>

namespace uda::test {

class SiteReader {
 public:
  explicit SiteReader(const std::filesystem::path& path) {
    const int rc = sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READONLY, nullptr);
    EXPECT_EQ(rc, SQLITE_OK) << "cannot open " << path;
    if (db_ != nullptr) sqlite3_busy_timeout(db_, 5000);
  }
  ~SiteReader() { sqlite3_close_v2(db_); }
  SiteReader(const SiteReader&) = delete;
  SiteReader& operator=(const SiteReader&) = delete;

  // How many CreateRelationship calls changed the site for this device, user
  // and SourceId (created the row or added the source): 1 = exactly once.
  int effects_for(std::uint32_t resource_id, const std::string& user, int source_id) const {
    sqlite3_stmt* st = nullptr;
    const char* sql =
        "SELECT count(*) FROM effects WHERE resource_id = ? AND lower(unique_user_name) = "
        "lower(?) AND source_id = ? AND effect IN ('created', 'source-added')";
    if (sqlite3_prepare_v2(db_, sql, -1, &st, nullptr) != SQLITE_OK) {
      ADD_FAILURE() << sqlite3_errmsg(db_);
      return -1;
    }
    sqlite3_bind_int64(st, 1, resource_id);
    sqlite3_bind_text(st, 2, user.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 3, source_id);
    int n = -1;
    if (sqlite3_step(st) == SQLITE_ROW) n = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return n;
  }

 private:
  sqlite3* db_ = nullptr;
};

}  // namespace uda::test
