#pragma once
// Full-jitter exponential backoff (AWS architecture blog, "Exponential Backoff
// And Jitter"): delay = random(0, min(cap, base * 2^attempt)). Spreads retries
// of many jobs that failed together so they do not hit the site in waves.

#include <cstdint>
#include <random>

#include "core/time.hpp"

namespace uda {

struct BackoffPolicy {
  Millis base{1000};
  Millis cap{300'000};
  int max_attempts = 8;  // after this many failed attempts the job is dead-lettered
};

class Backoff {
 public:
  explicit Backoff(BackoffPolicy policy, std::uint64_t seed = std::random_device{}());

  // The ceiling for the delay after `attempt` failed attempts (attempt >= 1):
  // min(cap, base * 2^(attempt-1)). Saturates instead of overflowing.
  [[nodiscard]] Millis ceiling(int attempt) const;
  // A uniformly random delay in [0, ceiling(attempt)].
  Millis next_delay(int attempt);
  // True when no attempt is left after `attempts` attempts.
  [[nodiscard]] bool exhausted(int attempts) const { return attempts >= policy_.max_attempts; }
  [[nodiscard]] const BackoffPolicy& policy() const { return policy_; }

 private:
  BackoffPolicy policy_;
  std::mt19937_64 rng_;
};

}  // namespace uda
