#pragma once
// The value types of the provider boundary (providers/provider.hpp): call
// outcomes, requests and the SMS rows a provider returns. Plain data with no
// Boost.Asio, so code that only needs the types (the simulated site's fixture,
// its options, the config loader) does not pull in the coroutine machinery.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/source_id.hpp"
#include "core/time.hpp"

namespace uda {

enum class CallOutcome {
  Ok,     // the call did what was asked (or it was already so)
  Retry,  // transient: try again later (network, busy, 5xx, 0x800706BA ...)
  Fail,   // permanent: retrying cannot help (unknown device, bad user, access denied)
};

std::string_view to_string(CallOutcome o);

struct CallStatus {
  CallOutcome outcome = CallOutcome::Ok;
  std::string detail;      // "0x80041002 WBEM_E_NOT_FOUND: resource 16777299 unknown"
  bool ambiguous = false;  // Retry where the call may have taken effect (RPC_S_CALL_FAILED)
  std::optional<Millis> retry_after;  // server asked for this delay (HTTP Retry-After)

  static CallStatus ok(std::string d = {}) { return {CallOutcome::Ok, std::move(d), false, {}}; }
  static CallStatus retry(std::string d, bool ambiguous_ = false) {
    return {CallOutcome::Retry, std::move(d), ambiguous_, {}};
  }
  static CallStatus fail(std::string d) { return {CallOutcome::Fail, std::move(d), false, {}}; }
};

struct RelationshipRequest {
  std::uint32_t machine_resource_id = 0;  // MachineResourceId
  std::string user_account_name;          // UserAccountName, DOMAIN\user
  SourceId source = SourceId::Administrator;
  TypeId type = TypeId::Primary;
  std::string trigger_id;  // for the provider's own log lines
};

// One SMS_UserMachineRelationship row.
struct Relationship {
  std::int64_t relationship_resource_id = 0;  // RelationshipResourceID
  std::uint32_t resource_id = 0;              // ResourceID (device)
  std::string unique_user_name;               // UniqueUserName, DOMAIN\user
  std::vector<SourceId> sources;              // Sources[]
  std::vector<std::uint32_t> types;           // Types[]
  bool is_active = true;                      // IsActive

  [[nodiscard]] bool has_source(SourceId s) const;
  [[nodiscard]] bool has_type(TypeId t) const;
};

struct CreateResult {
  CallStatus status;
  bool already_existed = false;  // the row existed; the source was added to it
};

struct FindResult {
  CallStatus status;
  std::optional<Relationship> relationship;  // empty when none (status ok)
};

struct ResolveResult {
  CallStatus status;
  std::optional<std::uint32_t> resource_id;  // empty when no device has that name (status ok)
};

struct UserResolveResult {
  CallStatus status;
  std::optional<std::string> unique_user_name;  // empty when no user has that UPN (status ok)
};

// One row of SMS_G_System_SYSTEM_CONSOLE_USER: how much one user used one
// device's console (hardware inventory, console usage).
struct ConsoleUsage {
  std::uint32_t resource_id = 0;              // ResourceID
  std::string system_console_user;            // SystemConsoleUser, DOMAIN\user
  double total_console_minutes = 0;           // TotalUserConsoleMinutes
  std::int64_t console_logons = 0;            // NumberOfConsoleLogons
  std::optional<TimePoint> last_console_use;  // LastConsoleUse
};

// A page of console usage, ordered by ResourceID then user.
struct UsagePage {
  CallStatus status;
  std::vector<ConsoleUsage> rows;
  bool more = false;  // another page follows (ask again after the last row's ResourceID)
};

}  // namespace uda
