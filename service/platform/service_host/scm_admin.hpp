#pragma once
// What `uda-agent service install|uninstall|start|stop|status` needs from the
// SCM and the registry, as an interface with plain types (CreateServiceW,
// OpenServiceW, ChangeServiceConfig2W per info level, StartServiceW,
// ControlService, QueryServiceStatusEx, DeleteService, and the Event Log
// source's registry key). The Win32 implementation is
// make_win32_scm_admin(); tests use a mock. Calls return 0 or a Win32 error.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "platform/service_host/scm_api.hpp"

namespace uda::svc {

using ServiceHandle = std::uintptr_t;  // SC_HANDLE of a service

enum class StartType : std::uint32_t { Auto = 2, Demand = 3, Disabled = 4 };

struct CreateParams {
  std::string name;
  std::string display_name;
  std::string binary_path;  // full command line, exe path quoted
  std::string account;      // "NT SERVICE\\UdaAgent" or "DOMAIN\\gmsa$" (no password)
  StartType start_type = StartType::Auto;
  bool operator==(const CreateParams&) const = default;
};

// SC_ACTION / SERVICE_FAILURE_ACTIONSW.
enum class ActionType : std::uint32_t { None = 0, Restart = 1, Reboot = 2, RunCommand = 3 };
struct FailureAction {
  ActionType type = ActionType::None;
  std::uint32_t delay_ms = 0;
  bool operator==(const FailureAction&) const = default;
};
struct FailureActions {
  std::uint32_t reset_period_s = 0;
  std::vector<FailureAction> actions;
  bool operator==(const FailureActions&) const = default;
};

// SERVICE_STATUS_PROCESS.
struct StatusEx {
  Status status;
  std::uint32_t pid = 0;
};

// HKLM\SYSTEM\CurrentControlSet\Services\EventLog\Application\<source>.
struct EventSourceRegistration {
  std::string source;
  std::string message_file;  // EventMessageFile and CategoryMessageFile
  std::uint32_t category_count = 0;
  std::uint32_t types_supported = 0;
  bool operator==(const EventSourceRegistration&) const = default;
};

inline constexpr std::uint32_t kSidTypeUnrestricted = 1;  // SERVICE_SID_TYPE_UNRESTRICTED

class ScmAdmin {
 public:
  virtual ~ScmAdmin() = default;
  virtual std::uint32_t create_service(const CreateParams& params, ServiceHandle& out) = 0;
  virtual std::uint32_t open_service(const std::string& name, ServiceHandle& out) = 0;
  virtual void close(ServiceHandle handle) = 0;
  // ChangeServiceConfig2W, one info level each.
  virtual std::uint32_t set_description(ServiceHandle h, const std::string& text) = 0;
  virtual std::uint32_t set_delayed_auto_start(ServiceHandle h, bool delayed) = 0;
  virtual std::uint32_t set_failure_actions(ServiceHandle h, const FailureActions& actions) = 0;
  // SERVICE_CONFIG_FAILURE_ACTIONS_FLAG: also run them on a non-zero exit code.
  virtual std::uint32_t set_failure_actions_flag(ServiceHandle h, bool on_non_crash) = 0;
  virtual std::uint32_t set_preshutdown_timeout(ServiceHandle h, std::uint32_t timeout_ms) = 0;
  virtual std::uint32_t set_sid_type(ServiceHandle h, std::uint32_t sid_type) = 0;
  virtual std::uint32_t start(ServiceHandle h) = 0;
  virtual std::uint32_t control(ServiceHandle h, std::uint32_t control, Status& out) = 0;
  virtual std::uint32_t query(ServiceHandle h, StatusEx& out) = 0;
  virtual std::uint32_t remove(ServiceHandle h) = 0;  // DeleteService
  virtual std::uint32_t register_event_source(const EventSourceRegistration& reg) = 0;
  virtual std::uint32_t unregister_event_source(const std::string& source) = 0;
};

#ifdef _WIN32
std::unique_ptr<ScmAdmin> make_win32_scm_admin();
#endif

}  // namespace uda::svc
