#include "providers/simulated/options.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <utility>

#include "core/source_id.hpp"
#include "core/user_account.hpp"

namespace uda {
namespace {

namespace fs = std::filesystem;
using yaml::Doc;

constexpr std::string_view kSection = "provider.simulated";
constexpr std::int64_t kMaxResourceId = std::numeric_limits<std::uint32_t>::max();
constexpr std::int64_t kMaxGenerated = 1'000'000;
constexpr std::int64_t kMaxUint32 = std::numeric_limits<std::uint32_t>::max();
constexpr std::int64_t kMaxUsagePerDevice = 1000;

std::string key(std::string_view parent, std::string_view child) {
  return fmt::format("{}.{}", parent, child);
}

fs::path resolve(const fs::path& base_dir, const std::string& p) {
  fs::path path(p);
  if (path.is_relative()) path = base_dir / path;
  return path.lexically_normal();
}

Expected<std::string> non_empty_string(const Doc& doc, const YAML::Node& node,
                                       std::string_view what) {
  auto s = yaml::as_string(doc, node, what);
  if (!s) return s;
  if (trim(*s).empty()) return yaml::error_at(doc, node, what, "must not be empty");
  return s;
}

// DOMAIN\user with a hint when it is a UPN.
Expected<std::string> domain_user(const Doc& doc, const YAML::Node& node, std::string_view what) {
  auto s = yaml::as_string(doc, node, what);
  if (!s) return s;
  if (parse_domain_user(*s)) return s;
  if (parse_upn(*s)) {
    return yaml::error_at(doc, node, what,
                          fmt::format("'{}' is a UPN; use DOMAIN\\user such as 'CONTOSO\\jdoe' "
                                      "(SMS_R_User.UniqueUserName)",
                                      *s));
  }
  return yaml::error_at(doc, node, what,
                        fmt::format("'{}' is not DOMAIN\\user such as 'CONTOSO\\jdoe'", *s));
}

// "PC-####" + 7 -> "PC-0007"; without '#', the number is appended.
std::string expand_pattern(const std::string& pattern, std::int64_t n) {
  const auto first = pattern.find('#');
  if (first == std::string::npos) return pattern + std::to_string(n);
  auto last = pattern.find_first_not_of('#', first);
  if (last == std::string::npos) last = pattern.size();
  const auto width = last - first;
  return pattern.substr(0, first) + fmt::format("{:0{}}", n, width) + pattern.substr(last);
}

Status parse_outages(const Doc& doc, const YAML::Node& node, std::vector<OutageWindow>& out) {
  const auto what = key(kSection, "outages");
  if (!node.IsSequence()) {
    return yaml::error_at(doc, node, what,
                          "must be a list of {start: 10s, duration: 30s} (times after start-up)");
  }
  for (std::size_t i = 0; i < node.size(); ++i) {
    const auto item = node[i];
    const auto w = fmt::format("{}[{}]", what, i);
    if (auto st = yaml::check_keys(doc, item, w, {"start", "duration"}); !st) return st;
    OutageWindow o;
    if (!item["start"]) return yaml::error_at(doc, item, key(w, "start"), "missing");
    if (!item["duration"]) return yaml::error_at(doc, item, key(w, "duration"), "missing");
    auto start = yaml::as_duration(doc, item["start"], key(w, "start"), Millis(0),
                                   Millis(std::int64_t{365} * 24 * 3600 * 1000));
    if (!start) return start.error();
    auto dur = yaml::as_duration(doc, item["duration"], key(w, "duration"), Millis(1),
                                 Millis(std::int64_t{365} * 24 * 3600 * 1000));
    if (!dur) return dur.error();
    o.start = *start;
    o.duration = *dur;
    out.push_back(o);
  }
  return Status::Ok();
}

}  // namespace

Expected<SimulatedOptions> parse_simulated_options(const Doc& doc, const YAML::Node& node,
                                                   const fs::path& base_dir) {
  if (auto st = yaml::check_keys(
          doc, node, kSection,
          {"fixture", "state_path", "seed", "latency", "latency_jitter", "transient_error_rate",
           "permanent_error_rate", "ambiguous_rate", "outages", "fail_users", "fail_machines"});
      !st) {
    return st.error();
  }
  SimulatedOptions o;
  const auto fixture = node["fixture"];
  if (!fixture) {
    return yaml::error_at(doc, node, key(kSection, "fixture"),
                          "missing: name the site fixture (devices, users, relationships)");
  }
  auto fx = non_empty_string(doc, fixture, key(kSection, "fixture"));
  if (!fx) return fx.error();
  o.fixture = resolve(base_dir, *fx);

  if (const auto n = node["state_path"]) {
    auto s = non_empty_string(doc, n, key(kSection, "state_path"));
    if (!s) return s.error();
    o.state_path = resolve(base_dir, *s);
  }
  if (const auto n = node["seed"]) {
    auto s =
        yaml::as_int(doc, n, key(kSection, "seed"), 0, std::numeric_limits<std::int64_t>::max());
    if (!s) return s.error();
    o.faults.seed = static_cast<std::uint64_t>(*s);
  }
  const Millis max_latency(10 * 60 * 1000);
  if (const auto n = node["latency"]) {
    auto d = yaml::as_duration(doc, n, key(kSection, "latency"), Millis(0), max_latency);
    if (!d) return d.error();
    o.faults.latency = *d;
  }
  if (const auto n = node["latency_jitter"]) {
    auto d = yaml::as_duration(doc, n, key(kSection, "latency_jitter"), Millis(0), max_latency);
    if (!d) return d.error();
    o.faults.latency_jitter = *d;
  }
  const std::pair<const char*, double*> rates[] = {
      {"transient_error_rate", &o.faults.transient_error_rate},
      {"permanent_error_rate", &o.faults.permanent_error_rate},
      {"ambiguous_rate", &o.faults.ambiguous_rate},
  };
  for (const auto& [name, target] : rates) {
    if (const auto n = node[name]) {
      auto r = yaml::as_double(doc, n, key(kSection, name), 0.0, 1.0);
      if (!r) return r.error();
      *target = *r;
    }
  }
  const double sum =
      o.faults.transient_error_rate + o.faults.permanent_error_rate + o.faults.ambiguous_rate;
  if (sum > 1.0 + 1e-9) {
    return yaml::error_at(doc, node, kSection,
                          fmt::format("transient_error_rate + permanent_error_rate + "
                                      "ambiguous_rate = {:g}; must be at most 1",
                                      sum));
  }
  if (const auto n = node["outages"]) {
    if (auto st = parse_outages(doc, n, o.faults.outages); !st) return st.error();
  }
  if (const auto n = node["fail_users"]) {
    auto list = yaml::as_string_list(doc, n, key(kSection, "fail_users"));
    if (!list) return list.error();
    for (std::size_t i = 0; i < list->size(); ++i) {
      const auto item = n.IsSequence() ? n[i] : n;
      auto u = domain_user(doc, item, fmt::format("{}.fail_users[{}]", kSection, i));
      if (!u) return u.error();
    }
    o.faults.fail_users = std::move(*list);
  }
  if (const auto n = node["fail_machines"]) {
    auto list = yaml::as_string_list(doc, n, key(kSection, "fail_machines"));
    if (!list) return list.error();
    for (std::size_t i = 0; i < list->size(); ++i) {
      if (trim((*list)[i]).empty()) {
        return yaml::error_at(doc, n.IsSequence() ? n[i] : n,
                              fmt::format("{}.fail_machines[{}]", kSection, i),
                              "must be a ResourceID or a device name");
      }
    }
    o.faults.fail_machines = std::move(*list);
  }
  return o;
}

namespace {

class FixtureParser {
 public:
  explicit FixtureParser(Doc doc) : doc_(std::move(doc)) {}

