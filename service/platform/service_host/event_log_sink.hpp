#pragma once
// spdlog sink that writes to the Windows Application log under source
// "UdaAgent", through the EventLogApi facade. Each line is classified by
// classify() (event_ids.hpp): lines with an event go to the log with that id,
// type and category and the line's text as %1; other info/debug lines are
// dropped. At most max_per_minute events are written per minute; the next
// one after a burst says how many were left out.

#include <spdlog/sinks/base_sink.h>

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "platform/service_host/event_log_api.hpp"

namespace uda::svc {

struct EventLogSinkOptions {
  std::string source = std::string(kEventSource);
  std::size_t max_message = 8000;  // characters of %1 (ReportEventW allows 31,839)
  std::size_t max_per_minute = 120;
  std::function<std::chrono::steady_clock::time_point()> now = [] {
    return std::chrono::steady_clock::now();
  };
};

class EventLogSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit EventLogSink(std::shared_ptr<EventLogApi> api, EventLogSinkOptions options = {});
  ~EventLogSink() override;

  std::size_t written() const { return written_; }
  std::size_t suppressed_total() const { return suppressed_total_; }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override;
  void flush_() override {}

 private:
  std::shared_ptr<EventLogApi> api_;
  EventLogSinkOptions opt_;
  EventSourceHandle handle_ = 0;
  std::chrono::steady_clock::time_point window_start_{};
  std::size_t in_window_ = 0;
  std::size_t suppressed_ = 0;
  std::size_t suppressed_total_ = 0;
  std::size_t written_ = 0;
};

LogLevel to_log_level(spdlog::level::level_enum level);

}  // namespace uda::svc
