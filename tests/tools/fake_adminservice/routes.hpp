#pragma once
// The fake AdminService's routes: ConfigMgr's REST API (base /AdminService/wmi/)
// answered from a SimulatedSite, so a client's requests have the site's
// effects and tests can inspect them in the state file. Pure request ->
// response (no sockets): the server adds auth, faults and the connection.
//
//   POST SMS_UserMachineRelationship.CreateRelationship
//        {"MachineResourceId":16777222,"UserAccountName":"CONTOSO\\jdoe","SourceId":6,"TypeId":1}
//        201 {"@odata.context":..,"ReturnValue":0}; 400 bad body (numbers must be JSON numbers,
//        no missing or unknown fields), bad user / SourceId / TypeId; 404 unknown or inactive
//        device; 403 access denied (fail lists); 500 site storage trouble; 415 a Content-Type
//        other than JSON.
//   GET  SMS_UserMachineRelationship?$filter=ResourceID eq n and UniqueUserName eq 'd\u'
//   GET  SMS_R_System(n)                       200 or 404
//   GET  SMS_R_System?$filter=Name eq 'WKS-0001'&$select=ResourceID,Name,Active,Obsolete
//   GET  SMS_R_User?$filter=UserPrincipalName eq 'jdoe@contoso.com'
//   GET  SMS_G_System_SYSTEM_CONSOLE_USER?$filter=ResourceID gt n&$orderby=ResourceID&$top=500
//
// Collections answer 200 {"@odata.context":..,"value":[...]} (empty when nothing matches).
// $filter (see odata_filter.hpp) may name any property of the class; strings compare
// case-insensitively, as WMI does. $select projects, $orderby sorts by one property,
// $top limits the rows (no server-side paging, no @odata.nextLink). Unknown paths,
// classes and methods: 404. Errors are OData: {"error":{"code":"BadRequest","message":..}}.

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "providers/simulated/site.hpp"

namespace uda::fake {

struct RouteRequest {
  std::string method;  // "GET", "POST"
  std::string target;  // "/AdminService/wmi/SMS_R_System(16777220)?$select=Name"
  std::string body;
  std::string content_type;  // empty when absent
  std::string request_id;    // recorded as the site effect's trigger id
};

struct RouteResponse {
  unsigned status = 200;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // besides Content-Type
};

struct RouteOptions {
  std::string base_url;                    // "https://127.0.0.1:8443", for @odata.context
  std::vector<std::string> fail_users;     // DOMAIN\user: CreateRelationship -> 403
  std::vector<std::string> fail_machines;  // ResourceID or name: CreateRelationship -> 403
};

// An OData error answer: {"error":{"code":code,"message":message}}.
RouteResponse odata_error(unsigned status, std::string_view code, std::string_view message);

class AdminServiceRoutes {
 public:
  AdminServiceRoutes(SimulatedSite& site, RouteOptions options);

  RouteResponse handle(const RouteRequest& request);

  // The base URL is known once the server listens.
  void set_base_url(std::string url) { options_.base_url = std::move(url); }

 private:
  RouteResponse create_relationship(const RouteRequest& request);

  SimulatedSite& site_;
  RouteOptions options_;
};

}  // namespace uda::fake
