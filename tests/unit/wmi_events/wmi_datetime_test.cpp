// WMI (DMTF) date-times: parse_wmi_datetime / format_wmi_datetime.

#include "sources/wmi_events/wmi_datetime.hpp"

#include <gtest/gtest.h>

namespace uda {
namespace {

std::string iso(std::string_view wmi) {
  const auto t = parse_wmi_datetime(wmi);
  return t ? format_iso8601(*t) : "invalid";
}

TEST(WmiDatetime, UtcOffsetZero) {
  EXPECT_EQ(iso("20261120081200.000000+000"), "2026-11-20T08:12:00.000Z");
}

TEST(WmiDatetime, OffsetIsMinutesEastOfUtc) {
  // 09:12 local at UTC+60 minutes is 08:12 UTC; 03:12 local at UTC-300 is 08:12 UTC.
  EXPECT_EQ(iso("20261120091200.000000+060"), "2026-11-20T08:12:00.000Z");
  EXPECT_EQ(iso("20261120031200.000000-300"), "2026-11-20T08:12:00.000Z");
  // UTC+5:30 and a day boundary.
  EXPECT_EQ(iso("20261121010000.000000+330"), "2026-11-20T19:30:00.000Z");
}

TEST(WmiDatetime, MicrosecondsAreCutToMilliseconds) {
  EXPECT_EQ(iso("20261120081200.123999+000"), "2026-11-20T08:12:00.123Z");
}

TEST(WmiDatetime, SmsProviderStarOffsetIsUtc) {
  EXPECT_EQ(iso("20261120081200.000000+***"), "2026-11-20T08:12:00.000Z");
}

TEST(WmiDatetime, LeapDays) {
  EXPECT_EQ(iso("20280229120000.000000+000"), "2028-02-29T12:00:00.000Z");
  EXPECT_EQ(iso("20270229120000.000000+000"), "invalid");
  EXPECT_EQ(iso("21000229120000.000000+000"), "invalid");
  EXPECT_EQ(iso("20000229120000.000000+000"), "2000-02-29T12:00:00.000Z");
}

TEST(WmiDatetime, RejectsMalformed) {
  for (const char* bad : {
           "",
           "20261120081200",             // no fraction or offset
           "20261120081200.000000+00",   // short offset
           "20261120081200.000000 000",  // no sign
           "20261120081200,000000+000",  // comma
           "2026112008120.0000000+000",  // misplaced dot
           "20261320081200.000000+000",  // month 13
           "20261131081200.000000+000",  // 31 November
           "20261120241200.000000+000",  // hour 24
           "20261120086000.000000+000",  // minute 60
           "2026112008****.000000+000",  // wildcards in the time
           "00000012000000.000000:000",  // an interval, not a point in time
           "20261120081200.000000+1x0",  // letters in the offset
           "20261120081200.000000+999",  // offset beyond a day
           "2026-11-20T08:12:00Z",       // ISO 8601 is not a WMI datetime
       }) {
    EXPECT_FALSE(parse_wmi_datetime(bad)) << bad;
  }
}

TEST(WmiDatetime, FormatIsUtcAndRoundTrips) {
  const auto t = parse_iso8601("2026-11-20T08:12:00.123Z");
  ASSERT_TRUE(t);
  EXPECT_EQ(format_wmi_datetime(*t), "20261120081200.123000+000");
  EXPECT_EQ(parse_wmi_datetime(format_wmi_datetime(*t)), t);
  const auto epoch = from_unix_ms(0);
  EXPECT_EQ(format_wmi_datetime(epoch), "19700101000000.000000+000");
  const auto before = from_unix_ms(-1);  // 1969-12-31T23:59:59.999Z
  EXPECT_EQ(format_wmi_datetime(before), "19691231235959.999000+000");
  EXPECT_EQ(parse_wmi_datetime(format_wmi_datetime(before)), before);
}

}  // namespace
}  // namespace uda
