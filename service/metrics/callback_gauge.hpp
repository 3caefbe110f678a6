#pragma once
// Gauges read at scrape time from a callback: jobs by state, breaker state,
// queue depth, age of the oldest pending job. Nothing is stored between
// scrapes; the callback is called once per render(), outside the registry's
// lock, and may take its own locks (it must not call Registry::render()).
// Two scrapes at once call it from two threads at once.
//
// What the callback returns is treated like any other label input: values are
// cleaned, samples with the wrong number of label values are dropped, at most
// the family's cap of label sets is kept (the rest is summed into the "_other"
// series), samples with the same label set are summed, and the output is sorted.
// A callback that throws yields no samples for that scrape.

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "metrics/family.hpp"

namespace uda::metrics {

struct GaugeSample {
  std::vector<std::string> label_values;  // one per label name, in order
  double value = 0;
};

using GaugeSamplesFn = std::function<std::vector<GaugeSample>()>;

class CallbackGaugeFamily final : public Family {
 public:
  CallbackGaugeFamily(std::string name, std::string help, std::vector<std::string> label_names,
                      GaugeSamplesFn fn, std::size_t max_series);

 protected:
  void render_samples(std::string& out) const override;

 private:
  GaugeSamplesFn fn_;
  std::size_t max_series_;
};

}  // namespace uda::metrics
