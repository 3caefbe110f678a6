#include "providers/wmi/wmi_provider.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <future>
#include <set>

#include "core/log_text.hpp"
#include "core/user_account.hpp"
#include "sources/wmi_events/wmi_datetime.hpp"
#include "sources/wmi_events/wql.hpp"

namespace uda::wmi {

struct WmiProvider::Pool {
  explicit Pool(int threads) : pool(static_cast<std::size_t>(threads)) {}
  asio::thread_pool pool;
};

WmiProvider::WmiProvider(Options options, SessionFactory factory)
    : options_(std::move(options)),
      factory_(std::move(factory)),
      pool_(std::make_unique<Pool>(options_.workers)) {
  spdlog::info("wmi: server={} namespace={} timeout={} workers={}", options_.server,
               !options_.ns.empty()          ? options_.ns
               : !options_.site_code.empty() ? "root\\sms\\site_" + options_.site_code
                                             : std::string("auto (SMS_ProviderLocation)"),
               format_duration(options_.timeout), options_.workers);
}

WmiProvider::~WmiProvider() {
  // Release the pooled COM proxies on a worker thread (in the apartment they
  // were made in), then let the pool finish.
  std::promise<void> done;
  asio::post(pool_->pool, [this, &done] {
    std::vector<std::unique_ptr<WmiSession>> sessions;
    {
      std::lock_guard lock(mu_);
      sessions.swap(idle_);
    }
    sessions.clear();
    done.set_value();
  });
  done.get_future().wait();
  pool_->pool.join();
}

std::string WmiProvider::site_namespace_in_use() const {
  std::lock_guard lock(mu_);
  return site_ns_;
}

template <class T>
Awaitable<T> WmiProvider::on_worker(std::function<T()> fn) {
  auto work = [fn]() -> Awaitable<T> { co_return fn(); };
  co_return co_await asio::co_spawn(pool_->pool.get_executor(), work, asio::use_awaitable);
}

WmiCall WmiProvider::connect_site(WmiSession& session) {
  std::string ns;
  {
    std::lock_guard lock(mu_);
    ns = site_ns_;
  }
  if (ns.empty()) {
    if (!options_.ns.empty() || !options_.site_code.empty()) {
      ns = site_namespace(options_, options_.site_code);
    } else {
      const auto root = sms_namespace(options_);
      if (auto c = session.connect(root); !c.ok()) return c;
      auto q = session.exec_query(std::string(kSiteQuery));
      if (!q.call.ok()) return q.call;
      std::string code;
      for (const auto& row : q.rows) {
        if (const auto* v = row.find("SiteCode")) {
          if (auto t = scalar_text(*v); t && !t->empty()) {
            code = *t;
            break;
          }
        }
      }
      if (code.empty()) {
        return WmiCall::failure(
            kNotFound, fmt::format("no SMS Provider for the local site answered in {} "
                                   "(SMS_ProviderLocation WHERE ProviderForLocalSite = TRUE); "
                                   "set provider.wmi.site_code",
                                   root));
      }
      ns = site_namespace(options_, code);
      spdlog::info("wmi: site code {} (SMS_ProviderLocation), namespace {}", code, ns);
    }
  }
  auto c = session.connect(ns);
  if (c.ok()) {
    std::lock_guard lock(mu_);
    site_ns_ = ns;
  }
  return c;
}

WmiProvider::Lease WmiProvider::acquire() {
  {
    std::lock_guard lock(mu_);
    if (!idle_.empty()) {
      Lease l{std::move(idle_.back()), {}, true};
      idle_.pop_back();
      return l;
    }
  }
  Lease l{factory_(), {}, false};
  l.call = connect_site(*l.session);
  if (!l.call.ok()) {
    if (needs_reconnect(l.call.hresult) || l.call.hresult == kInvalidNamespace) {
      std::lock_guard lock(mu_);
      site_ns_.clear();  // discover again next time (the site may have moved)
    }
    l.session.reset();
  }
  return l;
}

void WmiProvider::release(std::unique_ptr<WmiSession> session, std::uint32_t last_hresult) {
  if (!session) return;
  if (needs_reconnect(last_hresult)) {
    spdlog::warn("wmi: connection dropped after 0x{:08X} {}; the next call connects again",
                 last_hresult, code_name(last_hresult));
    return;  // destroyed here, on the worker thread
  }
  std::lock_guard lock(mu_);
  idle_.push_back(std::move(session));
}

QueryResult WmiProvider::query(const std::string& wql) {
  for (int attempt = 0;; ++attempt) {
    auto l = acquire();
    if (!l.session) return {l.call, {}};
    auto r = l.session->exec_query(wql);
    const bool stale = l.reused && needs_reconnect(r.call.hresult);
    release(std::move(l.session), r.call.hresult);
    if (!stale || attempt > 0) {
      if (!r.call.ok()) r.call.message = fmt::format("{}: {}", wql, r.call.message);
      return r;
    }
    // A pooled connection broke while idle: once more on a fresh one.
  }
}

MethodResult WmiProvider::method(const std::string& class_name, const std::string& method_name,
                                 const WmiProperties& in) {
  for (int attempt = 0;; ++attempt) {
    auto l = acquire();
    if (!l.session) return {l.call, {}};
    auto r = l.session->exec_static_method(class_name, method_name, in);
    // Only "did not execute" failures of a pooled connection are safe to
    // repeat at once; RPC_S_CALL_FAILED may have run (ambiguous).
    const bool stale =
        l.reused && needs_reconnect(r.call.hresult) && r.call.hresult != kRpcCallFailed;
    release(std::move(l.session), r.call.hresult);
    if (!stale || attempt > 0) {
      if (!r.call.ok()) {
        r.call.message = fmt::format("{}.{}: {}", class_name, method_name, r.call.message);
      }
      return r;
    }
  }
}

namespace {

std::optional<std::int64_t> as_int(const WmiInstance& row, std::string_view key) {
  const auto* v = row.find(key);
  if (v == nullptr) return std::nullopt;
  if (const auto* i = std::get_if<std::int64_t>(v)) return *i;
  if (const auto* b = std::get_if<bool>(v)) return *b ? 1 : 0;
  if (const auto* s = std::get_if<std::string>(v)) {  // sint64/uint64 arrive as strings
    std::int64_t n = 0;
    auto [p, ec] = std::from_chars(s->data(), s->data() + s->size(), n);
    if (ec == std::errc{} && p == s->data() + s->size()) return n;
  }
  if (const auto* d = std::get_if<double>(v)) return static_cast<std::int64_t>(*d);
  return std::nullopt;
}

std::string as_text(const WmiInstance& row, std::string_view key) {
  const auto* v = row.find(key);
  if (v == nullptr) return {};
  const auto* s = std::get_if<std::string>(v);
  return s != nullptr ? *s : std::string();
}

std::vector<std::int64_t> as_int_list(const WmiInstance& row, std::string_view key) {
  const auto* v = row.find(key);
  if (v == nullptr) return {};
  if (const auto* l = std::get_if<std::vector<std::int64_t>>(v)) return *l;
  if (const auto* i = std::get_if<std::int64_t>(v)) return {*i};
  return {};
}

std::string ascii_lower_copy(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

}  // namespace

Awaitable<CreateResult> WmiProvider::create_relationship(const RelationshipRequest& req) {
  WmiProperties in;
  in["MachineResourceId"] = static_cast<std::int64_t>(req.machine_resource_id);
  in["UserAccountName"] = req.user_account_name;
  in["SourceId"] = static_cast<std::int64_t>(static_cast<std::uint32_t>(req.source));
  in["TypeId"] = static_cast<std::int64_t>(static_cast<std::uint32_t>(req.type));
  std::function<MethodResult()> call = [this, in] {
    return method("SMS_UserMachineRelationship", "CreateRelationship", in);
  };
  auto r = co_await on_worker<MethodResult>(call);
  CreateResult out;
  out.status = classify(r.call, /*write=*/true);
  std::optional<std::int64_t> rv;
  if (out.status.outcome == CallOutcome::Ok) {
    WmiInstance outp{"__PARAMETERS", std::move(r.out)};
    rv = as_int(outp, "ReturnValue");
    if (rv && *rv != 0) {
      const auto code = static_cast<std::uint32_t>(*rv);
      out.status =
          CallStatus::fail(fmt::format("CreateRelationship: ReturnValue {} (0x{:08X}{}{})", *rv,
                                       code, code_name(code) == "UNKNOWN" ? "" : " ",
                                       code_name(code) == "UNKNOWN" ? "" : code_name(code)));
    }
  }
  spdlog::info(
      "wmi: CreateRelationship trigger={} machine={} user=\"{}\" source={} type={} return={} "
      "outcome={} ambiguous={} detail=\"{}\"",
      log_value(req.trigger_id), req.machine_resource_id, req.user_account_name,
      static_cast<unsigned>(req.source), static_cast<unsigned>(req.type),
      rv ? std::to_string(*rv) : std::string("-"), to_string(out.status.outcome),
      out.status.ambiguous, out.status.detail);
  co_return out;
}

Awaitable<FindResult> WmiProvider::find_relationship(std::uint32_t resource_id,
                                                     const std::string& unique_user_name) {
  const std::string user = unique_user_name;
  const std::string wql = fmt::format(
      "SELECT RelationshipResourceID, ResourceID, UniqueUserName, Sources, Types, IsActive FROM "
      "SMS_UserMachineRelationship WHERE ResourceID = {} AND UniqueUserName = {}",
      resource_id, wql_quote(user));
  std::function<QueryResult()> call = [this, wql] { return query(wql); };
  auto r = co_await on_worker<QueryResult>(call);
  FindResult out;
  out.status = classify(r.call, false);
  if (out.status.outcome != CallOutcome::Ok) co_return out;
  const std::string want = ascii_lower_copy(user);
  for (const auto& row : r.rows) {
    if (as_int(row, "ResourceID") != static_cast<std::int64_t>(resource_id)) continue;
    if (ascii_lower_copy(as_text(row, "UniqueUserName")) != want) continue;
    Relationship rel;
    rel.relationship_resource_id = as_int(row, "RelationshipResourceID").value_or(0);
    rel.resource_id = resource_id;
    rel.unique_user_name = as_text(row, "UniqueUserName");
    for (auto s : as_int_list(row, "Sources")) {
      if (auto id = source_id_from_number(s)) rel.sources.push_back(*id);
    }
    for (auto t : as_int_list(row, "Types")) {
      if (t >= 0) rel.types.push_back(static_cast<std::uint32_t>(t));
    }
    rel.is_active = as_int(row, "IsActive").value_or(1) != 0;
    out.relationship = std::move(rel);
    break;
  }
  co_return out;
}

Awaitable<ResolveResult> WmiProvider::resolve_machine(const std::string& machine) {
  const std::string name = machine;
  const std::string wql =
      fmt::format("SELECT ResourceID, Name, Active, Obsolete FROM SMS_R_System WHERE Name = {}",
                  wql_quote(name));
  std::function<QueryResult()> call = [this, wql] { return query(wql); };
  auto r = co_await on_worker<QueryResult>(call);
  ResolveResult out;
  out.status = classify(r.call, false);
  if (out.status.outcome != CallOutcome::Ok) co_return out;
  std::vector<std::uint32_t> ids;
  for (const auto& row : r.rows) {
    const auto id = as_int(row, "ResourceID");
    if (!id || *id <= 0 || *id > 0xFFFFFFFFLL) continue;
    if (as_int(row, "Active").value_or(1) != 1 || as_int(row, "Obsolete").value_or(0) == 1) {
      continue;  // an obsolete or inactive record of a re-imaged or retired device
    }
    ids.push_back(static_cast<std::uint32_t>(*id));
  }
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
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

Awaitable<UserResolveResult> WmiProvider::resolve_user(const std::string& upn_in) {
  const std::string upn = upn_in;
  const std::string wql = fmt::format(
      "SELECT UniqueUserName, UserPrincipalName FROM SMS_R_User WHERE UserPrincipalName = {}",
      wql_quote(upn));
  std::function<QueryResult()> call = [this, wql] { return query(wql); };
  auto r = co_await on_worker<QueryResult>(call);
  UserResolveResult out;
  out.status = classify(r.call, false);
  if (out.status.outcome != CallOutcome::Ok) co_return out;
  std::set<std::string> seen;
  std::vector<std::string> names;
  for (const auto& row : r.rows) {
    auto n = as_text(row, "UniqueUserName");
    if (!parse_domain_user(n)) continue;
    if (seen.insert(ascii_lower_copy(n)).second) names.push_back(std::move(n));
  }
  if (names.size() > 1) {
    out.status =
        CallStatus::fail(fmt::format("ambiguous UPN: {} users have '{}'", names.size(), upn));
  } else if (names.size() == 1) {
    out.unique_user_name = names.front();
  }
  co_return out;
}

UsagePage WmiProvider::usage_page(std::uint32_t after, std::size_t limit) {
  UsagePage out;
  // 1. The next `limit` devices that have console usage (WQL cannot order or
  //    limit, so read their ids and pick here).
  auto ids_q = query(fmt::format(
      "SELECT ResourceID FROM SMS_G_System_SYSTEM_CONSOLE_USER WHERE ResourceID > {}", after));
  out.status = classify(ids_q.call, false);
  if (out.status.outcome != CallOutcome::Ok) return out;
  std::set<std::uint32_t> ids;
  for (const auto& row : ids_q.rows) {
    const auto id = as_int(row, "ResourceID");
    if (id && *id > static_cast<std::int64_t>(after) && *id <= 0xFFFFFFFFLL) {
      ids.insert(static_cast<std::uint32_t>(*id));
    }
  }
  if (ids.empty()) return out;
  out.more = ids.size() > limit;
  const std::uint32_t last =
      *std::next(ids.begin(), static_cast<std::ptrdiff_t>(std::min(limit, ids.size()) - 1));
  // 2. Those devices' rows, all of them.
  auto rows_q = query(fmt::format(
      "SELECT ResourceID, SystemConsoleUser, TotalUserConsoleMinutes, NumberOfConsoleLogons, "
      "LastConsoleUse FROM SMS_G_System_SYSTEM_CONSOLE_USER WHERE ResourceID > {} AND "
      "ResourceID <= {}",
      after, last));
  out.status = classify(rows_q.call, false);
  if (out.status.outcome != CallOutcome::Ok) {
    out.more = false;
    return out;
  }
  for (const auto& row : rows_q.rows) {
    const auto id = as_int(row, "ResourceID");
    if (!id || *id <= static_cast<std::int64_t>(after) || *id > static_cast<std::int64_t>(last)) {
      continue;
    }
    ConsoleUsage u;
    u.resource_id = static_cast<std::uint32_t>(*id);
    u.system_console_user = as_text(row, "SystemConsoleUser");
    if (const auto* m = row.find("TotalUserConsoleMinutes")) {
      if (const auto* i = std::get_if<std::int64_t>(m)) {
        u.total_console_minutes = static_cast<double>(*i);
      } else if (const auto* d = std::get_if<double>(m)) {
        u.total_console_minutes = *d;
      }
    }
    u.console_logons = as_int(row, "NumberOfConsoleLogons").value_or(0);
    u.last_console_use = parse_wmi_datetime(as_text(row, "LastConsoleUse"));
    out.rows.push_back(std::move(u));
  }
  if (out.rows.empty()) out.more = false;  // the rows went away meanwhile; nothing to page on
  std::sort(out.rows.begin(), out.rows.end(), [](const ConsoleUsage& a, const ConsoleUsage& b) {
    if (a.resource_id != b.resource_id) return a.resource_id < b.resource_id;
    return ascii_lower_copy(a.system_console_user) < ascii_lower_copy(b.system_console_user);
  });
  return out;
}

Awaitable<UsagePage> WmiProvider::console_usage(std::uint32_t after_resource_id,
                                                std::size_t limit) {
  const std::size_t n = std::clamp<std::size_t>(limit, 1, kMaxUsageDevices);
  std::function<UsagePage()> call = [this, after_resource_id, n] {
    return usage_page(after_resource_id, n);
  };
  auto page = co_await on_worker<UsagePage>(call);
  spdlog::debug("wmi: console usage after={} rows={} more={} outcome={}", after_resource_id,
                page.rows.size(), page.more, to_string(page.status.outcome));
  co_return page;
}

}  // namespace uda::wmi
