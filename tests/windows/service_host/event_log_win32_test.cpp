// The Win32 Event Log facade and the sink on top of it. Wine only stubs the
// Event Log (nothing can be read back), so this checks the calls succeed and
// the sink does not fail or throw through the real API.
#include <windows.h>
// after windows.h
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <string>

#include "platform/service_host/event_log_api.hpp"
#include "platform/service_host/event_log_sink.hpp"

namespace uda::svc {
namespace {

TEST(EventLogWin32, RegisterReportDeregister) {
  auto api = make_win32_event_log_api();
  const auto h = api->register_source("UdaAgentTest");
  ASSERT_NE(h, 0u);
  EXPECT_TRUE(api->report(h, EventType::Information, 1,
                          static_cast<std::uint32_t>(EventId::ServiceStarted),
                          {"service: started (windows test)"}));
  EXPECT_TRUE(api->report(h, EventType::Error, 3, static_cast<std::uint32_t>(EventId::DeadLetter),
                          {"job=1 trigger=t outcome=dead error=\"x\" \xc3\xa9"}));
  api->deregister(h);
}

TEST(EventLogWin32, SinkWritesThroughTheRealApi) {
  EventLogSinkOptions o;
  o.source = "UdaAgentTest";
  auto sink =
      std::make_shared<EventLogSink>(std::shared_ptr<EventLogApi>(make_win32_event_log_api()), o);
  spdlog::logger log("event-log-win32", sink);
  log.warn("breaker provider=wmi state=open failures=5");
  log.error("job=2 trigger=t outcome=dead error=\"y\"");
  log.info("not an event");
  EXPECT_EQ(sink->written(), 2u);
}

// What Event Viewer does with an event: look its id up in the message file
// (here uda_test_service.exe, built with the same .mc as uda-agent.exe) and
// insert the log line as %1.
std::wstring format_event(HMODULE module, std::uint32_t id, const wchar_t* line) {
  const DWORD_PTR args[] = {reinterpret_cast<DWORD_PTR>(line)};
  wchar_t* buf = nullptr;
  const DWORD n = FormatMessageW(
      FORMAT_MESSAGE_FROM_HMODULE | FORMAT_MESSAGE_ALLOCATE_BUFFER | FORMAT_MESSAGE_ARGUMENT_ARRAY,
      module, id, MAKELANGID(LANG_ENGLISH, SUBLANG_ENGLISH_US), reinterpret_cast<LPWSTR>(&buf), 0,
      reinterpret_cast<va_list*>(const_cast<DWORD_PTR*>(args)));
  std::wstring out = n > 0 && buf != nullptr ? std::wstring(buf, n) : std::wstring();
  LocalFree(buf);
  return out;
}

TEST(EventMessageTable, EveryEventIdAndCategoryHasText) {
  std::wstring exe(32768, L'\0');
  exe.resize(GetModuleFileNameW(nullptr, exe.data(), static_cast<DWORD>(exe.size())));
  const auto path = std::filesystem::path(exe).parent_path() / L"uda_test_service.exe";
  HMODULE m = LoadLibraryExW(path.c_str(), nullptr,
                             LOAD_LIBRARY_AS_DATAFILE | LOAD_LIBRARY_AS_IMAGE_RESOURCE);
  ASSERT_NE(m, nullptr) << GetLastError();
  for (auto id : kAllEventIds) {
    const auto text = format_event(m, static_cast<std::uint32_t>(id), L"the log line");
    EXPECT_NE(text.find(L"the log line"), std::wstring::npos)
        << "event " << static_cast<std::uint32_t>(id);
  }
  EXPECT_NE(
      format_event(m, static_cast<std::uint32_t>(EventId::DeadLetter), L"x").find(L"dead-lettered"),
      std::wstring::npos);
  for (std::uint32_t c = 1; c <= kCategoryCount; ++c) {
    EXPECT_FALSE(format_event(m, c, L"").empty()) << "category " << c;
  }
  EXPECT_NE(format_event(m, 2, L"").find(L"Configuration"), std::wstring::npos);
  FreeLibrary(m);
}

}  // namespace
}  // namespace uda::svc
