#include "fake_adminservice/odata_query.hpp"

#include <fmt/format.h>

#include <charconv>
#include <system_error>

#include "core/user_account.hpp"

namespace uda::fake {
namespace {

constexpr std::size_t kMaxTop = 1'000'000'000;

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool is_identifier(std::string_view s) {
  if (s.empty()) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const bool letter = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
    const bool digit = c >= '0' && c <= '9';
    if (!letter && !(digit && i > 0)) return false;
  }
  return true;
}

Expected<std::vector<std::string>> parse_select(std::string_view v) {
  std::vector<std::string> out;
  while (true) {
    const auto comma = v.find(',');
    const auto item = trim(v.substr(0, comma));
    if (!is_identifier(item)) {
      return Error{fmt::format("$select: '{}' is not a property name", item)};
    }
    out.emplace_back(item);
    if (comma == std::string_view::npos) break;
    v.remove_prefix(comma + 1);
  }
  return out;
}

Expected<OrderBy> parse_orderby(std::string_view v) {
  if (v.find(',') != std::string_view::npos) {
    return Error{"$orderby: only one property is supported"};
  }
  auto t = trim(v);
  OrderBy o;
  const auto space = t.find(' ');
  o.property = std::string(t.substr(0, space));
  if (!is_identifier(o.property)) {
    return Error{fmt::format("$orderby: '{}' is not a property name", o.property)};
  }
  if (space != std::string_view::npos) {
    const auto dir = trim(t.substr(space));
    if (dir == "desc") {
      o.descending = true;
    } else if (dir != "asc") {
      return Error{
          fmt::format("$orderby: expected asc or desc after {}, got '{}'", o.property, dir)};
    }
  }
  return o;
}

Expected<std::size_t> parse_top(std::string_view v) {
  std::size_t n = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (v.empty() || ec != std::errc{} || p != v.data() + v.size() || n > kMaxTop) {
    return Error{fmt::format("$top: '{}' is not an integer 0..{}", v, kMaxTop)};
  }
  return n;
}

}  // namespace

Expected<std::string> percent_decode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '+' && plus_is_space) {
      out += ' ';
    } else if (c == '%') {
      const int hi = i + 1 < text.size() ? hex_value(text[i + 1]) : -1;
      const int lo = i + 2 < text.size() ? hex_value(text[i + 2]) : -1;
      if (hi < 0 || lo < 0) {
        return Error{fmt::format("bad URL encoding at character {} of '{}'", i, text)};
      }
      const char decoded = static_cast<char>(hi * 16 + lo);
      if (decoded == '\0') return Error{"bad URL encoding: %00"};
      out += decoded;
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

Expected<ODataQuery> parse_target(std::string_view target) {
  ODataQuery q;
  const auto qmark = target.find('?');
  auto path = percent_decode(target.substr(0, qmark), /*plus_is_space=*/false);
  if (!path) return path.error();
  q.path = std::move(*path);
  if (qmark == std::string_view::npos) return q;

  auto query = target.substr(qmark + 1);
  bool seen_filter = false;
  bool seen_select = false;
  bool seen_orderby = false;
  bool seen_top = false;
  while (!query.empty()) {
    const auto amp = query.find('&');
    const auto part = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (part.empty()) continue;
    const auto eq = part.find('=');
    if (eq == std::string_view::npos) {
      return Error{fmt::format("query option '{}' has no value", part)};
    }
    auto key = percent_decode(part.substr(0, eq), true);
    if (!key) return key.error();
    auto value = percent_decode(part.substr(eq + 1), true);
    if (!value) return value.error();
    const auto once = [&](bool& seen) -> Status {
      if (seen) return Error{fmt::format("query option {} is given twice", *key)};
      seen = true;
      return Status::Ok();
    };
    if (*key == "$filter") {
      if (auto st = once(seen_filter); !st) return st.error();
      auto f = parse_filter(*value);
      if (!f) return Error{std::string(kUnsupportedFilter) + f.error().message};
      q.filter = std::move(*f);
    } else if (*key == "$select") {
      if (auto st = once(seen_select); !st) return st.error();
      auto s = parse_select(*value);
      if (!s) return s.error();
      q.select = std::move(*s);
    } else if (*key == "$orderby") {
      if (auto st = once(seen_orderby); !st) return st.error();
      auto o = parse_orderby(*value);
      if (!o) return o.error();
      q.orderby = std::move(*o);
    } else if (*key == "$top") {
      if (auto st = once(seen_top); !st) return st.error();
      auto t = parse_top(*value);
      if (!t) return t.error();
      q.top = *t;
    } else {
      return Error{fmt::format(
          "query option '{}' is not supported (only $filter, $select, $orderby, $top)", *key)};
    }
  }
  return q;
}

}  // namespace uda::fake
