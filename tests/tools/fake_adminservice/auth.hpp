#pragma once
// The fake AdminService's credentials check. The real one takes Windows
// integrated auth (Negotiate); the fake takes a Bearer token (required) and,
// when configured, HTTP Basic, so a client's auth handling can be tested
// without a domain. A refused request gets 401 with both
// `WWW-Authenticate: Negotiate` and `WWW-Authenticate: Bearer`.

#include <optional>
#include <string>
#include <string_view>

namespace uda::fake {

struct Credentials {
  std::string token;                 // Authorization: Bearer <token>
  std::optional<std::string> basic;  // "user:pass" for Authorization: Basic
};

enum class AuthResult {
  Ok,
  Missing,  // no Authorization header
  Invalid,  // unknown scheme, wrong token or password, bad base64
};

// `header` is the Authorization header's value (empty when absent). Schemes
// are case-insensitive; secrets are compared in constant time.
AuthResult check_authorization(const Credentials& creds, std::string_view header);

// Strict base64 (RFC 4648, padding required); empty when malformed.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace uda::fake
