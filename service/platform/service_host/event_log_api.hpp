#pragma once
// The Event Log calls the sink makes, as an interface with plain types:
// RegisterEventSourceW, ReportEventW, DeregisterEventSource. The Win32
// implementation is make_win32_event_log_api(); tests use a mock (Wine only
// stubs the Event Log).

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "platform/service_host/event_ids.hpp"

namespace uda::svc {

using EventSourceHandle = std::uintptr_t;  // HANDLE; 0 = failed

class EventLogApi {
 public:
  virtual ~EventLogApi() = default;
  virtual EventSourceHandle register_source(const std::string& source_name) = 0;
  // ReportEventW with the strings as insertion strings (%1, %2, ...).
  virtual bool report(EventSourceHandle handle, EventType type, std::uint16_t category,
                      std::uint32_t event_id, const std::vector<std::string>& strings) = 0;
  virtual void deregister(EventSourceHandle handle) = 0;
};

#ifdef _WIN32
std::unique_ptr<EventLogApi> make_win32_event_log_api();
#endif

}  // namespace uda::svc
