// usage_trigger: one console-usage row -> one `usage` trigger, with a
// deterministic id.

#include "sources/usage/usage_trigger.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <limits>
#include <regex>
#include <string>
#include <variant>
#include <vector>

namespace uda {
namespace {

using ::testing::HasSubstr;

// 2026-11-01T08:30:00Z
const TimePoint kLastUse = from_unix_ms(1'793'521'800'000);
constexpr std::int64_t kDay = 24LL * 3600 * 1000;

ConsoleUsage row(std::string user = "CONTOSO\\jdoe", double minutes = 3120,
                 std::int64_t logons = 42, std::optional<TimePoint> last = kLastUse) {
  return ConsoleUsage{16777220, std::move(user), minutes, logons, last};
}

double number(const Trigger& t, std::string_view key) {
  auto it = t.attributes.find(key);
  if (it == t.attributes.end()) {
    ADD_FAILURE() << "no attribute " << key;
    return -1;
  }
  return std::get<double>(it->second);
}

TEST(UsageTrigger, MapsRowToTrigger) {
  const TimePoint now = kLastUse + Millis(3 * kDay + 5 * 3600 * 1000);
  auto t = usage_trigger(row(), "usage-poller", now);
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_EQ(t->kind, TriggerKind::Usage);
  ASSERT_TRUE(t->machine.resource_id);
  EXPECT_EQ(*t->machine.resource_id, 16777220U);
  EXPECT_FALSE(t->machine.name);
  EXPECT_EQ(t->user, "CONTOSO\\jdoe");
  EXPECT_EQ(t->origin, "usage-poller");
  EXPECT_EQ(t->received_at, now);
  EXPECT_EQ(t->attributes.size(), 4U);
  EXPECT_EQ(number(*t, "usage.minutes"), 3120.0);
  EXPECT_EQ(number(*t, "usage.logons"), 42.0);
  EXPECT_EQ(number(*t, "usage.days"), 3.0);
  ASSERT_TRUE(t->attributes.contains("usage.last_use"));
  EXPECT_EQ(std::get<std::string>(t->attributes.at("usage.last_use")), "2026-11-01T08:30:00.000Z");
  EXPECT_TRUE(validate(*t));
}

TEST(UsageTrigger, IdIsDeterministicAndStable) {
  auto a = usage_trigger(row(), "usage-poller", kLastUse + Millis(kDay));
  auto b = usage_trigger(row(), "other-origin", kLastUse + Millis(40 * kDay));
  ASSERT_TRUE(a && b);
  // Same row, read at another time or handed over by another origin: same id.
  EXPECT_EQ(a->id, b->id);
  EXPECT_TRUE(std::regex_match(a->id, std::regex("usage-16777220-[0-9a-f]{16}"))) << a->id;
  // The scheme is part of the state: changing it re-sends every row once.
  EXPECT_EQ(a->id, "usage-16777220-214591d4aa6c002c");
  auto c = usage_trigger(row("CONTOSO\\jdoe", 12.5, 3, std::nullopt), "x", kLastUse);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->id, "usage-16777220-ef9f3a755bc6cf4c");
}

TEST(UsageTrigger, IdIgnoresCaseAndSpaceOfUser) {
  auto a = usage_trigger(row("CONTOSO\\JDoe"), "o", kLastUse);
  auto b = usage_trigger(row("  contoso\\jdoe "), "o", kLastUse);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->id, b->id);
  EXPECT_EQ(a->user, "CONTOSO\\JDoe");  // the user as the site reported it
  EXPECT_EQ(b->user, "contoso\\jdoe");  // trimmed
}

TEST(UsageTrigger, IdChangesWithEveryValue) {
  const auto id = [](const ConsoleUsage& r) { return usage_trigger_id(usage_fingerprint(r)); };
  const auto base = id(row());
  EXPECT_NE(base, id(row("CONTOSO\\other")));
  EXPECT_NE(base, id(row("CONTOSO\\jdoe", 3121)));
  EXPECT_NE(base, id(row("CONTOSO\\jdoe", 3120.5)));
  EXPECT_NE(base, id(row("CONTOSO\\jdoe", 3120, 43)));
  EXPECT_NE(base, id(row("CONTOSO\\jdoe", 3120, 42, kLastUse + Millis(1))));
  EXPECT_NE(base, id(row("CONTOSO\\jdoe", 3120, 42, std::nullopt)));
  auto other_device = row();
  other_device.resource_id = 16777221;
  EXPECT_TRUE(std::regex_match(id(other_device), std::regex("usage-16777221-[0-9a-f]{16}")))
      << id(other_device);
}

