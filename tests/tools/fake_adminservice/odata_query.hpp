#pragma once
// Splits a request target into its path and the OData query options the fake
// AdminService supports ($filter, $select, $orderby, $top), URL-decoding both
// (%XX everywhere, '+' as a space in the query, as ASP.NET reads it). Any
// other query option, a repeated one or bad encoding is an error: the fake
// answers 400 rather than silently ignoring what a client asked for.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "fake_adminservice/odata_filter.hpp"

namespace uda::fake {

struct OrderBy {
  std::string property;
  bool descending = false;
};

struct ODataQuery {
  std::string path;  // decoded, without the query
  std::optional<Filter> filter;
  std::vector<std::string> select;  // empty = every property
  std::optional<OrderBy> orderby;
  std::optional<std::size_t> top;
};

// Decodes %XX escapes (and '+' as a space when plus_is_space). Refuses a
// malformed escape and an encoded NUL.
Expected<std::string> percent_decode(std::string_view text, bool plus_is_space);

// An error from parse_target() whose message starts with this came from the
// $filter parser ("unsupported filter: ...").
inline constexpr std::string_view kUnsupportedFilter = "unsupported filter: ";

Expected<ODataQuery> parse_target(std::string_view target);

}  // namespace uda::fake
