#pragma once
// WMI / RPC result codes the simulated site reports (DESIGN §4), their names
// and whether a retry can help. Detail strings look like
// "0x80041002 WBEM_E_NOT_FOUND: no device with ResourceID 16777299".

#include <cstdint>
#include <string>
#include <string_view>

#include "providers/provider.hpp"

namespace uda::wmi {

// Transient
inline constexpr std::uint32_t kRpcServerUnavailable = 0x800706BA;  // RPC_S_SERVER_UNAVAILABLE
inline constexpr std::uint32_t kRpcCallFailedDne = 0x800706BB;      // RPC_S_CALL_FAILED_DNE
inline constexpr std::uint32_t kRpcCallFailed = 0x800706BE;         // RPC_S_CALL_FAILED (ambiguous)
inline constexpr std::uint32_t kRpcDisconnected = 0x80010108;       // RPC_E_DISCONNECTED
inline constexpr std::uint32_t kTransportFailure = 0x80041015;      // WBEM_E_TRANSPORT_FAILURE
inline constexpr std::uint32_t kShuttingDown = 0x80041033;          // WBEM_E_SHUTTING_DOWN
inline constexpr std::uint32_t kServerTooBusy = 0x80041045;         // WBEM_E_SERVER_TOO_BUSY
inline constexpr std::uint32_t kTimedOut = 0x80041069;              // WBEM_E_TIMED_OUT
inline constexpr std::uint32_t kQuotaViolation = 0x8004106C;        // WBEM_E_QUOTA_VIOLATION
inline constexpr std::uint32_t kOutOfMemory = 0x80041006;           // WBEM_E_OUT_OF_MEMORY
inline constexpr std::uint32_t kProviderLoadFailure = 0x80041013;   // WBEM_E_PROVIDER_LOAD_FAILURE
inline constexpr std::uint32_t kCallCancelled = 0x80041032;         // WBEM_E_CALL_CANCELLED
// Permanent
inline constexpr std::uint32_t kFailed = 0x80041001;                   // WBEM_E_FAILED
inline constexpr std::uint32_t kNotFound = 0x80041002;                 // WBEM_E_NOT_FOUND
inline constexpr std::uint32_t kAccessDenied = 0x80041003;             // WBEM_E_ACCESS_DENIED
inline constexpr std::uint32_t kTypeMismatch = 0x80041005;             // WBEM_E_TYPE_MISMATCH
inline constexpr std::uint32_t kInvalidParameter = 0x80041008;         // WBEM_E_INVALID_PARAMETER
inline constexpr std::uint32_t kInvalidNamespace = 0x8004100E;         // WBEM_E_INVALID_NAMESPACE
inline constexpr std::uint32_t kInvalidClass = 0x80041010;             // WBEM_E_INVALID_CLASS
inline constexpr std::uint32_t kProviderFailure = 0x80041004;          // WBEM_E_PROVIDER_FAILURE
inline constexpr std::uint32_t kNotSupported = 0x8004100C;             // WBEM_E_NOT_SUPPORTED
inline constexpr std::uint32_t kInvalidQuery = 0x80041017;             // WBEM_E_INVALID_QUERY
inline constexpr std::uint32_t kInvalidMethod = 0x8004102E;            // WBEM_E_INVALID_METHOD
inline constexpr std::uint32_t kInvalidMethodParameters = 0x8004102F;  // ..._METHOD_PARAMETERS
inline constexpr std::uint32_t kEAccessDenied = 0x80070005;            // E_ACCESSDENIED

// "WBEM_E_NOT_FOUND"; "UNKNOWN" for codes not listed above.
std::string_view code_name(std::uint32_t code);
// True for the transient codes above (RPC_S_CALL_FAILED included).
bool is_transient(std::uint32_t code);
// "0x80041002 WBEM_E_NOT_FOUND: <message>"
std::string detail(std::uint32_t code, std::string_view message);
// ok for 0, retry for transient codes (ambiguous only for RPC_S_CALL_FAILED
// when `may_have_run`), fail otherwise. WBEM_E_FAILED is reported as retry:
// the simulated site uses it for its own storage trouble (SQLite busy or I/O).
CallStatus to_status(std::uint32_t code, std::string_view message, bool may_have_run = false);

}  // namespace uda::wmi
