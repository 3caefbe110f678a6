#pragma once
// Configuration of the usage-threshold poller (`usage:` in the agent config).
// Read strictly: unknown keys, wrong types and out-of-range values are errors
// with file:line:column.
//
// usage:
//   interval: 1h                 # a full pass over all devices at most this often (min 1m)
//   page_size: 500               # devices per query (1..10000)
//   max_queries_per_minute: 60   # bounded rate towards the site (1..1000)
//   state_path: ../var/usage-poller.db   # watermarks (SQLite); default next to the store
//   min_minutes: 0               # rows below this are not sent as triggers
//                                # (0 = send every change; the rules decide)
//   origin: usage-poller
//
// The section being present turns the poller on (`usage: {}` or an empty
// `usage:` runs it with these defaults).

#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>

#include "core/result.hpp"
#include "core/time.hpp"
#include "core/yaml_util.hpp"
#include "dispatch/backoff.hpp"

namespace uda {

struct UsageOptions {
  Millis interval{3600LL * 1000};
  std::size_t page_size{500};
  int max_queries_per_minute{60};
  // Absolute after parsing. Empty when the config names none: the agent puts
  // it next to the store (default_usage_state_path).
  std::filesystem::path state_path;
  double min_minutes{0};
  std::string origin{"usage-poller"};
  bool enabled = false;

  // Not read from the `usage:` section (the agent or a test sets them).
  Millis call_timeout{60'000};  // one console_usage query
  // Retry of one page (provider Retry, timeout, failed commit): full jitter;
  // after max_attempts failures in a row the pass ends.
  BackoffPolicy backoff{Millis(1000), Millis(300'000), 8};
  // Longest single timer wait: the TimeSource is read again after it, so a
  // wall-clock change (or a test's clock) is noticed.
  Millis clock_recheck{60'000};
  std::uint64_t seed = 0;  // backoff jitter; 0 = random
};

// Limits of the settings (also the bounds in error messages).
inline constexpr Millis kUsageMinInterval{60LL * 1000};
inline constexpr Millis kUsageMaxInterval{30LL * 24 * 3600 * 1000};
inline constexpr std::int64_t kUsageMaxPageSize = 10'000;
inline constexpr std::int64_t kUsageMaxQueriesPerMinute = 1000;
inline constexpr double kUsageMaxMinMinutes = 10'000'000;
// The state file's name when the config names none: next to the store.
inline constexpr std::string_view kUsageDefaultStateFile = "usage-poller.db";

// Parses the `usage` map (or an empty/null node: defaults). A relative
// state_path resolves against base_dir (the folder of the config file). The
// result has enabled = true.
Expected<UsageOptions> parse_usage_options(const yaml::Doc& doc, const YAML::Node& node,
                                           const std::filesystem::path& base_dir);

// <folder of the store>/usage-poller.db
std::filesystem::path default_usage_state_path(const std::filesystem::path& store_path);

}  // namespace uda
