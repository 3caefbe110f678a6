#pragma once
// Time points, durations and their text forms. Everything stored or logged is
// UTC; the store keeps unix milliseconds.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace uda {

using Clock = std::chrono::system_clock;
using TimePoint = std::chrono::time_point<Clock, std::chrono::milliseconds>;
using Millis = std::chrono::milliseconds;

inline TimePoint now_ms() {
  return std::chrono::time_point_cast<Millis>(Clock::now());
}
inline std::int64_t to_unix_ms(TimePoint t) {
  return t.time_since_epoch().count();
}
inline TimePoint from_unix_ms(std::int64_t ms) {
  return TimePoint(Millis(ms));
}

// A UTC calendar date and time of day, proleptic Gregorian. Computed with
// Howard Hinnant's civil-date algorithms, not gmtime: the C runtime's gmtime_s
// on Windows refuses times before 1970.
struct CivilTime {
  std::int64_t year = 1970;
  unsigned month = 1;  // 1..12
  unsigned day = 1;    // 1..31
  unsigned hour = 0;
  unsigned minute = 0;
  unsigned second = 0;
  unsigned millisecond = 0;
};
CivilTime to_civil_utc(TimePoint t);
// Days since 1970-01-01 of a proleptic Gregorian date (negative before it).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d);

// "2026-11-24T18:57:13.123Z"
std::string format_iso8601(TimePoint t);
// Accepts "YYYY-MM-DDTHH:MM:SS[.fff](Z|+HH:MM|-HH:MM)" and the same with ' ' for 'T'.
std::optional<TimePoint> parse_iso8601(std::string_view text);
// HTTP date, IMF-fixdate (RFC 9110 5.6.7): "Wed, 25 Nov 2026 10:00:00 GMT". The
// day name is checked for form, not against the date.
std::optional<TimePoint> parse_http_date(std::string_view text);

// "250ms", "5s", "2m", "1h", "30d", "1h30m"; a bare "0" is zero. No negatives.
std::optional<Millis> parse_duration(std::string_view text);
// Shortest exact form: 90000ms -> "1m30s".
std::string format_duration(Millis d);

// "10MiB", "512KiB", "1GiB", "4096" (bytes), "64KB" (= KiB).
std::optional<std::uint64_t> parse_size(std::string_view text);

// Source of time for code that must be testable (dispatcher, store purges).
class TimeSource {
 public:
  virtual ~TimeSource() = default;
  [[nodiscard]] virtual TimePoint now() const = 0;
};

class SystemTimeSource final : public TimeSource {
 public:
  [[nodiscard]] TimePoint now() const override { return now_ms(); }
};

}  // namespace uda
