#pragma once
// The series of one metric family, keyed by their label values, with a cap on
// how many distinct label sets it keeps. Label values come from untrusted input,
// so past the cap every new label set is counted into one overflow series whose
// values are all "_other", and memory stops growing. Values are cleaned
// (sanitize_label_value) before they become a key.
//
// Series are never removed, so a reference returned by get() stays valid for the
// life of the map. Looking up an existing, clean label set takes a shared lock
// and does not allocate; only a new label set takes the exclusive lock.

#include <algorithm>
#include <cstddef>
#include <iterator>
#include <map>
#include <mutex>
#include <shared_mutex>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "metrics/exposition.hpp"

namespace uda::metrics {

// Value of every label of the overflow series.
inline constexpr std::string_view kOverflowLabelValue = "_other";

// Orders label-value lists (vector<string>, span<const string_view>, ...) by
// their values, element by element.
struct LabelValuesLess {
  using is_transparent = void;
  template <class A, class B>
  bool operator()(const A& a, const B& b) const {
    return std::lexicographical_compare(
        std::begin(a), std::end(a), std::begin(b), std::end(b),
        [](std::string_view x, std::string_view y) { return x < y; });
  }
};

using LabelValues = std::vector<std::string>;

template <class Series>
class SeriesMap {
 public:
  SeriesMap(std::size_t label_count, std::size_t max_series)
      : label_count_(label_count), max_series_(max_series == 0 ? 1 : max_series) {}

  // The series for `values` (one per label name), created with `args` if new.
  // A wrong number of values is a programming error: std::logic_error.
  template <class... Args>
  Series& get(std::span<const std::string_view> values, const Args&... args) {
    if (values.size() != label_count_) {
      throw std::logic_error("metrics: expected " + std::to_string(label_count_) +
                             " label values, got " + std::to_string(values.size()));
    }
    const bool clean = std::all_of(values.begin(), values.end(),
                                   [](std::string_view v) { return is_clean_label_value(v); });
    if (clean) {
      std::shared_lock lock(mu_);
      if (auto it = series_.find(values); it != series_.end()) return it->second;
    }
    LabelValues key;
    key.reserve(values.size());
    for (std::string_view v : values) key.push_back(sanitize_label_value(v));

    std::unique_lock lock(mu_);
    if (auto it = series_.find(key); it != series_.end()) return it->second;
    if (series_.size() >= max_series_) key.assign(label_count_, std::string(kOverflowLabelValue));
    return series_.try_emplace(std::move(key), args...).first->second;
  }

  // Calls f(label_values, series) for every series, in label-value order.
  template <class F>
  void for_each(F&& f) const {
    std::shared_lock lock(mu_);
    for (const auto& [values, series] : series_) f(values, series);
  }

  [[nodiscard]] std::size_t size() const {
    std::shared_lock lock(mu_);
    return series_.size();
  }
  [[nodiscard]] std::size_t label_count() const { return label_count_; }
  [[nodiscard]] std::size_t max_series() const { return max_series_; }

 private:
  const std::size_t label_count_;
  const std::size_t max_series_;
  mutable std::shared_mutex mu_;
  std::map<LabelValues, Series, LabelValuesLess> series_;
};

}  // namespace uda::metrics