  Expected<SiteFixture> parse(const YAML::Node& root) {
    if (!root.IsMap()) {
      return yaml::error_at(doc_, root, "",
                            "the fixture must be a map with devices, users and relationships");
    }
    if (auto st = yaml::check_keys(
            doc_, root, "fixture",
            {"description", "devices", "users", "relationships", "usage", "generate"});
        !st) {
      return st.error();
    }
    if (const auto n = root["description"]) {
      if (auto s = yaml::as_string(doc_, n, "description"); !s) return s.error();
    }
    if (const auto n = root["devices"]) {
      if (auto st = devices(n); !st) return st.error();
    }
    if (const auto n = root["users"]) {
      if (auto st = users(n); !st) return st.error();
    }
    if (const auto n = root["generate"]) {
      if (auto st = generate(n); !st) return st.error();
    }
    if (const auto n = root["relationships"]) {
      if (auto st = relationships(n); !st) return st.error();
    }
    if (const auto n = root["usage"]) {
      if (auto st = usage(n); !st) return st.error();
    }
    if (gen_usage_) {
      if (auto st = generate_usage(); !st) return st.error();
    }
    return std::move(fx_);
  }

 private:
  Status expect_list(const YAML::Node& n, std::string_view what) {
    if (n.IsSequence() || n.IsNull()) return Status::Ok();
    return yaml::error_at(doc_, n, what, "must be a list");
  }

