#pragma once
// One WMI instance as the event watcher delivers it: its class and a bag of
// property values. WMI property names are case-insensitive ("ResourceID" and
// "resourceid" are the same property), so the bag is ordered without regard to
// ASCII case.
//
// Embedded objects are flattened: an __InstanceCreationEvent carries its
// TargetInstance as properties named "TargetInstance.<name>" (and
// "TargetInstance.__CLASS"); an __InstanceModificationEvent also carries
// "PreviousInstance.<name>". Only one level is flattened (that is all the
// intrinsic events have).
//
// Value types follow what COM hands over (VARIANT + CIMTYPE), converted by the
// Windows watcher:
//   NULL                                  -> std::monostate
//   boolean                               -> bool
//   sint8/16/32, uint8/16/32              -> std::int64_t (uint32 converted by its
//                                            CIMTYPE, never as a negative VT_I4)
//   real32/real64                         -> double
//   string, datetime, reference,
//   sint64/uint64 (WMI sends them as BSTR) -> std::string
//   string[] / datetime[]                 -> std::vector<std::string>
//   integer arrays                        -> std::vector<std::int64_t>
// Other arrays and embedded objects below the first level are left out.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace uda {

// Orders strings by ASCII case-insensitive comparison; transparent, so a map
// keyed with it can be searched with a std::string_view.
struct CaseInsensitiveLess {
  using is_transparent = void;
  bool operator()(std::string_view a, std::string_view b) const noexcept;
};

// True when a and b are equal without regard to ASCII case.
bool iequals(std::string_view a, std::string_view b) noexcept;

using WmiValue = std::variant<std::monostate /*NULL*/, bool, std::int64_t, double, std::string,
                              std::vector<std::string>, std::vector<std::int64_t>>;
using WmiProperties = std::map<std::string, WmiValue, CaseInsensitiveLess>;

struct WmiInstance {
  std::string class_name;  // __CLASS, e.g. "SMS_R_System" or "__InstanceCreationEvent"
  WmiProperties properties;

  // The property's value, or nullptr when the instance has no such property.
  [[nodiscard]] const WmiValue* find(std::string_view name) const;

  bool operator==(const WmiInstance&) const = default;
};

[[nodiscard]] inline bool is_null(const WmiValue& v) {
  return std::holds_alternative<std::monostate>(v);
}

// Text of a scalar value: strings as they are, integers in decimal, doubles in
// their shortest round-trip form, booleans "true"/"false"; nullopt for NULL
// and for arrays.
std::optional<std::string> scalar_text(const WmiValue& v);

// For logs and error messages: 'text', 42, NULL, ['a', 'b'], [1, 2] (long
// values cut at `max_chars` with "...").
std::string describe(const WmiValue& v, std::size_t max_chars = 80);

// The type name used in messages: "NULL", "boolean", "integer", "real",
// "string", "string array", "integer array".
std::string_view type_name(const WmiValue& v);

// The names WMI uses for the intrinsic instance events.
inline constexpr std::string_view kInstanceCreationEvent = "__InstanceCreationEvent";
inline constexpr std::string_view kInstanceModificationEvent = "__InstanceModificationEvent";
inline constexpr std::string_view kInstanceDeletionEvent = "__InstanceDeletionEvent";
inline constexpr std::string_view kInstanceOperationEvent = "__InstanceOperationEvent";

// Wraps a plain instance (a row of a resume query, e.g. SMS_R_System) as the
// event the subscription would have delivered for it: class `event_class`,
// every property as "TargetInstance.<name>", and "TargetInstance.__CLASS" set
// to the row's class. Mapping paths such as TargetInstance.ResourceID then
// work on both.
WmiInstance as_target_instance(const WmiInstance& row, std::string_view event_class);

}  // namespace uda
