#pragma once
// Event Log ids of source "UdaAgent" (Application log), one per category of
// log line, and the mapping from a log line to its event. The message texts
// are in installer/eventlog/uda-agent-messages.mc (same numbers; a unit test
// keeps the two in step). Every event carries the log line as its text (%1).
//
// A log line is classified by its level and by the documented keys at its
// start (see README "Logs"); the table is classify() below:
//
//   id   type     when
//   100  info     "service: started"            (the service reports RUNNING)
//   101  info     "service: stopped"            (clean stop)
//   102  error    "service: failed"             (STOPPED with a non-zero exit code)
//   103  info     "service: reload"             (PARAMCHANGE)
//   200  error    error/critical "config: ...", "rules: ...", "rules reload rejected..."
//   300  error    "job=... outcome=dead ..."    (dead-lettered job)
//   400  warning  "breaker ... state=open ..."  (circuit breaker opened)
//   401  info     "breaker ... state=closed ..."
//   900  warning  any other warning
//   901  error    any other error or critical line
// Other info/debug lines are not written to the Event Log.

#include <cstdint>
#include <optional>
#include <string_view>

namespace uda::svc {

enum class EventId : std::uint32_t {
  ServiceStarted = 100,
  ServiceStopped = 101,
  ServiceFailed = 102,
  ServiceReload = 103,
  ConfigError = 200,
  DeadLetter = 300,
  BreakerOpen = 400,
  BreakerClosed = 401,
  OtherWarning = 900,
  OtherError = 901,
};

// EVENTLOG_*_TYPE values of ReportEventW.
enum class EventType : std::uint16_t {
  Error = 0x0001,
  Warning = 0x0002,
  Information = 0x0004,
};

// Event categories (messages 1..4 of the message file; CategoryCount = 4).
enum class EventCategory : std::uint16_t {
  Service = 1,
  Configuration = 2,
  Dispatch = 3,
  Other = 4,
};
inline constexpr std::uint32_t kCategoryCount = 4;

// Log levels as the sink sees them (spdlog's order).
enum class LogLevel { Trace, Debug, Info, Warn, Error, Critical };

struct EventClass {
  EventId id;
  EventType type;
  EventCategory category;
  bool operator==(const EventClass&) const = default;
};

// The event for one log line (its text without timestamp and level), or
// nothing when the line does not go to the Event Log.
std::optional<EventClass> classify(LogLevel level, std::string_view message);

inline constexpr EventId kAllEventIds[] = {
    EventId::ServiceStarted, EventId::ServiceStopped, EventId::ServiceFailed,
    EventId::ServiceReload,  EventId::ConfigError,    EventId::DeadLetter,
    EventId::BreakerOpen,    EventId::BreakerClosed,  EventId::OtherWarning,
    EventId::OtherError,
};

// Event source name and the registry key it lives under (HKLM).
inline constexpr std::string_view kEventSource = "UdaAgent";
inline constexpr std::string_view kEventSourceKey =
    "SYSTEM\\CurrentControlSet\\Services\\EventLog\\Application\\UdaAgent";
// TypesSupported: error | warning | information.
inline constexpr std::uint32_t kTypesSupported = 0x7;

}  // namespace uda::svc
