#include "metrics/counter.hpp"

#include <cmath>
#include <utility>

namespace uda::metrics {

void Counter::add(double n) {
  if (!(n > 0)) return;  // also false for NaN
  value_.fetch_add(n, std::memory_order_relaxed);
}

CounterFamily::CounterFamily(std::string name, std::string help,
                             std::vector<std::string> label_names, std::size_t max_series)
    : Family(std::move(name), std::move(help), MetricType::Counter, std::move(label_names)),
      series_(this->label_names().size(), max_series) {}

void CounterFamily::render_samples(std::string& out) const {
  series_.for_each([&](const LabelValues& values, const Counter& counter) {
    append_sample(out, "", values, counter.value());
  });
}

}  // namespace uda::metrics
