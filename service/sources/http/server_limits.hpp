#pragma once
// The HTTP listener's bounds (http: keys in the agent configuration). Kept apart
// from server.hpp so the configuration does not pull in Boost.Beast.

#include <cstddef>
#include <cstdint>

#include "core/time.hpp"

namespace uda::http {

struct ServerLimits {
  std::uint64_t max_header = 8 * 1024;
  std::uint64_t max_body = 1024 * 1024;
  Millis read_timeout{10'000};  // the whole request, headers and body
  Millis idle_timeout{30'000};  // waiting for the next request on a kept-alive connection
  Millis write_timeout{10'000};
  Millis handshake_timeout{10'000};
  std::size_t max_connections = 256;
};

}  // namespace uda::http
