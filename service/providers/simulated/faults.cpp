#include "providers/simulated/faults.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <utility>

#include "core/user_account.hpp"
#include "providers/simulated/wmi_codes.hpp"

namespace uda {
namespace {

// The transient codes a busy or flaky SMS Provider answers with (the
// ambiguous RPC_S_CALL_FAILED has its own rate).
constexpr std::array<std::uint32_t, 6> kTransientCodes{
    wmi::kRpcServerUnavailable, wmi::kServerTooBusy,    wmi::kTimedOut,
    wmi::kRpcCallFailedDne,     wmi::kTransportFailure, wmi::kQuotaViolation,
};

bool contains_ci(const std::vector<std::string>& list, std::string_view value) {
  if (value.empty()) return false;
  const auto v = ascii_lower(value);
  return std::any_of(list.begin(), list.end(),
                     [&](const std::string& s) { return ascii_lower(trim(s)) == v; });
}

// Uniform double in [0, 1) from 53 random bits (portable, unlike
// std::uniform_real_distribution whose algorithm is unspecified).
double unit(std::uint64_t bits) {
  return static_cast<double>(bits >> 11U) * 0x1.0p-53;
}

}  // namespace

bool FaultOptions::none() const {
  return latency.count() == 0 && latency_jitter.count() == 0 && transient_error_rate <= 0.0 &&
         permanent_error_rate <= 0.0 && ambiguous_rate <= 0.0 && outages.empty() &&
         fail_users.empty() && fail_machines.empty();
}

std::string_view to_string(FaultKind k) {
  switch (k) {
    case FaultKind::None:
      return "none";
    case FaultKind::Outage:
      return "outage";
    case FaultKind::Transient:
      return "transient";
    case FaultKind::Permanent:
      return "permanent";
    case FaultKind::Ambiguous:
      return "ambiguous";
    case FaultKind::ForcedUser:
      return "fail_users";
    case FaultKind::ForcedMachine:
      return "fail_machines";
  }
  return "unknown";
}

FaultInjector::FaultInjector(FaultOptions options, const TimeSource& time)
    : options_(std::move(options)),
      time_(time),
      created_(time.now()),
      seed_(options_.seed ? *options_.seed : std::random_device{}()),
      rng_(seed_) {}

FaultDecision FaultInjector::next(const FaultTarget& target) {
  // Always three draws per call, so the n-th decision depends only on the seed.
  std::uint64_t r_jitter = 0;
  std::uint64_t r_kind = 0;
  std::uint64_t r_code = 0;
  {
    std::lock_guard lock(mu_);
    r_jitter = rng_();
    r_kind = rng_();
    r_code = rng_();
  }
  FaultDecision d;
  d.latency = options_.latency;
  if (options_.latency_jitter.count() > 0) {
    const auto span = static_cast<std::uint64_t>(options_.latency_jitter.count()) + 1;
    d.latency += Millis(static_cast<Millis::rep>(r_jitter % span));
  }

  const auto since = time_.now() - created_;
  for (const auto& o : options_.outages) {
    if (since >= o.start && since < o.start + o.duration) {
      d.kind = FaultKind::Outage;
      d.code = wmi::kRpcServerUnavailable;
      d.message = fmt::format("simulated outage ({} for {} after start)", format_duration(o.start),
                              format_duration(o.duration));
      return d;
    }
  }
  if (contains_ci(options_.fail_users, target.user)) {
    d.kind = FaultKind::ForcedUser;
    d.code = wmi::kAccessDenied;
    d.message = fmt::format("simulated failure for user {} (fail_users)", target.user);
    return d;
  }
  if ((target.resource_id &&
       contains_ci(options_.fail_machines, std::to_string(*target.resource_id))) ||
      contains_ci(options_.fail_machines, target.machine_name)) {
    d.kind = FaultKind::ForcedMachine;
    d.code = wmi::kAccessDenied;
    d.message =
        fmt::format("simulated failure for machine {} (fail_machines)",
                    target.machine_name.empty() ? std::to_string(target.resource_id.value_or(0))
                                                : target.machine_name);
    return d;
  }

  const double u = unit(r_kind);
  const double t = options_.transient_error_rate;
  const double p = t + options_.permanent_error_rate;
  const double a = p + options_.ambiguous_rate;
  if (u < t) {
    d.kind = FaultKind::Transient;
    d.code = kTransientCodes[r_code % kTransientCodes.size()];
    d.message = "simulated transient failure";
  } else if (u < p) {
    d.kind = FaultKind::Permanent;
    d.code = wmi::kAccessDenied;
    d.message = "simulated permanent failure";
  } else if (u < a) {
    d.kind = FaultKind::Ambiguous;
    d.code = wmi::kRpcCallFailed;
    d.message = "simulated connection loss after the call ran";
  }
  return d;
}

}  // namespace uda
