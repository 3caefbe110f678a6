#pragma once
// Per-provider circuit breaker. Closed: calls flow; N consecutive transient
// failures open it. Open: no calls until open_for has passed, then half-open.
// Half-open: exactly one probe call; success closes, failure re-opens (with
// the open period doubled up to max_open_for). Permanent failures (bad input
// for one job) say nothing about the site's health and do not count.

#include <string_view>

#include "core/time.hpp"

namespace uda {

struct BreakerPolicy {
  int failure_threshold = 5;
  Millis open_for{30'000};
  Millis max_open_for{300'000};
};

enum class BreakerState { Closed, Open, HalfOpen };
std::string_view to_string(BreakerState s);

class CircuitBreaker {
 public:
  explicit CircuitBreaker(BreakerPolicy policy) : policy_(policy), open_for_(policy.open_for) {}

  // May a call start now? In half-open, true once (the probe) until it reports.
  bool allow(TimePoint now);
  void on_success();
  void on_transient_failure(TimePoint now);

  // State as of `now` (an open breaker whose time has passed reads half-open).
  [[nodiscard]] BreakerState state(TimePoint now) const;
  // When an open breaker lets the probe through.
  [[nodiscard]] TimePoint reopens_at() const { return opened_at_ + open_for_; }
  [[nodiscard]] int consecutive_failures() const { return failures_; }
  [[nodiscard]] int times_opened() const { return times_opened_; }

 private:
  void open(TimePoint now);

  BreakerPolicy policy_;
  BreakerState state_ = BreakerState::Closed;
  int failures_ = 0;
  int times_opened_ = 0;
  bool probe_in_flight_ = false;
  TimePoint opened_at_{};
  Millis open_for_;
};

}  // namespace uda
