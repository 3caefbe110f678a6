#include "dispatch/backoff.hpp"

#include <algorithm>

namespace uda {

Backoff::Backoff(BackoffPolicy policy, std::uint64_t seed) : policy_(policy), rng_(seed) {}

Millis Backoff::ceiling(int attempt) const {
  const std::int64_t base = std::max<std::int64_t>(0, policy_.base.count());
  const std::int64_t cap = std::max<std::int64_t>(0, policy_.cap.count());
  const int shift = std::clamp(attempt - 1, 0, 62);
  // base * 2^shift without overflow: stop doubling once past the cap.
  std::int64_t value = base;
  for (int i = 0; i < shift && value < cap; ++i) value *= 2;
  return Millis(std::min(value, cap));
}

Millis Backoff::next_delay(int attempt) {
  const auto hi = ceiling(attempt).count();
  if (hi <= 0) return Millis(0);
  std::uniform_int_distribution<std::int64_t> dist(0, hi);
  return Millis(dist(rng_));
}

}  // namespace uda