  Status add_device(const YAML::Node& at, std::string_view what, SiteDevice d) {
    auto [it, inserted] = device_index_.emplace(d.resource_id, what);
    if (!inserted) {
      return yaml::error_at(
          doc_, at, what,
          fmt::format("ResourceID {} is already used by {}", d.resource_id, it->second));
    }
    fx_.devices.push_back(std::move(d));
    return Status::Ok();
  }

  Status add_user(const YAML::Node& at, std::string_view what, SiteUser u) {
    auto [it, inserted] = user_index_.emplace(ascii_lower(u.unique_user_name), what);
    if (!inserted) {
      return yaml::error_at(doc_, at, what,
                            fmt::format("user '{}' is already listed by {} (names are "
                                        "case-insensitive)",
                                        u.unique_user_name, it->second));
    }
    // A UPN names one user (SMS_R_User look-ups by UPN must be unambiguous).
    if (!u.upn.empty()) {
      auto [up, fresh] = upn_index_.emplace(ascii_lower(u.upn), what);
      if (!fresh) {
        return yaml::error_at(doc_, at, what,
                              fmt::format("UPN '{}' is already used by {} (UPNs are "
                                          "case-insensitive)",
                                          u.upn, up->second));
      }
    }
    canonical_user_.emplace(ascii_lower(u.unique_user_name), u.unique_user_name);
    fx_.users.push_back(std::move(u));
    return Status::Ok();
  }

  Status add_usage(const YAML::Node& at, std::string_view what, ConsoleUsage u) {
    const auto k = std::make_pair(u.resource_id, ascii_lower(u.system_console_user));
    auto [it, inserted] = usage_index_.emplace(k, what);
    if (!inserted) {
      return yaml::error_at(doc_, at, what,
                            fmt::format("usage of {} by '{}' is already listed by {}",
                                        u.resource_id, u.system_console_user, it->second));
    }
    fx_.usage.push_back(std::move(u));
    return Status::Ok();
  }

  Expected<TimePoint> iso_time(const YAML::Node& n, std::string_view what) {
    auto s = yaml::as_string(doc_, n, what);
    if (!s) return s.error();
    auto t = parse_iso8601(*s);
    if (!t) {
      return yaml::error_at(
          doc_, n, what,
          fmt::format("'{}' is not an ISO 8601 time with a zone such as 2026-11-20T08:12:00Z", *s));
    }
    return *t;
  }

  Status devices(const YAML::Node& list) {
    if (auto st = expect_list(list, "devices"); !st) return st;
    for (std::size_t i = 0; i < list.size(); ++i) {
      const auto item = list[i];
      const auto w = fmt::format("devices[{}]", i);
      if (auto st = yaml::check_keys(doc_, item, w, {"resource_id", "name", "active"}); !st) {
        return st;
      }
      SiteDevice d;
      if (!item["resource_id"]) return yaml::error_at(doc_, item, key(w, "resource_id"), "missing");
      auto id = yaml::as_int(doc_, item["resource_id"], key(w, "resource_id"), 1, kMaxResourceId);
      if (!id) return id.error();
      d.resource_id = static_cast<std::uint32_t>(*id);
      if (!item["name"]) return yaml::error_at(doc_, item, key(w, "name"), "missing");
      auto name = non_empty_string(doc_, item["name"], key(w, "name"));
      if (!name) return name.error();
      d.name = *name;
      if (const auto a = item["active"]) {
        auto b = yaml::as_bool(doc_, a, key(w, "active"));
        if (!b) return b.error();
        d.active = *b;
      }
      if (auto st = add_device(item["resource_id"], key(w, "resource_id"), std::move(d)); !st) {
        return st;
      }
    }
    return Status::Ok();
  }

