#pragma once
// Bearer-token authentication for the HTTP API. Tokens are shown to the admin
// once (`uda-agent token new`) and kept in config only as salted hashes,
// "sha256:<salt: 32 hex>:<digest: 64 hex>" with digest = SHA-256(salt || token),
// so a leaked config file does not leak a usable token.
//
// A presented token is checked against every configured token (no early exit)
// and digests are compared in constant time, so response timing says nothing
// about which token, or how much of one, matched. Presented tokens are never
// logged, stored or copied, and error messages never echo them.

#include <array>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace uda::http {

inline constexpr std::string_view kTokenPrefix = "uda_";
// Longer presented tokens are refused before any hashing.
inline constexpr std::size_t kMaxPresentedTokenBytes = 512;

struct TokenHash {
  std::array<unsigned char, 16> salt{};
  std::array<unsigned char, 32> digest{};

  bool operator==(const TokenHash&) const = default;
};

// "uda_" + 43 base64url characters (32 random bytes from crypto::random_bytes). Throws
// std::runtime_error if the system has no randomness to give: never a weak token.
std::string new_token();

// A fresh random salt and SHA-256(salt || token). Throws std::runtime_error
// when randomness or the digest is unavailable.
TokenHash hash_token(std::string_view token);

// "sha256:<32 lowercase hex>:<64 lowercase hex>", what goes into config.
std::string to_string(const TokenHash& hash);

// Parses the config form; upper-case hex is accepted. The error never repeats
// the input.
Expected<TokenHash> parse_token_hash(std::string_view text);

// A token as configured: its name (used as the trigger origin "http:<name>"),
// its hash, and the trigger kinds it may submit.
struct ApiToken {
  std::string name;
  TokenHash hash;
  std::vector<std::string> kinds;  // empty = all kinds

  // Whether this token may submit triggers of `kind`.
  [[nodiscard]] bool allows_kind(std::string_view kind) const;
};

class TokenVerifier {
 public:
  explicit TokenVerifier(std::vector<ApiToken> tokens);

  // The configured token that `presented` hashes to, or nullptr. Every
  // configured token is hashed and compared (constant-time) whatever the
  // outcome; empty tokens and tokens over kMaxPresentedTokenBytes are refused
  // without hashing. The pointer stays valid for the life of the verifier.
  [[nodiscard]] const ApiToken* verify(std::string_view presented) const;

  [[nodiscard]] const std::vector<ApiToken>& tokens() const { return tokens_; }
  [[nodiscard]] bool empty() const { return tokens_.empty(); }

 private:
  std::vector<ApiToken> tokens_;
};

// The token of an `Authorization: Bearer <token>` header value. The scheme is
// matched case-insensitively; spaces around and between the parts are
// tolerated; the token must be RFC 6750 token68 characters. Errors describe
// what is wrong without echoing the header.
Expected<std::string_view> bearer_from_header(std::string_view authorization);

}  // namespace uda::http
