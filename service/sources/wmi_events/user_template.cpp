#include "sources/wmi_events/user_template.hpp"

#include <fmt/format.h>

#include "core/user_account.hpp"

namespace uda {

std::vector<PropertyPath> UserTemplate::paths() const {
  std::vector<PropertyPath> out;
  for (const auto& p : parts) {
    if (p.placeholder) out.push_back(p.path);
  }
  return out;
}

Expected<UserTemplate> parse_user_template(std::string_view text) {
  if (trim(text).empty()) {
    return Error{
        "must name the user, e.g. '{TargetInstance.LastLogonUserDomain}\\"
        "{TargetInstance.LastLogonUserName}'"};
  }
  if (text.size() > kMaxUserTemplateLength) {
    return Error{fmt::format("at most {} characters", kMaxUserTemplateLength)};
  }
  UserTemplate out;
  out.text = std::string(text);
  std::string literal;
  std::size_t placeholders = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return Error{fmt::format("control character at position {}", i + 1)};
    }
    if (c == '{' && i + 1 < text.size() && text[i + 1] == '{') {
      literal += '{';
      ++i;
    } else if (c == '}' && i + 1 < text.size() && text[i + 1] == '}') {
      literal += '}';
      ++i;
    } else if (c == '}') {
      return Error{
          fmt::format("'}}' at position {} closes nothing (write '}}}}' for a brace)", i + 1)};
    } else if (c == '{') {
      const auto close = text.find('}', i + 1);
      if (close == std::string_view::npos) {
        return Error{fmt::format("'{{' at position {} is not closed by '}}'", i + 1)};
      }
      auto path = parse_property_path(text.substr(i + 1, close - i - 1));
      if (!path) return path.error();
      if (++placeholders > kMaxUserTemplatePlaceholders) {
        return Error{fmt::format("at most {} placeholders", kMaxUserTemplatePlaceholders)};
      }
      if (!literal.empty()) {
        out.parts.push_back({false, std::move(literal), {}});
        literal.clear();
      }
      out.parts.push_back({true, {}, std::move(*path)});
      i = close;
    } else {
      literal += c;
    }
  }
  if (!literal.empty()) out.parts.push_back({false, std::move(literal), {}});
  return out;
}

Expected<std::string> render(const UserTemplate& tmpl, const WmiInstance& instance) {
  std::string out;
  for (const auto& p : tmpl.parts) {
    if (!p.placeholder) {
      out += p.literal;
      continue;
    }
    const WmiValue* v = p.path.find(instance);
    if (v == nullptr) {
      return Error{fmt::format("user: {} is missing from the event", p.path.text)};
    }
    if (is_null(*v)) return Error{fmt::format("user: {} is NULL", p.path.text)};
    if (!std::holds_alternative<std::string>(*v) && !std::holds_alternative<std::int64_t>(*v)) {
      return Error{fmt::format("user: {} must be a string or an integer, got {} {}", p.path.text,
                               type_name(*v), describe(*v))};
    }
    const auto text = *scalar_text(*v);
    if (trim(text).empty()) return Error{fmt::format("user: {} is empty", p.path.text)};
    out += trim(text);
  }
  return out;
}

}  // namespace uda
