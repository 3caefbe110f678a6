#include "sources/wmi_events/wmi_events_options.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <optional>
#include <set>

#include "core/user_account.hpp"
#include "sources/wmi_events/presets.hpp"
#include "sources/wmi_events/wql.hpp"

namespace uda {
namespace {

using yaml::Doc;

constexpr std::string_view kSection = "wmi_events";
constexpr std::string_view kSampleSince = "20260101000000.000000+000";
constexpr std::size_t kMaxWhereValueLength = 4096;

bool printable(std::string_view s) {
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) return false;
  }
  return true;
}

bool starts_with_ci(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

// One subscription's keys after the preset was applied: each value with the
// document it came from (the config file, or the preset's own text), so an
// error points where the value was written.
struct Keys {
  struct Entry {
    const Doc* doc = nullptr;
    YAML::Node node;
  };
  std::map<std::string, Entry> entries;
  std::string what;  // "wmi_events.subscriptions[2]"

  [[nodiscard]] const Entry* get(const std::string& key) const {
    const auto it = entries.find(key);
    return it == entries.end() ? nullptr : &it->second;
  }
  [[nodiscard]] std::string path(std::string_view key) const {
    return fmt::format("{}.{}", what, key);
  }
};

bool valid_subscription_name(std::string_view s) {
  if (s.empty() || s.size() > kMaxSubscriptionNameLength) return false;
  if (!std::isalnum(static_cast<unsigned char>(s[0]))) return false;
  for (const char c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') {
      return false;
    }
  }
  return true;
}

Expected<PropertyPath> path_at(const Doc& doc, const YAML::Node& node, const std::string& what) {
  auto text = yaml::as_string(doc, node, what);
  if (!text) return text.error();
  auto p = parse_property_path(*text);
  if (!p) return yaml::error_at(doc, node, what, p.error().message);
  return p;
}

// Where a path may point for this subscription's event class.
struct PathRules {
  std::string event_class;
  bool resume = false;  // a resume query feeds rows without PreviousInstance
};

std::optional<std::string> path_problem(const PropertyPath& p, const PathRules& rules,
                                        bool must_hold_on_resume) {
  const auto head = p.head();
  if (p.tail().empty()) {
    if (iequals(head, "TIME_CREATED") || iequals(head, "SECURITY_DESCRIPTOR") ||
        starts_with_ci(head, "__")) {
      return std::nullopt;
    }
    return fmt::format(
        "'{}' is not a property of the event: the watched instance's properties are "
        "TargetInstance.{}{}",
        p.text, head,
        has_previous_instance(rules.event_class)
            ? " (and PreviousInstance.<name> before the change)"
            : "");
  }
  if (iequals(head, "TargetInstance")) return std::nullopt;
  if (iequals(head, "PreviousInstance")) {
    if (!has_previous_instance(rules.event_class)) {
      return fmt::format(
          "'{}': {} has no PreviousInstance (only __InstanceModificationEvent "
          "and __InstanceOperationEvent do); use TargetInstance.{}",
          p.text, rules.event_class, p.tail());
    }
    if (rules.resume && must_hold_on_resume) {
      return fmt::format(
          "'{}': the rows of resume_query have no PreviousInstance, so this could "
          "never hold for them; drop resume_query or this use of PreviousInstance",
          p.text);
    }
    return std::nullopt;
  }
  return fmt::format(
      "'{}': an event's embedded instances are TargetInstance{}; write "
      "TargetInstance.{}",
      p.text, has_previous_instance(rules.event_class) ? " and PreviousInstance" : "", p.tail());
}

Expected<PropertyPath> event_path(const Keys::Entry& e, const std::string& what,
                                  const PathRules& rules, bool must_hold_on_resume,
                                  const YAML::Node& node) {
  auto p = path_at(*e.doc, node, what);
  if (!p) return p;
  if (auto problem = path_problem(*p, rules, must_hold_on_resume)) {
    return yaml::error_at(*e.doc, node, what, *problem);
  }
  return p;
}

