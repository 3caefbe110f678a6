#pragma once
// Counters: values that only go up (triggers received, requests refused). A
// CounterFamily is one metric name with label names; each distinct set of
// label values is one Counter. The hot path, adding to a label set that
// already exists, takes a shared lock and an atomic add, and does not allocate.
// Keep the Counter& from with() to skip even the lookup.

#include <atomic>
#include <cstddef>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "metrics/family.hpp"
#include "metrics/series_map.hpp"

namespace uda::metrics {

class Counter {
 public:
  // Negative and NaN amounts are ignored: a counter never goes down.
  void add(double n = 1);
  [[nodiscard]] double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class CounterFamily final : public Family {
 public:
  CounterFamily(std::string name, std::string help, std::vector<std::string> label_names,
                std::size_t max_series);

  // The counter for these label values (one per label name, in order). A wrong
  // number of values throws std::logic_error. Past the family's cap on label
  // sets, a new label set gets the shared "_other" counter.
  Counter& with(std::initializer_list<std::string_view> label_values) {
    return with(std::span<const std::string_view>(label_values.begin(), label_values.size()));
  }
  Counter& with(std::span<const std::string_view> label_values) {
    return series_.get(label_values);
  }

  void add(std::initializer_list<std::string_view> label_values, double n = 1) {
    with(label_values).add(n);
  }
  void add(std::span<const std::string_view> label_values, double n = 1) {
    with(label_values).add(n);
  }

  [[nodiscard]] std::size_t series_count() const { return series_.size(); }

 protected:
  void render_samples(std::string& out) const override;

 private:
  SeriesMap<Counter> series_;
};

}  // namespace uda::metrics