  Status users(const YAML::Node& list) {
    if (auto st = expect_list(list, "users"); !st) return st;
    for (std::size_t i = 0; i < list.size(); ++i) {
      const auto item = list[i];
      const auto w = fmt::format("users[{}]", i);
      if (auto st = yaml::check_keys(doc_, item, w, {"name", "upn"}); !st) return st;
      SiteUser u;
      if (!item["name"]) return yaml::error_at(doc_, item, key(w, "name"), "missing");
      auto name = domain_user(doc_, item["name"], key(w, "name"));
      if (!name) return name.error();
      u.unique_user_name = *name;
      if (const auto n = item["upn"]) {
        auto upn = yaml::as_string(doc_, n, key(w, "upn"));
        if (!upn) return upn.error();
        if (!parse_upn(*upn)) {
          return yaml::error_at(doc_, n, key(w, "upn"),
                                fmt::format("'{}' is not a UPN such as jdoe@contoso.com", *upn));
        }
        u.upn = *upn;
      }
      if (auto st = add_user(item["name"], key(w, "name"), std::move(u)); !st) return st;
    }
    return Status::Ok();
  }

  Expected<std::int64_t> count_of(const YAML::Node& map, std::string_view w) {
    if (!map["count"]) return yaml::error_at(doc_, map, key(w, "count"), "missing");
    return yaml::as_int(doc_, map["count"], key(w, "count"), 0, kMaxGenerated);
  }

  Expected<std::int64_t> first_number(const YAML::Node& map, std::string_view w) {
    if (!map["first_number"]) return std::int64_t{1};
    return yaml::as_int(doc_, map["first_number"], key(w, "first_number"), 0, kMaxGenerated);
  }

  Status generate(const YAML::Node& gen) {
    if (auto st = yaml::check_keys(doc_, gen, "generate", {"devices", "users", "usage"}); !st) {
      return st;
    }
    if (const auto g = gen["devices"]) {
      const std::string w = "generate.devices";
      if (auto st = yaml::check_keys(
              doc_, g, w, {"count", "first_resource_id", "name", "first_number", "active"});
          !st) {
        return st;
      }
      auto count = count_of(g, w);
      if (!count) return count.error();
      if (!g["first_resource_id"]) {
        return yaml::error_at(doc_, g, key(w, "first_resource_id"), "missing");
      }
      auto first = yaml::as_int(doc_, g["first_resource_id"], key(w, "first_resource_id"), 1,
                                kMaxResourceId);
      if (!first) return first.error();
      if (*first + *count - 1 > kMaxResourceId) {
        return yaml::error_at(doc_, g["count"], key(w, "count"),
                              "the generated ResourceIDs would pass 4294967295");
      }
      std::string pattern = "DEV-#####";
      if (const auto n = g["name"]) {
        auto p = non_empty_string(doc_, n, key(w, "name"));
        if (!p) return p.error();
        pattern = *p;
      }
      auto num = first_number(g, w);
      if (!num) return num.error();
      bool active = true;
      if (const auto a = g["active"]) {
        auto b = yaml::as_bool(doc_, a, key(w, "active"));
        if (!b) return b.error();
        active = *b;
      }
      for (std::int64_t i = 0; i < *count; ++i) {
        SiteDevice d{static_cast<std::uint32_t>(*first + i), expand_pattern(pattern, *num + i),
                     active};
        generated_devices_.push_back(d.resource_id);
        if (auto st = add_device(g, fmt::format("{}[{}]", w, i), std::move(d)); !st) return st;
      }
    }
    if (const auto g = gen["users"]) {
      const std::string w = "generate.users";
      if (auto st = yaml::check_keys(doc_, g, w, {"count", "name", "upn_suffix", "first_number"});
          !st) {
        return st;
      }
      auto count = count_of(g, w);
      if (!count) return count.error();
      if (!g["name"]) {
        return yaml::error_at(doc_, g, key(w, "name"),
                              "missing: a pattern such as 'CONTOSO\\user###'");
      }
      auto pattern = domain_user(doc_, g["name"], key(w, "name"));
      if (!pattern) return pattern.error();
      std::string suffix;
      if (const auto n = g["upn_suffix"]) {
        auto s = non_empty_string(doc_, n, key(w, "upn_suffix"));
        if (!s) return s.error();
        suffix = *s;
      }
      auto num = first_number(g, w);
      if (!num) return num.error();
      for (std::int64_t i = 0; i < *count; ++i) {
        SiteUser u;
        u.unique_user_name = expand_pattern(*pattern, *num + i);
        const auto parsed = parse_domain_user(u.unique_user_name);
        if (!parsed) {
          return yaml::error_at(
              doc_, g["name"], key(w, "name"),
              fmt::format("generates '{}', which is not DOMAIN\\user", u.unique_user_name));
        }
        if (!suffix.empty()) u.upn = parsed->user + "@" + suffix;
        generated_users_.push_back(u.unique_user_name);
        if (auto st = add_user(g, fmt::format("{}[{}]", w, i), std::move(u)); !st) return st;
      }
    }
    if (const auto g = gen["usage"]) {
      if (auto st = generate_usage_spec(g); !st) return st;
    }
    return Status::Ok();
  }

