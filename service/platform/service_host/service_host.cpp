#include "platform/service_host/service_host.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "platform/service_host/exit_codes.hpp"

namespace uda::svc {

const char* to_string(State s) {
  switch (s) {
    case State::Stopped:
      return "stopped";
    case State::StartPending:
      return "start_pending";
    case State::StopPending:
      return "stop_pending";
    case State::Running:
      return "running";
    case State::ContinuePending:
      return "continue_pending";
    case State::PausePending:
      return "pause_pending";
    case State::Paused:
      return "paused";
  }
  return "unknown";
}

namespace exit_code {
const char* describe(int code) {
  switch (code) {
    case kOk:
      return "clean stop";
    case kConfig:
      return "configuration or rules error";
    case kStore:
      return "store or provider error";
    case kStoreLocked:
      return "another agent holds the store's lock";
    case kStopTimeout:
      return "stop did not finish within its budget";
    case kUnexpectedStop:
      return "the agent ended without being asked to stop";
    case kHandlerFailed:
      return "could not register the service control handler";
    default:
      return "error";
  }
}
}  // namespace exit_code

namespace {
std::uint32_t ms(std::chrono::milliseconds d) {
  return static_cast<std::uint32_t>(std::clamp<std::int64_t>(d.count(), 0, 0x7fffffff));
}
}  // namespace

ServiceHost::ServiceHost(ScmApi& scm, ServiceRunner& runner, HostOptions options)
    : scm_(scm), runner_(runner), opt_(std::move(options)) {
  if (opt_.tick <= std::chrono::milliseconds(0)) opt_.tick = std::chrono::milliseconds(1);
}

ServiceHost::~ServiceHost() {
  {
    std::lock_guard lk(mu_);
    pump_exit_ = true;
  }
  cv_.notify_all();
  if (pump_.joinable()) pump_.join();
}

State ServiceHost::state() const {
  std::lock_guard lk(mu_);
  return state_;
}

void ServiceHost::report_locked(State state, std::uint32_t accepted, int exit_code) {
  Status s;
  s.state = state;
  s.controls_accepted = accepted;
  if (exit_code != 0) {
    s.win32_exit_code = win32::kServiceSpecificError;
    s.service_exit_code = static_cast<std::uint32_t>(exit_code);
  }
  if (state == State::StartPending || state == State::StopPending) {
    s.check_point = ++check_point_;
    s.wait_hint_ms = ms(state == State::StartPending ? opt_.start_wait_hint : opt_.stop_wait_hint);
  } else {
    check_point_ = 0;
  }
  state_ = state;
  if (!scm_.set_status(handle_, s)) {
    spdlog::warn("service: SetServiceStatus({}) failed: error {}", to_string(state),
                 scm_.last_error());
  }
}

void ServiceHost::report_pending_locked() {
  report_locked(state_, 0, 0);
}

void ServiceHost::report_stopped_locked(int exit_code) {
  report_locked(State::Stopped, 0, exit_code);
}

int ServiceHost::service_main() {
  handle_ = scm_.register_handler(
      opt_.service_name, [this](std::uint32_t c, std::uint32_t e) { return handle_control(c, e); });
  if (handle_ == 0) {
    spdlog::critical("service: failed exit={} ({}): RegisterServiceCtrlHandlerExW error {}",
                     exit_code::kHandlerFailed, exit_code::describe(exit_code::kHandlerFailed),
                     scm_.last_error());
    return exit_code::kHandlerFailed;
  }
  {
    std::lock_guard lk(mu_);
    state_ = State::StartPending;
    report_pending_locked();
  }
  pump_ = std::thread([this] { pump(); });

  int code = runner_.run([this] { on_ready(); });

  std::unique_lock lk(mu_);
  if (code == exit_code::kOk && !stop_requested_) code = exit_code::kUnexpectedStop;
  if (forced_stop_) {
    // STOPPED was already reported; the process is on its way out.
    code = exit_code::kStopTimeout;
  } else {
    if (code == exit_code::kOk) {
      spdlog::info("service: stopped exit=0");
    } else {
      spdlog::error("service: failed exit={} ({})", code, exit_code::describe(code));
    }
    report_stopped_locked(code);
  }
  pump_exit_ = true;
  lk.unlock();
  cv_.notify_all();
  if (pump_.joinable()) pump_.join();
  return code;
}

void ServiceHost::on_ready() {
  std::lock_guard lk(mu_);
  if (state_ != State::StartPending) return;  // a stop came first
  report_locked(State::Running, kAcceptedWhileRunning, 0);
  spdlog::info("service: started (running; accepts stop, preshutdown, paramchange)");
}

std::uint32_t ServiceHost::handle_control(std::uint32_t control, std::uint32_t /*event_type*/) {
  switch (control) {
    case control::kStop:
    case control::kPreshutdown: {
      {
        std::lock_guard lk(mu_);
        if (state_ != State::StartPending && state_ != State::Running) return win32::kNoError;
        stop_requested_ = true;
        stop_deadline_ = std::chrono::steady_clock::now() + opt_.stop_budget;
        check_point_ = 0;
        state_ = State::StopPending;
        report_pending_locked();
      }
      spdlog::info("service: control={}: stopping (budget {} ms)",
                   control == control::kStop ? "stop" : "preshutdown", opt_.stop_budget.count());
      cv_.notify_all();
      runner_.request_stop();
      return win32::kNoError;
    }
    case control::kParamChange: {
      {
        std::lock_guard lk(mu_);
        if (state_ != State::Running) return win32::kServiceCannotAcceptCtrl;
      }
      spdlog::info("service: reload requested (paramchange)");
      runner_.request_reload();
      return win32::kNoError;
    }
    case control::kInterrogate:
      // The SCM already holds the last reported status.
      return win32::kNoError;
    default:
      // SHUTDOWN is not accepted: PRESHUTDOWN gives the agent its budget.
      return win32::kCallNotImplemented;
  }
}

void ServiceHost::pump() {
  using clock = std::chrono::steady_clock;
  std::unique_lock lk(mu_);
  auto next_tick = clock::now() + opt_.tick;
  while (!pump_exit_) {
    // Wake for the next check point, or for the stop deadline when that is
    // sooner; a notify (stop requested, exit) re-evaluates both.
    auto wake = next_tick;
    if (state_ == State::StopPending) wake = std::min(wake, stop_deadline_);
    cv_.wait_until(lk, wake);
    if (pump_exit_) break;
    const auto now = clock::now();
    if (state_ == State::StopPending && now >= stop_deadline_) {
      forced_stop_ = true;
      spdlog::error("service: failed exit={} ({}; budget {} ms)", exit_code::kStopTimeout,
                    exit_code::describe(exit_code::kStopTimeout), opt_.stop_budget.count());
      report_stopped_locked(exit_code::kStopTimeout);
      auto on_timeout = opt_.on_stop_timeout;
      lk.unlock();
      if (on_timeout) on_timeout(exit_code::kStopTimeout);
      return;
    }
    if (now >= next_tick) {
      if (state_ == State::StartPending || state_ == State::StopPending) report_pending_locked();
      next_tick = now + opt_.tick;
    }
  }
}

int run_service_or_console(ScmApi& scm, ServiceRunner& runner, HostOptions options,
                           const std::function<int()>& console, bool* as_service) {
  if (as_service != nullptr) *as_service = false;
  int code = exit_code::kOk;
  bool started = false;
  const std::string name = options.service_name;
  ServiceHost host(scm, runner, std::move(options));
  const std::uint32_t err = scm.start_dispatcher(name, [&](const std::vector<std::string>&) {
    started = true;
    code = host.service_main();
  });
  if (err == win32::kFailedServiceControllerConnect && !started) return console();
  if (as_service != nullptr) *as_service = true;
  if (err != win32::kNoError) {
    spdlog::critical("service: StartServiceCtrlDispatcherW failed: error {}", err);
    return started ? code : 1;
  }
  return code;
}

}  // namespace uda::svc
