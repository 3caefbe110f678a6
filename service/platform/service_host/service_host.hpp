#pragma once
// The Windows service host as a state machine over the ScmApi facade, so it
// is unit-tested on Linux.
//
//   START_PENDING (check point 1, 2, ... every tick)
//     -- runner calls ready() --> RUNNING (accepts STOP, PRESHUTDOWN, PARAMCHANGE)
//     -- STOP / PRESHUTDOWN --> STOP_PENDING (check point 1, 2, ...)
//     -- runner.run() returns --> STOPPED (exit code)
//   A stop that overruns stop_budget reports STOPPED with kStopTimeout and
//   calls on_stop_timeout (which ends the process).
//
// The agent runs on the service thread (the thread that calls
// service_main()). The control handler runs on the dispatcher thread and
// never waits for the agent: it records the request, reports the new state
// and asks the runner to stop or reload (both post to the agent's own loop).

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "platform/service_host/scm_api.hpp"

namespace uda::svc {

// What the host drives: the agent, seen from the SCM.
class ServiceRunner {
 public:
  virtual ~ServiceRunner() = default;
  // Loads the configuration, opens everything and runs until stopped, on the
  // calling thread. Calls ready() once, when it accepts and dispatches work.
  // Returns 0 after a clean stop, else an exit_code::k* value.
  virtual int run(const std::function<void()>& ready) = 0;
  // Thread-safe, must not block; may come before run() has opened anything.
  virtual void request_stop() = 0;
  // Thread-safe, must not block (SERVICE_CONTROL_PARAMCHANGE).
  virtual void request_reload() = 0;
};

struct HostOptions {
  std::string service_name = "UdaAgent";
  // One more check point per tick while START_PENDING or STOP_PENDING.
  std::chrono::milliseconds tick{1000};
  std::chrono::milliseconds start_wait_hint{10'000};
  std::chrono::milliseconds stop_wait_hint{10'000};
  // From the STOP/PRESHUTDOWN control to STOPPED; keep it under the
  // service's preshutdown timeout.
  std::chrono::milliseconds stop_budget{15'000};
  // Called (on the host's pump thread) after STOPPED was reported because
  // the runner overran stop_budget; must end the process. Default: nothing.
  std::function<void(int exit_code)> on_stop_timeout;
};

class ServiceHost {
 public:
  ServiceHost(ScmApi& scm, ServiceRunner& runner, HostOptions options);
  ~ServiceHost();
  ServiceHost(const ServiceHost&) = delete;
  ServiceHost& operator=(const ServiceHost&) = delete;

  // The body of ServiceMain: registers the handler, reports START_PENDING,
  // runs the agent, reports STOPPED. Returns the exit code.
  int service_main();
  // The control handler registered by service_main() (public for tests).
  std::uint32_t handle_control(std::uint32_t control, std::uint32_t event_type);

  State state() const;
  static constexpr std::uint32_t kAcceptedWhileRunning =
      accept::kStop | accept::kPreshutdown | accept::kParamChange;

 private:
  void on_ready();
  void pump();
  // All reports go through here, under mu_.
  void report_locked(State state, std::uint32_t accepted, int exit_code);
  void report_pending_locked();
  void report_stopped_locked(int exit_code);

  ScmApi& scm_;
  ServiceRunner& runner_;
  HostOptions opt_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  StatusHandle handle_ = 0;
  State state_ = State::Stopped;
  std::uint32_t check_point_ = 0;
  bool stop_requested_ = false;
  bool forced_stop_ = false;
  bool pump_exit_ = false;
  std::chrono::steady_clock::time_point stop_deadline_{};
  std::thread pump_;
};

// Entry point for `uda-agent run` on Windows: connects to the SCM as service
// `options.service_name`; when the process was not started by the SCM
// (ERROR_FAILED_SERVICE_CONTROLLER_CONNECT) runs console() instead.
// `as_service` (if given) tells which way it went.
int run_service_or_console(ScmApi& scm, ServiceRunner& runner, HostOptions options,
                           const std::function<int()>& console, bool* as_service = nullptr);

}  // namespace uda::svc
