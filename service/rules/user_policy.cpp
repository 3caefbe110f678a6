#include "rules/user_policy.hpp"

#include <fmt/format.h>

namespace uda {
namespace {

std::string apply_case(LetterCase c, const std::string& s) {
  switch (c) {
    case LetterCase::Upper:
      return ascii_upper(s);
    case LetterCase::Lower:
      return ascii_lower(s);
    case LetterCase::Keep:
      break;
  }
  return s;
}

NormalisedUser reject(NormalisedUser r, std::string why) {
  r.user.reset();
  r.rejected = std::move(why);
  return r;
}

}  // namespace

std::string_view to_string(LetterCase c) {
  switch (c) {
    case LetterCase::Upper:
      return "upper";
    case LetterCase::Lower:
      return "lower";
    case LetterCase::Keep:
      break;
  }
  return "keep";
}

NormalisedUser normalise_user(const UserPolicy& policy, std::string_view raw) {
  NormalisedUser r;
  std::string_view text = raw;
  if (policy.trim) {
    const auto trimmed = trim(raw);
    if (trimmed.size() != raw.size()) r.steps.emplace_back("trimmed surrounding whitespace");
    text = trimmed;
  }

  std::optional<DomainUser> du = parse_domain_user(text);
  if (!du) {
    const auto upn = parse_upn(text);
    if (!upn) {
      return reject(std::move(r), fmt::format("'{}' is neither DOMAIN\\user nor a UPN", text));
    }
    const std::string key = ascii_lower(text);
    if (const auto it = policy.upn_map.find(key); it != policy.upn_map.end()) {
      du = parse_domain_user(it->second);
      r.steps.push_back(fmt::format("UPN {} mapped to {} by users.upn_map", text, it->second));
    } else {
      const std::string suffix = ascii_lower(upn->suffix);
      auto s = policy.upn_suffixes.find(suffix);
      if (s == policy.upn_suffixes.end()) s = policy.upn_suffixes.find("*");
      if (s == policy.upn_suffixes.end() && policy.resolve_unmapped_upn_in_site) {
        r.upn = std::string(text);
        r.steps.push_back(
            fmt::format("UPN {} has no entry in users.upn_map or "
                        "users.upn_suffixes; the site will resolve it "
                        "(SMS_R_User.UserPrincipalName)",
                        text));
        return r;
      }
      if (s == policy.upn_suffixes.end()) {
        return reject(
            std::move(r),
            fmt::format("UPN '{}' cannot be turned into DOMAIN\\user: suffix '{}' has no "
                        "entry in users.upn_suffixes (or add the UPN to users.upn_map, or set "
                        "users.unmapped_upn: resolve_in_site)",
                        text, upn->suffix));
      }
      du = DomainUser{s->second, upn->user};
      if (!parse_domain_user(du->str())) {
        return reject(std::move(r), fmt::format("UPN '{}' gives '{}', which is not a valid "
                                                "DOMAIN\\user",
                                                text, du->str()));
      }
      r.steps.push_back(fmt::format("UPN {} mapped to {} by users.upn_suffixes ({} -> {})", text,
                                    du->str(), s->first, s->second));
    }
  }

  if (const auto it = policy.domains.find(ascii_lower(du->domain)); it != policy.domains.end()) {
    if (it->second != du->domain) {
      r.steps.push_back(
          fmt::format("domain {} mapped to {} by users.domains", du->domain, it->second));
      du->domain = it->second;
    }
  }
  if (auto d = apply_case(policy.domain_case, du->domain); d != du->domain) {
    r.steps.push_back(
        fmt::format("domain {} written {}case: {}", du->domain, to_string(policy.domain_case), d));
    du->domain = std::move(d);
  }
  if (auto n = apply_case(policy.name_case, du->user); n != du->user) {
    r.steps.push_back(
        fmt::format("user name {} written {}case: {}", du->user, to_string(policy.name_case), n));
    du->user = std::move(n);
  }

  const std::string account = du->str();
  if (policy.reject_machine_accounts && du->user.back() == '$') {
    return reject(
        std::move(r),
        fmt::format("{} is a machine account (name ends in $), never a primary user", account));
  }
  for (const auto& rule : policy.reject) {
    if (rule.pattern.matches(account)) {
      return reject(std::move(r), fmt::format("{} is a {} (users.reject pattern '{}')", account,
                                              rule.reason, rule.pattern.pattern()));
    }
  }
  r.user = std::move(du);
  return r;
}

}  // namespace uda
