#include "core/user_account.hpp"

#include <algorithm>
#include <cctype>

namespace uda {
namespace {

bool valid_account_char(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (u < 0x20 || u == 0x7f) return false;
  constexpr std::string_view kForbidden = "\"/\\[]:;|=,+*?<>@";
  return kForbidden.find(c) == std::string_view::npos;
}

bool valid_domain_char(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (u < 0x20 || u == 0x7f) return false;
  constexpr std::string_view kForbidden = "\"/\\[]:;|=,+*?<>@ ";
  return kForbidden.find(c) == std::string_view::npos;
}

}  // namespace

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::string ascii_lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), ascii_lower_char);
  return out;
}

std::string ascii_upper(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), ascii_upper_char);
  return out;
}

bool ascii_iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (ascii_lower_char(a[i]) != ascii_lower_char(b[i])) return false;
  }
  return true;
}

std::optional<DomainUser> parse_domain_user(std::string_view text) {
  const auto slash = text.find('\\');
  if (slash == std::string_view::npos) return std::nullopt;
  const auto domain = text.substr(0, slash);
  const auto user = text.substr(slash + 1);
  if (domain.empty() || user.empty() || domain.size() > 255 || user.size() > 104) {
    return std::nullopt;
  }
  if (!std::all_of(domain.begin(), domain.end(), valid_domain_char)) return std::nullopt;
  if (!std::all_of(user.begin(), user.end(), valid_account_char)) return std::nullopt;
  if (user.front() == ' ' || user.back() == ' ') return std::nullopt;
  return DomainUser{std::string(domain), std::string(user)};
}

std::optional<Upn> parse_upn(std::string_view text) {
  const auto at = text.find('@');
  if (at == std::string_view::npos || at == 0 || at + 1 >= text.size()) return std::nullopt;
  if (text.find('@', at + 1) != std::string_view::npos) return std::nullopt;
  if (text.find('\\') != std::string_view::npos) return std::nullopt;
  const auto user = text.substr(0, at);
  const auto suffix = text.substr(at + 1);
  if (user.size() > 104 || suffix.size() > 255) return std::nullopt;
  const auto bad = [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u < 0x21 || u == 0x7f || c == '"' || c == '<' || c == '>' || c == ',' || c == ';';
  };
  if (std::any_of(user.begin(), user.end(), bad) ||
      std::any_of(suffix.begin(), suffix.end(), bad)) {
    return std::nullopt;
  }
  if (suffix.front() == '.' || suffix.back() == '.') return std::nullopt;
  return Upn{std::string(user), std::string(suffix)};
}

}  // namespace uda
