#pragma once
// Per-client rate limiting for the HTTP API, so one misbehaving client (a task
// sequence stuck in a retry loop) cannot starve the others. Each client key
// (its address) gets a token bucket: `burst` requests at once, refilled at
// `rate_per_second`. Implemented as GCRA (one "theoretical arrival time" per
// client, integer nanoseconds), which behaves exactly like a token bucket
// without floating-point drift.
//
// Memory is bounded: at most `max_clients` buckets; when full, the least
// recently seen client is forgotten (it comes back with a full bucket, the
// generous way to fail). Time is passed in, so tests need no sleeping.
// Thread-safe. A rate of 0 means unlimited and keeps no state at all.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <list>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace uda::http {

class RateLimiter {
 public:
  struct Decision {
    bool allowed = true;
    // When refused: how long until one request would be allowed (at least
    // 1 ms). Zero when allowed. For Retry-After, round up to whole seconds.
    std::chrono::milliseconds retry_after{0};
  };

  // rate_per_second >= 0 (0 = unlimited); burst >= 1 when limited;
  // max_clients >= 1. Anything else throws std::invalid_argument.
  RateLimiter(double rate_per_second, double burst, std::size_t max_clients);

  Decision allow(std::string_view client_key, std::chrono::steady_clock::time_point now);

  [[nodiscard]] bool unlimited() const { return interval_.count() == 0; }
  // Buckets currently kept (at most max_clients).
  [[nodiscard]] std::size_t client_count() const;

 private:
  using Clock = std::chrono::steady_clock;
  struct Client {
    std::string key;
    Clock::time_point tat;  // theoretical arrival time of the next request
  };
  using Lru = std::list<Client>;  // most recently seen first

  std::chrono::nanoseconds interval_{0};   // time to earn one request
  std::chrono::nanoseconds tolerance_{0};  // (burst - 1) * interval_
  std::size_t max_clients_;

  mutable std::mutex mu_;
  Lru lru_;
  std::unordered_map<std::string_view, Lru::iterator> index_;  // keys point into lru_
};

}  // namespace uda::http
