#include "metrics/histogram.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <utility>

#include "metrics/exposition.hpp"

namespace uda::metrics {
namespace {

std::vector<double> checked_buckets(const std::string& name, std::vector<double> buckets) {
  if (!buckets.empty() && std::isinf(buckets.back()) && buckets.back() > 0) buckets.pop_back();
  for (std::size_t i = 0; i < buckets.size(); ++i) {
    if (!std::isfinite(buckets[i])) {
      throw std::invalid_argument("metrics: histogram " + name +
                                  " has a bucket that is not finite");
    }
    if (i > 0 && !(buckets[i - 1] < buckets[i])) {
      throw std::invalid_argument("metrics: histogram " + name +
                                  " buckets must be strictly increasing");
    }
  }
  return buckets;
}

}  // namespace

Histogram::Histogram(std::span<const double> bounds)
    : bounds_(bounds), counts_(std::make_unique<std::atomic<std::uint64_t>[]>(bounds.size() + 1)) {}

void Histogram::observe(double value) {
  const std::size_t index =
      std::isnan(value)
          ? bounds_.size()
          : static_cast<std::size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), value) -
                                     bounds_.begin());
  counts_[index].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(value, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::snapshot() const {
  Snapshot s;
  s.cumulative.reserve(bounds_.size() + 1);
  std::uint64_t running = 0;
  for (std::size_t i = 0; i <= bounds_.size(); ++i) {
    running += counts_[i].load(std::memory_order_relaxed);
    s.cumulative.push_back(running);
  }
  s.count = running;
  s.sum = sum_.load(std::memory_order_relaxed);
  return s;
}

HistogramFamily::HistogramFamily(std::string name, std::string help,
                                 std::vector<std::string> label_names, std::vector<double> buckets,
                                 std::size_t max_series)
    : Family(std::move(name), std::move(help), MetricType::Histogram, std::move(label_names)),
      buckets_(checked_buckets(this->name(), std::move(buckets))),
      series_(this->label_names().size(), max_series) {
  for (const std::string& label : this->label_names()) {
    if (label == "le") {
      throw std::invalid_argument("metrics: histogram " + this->name() +
                                  " may not have a label named 'le'");
    }
  }
  le_.reserve(buckets_.size() + 1);
  for (double bound : buckets_) le_.push_back(format_value(bound));
  le_.emplace_back("+Inf");
}

void HistogramFamily::render_samples(std::string& out) const {
  series_.for_each([&](const LabelValues& values, const Histogram& histogram) {
    const Histogram::Snapshot s = histogram.snapshot();
    for (std::size_t i = 0; i < s.cumulative.size(); ++i) {
      append_sample(out, "_bucket", values, static_cast<double>(s.cumulative[i]), "le", le_[i]);
    }
    append_sample(out, "_sum", values, s.sum);
    append_sample(out, "_count", values, static_cast<double>(s.count));
  });
}

}  // namespace uda::metrics
