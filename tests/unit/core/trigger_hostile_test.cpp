// Trigger validation against hostile text: what a client may put in each
// field, and what is refused before anything is stored. Accepted text is kept
// exactly (it is data, never query or log syntax); refused text never gets to
// a store, a query or a log line.
#include <gtest/gtest.h>

#include <functional>
#include <vector>

#include "core/trigger.hpp"
#include "core/trigger_json.hpp"

namespace uda {
namespace {

Trigger base() {
  Trigger t;
  t.id = "t-1";
  t.kind = TriggerKind::Osd;
  t.machine.resource_id = 16777220;
  t.user = "CONTOSO\\jdoe";
  t.origin = "http:test";
  return t;
}

TEST(TriggerHostile, InjectionLookingUsersThatAreValidAccountsAreKept) {
  for (const char* u :
       {"CONTOSO\\o'brien", "CONTOSO\\x' or UniqueUserName ne 'y", "CONTOSO\\a&$filter%27#{}",
        "CONTOSO\\{} {0} %s %n", "CONTOSO\\m\xc3\xbcller", "o'neil@contoso.com"}) {
    auto t = base();
    t.user = u;
    EXPECT_TRUE(validate(t)) << u;
  }
}

TEST(TriggerHostile, UsersThatAreNoAccountsAreRefused) {
  for (const char* u : {"CONTOSO\\x' OR 1=1 --", "CONTOSO\\\"; DROP TABLE jobs; --",
                        "jdoe\" status=202 token=\"admin", "CONTOSO\\a\\b", "CONTOSO\\a;b",
                        "CONTOSO\\a\nFORGED", "CONTOSO\\\x1b[31mred", "CONTOSO\\a\x7f",
                        "CONTOSO\\a\xc2\x9b"
                        "31m",
                        "CONTOSO\\a\xc2\x85", "CONTOSO\\a\xe2\x80\xa8", "CONTOSO\\\xe2\x80\xaeresu",
                        "a@b@c", "@contoso.com", "\\jdoe"}) {
    auto t = base();
    t.user = u;
    auto st = validate(t);
    ASSERT_FALSE(st) << u;
    EXPECT_EQ(st.error().message.rfind("user: ", 0), 0U) << st.error().message;
  }
}

TEST(TriggerHostile, UnicodeControlsAreRefusedInEveryTextField) {
  for (const char* bad :
       {"\xc2\x9b", "\xc2\x85", "\xe2\x80\xa8", "\xe2\x80\xa9", "\xe2\x80\xae", "\xe2\x81\xa6"}) {
    const std::string v = std::string("x") + bad + "y";
    auto id = base();
    id.id = v;
    EXPECT_FALSE(validate(id));
    auto name = base();
    name.machine.name = v;
    EXPECT_FALSE(validate(name));
    auto origin = base();
    origin.origin = v;
    EXPECT_FALSE(validate(origin));
    auto key = base();
    key.attributes.emplace(v, std::string("value"));
    EXPECT_FALSE(validate(key));
  }
  // Ordinary non-ASCII text is fine everywhere.
  auto t = base();
  t.id = "caf\xc3\xa9-\xe6\x9d\xb1\xe4\xba\xac";
  t.machine.name =
      "WKS-\xc3\x9c"
      "BER\xc2\xa0"
      "1";
  t.origin = "spool:\xe2\x80\xaf";
  EXPECT_TRUE(validate(t)) << validate(t).error().message;
}

TEST(TriggerHostile, JsonWithHostileTextIsRefusedWithTheField) {
  struct Case {
    const char* json;
    const char* field;
  };
  for (const auto& c : std::vector<Case>{
           {R"({"kind":"osd\n","machine":1,"user":"C\\u"})", "kind"},
           {R"({"kind":"osd","machine":"W\u2028","user":"C\\u"})", "machine.name"},
           {R"({"kind":"osd","machine":1,"user":"C\\u\u009b"})", "user"},
           {R"({"id":"a\u202e","kind":"osd","machine":1,"user":"C\\u"})", "id"},
           {R"({"kind":"osd","machine":1,"user":"C\\u","attributes":{"k\u0085":1}})", "attributes"},
       }) {
    auto t = trigger_from_json_text(c.json, "test");
    ASSERT_FALSE(t) << c.json;
    EXPECT_EQ(t.error().message.rfind(std::string(c.field) + ":", 0), 0U)
        << c.json << " -> " << t.error().message;
  }
}

TEST(TriggerHostile, EveryFieldHasASizeLimitAtItsEdge) {
  struct Case {
    const char* field;
    std::function<void(Trigger&, std::size_t)> set;
    std::size_t limit;
  };
  const std::vector<Case> cases{
      {"id", [](Trigger& t, std::size_t n) { t.id.assign(n, 'i'); }, kMaxIdLength},
      {"machine.name", [](Trigger& t, std::size_t n) { t.machine.name = std::string(n, 'n'); },
       kMaxMachineNameLength},
      {"user", [](Trigger& t, std::size_t n) { t.user = "C\\" + std::string(n - 2, 'u'); },
       kMaxUserLength},
      {"origin", [](Trigger& t, std::size_t n) { t.origin.assign(n, 'o'); }, kMaxOriginLength},
      {"attributes.a", [](Trigger& t, std::size_t n) { t.attributes["a"] = std::string(n, 'v'); },
       kMaxAttributeValueLength},
      {"attributes",
       [](Trigger& t, std::size_t n) {
         for (std::size_t i = 0; i < n; ++i) t.attributes["k" + std::to_string(i)] = 1.0;
       },
       kMaxAttributes},
      {"attributes", [](Trigger& t, std::size_t n) { t.attributes[std::string(n, 'k')] = true; },
       kMaxAttributeKeyLength},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.field);
    auto at = base();
    c.set(at, c.limit);
    // A user at the edge may still be refused for its form (104 characters
    // after the backslash); what matters is that one more is always refused.
    if (std::string(c.field) != "user") {
      EXPECT_TRUE(validate(at)) << validate(at).error().message;
    }
    auto over = base();
    c.set(over, c.limit + 1);
    auto st = validate(over);
    ASSERT_FALSE(st);
    EXPECT_EQ(st.error().message.rfind(std::string(c.field) + ":", 0), 0U) << st.error().message;
  }
}

TEST(TriggerHostile, BytesThatAreNotJsonTextAreAnErrorNotAnException) {
  std::string raw_nul = R"({"kind":"osd","machine":1,"user":"C\\u)";
  raw_nul += '\0';
  raw_nul += "\"}";
  const std::vector<std::string> texts{
      "{\"kind\":\"osd\",\"machine\":1,\"user\":\"C\\\\\xff\"}",   // not UTF-8
      "{\"kind\":\"osd\",\"machine\":1,\"user\":\"C\xc0\xafu\"}",  // overlong '/'
      R"({"kind":"osd","machine":1,"user":"C\\u\ud800"})",         // lone surrogate
      raw_nul,                                                     // raw NUL
      R"({"kind":"osd","machine":1e400,"user":"C\\u"})",           // beyond a double
      R"({"kind":"osd","machine":-1e400,"user":"C\\u"})",
  };
  for (const auto& text : texts) {
    auto t = trigger_from_json_text(text, "test");
    ASSERT_FALSE(t) << text;
    EXPECT_EQ(t.error().message.rfind("trigger: not valid JSON", 0), 0U) << t.error().message;
  }
}

}  // namespace
}  // namespace uda
