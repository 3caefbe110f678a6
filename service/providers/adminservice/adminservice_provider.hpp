#pragma once
// The "adminservice" provider: ConfigMgr's REST API on the SMS Provider
// (https://<provider>/AdminService/wmi/...), usable from any platform.
//
//   CreateRelationship  POST SMS_UserMachineRelationship.CreateRelationship
//                       {"MachineResourceId":n,"UserAccountName":"D\\u","SourceId":s,"TypeId":t}
//   existence check     GET  SMS_UserMachineRelationship?$filter=ResourceID eq n and
//                            UniqueUserName eq 'D\u'
//   device by name      GET  SMS_R_System?$filter=Name eq '...'  (active, not obsolete)
//   user by UPN         GET  SMS_R_User?$filter=UserPrincipalName eq '...'
//   console usage       GET  SMS_G_System_SYSTEM_CONSOLE_USER?$filter=ResourceID gt n
//                            &$orderby=ResourceID&$top=k
//
// HTTP exchanges block (libcurl, or WinHTTP on Windows), so they run on a
// small pool of worker threads; each call's coroutine waits on the agent's
// io_context meanwhile.

#include <memory>
#include <string>

#include "core/result.hpp"
#include "providers/adminservice/http_transport.hpp"
#include "providers/adminservice/options.hpp"
#include "providers/provider.hpp"

namespace uda::adminservice {

class AdminServiceProvider final : public Provider {
 public:
  AdminServiceProvider(Options options, std::unique_ptr<HttpTransport> transport,
                       const TimeSource& time);
  ~AdminServiceProvider() override;
  // With the platform's transport: libcurl (curl_transport.hpp), or WinHTTP
  // on Windows (winhttp_transport.hpp).
  static Expected<std::unique_ptr<AdminServiceProvider>> create(const Options& options,
                                                                const TimeSource& time);

  [[nodiscard]] std::string_view name() const override { return "adminservice"; }

  Awaitable<CreateResult> create_relationship(const RelationshipRequest& req) override;
  Awaitable<FindResult> find_relationship(std::uint32_t resource_id,
                                          const std::string& unique_user_name) override;
  Awaitable<ResolveResult> resolve_machine(const std::string& name) override;
  Awaitable<UserResolveResult> resolve_user(const std::string& upn) override;
  Awaitable<UsagePage> console_usage(std::uint32_t after_resource_id, std::size_t limit) override;

  // Most rows one usage page asks for.
  static constexpr std::size_t kMaxUsageRows = 10'000;

 private:
  // Runs one exchange on a worker thread; resumes on the caller's executor.
  Awaitable<HttpResponse> exchange(HttpRequest request);
  [[nodiscard]] std::string wmi_url(std::string_view path) const;

  Options options_;
  std::unique_ptr<HttpTransport> transport_;
  const TimeSource& time_;
  struct Pool;
  std::unique_ptr<Pool> pool_;
};

}  // namespace uda::adminservice
