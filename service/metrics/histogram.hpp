#pragma once
// Histograms with fixed buckets (request latency, CreateRelationship call
// time). Buckets are the upper bounds, strictly increasing and finite; the
// +Inf bucket is implicit (a trailing +Inf in the list is accepted and
// dropped). Exposition is the usual _bucket{le="..."} lines, cumulative and
// ending in le="+Inf", then _sum and _count. _count is derived from the bucket
// counts, so it always equals the +Inf bucket even while observations race.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "metrics/family.hpp"
#include "metrics/series_map.hpp"

namespace uda::metrics {

class Histogram {
 public:
  // `bounds` must outlive the histogram (its family keeps them).
  explicit Histogram(std::span<const double> bounds);

  // NaN goes to the +Inf bucket only (and makes the sum NaN), as in client_golang.
  void observe(double value);

  struct Snapshot {
    std::vector<std::uint64_t> cumulative;  // one per bound, then +Inf
    double sum = 0;
    std::uint64_t count = 0;
  };
  [[nodiscard]] Snapshot snapshot() const;

 private:
  std::span<const double> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> counts_;  // bounds_.size() + 1, not cumulative
  std::atomic<double> sum_{0};
};

class HistogramFamily final : public Family {
 public:
  // Throws std::invalid_argument for bad buckets or a label named "le".
  HistogramFamily(std::string name, std::string help, std::vector<std::string> label_names,
                  std::vector<double> buckets, std::size_t max_series);

  // See CounterFamily::with(): one value per label name, "_other" past the cap.
  Histogram& with(std::initializer_list<std::string_view> label_values) {
    return with(std::span<const std::string_view>(label_values.begin(), label_values.size()));
  }
  Histogram& with(std::span<const std::string_view> label_values) {
    return series_.get(label_values, std::span<const double>(buckets_));
  }

  void observe(std::initializer_list<std::string_view> label_values, double value) {
    with(label_values).observe(value);
  }
  void observe(std::span<const std::string_view> label_values, double value) {
    with(label_values).observe(value);
  }

  // Upper bounds without the implicit +Inf.
  [[nodiscard]] const std::vector<double>& buckets() const { return buckets_; }
  [[nodiscard]] std::size_t series_count() const { return series_.size(); }

 protected:
  void render_samples(std::string& out) const override;

 private:
  std::vector<double> buckets_;
  std::vector<std::string> le_;  // formatted bounds, then "+Inf"
  SeriesMap<Histogram> series_;
};

}  // namespace uda::metrics
