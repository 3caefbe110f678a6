#include "providers/adminservice/odata.hpp"

#include <fmt/format.h>

#include <cctype>
#include <charconv>

namespace uda::adminservice {

std::string odata_string(std::string_view value) {
  std::string out = "'";
  for (char c : value) {
    out += c;
    if (c == '\'') out += '\'';
  }
  out += '\'';
  return out;
}

std::string url_encode(std::string_view text) {
  std::string out;
  out.reserve(text.size() * 3);
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) != 0 || c == '-' || c == '.' || c == '_' || c == '~') {
      out += c;
    } else {
      out += fmt::format("%{:02X}", u);
    }
  }
  return out;
}

std::string query_string(std::initializer_list<std::pair<std::string_view, std::string>> options) {
  std::string out;
  for (const auto& [name, value] : options) {
    out += out.empty() ? "?" : "&";
    out += name;  // $filter, $select, ...: fixed names, '$' is allowed in a query
    out += '=';
    out += url_encode(value);
  }
  return out;
}

Expected<nlohmann::json> value_array(std::string_view body) {
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("value") || !j["value"].is_array()) {
    return Error{
        fmt::format("the AdminService answered something that is not an OData "
                    "collection: {}",
                    error_text(body))};
  }
  return j["value"];
}

std::string error_text(std::string_view body) {
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (!j.is_discarded() && j.is_object() && j.contains("error") && j["error"].is_object()) {
    const auto& e = j["error"];
    const auto text_of = [](const nlohmann::json& v) {
      return v.is_string() ? v.get<std::string>() : std::string();
    };
    const std::string code = e.contains("code") ? text_of(e["code"]) : std::string();
    std::string message;
    if (e.contains("message")) {
      const auto& m = e["message"];
      message = m.is_object() && m.contains("value") ? text_of(m["value"]) : text_of(m);
    }
    return code.empty() ? message : fmt::format("{}: {}", code, message);
  }
  std::string out(body.substr(0, 200));
  for (auto& c : out) {
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  }
  return out.empty() ? std::string("(empty body)") : out;
}

std::optional<TimePoint> parse_wmi_time(std::string_view text) {
  if (auto t = parse_iso8601(text)) return t;
  // yyyymmddHHMMSS.mmmmmmsUUU
  if (text.size() != 25 || text[14] != '.' || (text[21] != '+' && text[21] != '-')) {
    return std::nullopt;
  }
  auto num = [&](std::size_t pos, std::size_t len) -> std::optional<int> {
    int v = 0;
    auto [p, ec] = std::from_chars(text.data() + pos, text.data() + pos + len, v);
    if (ec != std::errc{} || p != text.data() + pos + len) return std::nullopt;
    return v;
  };
  const auto y = num(0, 4), mo = num(4, 2), d = num(6, 2), h = num(8, 2), mi = num(10, 2),
             s = num(12, 2), us = num(15, 6), off = num(22, 3);
  if (!y || !mo || !d || !h || !mi || !s || !us || !off) return std::nullopt;
  const int offset = text[21] == '-' ? -*off : *off;
  const std::string iso = fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}{}{:02}:{:02}", *y,
                                      *mo, *d, *h, *mi, *s, *us / 1000, offset < 0 ? '-' : '+',
                                      std::abs(offset) / 60, std::abs(offset) % 60);
  return parse_iso8601(iso);
}

}  // namespace uda::adminservice
