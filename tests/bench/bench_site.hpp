#pragma once
// A simulated site big enough for the benchmarks: `devices` generated
// devices times `users` generated users, so job i gets its own
// (device, user) pair (distinct idempotency keys) for i < devices * users.

#include <cstdint>
#include <string>

namespace uda::bench {

struct BenchSite {
  std::int64_t devices = 1000;
  std::int64_t users = 1000;
  static constexpr std::uint32_t kFirstResourceId = 16777300;

  // The fixture YAML (provider.simulated.fixture) with a generate: section.
  [[nodiscard]] std::string fixture_yaml() const;
  // The device and user of job / trigger number i.
  [[nodiscard]] std::uint32_t resource_id(std::int64_t i) const;
  [[nodiscard]] std::string user_name(std::int64_t i) const;  // "userNNNNNN" (no domain)
  [[nodiscard]] std::string user(std::int64_t i) const;       // "CONTOSO\userNNNNNN"
};

}  // namespace uda::bench
