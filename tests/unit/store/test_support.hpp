#pragma once
// Helpers shared by the store tests: a private folder, triggers and decisions.

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "core/decision.hpp"
#include "core/time.hpp"
#include "core/trigger.hpp"
#include "store/job_store.hpp"
#include "temp_dir.hpp"

namespace uda::test {

// A fixed, injected "now" (no sleeping, no wall clock in assertions).
inline TimePoint t0() {
  return from_unix_ms(1'800'000'000'000);
}
inline TimePoint at(std::int64_t ms_after_t0) {
  return t0() + Millis(ms_after_t0);
}

inline Trigger make_trigger(const std::string& id, std::optional<std::uint32_t> resource_id,
                            const std::string& user, TimePoint received = t0(),
                            std::optional<std::string> machine_name = std::nullopt) {
  Trigger t;
  t.id = id;
  t.kind = TriggerKind::Osd;
  t.machine.resource_id = resource_id;
  t.machine.name = std::move(machine_name);
  t.user = user;
  t.origin = "test";
  t.received_at = received;
  return t;
}

inline Decision create_decision(const std::string& domain_user = "",
                                SourceId source = SourceId::Osd) {
  Decision d;
  d.action = DecisionAction::Create;
  d.rule = "osd-primary";
  d.reason = "the task sequence named a primary user";
  if (!domain_user.empty()) d.user = parse_domain_user(domain_user);
  d.source = source;
  d.type = TypeId::Primary;
  d.trace = {RuleTrace{"osd-primary", true, {"kind is osd"}, ""}};
  return d;
}

inline Decision skip_decision() {
  Decision d;
  d.action = DecisionAction::Skip;
  d.rule = "ignore-service-accounts";
  d.reason = "service accounts never become primary users";
  d.trace = {RuleTrace{"ignore-service-accounts", true, {"user starts with svc-"}, ""}};
  return d;
}

inline std::unique_ptr<JobStore> open_store(const std::filesystem::path& path,
                                            bool read_only = false) {
  StoreOptions so;
  so.path = path;
  so.read_only = read_only;
  auto s = JobStore::open(so);
  EXPECT_TRUE(s) << s.error().message;
  return s ? std::move(*s) : nullptr;
}

}  // namespace uda::test
