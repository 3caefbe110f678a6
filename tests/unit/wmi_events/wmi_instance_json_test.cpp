// WmiInstance: case-insensitive property bag and its JSON round trip,
// including every recorded instance in tests/data/wmi_events/.

#include "sources/wmi_events/wmi_instance_json.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "recorded_instances.hpp"

namespace uda {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

using test::read_text;

std::string json_error_of(std::string_view text) {
  auto r = wmi_instance_from_json_text(text);
  EXPECT_FALSE(r) << text;
  return r ? std::string() : r.error().message;
}

TEST(WmiInstance, PropertyNamesIgnoreCase) {
  WmiInstance i;
  i.class_name = "SMS_R_System";
  i.properties.emplace("ResourceID", std::int64_t{16777242});
  i.properties.emplace("TargetInstance.Name", std::string("WKS-0042"));
  ASSERT_NE(i.find("resourceid"), nullptr);
  EXPECT_EQ(std::get<std::int64_t>(*i.find("RESOURCEID")), 16777242);
  ASSERT_NE(i.find("targetinstance.name"), nullptr);
  EXPECT_EQ(i.find("Name"), nullptr);
  // Emplacing a name that differs only in case does not add a second property.
  EXPECT_FALSE(i.properties.emplace("resourceID", std::int64_t{1}).second);
  EXPECT_TRUE(iequals("__InstanceCreationEvent", "__instancecreationevent"));
  EXPECT_FALSE(iequals("Name", "Names"));
}

TEST(WmiInstance, ValueText) {
  EXPECT_EQ(scalar_text(WmiValue{true}), "true");
  EXPECT_EQ(scalar_text(WmiValue{std::int64_t{-5}}), "-5");
  EXPECT_EQ(scalar_text(WmiValue{2.5}), "2.5");
  EXPECT_EQ(scalar_text(WmiValue{std::string("x")}), "x");
  EXPECT_FALSE(scalar_text(WmiValue{}));
  EXPECT_FALSE(scalar_text(WmiValue{std::vector<std::string>{"a"}}));
  EXPECT_EQ(describe(WmiValue{}), "NULL");
  EXPECT_EQ(describe(WmiValue{std::string("a\nb")}), "'a\\x0ab'");
  EXPECT_EQ(describe(WmiValue{std::vector<std::string>{"a", "b"}}), "['a', 'b']");
  EXPECT_EQ(describe(WmiValue{std::vector<std::int64_t>{1, 2}}), "[1, 2]");
  EXPECT_EQ(describe(WmiValue{std::string(200, 'x')}, 10), "'xxxxxxxxxx...'");
  EXPECT_EQ(type_name(WmiValue{std::vector<std::int64_t>{}}), "integer array");
}

TEST(WmiInstance, AsTargetInstanceWrapsARow) {
  WmiInstance row;
  row.class_name = "SMS_R_System";
  row.properties.emplace("ResourceID", std::int64_t{7});
  const auto e = as_target_instance(row, kInstanceCreationEvent);
  EXPECT_EQ(e.class_name, "__InstanceCreationEvent");
  ASSERT_NE(e.find("TargetInstance.ResourceID"), nullptr);
  EXPECT_EQ(std::get<std::string>(*e.find("TargetInstance.__CLASS")), "SMS_R_System");
  EXPECT_EQ(e.properties.size(), 2U);
}

TEST(WmiInstanceJson, EveryValueTypeRoundTrips) {
  WmiInstance i;
  i.class_name = "Test_Class";
  i.properties.emplace("Null", WmiValue{});
  i.properties.emplace("Bool", true);
  i.properties.emplace("Int", std::int64_t{-42});
  i.properties.emplace("Big", std::int64_t{4294967295});
  i.properties.emplace("Real", 0.25);
  i.properties.emplace("Text", std::string("CONTOSO\\jdoe"));
  i.properties.emplace("Texts", std::vector<std::string>{"a", "b"});
  i.properties.emplace("Ints", std::vector<std::int64_t>{1, 2, 3});
  i.properties.emplace("TargetInstance.Name", std::string("WKS-1"));
  const auto j = to_json(i);
  EXPECT_TRUE(j["properties"]["Null"].is_null());
  EXPECT_EQ(j["properties"]["TargetInstance.Name"], "WKS-1");
  auto back = wmi_instance_from_json(j);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(*back, i);
  auto text = wmi_instance_from_json_text(j.dump(2));
  ASSERT_TRUE(text) << text.error().message;
  EXPECT_EQ(*text, i);
}

TEST(WmiInstanceJson, NestedInstancesAreFlattenedOneLevel) {
  auto i = wmi_instance_from_json_text(R"({"class": "__InstanceModificationEvent",
    "properties": {"TargetInstance": {"__CLASS": "SMS_R_System", "Name": "A"},
                   "PreviousInstance": {"Name": "B"}, "TIME_CREATED": "1"}})");
  ASSERT_TRUE(i) << i.error().message;
  EXPECT_EQ(i->properties.size(), 4U);
  EXPECT_EQ(std::get<std::string>(*i->find("TargetInstance.Name")), "A");
  EXPECT_EQ(std::get<std::string>(*i->find("previousinstance.name")), "B");
  // Written back flat, read again equal.
  auto again = wmi_instance_from_json(to_json(*i));
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(*again, *i);
}

