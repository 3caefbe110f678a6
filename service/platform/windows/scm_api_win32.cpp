// ScmApi over the real Service Control Manager.
#include <windows.h>

#include <memory>
#include <mutex>
#include <vector>

#include "platform/service_host/scm_api.hpp"
#include "platform/windows/wide.hpp"

namespace uda::svc {

namespace {

// StartServiceCtrlDispatcherW takes a plain function: the ServiceMain to call
// is kept here for the (single) dispatcher of the process.
ServiceMain* g_service_main = nullptr;

void WINAPI service_main_trampoline(DWORD argc, LPWSTR* argv) {
  std::vector<std::string> args;
  for (DWORD i = 0; i < argc; ++i) args.push_back(win::to_utf8(argv[i]));
  if (g_service_main != nullptr) (*g_service_main)(args);
}

struct HandlerContext {
  ControlHandler handler;
};

DWORD WINAPI handler_trampoline(DWORD control, DWORD event_type, LPVOID /*event_data*/,
                                LPVOID context) {
  auto* ctx = static_cast<HandlerContext*>(context);
  return ctx->handler(control, event_type);
}

class Win32ScmApi final : public ScmApi {
 public:
  std::uint32_t start_dispatcher(const std::string& service_name, ServiceMain main) override {
    std::wstring name = win::to_wide(service_name);
    SERVICE_TABLE_ENTRYW table[] = {{name.data(), service_main_trampoline}, {nullptr, nullptr}};
    g_service_main = &main;
    const BOOL ok = StartServiceCtrlDispatcherW(table);
    const DWORD err = ok ? 0 : GetLastError();
    g_service_main = nullptr;
    return err;
  }

  StatusHandle register_handler(const std::string& service_name, ControlHandler handler) override {
    auto ctx = std::make_unique<HandlerContext>(HandlerContext{std::move(handler)});
    const std::wstring name = win::to_wide(service_name);
    SERVICE_STATUS_HANDLE h =
        RegisterServiceCtrlHandlerExW(name.c_str(), handler_trampoline, ctx.get());
    if (h == nullptr) return 0;
    std::lock_guard lk(mu_);
    contexts_.push_back(std::move(ctx));  // lives as long as the process may get controls
    return reinterpret_cast<StatusHandle>(h);
  }

  bool set_status(StatusHandle handle, const Status& s) override {
    SERVICE_STATUS ss{};
    ss.dwServiceType = SERVICE_WIN32_OWN_PROCESS;
    ss.dwCurrentState = static_cast<DWORD>(s.state);
    ss.dwControlsAccepted = s.controls_accepted;
    ss.dwWin32ExitCode = s.win32_exit_code;
    ss.dwServiceSpecificExitCode = s.service_exit_code;
    ss.dwCheckPoint = s.check_point;
    ss.dwWaitHint = s.wait_hint_ms;
    return SetServiceStatus(reinterpret_cast<SERVICE_STATUS_HANDLE>(handle), &ss) != FALSE;
  }

  std::uint32_t last_error() override { return GetLastError(); }

 private:
  std::mutex mu_;
  std::vector<std::unique_ptr<HandlerContext>> contexts_;
};

}  // namespace

std::unique_ptr<ScmApi> make_win32_scm_api() {
  return std::make_unique<Win32ScmApi>();
}

}  // namespace uda::svc
