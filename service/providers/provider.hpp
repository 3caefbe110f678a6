#pragma once
// The platform boundary towards ConfigMgr. A provider performs one call and
// reports ok | retry | fail; the dispatcher owns retries, backoff and the
// circuit breaker. Implementations: simulated (in-process site), adminservice
// (REST), wmi (Windows COM).

#include <cstdint>
#include <string>
#include <string_view>

#include "core/asio.hpp"
#include "providers/provider_types.hpp"

namespace uda {

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
