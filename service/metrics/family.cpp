#include "metrics/family.hpp"

#include <stdexcept>
#include <utility>

#include "metrics/exposition.hpp"

namespace uda::metrics {

std::string_view to_string(MetricType type) {
  switch (type) {
    case MetricType::Counter:
      return "counter";
    case MetricType::Gauge:
      return "gauge";
    case MetricType::Histogram:
      return "histogram";
  }
  return "untyped";
}

Family::Family(std::string name, std::string help, MetricType type,
               std::vector<std::string> label_names)
    : name_(std::move(name)),
      help_(std::move(help)),
      type_(type),
      label_names_(std::move(label_names)) {
  if (!is_valid_metric_name(name_)) {
    throw std::invalid_argument("metrics: invalid metric name '" + name_ + "'");
  }
  for (std::size_t i = 0; i < label_names_.size(); ++i) {
    const std::string& label = label_names_[i];
    if (!is_valid_label_name(label)) {
      throw std::invalid_argument("metrics: invalid label name '" + label + "' in " + name_);
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (label_names_[j] == label) {
        throw std::invalid_argument("metrics: label '" + label + "' given twice in " + name_);
      }
    }
  }
}

void Family::render(std::string& out) const {
  out += "# HELP ";
  out += name_;
  if (!help_.empty()) {
    out += ' ';
    append_escaped_help(out, help_);
  }
  out += "\n# TYPE ";
  out += name_;
  out += ' ';
  out += to_string(type_);
  out += '\n';
  render_samples(out);
}

void Family::append_sample(std::string& out, std::string_view suffix,
                           const std::vector<std::string>& label_values, double value,
                           std::string_view extra_label, std::string_view extra_value) const {
  out += name_;
  out += suffix;
  if (!label_names_.empty() || !extra_label.empty()) {
    out += '{';
    bool first = true;
    auto label = [&](std::string_view label_name, std::string_view label_value) {
      if (!first) out += ',';
      first = false;
      out += label_name;
      out += "=\"";
      append_escaped_label_value(out, label_value);
      out += '"';
    };
    for (std::size_t i = 0; i < label_names_.size() && i < label_values.size(); ++i) {
      label(label_names_[i], label_values[i]);
    }
    if (!extra_label.empty()) label(extra_label, extra_value);
    out += '}';
  }
  out += ' ';
  append_value(out, value);
  out += '\n';
}

}  // namespace uda::metrics
