#pragma once
// JSON views of what the store holds, shared by the CLI (--json) and the
// HTTP API so both speak the same shapes.

#include <nlohmann/json.hpp>

#include "store/job_store.hpp"

namespace uda {

nlohmann::json to_json(const Job& job);
nlohmann::json to_json(const Attempt& attempt);
// The trigger as received, plus state, decision, rule, reason, job id and
// state, the trace, and "outcome": skipped or the linked job's state.
nlohmann::json to_json(const TriggerRecord& record);
// "skipped", "received", "decided", or the linked job's state once decided.
std::string trigger_outcome(const TriggerRecord& record);

}  // namespace uda
