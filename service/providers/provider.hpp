#pragma once
// The platform boundary towards ConfigMgr. A provider performs one call and
// reports ok | retry | fail; the dispatcher owns retries, backoff and the
// circuit breaker. Implementations: simulated (in-process site), adminservice
// (REST), wmi (Windows COM).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/asio.hpp"
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

class Provider {
 public:
  virtual ~Provider() = default;
  // "simulated", "adminservice", "wmi"
  [[nodiscard]] virtual std::string_view name() const = 0;

  // SMS_UserMachineRelationship.CreateRelationship
  virtual Awaitable<CreateResult> create_relationship(const RelationshipRequest& req) = 0;
  // SMS_UserMachineRelationship WHERE ResourceID = n AND UniqueUserName = 'd\u'
  virtual Awaitable<FindResult> find_relationship(std::uint32_t resource_id,
                                                  const std::string& unique_user_name) = 0;
  // SMS_R_System WHERE Name = '...' (exactly one active device, else ok + empty / fail)
  virtual Awaitable<ResolveResult> resolve_machine(const std::string& name) = 0;
  // SMS_R_User WHERE UserPrincipalName = '...' -> UniqueUserName (DOMAIN\user)
  virtual Awaitable<UserResolveResult> resolve_user(const std::string& upn) = 0;
  // SMS_G_System_SYSTEM_CONSOLE_USER rows with ResourceID > after_resource_id,
  // at most `limit` devices' rows (a device's rows are never split).
  virtual Awaitable<UsagePage> console_usage(std::uint32_t after_resource_id,
                                             std::size_t limit) = 0;
};

}  // namespace uda
