#include "core/trigger_json.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>

namespace uda {

using nlohmann::json;

nlohmann::json attributes_to_json(const Attributes& a) {
  json out = json::object();
  for (const auto& [k, v] : a) {
    if (const auto* b = std::get_if<bool>(&v)) {
      out[k] = *b;
    } else if (const auto* d = std::get_if<double>(&v)) {
      out[k] = *d;
    } else {
      out[k] = std::get<std::string>(v);
    }
  }
  return out;
}

Expected<Attributes> attributes_from_json(const json& j) {
  if (!j.is_object()) return Error{"attributes: must be an object of name -> value"};
  if (j.size() > kMaxAttributes) {
    return Error{fmt::format("attributes: at most {} entries", kMaxAttributes)};
  }
  Attributes out;
  for (const auto& [k, v] : j.items()) {
    if (v.is_boolean()) {
      out.emplace(k, v.get<bool>());
    } else if (v.is_number()) {
      out.emplace(k, v.get<double>());
    } else if (v.is_string()) {
      out.emplace(k, v.get<std::string>());
    } else {
      return Error{fmt::format("attributes.{}: must be a string, number or boolean", k)};
    }
  }
  return out;
}

nlohmann::json to_json(const Trigger& t) {
  json machine = json::object();
  if (t.machine.resource_id) machine["resource_id"] = *t.machine.resource_id;
  if (t.machine.name) machine["name"] = *t.machine.name;
  return json{{"id", t.id},
              {"kind", std::string(to_string(t.kind))},
              {"machine", machine},
              {"user", t.user},
              {"origin", t.origin},
              {"received_at", format_iso8601(t.received_at)},
              {"attributes", attributes_to_json(t.attributes)}};
}

namespace {

Expected<std::uint32_t> resource_id_from_json(const json& v) {
  if (!v.is_number_integer()) {
    return Error{"machine.resource_id: must be an integer (SMS_R_System.ResourceID), not " +
                 std::string(v.type_name())};
  }
  if (v.is_number_unsigned()) {
    const auto n = v.get<std::uint64_t>();
    if (n == 0 || n > kMaxResourceId) return Error{"machine.resource_id: must be 1..4294967295"};
    return static_cast<std::uint32_t>(n);
  }
  const auto n = v.get<std::int64_t>();
  if (n <= 0 || n > static_cast<std::int64_t>(kMaxResourceId)) {
    return Error{"machine.resource_id: must be 1..4294967295"};
  }
  return static_cast<std::uint32_t>(n);
}

}  // namespace

Expected<Trigger> trigger_from_json(const json& j, std::string_view default_origin) {
  if (!j.is_object()) return Error{"trigger: must be a JSON object"};
  static const std::array<std::string_view, 7> kKnown{"id",     "kind",        "machine",   "user",
                                                      "origin", "received_at", "attributes"};
  for (const auto& [k, v] : j.items()) {
    if (std::find(kKnown.begin(), kKnown.end(), k) == kKnown.end()) {
      return Error{
          fmt::format("{}: unknown field (known: id, kind, machine, user, origin, "
                      "received_at, attributes)",
                      k)};
    }
  }
  Trigger t;
  if (auto it = j.find("id"); it != j.end() && !it->is_null()) {
    if (!it->is_string()) return Error{"id: must be a string"};
    t.id = it->get<std::string>();
  } else {
    t.id = new_trigger_id();
  }
  auto kind = j.find("kind");
  if (kind == j.end() || !kind->is_string()) {
    return Error{"kind: required string, one of " + trigger_kind_choices()};
  }
  auto k = parse_trigger_kind(kind->get<std::string>());
  if (!k) {
    return Error{fmt::format("kind: '{}' is not one of {}", kind->get<std::string>(),
                             trigger_kind_choices())};
  }
  t.kind = *k;

  auto machine = j.find("machine");
  if (machine == j.end() || machine->is_null()) {
    return Error{"machine: required, {\"resource_id\": n, \"name\": \"...\"}"};
  }
  if (machine->is_number()) {
    auto id = resource_id_from_json(*machine);
    if (!id) return id.error();
    t.machine.resource_id = *id;
  } else if (machine->is_string()) {
    t.machine.name = machine->get<std::string>();
  } else if (machine->is_object()) {
    for (const auto& [mk, mv] : machine->items()) {
      if (mk == "resource_id") {
        if (mv.is_null()) continue;
        auto id = resource_id_from_json(mv);
        if (!id) return id.error();
        t.machine.resource_id = *id;
      } else if (mk == "name") {
        if (mv.is_null()) continue;
        if (!mv.is_string()) return Error{"machine.name: must be a string"};
        t.machine.name = mv.get<std::string>();
      } else {
        return Error{fmt::format("machine.{}: unknown field (known: resource_id, name)", mk)};
      }
    }
  } else {
    return Error{"machine: must be an object, a resource id or a name"};
  }

  auto user = j.find("user");
  if (user == j.end() || !user->is_string()) {
    return Error{"user: required string, DOMAIN\\user or a UPN"};
  }
  t.user = user->get<std::string>();

  if (auto it = j.find("origin"); it != j.end() && !it->is_null()) {
    if (!it->is_string()) return Error{"origin: must be a string"};
    t.origin = it->get<std::string>();
  } else {
    t.origin = std::string(default_origin);
  }
  if (auto it = j.find("received_at"); it != j.end() && !it->is_null()) {
    if (!it->is_string()) return Error{"received_at: must be an ISO 8601 string"};
    auto tp = parse_iso8601(it->get<std::string>());
    if (!tp) {
      return Error{"received_at: not an ISO 8601 time with zone, e.g. 2026-11-24T10:00:00Z"};
    }
    t.received_at = *tp;
  } else {
    t.received_at = now_ms();
  }
  if (auto it = j.find("attributes"); it != j.end() && !it->is_null()) {
    auto attrs = attributes_from_json(*it);
    if (!attrs) return attrs.error();
    t.attributes = std::move(*attrs);
  }
  if (auto st = validate(t); !st) return st.error();
  return t;
}

Expected<Trigger> trigger_from_json_text(std::string_view text, std::string_view default_origin) {
  json j;
  try {
    j = json::parse(text.begin(), text.end());
  } catch (const json::parse_error& e) {
    return Error{fmt::format("trigger: not valid JSON at byte {}: {}", e.byte, e.what())};
  } catch (const json::exception& e) {
    // Not every parse failure is a parse_error: a number beyond a double
    // (1e400) is an out_of_range.
    return Error{fmt::format("trigger: not valid JSON: {}", e.what())};
  }
  return trigger_from_json(j, default_origin);
}

}  // namespace uda
