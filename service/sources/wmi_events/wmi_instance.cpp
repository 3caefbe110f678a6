#include "sources/wmi_events/wmi_instance.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace uda {
namespace {

char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string cut(std::string s, std::size_t max_chars) {
  if (s.size() <= max_chars) return s;
  s.resize(max_chars);
  return s + "...";
}

std::string quote_for_log(std::string_view s) {
  std::string out = "'";
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      out += fmt::format("\\x{:02x}", u);
    } else {
      out += c;
    }
  }
  return out + "'";
}

}  // namespace

bool CaseInsensitiveLess::operator()(std::string_view a, std::string_view b) const noexcept {
  return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(),
                                      [](char x, char y) { return lower(x) < lower(y); });
}

bool iequals(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                            [](char x, char y) { return lower(x) == lower(y); });
}

const WmiValue* WmiInstance::find(std::string_view name) const {
  const auto it = properties.find(name);
  return it == properties.end() ? nullptr : &it->second;
}

std::optional<std::string> scalar_text(const WmiValue& v) {
  if (const auto* b = std::get_if<bool>(&v)) return std::string(*b ? "true" : "false");
  if (const auto* i = std::get_if<std::int64_t>(&v)) return std::to_string(*i);
  if (const auto* d = std::get_if<double>(&v)) return fmt::format("{}", *d);
  if (const auto* s = std::get_if<std::string>(&v)) return *s;
  return std::nullopt;
}

std::string describe(const WmiValue& v, std::size_t max_chars) {
  if (is_null(v)) return "NULL";
  if (const auto* s = std::get_if<std::string>(&v)) return quote_for_log(cut(*s, max_chars));
  if (const auto* a = std::get_if<std::vector<std::string>>(&v)) {
    std::string out = "[";
    for (std::size_t i = 0; i < a->size(); ++i) {
      if (i) out += ", ";
      out += quote_for_log((*a)[i]);
      if (out.size() > max_chars) return cut(out, max_chars) + "]";
    }
    return out + "]";
  }
  if (const auto* a = std::get_if<std::vector<std::int64_t>>(&v)) {
    std::string out = "[";
    for (std::size_t i = 0; i < a->size(); ++i) {
      if (i) out += ", ";
      out += std::to_string((*a)[i]);
      if (out.size() > max_chars) return cut(out, max_chars) + "]";
    }
    return out + "]";
  }
  return cut(*scalar_text(v), max_chars);
}

std::string_view type_name(const WmiValue& v) {
  switch (v.index()) {
    case 0:
      return "NULL";
    case 1:
      return "boolean";
    case 2:
      return "integer";
    case 3:
      return "real";
    case 4:
      return "string";
    case 5:
      return "string array";
    default:
      return "integer array";
  }
}

WmiInstance as_target_instance(const WmiInstance& row, std::string_view event_class) {
  WmiInstance out;
  out.class_name = std::string(event_class);
  for (const auto& [name, value] : row.properties) {
    out.properties.emplace("TargetInstance." + name, value);
  }
  out.properties.emplace("TargetInstance.__CLASS", WmiValue(row.class_name));
  return out;
}

}  // namespace uda
