#include "rules/rules_loader.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <map>

#include "core/yaml_util.hpp"

namespace uda {
namespace {

using yaml::Doc;

std::string join(const std::vector<std::string>& items, std::string_view sep = ", ") {
  std::string out;
  for (const auto& s : items) {
    if (!out.empty()) out += sep;
    out += s;
  }
  return out;
}

// A string or a list of strings, each non-empty and bounded, at most `max`.
Expected<std::vector<std::string>> string_list(const Doc& doc, const YAML::Node& node,
                                               const std::string& what) {
  auto items = yaml::as_string_list(doc, node, what);
  if (!items) return items.error();
  if (items->empty()) return yaml::error_at(doc, node, what, "must not be an empty list");
  if (items->size() > kMaxPatternsPerCondition) {
    return yaml::error_at(doc, node, what,
                          fmt::format("at most {} entries", kMaxPatternsPerCondition));
  }
  for (std::size_t i = 0; i < items->size(); ++i) {
    const auto& s = (*items)[i];
    const auto at = node.IsSequence() ? node[i] : node;
    if (s.empty()) return yaml::error_at(doc, at, what, "must not be empty");
    if (s.size() > kMaxPatternLength) {
      return yaml::error_at(doc, at, what,
                            fmt::format("longer than {} characters", kMaxPatternLength));
    }
  }
  return items;
}

Expected<std::vector<Glob>> globs(const Doc& doc, const YAML::Node& node, const std::string& what) {
  auto items = string_list(doc, node, what);
  if (!items) return items.error();
  std::vector<Glob> out;
  out.reserve(items->size());
  for (const auto& s : *items) out.emplace_back(s);
  return out;
}

Expected<std::vector<Regex>> regexes(const Doc& doc, const YAML::Node& node,
                                     const std::string& what) {
  auto items = string_list(doc, node, what);
  if (!items) return items.error();
  std::vector<Regex> out;
  for (std::size_t i = 0; i < items->size(); ++i) {
    const auto& s = (*items)[i];
    try {
      out.push_back(Regex{
          s, std::regex(s, std::regex::ECMAScript | std::regex::icase | std::regex::optimize)});
    } catch (const std::regex_error& e) {
      return yaml::error_at(
          doc, node.IsSequence() ? node[i] : node, what,
          fmt::format("'{}' is not a valid regular expression (ECMAScript): {}", s, e.what()));
    }
  }
  return out;
}

Expected<std::vector<TriggerKind>> kinds(const Doc& doc, const YAML::Node& node,
                                         const std::string& what) {
  auto items = string_list(doc, node, what);
  if (!items) return items.error();
  std::vector<TriggerKind> out;
  for (std::size_t i = 0; i < items->size(); ++i) {
    auto k = parse_trigger_kind((*items)[i]);
    if (!k) {
      return yaml::error_at(doc, node.IsSequence() ? node[i] : node, what,
                            fmt::format("'{}' is not a trigger kind; use one of {}", (*items)[i],
                                        trigger_kind_choices()));
    }
    out.push_back(*k);
  }
  return out;
}

std::optional<std::uint32_t> resource_id(std::string_view s) {
  std::uint64_t n = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (ec != std::errc{} || p != s.data() + s.size() || s.empty() || n == 0 || n > kMaxResourceId) {
    return std::nullopt;
  }
  return static_cast<std::uint32_t>(n);
}

Expected<std::vector<ResourceIdIn::Range>> resource_ids(const Doc& doc, const YAML::Node& node,
                                                        const std::string& what) {
  auto items = string_list(doc, node, what);
  if (!items) return items.error();
  std::vector<ResourceIdIn::Range> out;
  for (std::size_t i = 0; i < items->size(); ++i) {
    const std::string& s = (*items)[i];
    const auto at = node.IsSequence() ? node[i] : node;
    const auto dash = s.find('-');
    auto lo = resource_id(s.substr(0, dash));
    auto hi = dash == std::string::npos ? lo : resource_id(s.substr(dash + 1));
    if (!lo || !hi || *hi < *lo) {
      return yaml::error_at(doc, at, what,
                            fmt::format("'{}' is not a ResourceID (1..4294967295) or a range "
                                        "such as 16777220-16777299",
                                        s));
    }
    out.emplace_back(*lo, *hi);
  }
  return out;
}

std::optional<int> parse_clock(std::string_view s) {
  // "HH:MM", 00:00..24:00
  if (s.size() != 5 || s[2] != ':') return std::nullopt;
  auto digit = [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; };
  if (!digit(s[0]) || !digit(s[1]) || !digit(s[3]) || !digit(s[4])) return std::nullopt;
  const int h = (s[0] - '0') * 10 + (s[1] - '0');
  const int m = (s[3] - '0') * 10 + (s[4] - '0');
  if (m > 59 || h > 24 || (h == 24 && m != 0)) return std::nullopt;
  return h * 60 + m;
}

std::optional<std::size_t> parse_day(std::string_view s) {
  static constexpr std::array<std::string_view, 7> kDayNames{"mon", "tue", "wed", "thu",
                                                             "fri", "sat", "sun"};
  const std::string l = ascii_lower(trim(s));
  for (std::size_t i = 0; i < kDayNames.size(); ++i) {
    if (l == kDayNames[i] || (l.size() > 3 && l.substr(0, 3) == kDayNames[i])) return i;
  }
  return std::nullopt;
}

Expected<TimeWindow> time_window(const Doc& doc, const YAML::Node& node, const std::string& what) {
  if (auto st = yaml::check_keys(doc, node, what, {"days", "hours", "utc_offset"}); !st) {
    return st.error();
  }
  TimeWindow w;
  std::vector<std::string> text;
  if (const auto d = node["days"]; d) {
    auto items = string_list(doc, d, what + ".days");
    if (!items) return items.error();
    w.days.fill(false);
    for (const auto& item : *items) {
      const auto dash = item.find('-');
      auto a = parse_day(item.substr(0, dash));
      auto b = dash == std::string::npos ? a : parse_day(item.substr(dash + 1));
      if (!a || !b) {
        return yaml::error_at(doc, d, what + ".days",
                              fmt::format("'{}' is not a day or range of days; write e.g. mon-fri, "
                                          "[sat, sun] or [mon, wed]",
                                          item));
      }
      for (std::size_t i = *a;; i = (i + 1) % 7) {  // ranges may wrap: fri-mon
        w.days[i] = true;
        if (i == *b) break;
      }
    }
    text.push_back(join(*items));
  }
  if (const auto h = node["hours"]; h) {
    auto s = yaml::as_string(doc, h, what + ".hours");
    if (!s) return s.error();
    const auto dash = s->find('-');
    auto a = dash == std::string::npos ? std::nullopt : parse_clock(trim(s->substr(0, dash)));
    auto b = dash == std::string::npos ? std::nullopt : parse_clock(trim(s->substr(dash + 1)));
    if (!a || !b || *a == *b || *a == 24 * 60) {
      return yaml::error_at(doc, h, what + ".hours",
                            fmt::format("'{}' is not a time range; write HH:MM-HH:MM such as "
                                        "07:00-19:00 (22:00-06:00 wraps past midnight)",
                                        *s));
    }
    w.start_minute = *a;
    w.end_minute = *b;
    text.push_back(*s);
  }
  if (const auto o = node["utc_offset"]; o) {
    auto s = yaml::as_string(doc, o, what + ".utc_offset");
    if (!s) return s.error();
    const std::string& v = *s;
    std::optional<int> minutes;
    if (v == "Z" || v == "0" || v == "+00:00" || v == "-00:00") {
      minutes = 0;
    } else if (v.size() == 6 && (v[0] == '+' || v[0] == '-')) {
      if (auto c = parse_clock(std::string_view(v).substr(1)); c && *c <= 14 * 60) {
        minutes = v[0] == '-' ? -*c : *c;
      }
    }
    if (!minutes) {
      return yaml::error_at(doc, o, what + ".utc_offset",
                            fmt::format("'{}' is not a UTC offset; write +01:00, -05:00 or Z", v));
    }
    w.utc_offset_minutes = *minutes;
    text.push_back("UTC" + v);
  }
  if (text.empty()) {
    return yaml::error_at(doc, node, what, "give days, hours or both (and optionally utc_offset)");
  }
  w.text = join(text, " ");
  return w;
}

Status add_names(const Doc& doc, const YAML::Node& node, const std::string& what,
                 std::initializer_list<std::pair<std::string_view, NameField>> glob_keys,
                 std::pair<std::string_view, NameField> regex_key, std::vector<ConditionPtr>& out) {
  // Wildcards and regexes on the same field are one condition: either may match.
  std::map<NameField, std::pair<std::vector<Glob>, std::vector<Regex>>> by_field;
  std::vector<NameField> order;
  for (const auto& [key, field] : glob_keys) {
    if (const auto n = node[std::string(key)]; n) {
      auto g = globs(doc, n, what + "." + std::string(key));
      if (!g) return g.error();
      if (!by_field.count(field)) order.push_back(field);
      by_field[field].first = std::move(*g);
    }
  }
  if (const auto n = node[std::string(regex_key.first)]; n) {
    auto r = regexes(doc, n, what + "." + std::string(regex_key.first));
    if (!r) return r.error();
    if (!by_field.count(regex_key.second)) order.push_back(regex_key.second);
    by_field[regex_key.second].second = std::move(*r);
  }
  for (auto f : order) {
    auto& [g, r] = by_field[f];
    out.push_back(std::make_shared<NameMatches>(f, std::move(g), std::move(r)));
  }
  return Status::Ok();
}

Expected<std::vector<ConditionPtr>> conditions(const Doc& doc, const YAML::Node& when,
                                               const std::string& what) {
  if (auto st = yaml::check_keys(doc, when, what,
                                 {"kind", "origin", "machine", "user", "attributes", "time"});
      !st) {
    return st.error();
  }
  std::vector<ConditionPtr> out;
  if (const auto n = when["kind"]; n) {
    auto k = kinds(doc, n, what + ".kind");
    if (!k) return k.error();
    out.push_back(std::make_shared<KindIs>(std::move(*k)));
  }
  if (const auto n = when["origin"]; n) {
    auto g = globs(doc, n, what + ".origin");
    if (!g) return g.error();
    out.push_back(std::make_shared<OriginMatches>(std::move(*g)));
  }
  if (const auto m = when["machine"]; m) {
    const std::string w = what + ".machine";
    if (auto st = yaml::check_keys(doc, m, w, {"name", "name_regex", "resource_id"}); !st) {
      return st.error();
    }
    if (m.size() == 0) return yaml::error_at(doc, m, w, "give name, name_regex or resource_id");
    if (auto st = add_names(doc, m, w, {{"name", NameField::MachineName}},
                            {"name_regex", NameField::MachineName}, out);
        !st) {
      return st.error();
    }
    if (const auto n = m["resource_id"]; n) {
      auto ids = resource_ids(doc, n, w + ".resource_id");
      if (!ids) return ids.error();
      out.push_back(std::make_shared<ResourceIdIn>(std::move(*ids)));
    }
  }
  if (const auto u = when["user"]; u) {
    const std::string w = what + ".user";
    if (auto st = yaml::check_keys(doc, u, w, {"domain", "name", "account", "regex"}); !st) {
      return st.error();
    }
    if (u.size() == 0) return yaml::error_at(doc, u, w, "give domain, name, account or regex");
    if (auto st = add_names(doc, u, w,
                            {{"domain", NameField::UserDomain},
                             {"name", NameField::UserName},
                             {"account", NameField::UserAccount}},
                            {"regex", NameField::UserAccount}, out);
        !st) {
      return st.error();
    }
  }
  if (const auto a = when["attributes"]; a) {
    const std::string w = what + ".attributes";
    auto items = string_list(doc, a, w);
    if (!items) return items.error();
    for (std::size_t i = 0; i < items->size(); ++i) {
      auto expr = parse_attribute_expr((*items)[i]);
      if (!expr) {
        return yaml::error_at(doc, a.IsSequence() ? a[i] : a, w, expr.error().message);
      }
      out.push_back(std::make_shared<AttributeHolds>(std::move(*expr)));
    }
  }
  if (const auto t = when["time"]; t) {
    auto win = time_window(doc, t, what + ".time");
    if (!win) return win.error();
    out.push_back(std::make_shared<ReceivedWithin>(std::move(*win)));
  }
  return out;
}

// action + source + type + reason, shared by rules and the default.
Status action(const Doc& doc, const YAML::Node& node, const std::string& what, RuleAction& out) {
  const auto a = node["action"];
  if (!a) {
    return yaml::error_at(doc, node, what + ".action", "missing: set it to create or skip");
  }
  auto s = yaml::as_string(doc, a, what + ".action");
  if (!s) return s.error();
  if (*s == "create") {
    out.action = DecisionAction::Create;
  } else if (*s == "skip") {
    out.action = DecisionAction::Skip;
  } else {
    return yaml::error_at(doc, a, what + ".action",
                          fmt::format("'{}' is not one of create, skip", *s));
  }
  const auto src = node["source"];
  const auto type = node["type"];
  if (out.action == DecisionAction::Skip) {
    if (src || type) {
      return yaml::error_at(doc, src ? src : type, what + (src ? ".source" : ".type"),
                            "only a create has a source or type; remove it or use action: create");
    }
  } else {
    if (!src) {
      return yaml::error_at(
          doc, node, what + ".source",
          fmt::format("missing: a create needs the SourceId, one of {}", source_id_choices()));
    }
    auto sv = yaml::as_string(doc, src, what + ".source");
    if (!sv) return sv.error();
    auto id = parse_source_id(*sv);
    if (!id) {
      return yaml::error_at(
          doc, src, what + ".source",
          fmt::format("'{}' is not a SourceId; use one of {}", *sv, source_id_choices()));
    }
    out.source = *id;
    if (type) {
      auto tv = yaml::as_string(doc, type, what + ".type");
      if (!tv) return tv.error();
      auto t = parse_type_id(*tv);
      if (!t) {
        return yaml::error_at(doc, type, what + ".type",
                              fmt::format("'{}' is not a TypeId; use {}", *tv, type_id_choices()));
      }
      out.type = *t;
    }
  }
  if (const auto r = node["reason"]; r) {
    auto rv = yaml::as_string(doc, r, what + ".reason");
    if (!rv) return rv.error();
    if (rv->size() > 512) return yaml::error_at(doc, r, what + ".reason", "at most 512 characters");
    out.reason = *rv;
  }
  return Status::Ok();
}

bool valid_rule_name(std::string_view n) {
  if (n.empty() || n.size() > 64) return false;
  return std::all_of(n.begin(), n.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_' || c == '.';
  });
}

Expected<LetterCase> letter_case(const Doc& doc, const YAML::Node& node, const std::string& what) {
  auto s = yaml::as_string(doc, node, what);
  if (!s) return s.error();
  if (*s == "keep") return LetterCase::Keep;
  if (*s == "upper") return LetterCase::Upper;
  if (*s == "lower") return LetterCase::Lower;
  return yaml::error_at(doc, node, what, fmt::format("'{}' is not one of keep, upper, lower", *s));
}

// A map of lowercased key -> value, each checked by `check_key` / `check_value`.
template <class CheckKey, class CheckValue>
Status string_map(const Doc& doc, const YAML::Node& node, const std::string& what,
                  std::map<std::string, std::string, std::less<>>& out, CheckKey check_key,
                  CheckValue check_value) {
  if (auto st = yaml::expect_map(doc, node, what); !st) return st;
  if (node.size() > 100'000) return yaml::error_at(doc, node, what, "at most 100000 entries");
  for (const auto& kv : node) {
    auto k = yaml::as_string(doc, kv.first, what);
    if (!k) return k.error();
    auto v = yaml::as_string(doc, kv.second, what + "." + *k);
    if (!v) return v.error();
    if (auto msg = check_key(*k); !msg.empty()) {
      return yaml::error_at(doc, kv.first, what, fmt::format("'{}' {}", *k, msg));
    }
    if (auto msg = check_value(*v); !msg.empty()) {
      return yaml::error_at(doc, kv.second, what + "." + *k, fmt::format("'{}' {}", *v, msg));
    }
    const std::string key = ascii_lower(*k);
    if (!out.emplace(key, *v).second) {
      return yaml::error_at(doc, kv.first, what,
                            fmt::format("'{}' is listed twice (keys ignore case)", *k));
    }
  }
  return Status::Ok();
}

std::string check_netbios(const std::string& d) {
  return parse_domain_user(d + "\\x") ? "" : "is not a valid NetBIOS domain name";
}

Status user_policy(const Doc& doc, const YAML::Node& node, UserPolicy& out) {
  if (auto st = yaml::check_keys(doc, node, "users",
                                 {"trim", "domain_case", "name_case", "upn_map", "upn_suffixes",
                                  "domains", "reject_machine_accounts", "reject", "unmapped_upn"});
      !st) {
    return st;
  }
  if (const auto n = node["trim"]; n) {
    auto b = yaml::as_bool(doc, n, "users.trim");
    if (!b) return b.error();
    out.trim = *b;
  }
  if (const auto n = node["domain_case"]; n) {
    auto c = letter_case(doc, n, "users.domain_case");
    if (!c) return c.error();
    out.domain_case = *c;
  }
  if (const auto n = node["name_case"]; n) {
    auto c = letter_case(doc, n, "users.name_case");
    if (!c) return c.error();
    out.name_case = *c;
  }
  if (const auto n = node["upn_map"]; n) {
    if (auto st = string_map(
            doc, n, "users.upn_map", out.upn_map,
            [](const std::string& k) {
              return parse_upn(k) ? std::string() : std::string("is not a UPN (user@suffix)");
            },
            [](const std::string& v) {
              return parse_domain_user(v) ? std::string() : std::string("is not DOMAIN\\user");
            });
        !st) {
      return st;
    }
  }
  if (const auto n = node["upn_suffixes"]; n) {
    if (auto st = string_map(
            doc, n, "users.upn_suffixes", out.upn_suffixes,
            [](const std::string& k) {
              return k == "*" || parse_upn("x@" + k) ? std::string()
                                                     : std::string("is not a UPN suffix");
            },
            check_netbios);
        !st) {
      return st;
    }
  }
  if (const auto n = node["domains"]; n) {
    if (auto st = string_map(doc, n, "users.domains", out.domains, check_netbios, check_netbios);
        !st) {
      return st;
    }
  }
  if (const auto n = node["unmapped_upn"]; n) {
    auto v = yaml::as_string(doc, n, "users.unmapped_upn");
    if (!v) return v.error();
    if (*v == "skip") {
      out.resolve_unmapped_upn_in_site = false;
    } else if (*v == "resolve_in_site") {
      out.resolve_unmapped_upn_in_site = true;
    } else {
      return yaml::error_at(doc, n, "users.unmapped_upn",
                            fmt::format("'{}' is not one of skip, resolve_in_site", *v));
    }
  }
  if (const auto n = node["reject_machine_accounts"]; n) {
    auto b = yaml::as_bool(doc, n, "users.reject_machine_accounts");
    if (!b) return b.error();
    out.reject_machine_accounts = *b;
  }
  if (const auto n = node["reject"]; n) {
    if (!n.IsSequence()) {
      return yaml::error_at(doc, n, "users.reject",
                            "must be a list of patterns, or of {pattern: ..., reason: ...}");
    }
    if (n.size() > kMaxPatternsPerCondition) {
      return yaml::error_at(doc, n, "users.reject",
                            fmt::format("at most {} entries", kMaxPatternsPerCondition));
    }
    for (std::size_t i = 0; i < n.size(); ++i) {
      const auto item = n[i];
      const std::string w = fmt::format("users.reject[{}]", i);
      UserReject r;
      r.reason = "excluded account";
      const YAML::Node pattern_node = item.IsMap() ? item["pattern"] : item;
      if (item.IsMap()) {
        if (auto st = yaml::check_keys(doc, item, w, {"pattern", "reason"}); !st) return st;
        if (!pattern_node) return yaml::error_at(doc, item, w + ".pattern", "missing");
        if (const auto reason = item["reason"]; reason) {
          auto s = yaml::as_string(doc, reason, w + ".reason");
          if (!s) return s.error();
          r.reason = *s;
        }
      }
      auto p = yaml::as_string(doc, pattern_node, w + ".pattern");
      if (!p) return p.error();
      if (p->empty() || p->size() > kMaxPatternLength) {
        return yaml::error_at(doc, pattern_node, w + ".pattern",
                              fmt::format("must be 1..{} characters", kMaxPatternLength));
      }
      if (p->find('\\') == std::string::npos) {
        return yaml::error_at(doc, pattern_node, w + ".pattern",
                              fmt::format("'{}' never matches: patterns apply to DOMAIN\\user, so "
                                          "write e.g. '*\\{}'",
                                          *p, *p));
      }
      r.pattern = Glob(*p);
      out.reject.push_back(std::move(r));
    }
  }
  return Status::Ok();
}

}  // namespace

Expected<RuleSet> load_rules_text(const std::string& text, const std::string& name) {
  auto root = yaml::load_single(text, name);
  if (!root) return root.error();
  const Doc doc{name};
  const YAML::Node& n = *root;
  if (!n.IsMap()) {
    return yaml::error_at(doc, n, "",
                          "a rules file is a map with version, users, rules and default");
  }
  if (auto st = yaml::check_keys(doc, n, "", {"version", "users", "rules", "default"}); !st) {
    return st.error();
  }
  RuleSet set;
  set.source = name;
  if (const auto v = n["version"]; v) {
    auto ver = yaml::as_int(doc, v, "version", 1, 1);
    if (!ver) return ver.error();
  }
  if (const auto u = n["users"]; u) {
    if (auto st = user_policy(doc, u, set.users); !st) return st.error();
  }
  const auto rules = n["rules"];
  if (!rules) return yaml::error_at(doc, n, "rules", "missing: add 'rules:' with a list of rules");
  if (!rules.IsSequence() && !rules.IsNull()) {
    return yaml::error_at(doc, rules, "rules",
                          "must be a list of rules (each starting with '- name:')");
  }
  if (rules.size() > kMaxRules) {
    return yaml::error_at(doc, rules, "rules", fmt::format("at most {} rules", kMaxRules));
  }
  std::map<std::string, std::string> names;  // lowercased -> where
  std::optional<std::size_t> catch_all;      // index of the first enabled rule without 'when:'
  for (std::size_t i = 0; i < rules.size(); ++i) {
    const auto r = rules[i];
    std::string what = fmt::format("rules[{}]", i);
    // Name the rule in messages as soon as its name can be read.
    const bool named =
        r.IsMap() && r["name"] && r["name"].IsScalar() && valid_rule_name(r["name"].Scalar());
    const std::string named_what = named ? fmt::format("{} ({})", what, r["name"].Scalar()) : what;
    if (auto st = yaml::check_keys(
            doc, r, named_what,
            {"name", "description", "enabled", "when", "action", "source", "type", "reason"});
        !st) {
      return st.error();
    }
    Rule rule;
    rule.where = yaml::where(doc, r);
    const auto name_node = r["name"];
    if (!name_node) return yaml::error_at(doc, r, what + ".name", "missing: every rule has a name");
    auto rule_name = yaml::as_string(doc, name_node, what + ".name");
    if (!rule_name) return rule_name.error();
    if (!valid_rule_name(*rule_name)) {
      return yaml::error_at(
          doc, name_node, what + ".name",
          fmt::format("'{}' must be 1..64 letters, digits, '-', '_' or '.'", *rule_name));
    }
    if (*rule_name == "default" || *rule_name == "user-policy") {
      return yaml::error_at(doc, name_node, what + ".name",
                            fmt::format("'{}' is reserved for decisions no rule made; choose "
                                        "another name",
                                        *rule_name));
    }
    if (auto [it, fresh] = names.emplace(ascii_lower(*rule_name), rule.where); !fresh) {
      return yaml::error_at(doc, name_node, what + ".name",
                            fmt::format("'{}' is already the name of the rule at {}; names must "
                                        "be unique",
                                        *rule_name, it->second));
    }
    rule.name = *rule_name;
    what = fmt::format("rules[{}] ({})", i, rule.name);
    if (const auto d = r["description"]; d) {
      auto s = yaml::as_string(doc, d, what + ".description");
      if (!s) return s.error();
      rule.description = *s;
    }
    if (const auto e = r["enabled"]; e) {
      auto b = yaml::as_bool(doc, e, what + ".enabled");
      if (!b) return b.error();
      rule.enabled = *b;
    }
    if (const auto w = r["when"]; w) {
      auto c = conditions(doc, w, what + ".when");
      if (!c) return c.error();
      rule.conditions = std::move(*c);
    }
    if (auto st = action(doc, r, what, rule.then); !st) return st.error();
    if (rule.enabled && catch_all) {
      const Rule& all = set.rules[*catch_all];
      set.warnings.push_back(fmt::format(
          "{}: rule '{}' is never tried: rule '{}' at {} has no 'when:' and matches every trigger",
          rule.where, rule.name, all.name, all.where));
    }
    if (rule.enabled && rule.conditions.empty() && !catch_all) catch_all = set.rules.size();
    set.rules.push_back(std::move(rule));
  }
  if (const auto d = n["default"]; d) {
    if (auto st = yaml::check_keys(doc, d, "default", {"action", "source", "type", "reason"});
        !st) {
      return st.error();
    }
    set.fallback = RuleAction{};
    if (auto st = action(doc, d, "default", set.fallback); !st) return st.error();
    if (set.fallback.action == DecisionAction::Skip && set.fallback.reason.empty()) {
      set.fallback.reason = "no rule matched";
    }
  }
  set.index = build_rule_index(set.rules);
  return set;
}

Expected<RuleSet> load_rules_file(const std::filesystem::path& path) {
  auto text = yaml::read_document(path);
  if (!text) return text.error();
  return load_rules_text(*text, path.string());
}

}  // namespace uda
