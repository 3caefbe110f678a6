#include "dispatch/circuit_breaker.hpp"

#include <algorithm>

namespace uda {

std::string_view to_string(BreakerState s) {
  switch (s) {
    case BreakerState::Closed:
      return "closed";
    case BreakerState::Open:
      return "open";
    case BreakerState::HalfOpen:
      return "half-open";
  }
  return "unknown";
}

BreakerState CircuitBreaker::state(TimePoint now) const {
  if (state_ == BreakerState::Open && now >= reopens_at()) return BreakerState::HalfOpen;
  return state_;
}

bool CircuitBreaker::allow(TimePoint now) {
  switch (state_) {
    case BreakerState::Closed:
      return true;
    case BreakerState::Open:
      if (now < reopens_at()) return false;
      state_ = BreakerState::HalfOpen;
      probe_in_flight_ = true;
      return true;
    case BreakerState::HalfOpen:
      if (probe_in_flight_) return false;
      probe_in_flight_ = true;
      return true;
  }
  return false;
}

void CircuitBreaker::on_success() {
  state_ = BreakerState::Closed;
  failures_ = 0;
  probe_in_flight_ = false;
  open_for_ = policy_.open_for;
}

void CircuitBreaker::on_transient_failure(TimePoint now) {
  ++failures_;
  if (state_ == BreakerState::HalfOpen) {
    // The probe failed: stay away longer.
    open_for_ = std::min(policy_.max_open_for, open_for_ * 2);
    open(now);
    return;
  }
  if (state_ == BreakerState::Closed && failures_ >= policy_.failure_threshold) open(now);
}

void CircuitBreaker::open(TimePoint now) {
  state_ = BreakerState::Open;
  opened_at_ = now;
  probe_in_flight_ = false;
  ++times_opened_;
}

}  // namespace uda
