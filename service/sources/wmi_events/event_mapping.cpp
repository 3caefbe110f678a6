#include "sources/wmi_events/event_mapping.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <cstdlib>

#include "core/user_account.hpp"
#include "sources/wmi_events/wmi_datetime.hpp"
#include "sources/wmi_events/wmi_events_options.hpp"
#include "sources/wmi_events/wql.hpp"

namespace uda {
namespace {

// Stands in for the user while the rest of a lookup trigger is validated.
constexpr std::string_view kPendingUser = "UDA\\pending-lookup";

std::optional<std::int64_t> parse_int(std::string_view s) {
  s = trim(s);
  std::int64_t n = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (ec != std::errc{} || p != s.data() + s.size() || s.empty()) return std::nullopt;
  return n;
}

std::optional<double> parse_double(std::string_view s) {
  const std::string text(trim(s));
  if (text.empty()) return std::nullopt;
  char* end = nullptr;
  const double d = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size() || !std::isfinite(d)) return std::nullopt;
  return d;
}

std::optional<bool> parse_bool(std::string_view s) {
  const auto l = ascii_lower(trim(s));
  if (l == "true" || l == "yes" || l == "on" || l == "1") return true;
  if (l == "false" || l == "no" || l == "off" || l == "0") return false;
  return std::nullopt;
}

bool int_equals(std::int64_t v, const WhereValue& w) {
  if (auto n = parse_int(w.text)) return *n == v;
  if (auto d = parse_double(w.text)) return *d == static_cast<double>(v);
  return false;
}

bool matches(const WmiValue* v, const WhereValue& w) {
  if (v == nullptr || is_null(*v)) return w.is_null;
  if (w.is_null) return false;
  if (const auto* b = std::get_if<bool>(v)) {
    auto e = parse_bool(w.text);
    return e && *e == *b;
  }
  if (const auto* i = std::get_if<std::int64_t>(v)) return int_equals(*i, w);
  if (const auto* d = std::get_if<double>(v)) {
    auto e = parse_double(w.text);
    return e && *e == *d;
  }
  if (const auto* s = std::get_if<std::string>(v)) return iequals(*s, w.text);
  if (const auto* a = std::get_if<std::vector<std::string>>(v)) {
    for (const auto& s : *a) {
      if (iequals(s, w.text)) return true;
    }
    return false;
  }
  for (const auto i : std::get<std::vector<std::int64_t>>(*v)) {
    if (int_equals(i, w)) return true;
  }
  return false;
}

std::string expected_text(const std::vector<WhereValue>& values) {
  std::string out;
  for (std::size_t i = 0; i < values.size() && i < 10; ++i) {
    if (i) out += ", ";
    out += values[i].is_null ? "NULL" : values[i].text;
  }
  if (values.size() > 10) out += ", ...";
  return values.size() == 1 ? out : "one of " + out;
}

std::string value_text(const WmiValue* v) {
  return v == nullptr ? "missing" : describe(*v);
}

// Trigger attribute value of a property; nullopt leaves the attribute out.
std::optional<AttributeValue> attribute_of(const WmiValue& v) {
  if (is_null(v)) return std::nullopt;
  if (const auto* b = std::get_if<bool>(&v)) return AttributeValue{*b};
  if (const auto* i = std::get_if<std::int64_t>(&v)) {
    return AttributeValue{static_cast<double>(*i)};
  }
  if (const auto* d = std::get_if<double>(&v)) return AttributeValue{*d};
  if (const auto* s = std::get_if<std::string>(&v)) return AttributeValue{*s};
  std::string joined;
  if (const auto* a = std::get_if<std::vector<std::string>>(&v)) {
    for (const auto& s : *a) {
      if (!joined.empty()) joined += ", ";
      joined += s;
    }
  } else {
    for (const auto i : std::get<std::vector<std::int64_t>>(v)) {
      if (!joined.empty()) joined += ", ";
      joined += std::to_string(i);
    }
  }
  return AttributeValue{joined};
}

// Result: nullopt = not given (missing/NULL); error = given but not a ResourceID.
Expected<std::optional<std::uint32_t>> resource_id_of(const PropertyPath& path, const WmiValue* v) {
  if (v == nullptr || is_null(*v)) return std::optional<std::uint32_t>{};
  std::optional<std::int64_t> n;
  if (const auto* i = std::get_if<std::int64_t>(v)) {
    n = *i;
  } else if (const auto* s = std::get_if<std::string>(v)) {
    n = parse_int(*s);
  }
  if (!n || *n <= 0 || *n > static_cast<std::int64_t>(kMaxResourceId)) {
    return Error{fmt::format("machine.resource_id: {} is {}, not a ResourceID (1..4294967295)",
                             path.text, describe(*v))};
  }
  return std::optional<std::uint32_t>(static_cast<std::uint32_t>(*n));
}

std::optional<std::string> name_of(const WmiValue* v) {
  if (v == nullptr) return std::nullopt;
  const auto* s = std::get_if<std::string>(v);
  if (s == nullptr || trim(*s).empty()) return std::nullopt;
  return std::string(trim(*s));
}

MappingResult skipped(std::string reason) {
  MappingResult r;
  r.skipped_reason = std::move(reason);
  return r;
}

const WmiValue* row_value(const WmiInstance& row, std::string_view name) {
  // Rows come straight from ExecQuery; accept them wrapped as events too.
  if (const auto* v = row.find(name)) return v;
  return row.find("TargetInstance." + std::string(name));
}

}  // namespace

