#pragma once
// Reads the agent's store and the simulated site's state straight from their
// SQLite files, read-only, the way an auditor would: no agent code involved.

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace uda::test {

class SqliteFile {
 public:
  using Row = std::vector<std::optional<std::string>>;  // NULL = nullopt

  explicit SqliteFile(const std::filesystem::path& path) : path_(path.string()) {
    const int rc = sqlite3_open_v2(path_.c_str(), &db_, SQLITE_OPEN_READONLY, nullptr);
    if (rc != SQLITE_OK) {
      ADD_FAILURE() << "cannot open " << path_ << ": " << sqlite3_errstr(rc);
      sqlite3_close_v2(db_);
      db_ = nullptr;
      return;
    }
    sqlite3_busy_timeout(db_, 5000);
  }
  ~SqliteFile() { sqlite3_close_v2(db_); }
  SqliteFile(const SqliteFile&) = delete;
  SqliteFile& operator=(const SqliteFile&) = delete;

  [[nodiscard]] bool ok() const { return db_ != nullptr; }

  // Every row of a query with no parameters; an error is a test failure and
  // returns what was read so far.
  std::vector<Row> rows(const std::string& sql) const {
    std::vector<Row> out;
    if (db_ == nullptr) return out;
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &st, nullptr) != SQLITE_OK) {
      ADD_FAILURE() << path_ << ": " << sqlite3_errmsg(db_) << " in: " << sql;
      return out;
    }
    int rc = SQLITE_ROW;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
      Row row;
      for (int i = 0; i < sqlite3_column_count(st); ++i) {
        if (sqlite3_column_type(st, i) == SQLITE_NULL) {
          row.emplace_back();
        } else {
          const auto* t = reinterpret_cast<const char*>(sqlite3_column_text(st, i));
          row.emplace_back(std::string(t != nullptr ? t : ""));
        }
      }
      out.push_back(std::move(row));
    }
    if (rc != SQLITE_DONE) ADD_FAILURE() << path_ << ": " << sqlite3_errmsg(db_) << " in: " << sql;
    sqlite3_finalize(st);
    return out;
  }

  // The first column of the first row ("" when none or NULL).
  std::string scalar(const std::string& sql) const {
    auto r = rows(sql);
    return r.empty() || r[0].empty() || !r[0][0] ? std::string() : *r[0][0];
  }
  std::int64_t count(const std::string& sql) const {
    const auto s = scalar(sql);
    return s.empty() ? -1 : std::stoll(s);
  }

  // `PRAGMA integrity_check` joined into one string: "ok" when the file is sound.
  std::string integrity_check() const {
    std::string out;
    for (const auto& r : rows("PRAGMA integrity_check")) {
      if (!out.empty()) out += "; ";
      out += r.empty() || !r[0] ? "?" : *r[0];
    }
    return out;
  }

 private:
  std::string path_;
  sqlite3* db_ = nullptr;
};

}  // namespace uda::test
