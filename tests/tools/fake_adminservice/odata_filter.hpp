#pragma once
// A small, strict parser for the OData $filter expressions the fake
// AdminService understands: `<Property> eq|gt <literal>` conditions joined by
// ` and `. Literals are integers (optionally negative), 'strings' (a quote
// inside is written twice: 'O''Brien') and true/false. Everything else (or,
// not, parentheses, functions, other operators, double quotes) is refused, so
// a client that sends something the real AdminService would read differently
// finds out in its tests rather than in production.

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/result.hpp"

namespace uda::fake {

enum class FilterOp { Eq, Gt };

// "eq", "gt"
std::string_view to_string(FilterOp op);

using FilterLiteral = std::variant<std::int64_t, std::string, bool>;

struct FilterCondition {
  std::string property;
  FilterOp op = FilterOp::Eq;
  FilterLiteral value;

  bool operator==(const FilterCondition&) const = default;
};

// Conditions joined by `and` (all must hold).
using Filter = std::vector<FilterCondition>;

// Parses an already URL-decoded $filter value. Tokens are separated by one or
// more spaces; errors say what was expected and at which character (0-based).
Expected<Filter> parse_filter(std::string_view text);

// The literal as OData writes it: 16777220, 'CONTOSO\jdoe', true.
std::string format_literal(const FilterLiteral& v);

}  // namespace uda::fake
