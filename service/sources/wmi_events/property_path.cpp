#include "sources/wmi_events/property_path.hpp"

#include <fmt/format.h>

#include <cctype>

namespace uda {
namespace {

bool identifier(std::string_view s) {
  if (s.empty()) return false;
  const auto first = static_cast<unsigned char>(s[0]);
  if (!std::isalpha(first) && s[0] != '_') return false;
  for (const char c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  return true;
}

}  // namespace

std::string_view PropertyPath::head() const {
  const auto dot = text.find('.');
  return std::string_view(text).substr(0, dot);
}

std::string_view PropertyPath::tail() const {
  const auto dot = text.find('.');
  return dot == std::string::npos ? std::string_view() : std::string_view(text).substr(dot + 1);
}

const WmiValue* PropertyPath::find(const WmiInstance& instance) const {
  return instance.find(text);
}

Expected<PropertyPath> parse_property_path(std::string_view text) {
  const auto bad = [&](std::string_view why) {
    return Error{fmt::format(
        "'{}' is not a property path ({}); write Name or TargetInstance.Name: WMI identifiers "
        "(letters, digits, '_') joined by one '.'",
        text, why)};
  };
  if (text.empty()) return bad("empty");
  if (text.size() > kMaxPropertyPathLength) {
    return Error{fmt::format("a property path has at most {} characters", kMaxPropertyPathLength)};
  }
  const auto dot = text.find('.');
  if (dot == std::string_view::npos) {
    if (!identifier(text)) return bad("not an identifier");
    return PropertyPath{std::string(text)};
  }
  const auto head = text.substr(0, dot);
  const auto tail = text.substr(dot + 1);
  if (tail.find('.') != std::string_view::npos) {
    return bad("only one level: embedded instances are flattened once");
  }
  if (!identifier(head) || !identifier(tail)) return bad("each part must be an identifier");
  return PropertyPath{std::string(text)};
}

}  // namespace uda
