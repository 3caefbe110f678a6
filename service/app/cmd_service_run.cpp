// `uda-agent run` as a Windows service: the agent behind the ServiceHost.
// On Windows, `run` first offers itself to the SCM and falls back to the
// console when the process was not started by it.
#include <fmt/format.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <condition_variable>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include "app/agent.hpp"
#include "app/commands.hpp"
#include "app/logging.hpp"
#include "platform/service_host/exit_codes.hpp"
#include "platform/service_host/service_host.hpp"

#ifdef _WIN32
// winsock2.h before windows.h: this file shares a unity batch with files that
// use Boost.Asio, which needs Winsock 2 (windows.h alone brings in winsock.h).
#include <winsock2.h>
// clang-format off
#include <windows.h>
// clang-format on

#include "platform/service_host/event_log_sink.hpp"
#endif

namespace uda::cli {

namespace {

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The agent seen from the service host. Config errors are logged with the
// "config: " prefix (Event Log id 200); PARAMCHANGE re-reads the config to
// check it and reloads the rules, on a worker thread (the control handler
// must not wait).
class AgentRunner final : public svc::ServiceRunner {
 public:
  // make_sink: the Event Log sink, made once run() starts (service mode only).
  AgentRunner(const Global& g, std::function<spdlog::sink_ptr()> make_sink)
      : g_(g), make_sink_(std::move(make_sink)) {}

  int run(const std::function<void()>& ready) override {
    if (make_sink_) extra_sink_ = make_sink_();
    use_bootstrap_logger();
    auto cfg = load_config(g_.config_path);
    if (!cfg) {
      spdlog::critical("config: {}", cfg.error().message);
      return svc::exit_code::kConfig;
    }
    if (auto st = setup_logging(cfg->logging); !st) {
      use_bootstrap_logger();
      spdlog::critical("config: {}", st.error().message);
      return svc::exit_code::kConfig;
    }
    add_extra_sink();
    config_text_ = read_file(g_.config_path);
    spdlog::info("uda-agent {} starting as service with config {}", UDA_VERSION,
                 g_.config_path.string());
    {
      std::lock_guard lk(mu_);
      if (stop_) return svc::exit_code::kOk;  // stopped while loading
      agent_ = std::make_unique<Agent>(std::move(*cfg));
      agent_->on_ready(ready);
    }
    std::thread reloader([this] { reload_loop(); });
    int code = agent_->run();
    {
      std::lock_guard lk(mu_);
      done_ = true;
    }
    cv_.notify_all();
    reloader.join();
    if (code == svc::exit_code::kStore && agent_->store_locked()) {
      code = svc::exit_code::kStoreLocked;
    }
    spdlog::default_logger()->flush();
    return code;
  }

  void request_stop() override {
    std::lock_guard lk(mu_);
    stop_ = true;
    if (agent_) agent_->request_stop();  // posts to the agent's loop
  }

  void request_reload() override {
    {
      std::lock_guard lk(mu_);
      reload_ = true;
    }
    cv_.notify_all();
  }

 private:
  void reload_loop() {
    std::unique_lock lk(mu_);
    for (;;) {
      cv_.wait(lk, [&] { return reload_ || done_; });
      if (done_) return;
      reload_ = false;
      lk.unlock();
      auto cfg = load_config(g_.config_path);
      if (!cfg) {
        spdlog::error("config: {} (the running configuration is kept; the rules are reloaded)",
                      cfg.error().message);
      } else if (read_file(g_.config_path) != config_text_) {
        spdlog::warn(
            "config: {} changed: the rules are reloaded now, other settings apply when the "
            "service restarts",
            g_.config_path.string());
      }
      lk.lock();
      if (agent_ && !done_) agent_->request_reload();
    }
  }

  void add_extra_sink() {
    if (extra_sink_) spdlog::default_logger()->sinks().push_back(extra_sink_);
  }
  // Before the config is read: stderr (nowhere for a service) + the extra sink.
  void use_bootstrap_logger() {
    auto logger = std::make_shared<spdlog::logger>(
        "uda-agent", std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %-5l %v", spdlog::pattern_time_type::utc);
    spdlog::set_default_logger(logger);
    add_extra_sink();
  }

  const Global& g_;
  std::function<spdlog::sink_ptr()> make_sink_;
  spdlog::sink_ptr extra_sink_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::unique_ptr<Agent> agent_;
  std::string config_text_;
  bool stop_ = false;
  bool reload_ = false;
  bool done_ = false;
};

}  // namespace

#ifdef _WIN32

namespace {

svc::HostOptions host_options(const Global& g) {
  svc::HostOptions o;
  o.service_name = "UdaAgent";
  // Stop budget: the dispatcher's shutdown deadline, 2 s for the last HTTP
  // answers, 3 s to close; keep it under the preshutdown timeout (30 s by
  // default at `service install`).
  Millis deadline{10'000};
  if (auto cfg = load_config(g.config_path)) deadline = cfg->dispatcher.shutdown_deadline;
  o.stop_budget = std::chrono::duration_cast<std::chrono::milliseconds>(deadline) +
                  std::chrono::milliseconds(5'000);
  o.stop_wait_hint = std::min(o.stop_budget, std::chrono::milliseconds(10'000));
  o.on_stop_timeout = [](int code) {
    // STOPPED is reported; leases left behind are re-armed at the next start.
    spdlog::default_logger()->flush();
    ExitProcess(static_cast<UINT>(code));
  };
  return o;
}

int dispatch(const Global& g, const std::function<int()>& console) {
  // A service never has a console window: skip the dispatcher's connection
  // attempt (Wine spends 10 s on it before ERROR_FAILED_SERVICE_CONTROLLER_CONNECT).
  if (GetConsoleWindow() != nullptr) return console();
  auto scm = svc::make_win32_scm_api();
  AgentRunner runner(g, []() -> spdlog::sink_ptr {
    return std::make_shared<svc::EventLogSink>(
        std::shared_ptr<svc::EventLogApi>(svc::make_win32_event_log_api()));
  });
  return svc::run_service_or_console(*scm, runner, host_options(g), console);
}

}  // namespace

int cmd_run_service(const Global& g) {
  return dispatch(g, [&] { return cmd_run(g); });
}

int cmd_service_main_only(const Global& g) {
  return dispatch(g, [] {
    fmt::print(stderr,
               "uda-agent: no command given (the Windows service runs `uda-agent run`); see "
               "uda-agent --help\n");
    return kBadInput;
  });
}

#else

int cmd_run_service(const Global& g) {
  return cmd_run(g);
}
int cmd_service_main_only(const Global&) {
  return kBadInput;
}

// Keeps the runner compiled (and warning-checked) on every platform.
[[maybe_unused]] std::unique_ptr<svc::ServiceRunner> make_agent_runner(const Global& g) {
  return std::make_unique<AgentRunner>(g, nullptr);
}

#endif

}  // namespace uda::cli
