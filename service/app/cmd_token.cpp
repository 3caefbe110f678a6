#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

#include "app/cli_support.hpp"
#include "app/commands.hpp"
#include "core/trigger.hpp"
#include "sources/http/token_auth.hpp"

namespace uda::cli {

int cmd_token_new(const Global& g, const TokenNewArgs& a) {
  const bool name_ok =
      !a.name.empty() && a.name.size() <= 64 &&
      std::all_of(a.name.begin(), a.name.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_' || c == '.';
      });
  if (!name_ok) {
    report_error(fmt::format("--name '{}': 1..64 letters, digits, '-', '_' or '.'", a.name));
    return kBadInput;
  }
  std::vector<std::string> kinds;
  for (const auto& k : a.kinds) {
    auto kind = parse_trigger_kind(k);
    if (!kind) {
      report_error(fmt::format("--kinds: '{}' is not one of {}", k, trigger_kind_choices()));
      return kBadInput;
    }
    kinds.emplace_back(to_string(*kind));
  }
  const std::string token = http::new_token();
  const std::string hash = http::to_string(http::hash_token(token));
  std::string kinds_yaml;
  if (!kinds.empty()) {
    kinds_yaml = ", kinds: [";
    for (std::size_t i = 0; i < kinds.size(); ++i) kinds_yaml += (i ? ", " : "") + kinds[i];
    kinds_yaml += "]";
  }
  if (g.json) {
    fmt::print("{}\n",
               nlohmann::json{{"name", a.name}, {"token", token}, {"hash", hash}, {"kinds", kinds}}
                   .dump());
    return kOk;
  }
  fmt::print("Token for '{}' (shown once; store it where only its client can read it):\n\n  {}\n\n",
             a.name, token);
  fmt::print("Add it to the agent config under http.tokens (only the hash is kept there):\n\n");
  fmt::print("    - {{name: {}, hash: '{}'{}}}\n\n", a.name, hash, kinds_yaml);
  fmt::print("Then restart the agent. Clients send: Authorization: Bearer <token>\n");
  return kOk;
}

}  // namespace uda::cli
