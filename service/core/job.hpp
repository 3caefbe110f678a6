#pragma once
// A Job is the durable unit of work: "make this user the primary user of this
// device with this SourceId". It is created from a Create decision and lives
// in the store until it is done, dead-lettered or cancelled.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/source_id.hpp"
#include "core/time.hpp"

namespace uda {

enum class JobState {
  Pending,    // waiting for next_attempt_at
  Leased,     // claimed by a dispatcher until lease_expires_at
  Done,       // relationship exists (created by us or found present)
  Dead,       // dead-lettered: permanent failure or attempts exhausted
  Cancelled,  // an admin cancelled it
};

std::string_view to_string(JobState s);
std::optional<JobState> parse_job_state(std::string_view text);
inline bool is_terminal(JobState s) {
  return s == JobState::Done || s == JobState::Dead || s == JobState::Cancelled;
}

struct Job {
  std::int64_t id = 0;
  std::string trigger_id;  // the trigger that created it
  std::optional<std::uint32_t> machine_resource_id;
  std::optional<std::string> machine_name;  // resolved to a resource id by the dispatcher
  std::string user;                         // DOMAIN\user
  SourceId source = SourceId::Administrator;
  TypeId type = TypeId::Primary;
  std::string rule;  // the rule that chose it
  std::string idempotency_key;
  JobState state = JobState::Pending;
  int attempts = 0;
  TimePoint next_attempt_at{};
  std::optional<std::string> lease_owner;
  std::optional<TimePoint> lease_expires_at;
  bool verify_first = false;  // the last call may have had its effect: check before calling again
  std::string last_error;
  std::string outcome;  // terminal detail: "created", "already present", "dead: ..."
  TimePoint created_at{};
  TimePoint updated_at{};
  std::optional<TimePoint> finished_at;
  // Not stored; set by JobStore::claim_due: the job had used every attempt
  // when it was claimed (its last one was cut off, so it may have had its
  // effect), and this lease counts none. The dispatcher only checks whether
  // the relationship exists and never calls CreateRelationship again.
  bool final_check = false;
};

// (machine, user, source, type), lowercased: the same key means the same effect.
// The machine part is the resource id, or "name:<lowercased name>" until resolved.
std::string idempotency_key(const std::optional<std::uint32_t>& resource_id,
                            const std::optional<std::string>& machine_name, std::string_view user,
                            SourceId source, TypeId type);

}  // namespace uda
