#pragma once
// The "wmi" provider: ConfigMgr's SMS Provider through WMI (Windows, COM).
//
//   connect             \\<server>\root\sms, SELECT SiteCode FROM SMS_ProviderLocation WHERE
//                       ProviderForLocalSite = TRUE -> \\<server>\root\sms\site_<code>
//                       (skipped when site_code or namespace is configured)
//   CreateRelationship  SMS_UserMachineRelationship.CreateRelationship, static, in-parameters
//                       by name: MachineResourceId, UserAccountName, SourceId, TypeId;
//                       ReturnValue 0 = success
//   existence check     SELECT ... FROM SMS_UserMachineRelationship WHERE ResourceID = n AND
//                       UniqueUserName = 'D\\u'
//   device by name      SELECT ResourceID, Name, Active, Obsolete FROM SMS_R_System WHERE
//                       Name = '...' (active, not obsolete; two such devices = fail)
//   user by UPN         SELECT UniqueUserName, UserPrincipalName FROM SMS_R_User WHERE
//                       UserPrincipalName = '...'
//   console usage       WQL has no ORDER BY / TOP: SELECT ResourceID ... WHERE ResourceID > n
//                       picks the next `limit` devices, then their rows are read with
//                       ResourceID > n AND ResourceID <= <last of them>, sorted here
//
// Every string literal goes through wql_quote (\ and ' escaped), so a user or
// device name cannot change a query. Calls block (COM), so they run on the
// provider's own worker threads (each joins the multithreaded apartment);
// connected sessions are pooled and dropped after a transport failure
// (needs_reconnect), and the next call connects again.

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "providers/provider.hpp"
#include "providers/wmi/options.hpp"
#include "providers/wmi/session.hpp"

namespace uda::wmi {

class WmiProvider final : public Provider {
 public:
  WmiProvider(Options options, SessionFactory factory);
  ~WmiProvider() override;
  WmiProvider(const WmiProvider&) = delete;
  WmiProvider& operator=(const WmiProvider&) = delete;

  [[nodiscard]] std::string_view name() const override { return "wmi"; }

  Awaitable<CreateResult> create_relationship(const RelationshipRequest& req) override;
  Awaitable<FindResult> find_relationship(std::uint32_t resource_id,
                                          const std::string& unique_user_name) override;
  Awaitable<ResolveResult> resolve_machine(const std::string& name) override;
  Awaitable<UserResolveResult> resolve_user(const std::string& upn) override;
  Awaitable<UsagePage> console_usage(std::uint32_t after_resource_id, std::size_t limit) override;

  static constexpr std::size_t kMaxUsageDevices = 10'000;
  static constexpr std::string_view kSiteQuery =
      "SELECT SiteCode FROM SMS_ProviderLocation WHERE ProviderForLocalSite = TRUE";

  // The namespace in use once a call has connected ("" before).
  [[nodiscard]] std::string site_namespace_in_use() const;

 private:
  struct Lease {
    std::unique_ptr<WmiSession> session;
    WmiCall call;         // the connect, when it failed
    bool reused = false;  // came from the pool (may be stale)
  };
  // Worker thread only.
  Lease acquire();
  void release(std::unique_ptr<WmiSession> session, std::uint32_t last_hresult);
  WmiCall connect_site(WmiSession& session);
  QueryResult query(const std::string& wql);
  MethodResult method(const std::string& class_name, const std::string& method_name,
                      const WmiProperties& in);
  UsagePage usage_page(std::uint32_t after, std::size_t limit);

  // Runs fn on a worker thread; resumes on the caller's executor.
  template <class T>
  Awaitable<T> on_worker(std::function<T()> fn);

  Options options_;
  SessionFactory factory_;
  mutable std::mutex mu_;
  std::string site_ns_;  // resolved namespace, cached
  std::vector<std::unique_ptr<WmiSession>> idle_;
  struct Pool;
  std::unique_ptr<Pool> pool_;
};

}  // namespace uda::wmi
