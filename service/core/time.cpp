#include "core/time.hpp"

#include <fmt/format.h>

#include <cctype>
#include <charconv>

namespace uda {

// Howard Hinnant's days_from_civil.
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

CivilTime to_civil_utc(TimePoint t) {
  const std::int64_t ms = to_unix_ms(t);
  std::int64_t days = ms / 86'400'000;
  std::int64_t in_day = ms % 86'400'000;
  if (in_day < 0) {
    in_day += 86'400'000;
    days -= 1;
  }
  // Howard Hinnant's civil_from_days.
  const std::int64_t z = days + 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  CivilTime c;
  c.day = doy - (153 * mp + 2) / 5 + 1;
  c.month = mp < 10 ? mp + 3 : mp - 9;
  c.year = static_cast<std::int64_t>(yoe) + era * 400 + (c.month <= 2 ? 1 : 0);
  const auto rest = static_cast<unsigned>(in_day);
  c.hour = rest / 3'600'000;
  c.minute = rest / 60'000 % 60;
  c.second = rest / 1000 % 60;
  c.millisecond = rest % 1000;
  return c;
}

namespace {

bool read_int(std::string_view s, std::size_t pos, std::size_t len, int& out) {
  if (pos + len > s.size()) return false;
  for (std::size_t i = pos; i < pos + len; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
  }
  auto [p, ec] = std::from_chars(s.data() + pos, s.data() + pos + len, out);
  return ec == std::errc{} && p == s.data() + pos + len;
}

// 2026-02-30 is no date (rather than 2026-03-02).
int days_in_month(std::int64_t y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : kDays[m - 1];
}

// The range format_iso8601 writes with four year digits: 0000-01-01T00:00:00.000Z
// up to 9999-12-31T23:59:59.999Z. A zone offset can move a time just outside.
constexpr std::int64_t kFirstIsoMs = -62'167'219'200'000;  // 0000-01-01T00:00:00.000Z
constexpr std::int64_t kLastIsoMs = 253'402'300'799'999;   // 9999-12-31T23:59:59.999Z

}  // namespace

std::string format_iso8601(TimePoint t) {
  const CivilTime c = to_civil_utc(t);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", c.year, c.month, c.day, c.hour,
                     c.minute, c.second, c.millisecond);
}

std::optional<TimePoint> parse_iso8601(std::string_view s) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, se = 0;
  if (s.size() < 20) return std::nullopt;
  if (!read_int(s, 0, 4, y) || s[4] != '-' || !read_int(s, 5, 2, mo) || s[7] != '-' ||
      !read_int(s, 8, 2, d) || (s[10] != 'T' && s[10] != ' ' && s[10] != 't') ||
      !read_int(s, 11, 2, h) || s[13] != ':' || !read_int(s, 14, 2, mi) || s[16] != ':' ||
      !read_int(s, 17, 2, se)) {
    return std::nullopt;
  }
  if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || se > 60) {
    return std::nullopt;
  }
  std::size_t pos = 19;
  int ms = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    int digits = 0;
    while (pos < s.size() && std::isdigit(static_cast<unsigned char>(s[pos]))) {
      if (digits < 3) ms = ms * 10 + (s[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0) return std::nullopt;
    for (int i = digits; i < 3; ++i) ms *= 10;
  }
  int offset_min = 0;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    const int sign = s[pos] == '-' ? -1 : 1;
    int oh = 0, om = 0;
    if (!read_int(s, pos + 1, 2, oh) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
        !read_int(s, pos + 4, 2, om) || oh > 23 || om > 59) {
      return std::nullopt;
    }
    offset_min = sign * (oh * 60 + om);
    pos += 6;
  } else {
    return std::nullopt;  // a time without a zone is ambiguous: refuse it
  }
  if (pos != s.size()) return std::nullopt;
  const std::int64_t days = days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  const std::int64_t secs = days * 86400 + std::int64_t{h} * 3600 + std::int64_t{mi} * 60 + se -
                            std::int64_t{offset_min} * 60;
  const std::int64_t unix_ms = secs * 1000 + ms;
  // 0000-01-01T00:30:00+01:00 is in year -1 in UTC, which format_iso8601
  // cannot write as a time this function reads back: refuse it.
  if (unix_ms < kFirstIsoMs || unix_ms > kLastIsoMs) return std::nullopt;
  return from_unix_ms(unix_ms);
}