Status check_query(const Keys& keys, Subscription& s) {
  const auto* e = keys.get("query");
  const auto what = keys.path("query");
  auto text = yaml::as_string(*e->doc, e->node, what);
  if (!text) return text.error();
  const auto bad = [&](const std::string& msg) {
    return yaml::error_at(*e->doc, e->node, what, msg);
  };
  if (trim(*text).empty()) return bad("must not be empty");
  if (text->size() > kMaxWqlLength) return bad(fmt::format("at most {} characters", kMaxWqlLength));
  if (!printable(*text)) return bad("must not contain control characters");
  auto q = parse_wql_select(*text);
  if (!q) return bad(q.error().message);
  if (!is_intrinsic_instance_event(q->from_class)) {
    return bad(fmt::format(
        "watches {}; a subscription watches an intrinsic instance event: SELECT * FROM "
        "__InstanceCreationEvent (or __InstanceModificationEvent, __InstanceDeletionEvent, "
        "__InstanceOperationEvent) WITHIN 300 WHERE TargetInstance ISA '<class>'",
        q->from_class));
  }
  if (!q->isa_class) {
    return bad(
        fmt::format("says which class to watch: add WHERE TargetInstance ISA '<class>' "
                    "(e.g. 'SMS_R_System'); without it {} fires for every class in the "
                    "namespace",
                    q->from_class));
  }
  const bool sms = starts_with_ci(*q->isa_class, "SMS_");
  if (sms && !q->within_seconds) {
    return bad(fmt::format(
        "{} is an SMS Provider class, which has no event provider: WMI must poll it. Add "
        "WITHIN <seconds> after FROM {} (at least {}, e.g. WITHIN 300)",
        *q->isa_class, q->from_class, kMinSmsWithinSeconds));
  }
  if (sms && *q->within_seconds < kMinSmsWithinSeconds) {
    return bad(fmt::format(
        "WITHIN {} polls {} too often: SMS classes have no event provider, so every poll "
        "enumerates the whole class on the SMS Provider. Use WITHIN {} or more (300 is usual)",
        *q->within_seconds, *q->isa_class, kMinSmsWithinSeconds));
  }
  if (q->within_seconds && *q->within_seconds > kMaxWithinSeconds) {
    return bad(fmt::format("WITHIN {}: at most {} seconds (one day)", *q->within_seconds,
                           kMaxWithinSeconds));
  }
  s.query = *text;
  s.event_class = q->from_class;
  s.target_class = *q->isa_class;
  s.within_seconds = q->within_seconds;
  return Status::Ok();
}

Status check_resume_query(const Keys& keys, Subscription& s) {
  const auto* e = keys.get("resume_query");
  if (e == nullptr) return Status::Ok();
  const auto what = keys.path("resume_query");
  auto text = yaml::as_string(*e->doc, e->node, what);
  if (!text) return text.error();
  const auto bad = [&](const std::string& msg) {
    return yaml::error_at(*e->doc, e->node, what, msg);
  };
  if (text->size() > kMaxWqlLength) return bad(fmt::format("at most {} characters", kMaxWqlLength));
  if (!printable(*text)) return bad("must not contain control characters");
  const auto since = text->find("{since}");
  if (since == std::string::npos) {
    return bad(
        "must contain '{since}' (the bookmark), e.g. WHERE CreationDate > '{since}'; "
        "without it every start would deliver every matching instance again");
  }
  std::string sample = *text;
  for (auto pos = sample.find("{since}"); pos != std::string::npos; pos = sample.find("{since}")) {
    sample.replace(pos, 7, kSampleSince);
  }
  auto q = parse_wql_select(sample);
  if (!q) return bad(q.error().message);
  if (is_intrinsic_instance_event(q->from_class) || q->within_seconds) {
    return bad(
        fmt::format("is run once with ExecQuery: read the class itself (SELECT * FROM {} "
                    "WHERE ... > '{{since}}'), not an event, and without WITHIN",
                    s.target_class.empty() ? "<class>" : s.target_class));
  }
  if (!s.target_class.empty() && !iequals(q->from_class, s.target_class)) {
    return bad(
        fmt::format("reads {}, but the query watches {}: the resume query must return the "
                    "class that TargetInstance is, so the same mapping applies",
                    q->from_class, s.target_class));
  }
  s.resume_query = *text;
  return Status::Ok();
}