TEST(WmiInstanceJson, EmptyArrayIsAStringArray) {
  auto i = wmi_instance_from_json_text(R"({"class": "C", "properties": {"A": []}})");
  ASSERT_TRUE(i) << i.error().message;
  EXPECT_TRUE(std::holds_alternative<std::vector<std::string>>(*i->find("A")));
}

TEST(WmiInstanceJson, Errors) {
  EXPECT_THAT(json_error_of("[1]"), HasSubstr("must be an object"));
  EXPECT_THAT(json_error_of("{\"class\": \"C\", \"extra\": 1}"), HasSubstr("unknown key 'extra'"));
  EXPECT_THAT(json_error_of("{\"properties\": {}}"), HasSubstr("class: required"));
  EXPECT_THAT(json_error_of("{\"class\": \"C\", \"properties\": []}"),
              HasSubstr("properties: must be an object"));
  EXPECT_THAT(json_error_of(R"({"class": "C", "properties": {"Name": "a", "NAME": "b"}})"),
              HasSubstr("given twice"));
  EXPECT_THAT(
      json_error_of(
          R"({"class": "C", "properties": {"TargetInstance": {"Name": 1}, "TargetInstance.name": 2}})"),
      HasSubstr("given twice"));
  EXPECT_THAT(json_error_of(R"({"class": "C", "properties": {"RecordID": 18446744073709551615}})"),
              HasSubstr("write it as \"18446744073709551615\""));
  EXPECT_THAT(json_error_of(R"({"class": "C", "properties": {"A": ["x", 1]}})"),
              HasSubstr("properties.A[1]: every item must be a string"));
  EXPECT_THAT(json_error_of(R"({"class": "C", "properties": {"A": [1.5]}})"),
              HasSubstr("strings or integers"));
  EXPECT_THAT(json_error_of(R"({"class": "C", "properties": {"T": {"U": {"V": 1}}}})"),
              HasSubstr("one level only"));
  EXPECT_THAT(json_error_of(R"({"class": "C", "properties": {"a.b.c": 1}})"),
              HasSubstr("not a valid property name"));
  EXPECT_THAT(json_error_of(R"({"class": "C", "properties": {"bad name": 1}})"),
              HasSubstr("not a valid property name"));
  EXPECT_THAT(json_error_of("{\"class\": "), HasSubstr("not valid JSON at byte"));
  // A number beyond a double is nlohmann::json's out_of_range, not a parse_error.
  EXPECT_THAT(json_error_of(R"({"class": "C", "properties": {"N": 1e400}})"),
              HasSubstr("not valid JSON: "));
  EXPECT_THAT(json_error_of(R"({"class": "C", "properties": {"S": ")" +
                            std::string(kMaxWmiStringLength + 1, 'x') + "\"}}"),
              HasSubstr("longer than"));
}

TEST(WmiInstanceJson, RecordedInstancesRoundTrip) {
  std::size_t files = 0;
  for (const auto& e : fs::directory_iterator(test::wmi_events_data())) {
    if (e.path().extension() != ".json") continue;
    ++files;
    auto i = wmi_instance_from_json_text(read_text(e.path()));
    ASSERT_TRUE(i) << e.path() << ": " << i.error().message;
    EXPECT_FALSE(i->class_name.empty()) << e.path();
    auto back = wmi_instance_from_json(to_json(*i));
    ASSERT_TRUE(back) << e.path() << ": " << back.error().message;
    EXPECT_EQ(*back, *i) << e.path();
  }
  EXPECT_GE(files, 8U);
}

}  // namespace
}  // namespace uda
