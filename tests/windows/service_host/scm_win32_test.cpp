// The Win32 SCM facades against a real SCM (Wine's under the cross build):
// create / configure / start / control / query / stop / delete a tiny service
// built on ServiceHost (uda_test_service.exe), and the `service install` logic
// end to end.
#include <windows.h>
// after windows.h
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "platform/service_host/event_ids.hpp"
#include "platform/service_host/scm_admin.hpp"
#include "platform/service_host/scm_api.hpp"
#include "platform/service_host/service_admin.hpp"
#include "platform/service_host/service_host.hpp"

namespace uda::svc {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

fs::path exe_dir() {
  std::wstring buf(32768, L'\0');
  const DWORD n = GetModuleFileNameW(nullptr, buf.data(), static_cast<DWORD>(buf.size()));
  buf.resize(n);
  return fs::path(buf).parent_path();
}

std::string test_service_exe() {
  return (exe_dir() / "uda_test_service.exe").string();
}

fs::path temp_file(const std::string& name) {
  std::wstring buf(MAX_PATH + 1, L'\0');
  const DWORD n = GetTempPathW(static_cast<DWORD>(buf.size()), buf.data());
  buf.resize(n);
  auto p = fs::path(buf) / name;
  std::error_code ec;
  fs::remove(p, ec);
  return p;
}

std::string read_all(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Polls the status until pred holds (or 60 s pass).
template <class Pred>
StatusEx wait_until(ScmAdmin& scm, ServiceHandle h, Pred pred) {
  StatusEx st;
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (std::chrono::steady_clock::now() < deadline) {
    EXPECT_EQ(scm.query(h, st), 0u);
    if (pred(st)) break;
    std::this_thread::sleep_for(50ms);
  }
  return st;
}

bool wait_for_text(const fs::path& p, const std::string& text) {
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (std::chrono::steady_clock::now() < deadline) {
    if (read_all(p).find(text) != std::string::npos) return true;
    std::this_thread::sleep_for(50ms);
  }
  return false;
}

std::string unique_name(const char* base) {
  return std::string(base) + std::to_string(GetCurrentProcessId());
}

// One dispatcher call per process (Wine answers a second one with
// ERROR_SERVICE_ALREADY_RUNNING), so this is the only test that makes it.
TEST(ScmApiWin32, NotStartedByTheScmFallsBackToTheConsole) {
  auto scm = make_win32_scm_api();
  struct NeverRun final : ServiceRunner {
    int run(const std::function<void()>&) override { return 99; }
    void request_stop() override {}
    void request_reload() override {}
  } runner;
  bool as_service = true;
  EXPECT_EQ(run_service_or_console(
                *scm, runner, HostOptions{}, [] { return 7; }, &as_service),
            7);
  EXPECT_FALSE(as_service);
}

TEST(ScmAdminWin32, CreateConfigureStartParamChangeStopDelete) {
  auto scm = make_win32_scm_admin();
  const auto name = unique_name("UdaAgentTest");
  const auto marker = temp_file(name + ".marker");
  CreateParams p;
  p.name = name;
  p.display_name = "UDA Agent test service " + name;
  p.binary_path =
      "\"" + test_service_exe() + "\" --name " + name + " --marker \"" + marker.string() + "\"";
  p.start_type = StartType::Demand;
  ServiceHandle h = 0;
  ASSERT_EQ(scm->create_service(p, h), 0u);
  ASSERT_NE(h, 0u);

  // ChangeServiceConfig2W levels the installer sets.
  EXPECT_EQ(scm->set_description(h, "test description"), 0u);
  EXPECT_EQ(scm->set_preshutdown_timeout(h, 30'000), 0u);
  EXPECT_EQ(scm->set_failure_actions(h, default_failure_actions()), 0u);
  // Wine answers these levels with ERROR_INVALID_LEVEL (it has no delayed
  // auto-start, failure-actions flag or SID type); Windows sets them.
  for (auto err : {scm->set_delayed_auto_start(h, true), scm->set_failure_actions_flag(h, true),
                   scm->set_sid_type(h, kSidTypeUnrestricted)}) {
    EXPECT_TRUE(err == 0 || err == win32::kInvalidLevel) << err;
  }

  StatusEx st;
  ASSERT_EQ(scm->query(h, st), 0u);
  EXPECT_EQ(st.status.state, State::Stopped);

  ASSERT_EQ(scm->start(h), 0u);
  st = wait_until(*scm, h, [](const StatusEx& s) { return s.status.state == State::Running; });
  ASSERT_EQ(st.status.state, State::Running);
  EXPECT_NE(st.pid, 0u);
  EXPECT_EQ(st.status.controls_accepted,
            accept::kStop | accept::kPreshutdown | accept::kParamChange);
  EXPECT_TRUE(wait_for_text(marker, "ready"));

  Status after;
  EXPECT_EQ(scm->control(h, control::kParamChange, after), 0u);
  EXPECT_TRUE(wait_for_text(marker, "reload"));

  EXPECT_EQ(scm->control(h, control::kStop, after), 0u);
  st = wait_until(*scm, h, [](const StatusEx& s) { return s.status.state == State::Stopped; });
  EXPECT_EQ(st.status.state, State::Stopped);
  EXPECT_EQ(st.status.win32_exit_code, 0u);
  EXPECT_TRUE(wait_for_text(marker, "stop"));

  EXPECT_EQ(scm->remove(h), 0u);
  scm->close(h);
  ServiceHandle again = 0;
  const auto err = scm->open_service(name, again);
  if (err == 0) {
    // Deleted services linger until the last handle closes on some SCMs.
    scm->close(again);
  } else {
    EXPECT_EQ(err, win32::kServiceDoesNotExist);
  }
  std::error_code ec;
  fs::remove(marker, ec);
}

TEST(ScmAdminWin32, FatalExitCodeReachesTheScm) {
  auto scm = make_win32_scm_admin();
  const auto name = unique_name("UdaAgentFail");
  CreateParams p;
  p.name = name;
  p.display_name = "UDA Agent failing test service " + name;
  p.binary_path = "\"" + test_service_exe() + "\" --name " + name + " --fail 2";
  p.start_type = StartType::Demand;
  ServiceHandle h = 0;
  ASSERT_EQ(scm->create_service(p, h), 0u);
  ASSERT_EQ(scm->start(h), 0u);
  // It may already have stopped when StartServiceW returns.
  auto st = wait_until(*scm, h, [](const StatusEx& s) {
    return s.status.state == State::Stopped && s.status.win32_exit_code != 0;
  });
  EXPECT_EQ(st.status.state, State::Stopped);
  EXPECT_EQ(st.status.win32_exit_code, win32::kServiceSpecificError);
  EXPECT_EQ(st.status.service_exit_code, 2u);
  EXPECT_EQ(scm->remove(h), 0u);
  scm->close(h);
}

bool event_source_key(std::wstring* message_file, DWORD* types) {
  HKEY hk = nullptr;
  if (RegOpenKeyExW(HKEY_LOCAL_MACHINE,
                    L"SYSTEM\\CurrentControlSet\\Services\\EventLog\\Application\\UdaAgent", 0,
                    KEY_READ, &hk) != ERROR_SUCCESS) {
    return false;
  }
  wchar_t buf[1024] = {};
  DWORD size = sizeof(buf);
  DWORD type = 0;
  if (RegQueryValueExW(hk, L"EventMessageFile", nullptr, &type, reinterpret_cast<BYTE*>(buf),
                       &size) == ERROR_SUCCESS) {
    *message_file = buf;
  }
  size = sizeof(*types);
  RegQueryValueExW(hk, L"TypesSupported", nullptr, &type, reinterpret_cast<BYTE*>(types), &size);
  RegCloseKey(hk);
  return true;
}

// `uda-agent service install|status|start|stop|uninstall`, the real facade
// under it, with the test service as the image.
TEST(ServiceAdminWin32, InstallStartStopUninstall) {
  auto scm = make_win32_scm_admin();
  ServiceHandle existing = 0;
  if (scm->open_service(kServiceName, existing) == 0) {
    scm->close(existing);
    GTEST_SKIP() << "a service UdaAgent is installed on this machine; not touching it";
  }
  InstallOptions o;
  o.exe_path = test_service_exe();
  const auto installed = install_service(*scm, o);
  ASSERT_EQ(installed.exit_code, 0) << installed.message;

  std::wstring message_file;
  DWORD types = 0;
  ASSERT_TRUE(event_source_key(&message_file, &types));
  EXPECT_EQ(fs::path(message_file), fs::path(o.exe_path));
  EXPECT_EQ(types, kTypesSupported);

  auto status = query_service(*scm);
  EXPECT_EQ(status.exit_code, 0) << status.message;
  ASSERT_TRUE(status.status.has_value());
  EXPECT_EQ(status.status->status.state, State::Stopped);

  WaitOptions w;
  w.timeout = 60s;
  w.poll = 50ms;
  const auto started = start_service(*scm, w);
  EXPECT_EQ(started.exit_code, 0) << started.message;
  const auto stopped = stop_service(*scm, w);
  EXPECT_EQ(stopped.exit_code, 0) << stopped.message;
  const auto removed = uninstall_service(*scm, w);
  EXPECT_EQ(removed.exit_code, 0) << removed.message;
  EXPECT_FALSE(event_source_key(&message_file, &types));
  // DeleteService only marks the service; the SCM removes it once the last
  // handle to it is closed and its process has exited, which on a loaded
  // machine (Wine under a parallel build) took more than 10 s once.
  auto gone = query_service(*scm);
  for (int i = 0; i < 600 && gone.installed; ++i) {
    std::this_thread::sleep_for(100ms);
    gone = query_service(*scm);
  }
  EXPECT_FALSE(gone.installed) << "still installed 60 s after uninstall: " << gone.message;
}

}  // namespace
}  // namespace uda::svc
