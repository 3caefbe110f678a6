#include "core/job.hpp"

#include <fmt/format.h>

#include <array>

#include "core/user_account.hpp"

namespace uda {
namespace {
constexpr std::array<std::pair<JobState, std::string_view>, 5> kStates{{
    {JobState::Pending, "pending"},
    {JobState::Leased, "leased"},
    {JobState::Done, "done"},
    {JobState::Dead, "dead"},
    {JobState::Cancelled, "cancelled"},
}};
}  // namespace

std::string_view to_string(JobState s) {
  for (const auto& [state, name] : kStates) {
    if (state == s) return name;
  }
  return "unknown";
}

std::optional<JobState> parse_job_state(std::string_view text) {
  const auto lower = ascii_lower(text);
  for (const auto& [state, name] : kStates) {
    if (name == lower) return state;
  }
  return std::nullopt;
}

std::string idempotency_key(const std::optional<std::uint32_t>& resource_id,
                            const std::optional<std::string>& machine_name, std::string_view user,
                            SourceId source, TypeId type) {
  const std::string machine =
      resource_id ? std::to_string(*resource_id) : "name:" + ascii_lower(machine_name.value_or(""));
  return fmt::format("{}|{}|{}|{}", machine, ascii_lower(user), static_cast<unsigned>(source),
                     static_cast<unsigned>(type));
}

}  // namespace uda
