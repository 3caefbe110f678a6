#include "store/record_json.hpp"

#include "core/trigger_json.hpp"

namespace uda {

using nlohmann::json;

namespace {

json opt_time(const std::optional<TimePoint>& t) {
  return t ? json(format_iso8601(*t)) : json();
}

}  // namespace

json to_json(const Job& j) {
  json out{{"id", j.id},
           {"trigger_id", j.trigger_id},
           {"machine_resource_id", j.machine_resource_id ? json(*j.machine_resource_id) : json()},
           {"machine_name", j.machine_name ? json(*j.machine_name) : json()},
           {"user", j.user},
           {"source_id", static_cast<unsigned>(j.source)},
           {"source", std::string(to_string(j.source))},
           {"type_id", static_cast<unsigned>(j.type)},
           {"rule", j.rule},
           {"idempotency_key", j.idempotency_key},
           {"state", std::string(to_string(j.state))},
           {"attempts", j.attempts},
           {"next_attempt_at", format_iso8601(j.next_attempt_at)},
           {"verify_first", j.verify_first},
           {"last_error", j.last_error},
           {"outcome", j.outcome},
           {"created_at", format_iso8601(j.created_at)},
           {"updated_at", format_iso8601(j.updated_at)},
           {"finished_at", opt_time(j.finished_at)}};
  if (j.lease_owner) out["lease_owner"] = *j.lease_owner;
  if (j.lease_expires_at) out["lease_expires_at"] = format_iso8601(*j.lease_expires_at);
  return out;
}

json to_json(const Attempt& a) {
  return json{{"attempt", a.attempt},
              {"started_at", format_iso8601(a.started_at)},
              {"finished_at", format_iso8601(a.finished_at)},
              {"outcome", a.outcome},
              {"detail", a.detail}};
}

std::string trigger_outcome(const TriggerRecord& r) {
  if (r.state == "decided" && r.job_state) return std::string(to_string(*r.job_state));
  return r.state;
}

json to_json(const TriggerRecord& r) {
  json out = to_json(r.trigger);
  out["state"] = r.state;
  out["decision"] = r.decision;
  out["rule"] = r.rule;
  out["reason"] = r.reason;
  out["decided_at"] = opt_time(r.decided_at);
  out["job_id"] = r.job_id ? json(*r.job_id) : json();
  out["job_state"] = r.job_state ? json(std::string(to_string(*r.job_state))) : json();
  out["outcome"] = trigger_outcome(r);
  if (!r.trace_json.empty()) out["trace"] = json::parse(r.trace_json, nullptr, false);
  return out;
}

}  // namespace uda
