#include "bench_site.hpp"

#include <fmt/format.h>

namespace uda::bench {

std::string BenchSite::fixture_yaml() const {
  return fmt::format(
      "description: benchmark site (generated)\n"
      "devices: []\nusers: []\n"
      "generate:\n"
      "  devices: {{count: {}, first_resource_id: {}, name: 'PC-#######', first_number: 0}}\n"
      "  users: {{count: {}, name: 'CONTOSO\\user######', upn_suffix: contoso.com, "
      "first_number: 0}}\n",
      devices, kFirstResourceId, users);
}

std::uint32_t BenchSite::resource_id(std::int64_t i) const {
  return kFirstResourceId + static_cast<std::uint32_t>(i % devices);
}

std::string BenchSite::user_name(std::int64_t i) const {
  return fmt::format("user{:06}", (i / devices) % users);
}

std::string BenchSite::user(std::int64_t i) const {
  return "CONTOSO\\" + user_name(i);
}

}  // namespace uda::bench
