#pragma once
// The user of a trigger built from an event's properties:
//
//   '{TargetInstance.LastLogonUserDomain}\{TargetInstance.LastLogonUserName}'
//
// Text between braces is a property path (property_path.hpp); everything else
// is literal ('\' included). "{{" and "}}" stand for literal braces. Every
// placeholder must resolve to a non-empty string or integer: a missing, NULL
// or empty part means "this event names no user" and the event produces no
// trigger (the reason names the part).

#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "sources/wmi_events/property_path.hpp"
#include "sources/wmi_events/wmi_instance.hpp"

namespace uda {

inline constexpr std::size_t kMaxUserTemplateLength = 512;
inline constexpr std::size_t kMaxUserTemplatePlaceholders = 8;

struct UserTemplate {
  struct Part {
    bool placeholder = false;
    std::string literal;  // when !placeholder
    PropertyPath path;    // when placeholder
  };
  std::string text;  // as written
  std::vector<Part> parts;

  // The paths of the placeholders, in order.
  [[nodiscard]] std::vector<PropertyPath> paths() const;
};

Expected<UserTemplate> parse_user_template(std::string_view text);

// The user for `instance`; an Error whose message is the skip reason, e.g.
// "user: TargetInstance.LastLogonUserName is NULL".
Expected<std::string> render(const UserTemplate& tmpl, const WmiInstance& instance);

}  // namespace uda
