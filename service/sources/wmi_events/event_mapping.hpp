#pragma once
// From one delivered WMI event to a Trigger, as a pure function of the
// subscription and the event (plus the time of receipt): the `where` filters,
// the machine, the user, the attributes, a deterministic id and validate().
// Every event that gives no trigger says why.
//
//   event (TargetInstance.* of SMS_R_System)
//     -> where holds?            no  -> skipped: "where: TargetInstance.Client is 0, not 1"
//     -> machine (id and/or name) none -> skipped: "machine: ... missing or NULL"
//     -> user template           a part missing/NULL/empty -> skipped: "user: ... is NULL"
//     -> Trigger{id = wmi-<name>-<hash of key values>, origin = wmi:<name>, ...}
//     -> validate()              invalid -> skipped with the reason
//
// Subscriptions with user_lookup: last-logon return the trigger without a user
// and needs_user_lookup set; the watcher runs last_logon_query() and hands the
// rows to complete_user_lookup(), also pure.

#include <optional>
#include <string>
#include <vector>

#include "core/time.hpp"
#include "core/trigger.hpp"
#include "sources/wmi_events/subscription.hpp"
#include "sources/wmi_events/wmi_instance.hpp"

namespace uda {

struct MappingResult {
  // The trigger, validated. With needs_user_lookup its user is still empty
  // (everything else was validated).
  std::optional<Trigger> trigger;
  // Why the event gives no trigger (empty when it does).
  std::string skipped_reason;
  // The user must come from the device's last logon (SMS_R_System), looked up
  // by trigger->machine (ResourceID when known, else name).
  bool needs_user_lookup = false;
};

MappingResult map_event(const Subscription& sub, const WmiInstance& event, TimePoint now);

// Empty when the event passes every `where` condition, else the reason.
std::string where_mismatch(const Subscription& sub, const WmiInstance& event);

// "wmi-<name>-<16 hex digits>": FNV-1a 64 of the subscription name and the
// values of its `key` properties (as text; a missing or NULL value counts as
// NULL). The same instance delivered again (live, then by the resume query)
// gives the same id, so the store keeps it once.
std::string wmi_trigger_id(const Subscription& sub, const WmiInstance& event);

// The event's own time for the bookmark: the `bookmark` property read as a
// WMI datetime; nullopt when the subscription has none or the value is not a
// date-time.
std::optional<TimePoint> event_time(const Subscription& sub, const WmiInstance& event);

// The ExecQuery the watcher runs for a last-logon lookup: SMS_R_System by
// ResourceID when the trigger has one, else by Name among records that are not
// obsolete.
std::string last_logon_query(const MachineRef& machine);

// Completes a needs_user_lookup trigger from the rows of last_logon_query():
// exactly one row with a non-empty LastLogonUserDomain and LastLogonUserName
// gives user = DOMAIN\name, fills in the ResourceID when the trigger had only
// a name, and sets attribute user.source = last-logon. Otherwise skipped, with
// the reason (no such device, several devices of that name, no last logon
// user yet).
MappingResult complete_user_lookup(Trigger trigger, const std::vector<WmiInstance>& rows);

}  // namespace uda
