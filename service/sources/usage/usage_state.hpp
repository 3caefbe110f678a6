#pragma once
// The usage poller's own SQLite file (usage.state_path): per (device, user)
// the values last handed to the store (a watermark), and the cursor of the
// current pass. A row is sent only when it differs from its watermark, so
// restarts and later passes do not send it again; the cursor lets a
// restarted agent continue a pass where it stopped.
//
// Separate from the job store on purpose: it is a cache of what was sent. If
// it is lost, the next pass sends every row again with the same ids, and the
// store ignores those it still holds.
//
// WAL, synchronous=FULL; schema version in PRAGMA user_version with
// migrations applied in order (as the job store does). Not thread-safe: the
// poller uses it from its io_context's thread only.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "core/time.hpp"
#include "sources/usage/usage_trigger.hpp"

namespace uda {

// What was last sent for one (device, user).
struct UsageWatermark {
  UsageFingerprint values;  // resource_id + user_lc are the key
  std::string trigger_id;
  TimePoint sent_at{};
};

enum class PassState { None, Running, Complete, Failed };
std::string_view to_string(PassState s);

struct UsageCursor {
  PassState state = PassState::None;    // None: no pass has started yet
  std::uint32_t after_resource_id = 0;  // the pass has handled every device up to this
  TimePoint started_at{};               // of the current / last pass
  std::optional<TimePoint> finished_at;
};

// One page's outcome, written in one transaction after its triggers were
// committed.
struct UsagePageRecord {
  std::uint32_t after = 0;           // the query's after_resource_id
  std::uint32_t last = 0;            // the page's last ResourceID: the new cursor
  bool last_page = false;            // no page follows: the pass is complete
  TimePoint at{};                    // now (finished_at of a complete pass)
  std::vector<UsageWatermark> sent;  // upserted
  // Watermarks of (device, user) pairs within (after, last] that the page no
  // longer has (the row or the device is gone); on the last page every
  // watermark above `last` goes too.
  std::vector<std::pair<std::uint32_t, std::string>> gone;
};

class UsageState {
 public:
  // Creates the file (and its folder) when missing, migrates it.
  static Expected<std::unique_ptr<UsageState>> open(const std::filesystem::path& path);
  ~UsageState();
  UsageState(const UsageState&) = delete;
  UsageState& operator=(const UsageState&) = delete;

  [[nodiscard]] const std::filesystem::path& path() const;
  [[nodiscard]] int schema_version() const;

  Expected<UsageCursor> cursor();
  // A new pass starts at `started_at`, from the first device.
  Status begin_pass(TimePoint started_at);
  // The pass ended before its last page (provider failure, retries used up).
  Status fail_pass(TimePoint at);
  // Watermarks of the devices in (after, last], ordered by device and user.
  Expected<std::vector<UsageWatermark>> watermarks(std::uint32_t after, std::uint32_t last);
  Status record_page(const UsagePageRecord& page);
  Expected<std::size_t> watermark_count();

 private:
  struct Impl;
  explicit UsageState(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The newest schema version of the state file this build knows.
int usage_state_schema_version();

}  // namespace uda
