#include "metrics/callback_gauge.hpp"

#include <exception>
#include <map>
#include <stdexcept>
#include <utility>

#include "metrics/exposition.hpp"
#include "metrics/series_map.hpp"

namespace uda::metrics {

CallbackGaugeFamily::CallbackGaugeFamily(std::string name, std::string help,
                                         std::vector<std::string> label_names, GaugeSamplesFn fn,
                                         std::size_t max_series)
    : Family(std::move(name), std::move(help), MetricType::Gauge, std::move(label_names)),
      fn_(std::move(fn)),
      max_series_(max_series == 0 ? 1 : max_series) {
  if (!fn_) throw std::invalid_argument("metrics: no callback for gauge " + this->name());
}

void CallbackGaugeFamily::render_samples(std::string& out) const {
  std::vector<GaugeSample> samples;
  try {
    samples = fn_();
  } catch (const std::exception&) {
    return;  // a broken callback must not break the whole scrape
  }

  const std::size_t label_count = label_names().size();
  std::map<LabelValues, double, LabelValuesLess> merged;
  for (GaugeSample& sample : samples) {
    if (sample.label_values.size() != label_count) continue;
    LabelValues key;
    key.reserve(label_count);
    for (const std::string& v : sample.label_values) key.push_back(sanitize_label_value(v));
    auto it = merged.find(key);
    if (it == merged.end()) {
      if (merged.size() >= max_series_) key.assign(label_count, std::string(kOverflowLabelValue));
      it = merged.try_emplace(std::move(key), 0.0).first;
    }
    it->second += sample.value;
  }
  for (const auto& [values, value] : merged) append_sample(out, "", values, value);
}

}  // namespace uda::metrics
