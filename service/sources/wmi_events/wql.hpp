#pragma once
// Just enough of WQL (the WMI Query Language) to check a subscription before
// it reaches WMI: the statement is a SELECT ... FROM <class>, and for event
// queries the polling interval (WITHIN) and the watched class
// (TargetInstance ISA '<class>').
//
//   SELECT * FROM __InstanceCreationEvent WITHIN 300
//     WHERE TargetInstance ISA 'SMS_R_System' AND TargetInstance.Client = 1
//
// This is not a WQL parser: WMI still judges the rest of the statement.

#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace uda {

struct WqlSelect {
  std::string from_class;                // the class after FROM
  std::optional<double> within_seconds;  // WITHIN <n>, if given
  std::optional<std::string> isa_class;  // TargetInstance ISA '<class>', if given
};

// Checks the statement's shape. Errors say what is wrong in plain words.
Expected<WqlSelect> parse_wql_select(std::string_view wql);

// __InstanceCreationEvent, __InstanceModificationEvent,
// __InstanceDeletionEvent, __InstanceOperationEvent (any case).
bool is_intrinsic_instance_event(std::string_view class_name);
// Whether __InstanceModificationEvent / __InstanceOperationEvent, the events
// that carry a PreviousInstance.
bool has_previous_instance(std::string_view event_class);

// A WQL string literal: 'text' with \ and ' escaped by a backslash.
std::string wql_quote(std::string_view text);

}  // namespace uda
