#pragma once
// A property path names one value of a delivered instance: "Name", or
// "TargetInstance.Name" for a property of the instance embedded in an event
// (see wmi_instance.hpp: embedded instances are flattened one level).
// Each part is a WMI identifier: a letter or '_', then letters, digits or '_'.
// Lookups ignore case, like WMI.

#include <string>
#include <string_view>

#include "core/result.hpp"
#include "sources/wmi_events/wmi_instance.hpp"

namespace uda {

inline constexpr std::size_t kMaxPropertyPathLength = 256;

struct PropertyPath {
  std::string text;  // as written: "TargetInstance.ResourceID"

  // The first part ("TargetInstance"), and the second ("" for a one-part path).
  [[nodiscard]] std::string_view head() const;
  [[nodiscard]] std::string_view tail() const;

  // The value in `instance`, or nullptr when it has no such property.
  [[nodiscard]] const WmiValue* find(const WmiInstance& instance) const;

  bool operator==(const PropertyPath&) const = default;
};

// "TargetInstance.ResourceID" -> ok; "TargetInstance." / "a.b.c" / "1x" ->
// an error saying what a path looks like.
Expected<PropertyPath> parse_property_path(std::string_view text);

}  // namespace uda
