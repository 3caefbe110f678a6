#include "app/cli_support.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>

namespace uda::cli {

void report_error(const std::string& message) {
  fmt::print(stderr, "uda-agent: {}\n", message);
}

std::optional<AgentConfig> load_config_or_report(const Global& g) {
  auto cfg = load_config(g.config_path);
  if (!cfg) {
    report_error(cfg.error().message);
    return std::nullopt;
  }
  return std::move(*cfg);
}

std::unique_ptr<JobStore> open_store_or_report(const AgentConfig& cfg, bool read_only) {
  StoreOptions so;
  so.path = cfg.store.path;
  so.busy_timeout = cfg.store.busy_timeout;
  so.duplicate_window = cfg.store.duplicate_window;
  so.read_only = read_only;
  auto store = JobStore::open(so);
  if (!store) {
    report_error(store.error().message);
    return nullptr;
  }
  return std::move(*store);
}

void print_table(const std::vector<std::string>& header,
                 const std::vector<std::vector<std::string>>& rows) {
  constexpr std::size_t kMaxCell = 60;
  auto cut = [](const std::string& s) {
    return s.size() <= kMaxCell ? s : s.substr(0, kMaxCell - 3) + "...";
  };
  std::vector<std::size_t> width(header.size());
  for (std::size_t i = 0; i < header.size(); ++i) width[i] = header[i].size();
  for (const auto& row : rows) {
    for (std::size_t i = 0; i < row.size() && i < width.size(); ++i) {
      width[i] = std::max(width[i], cut(row[i]).size());
    }
  }
  auto print_row = [&](const std::vector<std::string>& row) {
    std::string line;
    for (std::size_t i = 0; i < width.size(); ++i) {
      const std::string cell = i < row.size() ? cut(row[i]) : "";
      line += i + 1 < width.size() ? fmt::format("{:<{}}  ", cell, width[i]) : cell;
    }
    fmt::print("{}\n", line);
  };
  print_row(header);
  for (const auto& row : rows) print_row(row);
}

}  // namespace uda::cli