  // generate.usage: {per_device: 1, minutes: 3000, logons: 10, last_use: <ISO time>}
  // Rows for every generated device; users are taken in turn from the
  // generated users (or from users: when none are generated). Expanded after
  // the usage: list, so listed rows come first.
  Status generate_usage_spec(const YAML::Node& g) {
    const std::string w = "generate.usage";
    if (auto st = yaml::check_keys(doc_, g, w, {"per_device", "minutes", "logons", "last_use"});
        !st) {
      return st;
    }
    GenUsage spec;
    spec.at = g;
    if (!g["per_device"]) return yaml::error_at(doc_, g, key(w, "per_device"), "missing");
    auto per = yaml::as_int(doc_, g["per_device"], key(w, "per_device"), 1, kMaxUsagePerDevice);
    if (!per) return per.error();
    spec.per_device = static_cast<std::size_t>(*per);
    if (const auto n = g["minutes"]) {
      auto m = yaml::as_int(doc_, n, key(w, "minutes"), 0, kMaxUint32);
      if (!m) return m.error();
      spec.minutes = static_cast<double>(*m);
    }
    if (const auto n = g["logons"]) {
      auto l = yaml::as_int(doc_, n, key(w, "logons"), 0, kMaxUint32);
      if (!l) return l.error();
      spec.logons = *l;
    }
    if (const auto n = g["last_use"]) {
      auto t = iso_time(n, key(w, "last_use"));
      if (!t) return t.error();
      spec.last_use = *t;
    }
    if (generated_devices_.empty()) {
      return yaml::error_at(doc_, g, w,
                            "generates rows for generated devices; add generate.devices");
    }
    const auto users = generated_users_.empty() ? fx_.users.size() : generated_users_.size();
    if (spec.per_device > users) {
      return yaml::error_at(doc_, g["per_device"], key(w, "per_device"),
                            fmt::format("{} users per device, but only {} users to choose from",
                                        spec.per_device, users));
    }
    gen_usage_ = std::move(spec);
    return Status::Ok();
  }

