#include "providers/simulated/wmi_codes.hpp"

#include <fmt/format.h>

#include <array>
#include <utility>

namespace uda::wmi {
namespace {

struct CodeInfo {
  std::uint32_t code;
  std::string_view name;
  bool transient;
};

constexpr std::array<CodeInfo, 25> kCodes{{
    {kRpcServerUnavailable, "RPC_S_SERVER_UNAVAILABLE", true},
    {kRpcCallFailedDne, "RPC_S_CALL_FAILED_DNE", true},
    {kRpcCallFailed, "RPC_S_CALL_FAILED", true},
    {kRpcDisconnected, "RPC_E_DISCONNECTED", true},
    {kTransportFailure, "WBEM_E_TRANSPORT_FAILURE", true},
    {kShuttingDown, "WBEM_E_SHUTTING_DOWN", true},
    {kServerTooBusy, "WBEM_E_SERVER_TOO_BUSY", true},
    {kTimedOut, "WBEM_E_TIMED_OUT", true},
    {kQuotaViolation, "WBEM_E_QUOTA_VIOLATION", true},
    {kOutOfMemory, "WBEM_E_OUT_OF_MEMORY", true},
    {kProviderLoadFailure, "WBEM_E_PROVIDER_LOAD_FAILURE", true},
    {kCallCancelled, "WBEM_E_CALL_CANCELLED", true},
    {kFailed, "WBEM_E_FAILED", false},
    {kNotFound, "WBEM_E_NOT_FOUND", false},
    {kAccessDenied, "WBEM_E_ACCESS_DENIED", false},
    {kTypeMismatch, "WBEM_E_TYPE_MISMATCH", false},
    {kInvalidParameter, "WBEM_E_INVALID_PARAMETER", false},
    {kInvalidNamespace, "WBEM_E_INVALID_NAMESPACE", false},
    {kInvalidClass, "WBEM_E_INVALID_CLASS", false},
    {kProviderFailure, "WBEM_E_PROVIDER_FAILURE", false},
    {kNotSupported, "WBEM_E_NOT_SUPPORTED", false},
    {kInvalidQuery, "WBEM_E_INVALID_QUERY", false},
    {kInvalidMethod, "WBEM_E_INVALID_METHOD", false},
    {kInvalidMethodParameters, "WBEM_E_INVALID_METHOD_PARAMETERS", false},
    {kEAccessDenied, "E_ACCESSDENIED", false},
}};

}  // namespace

std::string_view code_name(std::uint32_t code) {
  for (const auto& c : kCodes) {
    if (c.code == code) return c.name;
  }
  return "UNKNOWN";
}

bool is_transient(std::uint32_t code) {
  for (const auto& c : kCodes) {
    if (c.code == code) return c.transient;
  }
  return false;
}

std::string detail(std::uint32_t code, std::string_view message) {
  return fmt::format("0x{:08X} {}: {}", code, code_name(code), message);
}

CallStatus to_status(std::uint32_t code, std::string_view message, bool may_have_run) {
  if (code == 0) return CallStatus::ok(std::string(message));
  auto d = detail(code, message);
  if (code == kFailed) return CallStatus::retry(std::move(d));
  if (is_transient(code)) {
    return CallStatus::retry(std::move(d), may_have_run && code == kRpcCallFailed);
  }
  return CallStatus::fail(std::move(d));
}

}  // namespace uda::wmi
