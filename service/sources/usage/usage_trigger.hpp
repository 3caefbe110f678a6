#pragma once
// One row of console usage (SMS_G_System_SYSTEM_CONSOLE_USER) becomes one
// trigger of kind `usage`. Pure: no I/O, the time is given.
//
// Attributes (what the rules test, e.g. `usage.minutes >= 2880`):
//   usage.minutes   TotalUserConsoleMinutes (number)
//   usage.logons    NumberOfConsoleLogons (number)
//   usage.last_use  LastConsoleUse, ISO 8601 UTC (string; absent when unknown)
//   usage.days      whole days from LastConsoleUse to the time of mapping
//                   (number; absent when LastConsoleUse is unknown)
//
// The trigger id is derived from what the row says, not from when it was
// read: "usage-<ResourceID>-<16 hex digits>", the hex being a 64-bit FNV-1a
// hash of (ResourceID, lowercased user, minutes, logons, last use). Sending
// the same row again (after a crash between the commit and the watermark
// write) gives the same id, which the store ignores as already present.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "core/time.hpp"
#include "core/trigger.hpp"
#include "providers/provider.hpp"

namespace uda {

inline constexpr std::string_view kUsageMinutesAttr = "usage.minutes";
inline constexpr std::string_view kUsageLogonsAttr = "usage.logons";
inline constexpr std::string_view kUsageLastUseAttr = "usage.last_use";
inline constexpr std::string_view kUsageDaysAttr = "usage.days";

// The row's values in a canonical form: what the id is made of and what a
// watermark compares.
struct UsageFingerprint {
  std::uint32_t resource_id = 0;
  std::string user_lc;  // SystemConsoleUser trimmed and lowercased: DOMAIN\user
  std::string minutes;  // canonical text of TotalUserConsoleMinutes ("3120", "12.5")
  std::int64_t logons = 0;
  std::optional<std::int64_t> last_use_ms;  // unix ms; empty when unknown

  bool operator==(const UsageFingerprint&) const = default;
};

// Why a row cannot become a trigger, or empty when it can: the user must be
// DOMAIN\user, the ResourceID non-zero, minutes and logons finite and >= 0.
std::optional<std::string> usage_row_problem(const ConsoleUsage& row);

// The canonical values of a row (call only for rows without a problem).
UsageFingerprint usage_fingerprint(const ConsoleUsage& row);

// "3120" for whole numbers below 2^53, otherwise the shortest text that reads
// back to the same double ("12.5", "1e+300").
std::string canonical_minutes(double minutes);

// "usage-<resource>-<16 hex>"
std::string usage_trigger_id(const UsageFingerprint& fp);

// Whole days from `last_use` to `now`, rounded down; 0 when last_use is later.
std::int64_t whole_days_since(TimePoint last_use, TimePoint now);

// One row -> one trigger (kind usage, machine.resource_id, user as in the
// row, received_at = now). The error is the row's problem.
Expected<Trigger> usage_trigger(const ConsoleUsage& row, std::string_view origin, TimePoint now);

}  // namespace uda
