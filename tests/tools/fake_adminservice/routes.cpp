#include "fake_adminservice/routes.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <system_error>

#include "core/user_account.hpp"
#include "fake_adminservice/odata_query.hpp"
#include "providers/simulated/wmi_codes.hpp"

namespace uda::fake {
namespace {

using Json = nlohmann::ordered_json;

constexpr std::string_view kPrefix = "/AdminService/wmi/";
constexpr std::string_view kCreate = "SMS_UserMachineRelationship.CreateRelationship";

enum class PropType { Int, Number, String, Bool, IntArray, DateTime };

struct PropDef {
  std::string_view name;
  PropType type;
};

struct ClassDef {
  std::string_view name;
  std::vector<PropDef> props;

  [[nodiscard]] const PropDef* find(std::string_view prop) const {
    for (const auto& p : props) {
      if (p.name == prop) return &p;
    }
    return nullptr;
  }
};

const ClassDef kSystem{"SMS_R_System",
                       {{"ResourceID", PropType::Int},
                        {"Name", PropType::String},
                        {"Active", PropType::Int},
                        {"Obsolete", PropType::Int}}};
const ClassDef kUser{
    "SMS_R_User", {{"UniqueUserName", PropType::String}, {"UserPrincipalName", PropType::String}}};
const ClassDef kRelationship{"SMS_UserMachineRelationship",
                             {{"RelationshipResourceID", PropType::Int},
                              {"ResourceID", PropType::Int},
                              {"UniqueUserName", PropType::String},
                              {"Sources", PropType::IntArray},
                              {"Types", PropType::IntArray},
                              {"IsActive", PropType::Bool}}};
const ClassDef kConsoleUser{"SMS_G_System_SYSTEM_CONSOLE_USER",
                            {{"ResourceID", PropType::Int},
                             {"SystemConsoleUser", PropType::String},
                             {"TotalUserConsoleMinutes", PropType::Number},
                             {"NumberOfConsoleLogons", PropType::Int},
                             {"LastConsoleUse", PropType::DateTime}}};

const ClassDef* find_class(std::string_view name) {
  for (const auto* c : {&kSystem, &kUser, &kRelationship, &kConsoleUser}) {
    if (ascii_lower(c->name) == ascii_lower(name)) return c;
  }
  return nullptr;
}

bool starts_with_ci(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() &&
         ascii_lower(s.substr(0, prefix.size())) == ascii_lower(prefix);
}

bool contains_ci(const std::vector<std::string>& list, std::string_view value) {
  if (value.empty()) return false;
  const auto v = ascii_lower(value);
  return std::any_of(list.begin(), list.end(),
                     [&](const std::string& s) { return ascii_lower(trim(s)) == v; });
}

RouteResponse bad_request(std::string_view message) {
  return odata_error(400, "BadRequest", message);
}

RouteResponse storage_error(const Error& e) {
  return odata_error(500, "InternalServerError", e.message);
}

// "2026-11-20T08:12:00Z" (milliseconds only when there are some).
std::string format_time(TimePoint t) {
  auto s = format_iso8601(t);
  const auto dot = s.find(".000Z");
  if (dot != std::string::npos) s.replace(dot, 5, "Z");
  return s;
}

Json number(double v) {
  if (std::floor(v) == v && std::fabs(v) < 9.0e15) return Json(static_cast<std::int64_t>(v));
  return Json(v);
}

// ---- query checks and evaluation ----

Status check_query(const ClassDef& c, const ODataQuery& q) {
  if (q.filter) {
    for (const auto& cond : *q.filter) {
      const auto* p = c.find(cond.property);
      const auto unsupported = [&](std::string_view why) {
        return Error{fmt::format("{}{}", kUnsupportedFilter, why)};
      };
      if (p == nullptr) {
        return unsupported(fmt::format("{} has no property '{}'", c.name, cond.property));
      }
      const bool is_int = std::holds_alternative<std::int64_t>(cond.value);
      const bool is_string = std::holds_alternative<std::string>(cond.value);
      const bool is_bool = std::holds_alternative<bool>(cond.value);
      bool ok = false;
      switch (p->type) {
        case PropType::Int:
        case PropType::Number:
          ok = is_int;
          break;
        case PropType::String:
          ok = is_string;
          break;
        case PropType::Bool:
          ok = is_bool;
          break;
        case PropType::IntArray:
        case PropType::DateTime:
          return unsupported(fmt::format("{} cannot be filtered on", cond.property));
      }
      if (!ok) {
        return unsupported(fmt::format("{} {} {}: the value has the wrong type", cond.property,
                                       to_string(cond.op), format_literal(cond.value)));
      }
      if (cond.op == FilterOp::Gt && !is_int) {
        return unsupported(fmt::format("gt works on numbers only ({})", cond.property));
      }
    }
  }
  for (const auto& s : q.select) {
    if (c.find(s) == nullptr) {
      return Error{fmt::format("$select: {} has no property '{}'", c.name, s)};
    }
  }
  if (q.orderby) {
    const auto* p = c.find(q.orderby->property);
    if (p == nullptr) {
      return Error{fmt::format("$orderby: {} has no property '{}'", c.name, q.orderby->property)};
    }
    if (p->type == PropType::IntArray || p->type == PropType::DateTime) {
      return Error{fmt::format("$orderby: {} cannot be sorted on", p->name)};
    }
  }
  return Status::Ok();
}

bool holds(const Json& row, const FilterCondition& cond) {
  const auto it = row.find(cond.property);
  if (it == row.end() || it->is_null()) return false;
  if (const auto* i = std::get_if<std::int64_t>(&cond.value)) {
    if (!it->is_number()) return false;
    const double v = it->get<double>();
    const auto lit = static_cast<double>(*i);
    return cond.op == FilterOp::Eq ? v == lit : v > lit;
  }
  if (const auto* b = std::get_if<bool>(&cond.value)) {
    return it->is_boolean() && it->get<bool>() == *b;
  }
  return it->is_string() &&
         ascii_lower(it->get<std::string>()) == ascii_lower(std::get<std::string>(cond.value));
}

bool matches(const Json& row, const ODataQuery& q) {
  if (!q.filter) return true;
  return std::all_of(q.filter->begin(), q.filter->end(),
                     [&](const FilterCondition& c) { return holds(row, c); });
}

// Filter, order, limit and project `rows`, then answer 200 with them.
RouteResponse collection(const ClassDef& c, std::vector<Json> rows, const ODataQuery& q,
                         const std::string& base_url) {
  std::vector<Json> kept;
  for (auto& r : rows) {
    if (matches(r, q)) kept.push_back(std::move(r));
  }
  if (q.orderby) {
    const auto& prop = q.orderby->property;
    const bool desc = q.orderby->descending;
    std::stable_sort(kept.begin(), kept.end(), [&](const Json& a, const Json& b) {
      const auto& va = a[prop];
      const auto& vb = b[prop];
      if (va.is_null() || vb.is_null()) return !va.is_null() && vb.is_null() ? desc : false;
      if (va.is_string()) {
        const auto la = ascii_lower(va.get<std::string>());
        const auto lb = ascii_lower(vb.get<std::string>());
        return desc ? lb < la : la < lb;
      }
      const auto na = va.get<double>();
      const auto nb = vb.get<double>();
      return desc ? nb < na : na < nb;
    });
  }
  if (q.top && kept.size() > *q.top) kept.resize(*q.top);
  Json value = Json::array();
  for (auto& r : kept) {
    if (q.select.empty()) {
      value.push_back(std::move(r));
      continue;
    }
    Json projected = Json::object();
    for (const auto& p : c.props) {
      if (std::find(q.select.begin(), q.select.end(), p.name) != q.select.end()) {
        projected[std::string(p.name)] = r[std::string(p.name)];
      }
    }
    value.push_back(std::move(projected));
  }
  std::string context = fmt::format("{}{}$metadata#{}", base_url, kPrefix, c.name);
  if (!q.select.empty()) {
    context += "(";
    for (std::size_t i = 0; i < q.select.size(); ++i) {
      context += (i > 0 ? "," : "") + q.select[i];
    }
    context += ")";
  }
  Json body = Json::object();
  body["@odata.context"] = context;
  body["value"] = std::move(value);
  return RouteResponse{200, body.dump(), {}};
}

// The value of `prop eq <literal>` in the filter, when there is one.
template <class T>
std::optional<T> eq_value(const ODataQuery& q, std::string_view prop) {
  if (!q.filter) return std::nullopt;
  for (const auto& c : *q.filter) {
    if (c.property == prop && c.op == FilterOp::Eq) {
      if (const auto* v = std::get_if<T>(&c.value)) return *v;
    }
  }
  return std::nullopt;
}

// ---- rows ----

Json device_row(const SiteDevice& d) {
  Json j = Json::object();
  j["ResourceID"] = d.resource_id;
  j["Name"] = d.name;
  j["Active"] = d.active ? 1 : 0;
  j["Obsolete"] = d.active ? 0 : 1;
  return j;
}

Json user_row(const SiteUser& u) {
  Json j = Json::object();
  j["UniqueUserName"] = u.unique_user_name;
  j["UserPrincipalName"] = u.upn.empty() ? Json(nullptr) : Json(u.upn);
  return j;
}

Json relationship_row(const Relationship& r) {
  Json j = Json::object();
  j["RelationshipResourceID"] = r.relationship_resource_id;
  j["ResourceID"] = r.resource_id;
  j["UniqueUserName"] = r.unique_user_name;
  Json sources = Json::array();
  for (auto s : r.sources) sources.push_back(static_cast<std::uint32_t>(s));
  j["Sources"] = std::move(sources);
  j["Types"] = r.types;
  j["IsActive"] = r.is_active;
  return j;
}

Json usage_row(const ConsoleUsage& u) {
  Json j = Json::object();
  j["ResourceID"] = u.resource_id;
  j["SystemConsoleUser"] = u.system_console_user;
  j["TotalUserConsoleMinutes"] = number(u.total_console_minutes);
  j["NumberOfConsoleLogons"] = u.console_logons;
  j["LastConsoleUse"] = u.last_console_use ? Json(format_time(*u.last_console_use)) : Json(nullptr);
  return j;
}

// ---- per class ----

RouteResponse get_systems(SimulatedSite& site, const ODataQuery& q, const std::string& base) {
  std::vector<Json> rows;
  if (const auto name = eq_value<std::string>(q, "Name")) {
    auto d = site.devices_named(*name);
    if (!d) return storage_error(d.error());
    for (const auto& x : *d) rows.push_back(device_row(x));
  } else if (const auto id = eq_value<std::int64_t>(q, "ResourceID")) {
    if (*id >= 0 && *id <= std::numeric_limits<std::uint32_t>::max()) {
      auto d = site.device(static_cast<std::uint32_t>(*id));
      if (!d) return storage_error(d.error());
      if (*d) rows.push_back(device_row(**d));
    }
  } else {
    auto d = site.devices();
    if (!d) return storage_error(d.error());
    for (const auto& x : *d) rows.push_back(device_row(x));
  }
  return collection(kSystem, std::move(rows), q, base);
}

RouteResponse get_system_by_key(SimulatedSite& site, std::string_view key, const ODataQuery& q,
                                const std::string& base) {
  if (q.filter || q.orderby || q.top) {
    return bad_request("SMS_R_System(<ResourceID>) takes $select only");
  }
  std::uint32_t id = 0;
  auto [p, ec] = std::from_chars(key.data(), key.data() + key.size(), id);
  if (key.empty() || ec != std::errc{} || p != key.data() + key.size()) {
    return bad_request(fmt::format("'{}' is not a ResourceID", key));
  }
  auto d = site.device(id);
  if (!d) return storage_error(d.error());
  if (!*d) {
    return odata_error(404, "NotFound", fmt::format("SMS_R_System({}) does not exist", id));
  }
  std::vector<Json> rows;
  rows.push_back(device_row(**d));
  return collection(kSystem, std::move(rows), q, base);
}

RouteResponse get_users(SimulatedSite& site, const ODataQuery& q, const std::string& base) {
  std::vector<Json> rows;
  const auto upn = eq_value<std::string>(q, "UserPrincipalName");
  auto u = upn ? site.users_with_upn(*upn) : site.users();
  if (!u) return storage_error(u.error());
  for (const auto& x : *u) rows.push_back(user_row(x));
  return collection(kUser, std::move(rows), q, base);
}

RouteResponse get_relationships(SimulatedSite& site, const ODataQuery& q, const std::string& base) {
  std::vector<Json> rows;
  std::optional<std::uint32_t> device;
  if (const auto id = eq_value<std::int64_t>(q, "ResourceID")) {
    if (*id < 0 || *id > std::numeric_limits<std::uint32_t>::max()) {
      return collection(kRelationship, {}, q, base);
    }
    device = static_cast<std::uint32_t>(*id);
  }
  auto r = site.list_relationships(device);
  if (!r) return storage_error(r.error());
  for (const auto& x : *r) rows.push_back(relationship_row(x));
  return collection(kRelationship, std::move(rows), q, base);
}

RouteResponse get_console_users(SimulatedSite& site, const ODataQuery& q, const std::string& base) {
  // ResourceID conditions go to the site; so does $top when nothing else
  // filters or reorders the rows.
  std::int64_t after = 0;
  std::optional<std::int64_t> only;
  bool only_resource_id = true;
  if (q.filter) {
    for (const auto& c : *q.filter) {
      if (c.property != "ResourceID") {
        only_resource_id = false;
        continue;
      }
      const auto v = std::get<std::int64_t>(c.value);
      if (c.op == FilterOp::Gt) {
        after = std::max(after, v);
      } else {
        if (only && *only != v) return collection(kConsoleUser, {}, q, base);
        only = v;
      }
    }
  }
  constexpr std::int64_t kMaxId = std::numeric_limits<std::uint32_t>::max();
  if (after >= kMaxId || (only && (*only < 1 || *only > kMaxId || *only <= after))) {
    return collection(kConsoleUser, {}, q, base);
  }
  const bool natural_order =
      !q.orderby || (q.orderby->property == "ResourceID" && !q.orderby->descending);
  const std::size_t limit =
      only_resource_id && natural_order && q.top ? *q.top : std::numeric_limits<std::size_t>::max();
  std::optional<std::uint32_t> one;
  if (only) one = static_cast<std::uint32_t>(*only);
  auto page = site.console_usage_rows(static_cast<std::uint32_t>(after), limit, one);
  if (page.status.outcome != CallOutcome::Ok) {
    return odata_error(500, "InternalServerError", page.status.detail);
  }
  std::vector<Json> rows;
  rows.reserve(page.rows.size());
  for (const auto& x : page.rows) rows.push_back(usage_row(x));
  return collection(kConsoleUser, std::move(rows), q, base);
}

// ---- CreateRelationship body ----

constexpr std::array<std::string_view, 4> kCreateFields{"MachineResourceId", "UserAccountName",
                                                        "SourceId", "TypeId"};

Expected<std::uint32_t> uint32_field(const Json& body, std::string_view name) {
  const auto& v = body.at(std::string(name));
  const auto bad = [&] {
    return Error{
        fmt::format("{} must be a JSON number (an integer 0..4294967295), got {}", name, v.dump())};
  };
  if (!v.is_number_integer()) return bad();
  if (v.is_number_unsigned()) {
    const auto n = v.get<std::uint64_t>();
    if (n > std::numeric_limits<std::uint32_t>::max()) return bad();
    return static_cast<std::uint32_t>(n);
  }
  const auto n = v.get<std::int64_t>();
  if (n < 0 || n > std::numeric_limits<std::uint32_t>::max()) return bad();
  return static_cast<std::uint32_t>(n);
}

}  // namespace

RouteResponse odata_error(unsigned status, std::string_view code, std::string_view message) {
  Json body = Json::object();
  body["error"] = Json::object();
  body["error"]["code"] = code;
  body["error"]["message"] = message;
  return RouteResponse{status, body.dump(), {}};
}

AdminServiceRoutes::AdminServiceRoutes(SimulatedSite& site, RouteOptions options)
    : site_(site), options_(std::move(options)) {}

RouteResponse AdminServiceRoutes::handle(const RouteRequest& request) {
  auto q = parse_target(request.target);
  if (!q) return bad_request(q.error().message);
  const auto not_found = [&] {
    return odata_error(404, "NotFound", fmt::format("no route for {} {}", request.method, q->path));
  };
  if (!starts_with_ci(q->path, kPrefix)) return not_found();
  const std::string_view rest = std::string_view(q->path).substr(kPrefix.size());

  if (request.method == "POST") {
    if (ascii_lower(rest) == ascii_lower(kCreate)) return create_relationship(request);
    return not_found();
  }
  if (request.method != "GET") return not_found();

  // Class or Class(key)
  std::string_view cls = rest;
  std::optional<std::string_view> key;
  if (const auto open = rest.find('('); open != std::string_view::npos) {
    if (rest.back() != ')') return not_found();
    cls = rest.substr(0, open);
    key = rest.substr(open + 1, rest.size() - open - 2);
  }
  const auto* c = find_class(cls);
  if (c == nullptr) return not_found();
  if (auto st = check_query(*c, *q); !st) return bad_request(st.error().message);
  const auto& base = options_.base_url;
  if (key) {
    if (c != &kSystem) return not_found();
    return get_system_by_key(site_, *key, *q, base);
  }
  if (c == &kSystem) return get_systems(site_, *q, base);
  if (c == &kUser) return get_users(site_, *q, base);
  if (c == &kRelationship) return get_relationships(site_, *q, base);
  return get_console_users(site_, *q, base);
}

RouteResponse AdminServiceRoutes::create_relationship(const RouteRequest& request) {
  if (!request.content_type.empty() &&
      !starts_with_ci(trim(request.content_type), "application/json")) {
    return odata_error(415, "UnsupportedMediaType",
                       fmt::format("Content-Type '{}' is not supported; send application/json",
                                   request.content_type));
  }
  const auto body = Json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) return bad_request("the body is not valid JSON");
  if (!body.is_object()) {
    return bad_request(
        "the body must be a JSON object with MachineResourceId, UserAccountName, SourceId and "
        "TypeId");
  }
  for (const auto& item : body.items()) {
    if (std::find(kCreateFields.begin(), kCreateFields.end(), item.key()) == kCreateFields.end()) {
      return bad_request(fmt::format(
          "unknown field '{}' (CreateRelationship takes MachineResourceId, UserAccountName, "
          "SourceId and TypeId)",
          item.key()));
    }
  }
  for (const auto f : kCreateFields) {
    if (!body.contains(std::string(f))) return bad_request(fmt::format("missing field '{}'", f));
  }
  auto machine = uint32_field(body, "MachineResourceId");
  if (!machine) return bad_request(machine.error().message);
  auto source = uint32_field(body, "SourceId");
  if (!source) return bad_request(source.error().message);
  auto type = uint32_field(body, "TypeId");
  if (!type) return bad_request(type.error().message);
  const auto& user_json = body.at("UserAccountName");
  if (!user_json.is_string()) {
    return bad_request(
        fmt::format("UserAccountName must be a JSON string, got {}", user_json.dump()));
  }
  const auto user = user_json.get<std::string>();

