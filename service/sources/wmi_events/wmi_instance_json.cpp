#include "sources/wmi_events/wmi_instance_json.hpp"

#include <fmt/format.h>

#include <limits>

namespace uda {
namespace {

using nlohmann::json;

bool valid_wmi_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxWmiPropertyNameLength) return false;
  for (const char c : name) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f || c == '.') return false;
  }
  return true;
}

Expected<std::int64_t> integer_of(const json& v, const std::string& what) {
  if (v.is_number_unsigned()) {
    const auto n = v.get<std::uint64_t>();
    if (n > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      return Error{fmt::format(
          "{}: {} is larger than a signed 64-bit integer; WMI hands uint64 values over as "
          "strings, so write it as \"{}\"",
          what, n, n)};
    }
    return static_cast<std::int64_t>(n);
  }
  return v.get<std::int64_t>();
}

Expected<WmiValue> value_from_json(const json& v, const std::string& what) {
  switch (v.type()) {
    case json::value_t::null:
      return WmiValue{};
    case json::value_t::boolean:
      return WmiValue{v.get<bool>()};
    case json::value_t::number_integer:
    case json::value_t::number_unsigned: {
      auto n = integer_of(v, what);
      if (!n) return n.error();
      return WmiValue{*n};
    }
    case json::value_t::number_float:
      return WmiValue{v.get<double>()};
    case json::value_t::string: {
      auto s = v.get<std::string>();
      if (s.size() > kMaxWmiStringLength) {
        return Error{fmt::format("{}: longer than {} bytes", what, kMaxWmiStringLength)};
      }
      return WmiValue{std::move(s)};
    }
    case json::value_t::array: {
      if (v.size() > kMaxWmiArrayItems) {
        return Error{fmt::format("{}: more than {} items", what, kMaxWmiArrayItems)};
      }
      if (v.empty()) return WmiValue{std::vector<std::string>{}};
      if (v.front().is_string()) {
        std::vector<std::string> out;
        out.reserve(v.size());
        for (std::size_t i = 0; i < v.size(); ++i) {
          if (!v[i].is_string()) {
            return Error{
                fmt::format("{}[{}]: every item must be a string like the first", what, i)};
          }
          out.push_back(v[i].get<std::string>());
          if (out.back().size() > kMaxWmiStringLength) {
            return Error{fmt::format("{}[{}]: longer than {} bytes", what, i, kMaxWmiStringLength)};
          }
        }
        return WmiValue{std::move(out)};
      }
      if (v.front().is_number_integer()) {
        std::vector<std::int64_t> out;
        out.reserve(v.size());
        for (std::size_t i = 0; i < v.size(); ++i) {
          const auto item_what = fmt::format("{}[{}]", what, i);
          if (!v[i].is_number_integer()) {
            return Error{item_what + ": every item must be an integer like the first"};
          }
          auto n = integer_of(v[i], item_what);
          if (!n) return n.error();
          out.push_back(*n);
        }
        return WmiValue{std::move(out)};
      }
      return Error{fmt::format(
          "{}: arrays must hold strings or integers (other WMI arrays are not delivered)", what)};
    }
    default:
      return Error{
          fmt::format("{}: must be null, a boolean, a number, a string or an array, not {}", what,
                      v.type_name())};
  }
}

Status add(WmiInstance& out, std::string name, WmiValue value, const std::string& what) {
  if (out.properties.size() >= kMaxWmiProperties) {
    return Error{fmt::format("properties: more than {} properties", kMaxWmiProperties)};
  }
  const auto existing = out.properties.find(name);
  if (existing != out.properties.end()) {
    return Error{
        fmt::format("{}: the property '{}' is given twice (WMI property names ignore case)", what,
                    existing->first)};
  }
  out.properties.emplace(std::move(name), std::move(value));
  return Status::Ok();
}

}  // namespace

nlohmann::json to_json(const WmiValue& value) {
  return std::visit(
      [](const auto& v) -> json {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::monostate>) {
          return nullptr;
        } else {
          return json(v);
        }
      },
      value);
}

nlohmann::json to_json(const WmiInstance& instance) {
  json props = json::object();
  for (const auto& [name, value] : instance.properties) props[name] = to_json(value);
  return json{{"class", instance.class_name}, {"properties", std::move(props)}};
}

Expected<WmiInstance> wmi_instance_from_json(const json& j) {
  if (!j.is_object()) {
    return Error{"a WMI instance must be an object {\"class\": ..., \"properties\": {...}}"};
  }
  for (const auto& [key, _] : j.items()) {
    if (key != "class" && key != "properties") {
      return Error{fmt::format("unknown key '{}'; known keys: class, properties", key)};
    }
  }
  WmiInstance out;
  const auto cls = j.find("class");
  if (cls == j.end() || !cls->is_string() || !valid_wmi_name(cls->get<std::string>())) {
    return Error{"class: required, the WMI class name (e.g. \"SMS_R_System\")"};
  }
  out.class_name = cls->get<std::string>();
  const auto props = j.find("properties");
  if (props == j.end()) return out;
  if (!props->is_object()) return Error{"properties: must be an object of name -> value"};
  for (const auto& [name, value] : props->items()) {
    const auto what = "properties." + name;
    if (value.is_object()) {
      // An embedded instance (TargetInstance, PreviousInstance): one level.
      if (!valid_wmi_name(name)) return Error{fmt::format("{}: not a valid property name", what)};
      for (const auto& [inner, inner_value] : value.items()) {
        const auto inner_what = what + "." + inner;
        if (!valid_wmi_name(inner)) {
          return Error{fmt::format("{}: not a valid property name", inner_what)};
        }
        if (inner_value.is_object()) {
          return Error{fmt::format(
              "{}: embedded instances are flattened one level only (TargetInstance.Name)",
              inner_what)};
        }
        auto v = value_from_json(inner_value, inner_what);
        if (!v) return v.error();
        if (auto st = add(out, name + "." + inner, std::move(*v), inner_what); !st) {
          return st.error();
        }
      }
      continue;
    }
    // A flat name: "Name" or "TargetInstance.Name".
    const auto dot = name.find('.');
    const bool ok = dot == std::string::npos
                        ? valid_wmi_name(name)
                        : valid_wmi_name(std::string_view(name).substr(0, dot)) &&
                              valid_wmi_name(std::string_view(name).substr(dot + 1));
    if (!ok) {
      return Error{
          fmt::format("{}: not a valid property name (Name or TargetInstance.Name)", what)};
    }
    auto v = value_from_json(value, what);
    if (!v) return v.error();
    if (auto st = add(out, name, std::move(*v), what); !st) return st.error();
  }
  return out;
}

Expected<WmiInstance> wmi_instance_from_json_text(std::string_view text) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::parse_error& e) {
    return Error{fmt::format("not valid JSON at byte {}: {}", e.byte, e.what())};
  } catch (const json::exception& e) {
    // Not every parse failure is a parse_error: a number beyond a double
    // (1e400) is an out_of_range.
    return Error{fmt::format("not valid JSON: {}", e.what())};
  }
  return wmi_instance_from_json(j);
}

}  // namespace uda
