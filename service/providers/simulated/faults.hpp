#pragma once
// Fault injection for the simulated site: latency, transient / permanent /
// ambiguous failures at configured rates, outage windows and forced failures
// for named users or machines. Deterministic for a given seed: the n-th call
// gets the same decision whatever the earlier outcomes were.

#include <cstdint>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "core/time.hpp"

namespace uda {

struct OutageWindow {
  Millis start{0};     // after the provider was created
  Millis duration{0};  // every call fails with 0x800706BA meanwhile
};

struct FaultOptions {
  std::optional<std::uint64_t> seed;  // empty = a random seed (logged)
  Millis latency{0};                  // every call takes latency + uniform(0, latency_jitter)
  Millis latency_jitter{0};
  double transient_error_rate = 0.0;  // one of the transient WMI codes, nothing applied
  double permanent_error_rate = 0.0;  // 0x80041003 WBEM_E_ACCESS_DENIED, nothing applied
  double ambiguous_rate = 0.0;        // effect applied, then 0x800706BE reported (retry, ambiguous)
  std::vector<OutageWindow> outages;
  std::vector<std::string> fail_users;     // DOMAIN\user, case-insensitive: always access denied
  std::vector<std::string> fail_machines;  // ResourceID or name, case-insensitive: always denied

  // True when no fault and no latency is configured.
  [[nodiscard]] bool none() const;
};

enum class FaultKind {
  None,        // call the site normally
  Outage,      // transient 0x800706BA, site not called
  Transient,   // transient code, site not called
  Permanent,   // 0x80041003, site not called
  Ambiguous,   // call the site, then report 0x800706BE (ambiguous for writes)
  ForcedUser,  // fail_users: 0x80041003, site not called
  ForcedMachine,
};

std::string_view to_string(FaultKind k);

struct FaultDecision {
  Millis latency{0};
  FaultKind kind = FaultKind::None;
  std::uint32_t code = 0;  // the WMI code to report (0 for None)
  std::string message;     // detail text without the code prefix

  bool operator==(const FaultDecision&) const = default;
};

// The call a decision is for (fail lists match on what the call names).
struct FaultTarget {
  std::optional<std::uint32_t> resource_id;
  std::string machine_name;  // resolve_machine, or the device name when known
  std::string user;          // DOMAIN\user when the call names a user
};

class FaultInjector {
 public:
  // Outage windows count from time.now() at construction.
  FaultInjector(FaultOptions options, const TimeSource& time);

  FaultDecision next(const FaultTarget& target);

  [[nodiscard]] std::uint64_t seed() const { return seed_; }
  [[nodiscard]] const FaultOptions& options() const { return options_; }

 private:
  FaultOptions options_;
  const TimeSource& time_;
  TimePoint created_;
  std::uint64_t seed_;
  std::mutex mu_;
  std::mt19937_64 rng_;
};

}  // namespace uda
