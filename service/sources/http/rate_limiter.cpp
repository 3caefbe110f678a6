#include "sources/http/rate_limiter.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace uda::http {

RateLimiter::RateLimiter(double rate_per_second, double burst, std::size_t max_clients)
    : max_clients_(max_clients) {
  if (!(rate_per_second >= 0) || !std::isfinite(rate_per_second)) {
    throw std::invalid_argument("rate limiter: rate_per_second must be a finite number >= 0");
  }
  if (max_clients == 0) throw std::invalid_argument("rate limiter: max_clients must be >= 1");
  if (rate_per_second == 0) return;  // unlimited
  if (!(burst >= 1) || !std::isfinite(burst)) {
    throw std::invalid_argument("rate limiter: burst must be a finite number >= 1");
  }
  const double interval_ns = std::max(1.0, std::round(1e9 / rate_per_second));
  interval_ = std::chrono::nanoseconds(static_cast<std::int64_t>(interval_ns));
  tolerance_ =
      std::chrono::nanoseconds(static_cast<std::int64_t>(std::round((burst - 1) * interval_ns)));
}

RateLimiter::Decision RateLimiter::allow(std::string_view client_key, Clock::time_point now) {
  if (unlimited()) return {};

  std::lock_guard lock(mu_);
  Lru::iterator it;
  if (auto found = index_.find(client_key); found != index_.end()) {
    it = found->second;
    lru_.splice(lru_.begin(), lru_, it);  // now the most recently seen
  } else {
    if (index_.size() >= max_clients_) {
      index_.erase(lru_.back().key);
      lru_.pop_back();
    }
    lru_.push_front(Client{std::string(client_key), now});
    it = lru_.begin();
    index_.emplace(it->key, it);
  }

  // GCRA: a request at `now` fits if the client is at most `tolerance_` ahead
  // of its schedule; it then moves the schedule on by one interval.
  const Clock::time_point tat = std::max(it->tat, now);
  const auto ahead = tat - now;
  if (ahead > tolerance_) {
    const auto wait = ahead - tolerance_;
    auto ms = std::chrono::ceil<std::chrono::milliseconds>(wait);
    if (ms < std::chrono::milliseconds(1)) ms = std::chrono::milliseconds(1);
    return {false, ms};
  }
  it->tat = tat + interval_;
  return {};
}

std::size_t RateLimiter::client_count() const {
  std::lock_guard lock(mu_);
  return index_.size();
}

}  // namespace uda::http
