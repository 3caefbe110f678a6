// The shipped presets against recorded instances (tests/data/wmi_events/),
// written by hand from Microsoft's documented class properties.

#include "sources/wmi_events/presets.hpp"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "core/trigger_json.hpp"
#include "recorded_instances.hpp"
#include "sources/wmi_events/event_mapping.hpp"
#include "sources/wmi_events/wmi_events_options.hpp"
#include "sources/wmi_events/wmi_instance_json.hpp"

namespace uda {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

using test::read_text;
using test::recorded;

Subscription preset_sub(const std::string& preset, const std::string& name = "") {
  const auto text = fmt::format("wmi_events:\n  subscriptions:\n    - {{name: {}, preset: {}}}\n",
                                name.empty() ? preset : name, preset);
  auto root = yaml::load_text(text, "agent.yaml");
  EXPECT_TRUE(root);
  auto o = parse_wmi_events_options(yaml::Doc{"agent.yaml"}, (*root)["wmi_events"]);
  EXPECT_TRUE(o) << (o ? "" : o.error().message);
  return o ? o->subscriptions.at(0) : Subscription{};
}

const TimePoint kNow = *parse_iso8601("2026-11-20T08:20:00Z");

TEST(Presets, Listed) {
  EXPECT_EQ(preset_choices(), "new-device, osd-success, mdm-enrollment");
  EXPECT_NE(find_preset("OSD-Success"), nullptr);
  EXPECT_EQ(find_preset("osd"), nullptr);
  // Every preset parses on its own, polls SMS classes no faster than 60 s and
  // is documented in presets.hpp.
  const auto header =
      read_text(fs::path(UDA_SOURCE_DIR) / "service" / "sources" / "wmi_events" / "presets.hpp");
  for (const auto& p : presets()) {
    const auto s = preset_sub(std::string(p.name));
    EXPECT_EQ(s.preset, p.name);
    ASSERT_TRUE(s.within_seconds) << p.name;
    EXPECT_GE(*s.within_seconds, 60) << p.name;
    EXPECT_FALSE(p.summary.empty());
    EXPECT_THAT(header, HasSubstr(fmt::format("// {} — ", p.name))) << p.name;
    EXPECT_THAT(header, HasSubstr(fmt::format("TargetInstance ISA '{}'", s.target_class)));
  }
}

TEST(Presets, NewDeviceMapsTheRecordedCreationEvent) {
  const auto sub = preset_sub("new-device");
  const auto event = recorded("new_device_event.json");
  const auto r = map_event(sub, event, kNow);
  ASSERT_TRUE(r.trigger) << r.skipped_reason;
  EXPECT_FALSE(r.needs_user_lookup);
  const Trigger& t = *r.trigger;
  // Ids are stored: they must not change between releases.
  EXPECT_EQ(t.id, "wmi-new-device-586c4534f748db84");
  EXPECT_EQ(t.kind, TriggerKind::Discovery);
  EXPECT_EQ(t.machine.resource_id, 16777242U);
  EXPECT_EQ(t.machine.name, "WKS-0042");
  EXPECT_EQ(t.user, "CONTOSO\\jdoe");
  EXPECT_EQ(t.origin, "wmi:new-device");
  EXPECT_EQ(t.received_at, kNow);
  EXPECT_EQ(attributes_to_json(t.attributes),
            nlohmann::json({{"device.aad_id", "5c3f2e9a-7b41-4d2c-9a1e-0f6d8b2c4e71"},
                            {"device.client", 1.0}}));
  EXPECT_EQ(format_iso8601(*event_time(sub, event)), "2026-11-20T08:12:00.000Z");
}

TEST(Presets, NewDeviceResumeRowGivesTheSameTrigger) {
  const auto sub = preset_sub("new-device");
  const auto live = map_event(sub, recorded("new_device_event.json"), kNow);
  const auto row = as_target_instance(recorded("sms_r_system_row.json"), sub.event_class);
  const auto resumed = map_event(sub, row, kNow + Millis(60'000));
  ASSERT_TRUE(live.trigger);
  ASSERT_TRUE(resumed.trigger) << resumed.skipped_reason;
  EXPECT_EQ(resumed.trigger->id, live.trigger->id);
  EXPECT_EQ(resumed.trigger->user, live.trigger->user);
  EXPECT_EQ(resumed.trigger->machine.resource_id, live.trigger->machine.resource_id);
  EXPECT_EQ(event_time(sub, row), event_time(sub, recorded("new_device_event.json")));
}

TEST(Presets, NewDeviceWithoutLastLogonUserIsSkippedWithTheReason) {
  const auto r =
      map_event(preset_sub("new-device"), recorded("new_device_no_user_event.json"), kNow);
  EXPECT_FALSE(r.trigger);
  EXPECT_EQ(r.skipped_reason, "user: TargetInstance.LastLogonUserDomain is NULL");
}

TEST(Presets, OsdSuccessNeedsTheLastLogonUser) {
  const auto sub = preset_sub("osd-success");
  for (const char* file : {"osd_success_11171_event.json", "osd_success_11143_event.json"}) {
    SCOPED_TRACE(file);
    const auto event = recorded(file);
    const auto r = map_event(sub, event, kNow);
    ASSERT_TRUE(r.trigger) << r.skipped_reason;
    EXPECT_TRUE(r.needs_user_lookup);
    const Trigger& t = *r.trigger;
    EXPECT_TRUE(std::regex_match(t.id, std::regex("wmi-osd-success-[0-9a-f]{16}"))) << t.id;
    EXPECT_EQ(t.kind, TriggerKind::Osd);
    EXPECT_FALSE(t.machine.resource_id);
    EXPECT_EQ(t.machine.name, "WKS-0042");
    EXPECT_EQ(t.user, "");
    EXPECT_EQ(t.origin, "wmi:osd-success");
    EXPECT_EQ(std::get<std::string>(t.attributes.at("ts.site_code")), "PS1");
    EXPECT_EQ(last_logon_query(t.machine),
              "SELECT ResourceID, Name, LastLogonUserDomain, LastLogonUserName FROM SMS_R_System "
              "WHERE Name = 'WKS-0042' AND (Obsolete = 0 OR Obsolete IS NULL)");

    const auto done = complete_user_lookup(t, {recorded("last_logon_row.json")});
    ASSERT_TRUE(done.trigger) << done.skipped_reason;
    EXPECT_FALSE(done.needs_user_lookup);
    EXPECT_EQ(done.trigger->user, "CONTOSO\\jdoe");
    EXPECT_EQ(done.trigger->machine.resource_id, 16777242U);
    EXPECT_EQ(done.trigger->machine.name, "WKS-0042");
    EXPECT_EQ(done.trigger->id, t.id);
    EXPECT_EQ(std::get<std::string>(done.trigger->attributes.at("user.source")), "last-logon");
    EXPECT_TRUE(validate(*done.trigger));
  }
  const auto a = map_event(sub, recorded("osd_success_11171_event.json"), kNow);
  const auto b = map_event(sub, recorded("osd_success_11143_event.json"), kNow);
  EXPECT_NE(a.trigger->id, b.trigger->id);  // two status messages, two records
  EXPECT_EQ(attributes_to_json(a.trigger->attributes),
            nlohmann::json({{"ts.message_id", 11171.0},
                            {"ts.component", "Task Sequence Manager"},
                            {"ts.site_code", "PS1"},
                            {"ts.record_id", "72057594037941234"}}));
  EXPECT_EQ(format_iso8601(*event_time(sub, recorded("osd_success_11171_event.json"))),
            "2026-11-20T10:15:00.000Z");
}

TEST(Presets, MdmEnrollmentMapsTheRecordedModificationEvent) {
  const auto sub = preset_sub("mdm-enrollment", "mdm");
  const auto r = map_event(sub, recorded("mdm_enrollment_event.json"), kNow);
  ASSERT_TRUE(r.trigger) << r.skipped_reason;
  const Trigger& t = *r.trigger;
  EXPECT_TRUE(std::regex_match(t.id, std::regex("wmi-mdm-[0-9a-f]{16}"))) << t.id;
  EXPECT_EQ(t.kind, TriggerKind::Enrollment);
  EXPECT_EQ(t.machine.resource_id, 16777307U);
  EXPECT_EQ(t.machine.name, "LT-0107");
  EXPECT_EQ(t.user, "CONTOSO\\asmith");
  EXPECT_EQ(t.origin, "wmi:mdm");
  EXPECT_EQ(attributes_to_json(t.attributes), nlohmann::json({{"device.comanaged", 1.0}}));
  EXPECT_FALSE(event_time(sub, recorded("mdm_enrollment_event.json")));  // no bookmark property
}

TEST(Presets, MdmEnrollmentWithoutSignedInUserIsSkipped) {
  auto event = recorded("mdm_enrollment_event.json");
  event.properties["TargetInstance.CurrentLogonUser"] = WmiValue{};
  const auto r = map_event(preset_sub("mdm-enrollment"), event, kNow);
  EXPECT_FALSE(r.trigger);
  EXPECT_EQ(r.skipped_reason, "user: TargetInstance.CurrentLogonUser is NULL");
}

}  // namespace
}  // namespace uda
