#include "metrics/registry.hpp"

#include <array>
#include <stdexcept>
#include <utility>

namespace uda::metrics {
namespace {

constexpr std::array<std::string_view, 3> kHistogramSuffixes = {"_bucket", "_sum", "_count"};

[[noreturn]] void throw_incompatible(std::string_view name) {
  throw std::logic_error("metrics: '" + std::string(name) +
                         "' is already registered with a different type, labels or buckets");
}

}  // namespace

template <class F, class Compatible, class Make>
F& Registry::find_or_add(std::string_view name, Compatible compatible, Make make) {
  std::lock_guard lock(mu_);
  if (auto it = families_.find(name); it != families_.end()) {
    auto* existing = dynamic_cast<F*>(it->second.get());
    if (existing == nullptr || !compatible(*existing)) throw_incompatible(name);
    return *existing;
  }
  std::shared_ptr<F> family = make();  // validates the name and labels
  check_no_clash(name, family->type() == MetricType::Histogram);
  F& ref = *family;
  families_.emplace(std::string(name), std::move(family));
  return ref;
}

// A histogram "x" writes x_bucket, x_sum and x_count: no other family may use
// those names, and a histogram may not be named after their stem.
void Registry::check_no_clash(std::string_view name, bool is_histogram) const {
  for (std::string_view suffix : kHistogramSuffixes) {
    if (is_histogram && families_.contains(std::string(name) + std::string(suffix))) {
      throw_incompatible(std::string(name) + std::string(suffix));
    }
    if (name.ends_with(suffix)) {
      auto it = families_.find(name.substr(0, name.size() - suffix.size()));
      if (it != families_.end() && it->second->type() == MetricType::Histogram) {
        throw_incompatible(name);
      }
    }
  }
}

CounterFamily& Registry::counter(std::string_view name, std::string_view help,
                                 std::vector<std::string> label_names) {
  return find_or_add<CounterFamily>(
      name, [&](const CounterFamily& f) { return f.label_names() == label_names; },
      [&] {
        return std::make_shared<CounterFamily>(std::string(name), std::string(help), label_names,
                                               options_.max_series_per_family);
      });
}

GaugeFamily& Registry::gauge(std::string_view name, std::string_view help,
                             std::vector<std::string> label_names) {
  return find_or_add<GaugeFamily>(
      name, [&](const GaugeFamily& f) { return f.label_names() == label_names; },
      [&] {
        return std::make_shared<GaugeFamily>(std::string(name), std::string(help), label_names,
                                             options_.max_series_per_family);
      });
}

HistogramFamily& Registry::histogram(std::string_view name, std::string_view help,
                                     std::vector<std::string> label_names,
                                     std::vector<double> buckets) {
  // Build first so that the buckets are compared in their checked form.
  auto candidate = std::make_shared<HistogramFamily>(std::string(name), std::string(help),
                                                     std::move(label_names), std::move(buckets),
                                                     options_.max_series_per_family);
  return find_or_add<HistogramFamily>(
      name,
      [&](const HistogramFamily& f) {
        return f.label_names() == candidate->label_names() && f.buckets() == candidate->buckets();
      },
      [&] { return candidate; });
}

void Registry::gauge_fn(std::string_view name, std::string_view help, std::function<double()> fn) {
  if (!fn) throw std::invalid_argument("metrics: no callback for gauge " + std::string(name));
  gauge_family_fn(name, help, {}, [fn = std::move(fn)] {
    return std::vector<GaugeSample>{GaugeSample{{}, fn()}};
  });
}

void Registry::gauge_family_fn(std::string_view name, std::string_view help,
                               std::vector<std::string> label_names, GaugeSamplesFn fn) {
  find_or_add<CallbackGaugeFamily>(
      name,
      [&](const CallbackGaugeFamily&) -> bool {
        throw std::logic_error("metrics: callback gauge '" + std::string(name) +
                               "' is already registered (remove() it first)");
      },
      [&] {
        return std::make_shared<CallbackGaugeFamily>(std::string(name), std::string(help),
                                                     std::move(label_names), std::move(fn),
                                                     options_.max_series_per_family);
      });
}

bool Registry::remove(std::string_view name) {
  std::lock_guard lock(mu_);
  auto it = families_.find(name);
  if (it == families_.end()) return false;
  families_.erase(it);
  return true;
}

std::string Registry::render() const {
  std::vector<std::shared_ptr<const Family>> families;
  {
    std::lock_guard lock(mu_);
    families.reserve(families_.size());
    for (const auto& [name, family] : families_) families.push_back(family);
  }
  std::string out;
  for (const auto& family : families) family->render(out);
  return out;
}

}  // namespace uda::metrics
