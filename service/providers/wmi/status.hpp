#pragma once
// How a WMI call's outcome becomes ok | retry | fail (DESIGN §4).
//
//   0                                  ok
//   0x800706BE RPC_S_CALL_FAILED       retry; ambiguous for a write (the call may have run)
//   WBEM_E_TIMED_OUT on a write        retry; ambiguous (the agent stopped waiting, the
//                                      method may still run)
//   other transient codes              retry (0x800706BA, 0x800706BB, 0x80010108,
//                                      0x80041015, 0x80041033, 0x80041045, 0x80041069,
//                                      0x8004106C, 0x80041006, 0x80041013, 0x80041032)
//   WBEM_E_FAILED, PROVIDER_FAILURE    decided by the SMS_ExtendedStatus the provider left
//                                      (ErrorCode, Description): a transient code or a SQL
//                                      deadlock / timeout retries; a permanent code, "access
//                                      denied", "not found", "invalid", "does not exist" fail;
//                                      no extended status or nothing recognisable retries
//                                      (the dispatcher's max attempts bound it). A retried
//                                      write is ambiguous: checked before the next call
//   everything else                    fail (INVALID_PARAMETER, INVALID_METHOD(_PARAMETERS),
//                                      TYPE_MISMATCH, INVALID_CLASS, INVALID_NAMESPACE,
//                                      NOT_FOUND, ACCESS_DENIED, unknown codes)
//
// Detail strings: "0x80041001 WBEM_E_FAILED: CreateRelationship: SMS_ExtendedStatus
// ErrorCode 1205 (0x000004B5): Transaction was deadlocked".

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "providers/provider.hpp"
#include "providers/simulated/wmi_codes.hpp"

namespace uda::wmi {

// __ExtendedStatus / SMS_ExtendedStatus: the error object a provider leaves.
struct ExtendedStatus {
  std::string class_name;                   // "SMS_ExtendedStatus", "__ExtendedStatus"
  std::optional<std::uint32_t> error_code;  // SMS_ExtendedStatus.ErrorCode (else StatusCode)
  std::string description;                  // Description
  std::string operation;                    // Operation ("ExecMethod")
  std::string parameter_info;               // ParameterInfo
};

// What one WMI call (connect, query, method) reported. hresult 0 = success.
struct WmiCall {
  std::uint32_t hresult = 0;
  std::string message;  // what was being done, and what COM said
  std::optional<ExtendedStatus> extended;

  [[nodiscard]] bool ok() const { return hresult == 0; }
  static WmiCall failure(std::uint32_t hr, std::string msg,
                         std::optional<ExtendedStatus> ext = std::nullopt) {
    return {hr, std::move(msg), std::move(ext)};
  }
};

// "0x80041001 WBEM_E_FAILED: <message>: SMS_ExtendedStatus ErrorCode ... : <Description>"
std::string describe(const WmiCall& call);

// ok | retry | fail as the table above says. `write`: the call changes the
// site (CreateRelationship), so a broken connection leaves it ambiguous.
CallStatus classify(const WmiCall& call, bool write);

// Transport failures after which the connection (IWbemServices) is dropped
// and made again: RPC server unavailable / call failed, disconnected,
// WBEM_E_TRANSPORT_FAILURE, SHUTTING_DOWN.
bool needs_reconnect(std::uint32_t hresult);

}  // namespace uda::wmi
