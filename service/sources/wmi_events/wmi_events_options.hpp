#pragma once
// Configuration of the WMI event source (`wmi_events:` in the agent config).
// Read strictly: unknown keys, wrong types and out-of-range values are errors
// with file:line:column and, where it can, the fix.
//
// wmi_events:
//   namespace: auto                   # default for subscriptions: root\sms\site_<code>,
//                                     # or auto = the local site's (SMS_ProviderLocation)
//   reconnect: {base: 5s, cap: 5m}    # full-jitter backoff after a subscription fails
//   max_queue: 10000                  # events waiting for a commit, per subscription
//   subscriptions:
//     - name: new-device              # unique: origin wmi:<name>, bookmark, trigger ids
//       preset: new-device            # presets.hpp: fills every key below; keys given here win
//     - name: osd-success
//       preset: osd-success
//     - name: my-custom
//       enabled: true
//       namespace: root\sms\site_PS1
//       query: SELECT * FROM __InstanceCreationEvent WITHIN 300 WHERE TargetInstance ISA
//       'SMS_R_System' resume_query: SELECT * FROM SMS_R_System WHERE CreationDate > '{since}'
//       resume_overlap: 10m           # {since} = bookmark minus this (default: 10m, or twice
//                                     # WITHIN when that is longer; never below WITHIN)
//       bookmark: TargetInstance.CreationDate   # the event's time (a WMI datetime)
//       kind: discovery
//       machine: {resource_id: TargetInstance.ResourceID, name: TargetInstance.Name}
//       user: '{TargetInstance.LastLogonUserDomain}\{TargetInstance.LastLogonUserName}'
//       # or: user_lookup: last-logon (the device's last logon user, read by the watcher)
//       attributes: {device.aad_id: TargetInstance.AADDeviceID, device.client:
//       TargetInstance.Client} where: {TargetInstance.Client: 1}       # equality filters; a list
//       means any of key: [TargetInstance.ResourceID]        # what identifies one occurrence
//       (trigger id)
//
// Checks: the query is SELECT ... FROM one of the intrinsic instance events
// with TargetInstance ISA '<class>'; for SMS_ classes (no event provider, so
// WMI polls) WITHIN is required and at least 60 s. resume_query is a plain
// SELECT of that same class containing '{since}'. Property paths are
// TargetInstance.<name>, PreviousInstance.<name> (modification events, and
// not in what a resume query must match) or the event's own TIME_CREATED.
// Names are unique (ignoring case); counts and lengths are bounded.
//
// The section being present turns the source on.

#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "core/time.hpp"
#include "core/yaml_util.hpp"
#include "sources/wmi_events/subscription.hpp"

namespace uda {

struct WmiEventsOptions {
  bool enabled = false;
  std::string ns{"auto"};
  std::vector<Subscription> subscriptions;
  Millis reconnect_base{5000};
  Millis reconnect_cap{300'000};
  std::size_t max_queue{10'000};
  // Not in the YAML (tuning for tests and the watcher):
  Millis healthy_after{300'000};  // a subscription up this long starts its backoff afresh
  std::size_t batch{256};         // triggers per submission
  int lookup_attempts{5};         // tries of one last-logon lookup before the event is skipped
  std::uint64_t seed{0};          // backoff randomness; 0 = random
};

// Limits (also the bounds in error messages).
inline constexpr std::size_t kMaxSubscriptions = 32;
inline constexpr std::size_t kMaxSubscriptionNameLength = 64;
inline constexpr std::size_t kMaxWqlLength = 4096;
inline constexpr std::size_t kMaxNamespaceLength = 255;
inline constexpr std::size_t kMaxWhereClauses = 16;
inline constexpr std::size_t kMaxWhereValues = 64;
inline constexpr std::size_t kMaxKeyPaths = 8;
inline constexpr double kMinSmsWithinSeconds = 60;
inline constexpr double kMaxWithinSeconds = 86'400;
inline constexpr Millis kDefaultResumeOverlap{10 * 60 * 1000};
inline constexpr Millis kMaxResumeOverlap{7LL * 24 * 3600 * 1000};
inline constexpr std::int64_t kMaxWmiQueue = 1'000'000;
// Set by the watcher on triggers whose user was looked up; not configurable.
inline constexpr std::string_view kUserSourceAttribute = "user.source";

// Parses the `wmi_events` map. The result has enabled = true.
Expected<WmiEventsOptions> parse_wmi_events_options(const yaml::Doc& doc, const YAML::Node& node);

// "root\sms\site_PS1" (backslash-separated identifiers starting with root) or
// "auto"; the error says what a namespace looks like.
Status check_namespace(std::string_view ns);

}  // namespace uda
