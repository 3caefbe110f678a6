#include "fake_adminservice/odata_filter.hpp"

#include <fmt/format.h>

#include <charconv>
#include <system_error>

namespace uda::fake {
namespace {

bool is_ident_start(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}
bool is_ident_char(char c) {
  return is_ident_start(c) || (c >= '0' && c <= '9');
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

class Parser {
 public:
  explicit Parser(std::string_view text) : s_(text) {}

  Expected<Filter> parse() {
    Filter out;
    skip_spaces();
    if (at_end()) return fail("the filter is empty");
    for (;;) {
      auto cond = condition();
      if (!cond) return cond.error();
      out.push_back(std::move(*cond));
      const auto before = pos_;
      skip_spaces();
      if (at_end()) return out;
      if (pos_ == before) {
        return fail(fmt::format("expected a space after the value, got '{}'", s_[pos_]));
      }
      const auto word_at = pos_;
      const auto w = word();
      if (w != "and") {
        pos_ = word_at;
        if (w == "or" || w == "not") {
          return fail(fmt::format("'{}' is not supported (only 'and')", w));
        }
        return fail(fmt::format("expected 'and', got '{}'", rest_preview()));
      }
      if (!spaces()) return fail("expected a condition after 'and'");
      if (at_end()) return fail("expected a condition after 'and'");
    }
  }

 private:
  [[nodiscard]] bool at_end() const { return pos_ >= s_.size(); }

  Error fail(std::string_view what) const {
    return Error{fmt::format("{} (at character {} of \"{}\")", what, pos_, s_)};
  }

  std::string rest_preview() const {
    auto rest = s_.substr(pos_);
    if (rest.size() > 20) return std::string(rest.substr(0, 20)) + "...";
    return std::string(rest);
  }

  void skip_spaces() {
    while (!at_end() && s_[pos_] == ' ') ++pos_;
  }

  // At least one space.
  bool spaces() {
    const auto before = pos_;
    skip_spaces();
    return pos_ > before;
  }

  std::string_view word() {
    const auto start = pos_;
    while (!at_end() && is_ident_char(s_[pos_])) ++pos_;
    return s_.substr(start, pos_ - start);
  }

  Expected<FilterCondition> condition() {
    FilterCondition c;
    if (at_end() || !is_ident_start(s_[pos_])) {
      return fail(fmt::format("expected a property name, got '{}'", rest_preview()));
    }
    c.property = std::string(word());
    if (!at_end() && s_[pos_] == '(') {
      return fail(fmt::format("functions such as {}(...) are not supported", c.property));
    }
    if (!spaces()) {
      return fail(fmt::format("expected a space after '{}', got '{}'", c.property, rest_preview()));
    }
    const auto op_at = pos_;
    const auto op = word();
    if (op == "eq") {
      c.op = FilterOp::Eq;
    } else if (op == "gt") {
      c.op = FilterOp::Gt;
    } else {
      pos_ = op_at;
      if (op.empty()) return fail(fmt::format("expected eq or gt, got '{}'", rest_preview()));
      return fail(fmt::format("operator '{}' is not supported (only eq and gt)", op));
    }
    if (!spaces()) return fail(fmt::format("expected a space after '{}'", op));
    auto v = literal();
    if (!v) return v.error();
    c.value = std::move(*v);
    return c;
  }

  Expected<FilterLiteral> literal() {
    if (at_end()) return fail("expected a value");
    const char c = s_[pos_];
    if (c == '\'') return string_literal();
    if (c == '-' || is_digit(c)) return int_literal();
    if (is_ident_start(c)) {
      const auto at = pos_;
      const auto w = word();
      if (w == "true") return FilterLiteral{true};
      if (w == "false") return FilterLiteral{false};
      pos_ = at;
      if (w == "null") return fail("null is not supported");
      return fail(
          fmt::format("expected a value (an integer, a 'string' or true/false), got '{}'", w));
    }
    if (c == '"') return fail("strings take single quotes: 'CONTOSO\\jdoe'");
    return fail(fmt::format("expected a value (an integer, a 'string' or true/false), got '{}'",
                            rest_preview()));
  }

  Expected<FilterLiteral> string_literal() {
    const auto start = pos_;
    ++pos_;  // opening quote
    std::string out;
    for (;;) {
      if (at_end()) {
        pos_ = start;
        return fail("unterminated string: a quote inside a string is written twice ('')");
      }
      const char ch = s_[pos_++];
      if (ch != '\'') {
        out += ch;
        continue;
      }
      if (!at_end() && s_[pos_] == '\'') {  // '' = one quote
        out += '\'';
        ++pos_;
        continue;
      }
      break;
    }
    if (!at_end() && s_[pos_] != ' ') {
      return fail(fmt::format("unexpected '{}' after a string", s_[pos_]));
    }
    return FilterLiteral{std::move(out)};
  }

  Expected<FilterLiteral> int_literal() {
    const auto start = pos_;
    if (s_[pos_] == '-') ++pos_;
    const auto digits = pos_;
    while (!at_end() && is_digit(s_[pos_])) ++pos_;
    if (pos_ == digits) {
      pos_ = start;
      return fail("expected digits after '-'");
    }
    if (!at_end() && s_[pos_] != ' ') {
      return fail(
          fmt::format("unexpected '{}' after a number (only integers are supported)", s_[pos_]));
    }
    std::int64_t n = 0;
    const auto text = s_.substr(start, pos_ - start);
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (ec != std::errc{} || p != text.data() + text.size()) {
      pos_ = start;
      return fail(fmt::format("the integer {} is out of range", text));
    }
    return FilterLiteral{n};
  }

  std::string_view s_;
  std::size_t pos_ = 0;
};

}  // namespace

std::string_view to_string(FilterOp op) {
  return op == FilterOp::Eq ? "eq" : "gt";
}

Expected<Filter> parse_filter(std::string_view text) {
  return Parser(text).parse();
}

std::string format_literal(const FilterLiteral& v) {
  if (const auto* i = std::get_if<std::int64_t>(&v)) return std::to_string(*i);
  if (const auto* b = std::get_if<bool>(&v)) return *b ? "true" : "false";
  std::string out = "'";
  for (const char c : std::get<std::string>(v)) {
    out += c;
    if (c == '\'') out += '\'';
  }
  return out + "'";
}

}  // namespace uda::fake
