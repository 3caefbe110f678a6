#include "rules/glob.hpp"

#include "core/user_account.hpp"

namespace uda {

Glob::Glob(std::string_view pattern) : pattern_(pattern), folded_(ascii_lower(pattern)) {
  if (!folded_.empty() && folded_.front() != '*' && folded_.front() != '?') lead_ = folded_.front();
}

bool Glob::match(std::string_view text) const {
  // Iterative matcher with one backtrack point (the last '*'): linear in
  // practice, never exponential, no recursion.
  const std::string_view p = folded_;
  std::size_t pi = 0;
  std::size_t ti = 0;
  std::size_t star = std::string_view::npos;
  std::size_t star_text = 0;
  while (ti < text.size()) {
    if (pi < p.size() && (p[pi] == '?' || p[pi] == ascii_lower_char(text[ti]))) {
      ++pi;
      ++ti;
    } else if (pi < p.size() && p[pi] == '*') {
      star = pi++;
      star_text = ti;
    } else if (star != std::string_view::npos) {
      pi = star + 1;
      ti = ++star_text;
    } else {
      return false;
    }
  }
  while (pi < p.size() && p[pi] == '*') ++pi;
  return pi == p.size();
}

}  // namespace uda
