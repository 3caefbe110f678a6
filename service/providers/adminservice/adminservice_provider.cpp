#include "providers/adminservice/adminservice_provider.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <nlohmann/json.hpp>

#include "core/log_text.hpp"
#include "core/user_account.hpp"
#include "providers/adminservice/odata.hpp"
#include "providers/adminservice/status_map.hpp"
#ifdef _WIN32
#include "providers/adminservice/winhttp_transport.hpp"
#else
#include "providers/adminservice/curl_transport.hpp"
#endif

namespace uda::adminservice {

using nlohmann::json;

struct AdminServiceProvider::Pool {
  explicit Pool(int threads) : pool(static_cast<std::size_t>(threads)) {}
  ~Pool() {
    pool.stop();
    pool.join();
  }
  asio::thread_pool pool;
};

AdminServiceProvider::AdminServiceProvider(Options options,
                                           std::unique_ptr<HttpTransport> transport,
                                           const TimeSource& time)
    : options_(std::move(options)),
      transport_(std::move(transport)),
      time_(time),
      pool_(std::make_unique<Pool>(options_.workers)) {
  spdlog::info("adminservice: {} auth={} tls_verify={} ca={} timeout={} workers={}", options_.url,
               to_string(options_.auth), options_.verify_tls,
               options_.ca_file.empty() ? std::string("system") : options_.ca_file.string(),
               format_duration(options_.timeout), options_.workers);
  if (!options_.verify_tls) {
    spdlog::warn(
        "adminservice: TLS certificates are NOT verified (verify_tls: false); use this "
        "only in a lab");
  }
}

AdminServiceProvider::~AdminServiceProvider() = default;

Expected<std::unique_ptr<AdminServiceProvider>> AdminServiceProvider::create(
    const Options& options, const TimeSource& time) {
#ifdef _WIN32
  auto t = WinHttpTransport::create(options);
#else
  auto t = CurlTransport::create(options);
#endif
  if (!t) return t.error();
  return std::make_unique<AdminServiceProvider>(options, std::move(*t), time);
}

std::string AdminServiceProvider::wmi_url(std::string_view path) const {
  return fmt::format("{}/AdminService/wmi/{}", options_.url, path);
}

Awaitable<HttpResponse> AdminServiceProvider::exchange(HttpRequest request) {
  HttpTransport* transport = transport_.get();
  auto work = [transport, request]() -> Awaitable<HttpResponse> {
    co_return transport->send(request);
  };
  co_return co_await asio::co_spawn(pool_->pool.get_executor(), work, asio::use_awaitable);
}

namespace {

std::optional<std::int64_t> as_int(const json& row, const char* key) {
  const auto it = row.find(key);
  if (it == row.end()) return std::nullopt;
  if (it->is_number_integer()) return it->get<std::int64_t>();
  if (it->is_boolean()) return it->get<bool>() ? 1 : 0;
  if (it->is_string()) {  // some WMI integer types (uint64) come as strings
    std::int64_t v = 0;
    const auto& s = it->get_ref<const std::string&>();
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec == std::errc{} && p == s.data() + s.size()) return v;
  }
  return std::nullopt;
}

std::string as_text(const json& row, const char* key) {
  const auto it = row.find(key);
  return it != row.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

Awaitable<CreateResult> AdminServiceProvider::create_relationship(const RelationshipRequest& req) {
  // Numbers as JSON numbers (the AdminService refuses quoted numbers), the
  // user as DOMAIN\user, in-parameters by name.
  const json body{{"MachineResourceId", req.machine_resource_id},
                  {"UserAccountName", req.user_account_name},
                  {"SourceId", static_cast<std::uint32_t>(req.source)},
                  {"TypeId", static_cast<std::uint32_t>(req.type)}};
  HttpRequest http{"POST", wmi_url("SMS_UserMachineRelationship.CreateRelationship"), body.dump()};
  const auto r = co_await exchange(http);
  CreateResult out;
  out.status = to_status(r, "CreateRelationship", /*writes=*/true, time_.now());
  if (out.status.outcome == CallOutcome::Ok && !r.body.empty()) {
    // 201 with an empty body, or 200/201 with the method's ReturnValue.
    const auto j = json::parse(r.body, nullptr, false);
    if (!j.is_discarded() && j.is_object()) {
      if (auto rv = as_int(j, "ReturnValue"); rv && *rv != 0) {
        out.status = CallStatus::fail(fmt::format("CreateRelationship: ReturnValue {} (0x{:08X})",
                                                  *rv, static_cast<std::uint32_t>(*rv)));
      }
    }
  }
  spdlog::info(
      "adminservice: CreateRelationship trigger={} machine={} user=\"{}\" source={} type={} "
      "http={} outcome={} ambiguous={} detail=\"{}\"",
      log_value(req.trigger_id), req.machine_resource_id, req.user_account_name,
      static_cast<unsigned>(req.source), static_cast<unsigned>(req.type),
      r.error == TransportError::None ? std::to_string(r.status) : r.error_text,
      to_string(out.status.outcome), out.status.ambiguous, out.status.detail);
  co_return out;
}

Awaitable<FindResult> AdminServiceProvider::find_relationship(std::uint32_t resource_id,
                                                              const std::string& unique_user_name) {
  const std::string user = unique_user_name;
  HttpRequest http{
      "GET",
      wmi_url("SMS_UserMachineRelationship") +
          query_string({{"$filter", fmt::format("ResourceID eq {} and UniqueUserName eq {}",
                                                resource_id, odata_string(user))}}),
      {}};
  const auto r = co_await exchange(http);
  FindResult out;
  out.status = to_status(r, "find relationship", false, time_.now());
  if (out.status.outcome != CallOutcome::Ok) co_return out;
  auto rows = value_array(r.body);
  if (!rows) {
    out.status = CallStatus::retry(rows.error().message);
    co_return out;
  }
  const std::string want = ascii_lower(user);
  for (const auto& row : *rows) {
    if (!row.is_object()) continue;
    if (as_int(row, "ResourceID") != static_cast<std::int64_t>(resource_id)) continue;
    if (ascii_lower(as_text(row, "UniqueUserName")) != want) continue;
    Relationship rel;
    rel.relationship_resource_id = as_int(row, "RelationshipResourceID").value_or(0);
    rel.resource_id = resource_id;
    rel.unique_user_name = as_text(row, "UniqueUserName");
    if (const auto s = row.find("Sources"); s != row.end() && s->is_array()) {
      for (const auto& v : *s) {
        if (!v.is_number_integer()) continue;
        if (auto id = source_id_from_number(v.get<std::int64_t>())) rel.sources.push_back(*id);
      }
    }
    if (const auto t = row.find("Types"); t != row.end() && t->is_array()) {
      for (const auto& v : *t) {
        if (v.is_number_integer()) rel.types.push_back(v.get<std::uint32_t>());
      }
    }
    rel.is_active = as_int(row, "IsActive").value_or(1) != 0;
    out.relationship = std::move(rel);
    break;
  }
  co_return out;
}

Awaitable<ResolveResult> AdminServiceProvider::resolve_machine(const std::string& machine) {
  const std::string name = machine;
  HttpRequest http{
      "GET",
      wmi_url("SMS_R_System") + query_string({{"$filter", "Name eq " + odata_string(name)},
                                              {"$select", "ResourceID,Name,Active,Obsolete"}}),
      {}};
  const auto r = co_await exchange(http);
  ResolveResult out;
  out.status = to_status(r, "find device by name", false, time_.now());
  if (out.status.outcome != CallOutcome::Ok) co_return out;
  auto rows = value_array(r.body);
  if (!rows) {
    out.status = CallStatus::retry(rows.error().message);
    co_return out;
  }
  std::vector<std::uint32_t> ids;
  for (const auto& row : *rows) {
    if (!row.is_object()) continue;
    const auto id = as_int(row, "ResourceID");
    if (!id || *id <= 0) continue;
    if (as_int(row, "Active").value_or(1) != 1 || as_int(row, "Obsolete").value_or(0) == 1) {
      continue;  // an obsolete or inactive record of a re-imaged or retired device
    }
    ids.push_back(static_cast<std::uint32_t>(*id));
  }
  if (ids.size() > 1) {
    std::string list;
    for (auto id : ids) list += (list.empty() ? "" : ", ") + std::to_string(id);
    out.status = CallStatus::fail(
        fmt::format("ambiguous name: {} active devices are named '{}' (ResourceID {})", ids.size(),
                    name, list));
  } else if (ids.size() == 1) {
    out.resource_id = ids.front();
  }
  co_return out;
}

Awaitable<UserResolveResult> AdminServiceProvider::resolve_user(const std::string& upn_in) {
  const std::string upn = upn_in;
  HttpRequest http{"GET",
                   wmi_url("SMS_R_User") +
                       query_string({{"$filter", "UserPrincipalName eq " + odata_string(upn)},
                                     {"$select", "UniqueUserName,UserPrincipalName"}}),
                   {}};
  const auto r = co_await exchange(http);
  UserResolveResult out;
  out.status = to_status(r, "find user by UPN", false, time_.now());
  if (out.status.outcome != CallOutcome::Ok) co_return out;
  auto rows = value_array(r.body);
  if (!rows) {
    out.status = CallStatus::retry(rows.error().message);
    co_return out;
  }
  std::vector<std::string> names;
  for (const auto& row : *rows) {
    if (!row.is_object()) continue;
    auto n = as_text(row, "UniqueUserName");
    if (parse_domain_user(n)) names.push_back(std::move(n));
  }
  if (names.size() > 1) {
    out.status =
        CallStatus::fail(fmt::format("ambiguous UPN: {} users have '{}'", names.size(), upn));
  } else if (names.size() == 1) {
    out.unique_user_name = names.front();
  }
  co_return out;
}

Awaitable<UsagePage> AdminServiceProvider::console_usage(std::uint32_t after_resource_id,
                                                         std::size_t limit) {
  const std::size_t top = std::clamp<std::size_t>(limit, 1, kMaxUsageRows);
  HttpRequest http{
      "GET",
      wmi_url("SMS_G_System_SYSTEM_CONSOLE_USER") +
          query_string({{"$filter", fmt::format("ResourceID gt {}", after_resource_id)},
                        {"$orderby", "ResourceID"},
                        {"$top", std::to_string(top)}}),
      {}};
  auto r = co_await exchange(http);
  UsagePage out;
  out.status = to_status(r, "read console usage", false, time_.now());
  if (out.status.outcome != CallOutcome::Ok) co_return out;
  auto rows = value_array(r.body);
  if (!rows) {
    out.status = CallStatus::retry(rows.error().message);
    co_return out;
  }
  auto to_usage = [](const json& row) -> std::optional<ConsoleUsage> {
    if (!row.is_object()) return std::nullopt;
    const auto id = as_int(row, "ResourceID");
    if (!id || *id <= 0 || *id > 0xFFFFFFFFLL) return std::nullopt;
    ConsoleUsage u;
    u.resource_id = static_cast<std::uint32_t>(*id);
    u.system_console_user = as_text(row, "SystemConsoleUser");
    if (const auto m = row.find("TotalUserConsoleMinutes"); m != row.end() && m->is_number()) {
      u.total_console_minutes = m->get<double>();
    }
    u.console_logons = as_int(row, "NumberOfConsoleLogons").value_or(0);
    u.last_console_use = parse_wmi_time(as_text(row, "LastConsoleUse"));
    return u;
  };
  for (const auto& row : *rows) {
    if (auto u = to_usage(row)) out.rows.push_back(std::move(*u));
  }
  out.more = rows->size() >= top;
  if (out.more && !out.rows.empty()) {
    // The page may have cut the last device's rows: drop that device here and
    // start the next page with it, unless the whole page is that one device.
    const auto last = out.rows.back().resource_id;
    if (out.rows.front().resource_id != last) {
      while (!out.rows.empty() && out.rows.back().resource_id == last) out.rows.pop_back();
    } else {
      // One device with more rows than a page: read all of its rows (bounded).
      HttpRequest all{"GET",
                      wmi_url("SMS_G_System_SYSTEM_CONSOLE_USER") +
                          query_string({{"$filter", fmt::format("ResourceID eq {}", last)},
                                        {"$top", std::to_string(kMaxUsageRows)}}),
                      {}};
      r = co_await exchange(all);
      out.status = to_status(r, "read console usage", false, time_.now());
      if (out.status.outcome != CallOutcome::Ok) co_return out;
      auto device_rows = value_array(r.body);
      if (!device_rows) {
        out.status = CallStatus::retry(device_rows.error().message);
        co_return out;
      }
      out.rows.clear();
      for (const auto& row : *device_rows) {
        if (auto u = to_usage(row)) out.rows.push_back(std::move(*u));
      }
    }
  }
  spdlog::debug("adminservice: console usage after={} rows={} more={}", after_resource_id,
                out.rows.size(), out.more);
  co_return out;
}

}  // namespace uda::adminservice
