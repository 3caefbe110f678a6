#pragma once
// Small shared pieces of the agent benchmarks: latency percentiles and the
// one JSON object each benchmark prints on stdout (scripts/bench.sh turns the
// objects into its table; progress goes to stderr).

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace uda::bench {

// Percentile p (0..1) of `v`, sorted in place; 0 when empty (nearest rank).
inline double percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const auto rank = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(rank, v.size() - 1)];
}

inline void print_result(const nlohmann::json& j) {
  std::printf("%s\n", j.dump().c_str());
  std::fflush(stdout);
}

}  // namespace uda::bench
