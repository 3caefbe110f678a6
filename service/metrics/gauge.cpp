#include "metrics/gauge.hpp"

#include <utility>

namespace uda::metrics {

GaugeFamily::GaugeFamily(std::string name, std::string help, std::vector<std::string> label_names,
                         std::size_t max_series)
    : Family(std::move(name), std::move(help), MetricType::Gauge, std::move(label_names)),
      series_(this->label_names().size(), max_series) {}

void GaugeFamily::render_samples(std::string& out) const {
  series_.for_each([&](const LabelValues& values, const Gauge& gauge) {
    append_sample(out, "", values, gauge.value());
  });
}

}  // namespace uda::metrics
