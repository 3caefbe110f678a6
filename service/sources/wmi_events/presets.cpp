#include "sources/wmi_events/presets.hpp"

#include "sources/wmi_events/wmi_instance.hpp"

namespace uda {
namespace {

// Kept in the exact form documented in presets.hpp. Line breaks inside the
// folded scalars (>-) become spaces.
constexpr std::string_view kNewDevice = R"(query: >-
  SELECT * FROM __InstanceCreationEvent WITHIN 300
  WHERE TargetInstance ISA 'SMS_R_System'
resume_query: SELECT * FROM SMS_R_System WHERE CreationDate > '{since}'
bookmark: TargetInstance.CreationDate
kind: discovery
machine: {resource_id: TargetInstance.ResourceID, name: TargetInstance.Name}
user: '{TargetInstance.LastLogonUserDomain}\{TargetInstance.LastLogonUserName}'
attributes: {device.aad_id: TargetInstance.AADDeviceID, device.client: TargetInstance.Client}
key: [TargetInstance.ResourceID]
)";

constexpr std::string_view kOsdSuccess = R"(query: >-
  SELECT * FROM __InstanceCreationEvent WITHIN 120
  WHERE TargetInstance ISA 'SMS_StatusMessage'
  AND (TargetInstance.MessageID = 11171 OR TargetInstance.MessageID = 11143)
  AND (TargetInstance.Component = 'Task Sequence Engine'
  OR TargetInstance.Component = 'Task Sequence Manager')
resume_query: >-
  SELECT * FROM SMS_StatusMessage WHERE Time > '{since}'
  AND (MessageID = 11171 OR MessageID = 11143)
  AND (Component = 'Task Sequence Engine' OR Component = 'Task Sequence Manager')
bookmark: TargetInstance.Time
kind: osd
machine: {name: TargetInstance.MachineName}
user_lookup: last-logon
attributes:
  ts.message_id: TargetInstance.MessageID
  ts.component: TargetInstance.Component
  ts.site_code: TargetInstance.SiteCode
  ts.record_id: TargetInstance.RecordID
key: [TargetInstance.RecordID, TargetInstance.MachineName, TargetInstance.MessageID]
)";

constexpr std::string_view kMdmEnrollment = R"(query: >-
  SELECT * FROM __InstanceModificationEvent WITHIN 300
  WHERE TargetInstance ISA 'SMS_CombinedDeviceResources'
  AND TargetInstance.CoManaged = 1
  AND (PreviousInstance.CoManaged = 0 OR PreviousInstance.CoManaged IS NULL)
kind: enrollment
machine: {resource_id: TargetInstance.ResourceID, name: TargetInstance.Name}
user: '{TargetInstance.CurrentLogonUser}'
attributes: {device.comanaged: TargetInstance.CoManaged}
key: [TargetInstance.ResourceID, TargetInstance.CurrentLogonUser]
)";

}  // namespace

const std::vector<Preset>& presets() {
  static const std::vector<Preset> kPresets{
      {"new-device", "a device record appears in SMS_R_System (discovery)", kNewDevice},
      {"osd-success", "a task sequence succeeded (status messages 11171/11143); user = last logon",
       kOsdSuccess},
      {"mdm-enrollment", "a device becomes co-managed (SMS_CombinedDeviceResources.CoManaged)",
       kMdmEnrollment},
  };
  return kPresets;
}

const Preset* find_preset(std::string_view name) {
  for (const auto& p : presets()) {
    if (iequals(p.name, name)) return &p;
  }
  return nullptr;
}

std::string preset_choices() {
  std::string out;
  for (const auto& p : presets()) {
    if (!out.empty()) out += ", ";
    out += p.name;
  }
  return out;
}

}  // namespace uda