  if (contains_ci(options_.fail_users, user)) {
    return odata_error(
        403, "Forbidden",
        wmi::detail(wmi::kAccessDenied, fmt::format("access denied for {} (fail_users)", user)));
  }
  if (!options_.fail_machines.empty()) {
    std::string name;
    if (auto d = site_.device(*machine); d && *d) name = (*d)->name;
    if (contains_ci(options_.fail_machines, std::to_string(*machine)) ||
        contains_ci(options_.fail_machines, name)) {
      return odata_error(
          403, "Forbidden",
          wmi::detail(wmi::kAccessDenied,
                      fmt::format("access denied for {} (fail_machines)", *machine)));
    }
  }

  auto r = site_.create_relationship(*machine, user, *source, *type, request.request_id);
  if (r.status.outcome == CallOutcome::Ok) {
    Json out = Json::object();
    out["@odata.context"] = fmt::format("{}{}$metadata#{}", options_.base_url, kPrefix, kCreate);
    out["ReturnValue"] = 0;
    return RouteResponse{201, out.dump(), {}};
  }
  switch (r.code) {
    case wmi::kNotFound:
      return odata_error(404, "NotFound", r.status.detail);
    case wmi::kInvalidParameter:
      return bad_request(r.status.detail);
    case wmi::kAccessDenied:
      return odata_error(403, "Forbidden", r.status.detail);
    default:
      return odata_error(500, "InternalServerError", r.status.detail);
  }
}

}  // namespace uda::fake