std::optional<TimePoint> parse_http_date(std::string_view s) {
  static constexpr std::string_view kDays[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
  static constexpr std::string_view kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  // "Wed, 25 Nov 2026 10:00:00 GMT" is exactly 29 characters.
  if (s.size() != 29 || s.substr(3, 2) != ", " || s[7] != ' ' || s[11] != ' ' || s[16] != ' ' ||
      s[19] != ':' || s[22] != ':' || s.substr(25) != " GMT") {
    return std::nullopt;
  }
  bool day_ok = false;
  for (const auto day : kDays) day_ok = day_ok || s.substr(0, 3) == day;
  unsigned mo = 0;
  for (unsigned i = 0; i < 12; ++i) {
    if (s.substr(8, 3) == kMonths[i]) mo = i + 1;
  }
  int d = 0, y = 0, h = 0, mi = 0, se = 0;
  if (!day_ok || mo == 0 || !read_int(s, 5, 2, d) || !read_int(s, 12, 4, y) ||
      !read_int(s, 17, 2, h) || !read_int(s, 20, 2, mi) || !read_int(s, 23, 2, se)) {
    return std::nullopt;
  }
  if (d < 1 || d > days_in_month(y, static_cast<int>(mo)) || h > 23 || mi > 59 || se > 60) {
    return std::nullopt;
  }
  const std::int64_t days = days_from_civil(y, mo, static_cast<unsigned>(d));
  const std::int64_t secs = days * 86400 + std::int64_t{h} * 3600 + std::int64_t{mi} * 60 + se;
  return from_unix_ms(secs * 1000);
}

std::optional<Millis> parse_duration(std::string_view s) {
  if (s == "0") return Millis(0);
  if (s.empty()) return std::nullopt;
  std::int64_t total = 0;
  std::size_t pos = 0;
  while (pos < s.size()) {
    std::int64_t n = 0;
    auto [p, ec] = std::from_chars(s.data() + pos, s.data() + s.size(), n);
    if (ec != std::errc{} || n < 0) return std::nullopt;
    pos = static_cast<std::size_t>(p - s.data());
    std::size_t unit_end = pos;
    while (unit_end < s.size() && std::isalpha(static_cast<unsigned char>(s[unit_end]))) ++unit_end;
    const auto unit = s.substr(pos, unit_end - pos);
    std::int64_t mult = 0;
    if (unit == "ms") {
      mult = 1;
    } else if (unit == "s") {
      mult = 1000;
    } else if (unit == "m") {
      mult = 60'000;
    } else if (unit == "h") {
      mult = 3'600'000;
    } else if (unit == "d") {
      mult = 86'400'000;
    } else {
      return std::nullopt;
    }
    if (n > (INT64_MAX / 4) / mult) return std::nullopt;
    total += n * mult;
    if (total > INT64_MAX / 4) return std::nullopt;
    pos = unit_end;
  }
  return Millis(total);
}

std::string format_duration(Millis d) {
  std::int64_t ms = d.count();
  if (ms == 0) return "0s";
  std::string out;
  const std::pair<std::int64_t, const char*> units[] = {
      {86'400'000, "d"}, {3'600'000, "h"}, {60'000, "m"}, {1000, "s"}, {1, "ms"}};
  if (ms < 0) {
    out = "-";
    ms = -ms;
  }
  for (const auto& [mult, name] : units) {
    if (ms >= mult) {
      out += std::to_string(ms / mult) + name;
      ms %= mult;
    }
  }
  return out;
}

std::optional<std::uint64_t> parse_size(std::string_view s) {
  std::uint64_t n = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (ec != std::errc{} || s.empty()) return std::nullopt;
  const auto unit = s.substr(static_cast<std::size_t>(p - s.data()));
  std::uint64_t mult = 0;
  if (unit.empty() || unit == "B") {
    mult = 1;
  } else if (unit == "KiB" || unit == "KB" || unit == "K") {
    mult = 1024;
  } else if (unit == "MiB" || unit == "MB" || unit == "M") {
    mult = 1024ULL * 1024;
  } else if (unit == "GiB" || unit == "GB" || unit == "G") {
    mult = 1024ULL * 1024 * 1024;
  } else {
    return std::nullopt;
  }
  if (n > UINT64_MAX / mult) return std::nullopt;
  return n * mult;
}

}  // namespace uda
