#include "sources/wmi_events/subscription.hpp"

namespace uda {

std::string_view to_string(UserLookup u) {
  switch (u) {
    case UserLookup::LastLogon:
      return "last-logon";
    case UserLookup::None:
      break;
  }
  return "none";
}

}  // namespace uda
