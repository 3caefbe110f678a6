// ScmAdmin over the real Service Control Manager and the registry.
#include <windows.h>

#include <vector>

#include "platform/service_host/scm_admin.hpp"
#include "platform/windows/wide.hpp"

namespace uda::svc {

namespace {

SC_HANDLE sc(ServiceHandle h) {
  return reinterpret_cast<SC_HANDLE>(h);
}

std::uint32_t result(BOOL ok) {
  return ok ? 0 : GetLastError();
}

void fill(Status& out, const SERVICE_STATUS& s) {
  out.state = static_cast<State>(s.dwCurrentState);
  out.controls_accepted = s.dwControlsAccepted;
  out.win32_exit_code = s.dwWin32ExitCode;
  out.service_exit_code = s.dwServiceSpecificExitCode;
  out.check_point = s.dwCheckPoint;
  out.wait_hint_ms = s.dwWaitHint;
}

class Win32ScmAdmin final : public ScmAdmin {
 public:
  ~Win32ScmAdmin() override {
    if (manager_ != nullptr) CloseServiceHandle(manager_);
  }

  std::uint32_t create_service(const CreateParams& p, ServiceHandle& out) override {
    if (auto err = open_manager(SC_MANAGER_CONNECT | SC_MANAGER_CREATE_SERVICE); err != 0) {
      return err;
    }
    const auto name = win::to_wide(p.name);
    const auto display = win::to_wide(p.display_name);
    const auto path = win::to_wide(p.binary_path);
    const auto account = win::to_wide(p.account);
    SC_HANDLE h = CreateServiceW(manager_, name.c_str(), display.c_str(), SERVICE_ALL_ACCESS,
                                 SERVICE_WIN32_OWN_PROCESS, static_cast<DWORD>(p.start_type),
                                 SERVICE_ERROR_NORMAL, path.c_str(), nullptr, nullptr, nullptr,
                                 account.empty() ? nullptr : account.c_str(), nullptr);
    if (h == nullptr) return GetLastError();
    out = reinterpret_cast<ServiceHandle>(h);
    return 0;
  }

  std::uint32_t open_service(const std::string& name, ServiceHandle& out) override {
    if (auto err = open_manager(SC_MANAGER_CONNECT); err != 0) return err;
    const auto wname = win::to_wide(name);
    SC_HANDLE h = OpenServiceW(manager_, wname.c_str(), SERVICE_ALL_ACCESS);
    if (h == nullptr && GetLastError() == ERROR_ACCESS_DENIED) {
      // Not elevated: enough to read the status.
      h = OpenServiceW(manager_, wname.c_str(), SERVICE_QUERY_STATUS | SERVICE_QUERY_CONFIG);
    }
    if (h == nullptr) return GetLastError();
    out = reinterpret_cast<ServiceHandle>(h);
    return 0;
  }

  void close(ServiceHandle h) override { CloseServiceHandle(sc(h)); }

  std::uint32_t set_description(ServiceHandle h, const std::string& text) override {
    auto w = win::to_wide(text);
    SERVICE_DESCRIPTIONW d{};
    d.lpDescription = w.data();
    return result(ChangeServiceConfig2W(sc(h), SERVICE_CONFIG_DESCRIPTION, &d));
  }

  std::uint32_t set_delayed_auto_start(ServiceHandle h, bool delayed) override {
    SERVICE_DELAYED_AUTO_START_INFO info{};
    info.fDelayedAutostart = delayed ? TRUE : FALSE;
    return result(ChangeServiceConfig2W(sc(h), SERVICE_CONFIG_DELAYED_AUTO_START_INFO, &info));
  }

  std::uint32_t set_failure_actions(ServiceHandle h, const FailureActions& fa) override {
    std::vector<SC_ACTION> actions;
    for (const auto& a : fa.actions) {
      actions.push_back(SC_ACTION{static_cast<SC_ACTION_TYPE>(a.type), a.delay_ms});
    }
    SERVICE_FAILURE_ACTIONSW info{};
    info.dwResetPeriod = fa.reset_period_s;
    info.cActions = static_cast<DWORD>(actions.size());
    info.lpsaActions = actions.empty() ? nullptr : actions.data();
    return result(ChangeServiceConfig2W(sc(h), SERVICE_CONFIG_FAILURE_ACTIONS, &info));
  }

  std::uint32_t set_failure_actions_flag(ServiceHandle h, bool on_non_crash) override {
    SERVICE_FAILURE_ACTIONS_FLAG info{};
    info.fFailureActionsOnNonCrashFailures = on_non_crash ? TRUE : FALSE;
    return result(ChangeServiceConfig2W(sc(h), SERVICE_CONFIG_FAILURE_ACTIONS_FLAG, &info));
  }

