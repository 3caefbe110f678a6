#include "providers/provider.hpp"

#include <algorithm>

namespace uda {

std::string_view to_string(CallOutcome o) {
  switch (o) {
    case CallOutcome::Ok:
      return "ok";
    case CallOutcome::Retry:
      return "retry";
    case CallOutcome::Fail:
      return "fail";
  }
  return "unknown";
}

bool Relationship::has_source(SourceId s) const {
  return std::find(sources.begin(), sources.end(), s) != sources.end();
}

bool Relationship::has_type(TypeId t) const {
  return std::find(types.begin(), types.end(), static_cast<std::uint32_t>(t)) != types.end();
}

}  // namespace uda