std::string where_mismatch(const Subscription& sub, const WmiInstance& event) {
  for (const auto& clause : sub.where) {
    const WmiValue* v = clause.path.find(event);
    bool ok = false;
    for (const auto& w : clause.any_of) {
      if (matches(v, w)) {
        ok = true;
        break;
      }
    }
    if (!ok) {
      return fmt::format("where: {} is {}, not {}", clause.path.text, value_text(v),
                         expected_text(clause.any_of));
    }
  }
  return {};
}

std::string wmi_trigger_id(const Subscription& sub, const WmiInstance& event) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  const auto mix = [&h](std::string_view bytes) {
    for (const char c : bytes) {
      h ^= static_cast<unsigned char>(c);
      h *= 0x100000001b3ULL;
    }
  };
  mix(sub.name);
  for (const auto& p : sub.key) {
    mix(std::string_view("\0", 1));
    mix(ascii_lower(p.text));
    mix("=");
    const WmiValue* v = p.find(event);
    if (v == nullptr || is_null(*v)) {
      mix(std::string_view("\1NULL", 5));
    } else if (auto text = scalar_text(*v)) {
      mix(*text);
    } else {
      mix(describe(*v, std::size_t{1} << 20));
    }
  }
  return fmt::format("wmi-{}-{:016x}", sub.name, h);
}

std::optional<TimePoint> event_time(const Subscription& sub, const WmiInstance& event) {
  if (!sub.bookmark) return std::nullopt;
  const WmiValue* v = sub.bookmark->find(event);
  if (v == nullptr) return std::nullopt;
  const auto* s = std::get_if<std::string>(v);
  if (s == nullptr) return std::nullopt;
  return parse_wmi_datetime(*s);
}

