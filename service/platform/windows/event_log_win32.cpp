// EventLogApi over RegisterEventSourceW / ReportEventW.
#include <windows.h>

#include <vector>

#include "platform/service_host/event_log_api.hpp"
#include "platform/windows/wide.hpp"

namespace uda::svc {

namespace {

class Win32EventLogApi final : public EventLogApi {
 public:
  EventSourceHandle register_source(const std::string& source_name) override {
    HANDLE h = RegisterEventSourceW(nullptr, win::to_wide(source_name).c_str());
    return reinterpret_cast<EventSourceHandle>(h);
  }

  bool report(EventSourceHandle handle, EventType type, std::uint16_t category,
              std::uint32_t event_id, const std::vector<std::string>& strings) override {
    std::vector<std::wstring> wide;
    wide.reserve(strings.size());
    for (const auto& s : strings) wide.push_back(win::to_wide(s));
    std::vector<LPCWSTR> ptrs;
    for (const auto& w : wide) ptrs.push_back(w.c_str());
    return ReportEventW(reinterpret_cast<HANDLE>(handle), static_cast<WORD>(type), category,
                        event_id, nullptr, static_cast<WORD>(ptrs.size()), 0,
                        ptrs.empty() ? nullptr : ptrs.data(), nullptr) != FALSE;
  }

  void deregister(EventSourceHandle handle) override {
    DeregisterEventSource(reinterpret_cast<HANDLE>(handle));
  }
};

}  // namespace

std::unique_ptr<EventLogApi> make_win32_event_log_api() {
  return std::make_unique<Win32EventLogApi>();
}

}  // namespace uda::svc
