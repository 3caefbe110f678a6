#pragma once
// OData pieces for the AdminService's WMI routes: string literals, URL
// encoding of query options, reading {"value": [...]} answers and OData
// errors, and WMI datetimes. Everything a user or device name passes through
// is escaped here: a name can never change a query's meaning.

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "core/time.hpp"

namespace uda::adminservice {

// 'O''Brien' for O'Brien: an OData string literal with its quotes.
std::string odata_string(std::string_view value);
// RFC 3986 percent-encoding of everything but unreserved characters.
std::string url_encode(std::string_view text);
// "?$filter=<encoded>&$select=<encoded>..." from (name, value) pairs in order.
std::string query_string(std::initializer_list<std::pair<std::string_view, std::string>> options);

// The "value" array of an answer; an error when the body is not that shape.
Expected<nlohmann::json> value_array(std::string_view body);
// "NotFound: Instance not found" from {"error":{"code":..,"message":..}}, or
// the first 200 characters of a body that is not an OData error.
std::string error_text(std::string_view body);

// LastConsoleUse and friends: ISO 8601 ("2026-11-20T08:12:00Z") as the
// AdminService writes them, or WMI DMTF ("20261120081200.000000+000").
std::optional<TimePoint> parse_wmi_time(std::string_view text);

}  // namespace uda::adminservice
