#pragma once
// What every metric family has in common: a name, HELP text, a type and the
// names of its labels, and a way to write its samples in the text exposition
// format. The Registry owns families and writes the "# HELP" and "# TYPE"
// lines; each kind of family writes its own sample lines.

#include <string>
#include <string_view>
#include <vector>

namespace uda::metrics {

enum class MetricType { Counter, Gauge, Histogram };
std::string_view to_string(MetricType type);

class Family {
 public:
  Family(std::string name, std::string help, MetricType type, std::vector<std::string> label_names);
  virtual ~Family() = default;
  Family(const Family&) = delete;
  Family& operator=(const Family&) = delete;

  [[nodiscard]] const std::string& name() const { return name_; }
  [[nodiscard]] const std::string& help() const { return help_; }
  [[nodiscard]] MetricType type() const { return type_; }
  [[nodiscard]] const std::vector<std::string>& label_names() const { return label_names_; }

  // "# HELP", "# TYPE" and then every sample line, each ending in '\n'.
  void render(std::string& out) const;

 protected:
  // Appends the sample lines only.
  virtual void render_samples(std::string& out) const = 0;

  // Appends `<name><suffix>{l1="v1",...,extra_name="extra_value"} <value>\n`
  // (no braces when there are no labels at all).
  void append_sample(std::string& out, std::string_view suffix,
                     const std::vector<std::string>& label_values, double value,
                     std::string_view extra_label = {}, std::string_view extra_value = {}) const;

 private:
  std::string name_;
  std::string help_;
  MetricType type_;
  std::vector<std::string> label_names_;
};

}  // namespace uda::metrics
