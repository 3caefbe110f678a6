#pragma once
// The running agent: wires store -> decider (rules) -> dispatcher -> provider
// on one io_context and runs until asked to stop. Platform hosts (console,
// systemd, the Windows SCM) drive it through run() / request_stop() /
// request_reload().

#include <atomic>
#include <functional>
#include <memory>

#include "config/agent_config.hpp"
#include "core/asio.hpp"
#include "core/result.hpp"

namespace uda {

class Agent {
 public:
  explicit Agent(AgentConfig config);
  ~Agent();
  Agent(const Agent&) = delete;
  Agent& operator=(const Agent&) = delete;

  // Opens everything, runs until stopped. Returns the process exit code:
  // 0 clean stop, 2 configuration/rules error, 3 store or provider error.
  int run();
  // Thread-safe: ask a running agent to stop (finish or release in-flight
  // work within dispatcher.shutdown_deadline) / to reload its rules.
  void request_stop();
  void request_reload();
  // Called once the agent accepts and dispatches work (after start-up).
  void on_ready(std::function<void()> cb) { on_ready_ = std::move(cb); }
  // After run() returned 3: true when the store's instance lock could not be
  // taken (normally another agent runs on the same store).
  bool store_locked() const { return store_locked_; }

 private:
  struct Running;
  int run_until_stopped();
  Awaitable<void> stop_sequence();
  // HTTP API and spool folder (when configured), with the metrics behind them.
  Status start_inbound();
  void reload_rules();
  void purge();

  AgentConfig config_;
  asio::io_context io_;
  std::unique_ptr<Running> running_;
  std::atomic<bool> stop_requested_{false};
  std::function<void()> on_ready_;
  bool store_locked_ = false;
};

}  // namespace uda
