#include "sources/spool/spool_options.hpp"

#include <fmt/format.h>

#include "core/trigger.hpp"
#include "core/user_account.hpp"

namespace uda {
namespace {

namespace fs = std::filesystem;
using yaml::Doc;

constexpr std::string_view kSection = "spool";

std::string key(std::string_view child) {
  return fmt::format("{}.{}", kSection, child);
}

}  // namespace

Expected<SpoolOptions> parse_spool_options(const Doc& doc, const YAML::Node& node,
                                           const fs::path& base_dir) {
  if (auto st = yaml::check_keys(doc, node, kSection,
                                 {"dir", "poll_interval", "settle", "max_file_size",
                                  "max_triggers_per_file", "max_files_per_scan", "origin"});
      !st) {
    return st.error();
  }
  SpoolOptions o;
  o.enabled = true;

  const auto dir = node["dir"];
  if (!dir) {
    return yaml::error_at(doc, node, key("dir"),
                          "missing: name the spool folder (inbox/, processed/ and rejected/ "
                          "are created under it), e.g. dir: ../var/spool");
  }
  auto d = yaml::as_string(doc, dir, key("dir"));
  if (!d) return d.error();
  if (trim(*d).empty()) return yaml::error_at(doc, dir, key("dir"), "must not be empty");
  fs::path path(*d);
  if (path.is_relative()) path = base_dir / path;
  o.dir = path.lexically_normal();

  if (const auto n = node["poll_interval"]) {
    auto v = yaml::as_duration(doc, n, key("poll_interval"), kSpoolMinPollInterval,
                               kSpoolMaxPollInterval);
    if (!v) return v.error();
    o.poll_interval = *v;
  }
  if (const auto n = node["settle"]) {
    auto v = yaml::as_duration(doc, n, key("settle"), Millis(0), kSpoolMaxSettle);
    if (!v) return v.error();
    o.settle = *v;
  }
  if (const auto n = node["max_file_size"]) {
    auto v = yaml::as_size(doc, n, key("max_file_size"), 1, kSpoolMaxFileSize);
    if (!v) return v.error();
    o.max_file_size = *v;
  }
  if (const auto n = node["max_triggers_per_file"]) {
    auto v = yaml::as_int(doc, n, key("max_triggers_per_file"), 1, kSpoolMaxTriggersPerFile);
    if (!v) return v.error();
    o.max_triggers_per_file = static_cast<std::size_t>(*v);
  }
  if (const auto n = node["max_files_per_scan"]) {
    auto v = yaml::as_int(doc, n, key("max_files_per_scan"), 1, kSpoolMaxFilesPerScan);
    if (!v) return v.error();
    o.max_files_per_scan = static_cast<std::size_t>(*v);
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

}  // namespace uda
