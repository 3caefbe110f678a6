#pragma once
// Full-jitter backoff for re-subscribing (and for retrying commits and
// lookups): delay = random(0, min(cap, base * 2^(failures-1))). A permanent
// failure (access denied, no such class) waits random(0, cap) at once: asking
// again soon cannot help, but a fix (a permission, a site upgrade) is picked
// up without a restart.

#include <cstdint>
#include <random>

#include "core/time.hpp"

namespace uda {

class ReconnectBackoff {
 public:
  // cap below base is raised to base; seed 0 = random.
  ReconnectBackoff(Millis base, Millis cap, std::uint64_t seed = 0);

  // min(cap, base * 2^(failures-1)) for failures >= 1 (saturating); cap when
  // permanent.
  [[nodiscard]] Millis ceiling(int failures, bool permanent = false) const;
  // Uniform in [0, ceiling(failures, permanent)].
  Millis next(int failures, bool permanent = false);

 private:
  Millis base_;
  Millis cap_;
  std::mt19937_64 rng_;
};

}  // namespace uda
