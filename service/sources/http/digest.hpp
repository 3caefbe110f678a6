#pragma once
// SHA-256 for request fingerprints and for trigger ids derived from an
// Idempotency-Key (crypto.hpp).

#include <string>
#include <string_view>

namespace uda::http {

// Lowercase hex of SHA-256(data).
std::string sha256_hex(std::string_view data);

}  // namespace uda::http
