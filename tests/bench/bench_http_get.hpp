#pragma once
// One blocking GET over loopback (e.g. /metrics), for the benchmarks.

#include <string>

namespace uda::bench {

// `base_url` is "http://127.0.0.1:PORT". Returns the body; throws
// std::runtime_error on a connection error or a status other than 200.
std::string http_get(const std::string& base_url, const std::string& path);

// Sum of every series of a Prometheus counter in a /metrics text.
double metric_sum(const std::string& text, const std::string& name);

}  // namespace uda::bench
