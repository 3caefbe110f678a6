#include "sources/wmi_events/wmi_datetime.hpp"

#include <fmt/format.h>

#include <cstdint>

namespace uda {
namespace {

bool digits(std::string_view s, std::size_t pos, std::size_t len, int& out) {
  if (pos + len > s.size()) return false;
  int n = 0;
  for (std::size_t i = pos; i < pos + len; ++i) {
    const char c = s[i];
    if (c < '0' || c > '9') return false;
    n = n * 10 + (c - '0');
  }
  out = n;
  return true;
}

// UTC-12:00 .. UTC+14:00 are the offsets in use.
constexpr int kMaxOffsetMinutes = 14 * 60;

bool leap(int y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int days_in_month(int y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && leap(y) ? 29 : kDays[m - 1];
}

}  // namespace

std::optional<TimePoint> parse_wmi_datetime(std::string_view s) {
  // yyyymmddHHMMSS.mmmmmmsUUU
  if (s.size() != 25 || s[14] != '.' || (s[21] != '+' && s[21] != '-')) return std::nullopt;
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, se = 0, us = 0;
  if (!digits(s, 0, 4, y) || !digits(s, 4, 2, mo) || !digits(s, 6, 2, d) || !digits(s, 8, 2, h) ||
      !digits(s, 10, 2, mi) || !digits(s, 12, 2, se) || !digits(s, 15, 6, us)) {
    return std::nullopt;
  }
  if (y < 1601 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 ||
      se > 60) {
    return std::nullopt;
  }
  int offset = 0;
  if (s.substr(22) != "***") {
    if (!digits(s, 22, 3, offset) || offset > kMaxOffsetMinutes) return std::nullopt;
    if (s[21] == '-') offset = -offset;
  }
  const std::int64_t days = days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  const std::int64_t secs = days * 86400 + std::int64_t{h} * 3600 + std::int64_t{mi} * 60 + se -
                            std::int64_t{offset} * 60;
  return from_unix_ms(secs * 1000 + us / 1000);
}

std::string format_wmi_datetime(TimePoint t) {
  const CivilTime c = to_civil_utc(t);
  return fmt::format("{:04}{:02}{:02}{:02}{:02}{:02}.{:03}000+000", c.year, c.month, c.day, c.hour,
                     c.minute, c.second, c.millisecond);
}

}  // namespace uda