Expected<std::vector<WhereValue>> where_values(const Doc& doc, const YAML::Node& node,
                                               const std::string& what) {
  std::vector<WhereValue> out;
  const auto one = [&](const YAML::Node& n, const std::string& w) -> Status {
    if (n.IsNull()) {
      out.push_back({true, {}});
      return Status::Ok();
    }
    if (!n.IsScalar()) {
      return yaml::error_at(doc, n, w, "must be a value (number, true/false, text or null)");
    }
    if (n.Scalar().size() > kMaxWhereValueLength) {
      return yaml::error_at(doc, n, w, fmt::format("at most {} characters", kMaxWhereValueLength));
    }
    out.push_back({false, n.Scalar()});
    return Status::Ok();
  };
  if (node.IsSequence()) {
    if (node.size() == 0) return yaml::error_at(doc, node, what, "must not be an empty list");
    if (node.size() > kMaxWhereValues) {
      return yaml::error_at(doc, node, what, fmt::format("at most {} values", kMaxWhereValues));
    }
    for (std::size_t i = 0; i < node.size(); ++i) {
      if (auto st = one(node[i], fmt::format("{}[{}]", what, i)); !st) return st.error();
    }
    return out;
  }
  if (auto st = one(node, what); !st) return st.error();
  return out;
}

