#pragma once
// The JSON form of a trigger, shared by `rules explain --trigger`, the store's
// audit columns and (later) the HTTP API and spool files.
//
//   {"id": "optional", "kind": "osd",
//    "machine": {"resource_id": 16777220, "name": "WKS-001"},
//    "user": "CONTOSO\\jdoe", "origin": "cli",
//    "received_at": "2026-11-24T10:00:00Z",            (optional)
//    "attributes": {"usage.minutes": 3120, "ts.name": "Win11"}}
//
// "machine" may also be a bare number (resource id) or string (name).

#include <nlohmann/json.hpp>
#include <string_view>

#include "core/result.hpp"
#include "core/trigger.hpp"

namespace uda {

// Parses and validates. Missing id/received_at are filled in (new id, now);
// missing origin becomes `default_origin`. Errors name the JSON field.
Expected<Trigger> trigger_from_json(const nlohmann::json& j, std::string_view default_origin);
Expected<Trigger> trigger_from_json_text(std::string_view text, std::string_view default_origin);

nlohmann::json to_json(const Trigger& t);
nlohmann::json attributes_to_json(const Attributes& a);
Expected<Attributes> attributes_from_json(const nlohmann::json& j);

}  // namespace uda
