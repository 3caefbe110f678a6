// ComEventSource against the machine's WMI. Under Wine, event subscriptions
// are not implemented (ExecNotificationQuery returns WBEM_E_FAILED): the
// tests check that the failure is reported in the documented form, which
// sends the watcher down its reconnect path, and that query() works.
#include "sources/wmi_events/com_event_source.hpp"

#include <winsock2.h>
// after winsock2.h
#include <windows.h>
//
#include <gtest/gtest.h>

#include <chrono>

namespace uda {
namespace {

#define EXPECT_HAS(s, part) EXPECT_NE((s).find(part), std::string::npos) << (s)

Subscription process_starts() {
  Subscription sub;
  sub.name = "process-starts";
  sub.ns = "root\\cimv2";
  sub.query =
      "SELECT * FROM __InstanceCreationEvent WITHIN 1 WHERE TargetInstance ISA 'Win32_Process'";
  return sub;
}

bool running_under_wine() {
  HMODULE ntdll = GetModuleHandleW(L"ntdll.dll");
  return ntdll != nullptr &&
         reinterpret_cast<void*>(GetProcAddress(ntdll, "wine_get_version")) != nullptr;
}

TEST(ComEventSource, SubscribeFailureIsReportedWithTheCode) {
  if (!running_under_wine()) GTEST_SKIP() << "subscriptions work here; this checks Wine's refusal";
  ComEventSource source;
  const auto st = source.subscribe(
      process_starts(), [](WmiInstance) {}, [](Error) {});
  ASSERT_FALSE(st);
  const auto code = wmi_failure_code(st.error());
  ASSERT_TRUE(code) << st.error().message;
  EXPECT_EQ(*code, wmi_code::kFailed);
  EXPECT_HAS(st.error().message,
             "0x80041001 WBEM_E_FAILED: ExecNotificationQuery in \\\\.\\root\\cimv2");
  // Transient for the watcher: it reconnects with the normal backoff.
  EXPECT_FALSE(is_permanent_wmi_failure(st.error()));
  source.cancel("process-starts");  // nothing to cancel: no-op
}

TEST(ComEventSource, SubscribeAndCancelPromptly) {
  if (running_under_wine()) GTEST_SKIP() << "Wine has no WMI event subscriptions";
  ComEventSource source;
  const auto st = source.subscribe(
      process_starts(), [](WmiInstance) {}, [](Error) {});
  ASSERT_TRUE(st) << st.error().message;
  const auto t0 = std::chrono::steady_clock::now();
  source.cancel("process-starts");
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
}

TEST(ComEventSource, BadNamespaceIsPermanent) {
  ComEventSource source;
  auto sub = process_starts();
  sub.ns = "root\\no_such_namespace";
  const auto st = source.subscribe(
      sub, [](WmiInstance) {}, [](Error) {});
  ASSERT_FALSE(st);
  EXPECT_EQ(wmi_failure_code(st.error()), wmi_code::kInvalidNamespace) << st.error().message;
  EXPECT_TRUE(is_permanent_wmi_failure(st.error()));
}

TEST(ComEventSource, Query) {
  ComEventSource source;
  auto rows = source.query("root\\cimv2", "SELECT Caption, Version FROM Win32_OperatingSystem");
  ASSERT_TRUE(rows) << rows.error().message;
  ASSERT_EQ(rows->size(), 1U);
  EXPECT_EQ((*rows)[0].class_name, "Win32_OperatingSystem");
  EXPECT_NE((*rows)[0].find("Version"), nullptr);
  // Again on the kept connection.
  rows = source.query("root\\cimv2", "SELECT Name FROM Win32_Process");
  ASSERT_TRUE(rows) << rows.error().message;
  EXPECT_FALSE(rows->empty());
}

TEST(ComEventSource, QueryErrors) {
  ComEventSource source;
  auto bad_ns = source.query("root\\no_such_namespace", "SELECT * FROM X");
  ASSERT_FALSE(bad_ns);
  EXPECT_HAS(bad_ns.error().message, "0x8004100E WBEM_E_INVALID_NAMESPACE");
  auto bad_query = source.query("root\\cimv2", "SELEKT * FROM Win32_Process");
  ASSERT_FALSE(bad_query);
  EXPECT_EQ(wmi_failure_code(bad_query.error()), wmi_code::kInvalidQuery)
      << bad_query.error().message;
}

TEST(ComEventSource, FullNamespace) {
  ComEventSource local;
  EXPECT_EQ(local.full_namespace("root\\sms\\site_PS1"), "\\\\.\\root\\sms\\site_PS1");
  ComEventSource remote("sccm01.contoso.com");
  EXPECT_EQ(remote.full_namespace("root\\sms"), "\\\\sccm01.contoso.com\\root\\sms");
  EXPECT_EQ(remote.full_namespace("\\\\other\\root\\sms"), "\\\\other\\root\\sms");
}

}  // namespace
}  // namespace uda
