#pragma once
// WMI (CIM / DMTF) date-times: "yyyymmddHHMMSS.mmmmmmsUUU", 25 characters,
// e.g. "20261120081200.000000+000". The time is local to the writer and UUU is
// that local time's offset from UTC in minutes, with sign s ('+' east of
// Greenwich, '-' west): "20261120091200.000000+060" is 08:12:00 UTC.
//
// The ConfigMgr SMS Provider writes many of its date-times with the offset
// field as "***" ("20261120081200.000000+***": offset not given). Those are
// read as UTC, which is what the site database stores for the classes used
// here (SMS_R_System.CreationDate, SMS_StatusMessage.Time).
//
// Not accepted: other asterisk wildcards (a date-time with unknown fields is
// not a point in time) and DMTF intervals ("ddddddddHHMMSS.mmmmmm:000").
// Microseconds are cut to milliseconds.

#include <optional>
#include <string>
#include <string_view>

#include "core/time.hpp"

namespace uda {

std::optional<TimePoint> parse_wmi_datetime(std::string_view text);

// UTC with offset "+000", e.g. "20261120081200.123000+000" (milliseconds, then
// three zeros). This is the form put into WQL ('{since}' in resume queries).
std::string format_wmi_datetime(TimePoint t);

}  // namespace uda
