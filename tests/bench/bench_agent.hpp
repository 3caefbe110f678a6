#pragma once
// The real uda-agent binary for the benchmarks: a private temp dir with a
// generated config, `uda-agent run` as a child process, its "ready" line, its
// peak memory (VmHWM), and a clean stop. No test framework: benchmarks only
// print figures.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>

namespace uda::bench {

class BenchAgent {
 public:
  // Creates a fresh temp dir "uda-bench-<name>-..." (removed by the destructor
  // unless UDA_BENCH_KEEP is set).
  explicit BenchAgent(const std::string& name);
  ~BenchAgent();
  BenchAgent(const BenchAgent&) = delete;
  BenchAgent& operator=(const BenchAgent&) = delete;

  [[nodiscard]] const std::filesystem::path& dir() const { return dir_; }
  [[nodiscard]] std::filesystem::path config_path() const { return dir_ / "uda-agent.yaml"; }
  [[nodiscard]] std::filesystem::path log_path() const { return dir_ / "var/uda-agent.log"; }
  [[nodiscard]] std::filesystem::path store_path() const { return dir_ / "var/uda-agent.db"; }
  void write_file(const std::string& rel, const std::string& text) const;

  // Starts `uda-agent --config <dir>/uda-agent.yaml run` and waits for its
  // " ready: " log line. Throws std::runtime_error when it exits or times out.
  void start(std::chrono::seconds timeout = std::chrono::seconds(120));
  // The API's base URL from the ready line ("http://127.0.0.1:PORT"), or "".
  [[nodiscard]] std::string http_url() const { return http_url_; }
  [[nodiscard]] pid_t pid() const { return pid_; }
  // Wall-clock ms (Unix epoch) just before the last start() spawned the process.
  [[nodiscard]] std::int64_t launched_at_ms() const { return launched_at_ms_; }
  [[nodiscard]] bool running() const { return pid_ > 0; }
  // A field of /proc/<pid>/status in KiB (VmHWM, VmRSS), or -1.
  [[nodiscard]] long status_kib(const std::string& field) const;
  // SIGTERM, then waits (SIGKILL after `grace`). Returns the exit code.
  int stop(std::chrono::seconds grace = std::chrono::seconds(60));
  [[nodiscard]] std::string log() const;

 private:
  std::filesystem::path dir_;
  pid_t pid_ = -1;
  std::int64_t launched_at_ms_ = 0;
  std::string http_url_;  // from the last start's ready line
};

// The agent binary this benchmark was built with.
std::filesystem::path agent_binary();
// The source tree (rules/default.yaml, ...).
std::filesystem::path source_dir();

// An environment knob: UDA_BENCH_<name>, or `fallback` when unset or empty.
long env_long(const char* name, long fallback);
double env_double(const char* name, double fallback);

// Wall-clock milliseconds since the Unix epoch (the store's time base).
std::int64_t unix_ms();

}  // namespace uda::bench
