#pragma once
// Where each subscription's bookmark lives between runs: the time up to which
// its events are known to be committed. On (re)connect the watcher runs the
// subscription's resume query from (bookmark - resume_overlap) to catch up on
// what happened while it was not listening. The agent keeps bookmarks in its
// SQLite store; InMemoryBookmarkStore is for tests and trials.
//
// The watcher calls load() and save() from its worker thread only (see
// event_source.hpp), never concurrently.

#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "core/result.hpp"
#include "core/time.hpp"

namespace uda {

class BookmarkStore {
 public:
  virtual ~BookmarkStore();
  // The saved bookmark, nullopt when the subscription has none yet.
  virtual Expected<std::optional<TimePoint>> load(const std::string& subscription) = 0;
  // Replaces the bookmark (durably, before returning ok).
  virtual Status save(const std::string& subscription, TimePoint bookmark) = 0;
};

class InMemoryBookmarkStore final : public BookmarkStore {
 public:
  Expected<std::optional<TimePoint>> load(const std::string& subscription) override;
  Status save(const std::string& subscription, TimePoint bookmark) override;

  // For tests: the current bookmarks, and a preset one.
  [[nodiscard]] std::map<std::string, TimePoint> snapshot() const;
  void set(const std::string& subscription, TimePoint bookmark);

 private:
  mutable std::mutex mu_;
  std::map<std::string, TimePoint> bookmarks_;
};

}  // namespace uda
