#include "sources/usage/query_pacer.hpp"

#include <algorithm>

namespace uda {

QueryPacer::QueryPacer(int max_per_minute) {
  constexpr std::int64_t kMinute = 60'000;
  const std::int64_t n = std::max(1, max_per_minute);
  gap_ = Millis((kMinute + n - 1) / n);
}

Millis QueryPacer::wait(TimePoint now) const {
  if (!last_) return Millis(0);
  const auto due = *last_ + gap_;
  if (due <= now) return Millis(0);
  return std::min(gap_, std::chrono::duration_cast<Millis>(due - now));
}

}  // namespace uda
