#pragma once
// User account names as ConfigMgr knows them. CreateRelationship wants
// SMS_R_User.UniqueUserName, i.e. "DOMAIN\user" - never a UPN.

#include <optional>
#include <string>
#include <string_view>

namespace uda {

struct DomainUser {
  std::string domain;  // NetBIOS domain, e.g. "CONTOSO"
  std::string user;    // sAMAccountName, e.g. "jdoe"

  [[nodiscard]] std::string str() const { return domain + "\\" + user; }
  bool operator==(const DomainUser&) const = default;
};

struct Upn {
  std::string user;    // left of '@'
  std::string suffix;  // right of '@', e.g. "contoso.com"
};

// "CONTOSO\jdoe" -> {CONTOSO, jdoe}. Rejects empty parts, a second '\', and
// characters that AD forbids in sAMAccountName ("/[]:;|=,+*?<>@ and control chars).
std::optional<DomainUser> parse_domain_user(std::string_view text);

// "jdoe@contoso.com" -> {jdoe, contoso.com}. Exactly one '@', both sides non-empty.
std::optional<Upn> parse_upn(std::string_view text);

// Lowercase ASCII copy; ConfigMgr compares account names case-insensitively.
// ASCII letter case only (names in ConfigMgr and AD compare that way); no
// locale look-up per character.
constexpr char ascii_lower_char(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}
constexpr char ascii_upper_char(char c) {
  return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
}
// Equal ignoring ASCII letter case, without allocating.
bool ascii_iequals(std::string_view a, std::string_view b);
std::string ascii_lower(std::string_view s);
std::string ascii_upper(std::string_view s);
// Leading/trailing whitespace removed.
std::string_view trim(std::string_view s);

}  // namespace uda
