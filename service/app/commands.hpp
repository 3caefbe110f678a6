#pragma once
// The CLI's commands, one file each. Every command returns the process exit
// code: 0 ok, 1 the thing asked for failed or was refused, 2 bad input or
// configuration (the message says what and where).

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace uda::cli {

inline constexpr int kOk = 0;
inline constexpr int kFailed = 1;
inline constexpr int kBadInput = 2;

struct Global {
  std::filesystem::path config_path;
  bool json = false;
};

int cmd_run(const Global& g);
// `run`: on Windows offers the process to the SCM first (ServiceHost) and
// runs in the console when it was not started by the SCM; elsewhere cmd_run.
int cmd_run_service(const Global& g);
// Windows, no command given: the SCM's way of starting us; else exit 2.
int cmd_service_main_only(const Global& g);
int cmd_check_config(const Global& g);

// `service install|uninstall|start|stop|status` (Windows only; exit 2 elsewhere).
struct ServiceArgs {
  std::string action;
  std::string account;              // install: DOMAIN\gmsa$ (default NT SERVICE\UdaAgent)
  std::string preshutdown_timeout;  // install: e.g. "30s"
  std::string wait;                 // start/stop/uninstall: e.g. "30s"
  bool config_given = false;        // install: put --config into the service's command line
};
int cmd_service(const Global& g, const ServiceArgs& a);

struct ExplainArgs {
  std::string trigger_file;  // path or "-"
  std::string rules_path;    // overrides the config's rules.path
};
int cmd_rules_explain(const Global& g, const ExplainArgs& a);

struct SubmitArgs {
  std::string kind;
  std::optional<std::int64_t> machine_id;
  std::string machine_name;
  std::string user;
  std::vector<std::string> attributes;  // key=value
  std::string id;
  std::string origin = "cli";
  std::string file;  // JSON trigger or array of triggers ("-" = stdin)
  bool origin_given = false;
  // Where to: the HTTP API (default when the config has http:), the store
  // (--direct, or no http: section), or a spool folder.
  bool direct = false;
  std::string url;         // overrides the config's http.listen
  std::string token_file;  // else $UDA_AGENT_TOKEN
  std::string ca_file;     // PEM bundle for https
  std::string wait;        // total retry time, e.g. "30s"
  std::string spool_dir;   // write a spool file to <dir>/inbox/
};

struct TokenNewArgs {
  std::string name;
  std::vector<std::string> kinds;
};
int cmd_token_new(const Global& g, const TokenNewArgs& a);
int cmd_submit(const Global& g, const SubmitArgs& a);

struct JobsListArgs {
  std::string state;
  std::size_t limit = 50;
};
int cmd_jobs_list(const Global& g, const JobsListArgs& a);
int cmd_jobs_show(const Global& g, std::int64_t id);
int cmd_jobs_retry(const Global& g, std::int64_t id);
int cmd_jobs_cancel(const Global& g, std::int64_t id);

int cmd_triggers_list(const Global& g, std::size_t limit);
int cmd_triggers_show(const Global& g, const std::string& id);

int cmd_relationships_list(const Global& g, std::optional<std::int64_t> machine);

}  // namespace uda::cli
