#include "sources/http/token_auth.hpp"

#include <algorithm>
#include <memory>
#include <optional>
#include <stdexcept>

#include "sources/http/crypto.hpp"

namespace uda::http {
namespace {

constexpr std::string_view kHashScheme = "sha256";
constexpr std::string_view kHashFormatHint =
    "must look like sha256:<32 hex>:<64 hex>; generate one with `uda-agent token new`";

using Digest = std::array<unsigned char, 32>;

// SHA-256(salt || token), fed in two parts so the token is never copied.
Digest salted_digest(const std::array<unsigned char, 16>& salt, std::string_view token) {
  const std::string_view salt_bytes(reinterpret_cast<const char*>(salt.data()), salt.size());
  return crypto::sha256({salt_bytes, token});
}

std::string base64url(const unsigned char* data, std::size_t n) {
  static constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  out.reserve((n * 4 + 2) / 3);
  std::size_t i = 0;
  for (; i + 3 <= n; i += 3) {
    const unsigned v = (unsigned{data[i]} << 16) | (unsigned{data[i + 1]} << 8) | data[i + 2];
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (n - i == 1) {
    const unsigned v = unsigned{data[i]} << 16;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
  } else if (n - i == 2) {
    const unsigned v = (unsigned{data[i]} << 16) | (unsigned{data[i + 1]} << 8);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
  }
  return out;
}

template <std::size_t N>
void append_hex(std::string& out, const std::array<unsigned char, N>& bytes) {
  static constexpr std::string_view kDigits = "0123456789abcdef";
  for (unsigned char b : bytes) {
    out += kDigits[b >> 4];
    out += kDigits[b & 15];
  }
}

std::optional<unsigned char> hex_value(char c) {
  if (c >= '0' && c <= '9') return static_cast<unsigned char>(c - '0');
  if (c >= 'a' && c <= 'f') return static_cast<unsigned char>(c - 'a' + 10);
  if (c >= 'A' && c <= 'F') return static_cast<unsigned char>(c - 'A' + 10);
  return std::nullopt;
}

template <std::size_t N>
bool parse_hex(std::string_view text, std::array<unsigned char, N>& out) {
  if (text.size() != 2 * N) return false;
  for (std::size_t i = 0; i < N; ++i) {
    const auto hi = hex_value(text[2 * i]);
    const auto lo = hex_value(text[2 * i + 1]);
    if (!hi || !lo) return false;
    out[i] = static_cast<unsigned char>((*hi << 4) | *lo);
  }
  return true;
}

Error hash_error(std::string_view reason) {
  return Error{"invalid token hash (" + std::string(reason) + "): " + std::string(kHashFormatHint)};
}

bool is_ows(char c) {
  return c == ' ' || c == '\t';
}

std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && is_ows(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_ows(s.back())) s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
           return lower(x) == lower(y);
         });
}

// RFC 6750 b64token / RFC 7235 token68: 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" )
// *"="
bool is_token68(std::string_view s) {
  std::size_t i = 0;
  auto body = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~' || c == '+' || c == '/';
  };
  while (i < s.size() && body(s[i])) ++i;
  if (i == 0) return false;
  while (i < s.size() && s[i] == '=') ++i;
  return i == s.size();
}

}  // namespace

std::string new_token() {
  std::array<unsigned char, 32> bytes{};
  crypto::random_bytes(bytes.data(), bytes.size());
  std::string token(kTokenPrefix);
  token += base64url(bytes.data(), bytes.size());
  crypto::cleanse(bytes.data(), bytes.size());
  return token;
}

TokenHash hash_token(std::string_view token) {
  TokenHash h;
  crypto::random_bytes(h.salt.data(), h.salt.size());
  h.digest = salted_digest(h.salt, token);
  return h;
}

std::string to_string(const TokenHash& hash) {
  std::string out(kHashScheme);
  out += ':';
  append_hex(out, hash.salt);
  out += ':';
  append_hex(out, hash.digest);
  return out;
}

Expected<TokenHash> parse_token_hash(std::string_view text) {
  if (text.empty()) return hash_error("it is empty");
  if (text.starts_with(kTokenPrefix)) {
    return hash_error(
        "this is a token, not its hash; keep the token secret and put the hash in "
        "config");
  }
  const std::size_t first = text.find(':');
  const std::size_t second = first == std::string_view::npos ? first : text.find(':', first + 1);
  if (second == std::string_view::npos || text.find(':', second + 1) != std::string_view::npos) {
    return hash_error("expected three parts separated by ':'");
  }
  if (text.substr(0, first) != kHashScheme) return hash_error("the first part must be 'sha256'");
  TokenHash h;
  if (!parse_hex(text.substr(first + 1, second - first - 1), h.salt)) {
    return hash_error("the salt must be 32 hex digits");
  }
  if (!parse_hex(text.substr(second + 1), h.digest)) {
    return hash_error("the digest must be 64 hex digits");
  }
  return h;
}

bool ApiToken::allows_kind(std::string_view kind) const {
  return kinds.empty() || std::find(kinds.begin(), kinds.end(), kind) != kinds.end();
}

TokenVerifier::TokenVerifier(std::vector<ApiToken> tokens) : tokens_(std::move(tokens)) {}

const ApiToken* TokenVerifier::verify(std::string_view presented) const {
  if (presented.empty() || presented.size() > kMaxPresentedTokenBytes) return nullptr;
  const ApiToken* match = nullptr;
  for (const ApiToken& token : tokens_) {
    Digest d = salted_digest(token.hash.salt, presented);
    const bool equal = crypto::equal_constant_time(d.data(), token.hash.digest.data(), d.size());
    crypto::cleanse(d.data(), d.size());
    if (equal && match == nullptr) match = &token;
  }
  return match;
}

Expected<std::string_view> bearer_from_header(std::string_view authorization) {
  const std::string_view value = trim_ows(authorization);
  if (value.empty()) return Error{"no credentials: expected 'Authorization: Bearer <token>'"};
  std::size_t end = 0;
  while (end < value.size() && !is_ows(value[end])) ++end;
  if (!iequals(value.substr(0, end), "Bearer")) {
    return Error{"unsupported authorization scheme: expected 'Bearer <token>'"};
  }
  const std::string_view token = trim_ows(value.substr(end));
  if (token.empty()) return Error{"the bearer token is missing: expected 'Bearer <token>'"};
  if (std::any_of(token.begin(), token.end(), is_ows)) {
    return Error{"malformed bearer credentials: expected a single token after 'Bearer'"};
  }
  if (!is_token68(token)) return Error{"the bearer token contains characters that are not allowed"};
  return token;
}

}  // namespace uda::http
