#include "core/trigger_json.hpp"

#include <gtest/gtest.h>

namespace uda {
namespace {

TEST(TriggerJson, ParsesFullTrigger) {
  auto t = trigger_from_json_text(R"({"id":"t-1","kind":"OSD",
      "machine":{"resource_id":16777220,"name":"WKS-001"},
      "user":"CONTOSO\\jdoe","origin":"ts","received_at":"2026-11-24T10:00:00Z",
      "attributes":{"usage.minutes":3120,"ts.name":"Win11","osd.success":true}})",
                                  "cli");
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_EQ(t->id, "t-1");
  EXPECT_EQ(t->kind, TriggerKind::Osd);
  EXPECT_EQ(t->machine.resource_id, 16777220U);
  EXPECT_EQ(t->machine.name, "WKS-001");
  EXPECT_EQ(t->user, "CONTOSO\\jdoe");
  EXPECT_EQ(t->origin, "ts");
  EXPECT_EQ(std::get<double>(t->attributes.at("usage.minutes")), 3120.0);
  EXPECT_EQ(std::get<std::string>(t->attributes.at("ts.name")), "Win11");
  EXPECT_TRUE(std::get<bool>(t->attributes.at("osd.success")));
  EXPECT_EQ(format_iso8601(t->received_at), "2026-11-24T10:00:00.000Z");
}

TEST(TriggerJson, FillsDefaultsAndShorthands) {
  auto t = trigger_from_json_text(R"({"kind":"manual","machine":16777221,"user":"a@contoso.com"})",
                                  "http:ops");
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_EQ(t->id.size(), 36U);
  EXPECT_EQ(t->origin, "http:ops");
  EXPECT_EQ(t->machine.resource_id, 16777221U);
  auto n = trigger_from_json_text(R"({"kind":"manual","machine":"WKS-9","user":"C\\u"})", "cli");
  ASSERT_TRUE(n);
  EXPECT_EQ(n->machine.name, "WKS-9");
}

TEST(TriggerJson, RoundTrips) {
  auto t = trigger_from_json_text(
      R"({"kind":"usage","machine":{"resource_id":5},"user":"C\\u","attributes":{"x":1.5}})",
      "cli");
  ASSERT_TRUE(t);
  auto again = trigger_from_json(to_json(*t), "other");
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(to_json(*again), to_json(*t));
}

// Found by tests/fuzz (fuzz_trigger_json): nlohmann::json reports a number
// beyond a double as out_of_range, not parse_error; it escaped as an exception.
TEST(TriggerJson, NumberBeyondADoubleIsAnErrorNotAnException) {
  Expected<Trigger> t = Error{};
  EXPECT_NO_THROW(
      t = trigger_from_json_text(
          R"({"kind":"osd","machine":1,"user":"C\\u","attributes":{"n":1e400}})", "cli"));
  ASSERT_FALSE(t);
  EXPECT_NE(t.error().message.find("not valid JSON"), std::string::npos) << t.error().message;
  EXPECT_NE(t.error().message.find("1e400"), std::string::npos) << t.error().message;
}

// Found by tests/fuzz (the round-trip property of fuzz_trigger_json): a zone
// offset moved received_at out of years 0000..9999, and the trigger's own JSON
// form was then refused.
TEST(TriggerJson, ReceivedAtReadsBackFromItsJsonForm) {
  for (const char* at : {"0000-01-01T00:30:00+01:00", "9999-12-31T23:59:59-00:01"}) {
    auto t = trigger_from_json_text(
        std::string(R"({"kind":"osd","machine":1,"user":"C\\u","received_at":")") + at + "\"}",
        "cli");
    ASSERT_FALSE(t) << at;
    EXPECT_NE(t.error().message.find("received_at"), std::string::npos) << t.error().message;
  }
  for (const char* at : {"0000-01-01T01:00:00+01:00", "9999-12-31T23:59:59.999Z"}) {
    auto t = trigger_from_json_text(
        std::string(R"({"kind":"osd","machine":1,"user":"C\\u","received_at":")") + at + "\"}",
        "cli");
    ASSERT_TRUE(t) << at << ": " << t.error().message;
    auto again = trigger_from_json_text(to_json(*t).dump(), "cli");
    ASSERT_TRUE(again) << again.error().message;
    EXPECT_EQ(again->received_at, t->received_at);
  }
}

struct BadCase {
  const char* json;
  const char* field;
};

void PrintTo(const BadCase& c, std::ostream* os) {
  *os << c.json;
}

class TriggerJsonErrors : public ::testing::TestWithParam<BadCase> {};

TEST_P(TriggerJsonErrors, NamesTheField) {
  auto t = trigger_from_json_text(GetParam().json, "cli");
  ASSERT_FALSE(t) << GetParam().json;
  EXPECT_NE(t.error().message.find(GetParam().field), std::string::npos) << t.error().message;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, TriggerJsonErrors,
    ::testing::Values(
        BadCase{R"({"kind":"osd","machine":1,"user":"C\\u"} trailing)", "not valid JSON"},
        BadCase{R"([])", "trigger"},
        BadCase{R"({"kind":"reboot","machine":1,"user":"C\\u"})", "kind"},
        BadCase{R"({"machine":1,"user":"C\\u"})", "kind"},
        BadCase{R"({"kind":"osd","user":"C\\u"})", "machine"},
        BadCase{R"({"kind":"osd","machine":{},"user":"C\\u"})", "machine"},
        BadCase{R"({"kind":"osd","machine":"16777220x","user":"jdoe"})", "user"},
        BadCase{R"({"kind":"osd","machine":{"resource_id":"16777220"},"user":"C\\u"})",
                "machine.resource_id"},
        BadCase{R"({"kind":"osd","machine":{"resource_id":0},"user":"C\\u"})",
                "machine.resource_id"},
        BadCase{R"({"kind":"osd","machine":{"resource_id":4294967296},"user":"C\\u"})",
                "machine.resource_id"},
        BadCase{R"({"kind":"osd","machine":{"resource_id":-3},"user":"C\\u"})",
                "machine.resource_id"},
        BadCase{R"({"kind":"osd","machine":{"resource_id":1.5},"user":"C\\u"})",
                "machine.resource_id"},
        BadCase{R"({"kind":"osd","machine":{"id":1},"user":"C\\u"})", "machine.id"},
        BadCase{R"({"kind":"osd","machine":1,"user":42})", "user"},
        BadCase{R"({"kind":"osd","machine":1,"user":"C\\u","attributes":{"a":[1]}})",
                "attributes.a"},
        BadCase{R"({"kind":"osd","machine":1,"user":"C\\u","attributes":[]})", "attributes"},
        BadCase{R"({"kind":"osd","machine":1,"user":"C\\u","received_at":"today"})", "received_at"},
        BadCase{R"({"kind":"osd","machine":1,"user":"C\\u","colour":"red"})", "colour"}),
    [](const auto& param_info) { return "Case" + std::to_string(param_info.index); });

}  // namespace
}  // namespace uda
