#pragma once
// Attribute comparisons in rules, written as one line:
//
//   usage.minutes >= 2880        numbers compare as numbers
//   usage.days <= 30
//   osd.success == true          booleans: == and != only
//   ts.name == 'Win11 OSD'       strings: == and != (case-insensitive)
//   ts.name matches 'Win11*'     wildcard match (case-insensitive)
//   ts.id exists                 present with any value
//   ts.id missing                absent
//
// A string attribute that is a whole number ("3120") compares as a number, so
// spool files and scripts that quote numbers still work.

#include <string>
#include <string_view>

#include "core/result.hpp"
#include "core/trigger.hpp"
#include "rules/glob.hpp"

namespace uda {

enum class CompareOp { Eq, Ne, Lt, Le, Gt, Ge, Matches, Exists, Missing };
std::string_view to_string(CompareOp op);

struct AttributeExpr {
  std::string key;
  CompareOp op = CompareOp::Exists;
  AttributeValue value;  // unused for exists / missing
  Glob glob;             // for matches
  std::string text;      // as written, for messages
};

// Parses one expression. The error says what is wrong, without a location
// (the loader adds file:line:column).
Expected<AttributeExpr> parse_attribute_expr(std::string_view text);

// True when the expression holds for `attrs`. When `why` is set, it receives
// a sentence: "usage.minutes 3120 >= 2880" or "usage.minutes 100 is not >= 2880".
bool evaluate(const AttributeExpr& expr, const Attributes& attrs, std::string* why);

}  // namespace uda
