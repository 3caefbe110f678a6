#include "fake_adminservice/auth.hpp"

#include <algorithm>

#include "core/user_account.hpp"

namespace uda::fake {
namespace {

bool equal_constant_time(std::string_view a, std::string_view b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  const auto n = std::max(a.size(), b.size());
  for (std::size_t i = 0; i < n; ++i) {
    const auto ca = i < a.size() ? static_cast<unsigned char>(a[i]) : 0U;
    const auto cb = i < b.size() ? static_cast<unsigned char>(b[i]) : 0U;
    diff = static_cast<unsigned char>(diff | (ca ^ cb));
  }
  return diff == 0;
}

int base64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

}  // namespace

std::optional<std::string> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::string out;
  for (std::size_t i = 0; i < text.size(); i += 4) {
    int v[4] = {0, 0, 0, 0};
    int pad = 0;
    for (int k = 0; k < 4; ++k) {
      const char c = text[i + static_cast<std::size_t>(k)];
      if (c == '=') {
        // Padding only at the very end, and only in the last two places.
        if (i + 4 != text.size() || k < 2) return std::nullopt;
        ++pad;
        continue;
      }
      if (pad > 0) return std::nullopt;
      v[k] = base64_value(c);
      if (v[k] < 0) return std::nullopt;
    }
    const auto n = static_cast<unsigned>((v[0] << 18) | (v[1] << 12) | (v[2] << 6) | v[3]);
    out += static_cast<char>((n >> 16U) & 0xFFU);
    if (pad < 2) out += static_cast<char>((n >> 8U) & 0xFFU);
    if (pad < 1) out += static_cast<char>(n & 0xFFU);
  }
  return out;
}

AuthResult check_authorization(const Credentials& creds, std::string_view header) {
  const auto h = trim(header);
  if (h.empty()) return AuthResult::Missing;
  const auto space = h.find(' ');
  if (space == std::string_view::npos) return AuthResult::Invalid;
  const auto scheme = ascii_lower(h.substr(0, space));
  const auto value = trim(h.substr(space + 1));
  if (scheme == "bearer") {
    return !creds.token.empty() && equal_constant_time(value, creds.token) ? AuthResult::Ok
                                                                           : AuthResult::Invalid;
  }
  if (scheme == "basic" && creds.basic) {
    const auto decoded = base64_decode(value);
    if (!decoded) return AuthResult::Invalid;
    return equal_constant_time(*decoded, *creds.basic) ? AuthResult::Ok : AuthResult::Invalid;
  }
  return AuthResult::Invalid;
}

}  // namespace uda::fake
