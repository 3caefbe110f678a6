#pragma once
// One WMI event subscription, as read from the `wmi_events:` config section
// (wmi_events_options.hpp) after its preset (presets.hpp) was applied: what to
// watch (query, namespace), how to catch up after a restart (resume_query,
// bookmark) and how an event becomes a Trigger (kind, machine, user,
// attributes, where, key). map_event() (event_mapping.hpp) applies it.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/time.hpp"
#include "core/trigger.hpp"
#include "sources/wmi_events/property_path.hpp"
#include "sources/wmi_events/user_template.hpp"

namespace uda {

// Where the user comes from when the event itself carries none.
enum class UserLookup {
  None,       // the `user` template gives it
  LastLogon,  // SMS_R_System.LastLogonUserDomain\LastLogonUserName of the event's
              // machine, read by the watcher when the event arrives
};

std::string_view to_string(UserLookup u);

struct MachineMapping {
  std::optional<PropertyPath>
      resource_id;                   // -> Trigger.machine.resource_id (SMS_R_System.ResourceID)
  std::optional<PropertyPath> name;  // -> Trigger.machine.name
};

// `where: {TargetInstance.Client: 1}`: the property must equal one of the
// values. A value is YAML text compared by the property's type: integers and
// reals as numbers, booleans as true/false, strings without regard to case
// (like WQL); `null` (or ~) matches a NULL or missing property; for an array
// property, any item may match.
struct WhereValue {
  bool is_null = false;
  std::string text;
  bool operator==(const WhereValue&) const = default;
};

struct WhereClause {
  PropertyPath path;
  std::vector<WhereValue> any_of;
};

struct Subscription {
  std::string name;    // unique; origin "wmi:<name>", bookmark key, trigger ids
  std::string preset;  // the preset it started from ("" = none)
  bool enabled = true;

  std::string ns;     // WMI namespace, "root\sms\site_PS1", or "auto" (site code discovered)
  std::string query;  // ExecNotificationQuery statement
  // ExecQuery statement run on (re)connect to catch up; "{since}" becomes the
  // bookmark (minus resume_overlap) as a quoted-ready WMI datetime.
  std::optional<std::string> resume_query;
  Millis resume_overlap{10 * 60 * 1000};  // default: max(10m, 2 x WITHIN)
  // The event's own time (a WMI datetime property), used for the bookmark.
  // Without it, the time the agent received the event is used.
  std::optional<PropertyPath> bookmark;

  TriggerKind kind = TriggerKind::Discovery;
  MachineMapping machine;
  std::optional<UserTemplate> user;
  UserLookup user_lookup = UserLookup::None;
  std::vector<std::pair<std::string, PropertyPath>> attributes;  // trigger attribute <- property
  std::vector<WhereClause> where;
  // The properties that identify one occurrence: the trigger id is derived
  // from the subscription name and these values, so an instance delivered
  // twice (live and again by the resume query) gives the same id.
  std::vector<PropertyPath> key;

  // Derived from the query when it was read.
  std::string event_class;   // e.g. "__InstanceCreationEvent"
  std::string target_class;  // the ISA class, e.g. "SMS_R_System"
  std::optional<double> within_seconds;
};

}  // namespace uda
