#pragma once
// The slice of the Windows Service Control Manager that the service host
// uses, as an interface with plain types: StartServiceCtrlDispatcherW,
// RegisterServiceCtrlHandlerExW and SetServiceStatus. The Win32
// implementation lives in platform/windows/ (make_win32_scm_api()); tests use
// a mock. Numeric values are the Win32 ones, so they pass straight through.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace uda::svc {

// SERVICE_STATUS.dwCurrentState
enum class State : std::uint32_t {
  Stopped = 1,
  StartPending = 2,
  StopPending = 3,
  Running = 4,
  ContinuePending = 5,
  PausePending = 6,
  Paused = 7,
};
const char* to_string(State s);

// SERVICE_CONTROL_* codes the handler receives.
namespace control {
inline constexpr std::uint32_t kStop = 0x1;
inline constexpr std::uint32_t kPause = 0x2;
inline constexpr std::uint32_t kContinue = 0x3;
inline constexpr std::uint32_t kInterrogate = 0x4;
inline constexpr std::uint32_t kShutdown = 0x5;
inline constexpr std::uint32_t kParamChange = 0x6;
inline constexpr std::uint32_t kPreshutdown = 0xF;
}  // namespace control

// SERVICE_ACCEPT_* bits of SERVICE_STATUS.dwControlsAccepted.
namespace accept {
inline constexpr std::uint32_t kStop = 0x1;
inline constexpr std::uint32_t kShutdown = 0x4;
inline constexpr std::uint32_t kParamChange = 0x8;
inline constexpr std::uint32_t kPreshutdown = 0x100;
}  // namespace accept

// Win32 error codes used by the host and the admin commands.
namespace win32 {
inline constexpr std::uint32_t kNoError = 0;
inline constexpr std::uint32_t kAccessDenied = 5;
inline constexpr std::uint32_t kInvalidParameter = 87;
inline constexpr std::uint32_t kCallNotImplemented = 120;
inline constexpr std::uint32_t kInvalidLevel = 124;
inline constexpr std::uint32_t kServiceRequestTimeout = 1053;
inline constexpr std::uint32_t kServiceAlreadyRunning = 1056;
inline constexpr std::uint32_t kServiceDoesNotExist = 1060;
inline constexpr std::uint32_t kServiceCannotAcceptCtrl = 1061;
inline constexpr std::uint32_t kServiceNotActive = 1062;
inline constexpr std::uint32_t kFailedServiceControllerConnect = 1063;
inline constexpr std::uint32_t kServiceSpecificError = 1066;
inline constexpr std::uint32_t kServiceMarkedForDelete = 1072;
inline constexpr std::uint32_t kServiceExists = 1073;
inline constexpr std::uint32_t kShutdownInProgress = 1115;
}  // namespace win32

// SERVICE_STATUS for a SERVICE_WIN32_OWN_PROCESS service.
struct Status {
  State state = State::Stopped;
  std::uint32_t controls_accepted = 0;
  std::uint32_t win32_exit_code = 0;
  std::uint32_t service_exit_code = 0;
  std::uint32_t check_point = 0;
  std::uint32_t wait_hint_ms = 0;
  bool operator==(const Status&) const = default;
};

// SERVICE_STATUS_HANDLE as an integer; 0 means "registration failed".
using StatusHandle = std::uintptr_t;
// HandlerEx minus the event data: (control, event type) -> Win32 result.
using ControlHandler =
    std::function<std::uint32_t(std::uint32_t control, std::uint32_t event_type)>;
// ServiceMain: the arguments given to StartService (argv[0] is the name).
using ServiceMain = std::function<void(const std::vector<std::string>& args)>;

class ScmApi {
 public:
  virtual ~ScmApi() = default;
  // StartServiceCtrlDispatcherW with one SERVICE_WIN32_OWN_PROCESS entry.
  // Blocks until the service has stopped; returns 0, or the Win32 error
  // (kFailedServiceControllerConnect when the process was not started by
  // the SCM, e.g. from a console).
  virtual std::uint32_t start_dispatcher(const std::string& service_name, ServiceMain main) = 0;
  // RegisterServiceCtrlHandlerExW. Returns 0 on failure (see last_error()).
  virtual StatusHandle register_handler(const std::string& service_name,
                                        ControlHandler handler) = 0;
  // SetServiceStatus. Returns false on failure.
  virtual bool set_status(StatusHandle handle, const Status& status) = 0;
  // GetLastError() of the last failed call on this thread.
  virtual std::uint32_t last_error() = 0;
};

#ifdef _WIN32
std::unique_ptr<ScmApi> make_win32_scm_api();
#endif

}  // namespace uda::svc
