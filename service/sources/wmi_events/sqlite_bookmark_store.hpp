#pragma once
// The agent's BookmarkStore: one SQLite file (wmi-bookmarks.db next to the
// job store), one row per subscription. save() commits durably
// (synchronous=FULL) before it returns, so the next start's resume query
// begins where the committed events ended.

#include <filesystem>
#include <memory>

#include "sources/wmi_events/bookmark_store.hpp"

namespace uda {

class SqliteBookmarkStore final : public BookmarkStore {
 public:
  // Creates the file (and its table) when missing.
  static Expected<std::unique_ptr<SqliteBookmarkStore>> open(const std::filesystem::path& path);
  ~SqliteBookmarkStore() override;
  SqliteBookmarkStore(const SqliteBookmarkStore&) = delete;
  SqliteBookmarkStore& operator=(const SqliteBookmarkStore&) = delete;

  Expected<std::optional<TimePoint>> load(const std::string& subscription) override;
  Status save(const std::string& subscription, TimePoint bookmark) override;

  [[nodiscard]] const std::filesystem::path& path() const { return path_; }

 private:
  struct Db;
  SqliteBookmarkStore(std::filesystem::path path, std::unique_ptr<Db> db);
  std::filesystem::path path_;
  std::unique_ptr<Db> db_;
};

// <directory of the job store>/wmi-bookmarks.db
std::filesystem::path default_bookmark_path(const std::filesystem::path& store_path);

}  // namespace uda
