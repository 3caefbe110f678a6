#pragma once
// Shipped subscription presets. `preset: <name>` in a subscription fills in
// every key below; keys written next to it replace the preset's value of that
// key whole (a given `attributes:` map replaces the preset's map, it is not
// merged). `user` and `user_lookup` are alternatives: giving one drops the
// preset's other. The presets are unit-tested against recorded instances
// written from Microsoft's documented class properties
// (tests/data/wmi_events/).
//
// SMS classes have no event provider: WMI polls them every WITHIN seconds by
// enumerating the class on the SMS Provider, so the intervals stay >= 60 s
// (the config refuses less). Large sites may prefer 600.
//
// ---------------------------------------------------------------------------
// new-device — a device record appears (discovery, client push, import,
// Autopilot/co-management registration).
//
//   query:        SELECT * FROM __InstanceCreationEvent WITHIN 300
//                 WHERE TargetInstance ISA 'SMS_R_System'
//   resume_query: SELECT * FROM SMS_R_System WHERE CreationDate > '{since}'
//   bookmark:     TargetInstance.CreationDate
//   kind:         discovery
//   machine:      {resource_id: TargetInstance.ResourceID, name: TargetInstance.Name}
//   user:         '{TargetInstance.LastLogonUserDomain}\{TargetInstance.LastLogonUserName}'
//   attributes:   {device.aad_id: TargetInstance.AADDeviceID, device.client: TargetInstance.Client}
//   key:          [TargetInstance.ResourceID]
//
//   A new record often has no last logon user yet (NULL): such events give no
//   trigger (counted and logged). The shipped rules leave `discovery` off
//   (rule discovery-last-logon, enabled: false): the last logon is weak
//   evidence. AADDeviceID is not in the SDK's SMS_R_System syntax listing but
//   is present on current sites (DESIGN §4); when it is absent the attribute is
//   simply not set.
//
// ---------------------------------------------------------------------------
// osd-success — a task sequence finished successfully (status messages 11171
// "task sequence manager successfully completed" and 11143 "execution engine
// successfully completed").
//
//   query:        SELECT * FROM __InstanceCreationEvent WITHIN 120
//                 WHERE TargetInstance ISA 'SMS_StatusMessage'
//                 AND (TargetInstance.MessageID = 11171 OR TargetInstance.MessageID = 11143)
//                 AND (TargetInstance.Component = 'Task Sequence Engine'
//                      OR TargetInstance.Component = 'Task Sequence Manager')
//   resume_query: the same conditions on SMS_StatusMessage WHERE Time > '{since}'
//   bookmark:     TargetInstance.Time
//   kind:         osd
//   machine:      {name: TargetInstance.MachineName}
//   user_lookup:  last-logon
//   attributes:   {ts.message_id: TargetInstance.MessageID, ts.component: TargetInstance.Component,
//                  ts.site_code: TargetInstance.SiteCode, ts.record_id: TargetInstance.RecordID}
//   key:          [TargetInstance.RecordID, TargetInstance.MachineName, TargetInstance.MessageID]
//
//   SMS_StatusMessage carries no user: its properties are Component,
//   MachineName, MessageID, MessageType, ModuleName, PerClient, ProcessID,
//   RecordID, ReportFunction, Severity, SiteCode, SuccessfulTransaction,
//   ThreadID, Time, TopLevelSiteCode, Transaction, Win32Error; the insertion
//   strings live in SMS_StatMsgInsStrings and name the task sequence, not the
//   user. So this preset takes the user from the device: the watcher reads
//   SMS_R_System for MachineName (not obsolete) and uses
//   LastLogonUserDomain\LastLogonUserName, and marks the trigger with the
//   attribute user.source = last-logon. Right after a bare-metal deployment
//   the device has no last logon user yet and the event gives no trigger;
//   after a refresh it is usually the previous user of the device. Prefer the
//   OSD step (HTTP API / spool, which knows SMSTSUdaUsers) where you can; to
//   treat looked-up users differently, write a rule such as
//     when: {kind: osd, attributes: ['user.source == last-logon']}
//   DESIGN §4 names the component "Task Sequence Engine"; 11171 is raised by
//   the task sequence manager, whose component field may read "Task Sequence
//   Manager" — both are accepted. A run that raises both messages gives two
//   triggers (different RecordIDs); the store's idempotency key on (device,
//   user, SourceId, TypeId) makes the second a duplicate. RecordID is sint64,
//   which WMI hands over as a string.
//
// ---------------------------------------------------------------------------
// mdm-enrollment — a device becomes co-managed (the ConfigMgr client enrolled
// it into Intune MDM).
//
//   query:        SELECT * FROM __InstanceModificationEvent WITHIN 300
//                 WHERE TargetInstance ISA 'SMS_CombinedDeviceResources'
//                 AND TargetInstance.CoManaged = 1
//                 AND (PreviousInstance.CoManaged = 0 OR PreviousInstance.CoManaged IS NULL)
//   resume_query: none (no property tells when a device became co-managed)
//   kind:         enrollment
//   machine:      {resource_id: TargetInstance.ResourceID, name: TargetInstance.Name}
//   user:         '{TargetInstance.CurrentLogonUser}'
//   attributes:   {device.comanaged: TargetInstance.CoManaged}
//   key:          [TargetInstance.ResourceID, TargetInstance.CurrentLogonUser]
//
//   Assumptions (not in the SDK reference, which does not document this
//   class's properties): SMS_CombinedDeviceResources (the console's "Devices"
//   view) has ResourceID, Name, CoManaged (1 = co-managed) and
//   CurrentLogonUser ("DOMAIN\user", the user signed in now, reported through
//   the client notification channel). Automatic enrollment runs in the
//   signed-in user's context, so that user is taken as the enrolling user; a
//   device without a signed-in user (device-credential enrollment) gives no
//   trigger. Enrollments that happen while the agent is stopped are not
//   caught up (no resume query); the usage source covers those devices later.

#include <string>
#include <string_view>
#include <vector>

namespace uda {

struct Preset {
  std::string_view name;
  std::string_view summary;  // one line, for `uda-agent check-config` and docs
  std::string_view yaml;     // the subscription keys it fills in (a YAML map)
};

// nullptr when there is no preset of that name (names ignore case).
const Preset* find_preset(std::string_view name);
const std::vector<Preset>& presets();
// "new-device, osd-success, mdm-enrollment": for error messages.
std::string preset_choices();

}  // namespace uda
