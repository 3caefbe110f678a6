#pragma once
// Per-request fault injection for the fake AdminService, the HTTP cousin of
// the simulated provider's FaultInjector: latency, 5xx answers, 429 with
// Retry-After, a hang longer than any client timeout, a connection reset
// without an answer, and "ambiguous" requests whose effect is applied before
// the answer is lost (500 or reset). Outage windows answer 503. Deterministic
// for a given seed: the n-th request gets the same decision whatever happened
// before (always three draws per request).

#include <cstdint>
#include <mutex>
#include <optional>
#include <random>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "core/time.hpp"
#include "providers/simulated/faults.hpp"

namespace uda::fake {

struct HttpFaultOptions {
  std::optional<std::uint64_t> seed;  // empty = random (logged)
  Millis latency{0};                  // every request waits this long first
  double error_5xx_rate = 0.0;        // 500, 502 or 503; nothing applied
  double rate_429 = 0.0;              // 429 + Retry-After; nothing applied
  double timeout_rate = 0.0;          // hang for timeout_sleep, then 504; nothing applied
  double reset_rate = 0.0;            // close the connection without an answer; nothing applied
  double ambiguous_rate = 0.0;        // apply the request, then 500 or reset
  std::uint32_t retry_after_s = 1;    // the Retry-After of a 429
  Millis timeout_sleep{60'000};       // longer than any client timeout
  std::vector<OutageWindow> outages;  // after start-up: every request gets 503
};

// Rates within 0..1 and adding up to at most 1; bounded sleeps.
Status validate(const HttpFaultOptions& o);

enum class HttpFault {
  None,
  Outage,           // 503, nothing applied
  ServerError,      // `status` (500, 502, 503), nothing applied
  TooManyRequests,  // 429 + Retry-After, nothing applied
  Timeout,          // sleep, then 504, nothing applied
  Reset,            // no answer, nothing applied
  AmbiguousError,   // applied, then 500
  AmbiguousReset,   // applied, then no answer
};

// "none", "outage", "5xx", "429", "timeout", "reset", "ambiguous-500", "ambiguous-reset"
std::string_view to_string(HttpFault f);

struct HttpFaultDecision {
  HttpFault kind = HttpFault::None;
  unsigned status = 0;  // the HTTP status to answer with (0: none / the route's)
};

class HttpFaultInjector {
 public:
  // Outage windows count from time.now() at construction.
  HttpFaultInjector(HttpFaultOptions options, const TimeSource& time);

  HttpFaultDecision next();

  [[nodiscard]] std::uint64_t seed() const { return seed_; }
  [[nodiscard]] const HttpFaultOptions& options() const { return options_; }

 private:
  HttpFaultOptions options_;
  const TimeSource& time_;
  TimePoint created_;
  std::uint64_t seed_;
  std::mutex mu_;
  std::mt19937_64 rng_;
};

}  // namespace uda::fake
