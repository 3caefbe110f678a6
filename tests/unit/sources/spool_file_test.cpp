// parse_spool_file: pure parsing of one spool file (JSON or YAML) into
// validated triggers, with deterministic ids and errors that say where.

#include "sources/spool/spool_file.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <regex>
#include <string>

namespace uda {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

std::string error_of(std::string_view name, std::string_view content, std::size_t max = 1000) {
  auto r = parse_spool_file(name, content, "spool", max);
  EXPECT_FALSE(r) << "expected an error for " << name;
  return r ? std::string() : r.error().message;
}

TEST(SpoolFileNames, AcceptsKnownExtensionsInAnyCase) {
  EXPECT_TRUE(is_spool_file_name("a.json"));
  EXPECT_TRUE(is_spool_file_name("A.JSON"));
  EXPECT_TRUE(is_spool_file_name("b.yaml"));
  EXPECT_TRUE(is_spool_file_name("c.Yml"));
  EXPECT_TRUE(is_spool_file_name("osd.2026-11-24.json"));
  EXPECT_EQ(spool_format("x.YML"), SpoolFormat::Yaml);
  EXPECT_EQ(spool_format("x.Json"), SpoolFormat::Json);
  EXPECT_EQ(spool_format("x.txt"), std::nullopt);
}

TEST(SpoolFileNames, RefusesTemporariesDotfilesAndOtherNames) {
  EXPECT_FALSE(is_spool_file_name(""));
  EXPECT_FALSE(is_spool_file_name(".hidden.json"));
  EXPECT_FALSE(is_spool_file_name("a.json.tmp"));
  EXPECT_FALSE(is_spool_file_name("a.json.TMP"));
  EXPECT_FALSE(is_spool_file_name("a.json.partial"));
  EXPECT_FALSE(is_spool_file_name("a.txt"));
  EXPECT_FALSE(is_spool_file_name("a.json.error.txt"));
  EXPECT_FALSE(is_spool_file_name("../a.json"));
  EXPECT_FALSE(is_spool_file_name("sub\\a.json"));
  EXPECT_FALSE(is_spool_file_name("json"));
}

TEST(SpoolFileJson, OneObjectBecomesOneTrigger) {
  auto r = parse_spool_file(
      "a.json",
      R"({"kind": "osd", "machine": {"resource_id": 16777220}, "user": "CONTOSO\\jdoe"})");
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->size(), 1U);
  const auto& t = r->front();
  EXPECT_EQ(t.kind, TriggerKind::Osd);
  EXPECT_EQ(t.machine.resource_id, 16777220U);
  EXPECT_EQ(t.user, "CONTOSO\\jdoe");
  EXPECT_EQ(t.origin, "spool");
  EXPECT_THAT(t.id, StartsWith("spool-"));
}

TEST(SpoolFileJson, ArrayBecomesTriggersInOrder) {
  auto r = parse_spool_file("a.json", R"([
    {"kind": "osd", "machine": 16777220, "user": "CONTOSO\\a"},
    {"kind": "usage", "machine": "WKS-0002", "user": "b@contoso.com",
     "attributes": {"usage.minutes": 3120}}
  ])");
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->size(), 2U);
  EXPECT_EQ((*r)[0].machine.resource_id, 16777220U);
  EXPECT_EQ((*r)[1].machine.name, "WKS-0002");
  EXPECT_EQ(std::get<double>((*r)[1].attributes.at("usage.minutes")), 3120.0);
  EXPECT_NE((*r)[0].id, (*r)[1].id);
}

