#pragma once
// Case-insensitive wildcard patterns as admins write them in rules:
// '*' matches any run of characters (also none), '?' exactly one. Every other
// character is literal, the backslash included, so 'CONTOSO\svc_*' means what
// it says. Compiled once at load, matched without allocating.

#include <string>
#include <string_view>

#include "core/user_account.hpp"

namespace uda {

class Glob {
 public:
  Glob() = default;
  explicit Glob(std::string_view pattern);

  // Case-insensitive (ASCII) match of the whole text.
  [[nodiscard]] bool matches(std::string_view text) const {
    // Most patterns start with a letter, and most names a rule set tests do
    // not start with it: answered here, without the matcher.
    if (lead_ != '\0' && (text.empty() || ascii_lower_char(text.front()) != lead_)) return false;
    return match(text);
  }
  [[nodiscard]] const std::string& pattern() const { return pattern_; }
  // The first character every match starts with (lowercased), or '\0' when
  // the pattern starts with a wildcard.
  [[nodiscard]] char lead() const { return lead_; }

 private:
  std::string pattern_;  // as written
  std::string folded_;   // lowercased
  char lead_ = '\0';     // the first character when it is literal (lowercased)

  [[nodiscard]] bool match(std::string_view text) const;
};

}  // namespace uda
