#pragma once
// How the user named by a trigger becomes the DOMAIN\user that
// CreateRelationship wants (SMS_R_User.UniqueUserName), and which accounts are
// never made primary users. Configured in the `users:` section of the rules
// file; applied before any rule is tried, so rules see the normalised name.
//
// Steps, in order (each one taken is recorded for `rules explain`):
//   1. trim surrounding whitespace
//   2. a UPN is mapped: first users.upn_map (whole UPN -> DOMAIN\user), then
//      users.upn_suffixes (suffix -> NetBIOS domain, '*' = any suffix); with
//      neither, it is refused or (users.unmapped_upn: resolve_in_site) left
//      for the site to resolve, and the remaining steps do not apply
//   3. users.domains maps a domain as written to its NetBIOS name
//      (e.g. contoso.local -> CONTOSO)
//   4. letter case: domain upper (default) / lower / keep; name keep (default) / lower
//   5. rejections: machine accounts (name ends in '$') unless
//      reject_machine_accounts is false, then every users.reject pattern

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/user_account.hpp"
#include "rules/glob.hpp"

namespace uda {

enum class LetterCase { Keep, Upper, Lower };
std::string_view to_string(LetterCase c);

struct UserReject {
  Glob pattern;        // on DOMAIN\user, case-insensitive
  std::string reason;  // "service account"
};

struct UserPolicy {
  bool trim = true;
  LetterCase domain_case = LetterCase::Upper;
  LetterCase name_case = LetterCase::Keep;
  std::map<std::string, std::string, std::less<>> upn_map;       // lowercased UPN -> DOMAIN\user
  std::map<std::string, std::string, std::less<>> upn_suffixes;  // lowercased suffix -> DOMAIN
  std::map<std::string, std::string, std::less<>> domains;       // lowercased alias -> DOMAIN
  bool reject_machine_accounts = true;
  std::vector<UserReject> reject;
  // A UPN with no entry in upn_map or upn_suffixes: skipped (false), or passed
  // on for the site to resolve (SMS_R_User.UserPrincipalName) before the create.
  bool resolve_unmapped_upn_in_site = false;
};

struct NormalisedUser {
  std::optional<DomainUser> user;  // set unless rejected or left to the site
  std::optional<std::string> upn;  // a UPN left for the site to resolve (user is empty)
  std::string rejected;            // why not, a whole sentence; empty when accepted
  std::vector<std::string> steps;  // what was changed, in order
};

// Pure: no directory look-ups. The result is either a user or a reason.
NormalisedUser normalise_user(const UserPolicy& policy, std::string_view raw);

}  // namespace uda