TEST(SpoolFileIds, AreDeterministicFromNameContentAndIndex) {
  const std::string content =
      R"([{"kind": "osd", "machine": 1, "user": "C\\a"}, {"kind": "osd", "machine": 2, "user": "C\\b"}])";
  auto a = parse_spool_file("x.json", content);
  auto b = parse_spool_file("x.json", content);
  ASSERT_TRUE(a && b);
  EXPECT_EQ((*a)[0].id, (*b)[0].id);
  EXPECT_EQ((*a)[1].id, (*b)[1].id);
  EXPECT_EQ((*a)[0].id, spool_trigger_id("x.json", content, 0));
  EXPECT_EQ((*a)[1].id, spool_trigger_id("x.json", content, 1));
  // std::regex: GoogleTest's own regex on Windows knows no [] or {}.
  EXPECT_TRUE(std::regex_match((*a)[0].id, std::regex("spool-[0-9a-f]{16}-0"))) << (*a)[0].id;
  // Another name or other content: other ids.
  auto c = parse_spool_file("y.json", content);
  ASSERT_TRUE(c);
  EXPECT_NE((*a)[0].id, (*c)[0].id);
  EXPECT_NE(spool_trigger_id("x.json", content, 0), spool_trigger_id("x.json", content + " ", 0));
  // A known FNV-1a value keeps ids stable across releases.
  EXPECT_EQ(spool_trigger_id("", "", 7), "spool-af63bd4c8601b7df-7");
}

TEST(SpoolFileIds, GivenIdAndOriginWin) {
  auto r = parse_spool_file(
      "a.json",
      R"({"id": "ts-42", "origin": "winpe", "kind": "osd", "machine": 1, "user": "C\\a"})",
      "spool:share");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->front().id, "ts-42");
  EXPECT_EQ(r->front().origin, "winpe");
  auto d =
      parse_spool_file("a.json", R"({"kind": "osd", "machine": 1, "user": "C\\a"})", "spool:share");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->front().origin, "spool:share");
}

TEST(SpoolFileJson, SyntaxErrorNamesFileAndByte) {
  const auto e = error_of("bad.json", R"({"kind": "osd", )");
  EXPECT_THAT(e, StartsWith("bad.json: not valid JSON at byte "));
  EXPECT_THAT(e, Not(HasSubstr("json.exception")));
}

TEST(SpoolFileJson, FieldErrorsNameTheTriggerAndField) {
  const auto e = error_of("list.json", R"([
    {"kind": "osd", "machine": 1, "user": "C\\a"},
    {"kind": "osd", "machine": 2, "user": "C\\b"},
    {"kind": "osd", "machine": 3, "user": "C\\c"},
    {"kind": "osd", "machine": {"resource_id": "x"}, "user": "C\\d"}
  ])");
  EXPECT_THAT(e, StartsWith("list.json: trigger [3]: machine.resource_id: must be"));

  EXPECT_THAT(error_of("one.json", R"({"kind": "osd", "machine": 1, "user": 5})"),
              StartsWith("one.json: user: required string"));
  EXPECT_THAT(error_of("k.json", R"({"kind": "reboot", "machine": 1, "user": "C\\a"})"),
              HasSubstr("kind: 'reboot' is not one of"));
  EXPECT_THAT(error_of("u.json", R"({"kind": "osd", "machine": 1, "user": "C\\a", "x": 1})"),
              HasSubstr("x: unknown field"));
  EXPECT_THAT(error_of("n.json", R"([{"kind": "osd", "machine": 1, "user": "C\\a"}, 5])"),
              StartsWith("n.json: trigger [1]: must be a map"));
}

TEST(SpoolFileJson, WrongTopLevelAndEmptyAreRefused) {
  EXPECT_THAT(error_of("s.json", R"("hello")"), HasSubstr("must hold one trigger"));
  EXPECT_THAT(error_of("e.json", "[]"), HasSubstr("empty"));
  EXPECT_THAT(error_of("z.json", ""), HasSubstr("z.json: is empty"));
  EXPECT_THAT(error_of("w.json", " \n\t "), HasSubstr("is empty"));
}

TEST(SpoolFileJson, TooManyTriggersIsAnError) {
  std::string content = "[";
  for (int i = 0; i < 4; ++i) {
    if (i) content += ",";
    content += R"({"kind": "osd", "machine": 1, "user": "C\\a"})";
  }
  content += "]";
  EXPECT_TRUE(parse_spool_file("m.json", content, "spool", 4));
  EXPECT_THAT(error_of("m.json", content, 3), HasSubstr("4 triggers; at most 3 per file"));
}