MappingResult map_event(const Subscription& sub, const WmiInstance& event, TimePoint now) {
  if (auto why = where_mismatch(sub, event); !why.empty()) return skipped(std::move(why));

  Trigger t;
  t.kind = sub.kind;
  t.received_at = now;
  t.origin = "wmi:" + sub.name;
  t.id = wmi_trigger_id(sub, event);

  if (sub.machine.resource_id) {
    auto id = resource_id_of(*sub.machine.resource_id, sub.machine.resource_id->find(event));
    if (!id) return skipped(id.error().message);
    t.machine.resource_id = *id;
  }
  if (sub.machine.name) t.machine.name = name_of(sub.machine.name->find(event));
  if (t.machine.empty()) {
    std::string paths;
    if (sub.machine.resource_id) paths = sub.machine.resource_id->text;
    if (sub.machine.name) paths += (paths.empty() ? "" : " and ") + sub.machine.name->text;
    return skipped(fmt::format("machine: {} {} missing, NULL or empty", paths,
                               sub.machine.resource_id && sub.machine.name ? "are" : "is"));
  }

  const bool lookup = sub.user_lookup == UserLookup::LastLogon;
  if (sub.user) {
    auto user = render(*sub.user, event);
    if (!user) return skipped(user.error().message);
    t.user = std::move(*user);
  } else if (lookup) {
    t.user = std::string(kPendingUser);
  }

  for (const auto& [name, path] : sub.attributes) {
    const WmiValue* v = path.find(event);
    if (v == nullptr) continue;
    if (auto a = attribute_of(*v)) t.attributes.emplace(name, std::move(*a));
  }

  if (auto st = validate(t); !st) {
    return skipped(fmt::format("the trigger would not be valid: {}", st.error().message));
  }
  MappingResult r;
  if (lookup && !sub.user) {
    t.user.clear();
    r.needs_user_lookup = true;
  }
  r.trigger = std::move(t);
  return r;
}

std::string last_logon_query(const MachineRef& machine) {
  constexpr std::string_view kSelect =
      "SELECT ResourceID, Name, LastLogonUserDomain, LastLogonUserName FROM SMS_R_System";
  if (machine.resource_id)
    return fmt::format("{} WHERE ResourceID = {}", kSelect, *machine.resource_id);
  return fmt::format("{} WHERE Name = {} AND (Obsolete = 0 OR Obsolete IS NULL)", kSelect,
                     wql_quote(machine.name.value_or("")));
}

MappingResult complete_user_lookup(Trigger trigger, const std::vector<WmiInstance>& rows) {
  const auto device = trigger.machine.describe();
  if (rows.empty()) {
    return skipped(fmt::format(
        "user lookup: no SMS_R_System record for device {} (not discovered yet, or obsolete)",
        device));
  }
  if (rows.size() > 1) {
    std::string ids;
    for (std::size_t i = 0; i < rows.size() && i < 10; ++i) {
      if (i) ids += ", ";
      const auto* v = row_value(rows[i], "ResourceID");
      ids += v ? describe(*v) : "?";
    }
    return skipped(fmt::format(
        "user lookup: {} SMS_R_System records are named {} (ResourceIDs {}); cannot tell which "
        "device this event is about",
        rows.size(), device, ids));
  }
  const auto& row = rows.front();
  const auto* domain = row_value(row, "LastLogonUserDomain");
  const auto* name = row_value(row, "LastLogonUserName");
  const auto text = [](const WmiValue* v) -> std::string {
    if (v == nullptr) return {};
    const auto* s = std::get_if<std::string>(v);
    return s ? std::string(trim(*s)) : std::string();
  };
  const auto d = text(domain);
  const auto n = text(name);
  if (n.empty() || d.empty()) {
    return skipped(
        fmt::format("user lookup: device {} has no last logon user yet (SMS_R_System.{} is {})",
                    device, n.empty() ? "LastLogonUserName" : "LastLogonUserDomain",
                    n.empty() ? value_text(name) : value_text(domain)));
  }
  trigger.user = d + "\\" + n;
  if (!trigger.machine.resource_id) {
    if (auto id = resource_id_of(PropertyPath{"ResourceID"}, row_value(row, "ResourceID"));
        id && *id) {
      trigger.machine.resource_id = **id;
    }
  }
  trigger.attributes.insert_or_assign(std::string(kUserSourceAttribute),
                                      AttributeValue{std::string("last-logon")});
  if (auto st = validate(trigger); !st) {
    return skipped(fmt::format("the trigger would not be valid: {}", st.error().message));
  }
  MappingResult r;
  r.trigger = std::move(trigger);
  return r;
}

}  // namespace uda