Expected<Subscription> parse_subscription(const Doc& doc, const YAML::Node& node,
                                          const std::string& what, const std::string& default_ns,
                                          std::vector<Doc>& preset_docs) {
  if (auto st = yaml::check_keys(
          doc, node, what,
          {"name", "preset", "enabled", "namespace", "query", "resume_query", "resume_overlap",
           "bookmark", "kind", "machine", "user", "user_lookup", "attributes", "where", "key"});
      !st) {
    return st.error();
  }
  Subscription s;
  Keys keys;
  keys.what = what;

  // name
  const auto name_node = node["name"];
  if (!name_node) {
    return yaml::error_at(doc, node, what + ".name",
                          "missing: give the subscription a name, e.g. name: new-device");
  }
  auto name = yaml::as_string(doc, name_node, what + ".name");
  if (!name) return name.error();
  if (!valid_subscription_name(*name)) {
    return yaml::error_at(doc, name_node, what + ".name",
                          fmt::format("'{}': 1..{} letters, digits, '-', '_' or '.', starting "
                                      "with a letter or digit",
                                      *name, kMaxSubscriptionNameLength));
  }
  s.name = *name;

  // preset: its keys first, then the ones written here.
  if (const auto p = node["preset"]) {
    auto pname = yaml::as_string(doc, p, what + ".preset");
    if (!pname) return pname.error();
    const Preset* preset = find_preset(*pname);
    if (preset == nullptr) {
      return yaml::error_at(
          doc, p, what + ".preset",
          fmt::format("unknown preset '{}'; presets: {}", *pname, preset_choices()));
    }
    s.preset = std::string(preset->name);
    preset_docs.push_back(Doc{fmt::format("<preset {}>", preset->name)});
    auto root = yaml::load_text(std::string(preset->yaml), preset_docs.back().name);
    if (!root) return root.error();
    for (const auto& kv : *root) {
      keys.entries[kv.first.Scalar()] = {&preset_docs.back(), kv.second};
    }
    if (node["user"]) keys.entries.erase("user_lookup");
    if (node["user_lookup"]) keys.entries.erase("user");
  }
  for (const auto& kv : node) {
    const auto key = kv.first.Scalar();
    if (key == "name" || key == "preset" || key == "enabled") continue;
    keys.entries[key] = {&doc, kv.second};
  }

  if (const auto n = node["enabled"]) {
    auto v = yaml::as_bool(doc, n, what + ".enabled");
    if (!v) return v.error();
    s.enabled = *v;
  }

  // namespace
  s.ns = default_ns;
  if (const auto* e = keys.get("namespace")) {
    auto v = yaml::as_string(*e->doc, e->node, keys.path("namespace"));
    if (!v) return v.error();
    if (auto st = check_namespace(*v); !st) {
      return yaml::error_at(*e->doc, e->node, keys.path("namespace"), st.error().message);
    }
    s.ns = *v;
  }

  // query, resume_query
  if (keys.get("query") == nullptr) {
    return yaml::error_at(doc, node, what + ".query",
                          fmt::format("missing: give a query (or a preset: {})", preset_choices()));
  }
  if (auto st = check_query(keys, s); !st) return st.error();
  if (auto st = check_resume_query(keys, s); !st) return st.error();
  // The overlap must cover an instance created just before the bookmark that
  // still waits for its poll: at least WITHIN.
  const Millis within_ms(
      s.within_seconds ? static_cast<std::int64_t>(*s.within_seconds * 1000 + 0.5) : 0);
  s.resume_overlap = std::max(kDefaultResumeOverlap, 2 * within_ms);
  if (const auto* e = keys.get("resume_overlap")) {
    auto v = yaml::as_duration(*e->doc, e->node, keys.path("resume_overlap"), Millis(0),
                               kMaxResumeOverlap);
    if (!v) return v.error();
    if (s.resume_query && *v < within_ms) {
      return yaml::error_at(
          *e->doc, e->node, keys.path("resume_overlap"),
          fmt::format("{} is shorter than the polling interval (WITHIN {}): an instance created "
                      "just before the bookmark may still be waiting for its poll. Use at least "
                      "{}",
                      format_duration(*v), *s.within_seconds, format_duration(within_ms)));
    }
    s.resume_overlap = *v;
  }
  const PathRules rules{s.event_class, s.resume_query.has_value()};

  if (const auto* e = keys.get("bookmark")) {
    auto p = event_path(*e, keys.path("bookmark"), rules, false, e->node);
    if (!p) return p.error();
    s.bookmark = *p;
  }

  // kind
  const auto* kind = keys.get("kind");
  if (kind == nullptr) {
    return yaml::error_at(
        doc, node, what + ".kind",
        fmt::format("missing: the trigger kind, one of {}", trigger_kind_choices()));
  }
  {
    auto v = yaml::as_string(*kind->doc, kind->node, keys.path("kind"));
    if (!v) return v.error();
    auto k = parse_trigger_kind(*v);
    if (!k) {
      return yaml::error_at(
          *kind->doc, kind->node, keys.path("kind"),
          fmt::format("'{}' is not a trigger kind; use one of {}", *v, trigger_kind_choices()));
    }
    s.kind = *k;
  }

  // machine
  const auto* machine = keys.get("machine");
  if (machine == nullptr) {
    return yaml::error_at(doc, node, what + ".machine",
                          "missing: which properties name the device, e.g. machine: "
                          "{resource_id: TargetInstance.ResourceID, name: TargetInstance.Name}");
  }
  if (auto st = yaml::check_keys(*machine->doc, machine->node, keys.path("machine"),
                                 {"resource_id", "name"});
      !st) {
    return st.error();
  }
  for (const char* part : {"resource_id", "name"}) {
    if (const auto n = machine->node[part]) {
      auto p = event_path(*machine, keys.path("machine") + "." + part, rules, true, n);
      if (!p) return p.error();
      (std::string_view(part) == "name" ? s.machine.name : s.machine.resource_id) = *p;
    }
  }
  if (!s.machine.resource_id && !s.machine.name) {
    return yaml::error_at(*machine->doc, machine->node, keys.path("machine"),
                          "give resource_id and/or name (property paths)");
  }

  // user / user_lookup
  const auto* user = keys.get("user");
  const auto* lookup = keys.get("user_lookup");
  if (user != nullptr && lookup != nullptr) {
    return yaml::error_at(*lookup->doc, lookup->node, keys.path("user_lookup"),
                          "give user (a template) or user_lookup, not both");
  }
  if (user == nullptr && lookup == nullptr) {
    return yaml::error_at(doc, node, what + ".user",
                          "missing: a template such as '{TargetInstance.LastLogonUserDomain}\\"
                          "{TargetInstance.LastLogonUserName}', or user_lookup: last-logon");
  }
  if (user != nullptr) {
    auto v = yaml::as_string(*user->doc, user->node, keys.path("user"));
    if (!v) return v.error();
    auto t = parse_user_template(*v);
    if (!t) return yaml::error_at(*user->doc, user->node, keys.path("user"), t.error().message);
    for (const auto& p : t->paths()) {
      if (auto problem = path_problem(p, rules, true)) {
        return yaml::error_at(*user->doc, user->node, keys.path("user"), *problem);
      }
    }
    s.user = std::move(*t);
  } else {
    auto v = yaml::as_string(*lookup->doc, lookup->node, keys.path("user_lookup"));
    if (!v) return v.error();
    if (*v == "last-logon") {
      s.user_lookup = UserLookup::LastLogon;
    } else if (*v != "none") {
      return yaml::error_at(*lookup->doc, lookup->node, keys.path("user_lookup"),
                            fmt::format("'{}': use last-logon (the device's "
                                        "SMS_R_System.LastLogonUserDomain\\LastLogonUserName)",
                                        *v));
    }
    if (s.user_lookup == UserLookup::None) {
      return yaml::error_at(*lookup->doc, lookup->node, keys.path("user_lookup"),
                            "none leaves the trigger without a user: give user (a template)");
    }
  }

  // attributes
  if (const auto* e = keys.get("attributes")) {
    const auto w = keys.path("attributes");
    if (auto st = yaml::expect_map(*e->doc, e->node, w); !st) return st.error();
    if (e->node.size() > kMaxAttributes - 1) {
      return yaml::error_at(*e->doc, e->node, w,
                            fmt::format("at most {} attributes", kMaxAttributes - 1));
    }
    for (const auto& kv : e->node) {
      const auto aname = kv.first.Scalar();
      if (aname.empty() || aname.size() > kMaxAttributeKeyLength || !printable(aname)) {
        return yaml::error_at(
            *e->doc, kv.first, w,
            fmt::format("attribute names are 1..{} printable characters", kMaxAttributeKeyLength));
      }
      if (aname == kUserSourceAttribute) {
        return yaml::error_at(*e->doc, kv.first, w,
                              fmt::format("'{}' is set by the watcher (last-logon lookups); "
                                          "choose another name",
                                          kUserSourceAttribute));
      }
      auto p = event_path(*e, w + "." + aname, rules, false, kv.second);
      if (!p) return p.error();
      s.attributes.emplace_back(aname, *p);
    }
  }

  // where
  if (const auto* e = keys.get("where")) {
    const auto w = keys.path("where");
    if (auto st = yaml::expect_map(*e->doc, e->node, w); !st) return st.error();
    if (e->node.size() > kMaxWhereClauses) {
      return yaml::error_at(*e->doc, e->node, w,
                            fmt::format("at most {} conditions", kMaxWhereClauses));
    }
    for (const auto& kv : e->node) {
      auto p = event_path(*e, w, rules, true, kv.first);
      if (!p) return p.error();
      auto values = where_values(*e->doc, kv.second, w + "." + p->text);
      if (!values) return values.error();
      s.where.push_back({*p, std::move(*values)});
    }
  }

  // key
  if (const auto* e = keys.get("key")) {
    const auto w = keys.path("key");
    auto items = yaml::as_string_list(*e->doc, e->node, w);
    if (!items) return items.error();
    if (items->empty() || items->size() > kMaxKeyPaths) {
      return yaml::error_at(*e->doc, e->node, w,
                            fmt::format("give 1..{} property paths", kMaxKeyPaths));
    }
    for (std::size_t i = 0; i < items->size(); ++i) {
      const auto at = e->node.IsSequence() ? e->node[i] : e->node;
      auto p = event_path(*e, fmt::format("{}[{}]", w, i), rules, true, at);
      if (!p) return p.error();
      s.key.push_back(*p);
    }
  } else {
    if (s.machine.resource_id) s.key.push_back(*s.machine.resource_id);
    if (s.machine.name) s.key.push_back(*s.machine.name);
    if (s.user) {
      for (auto& p : s.user->paths()) s.key.push_back(p);
    }
  }
  return s;
}

}  // namespace

