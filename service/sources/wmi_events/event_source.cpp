#include "sources/wmi_events/event_source.hpp"

#include <charconv>

namespace uda {

EventSource::~EventSource() = default;

std::optional<std::uint32_t> wmi_failure_code(const Error& error) {
  const std::string_view m = error.message;
  if (m.size() < 10 || m[0] != '0' || (m[1] != 'x' && m[1] != 'X')) return std::nullopt;
  std::uint32_t code = 0;
  auto [p, ec] = std::from_chars(m.data() + 2, m.data() + 10, code, 16);
  if (ec != std::errc{} || p != m.data() + 10) return std::nullopt;
  if (m.size() > 10 && m[10] != ' ' && m[10] != ':') return std::nullopt;
  return code;
}

bool is_permanent_wmi_failure(const Error& error) {
  const auto code = wmi_failure_code(error);
  if (!code) return false;
  switch (*code) {
    case wmi_code::kAccessDenied:
    case wmi_code::kInvalidNamespace:
    case wmi_code::kInvalidClass:
    case wmi_code::kInvalidQuery:
    case wmi_code::kInvalidQueryType:
    case wmi_code::kNotEventClass:
    case wmi_code::kUnparsableQuery:
      return true;
    default:
      return false;
  }
}

std::string wmi_failure_hint(const Error& error) {
  const auto code = wmi_failure_code(error);
  if (!code) return {};
  switch (*code) {
    case wmi_code::kAccessDenied:
      return "give the agent's account read access to the SMS Provider (a ConfigMgr security "
             "role and membership of the SMS Admins group on the provider)";
    case wmi_code::kInvalidNamespace:
      return "check the namespace (root\\sms\\site_<site code>), or use namespace: auto";
    case wmi_code::kInvalidClass:
      return "the class does not exist on this site (check the ISA class and the site version)";
    case wmi_code::kInvalidQuery:
    case wmi_code::kInvalidQueryType:
    case wmi_code::kUnparsableQuery:
    case wmi_code::kNotEventClass:
      return "WMI refuses the query; correct it (test it with wbemtest / Get-CimInstance)";
    default:
      return {};
  }
}

}  // namespace uda
