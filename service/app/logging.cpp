#include "app/logging.hpp"

#include <fmt/format.h>
#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

namespace uda {

Status setup_logging(const LoggingConfig& cfg) {
  std::vector<spdlog::sink_ptr> sinks;
  if (cfg.console) sinks.push_back(std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
  if (!cfg.file.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(cfg.file.parent_path(), ec);
    try {
      sinks.push_back(std::make_shared<spdlog::sinks::rotating_file_sink_mt>(
          cfg.file.string(), cfg.max_size, static_cast<std::size_t>(cfg.max_files)));
    } catch (const spdlog::spdlog_ex& e) {
      return Error{fmt::format("logging.file: cannot open {}: {}", cfg.file.string(), e.what())};
    }
  }
  auto logger = std::make_shared<spdlog::logger>("uda-agent", sinks.begin(), sinks.end());
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %-5l %v", spdlog::pattern_time_type::utc);
  logger->set_level(spdlog::level::from_str(cfg.level));
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
  return Status::Ok();
}

void setup_cli_logging() {
  auto logger = std::make_shared<spdlog::logger>(
      "uda-agent", std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
  logger->set_pattern("%l: %v");
  logger->set_level(spdlog::level::warn);
  spdlog::set_default_logger(logger);
}

}  // namespace uda