  Status generate_usage() {
    const auto& spec = *gen_usage_;
    std::vector<std::string> pool = generated_users_;
    if (pool.empty()) {
      for (const auto& u : fx_.users) pool.push_back(u.unique_user_name);
    }
    std::size_t next = 0;
    std::size_t i = 0;
    for (const auto id : generated_devices_) {
      for (std::size_t k = 0; k < spec.per_device; ++k, ++i) {
        ConsoleUsage u;
        u.resource_id = id;
        u.system_console_user = pool[(next + k) % pool.size()];
        u.total_console_minutes = spec.minutes;
        u.console_logons = spec.logons;
        u.last_console_use = spec.last_use;
        if (auto st = add_usage(spec.at, fmt::format("generate.usage[{}]", i), std::move(u)); !st) {
          return st;
        }
      }
      next = (next + spec.per_device) % pool.size();
    }
    return Status::Ok();
  }

  // usage: [{resource_id: 16777220, user: 'CONTOSO\jdoe', minutes: 3120, logons: 14,
  //          last_use: 2026-11-20T08:12:00Z}]
  Status usage(const YAML::Node& list) {
    if (auto st = expect_list(list, "usage"); !st) return st;
    for (std::size_t i = 0; i < list.size(); ++i) {
      const auto item = list[i];
      const auto w = fmt::format("usage[{}]", i);
      if (auto st = yaml::check_keys(doc_, item, w,
                                     {"resource_id", "user", "minutes", "logons", "last_use"});
          !st) {
        return st;
      }
      ConsoleUsage u;
      if (!item["resource_id"]) return yaml::error_at(doc_, item, key(w, "resource_id"), "missing");
      auto id = yaml::as_int(doc_, item["resource_id"], key(w, "resource_id"), 1, kMaxResourceId);
      if (!id) return id.error();
      u.resource_id = static_cast<std::uint32_t>(*id);
      if (!device_index_.contains(u.resource_id)) {
        return yaml::error_at(doc_, item["resource_id"], key(w, "resource_id"),
                              fmt::format("no device with ResourceID {} in this fixture", *id));
      }
      if (!item["user"]) return yaml::error_at(doc_, item, key(w, "user"), "missing");
      auto user = domain_user(doc_, item["user"], key(w, "user"));
      if (!user) return user.error();
      const auto canonical = canonical_user_.find(ascii_lower(*user));
      if (canonical == canonical_user_.end()) {
        return yaml::error_at(doc_, item["user"], key(w, "user"),
                              fmt::format("no user '{}' in this fixture", *user));
      }
      u.system_console_user = canonical->second;  // as SMS_R_User spells it
      if (!item["minutes"]) {
        return yaml::error_at(doc_, item, key(w, "minutes"),
                              "missing: TotalUserConsoleMinutes, e.g. 3120");
      }
      auto minutes = yaml::as_int(doc_, item["minutes"], key(w, "minutes"), 0, kMaxUint32);
      if (!minutes) return minutes.error();
      u.total_console_minutes = static_cast<double>(*minutes);
      if (const auto n = item["logons"]) {
        auto l = yaml::as_int(doc_, n, key(w, "logons"), 0, kMaxUint32);
        if (!l) return l.error();
        u.console_logons = *l;
      }
      if (const auto n = item["last_use"]) {
        auto t = iso_time(n, key(w, "last_use"));
        if (!t) return t.error();
        u.last_console_use = *t;
      }
      if (auto st = add_usage(item, w, std::move(u)); !st) return st;
    }
    return Status::Ok();
  }

