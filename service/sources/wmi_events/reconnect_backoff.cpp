#include "sources/wmi_events/reconnect_backoff.hpp"

#include <algorithm>

namespace uda {

ReconnectBackoff::ReconnectBackoff(Millis base, Millis cap, std::uint64_t seed)
    : base_(std::max(Millis(0), base)),
      cap_(std::max(base_, cap)),
      rng_(seed != 0 ? seed : std::random_device{}()) {}

Millis ReconnectBackoff::ceiling(int failures, bool permanent) const {
  if (permanent) return cap_;
  std::int64_t value = base_.count();
  for (int i = 1; i < failures && value < cap_.count(); ++i) value *= 2;
  return Millis(std::min(value, cap_.count()));
}

Millis ReconnectBackoff::next(int failures, bool permanent) {
  const auto hi = ceiling(failures, permanent).count();
  if (hi <= 0) return Millis(0);
  std::uniform_int_distribution<std::int64_t> dist(0, hi);
  return Millis(dist(rng_));
}

}  // namespace uda
