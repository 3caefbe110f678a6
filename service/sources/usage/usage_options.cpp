#include "sources/usage/usage_options.hpp"

#include <fmt/format.h>

#include "core/trigger.hpp"
#include "core/user_account.hpp"

namespace uda {
namespace {

namespace fs = std::filesystem;
using yaml::Doc;

constexpr std::string_view kSection = "usage";

std::string key(std::string_view child) {
  return fmt::format("{}.{}", kSection, child);
}

}  // namespace

Expected<UsageOptions> parse_usage_options(const Doc& doc, const YAML::Node& node,
                                           const fs::path& base_dir) {
  UsageOptions o;
  o.enabled = true;
  // `usage:` with nothing under it: the poller with its defaults.
  if (!node || node.IsNull()) return o;
  if (auto st = yaml::check_keys(doc, node, kSection,
                                 {"interval", "page_size", "max_queries_per_minute", "state_path",
                                  "min_minutes", "origin"});
      !st) {
    return st.error();
  }

  if (const auto n = node["interval"]) {
    auto v = yaml::as_duration(doc, n, key("interval"), kUsageMinInterval, kUsageMaxInterval);
    if (!v) return v.error();
    o.interval = *v;
  }
  if (const auto n = node["page_size"]) {
    auto v = yaml::as_int(doc, n, key("page_size"), 1, kUsageMaxPageSize);
    if (!v) return v.error();
    o.page_size = static_cast<std::size_t>(*v);
  }
  if (const auto n = node["max_queries_per_minute"]) {
    auto v = yaml::as_int(doc, n, key("max_queries_per_minute"), 1, kUsageMaxQueriesPerMinute);
    if (!v) return v.error();
    o.max_queries_per_minute = static_cast<int>(*v);
  }
  if (const auto n = node["state_path"]) {
    auto v = yaml::as_string(doc, n, key("state_path"));
    if (!v) return v.error();
    if (trim(*v).empty()) {
      return yaml::error_at(doc, n, key("state_path"),
                            "must not be empty (leave the key out to keep the watermarks next "
                            "to the store)");
    }
    fs::path path(*v);
    if (path.is_relative()) path = base_dir / path;
    o.state_path = path.lexically_normal();
  }
  if (const auto n = node["min_minutes"]) {
    auto v = yaml::as_double(doc, n, key("min_minutes"), 0, kUsageMaxMinMinutes);
    if (!v) return v.error();
    o.min_minutes = *v;
  }
  if (const auto n = node["origin"]) {
    auto v = yaml::as_string(doc, n, key("origin"));
    if (!v) return v.error();
    if (trim(*v).empty()) return yaml::error_at(doc, n, key("origin"), "must not be empty");
    if (v->size() > kMaxOriginLength) {
      return yaml::error_at(doc, n, key("origin"),
                            fmt::format("at most {} characters", kMaxOriginLength));
    }
    o.origin = *v;
  }
  return o;
}

std::filesystem::path default_usage_state_path(const std::filesystem::path& store_path) {
  return store_path.parent_path() / std::string(kUsageDefaultStateFile);
}

}  // namespace uda
