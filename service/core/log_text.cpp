#include "core/log_text.hpp"

#include <fmt/format.h>

namespace uda {

std::string log_printable(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      out += fmt::format("\\x{:02x}", u);
    } else if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else {
      out += c;
    }
  }
  return out;
}

std::string log_value(std::string_view s) {
  auto p = log_printable(s);
  if (!p.empty() && p.find_first_of(" =\"\\") == std::string::npos) return p;
  return "\"" + p + "\"";
}

}  // namespace uda