Status check_namespace(std::string_view ns) {
  const auto bad = [&](std::string_view why) {
    return Error{
        fmt::format("'{}' {}; write a namespace such as root\\sms\\site_PS1, or auto "
                    "for the local site's",
                    ns, why)};
  };
  if (ns == "auto") return Status::Ok();
  if (ns.empty()) return bad("is empty");
  if (ns.size() > kMaxNamespaceLength) return bad("is too long");
  if (ns.substr(0, 2) == "\\\\" || ns.substr(0, 2) == "//") {
    return bad("names a server; the namespace is the path on the SMS Provider only");
  }
  std::size_t start = 0;
  bool first = true;
  while (start <= ns.size()) {
    const auto end = std::min(ns.find('\\', start), ns.size());
    const auto seg = ns.substr(start, end - start);
    if (seg.empty()) return bad("has an empty part");
    for (const char c : seg) {
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') {
        return bad(
            fmt::format("has '{}' in a part (parts are letters, digits and '_', "
                        "separated by '\\')",
                        c));
      }
    }
    if (first && !iequals(seg, "root")) return bad("does not start with root");
    first = false;
    start = end + 1;
  }
  return Status::Ok();
}

Expected<WmiEventsOptions> parse_wmi_events_options(const Doc& doc, const YAML::Node& node) {
  if (auto st = yaml::check_keys(doc, node, kSection,
                                 {"namespace", "subscriptions", "reconnect", "max_queue"});
      !st) {
    return st.error();
  }
  WmiEventsOptions o;
  o.enabled = true;
  const auto key = [](std::string_view child) { return fmt::format("{}.{}", kSection, child); };

  if (const auto n = node["namespace"]) {
    auto v = yaml::as_string(doc, n, key("namespace"));
    if (!v) return v.error();
    if (auto st = check_namespace(*v); !st) {
      return yaml::error_at(doc, n, key("namespace"), st.error().message);
    }
    o.ns = *v;
  }
  if (const auto n = node["reconnect"]) {
    if (auto st = yaml::check_keys(doc, n, key("reconnect"), {"base", "cap"}); !st) {
      return st.error();
    }
    if (const auto b = n["base"]) {
      auto v = yaml::as_duration(doc, b, key("reconnect.base"), Millis(100), Millis(3'600'000));
      if (!v) return v.error();
      o.reconnect_base = *v;
    }
    if (const auto c = n["cap"]) {
      auto v = yaml::as_duration(doc, c, key("reconnect.cap"), Millis(1000), Millis(86'400'000));
      if (!v) return v.error();
      o.reconnect_cap = *v;
    }
    if (o.reconnect_cap < o.reconnect_base) {
      return yaml::error_at(
          doc, n, key("reconnect"),
          fmt::format("cap ({}) must not be below base ({})", format_duration(o.reconnect_cap),
                      format_duration(o.reconnect_base)));
    }
  }
  if (const auto n = node["max_queue"]) {
    auto v = yaml::as_int(doc, n, key("max_queue"), 1, kMaxWmiQueue);
    if (!v) return v.error();
    o.max_queue = static_cast<std::size_t>(*v);
  }

  const auto subs = node["subscriptions"];
  if (!subs || !subs.IsSequence() || subs.size() == 0) {
    return yaml::error_at(doc, subs ? subs : node, key("subscriptions"),
                          fmt::format("list at least one subscription, e.g. - {{name: "
                                      "new-device, preset: new-device}} (presets: {})",
                                      preset_choices()));
  }
  if (subs.size() > kMaxSubscriptions) {
    return yaml::error_at(doc, subs, key("subscriptions"),
                          fmt::format("at most {} subscriptions", kMaxSubscriptions));
  }
  std::vector<Doc> preset_docs;
  preset_docs.reserve(subs.size());  // Keys entries point into it while parsing
  std::map<std::string, std::size_t, CaseInsensitiveLess> seen;
  for (std::size_t i = 0; i < subs.size(); ++i) {
    const auto what = fmt::format("{}[{}]", key("subscriptions"), i);
    auto s = parse_subscription(doc, subs[i], what, o.ns, preset_docs);
    if (!s) return s.error();
    if (auto [it, fresh] = seen.emplace(s->name, i); !fresh) {
      return yaml::error_at(doc, subs[i]["name"], what + ".name",
                            fmt::format("'{}' is already the name of subscriptions[{}] (names "
                                        "ignore case)",
                                        s->name, it->second));
    }
    o.subscriptions.push_back(std::move(*s));
  }
  return o;
}

}  // namespace uda
