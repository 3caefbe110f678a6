#include "sources/usage/usage_trigger.hpp"

#include <fmt/format.h>

#include <array>
#include <charconv>
#include <cmath>

#include "core/user_account.hpp"

namespace uda {
namespace {

constexpr std::uint64_t kFnvOffset = 0xcbf29ce484222325ULL;
constexpr std::uint64_t kFnvPrime = 0x100000001b3ULL;

std::uint64_t fnv1a(std::string_view s) {
  std::uint64_t h = kFnvOffset;
  for (const char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= kFnvPrime;
  }
  return h;
}

constexpr std::int64_t kMillisPerDay = 24LL * 3600 * 1000;
// Whole doubles below this are written as integers (exact in a double).
constexpr double kExactIntegers = 9007199254740992.0;  // 2^53

}  // namespace

std::optional<std::string> usage_row_problem(const ConsoleUsage& row) {
  if (row.resource_id == 0) return std::string("ResourceID is 0");
  const auto user = trim(row.system_console_user);
  if (user.empty()) return std::string("SystemConsoleUser is empty");
  if (row.system_console_user.size() > kMaxUserLength) {
    return fmt::format("SystemConsoleUser is longer than {} characters", kMaxUserLength);
  }
  if (!parse_domain_user(user)) {
    return fmt::format("SystemConsoleUser '{}' is not DOMAIN\\user", user);
  }
  if (!std::isfinite(row.total_console_minutes) || row.total_console_minutes < 0) {
    return fmt::format("TotalUserConsoleMinutes {} is not a number >= 0",
                       row.total_console_minutes);
  }
  if (row.console_logons < 0) {
    return fmt::format("NumberOfConsoleLogons {} is negative", row.console_logons);
  }
  return std::nullopt;
}

std::string canonical_minutes(double minutes) {
  if (std::isfinite(minutes) && std::floor(minutes) == minutes &&
      std::fabs(minutes) < kExactIntegers) {
    // "-0" would differ from "0" only in sign: both are 0 minutes.
    return std::to_string(static_cast<long long>(minutes));
  }
  std::array<char, 64> buf{};
  const auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), minutes);
  if (ec != std::errc{}) return fmt::format("{}", minutes);
  return std::string(buf.data(), end);
}

UsageFingerprint usage_fingerprint(const ConsoleUsage& row) {
  UsageFingerprint fp;
  fp.resource_id = row.resource_id;
  fp.user_lc = ascii_lower(trim(row.system_console_user));
  fp.minutes = canonical_minutes(row.total_console_minutes);
  fp.logons = row.console_logons;
  if (row.last_console_use) fp.last_use_ms = to_unix_ms(*row.last_console_use);
  return fp;
}

std::string usage_trigger_id(const UsageFingerprint& fp) {
  // Fields separated by a byte that cannot occur in any of them.
  const std::string text =
      fmt::format("v1\x1f{}\x1f{}\x1f{}\x1f{}\x1f{}", fp.resource_id, fp.user_lc, fp.minutes,
                  fp.logons, fp.last_use_ms ? std::to_string(*fp.last_use_ms) : std::string("-"));
  return fmt::format("usage-{}-{:016x}", fp.resource_id, fnv1a(text));
}

std::int64_t whole_days_since(TimePoint last_use, TimePoint now) {
  const std::int64_t ms = to_unix_ms(now) - to_unix_ms(last_use);
  if (ms <= 0) return 0;
  return ms / kMillisPerDay;
}

Expected<Trigger> usage_trigger(const ConsoleUsage& row, std::string_view origin, TimePoint now) {
  if (auto problem = usage_row_problem(row)) return Error{std::move(*problem)};
  const auto fp = usage_fingerprint(row);
  Trigger t;
  t.id = usage_trigger_id(fp);
  t.kind = TriggerKind::Usage;
  t.machine.resource_id = row.resource_id;
  t.user = std::string(trim(row.system_console_user));
  t.origin = std::string(origin);
  t.received_at = now;
  t.attributes.emplace(kUsageMinutesAttr, row.total_console_minutes);
  t.attributes.emplace(kUsageLogonsAttr, static_cast<double>(row.console_logons));
  if (row.last_console_use) {
    t.attributes.emplace(kUsageLastUseAttr, format_iso8601(*row.last_console_use));
    t.attributes.emplace(kUsageDaysAttr,
                         static_cast<double>(whole_days_since(*row.last_console_use, now)));
  }
  if (auto st = validate(t); !st) return st.error();
  return t;
}

}  // namespace uda