TEST(SpoolFileEncoding, BinaryNonUtf8AndUtf16AreRefusedClearly) {
  EXPECT_THAT(error_of("b.json", std::string("{\"kind\"\0\x01\x02", 10)),
              HasSubstr("NUL byte at byte 7"));
  EXPECT_THAT(error_of("l.json", "{\"user\": \"M\xFCller\"}"),
              HasSubstr("not valid UTF-8 at byte 11"));
  EXPECT_THAT(error_of("o.json", "\xC0\xAF"), HasSubstr("not valid UTF-8"));      // overlong
  EXPECT_THAT(error_of("s.json", "\xED\xA0\x80"), HasSubstr("not valid UTF-8"));  // surrogate
  EXPECT_THAT(error_of("w.json", std::string("\xFF\xFE{\0", 4)), HasSubstr("UTF-16"));
}

TEST(SpoolFileEncoding, Utf8WithBomAndNonAsciiIsFine) {
  auto r = parse_spool_file(
      "bom.json",
      "\xEF\xBB\xBF{\"kind\": \"osd\", \"machine\": 1, \"user\": \"C\\\\M\xC3\xBCller\"}");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->front().user, "C\\M\xC3\xBCller");
}

TEST(SpoolFileJson, DeepNestingDoesNotCrash) {
  const std::string deep = std::string(100'000, '[') + std::string(100'000, ']');
  EXPECT_FALSE(parse_spool_file("d.json", deep));
  EXPECT_FALSE(parse_spool_file("d.yaml", deep));
}

TEST(SpoolFileYaml, SameStructureAsJson) {
  auto r = parse_spool_file("a.yaml", R"(
- kind: osd
  machine: {resource_id: 16777220, name: WKS-0001}
  user: CONTOSO\jdoe
- kind: usage
  machine: 16777221
  user: bwilson@contoso.com
  attributes:
    usage.minutes: 3120
    usage.days: 21.5
    ts.name: Win11 OSD
    primary: true
)");
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->size(), 2U);
  EXPECT_EQ((*r)[0].machine.resource_id, 16777220U);
  EXPECT_EQ((*r)[0].machine.name, "WKS-0001");
  EXPECT_EQ((*r)[0].user, "CONTOSO\\jdoe");
  EXPECT_EQ((*r)[1].kind, TriggerKind::Usage);
  const auto& a = (*r)[1].attributes;
  EXPECT_EQ(std::get<double>(a.at("usage.minutes")), 3120.0);
  EXPECT_EQ(std::get<double>(a.at("usage.days")), 21.5);
  EXPECT_EQ(std::get<std::string>(a.at("ts.name")), "Win11 OSD");
  EXPECT_EQ(std::get<bool>(a.at("primary")), true);
}

TEST(SpoolFileYaml, QuotedScalarsStayStringsPlainOnesResolveByCoreSchema) {
  auto r = parse_spool_file("q.yml", R"(
kind: manual
machine: '16777220'
user: 'CONTOSO\jdoe'
attributes:
  quoted_number: "42"
  quoted_bool: 'true'
  quoted_null: 'null'
  plain_yes: yes
  plain_no: no
  hex: 0x1F
  float: 1.5e3
  text: 1.2.3
)");
  ASSERT_TRUE(r) << r.error().message;
  const auto& t = r->front();
  // A quoted machine is a name, not a resource id.
  EXPECT_FALSE(t.machine.resource_id);
  EXPECT_EQ(t.machine.name, "16777220");
  const auto& a = t.attributes;
  EXPECT_EQ(std::get<std::string>(a.at("quoted_number")), "42");
  EXPECT_EQ(std::get<std::string>(a.at("quoted_bool")), "true");
  EXPECT_EQ(std::get<std::string>(a.at("quoted_null")), "null");
  // YAML 1.2: yes/no are text, not booleans.
  EXPECT_EQ(std::get<std::string>(a.at("plain_yes")), "yes");
  EXPECT_EQ(std::get<std::string>(a.at("plain_no")), "no");
  EXPECT_EQ(std::get<double>(a.at("hex")), 31.0);
  EXPECT_EQ(std::get<double>(a.at("float")), 1500.0);
  EXPECT_EQ(std::get<std::string>(a.at("text")), "1.2.3");
}

