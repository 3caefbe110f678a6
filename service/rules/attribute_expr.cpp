#include "rules/attribute_expr.hpp"

#include <fmt/format.h>

#include <array>
#include <cctype>
#include <charconv>
#include <cmath>

#include "core/user_account.hpp"

namespace uda {
namespace {

bool key_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '_' || c == '-' ||
         c == ':';
}

std::optional<double> as_number(std::string_view s) {
  s = trim(s);
  if (s.empty()) return std::nullopt;
  double d = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
  if (ec != std::errc{} || p != s.data() + s.size() || !std::isfinite(d)) return std::nullopt;
  return d;
}

struct OpName {
  std::string_view text;
  CompareOp op;
};
// Longest first so "<=" is not read as "<".
constexpr std::array<OpName, 9> kOps{{{"==", CompareOp::Eq},
                                      {"!=", CompareOp::Ne},
                                      {"<=", CompareOp::Le},
                                      {">=", CompareOp::Ge},
                                      {"<", CompareOp::Lt},
                                      {">", CompareOp::Gt},
                                      {"matches", CompareOp::Matches},
                                      {"exists", CompareOp::Exists},
                                      {"missing", CompareOp::Missing}}};

std::string describe(const AttributeValue& v) {
  if (const auto* s = std::get_if<std::string>(&v)) return fmt::format("'{}'", *s);
  return attribute_to_string(v);
}

bool compare_numbers(CompareOp op, double a, double b) {
  switch (op) {
    case CompareOp::Eq:
      return a == b;
    case CompareOp::Ne:
      return a != b;
    case CompareOp::Lt:
      return a < b;
    case CompareOp::Le:
      return a <= b;
    case CompareOp::Gt:
      return a > b;
    case CompareOp::Ge:
      return a >= b;
    default:
      return false;
  }
}

}  // namespace

std::string_view to_string(CompareOp op) {
  for (const auto& o : kOps) {
    if (o.op == op) return o.text;
  }
  return "?";
}

Expected<AttributeExpr> parse_attribute_expr(std::string_view text) {
  constexpr std::string_view kForm =
      "write '<attribute> <op> <value>' with op one of ==, !=, <, <=, >, >=, matches, or "
      "'<attribute> exists' / '<attribute> missing', e.g. 'usage.minutes >= 2880'";
  AttributeExpr e;
  e.text = std::string(trim(text));
  std::string_view s = e.text;
  if (s.size() > 1024) return Error{"expression longer than 1024 characters"};
  std::size_t i = 0;
  while (i < s.size() && key_char(s[i])) ++i;
  if (i == 0) return Error{fmt::format("'{}': expected an attribute name first; {}", s, kForm)};
  e.key = std::string(s.substr(0, i));
  s = trim(s.substr(i));
  const OpName* found = nullptr;
  for (const auto& o : kOps) {
    if (s.substr(0, o.text.size()) == o.text) {
      const bool word = std::isalpha(static_cast<unsigned char>(o.text[0])) != 0;
      if (word && s.size() > o.text.size() &&
          std::isspace(static_cast<unsigned char>(s[o.text.size()])) == 0) {
        continue;
      }
      found = &o;
      break;
    }
  }
  if (found == nullptr) {
    return Error{fmt::format("'{}': no comparison after '{}'; {}", e.text, e.key, kForm)};
  }
  e.op = found->op;
  std::string_view rest = trim(s.substr(found->text.size()));
  if (e.op == CompareOp::Exists || e.op == CompareOp::Missing) {
    if (!rest.empty()) {
      return Error{fmt::format("'{}': nothing may follow '{}'", e.text, found->text)};
    }
    return e;
  }
  if (rest.empty()) {
    return Error{fmt::format("'{}': a value must follow '{}'", e.text, found->text)};
  }

  bool quoted = false;
  if (rest.size() >= 2 && (rest.front() == '\'' || rest.front() == '"') &&
      rest.back() == rest.front()) {
    rest = rest.substr(1, rest.size() - 2);
    quoted = true;
  }
  if (!quoted && (rest == "true" || rest == "false")) {
    e.value = rest == "true";
  } else if (auto n = quoted ? std::nullopt : as_number(rest)) {
    e.value = *n;
  } else {
    e.value = std::string(rest);
  }

  const bool is_num = std::holds_alternative<double>(e.value);
  const bool is_bool = std::holds_alternative<bool>(e.value);
  switch (e.op) {
    case CompareOp::Lt:
    case CompareOp::Le:
    case CompareOp::Gt:
    case CompareOp::Ge:
      if (!is_num) {
        return Error{fmt::format("'{}': '{}' compares numbers, but {} is not a number", e.text,
                                 found->text, describe(e.value))};
      }
      break;
    case CompareOp::Matches:
      if (is_num || is_bool) {
        return Error{
            fmt::format("'{}': 'matches' takes a wildcard pattern in quotes, e.g. "
                        "ts.name matches 'Win11*'",
                        e.text)};
      }
      e.glob = Glob(std::get<std::string>(e.value));
      break;
    default:
      break;
  }
  return e;
}

bool evaluate(const AttributeExpr& e, const Attributes& attrs, std::string* why) {
  const auto it = attrs.find(e.key);
  if (e.op == CompareOp::Exists || e.op == CompareOp::Missing) {
    const bool present = it != attrs.end();
    const bool ok = e.op == CompareOp::Exists ? present : !present;
    if (why != nullptr) {
      *why = present ? fmt::format("{} is present ({})", e.key, describe(it->second))
                     : fmt::format("{} is missing", e.key);
    }
    return ok;
  }
  if (it == attrs.end()) {
    if (why != nullptr) *why = fmt::format("{} is missing (needed for '{}')", e.key, e.text);
    return false;
  }
  const AttributeValue& v = it->second;
  bool ok = false;
  bool comparable = true;
  if (const auto* want = std::get_if<double>(&e.value)) {
    std::optional<double> have;
    if (const auto* d = std::get_if<double>(&v)) have = *d;
    if (const auto* str = std::get_if<std::string>(&v)) have = as_number(*str);
    if (have) {
      ok = compare_numbers(e.op, *have, *want);
    } else {
      comparable = false;
    }
  } else if (const auto* wantb = std::get_if<bool>(&e.value)) {
    if (const auto* b = std::get_if<bool>(&v)) {
      ok = (*b == *wantb) == (e.op == CompareOp::Eq);
    } else {
      comparable = false;
    }
  } else {
    // Text as the trigger gave it; a number or flag is compared as its text.
    const auto* text = std::get_if<std::string>(&v);
    const std::string converted = text != nullptr ? std::string() : attribute_to_string(v);
    const std::string_view have = text != nullptr ? std::string_view(*text) : converted;
    if (e.op == CompareOp::Matches) {
      ok = e.glob.matches(have);
    } else {
      const bool eq = ascii_iequals(have, std::get<std::string>(e.value));
      ok = e.op == CompareOp::Eq ? eq : !eq;
    }
  }
  if (why != nullptr) {
    if (!comparable) {
      *why = fmt::format("{} is {}, which cannot be compared with {}", e.key, describe(v),
                         describe(e.value));
    } else {
      *why = fmt::format("{} {} {}{} {}", e.key, describe(v), ok ? "" : "is not ", to_string(e.op),
                         describe(e.value));
    }
  }
  return ok;
}

}  // namespace uda
