#pragma once
// Case-insensitive wildcard patterns as admins write them in rules:
// '*' matches any run of characters (also none), '?' exactly one. Every other
// character is literal, the backslash included, so 'CONTOSO\svc_*' means what
// it says. Compiled once at load, matched without allocating.

#include <string>
#include <string_view>

namespace uda {

class Glob {
 public:
  Glob() = default;
  explicit Glob(std::string_view pattern);

  // Case-insensitive (ASCII) match of the whole text.
  [[nodiscard]] bool matches(std::string_view text) const;
  [[nodiscard]] const std::string& pattern() const { return pattern_; }

 private:
  std::string pattern_;  // as written
  std::string folded_;   // lowercased
};

}  // namespace uda
