#include "platform/service_host/event_ids.hpp"

namespace uda::svc {

namespace {
bool starts_with(std::string_view s, std::string_view p) {
  return s.substr(0, p.size()) == p;
}
bool contains(std::string_view s, std::string_view p) {
  return s.find(p) != std::string_view::npos;
}
}  // namespace

std::optional<EventClass> classify(LogLevel level, std::string_view m) {
  const bool error = level >= LogLevel::Error;
  const bool warn = level >= LogLevel::Warn;
  if (starts_with(m, "service: started")) {
    return EventClass{EventId::ServiceStarted, EventType::Information, EventCategory::Service};
  }
  if (starts_with(m, "service: stopped")) {
    return EventClass{EventId::ServiceStopped, EventType::Information, EventCategory::Service};
  }
  if (starts_with(m, "service: failed")) {
    return EventClass{EventId::ServiceFailed, EventType::Error, EventCategory::Service};
  }
  if (starts_with(m, "service: reload")) {
    return EventClass{EventId::ServiceReload, EventType::Information, EventCategory::Service};
  }
  if (error && (starts_with(m, "config: ") || starts_with(m, "rules: ") ||
                starts_with(m, "rules reload rejected"))) {
    return EventClass{EventId::ConfigError, EventType::Error, EventCategory::Configuration};
  }
  if (warn && starts_with(m, "job=") && contains(m, " outcome=dead")) {
    return EventClass{EventId::DeadLetter, EventType::Error, EventCategory::Dispatch};
  }
  if (starts_with(m, "breaker ") && contains(m, " state=open")) {
    return EventClass{EventId::BreakerOpen, EventType::Warning, EventCategory::Dispatch};
  }
  if (starts_with(m, "breaker ") && contains(m, " state=closed")) {
    return EventClass{EventId::BreakerClosed, EventType::Information, EventCategory::Dispatch};
  }
  if (error) return EventClass{EventId::OtherError, EventType::Error, EventCategory::Other};
  if (warn) return EventClass{EventId::OtherWarning, EventType::Warning, EventCategory::Other};
  return std::nullopt;
}

}  // namespace uda::svc