  Status relationships(const YAML::Node& list) {
    if (auto st = expect_list(list, "relationships"); !st) return st;
    std::set<std::pair<std::uint32_t, std::string>> seen;
    for (std::size_t i = 0; i < list.size(); ++i) {
      const auto item = list[i];
      const auto w = fmt::format("relationships[{}]", i);
      if (auto st = yaml::check_keys(doc_, item, w,
                                     {"resource_id", "user", "sources", "types", "active"});
          !st) {
        return st;
      }
      SiteRelationship r;
      if (!item["resource_id"]) return yaml::error_at(doc_, item, key(w, "resource_id"), "missing");
      auto id = yaml::as_int(doc_, item["resource_id"], key(w, "resource_id"), 1, kMaxResourceId);
      if (!id) return id.error();
      r.resource_id = static_cast<std::uint32_t>(*id);
      if (!device_index_.contains(r.resource_id)) {
        return yaml::error_at(doc_, item["resource_id"], key(w, "resource_id"),
                              fmt::format("no device with ResourceID {} in this fixture", *id));
      }
      if (!item["user"]) return yaml::error_at(doc_, item, key(w, "user"), "missing");
      auto user = domain_user(doc_, item["user"], key(w, "user"));
      if (!user) return user.error();
      const auto user_lc = ascii_lower(*user);
      if (!user_index_.contains(user_lc)) {
        return yaml::error_at(doc_, item["user"], key(w, "user"),
                              fmt::format("no user '{}' in this fixture", *user));
      }
      // The fixture's spelling of the user wins (as SMS_R_User has it).
      for (const auto& u : fx_.users) {
        if (ascii_lower(u.unique_user_name) == user_lc) r.unique_user_name = u.unique_user_name;
      }
      if (!item["sources"]) {
        return yaml::error_at(doc_, item, key(w, "sources"),
                              fmt::format("missing: a list of {}", source_id_choices()));
      }
      auto sources = yaml::as_string_list(doc_, item["sources"], key(w, "sources"));
      if (!sources) return sources.error();
      if (sources->empty()) {
        return yaml::error_at(doc_, item["sources"], key(w, "sources"), "must not be empty");
      }
      for (std::size_t k = 0; k < sources->size(); ++k) {
        const auto at = item["sources"].IsSequence() ? item["sources"][k] : item["sources"];
        auto s = parse_source_id((*sources)[k]);
        if (!s) {
          return yaml::error_at(
              doc_, at, fmt::format("{}.sources[{}]", w, k),
              fmt::format("'{}' is not a SourceId; use {}", (*sources)[k], source_id_choices()));
        }
        if (std::find(r.sources.begin(), r.sources.end(), *s) == r.sources.end()) {
          r.sources.push_back(*s);
        }
      }
      if (const auto t = item["types"]) {
        auto types = yaml::as_string_list(doc_, t, key(w, "types"));
        if (!types) return types.error();
        r.types.clear();
        for (std::size_t k = 0; k < types->size(); ++k) {
          auto ty = parse_type_id((*types)[k]);
          if (!ty) {
            return yaml::error_at(
                doc_, t.IsSequence() ? t[k] : t, fmt::format("{}.types[{}]", w, k),
                fmt::format("'{}' is not a TypeId; use {}", (*types)[k], type_id_choices()));
          }
          r.types.push_back(static_cast<std::uint32_t>(*ty));
        }
      }
      if (const auto a = item["active"]) {
        auto b = yaml::as_bool(doc_, a, key(w, "active"));
        if (!b) return b.error();
        r.active = *b;
      }
      if (!seen.emplace(r.resource_id, user_lc).second) {
        return yaml::error_at(doc_, item, w,
                              fmt::format("a relationship between {} and '{}' is already listed",
                                          r.resource_id, r.unique_user_name));
      }
      fx_.relationships.push_back(std::move(r));
    }
    return Status::Ok();
  }

  struct GenUsage {
    YAML::Node at;
    std::size_t per_device = 1;
    double minutes = 3000;
    std::int64_t logons = 10;
    std::optional<TimePoint> last_use;
  };

  Doc doc_;
  SiteFixture fx_;
  std::map<std::uint32_t, std::string> device_index_;  // ResourceID -> where
  std::map<std::string, std::string> user_index_;      // lower-case name -> where
  std::map<std::string, std::string> upn_index_;       // lower-case UPN -> where
  std::map<std::string, std::string> canonical_user_;  // lower-case name -> fixture spelling
  std::map<std::pair<std::uint32_t, std::string>, std::string> usage_index_;  // -> where
  std::vector<std::uint32_t> generated_devices_;
  std::vector<std::string> generated_users_;
  std::optional<GenUsage> gen_usage_;
};

}  // namespace

Expected<SiteFixture> parse_fixture(const std::string& text, const std::string& name) {
  auto root = yaml::load_single(text, name);
  if (!root) return root.error();
  return FixtureParser(Doc{name}).parse(*root);
}

Expected<SiteFixture> load_fixture(const fs::path& path) {
  auto text = yaml::read_document(path);
  if (!text) return text.error();
  return parse_fixture(*text, path.string());
}

}  // namespace uda
