#pragma once
// Service-specific exit codes (SERVICE_STATUS.dwServiceSpecificExitCode, with
// dwWin32ExitCode = ERROR_SERVICE_SPECIFIC_ERROR 1066). `sc query UdaAgent`
// shows them; a non-zero code makes the SCM run the recovery actions. The
// first ones match the exit codes of `uda-agent run`.

#include <cstdint>

namespace uda::svc::exit_code {

inline constexpr int kOk = 0;
inline constexpr int kConfig = 2;          // configuration or rules error
inline constexpr int kStore = 3;           // store or provider error
inline constexpr int kStoreLocked = 4;     // another agent holds the store's lock
inline constexpr int kStopTimeout = 5;     // stop did not finish within the budget
inline constexpr int kUnexpectedStop = 6;  // the agent ended without being asked to
inline constexpr int kHandlerFailed = 7;   // RegisterServiceCtrlHandlerExW failed

const char* describe(int code);

}  // namespace uda::svc::exit_code
