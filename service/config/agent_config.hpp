#pragma once
// The agent's configuration file (config/uda-agent.yaml). Strict: unknown keys
// and wrong types are errors with file:line:column; relative paths are
// resolved against the directory that holds the config file.

#include <cstdint>
#include <filesystem>
#include <string>

#include "core/result.hpp"
#include "core/time.hpp"
#include "dispatch/backoff.hpp"
#include "dispatch/circuit_breaker.hpp"
#include "providers/adminservice/options.hpp"
#include "providers/simulated/options.hpp"
#include "providers/wmi/options.hpp"
#include "sources/http/http_options.hpp"
#include "sources/spool/spool_options.hpp"
#include "sources/usage/usage_options.hpp"
#include "sources/wmi_events/wmi_events_options.hpp"

namespace uda {

struct StoreConfig {
  std::filesystem::path path;  // SQLite database file
  Millis busy_timeout{5000};
  Millis duplicate_window{Millis(24LL * 3600 * 1000)};
  Millis retention{Millis(30LL * 24 * 3600 * 1000)};  // finished rows older than this are purged
  Millis purge_interval{Millis(3600LL * 1000)};
};

struct RulesConfig {
  std::filesystem::path path;
};

enum class ProviderType { Simulated, AdminService, Wmi };
std::string_view to_string(ProviderType t);

struct ProviderConfig {
  ProviderType type = ProviderType::Simulated;
  SimulatedOptions simulated;
  adminservice::Options adminservice;
  wmi::Options wmi;  // parsed everywhere; used by the Windows build
};

struct DispatcherConfig {
  int concurrency = 8;               // calls in flight at once
  BackoffPolicy backoff;             // base, cap, max_attempts
  BreakerPolicy breaker;             // failure_threshold, open_for, max_open_for
  Millis lease{120'000};             // a claimed job is ours this long
  Millis call_timeout{60'000};       // one provider call; must be < lease
  Millis poll_interval{1000};        // look for due jobs at least this often
  Millis shutdown_deadline{10'000};  // finish in-flight calls within this, then release
  bool verify_before_create = true;  // check the relationship exists before creating it
};

struct IntakeConfig {
  Millis poll_interval{500};  // look for new triggers (e.g. from `uda-agent submit`) this often
  int batch = 256;            // decisions per transaction for triggers stored undecided
  // Group commit of triggers from the HTTP API and the spool folder.
  int commit_batch = 512;  // triggers per transaction at most
  int max_queue = 20'000;  // triggers waiting for a commit; beyond: 503 / retry later
  Millis commit_delay{0};  // how long a commit waits for more triggers to join it (0: at once)
};

struct LoggingConfig {
  std::string level = "info";  // trace | debug | info | warn | error
  std::filesystem::path file;  // rotating log file; empty = none
  std::uint64_t max_size = 10ULL * 1024 * 1024;
  int max_files = 5;
  bool console = true;
};

struct AgentConfig {
  std::filesystem::path source;  // the file it was read from
  StoreConfig store;
  RulesConfig rules;
  ProviderConfig provider;
  DispatcherConfig dispatcher;
  IntakeConfig intake;
  http::HttpOptions http;       // enabled when the section is present
  SpoolOptions spool;           // enabled when the section is present
  WmiEventsOptions wmi_events;  // Windows build only
  UsageOptions usage;           // enabled when the section is present
  LoggingConfig logging;
};

Expected<AgentConfig> load_config(const std::filesystem::path& path);
Expected<AgentConfig> load_config_text(const std::string& text, const std::string& name,
                                       const std::filesystem::path& base_dir);

}  // namespace uda