  std::uint32_t set_preshutdown_timeout(ServiceHandle h, std::uint32_t timeout_ms) override {
    SERVICE_PRESHUTDOWN_INFO info{};
    info.dwPreshutdownTimeout = timeout_ms;
    return result(ChangeServiceConfig2W(sc(h), SERVICE_CONFIG_PRESHUTDOWN_INFO, &info));
  }

  std::uint32_t set_sid_type(ServiceHandle h, std::uint32_t sid_type) override {
    SERVICE_SID_INFO info{};
    info.dwServiceSidType = sid_type;
    return result(ChangeServiceConfig2W(sc(h), SERVICE_CONFIG_SERVICE_SID_INFO, &info));
  }

  std::uint32_t start(ServiceHandle h) override { return result(StartServiceW(sc(h), 0, nullptr)); }

  std::uint32_t control(ServiceHandle h, std::uint32_t code, Status& out) override {
    SERVICE_STATUS s{};
    const BOOL ok = ControlService(sc(h), code, &s);
    const DWORD err = ok ? 0 : GetLastError();
    fill(out, s);
    return err;
  }

  std::uint32_t query(ServiceHandle h, StatusEx& out) override {
    SERVICE_STATUS_PROCESS sp{};
    DWORD needed = 0;
    if (!QueryServiceStatusEx(sc(h), SC_STATUS_PROCESS_INFO, reinterpret_cast<LPBYTE>(&sp),
                              sizeof(sp), &needed)) {
      return GetLastError();
    }
    SERVICE_STATUS s{};
    s.dwServiceType = sp.dwServiceType;
    s.dwCurrentState = sp.dwCurrentState;
    s.dwControlsAccepted = sp.dwControlsAccepted;
    s.dwWin32ExitCode = sp.dwWin32ExitCode;
    s.dwServiceSpecificExitCode = sp.dwServiceSpecificExitCode;
    s.dwCheckPoint = sp.dwCheckPoint;
    s.dwWaitHint = sp.dwWaitHint;
    fill(out.status, s);
    out.pid = sp.dwProcessId;
    return 0;
  }

  std::uint32_t remove(ServiceHandle h) override { return result(DeleteService(sc(h))); }

  std::uint32_t register_event_source(const EventSourceRegistration& reg) override {
    const auto key = key_for(reg.source);
    HKEY hk = nullptr;
    LSTATUS st = RegCreateKeyExW(HKEY_LOCAL_MACHINE, key.c_str(), 0, nullptr, 0, KEY_SET_VALUE,
                                 nullptr, &hk, nullptr);
    if (st != ERROR_SUCCESS) return static_cast<std::uint32_t>(st);
    const auto file = win::to_wide(reg.message_file);
    const auto bytes = static_cast<DWORD>((file.size() + 1) * sizeof(wchar_t));
    const auto* data = reinterpret_cast<const BYTE*>(file.c_str());
    const DWORD count = reg.category_count;
    const DWORD types = reg.types_supported;
    st = RegSetValueExW(hk, L"EventMessageFile", 0, REG_EXPAND_SZ, data, bytes);
    if (st == ERROR_SUCCESS && count > 0) {
      st = RegSetValueExW(hk, L"CategoryMessageFile", 0, REG_EXPAND_SZ, data, bytes);
      if (st == ERROR_SUCCESS) {
        st = RegSetValueExW(hk, L"CategoryCount", 0, REG_DWORD,
                            reinterpret_cast<const BYTE*>(&count), sizeof(count));
      }
    }
    if (st == ERROR_SUCCESS) {
      st = RegSetValueExW(hk, L"TypesSupported", 0, REG_DWORD,
                          reinterpret_cast<const BYTE*>(&types), sizeof(types));
    }
    RegCloseKey(hk);
    return static_cast<std::uint32_t>(st);
  }

  std::uint32_t unregister_event_source(const std::string& source) override {
    const LSTATUS st = RegDeleteKeyW(HKEY_LOCAL_MACHINE, key_for(source).c_str());
    return st == ERROR_FILE_NOT_FOUND ? 0 : static_cast<std::uint32_t>(st);
  }

 private:
  static std::wstring key_for(const std::string& source) {
    return L"SYSTEM\\CurrentControlSet\\Services\\EventLog\\Application\\" + win::to_wide(source);
  }

  std::uint32_t open_manager(DWORD access) {
    if (manager_ != nullptr && (manager_access_ & access) == access) return 0;
    if (manager_ != nullptr) CloseServiceHandle(manager_);
    manager_ = OpenSCManagerW(nullptr, nullptr, access);
    if (manager_ == nullptr) return GetLastError();
    manager_access_ = access;
    return 0;
  }

  SC_HANDLE manager_ = nullptr;
  DWORD manager_access_ = 0;
};

}  // namespace

std::unique_ptr<ScmAdmin> make_win32_scm_admin() {
  return std::make_unique<Win32ScmAdmin>();
}

}  // namespace uda::svc