TEST(SpoolFileYaml, NullsAndExplicitTags) {
  auto r = parse_spool_file("n.yaml", R"(
kind: osd
id: ~
machine: {resource_id: 16777220, name: null}
user: !!str CONTOSO\a
)");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_THAT(r->front().id, StartsWith("spool-"));
  EXPECT_FALSE(r->front().machine.name);
  EXPECT_THAT(error_of("t.yaml", "kind: osd\nmachine: !custom 5\nuser: C\\a\n"),
              HasSubstr("YAML tag '!custom' is not supported"));
  EXPECT_THAT(error_of("i.yaml", "kind: osd\nmachine: !!int abc\nuser: C\\a\n"),
              HasSubstr("not a valid !!int"));
}

TEST(SpoolFileYaml, SyntaxErrorHasLineAndColumn) {
  const auto e = error_of("bad.yaml", "kind: osd\nmachine: [1, 2\nuser: x\n");
  EXPECT_TRUE(std::regex_match(e, std::regex("bad\\.yaml:[0-9]+:[0-9]+: YAML syntax error: .*")))
      << e;
}

TEST(SpoolFileYaml, FieldErrorsHavePositionTriggerAndField) {
  const auto e = error_of("l.yaml", R"(- kind: osd
  machine: 1
  user: C\a
- kind: osd
  machine: {resource_id: -5}
  user: C\b
)");
  EXPECT_THAT(e, StartsWith("l.yaml:4:3: trigger [1]: machine.resource_id: must be"));
}

TEST(SpoolFileYaml, DuplicateKeysAndSeveralDocumentsAreRefused) {
  EXPECT_THAT(error_of("d.yaml", "kind: osd\nkind: usage\nmachine: 1\nuser: C\\a\n"),
              HasSubstr("duplicate key"));
  EXPECT_THAT(
      error_of("m.yaml",
               "kind: osd\nmachine: 1\nuser: C\\a\n---\nkind: osd\nmachine: 2\nuser: C\\b\n"),
      HasSubstr("2 YAML documents"));
  EXPECT_THAT(error_of("n.yaml", "# nothing here\n"), HasSubstr("must hold one trigger"));
  EXPECT_THAT(error_of("s.yaml", "just text\n"), HasSubstr("must hold one trigger"));
}

// Found by tests/fuzz (fuzz_spool_file): the check for further documents
// (YAML::LoadAll) never returned for this file, growing without bound; the
// spool watcher would have hung on it.
TEST(SpoolFileYaml, TextAfterAFlowMapIsASyntaxErrorNotAHang) {
  const std::string content =
      R"({"kind": "osd", "machine": {"resource_id": 1677+220}, "rs":ue "CONTOSO\\jdoe"76+220},7)"
      "\n";
  EXPECT_THAT(error_of("t.yaml", content),
              StartsWith("t.yaml:1:85: YAML syntax error: unexpected text after the end"));
  EXPECT_THAT(error_of("u.yaml", "{kind: osd, machine: 1, user: 'C\\a'}, 7\n"),
              HasSubstr("after the end of the document"));
}

// Found by tests/fuzz (fuzz_spool_file): a number beyond a double is
// nlohmann::json's out_of_range, not a parse_error; it escaped as an exception.
TEST(SpoolFileJson, NumberBeyondADoubleIsAnError) {
  std::string e;
  EXPECT_NO_THROW(
      e = error_of(
          "big.json",
          R"({"kind": "osd", "machine": 1, "user": "C\\a", "attributes": {"n": -1E999}})"));
  EXPECT_THAT(e, StartsWith("big.json: not valid JSON: number overflow"));
}

TEST(SpoolFileYaml, AliasExpansionIsBounded) {
  std::string bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  char prev = 'a';
  for (char c = 'b'; c <= 'h'; ++c) {
    bomb += std::string(1, c) + ": &" + c + " [";
    for (int i = 0; i < 10; ++i) bomb += std::string(i ? ", *" : "*") + prev;
    bomb += "]\n";
    prev = c;
  }
  EXPECT_THAT(error_of("bomb.yaml", bomb), HasSubstr("YAML nodes"));
}

TEST(SpoolFile, UnknownExtensionIsAnError) {
  EXPECT_THAT(error_of("a.txt", "{}"), HasSubstr("unknown file type"));
}

}  // namespace
}  // namespace uda
