#include "core/time.hpp"

#include <gtest/gtest.h>

namespace uda {
namespace {

TEST(Time, Iso8601RoundTrip) {
  auto t = parse_iso8601("2026-11-24T18:57:13.123Z");
  ASSERT_TRUE(t);
  EXPECT_EQ(to_unix_ms(*t), 1795546633123);
  EXPECT_EQ(format_iso8601(*t), "2026-11-24T18:57:13.123Z");
}

// Civil dates come from arithmetic, not gmtime (Windows' gmtime_s refuses times
// before 1970): check both sides of the epoch, leap days and far years against
// days_from_civil, the inverse.
TEST(Time, CivilUtcOnBothSidesOfTheEpoch) {
  EXPECT_EQ(format_iso8601(from_unix_ms(-1)), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(format_iso8601(from_unix_ms(0)), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(format_iso8601(from_unix_ms(951'782'400'000)), "2000-02-29T00:00:00.000Z");
  EXPECT_EQ(format_iso8601(from_unix_ms(-11'644'473'600'000)), "1601-01-01T00:00:00.000Z");
  for (std::int64_t day = -200'000; day <= 200'000; day += 997) {
    const auto t = from_unix_ms(day * 86'400'000 + 45'296'789);  // 12:34:56.789
    const CivilTime c = to_civil_utc(t);
    EXPECT_EQ(days_from_civil(c.year, c.month, c.day), day);
    EXPECT_EQ(c.hour, 12u);
    EXPECT_EQ(c.minute, 34u);
    EXPECT_EQ(c.second, 56u);
    EXPECT_EQ(c.millisecond, 789u);
    EXPECT_EQ(parse_iso8601(format_iso8601(t)), t) << format_iso8601(t);
  }
}

TEST(Time, Iso8601Offsets) {
  auto a = parse_iso8601("2026-01-01T01:00:00+01:00");
  auto b = parse_iso8601("2026-01-01T00:00:00Z");
  auto c = parse_iso8601("2025-12-31T19:30:00-04:30");
  ASSERT_TRUE(a && b && c);
  EXPECT_EQ(*a, *b);
  EXPECT_EQ(*c, *b);
  EXPECT_EQ(to_unix_ms(*parse_iso8601("1970-01-01T00:00:00Z")), 0);
  EXPECT_EQ(to_unix_ms(*parse_iso8601("2000-03-01 00:00:00.5Z")), 951868800500);
}

TEST(Time, Iso8601RejectsAmbiguousOrMalformed) {
  EXPECT_FALSE(parse_iso8601("2026-11-24T18:57:13"));  // no zone
  EXPECT_FALSE(parse_iso8601("2026-13-01T00:00:00Z"));
  EXPECT_FALSE(parse_iso8601("2026-11-24T25:00:00Z"));
  EXPECT_FALSE(parse_iso8601("2026-11-24T18:57:13Zjunk"));
  EXPECT_FALSE(parse_iso8601("yesterday"));
  EXPECT_FALSE(parse_iso8601(""));
}

TEST(Time, Iso8601RefusesDaysPastTheEndOfTheMonth) {
  EXPECT_FALSE(parse_iso8601("2026-02-29T00:00:00Z"));
  EXPECT_FALSE(parse_iso8601("2026-02-30T00:00:00Z"));  // was read as 2026-03-02
  EXPECT_FALSE(parse_iso8601("2026-04-31T00:00:00Z"));
  EXPECT_FALSE(parse_iso8601("1900-02-29T00:00:00Z"));
  EXPECT_TRUE(parse_iso8601("2028-02-29T00:00:00Z"));
  EXPECT_TRUE(parse_iso8601("2000-02-29T00:00:00Z"));
  EXPECT_TRUE(parse_iso8601("2026-12-31T23:59:59Z"));
  EXPECT_FALSE(parse_http_date("Mon, 30 Feb 2026 10:00:00 GMT"));
  EXPECT_TRUE(parse_http_date("Tue, 29 Feb 2028 10:00:00 GMT"));
}

// Found by tests/fuzz (fuzz_trigger_json): a zone offset could move a time
// out of years 0000..9999, where format_iso8601 writes what this refuses.
TEST(Time, Iso8601ReadsOnlyTimesItCanWriteBack) {
  EXPECT_FALSE(parse_iso8601("0000-01-01T00:30:00+01:00"));
  EXPECT_FALSE(parse_iso8601("9999-12-31T23:30:00-01:00"));
  EXPECT_FALSE(parse_iso8601("9999-12-31T23:59:60Z"));
  for (const char* s : {"0000-01-01T00:00:00.000Z", "9999-12-31T23:59:59.999Z",
                        "0000-01-01T01:00:00.000+01:00", "9999-12-31T22:59:59.999-01:00"}) {
    const auto t = parse_iso8601(s);
    ASSERT_TRUE(t) << s;
    EXPECT_EQ(parse_iso8601(format_iso8601(*t)), t) << s << " -> " << format_iso8601(*t);
  }
}

TEST(Time, HttpDates) {
  EXPECT_EQ(parse_http_date("Wed, 25 Nov 2026 10:00:30 GMT"),
            parse_iso8601("2026-11-25T10:00:30Z"));
  EXPECT_EQ(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"),
            parse_iso8601("1994-11-06T08:49:37Z"));
  EXPECT_FALSE(parse_http_date("Wed, 25 Nov 2026 10:00:30 UTC"));
  EXPECT_FALSE(parse_http_date("Xyz, 25 Nov 2026 10:00:30 GMT"));
  EXPECT_FALSE(parse_http_date("Wed, 25 Foo 2026 10:00:30 GMT"));
  EXPECT_FALSE(parse_http_date("Wed, 32 Nov 2026 10:00:30 GMT"));
  EXPECT_FALSE(parse_http_date("Wednesday, 25-Nov-26 10:00:30 GMT"));
  EXPECT_FALSE(parse_http_date(""));
}

TEST(Time, Durations) {
  EXPECT_EQ(parse_duration("250ms"), Millis(250));
  EXPECT_EQ(parse_duration("5s"), Millis(5000));
  EXPECT_EQ(parse_duration("2m"), Millis(120000));
  EXPECT_EQ(parse_duration("1h30m"), Millis(5400000));
  EXPECT_EQ(parse_duration("30d"), Millis(2592000000));
  EXPECT_EQ(parse_duration("0"), Millis(0));
  EXPECT_FALSE(parse_duration("5"));
  EXPECT_FALSE(parse_duration("-5s"));
  EXPECT_FALSE(parse_duration("5 s"));
  EXPECT_FALSE(parse_duration("5w"));
  EXPECT_FALSE(parse_duration(""));
  EXPECT_FALSE(parse_duration("99999999999999999999d"));
  EXPECT_EQ(format_duration(Millis(90000)), "1m30s");
  EXPECT_EQ(format_duration(Millis(1500)), "1s500ms");
  EXPECT_EQ(format_duration(Millis(0)), "0s");
}

TEST(Time, Sizes) {
  EXPECT_EQ(parse_size("4096"), 4096U);
  EXPECT_EQ(parse_size("10MiB"), 10U * 1024 * 1024);
  EXPECT_EQ(parse_size("64KB"), 64U * 1024);
  EXPECT_FALSE(parse_size("10 MiB"));
  EXPECT_FALSE(parse_size("MiB"));
  EXPECT_FALSE(parse_size("99999999999999GiB"));
}

}  // namespace
}  // namespace uda