TEST(UsageTrigger, UnknownLastUseLeavesDaysAndLastUseOut) {
  auto t = usage_trigger(row("CONTOSO\\jdoe", 100, 1, std::nullopt), "o", kLastUse);
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_FALSE(t->attributes.contains("usage.days"));
  EXPECT_FALSE(t->attributes.contains("usage.last_use"));
  EXPECT_EQ(number(*t, "usage.minutes"), 100.0);
  EXPECT_EQ(number(*t, "usage.logons"), 1.0);
}

TEST(UsageTrigger, WholeDaysRoundDownAndNeverNegative) {
  EXPECT_EQ(whole_days_since(kLastUse, kLastUse), 0);
  EXPECT_EQ(whole_days_since(kLastUse, kLastUse + Millis(kDay - 1)), 0);
  EXPECT_EQ(whole_days_since(kLastUse, kLastUse + Millis(kDay)), 1);
  EXPECT_EQ(whole_days_since(kLastUse, kLastUse + Millis(30 * kDay + 1)), 30);
  EXPECT_EQ(whole_days_since(kLastUse, kLastUse - Millis(5 * kDay)), 0);  // in the future
  auto t = usage_trigger(row(), "o", kLastUse - Millis(kDay));
  ASSERT_TRUE(t);
  EXPECT_EQ(number(*t, "usage.days"), 0.0);
}

TEST(UsageTrigger, BadUsersAreRefused) {
  const std::vector<std::string> users = {"",
                                          "   ",
                                          "jdoe",
                                          "jdoe@contoso.com",
                                          "CONTOSO\\",
                                          "\\jdoe",
                                          "A\\B\\C",
                                          "CONTOSO\\j*doe",
                                          std::string("CONTOSO\\j\x01") + "doe",
                                          "CONTOSO\\" + std::string(300, 'a')};
  for (const auto& user : users) {
    auto t = usage_trigger(row(user), "o", kLastUse);
    EXPECT_FALSE(t) << "user '" << user << "' was accepted";
    EXPECT_TRUE(usage_row_problem(row(user))) << user;
  }
  EXPECT_THAT(usage_trigger(row("jdoe@contoso.com"), "o", kLastUse).error().message,
              HasSubstr("is not DOMAIN\\user"));
  EXPECT_THAT(usage_trigger(row(""), "o", kLastUse).error().message, HasSubstr("empty"));
}

TEST(UsageTrigger, BadNumbersAreRefused) {
  EXPECT_TRUE(usage_row_problem(row("CONTOSO\\jdoe", -1)));
  EXPECT_TRUE(usage_row_problem(row("CONTOSO\\jdoe", std::numeric_limits<double>::quiet_NaN())));
  EXPECT_TRUE(usage_row_problem(row("CONTOSO\\jdoe", std::numeric_limits<double>::infinity())));
  EXPECT_TRUE(usage_row_problem(row("CONTOSO\\jdoe", 1, -1)));
  auto zero = row();
  zero.resource_id = 0;
  EXPECT_THAT(*usage_row_problem(zero), HasSubstr("ResourceID"));
  EXPECT_FALSE(usage_row_problem(row("CONTOSO\\jdoe", 0, 0)));
}

TEST(UsageTrigger, CanonicalMinutes) {
  EXPECT_EQ(canonical_minutes(3120), "3120");
  EXPECT_EQ(canonical_minutes(0), "0");
  EXPECT_EQ(canonical_minutes(-0.0), "0");
  EXPECT_EQ(canonical_minutes(12.5), "12.5");
  EXPECT_EQ(canonical_minutes(0.1), "0.1");
  EXPECT_EQ(canonical_minutes(1e300), "1e+300");
}

TEST(UsageTrigger, FingerprintKeysOnLowercasedUser) {
  auto fp = usage_fingerprint(row("CONTOSO\\JDoe", 12.5, 3));
  EXPECT_EQ(fp.resource_id, 16777220U);
  EXPECT_EQ(fp.user_lc, "contoso\\jdoe");
  EXPECT_EQ(fp.minutes, "12.5");
  EXPECT_EQ(fp.logons, 3);
  EXPECT_EQ(fp.last_use_ms, to_unix_ms(kLastUse));
}

}  // namespace
}  // namespace uda
