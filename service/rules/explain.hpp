#pragma once
// Human text for `uda-agent rules explain`: the trigger, what the user
// normalisation did, every rule tried with the condition that failed it, and
// the decision.

#include <string>

#include "core/decision.hpp"
#include "core/trigger.hpp"

namespace uda {

std::string format_explanation(const Trigger& trigger, const Decision& decision);

}  // namespace uda
