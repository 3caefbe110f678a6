#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "app/cli_support.hpp"
#include "app/commands.hpp"
#include "core/trigger_json.hpp"
#include "store/record_json.hpp"

namespace uda::cli {
namespace {

using nlohmann::json;

std::string opt_time(const std::optional<TimePoint>& t) {
  return t ? format_iso8601(*t) : "";
}

std::string machine_cell(const Job& j) {
  if (j.machine_resource_id) return std::to_string(*j.machine_resource_id);
  return j.machine_name.value_or("?");
}

}  // namespace

int cmd_jobs_list(const Global& g, const JobsListArgs& a) {
  std::optional<JobState> state;
  if (!a.state.empty()) {
    state = parse_job_state(a.state);
    if (!state) {
      report_error(fmt::format("--state '{}' is not one of pending, leased, done, dead, cancelled",
                               a.state));
      return kBadInput;
    }
  }
  auto cfg = load_config_or_report(g);
  if (!cfg) return kBadInput;
  auto store = open_store_or_report(*cfg, true);
  if (!store) return kFailed;
  auto jobs = store->list_jobs(state, a.limit);
  if (!jobs) {
    report_error(jobs.error().message);
    return kFailed;
  }
  if (g.json) {
    json arr = json::array();
    for (const auto& j : *jobs) arr.push_back(to_json(j));
    fmt::print("{}\n", arr.dump());
    return kOk;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& j : *jobs) {
    rows.push_back(
        {std::to_string(j.id), std::string(to_string(j.state)), std::to_string(j.attempts),
         machine_cell(j), j.user,
         fmt::format("{}({})", to_string(j.source), static_cast<unsigned>(j.source)), j.rule,
         is_terminal(j.state) ? opt_time(j.finished_at) : format_iso8601(j.next_attempt_at),
         is_terminal(j.state) ? j.outcome : j.last_error});
  }
  print_table({"ID", "STATE", "ATTEMPTS", "MACHINE", "USER", "SOURCE", "RULE", "NEXT/FINISHED",
               "OUTCOME/LAST ERROR"},
              rows);
  return kOk;
}

int cmd_jobs_show(const Global& g, std::int64_t id) {
  auto cfg = load_config_or_report(g);
  if (!cfg) return kBadInput;
  auto store = open_store_or_report(*cfg, true);
  if (!store) return kFailed;
  auto job = store->get_job(id);
  if (!job) {
    report_error(job.error().message);
    return kFailed;
  }
  if (!*job) {
    report_error(fmt::format("no job {} (see `uda-agent jobs list`)", id));
    return kFailed;
  }
  auto attempts = store->attempts(id);
  auto triggers = store->triggers_for_job(id);
  if (!attempts || !triggers) {
    report_error(!attempts ? attempts.error().message : triggers.error().message);
    return kFailed;
  }
  const Job& j = **job;
  if (g.json) {
    json out = to_json(j);
    out["attempt_history"] = json::array();
    for (const auto& a : *attempts) {
      out["attempt_history"].push_back(to_json(a));
    }
    out["triggers"] = json::array();
    for (const auto& t : *triggers) out["triggers"].push_back(to_json(t));
    fmt::print("{}\n", out.dump(2));
    return kOk;
  }
  fmt::print("job {}  {}\n", j.id, to_string(j.state));
  fmt::print("  machine:   {}{}\n", machine_cell(j),
             j.machine_name ? fmt::format(" ({})", *j.machine_name) : "");
  fmt::print("  user:      {}\n", j.user);
  fmt::print("  source:    {} ({})   type: {} ({})\n", to_string(j.source),
             static_cast<unsigned>(j.source), to_string(j.type), static_cast<unsigned>(j.type));
  fmt::print("  rule:      {}\n", j.rule);
  fmt::print("  attempts:  {}{}\n", j.attempts,
             j.verify_first ? "  (verify before next call)" : "");
  fmt::print("  created:   {}\n", format_iso8601(j.created_at));
  if (is_terminal(j.state)) {
    fmt::print("  finished:  {}\n  outcome:   {}\n", opt_time(j.finished_at), j.outcome);
  } else {
    fmt::print("  next try:  {}\n", format_iso8601(j.next_attempt_at));
  }
  if (!j.last_error.empty()) fmt::print("  last error: {}\n", j.last_error);
  if (j.lease_owner) {
    fmt::print("  leased by: {} until {}\n", *j.lease_owner, opt_time(j.lease_expires_at));
  }
  fmt::print("attempts:\n");
  for (const auto& a : *attempts) {
    fmt::print("  #{} {} -> {}  {:<13} {}\n", a.attempt, format_iso8601(a.started_at),
               format_iso8601(a.finished_at), a.outcome, a.detail);
  }
  fmt::print("triggers:\n");
  for (const auto& t : *triggers) {
    fmt::print("  {} {} from {} at {}: {} ({})\n", t.trigger.id, to_string(t.trigger.kind),
               t.trigger.origin, format_iso8601(t.trigger.received_at), t.decision, t.reason);
  }
  return kOk;
}

int cmd_jobs_retry(const Global& g, std::int64_t id) {
  auto cfg = load_config_or_report(g);
  if (!cfg) return kBadInput;
  auto store = open_store_or_report(*cfg, false);
  if (!store) return kFailed;
  if (auto st = store->retry_now(id, now_ms()); !st) {
    report_error(st.error().message);
    return kFailed;
  }
  fmt::print("job {} queued again; the agent picks it up at its next poll\n", id);
  return kOk;
}

int cmd_jobs_cancel(const Global& g, std::int64_t id) {
  auto cfg = load_config_or_report(g);
  if (!cfg) return kBadInput;
  auto store = open_store_or_report(*cfg, false);
  if (!store) return kFailed;
  if (auto st = store->cancel(id, now_ms()); !st) {
    report_error(st.error().message);
    return kFailed;
  }
  fmt::print("job {} cancelled\n", id);
  return kOk;
}

int cmd_triggers_list(const Global& g, std::size_t limit) {
  auto cfg = load_config_or_report(g);
  if (!cfg) return kBadInput;
  auto store = open_store_or_report(*cfg, true);
  if (!store) return kFailed;
  auto triggers = store->list_triggers(limit);
  if (!triggers) {
    report_error(triggers.error().message);
    return kFailed;
  }
  if (g.json) {
    json arr = json::array();
    for (const auto& t : *triggers) arr.push_back(to_json(t));
    fmt::print("{}\n", arr.dump());
    return kOk;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& t : *triggers) {
    rows.push_back({t.trigger.id, std::string(to_string(t.trigger.kind)),
                    t.trigger.machine.describe(), t.trigger.user, trigger_outcome(t), t.rule,
                    t.job_id ? std::to_string(*t.job_id) : "", t.reason});
  }
  print_table({"ID", "KIND", "MACHINE", "USER", "OUTCOME", "RULE", "JOB", "REASON"}, rows);
  return kOk;
}

int cmd_triggers_show(const Global& g, const std::string& id) {
  auto cfg = load_config_or_report(g);
  if (!cfg) return kBadInput;
  auto store = open_store_or_report(*cfg, true);
  if (!store) return kFailed;
  auto t = store->get_trigger(id);
  if (!t) {
    report_error(t.error().message);
    return kFailed;
  }
  if (!*t) {
    report_error(fmt::format("no trigger '{}' (see `uda-agent triggers list`)", id));
    return kFailed;
  }
  fmt::print("{}\n", to_json(**t).dump(2));
  return kOk;
}

}  // namespace uda::cli
