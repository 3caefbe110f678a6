#include "sources/wmi_events/bookmark_store.hpp"

namespace uda {

BookmarkStore::~BookmarkStore() = default;

Expected<std::optional<TimePoint>> InMemoryBookmarkStore::load(const std::string& subscription) {
  std::lock_guard lock(mu_);
  const auto it = bookmarks_.find(subscription);
  if (it == bookmarks_.end()) return std::optional<TimePoint>{};
  return std::optional<TimePoint>(it->second);
}

Status InMemoryBookmarkStore::save(const std::string& subscription, TimePoint bookmark) {
  std::lock_guard lock(mu_);
  bookmarks_[subscription] = bookmark;
  return Status::Ok();
}

std::map<std::string, TimePoint> InMemoryBookmarkStore::snapshot() const {
  std::lock_guard lock(mu_);
  return bookmarks_;
}

void InMemoryBookmarkStore::set(const std::string& subscription, TimePoint bookmark) {
  std::lock_guard lock(mu_);
  bookmarks_[subscription] = bookmark;
}

}  // namespace uda
