#pragma once
// Fills a store with pending jobs through the JobStore API, the way the
// agent makes them (a received trigger, then a Create decision), but in big
// transactions: triggers [first, first + count) of a BenchSite, one job each.

#include <cstdint>
#include <filesystem>

#include "bench_site.hpp"

namespace uda::bench {

struct PreloadResult {
  std::int64_t jobs = 0;  // jobs created
  double seconds = 0;     // wall time of the fill
};

// Creates the store when missing. Throws std::runtime_error on a store error.
PreloadResult preload_jobs(const std::filesystem::path& store_path, const BenchSite& site,
                           std::int64_t first, std::int64_t count, std::int64_t chunk = 50'000);

}  // namespace uda::bench
