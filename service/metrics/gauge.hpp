#pragma once
// Gauges that the code sets: values that go up and down (jobs in flight, the
// time of the last successful call). Same shape as CounterFamily: one Gauge
// per distinct set of label values, bounded by the family's cap. Values that
// are cheaper to read than to keep up to date belong in callback gauges
// (callback_gauge.hpp) instead.

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

class Gauge {
 public:
  void set(double v) { value_.store(v, std::memory_order_relaxed); }
  void add(double n) { value_.fetch_add(n, std::memory_order_relaxed); }
  [[nodiscard]] double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class GaugeFamily final : public Family {
 public:
  GaugeFamily(std::string name, std::string help, std::vector<std::string> label_names,
              std::size_t max_series);

  // See CounterFamily::with(): one value per label name, "_other" past the cap.
  Gauge& with(std::initializer_list<std::string_view> label_values) {
    return with(std::span<const std::string_view>(label_values.begin(), label_values.size()));
  }
  Gauge& with(std::span<const std::string_view> label_values) { return series_.get(label_values); }

  void set(std::initializer_list<std::string_view> label_values, double v) {
    with(label_values).set(v);
  }
  void set(std::span<const std::string_view> label_values, double v) { with(label_values).set(v); }
  void add(std::initializer_list<std::string_view> label_values, double n) {
    with(label_values).add(n);
  }
  void add(std::span<const std::string_view> label_values, double n) { with(label_values).add(n); }

  [[nodiscard]] std::size_t series_count() const { return series_.size(); }

 protected:
  void render_samples(std::string& out) const override;

 private:
  SeriesMap<Gauge> series_;
};

}  // namespace uda::metrics
