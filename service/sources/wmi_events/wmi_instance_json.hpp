#pragma once
// The JSON form of a WmiInstance, used for recorded instances
// (tests/data/wmi_events/*.json) and for logs:
//
//   {"class": "__InstanceCreationEvent",
//    "properties": {
//      "TargetInstance": {"__CLASS": "SMS_R_System", "ResourceID": 16777220,
//                         "Name": "WKS-001", "IPAddresses": ["10.0.0.5"]},
//      "TIME_CREATED": "134080095200000000"}}
//
// Property values: null, true/false, integers, reals, strings, arrays of
// strings, arrays of integers. An object value is an embedded instance and is
// flattened one level deep ("TargetInstance": {"Name": ..} becomes the
// property "TargetInstance.Name"); writing always produces the flat form, and
// reading either form gives the same WmiInstance. Property names are
// case-insensitive: two names that differ only in case are an error.
//
// Bounded: at most kMaxWmiProperties properties, names of at most
// kMaxWmiPropertyNameLength characters, strings of at most kMaxWmiStringLength
// bytes, arrays of at most kMaxWmiArrayItems items.

#include <nlohmann/json.hpp>
#include <string_view>

#include "core/result.hpp"
#include "sources/wmi_events/wmi_instance.hpp"

namespace uda {

inline constexpr std::size_t kMaxWmiProperties = 4096;
inline constexpr std::size_t kMaxWmiPropertyNameLength = 256;
inline constexpr std::size_t kMaxWmiStringLength = 64 * 1024;
inline constexpr std::size_t kMaxWmiArrayItems = 10'000;

nlohmann::json to_json(const WmiInstance& instance);
nlohmann::json to_json(const WmiValue& value);

// Errors name the JSON field: "properties.TargetInstance.IPAddresses[2]: ...".
Expected<WmiInstance> wmi_instance_from_json(const nlohmann::json& j);
// Parses text first; a syntax error says at which byte.
Expected<WmiInstance> wmi_instance_from_json_text(std::string_view text);

}  // namespace uda
