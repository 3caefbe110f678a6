#include "platform/service_host/event_log_sink.hpp"

#include <fmt/format.h>

namespace uda::svc {

LogLevel to_log_level(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace:
      return LogLevel::Trace;
    case spdlog::level::debug:
      return LogLevel::Debug;
    case spdlog::level::info:
      return LogLevel::Info;
    case spdlog::level::warn:
      return LogLevel::Warn;
    case spdlog::level::err:
      return LogLevel::Error;
    case spdlog::level::critical:
      return LogLevel::Critical;
    default:
      return LogLevel::Trace;  // off / n_levels: never logged
  }
}

EventLogSink::EventLogSink(std::shared_ptr<EventLogApi> api, EventLogSinkOptions options)
    : api_(std::move(api)), opt_(std::move(options)) {
  handle_ = api_->register_source(opt_.source);
  window_start_ = opt_.now();
}

EventLogSink::~EventLogSink() {
  if (handle_ != 0) api_->deregister(handle_);
}

void EventLogSink::sink_it_(const spdlog::details::log_msg& msg) {
  const std::string_view text(msg.payload.data(), msg.payload.size());
  const auto cls = classify(to_log_level(msg.level), text);
  if (!cls) return;

  const auto now = opt_.now();
  if (now - window_start_ >= std::chrono::minutes(1)) {
    window_start_ = now;
    in_window_ = 0;
  }
  if (in_window_ >= opt_.max_per_minute) {
    ++suppressed_;
    ++suppressed_total_;
    return;
  }
  if (handle_ == 0) handle_ = api_->register_source(opt_.source);
  if (handle_ == 0) return;  // no Event Log: the file log still has the line

  std::string s(text.substr(0, opt_.max_message));
  if (text.size() > opt_.max_message) s += " ...";
  if (suppressed_ > 0) {
    s += fmt::format(" ({} earlier event(s) were not written: more than {} per minute)",
                     suppressed_, opt_.max_per_minute);
    suppressed_ = 0;
  }
  ++in_window_;
  if (api_->report(handle_, cls->type, static_cast<std::uint16_t>(cls->category),
                   static_cast<std::uint32_t>(cls->id), {s})) {
    ++written_;
  }
}

}  // namespace uda::svc
