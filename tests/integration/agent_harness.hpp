#pragma once
// Runs the real uda-agent binary for integration tests: a private work dir
// with its own config, rules and simulated site; `run` as a child process;
// CLI commands with their output and exit code.

#include <sys/types.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace uda::test {

// Users CONTOSO\user001..user040 exist in tests/data/integration/site.yaml.
inline std::string user(int i) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "CONTOSO\\user%03d", i);
  return buf;
}

struct CommandResult {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

class AgentHarness {
 public:
  // `config_extra` is appended to the generated config under the given
  // top-level sections; `site_faults` lines go under provider.simulated.
  explicit AgentHarness(const std::string& name);
  ~AgentHarness();

  std::filesystem::path dir() const { return dir_; }
  std::filesystem::path config_path() const { return dir_ / "uda-agent.yaml"; }
  std::filesystem::path log_path() const { return dir_ / "var/uda-agent.log"; }

  // Writes uda-agent.yaml. `simulated_extra` lines are indented under
  // provider.simulated; `dispatcher` lines under dispatcher.
  void write_config(const std::string& simulated_extra = "", const std::string& dispatcher = "",
                    const std::string& rules_file = "rules.yaml");
  // Replaces the simulated provider of the next write_config() with this
  // whole `provider:` block (e.g. an adminservice one); simulated_extra is
  // then ignored.
  void set_provider(std::string yaml) { provider_ = std::move(yaml); }
  // Top-level sections appended to the next write_config() (e.g. "http:\n  ...").
  void set_sections(std::string yaml) { sections_ = std::move(yaml); }
  void write_file(const std::string& rel, const std::string& text);

  // Runs `uda-agent --config <cfg> args...` to completion (stdin from `input`).
  CommandResult cli(const std::vector<std::string>& args, const std::string& input = "") const;
  nlohmann::json cli_json(const std::vector<std::string>& args) const;

  // Starts `uda-agent run` in the background; waits until it logs "ready".
  void start();
  // Starts `uda-agent run` without waiting (e.g. to kill it while it starts
  // up); false when it could not be spawned. wait_ready() then waits for the
  // "ready" line logged after the launch, or for the process to exit (pid
  // cleared); true when it is ready.
  bool launch();
  bool wait_ready(std::chrono::milliseconds timeout = std::chrono::seconds(30));
  // The API's base URL from the last "ready" line ("http://127.0.0.1:PORT").
  std::string http_url() const;
  // Runs any program (curl, ...) to completion, in the work dir.
  CommandResult run_tool(const std::vector<std::string>& argv, const std::string& input = "") const;
  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }
  // Sends a signal; for SIGTERM/SIGINT/SIGKILL waits for exit and returns the status code.
  int stop(int sig);
  void signal(int sig) const;
  // Polls `check` every 50 ms until true or timeout; returns the last result.
  static bool wait_for(const std::function<bool()>& check,
                       std::chrono::milliseconds timeout = std::chrono::seconds(60));
  std::string log() const;
  std::size_t log_count(const std::string& needle) const;

  // Every job and trigger, as the CLI reports them.
  nlohmann::json jobs() const { return cli_json({"jobs", "list", "--limit", "100000"}); }
  nlohmann::json triggers() const { return cli_json({"triggers", "list", "--limit", "100000"}); }
  // True when every trigger has a terminal outcome (skipped, done, dead, cancelled).
  bool all_triggers_terminal(std::size_t expected) const;

 private:
  std::filesystem::path dir_;
  std::string sections_;
  std::string provider_;
  pid_t pid_ = -1;
  std::size_t ready_before_ = 0;  // " ready: " lines in the log before the last launch
};

std::filesystem::path agent_binary();

}  // namespace uda::test
