#pragma once
// The agent's Prometheus metrics registry: the families of counters, gauges
// and histograms that the /metrics endpoint of the HTTP API renders in the text
// exposition format 0.0.4 (see kContentType in exposition.hpp).
//
// Registration validates names. Registering a name again returns the existing
// family when it is compatible (same kind, label names and buckets; the first
// HELP text wins) and throws std::logic_error when it is not: that is a
// programming error. Callback gauges cannot be compatible with anything and
// throw when registered twice (remove() the old one first).
//
// Thread-safe. Families live as long as the registry or until remove(); the
// references returned stay valid that long. render() takes the registry lock
// only to list the families, so callbacks run outside it.

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "metrics/callback_gauge.hpp"
#include "metrics/counter.hpp"
#include "metrics/exposition.hpp"
#include "metrics/family.hpp"
#include "metrics/gauge.hpp"
#include "metrics/histogram.hpp"

namespace uda::metrics {

struct RegistryOptions {
  // Distinct label sets kept per family; beyond it new ones share "_other".
  std::size_t max_series_per_family = 1000;
};

class Registry {
 public:
  Registry() = default;
  explicit Registry(RegistryOptions options) : options_(options) {}

  CounterFamily& counter(std::string_view name, std::string_view help,
                         std::vector<std::string> label_names = {});
  GaugeFamily& gauge(std::string_view name, std::string_view help,
                     std::vector<std::string> label_names = {});
  HistogramFamily& histogram(std::string_view name, std::string_view help,
                             std::vector<std::string> label_names, std::vector<double> buckets);

  // One unlabelled gauge whose value is read at scrape time.
  void gauge_fn(std::string_view name, std::string_view help, std::function<double()> fn);
  // A labelled gauge family whose samples are read at scrape time.
  void gauge_family_fn(std::string_view name, std::string_view help,
                       std::vector<std::string> label_names, GaugeSamplesFn fn);

  // Forgets a family (e.g. a callback gauge whose owner is going away).
  // References to it become dangling. False if there was none.
  bool remove(std::string_view name);

  // Every family, sorted by name, each with "# HELP" and "# TYPE" lines and its
  // samples in a stable order.
  [[nodiscard]] std::string render() const;

 private:
  template <class F, class Compatible, class Make>
  F& find_or_add(std::string_view name, Compatible compatible, Make make);
  void check_no_clash(std::string_view name, bool is_histogram) const;

  RegistryOptions options_;
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<Family>, std::less<>> families_;
};

}  // namespace uda::metrics
