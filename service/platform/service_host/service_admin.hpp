#pragma once
// The logic of `uda-agent service install|uninstall|start|stop|status`, over
// the ScmAdmin facade (unit-tested on Linux with a mock).

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "platform/service_host/scm_admin.hpp"

namespace uda::svc {

inline constexpr const char* kServiceName = "UdaAgent";
inline constexpr const char* kDisplayName = "UDA Agent (ConfigMgr user device affinity)";
inline constexpr const char* kDescription =
    "Keeps Configuration Manager user device affinity (primary users) right: takes triggers "
    "from WMI events, the HTTP API and a spool folder, applies the rules and creates the "
    "relationships with retry.";
inline constexpr const char* kVirtualAccount = "NT SERVICE\\UdaAgent";

// Recovery: restart after 5 s, 30 s, 2 min; reset the failure count after a day.
FailureActions default_failure_actions();

struct InstallOptions {
  std::string exe_path;     // full path of uda-agent.exe (also the message file)
  std::string config_path;  // empty: the service uses ProgramData\UdaAgent\uda-agent.yaml
  std::string account;      // empty: NT SERVICE\UdaAgent; else a gMSA DOMAIN\name$
  std::chrono::milliseconds preshutdown_timeout{30'000};
};

struct WaitOptions {
  std::chrono::milliseconds timeout{30'000};
  std::chrono::milliseconds poll{250};
  std::function<void(std::chrono::milliseconds)> sleep;  // default: this_thread::sleep_for
};

struct AdminResult {
  int exit_code = 0;  // 0 ok, 1 failed, 2 bad input
  std::string message;
  std::optional<StatusEx> status;  // status / start / stop: the last status seen
  bool installed = true;
};

// The account to run as, or an error text: empty -> the virtual account;
// "DOMAIN\name$" -> a group managed service account.
std::optional<std::string> resolve_account(const std::string& account, std::string& error);
// "C:\...\uda-agent.exe" run [--config "C:\...\x.yaml"]
std::string image_path(const std::string& exe, const std::string& config);
// "ERROR_SERVICE_EXISTS (1073)" for the codes we know, else "error 1234".
std::string win32_error_name(std::uint32_t code);
// "stopped (exit 1066/3: store or provider error)" and the like.
std::string describe_status(const StatusEx& s);

AdminResult install_service(ScmAdmin& scm, const InstallOptions& options);
AdminResult uninstall_service(ScmAdmin& scm, const WaitOptions& wait);
AdminResult start_service(ScmAdmin& scm, const WaitOptions& wait);
AdminResult stop_service(ScmAdmin& scm, const WaitOptions& wait);
AdminResult query_service(ScmAdmin& scm);

}  // namespace uda::svc
