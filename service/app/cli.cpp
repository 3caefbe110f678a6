#include "app/cli.hpp"

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <functional>

#include "app/commands.hpp"
#include "app/logging.hpp"
#include "platform/service_host/default_paths.hpp"

namespace uda {

int run_cli(int argc, char** argv) {
  CLI::App app{"uda-agent: keeps ConfigMgr user device affinity right, unattended", "uda-agent"};
  app.set_version_flag("--version", std::string("uda-agent ") + UDA_VERSION);
  app.require_subcommand(1);
  // Global options (--config) may also follow the command: `uda-agent run
  // --config X` is what `service install` writes into the service's command
  // line, and what admins type.
  app.fallthrough();

  cli::Global g;
  const char* env_config = std::getenv("UDA_AGENT_CONFIG");
  // Windows: ProgramData\UdaAgent\uda-agent.yaml (what the service uses).
  const auto platform_config = svc::default_config_path();
  const std::string default_config =
      platform_config ? platform_config->string() : std::string("config/uda-agent.yaml");
  std::string config = env_config != nullptr ? env_config : default_config;
  app.add_option("-c,--config", config,
                 "Agent configuration file (default: $UDA_AGENT_CONFIG or " + default_config + ")")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);  // a later --config overrides
  app.add_flag("--json", g.json, "Machine-readable JSON output");

  std::function<int()> action;
  auto* run = app.add_subcommand("run",
                                 "Run the agent in the foreground until SIGINT/SIGTERM "
                                 "(SIGHUP reloads the rules); on Windows also as the service");
  run->callback([&] { action = [&] { return cli::cmd_run_service(g); }; });

  cli::ServiceArgs service_args;
  auto* service = app.add_subcommand(
      "service", "Manage the Windows service UdaAgent (Windows only; needs an elevated prompt)");
  service->require_subcommand(1);
  auto* svc_install = service->add_subcommand(
      "install",
      "Create the service (delayed auto-start, restart on failure, preshutdown) and its Event "
      "Log source; a --config given here goes into the service's command line");
  svc_install->add_option("--account", service_args.account,
                          "Group managed service account DOMAIN\\name$ (default: the virtual "
                          "account NT SERVICE\\UdaAgent)");
  svc_install->add_option("--preshutdown-timeout", service_args.preshutdown_timeout,
                          "How long Windows waits for the agent at shutdown (default 30s)");
  auto* svc_uninstall =
      service->add_subcommand("uninstall", "Stop and delete the service and its Event Log source");
  auto* svc_start = service->add_subcommand("start", "Start the service and wait until it runs");
  auto* svc_stop = service->add_subcommand("stop", "Stop the service and wait until it stopped");
  auto* svc_status = service->add_subcommand("status", "Show the service's state, pid, exit code");
  for (auto* sub : {svc_uninstall, svc_start, svc_stop}) {
    sub->add_option("--wait", service_args.wait, "Wait at most this long (default 30s)");
  }
  for (auto* sub : {svc_install, svc_uninstall, svc_start, svc_stop, svc_status}) {
    sub->callback([&, sub] {
      service_args.action = sub->get_name();
      service_args.config_given = app.count("--config") > 0 || env_config != nullptr;
      action = [&] { return cli::cmd_service(g, service_args); };
    });
  }

  auto* check = app.add_subcommand("check-config",
                                   "Validate the configuration, rules and site "
                                   "fixture; exit non-zero with the first error");
  check->callback([&] { action = [&] { return cli::cmd_check_config(g); }; });

  auto* rules = app.add_subcommand("rules", "Work with the rule set");
  rules->require_subcommand(1);
  cli::ExplainArgs explain_args;
  auto* explain = rules->add_subcommand(
      "explain", "Show which rule a trigger matches and why the others did not");
  explain
      ->add_option("-t,--trigger", explain_args.trigger_file, "Trigger JSON file, or - for stdin")
      ->required();
  explain->add_option("-r,--rules", explain_args.rules_path,
                      "Rules file to use instead of the config's rules.path");
  explain->callback([&] { action = [&] { return cli::cmd_rules_explain(g, explain_args); }; });

  cli::SubmitArgs submit_args;
  auto* submit = app.add_subcommand("submit",
                                    "Hand a trigger to the agent (written durably to "
                                    "the store; the running agent picks it up)");
  submit->add_option("-k,--kind", submit_args.kind,
                     "enrollment | osd | usage | manual | discovery");
  submit->add_option("-m,--machine", submit_args.machine_id,
                     "Device ResourceID (SMS_R_System.ResourceID)");
  submit->add_option("--machine-name", submit_args.machine_name, "Device name (SMS_R_System.Name)");
  submit->add_option("-u,--user", submit_args.user, "DOMAIN\\user or user@upn.suffix");
  submit->add_option("-a,--attr", submit_args.attributes,
                     "Attribute key=value (numbers and true/false keep their type); repeatable");
  submit->add_option("--id", submit_args.id,
                     "Trigger id (default: generated); resubmitting the "
                     "same id is a no-op");
  submit->add_option("--origin", submit_args.origin, "Who is submitting (default: cli)");
  submit->add_option("-f,--file", submit_args.file,
                     "JSON file with one trigger or an array of them (- for stdin)");
  submit->add_flag("--direct", submit_args.direct,
                   "Write to the store instead of the HTTP API (the agent need not run)");
  submit->add_option("--url", submit_args.url,
                     "Agent API, e.g. https://sccm01.contoso.com:8700 (default: the config's "
                     "http.listen)");
  submit->add_option("--token-file", submit_args.token_file,
                     "File holding the API token (default: $UDA_AGENT_TOKEN)");
  submit->add_option("--ca-file", submit_args.ca_file, "PEM CA bundle to verify an https agent");
  submit->add_option("--wait", submit_args.wait,
                     "Keep retrying while the agent restarts or is busy, up to this long "
                     "(default 30s)");
  submit->add_option("--spool", submit_args.spool_dir,
                     "Write a spool file into DIR/inbox/ instead (DIR = the agent's spool.dir)");
  submit->callback([&] {
    submit_args.origin_given = submit->count("--origin") > 0;
    action = [&] { return cli::cmd_submit(g, submit_args); };
  });

  auto* token = app.add_subcommand("token", "API tokens for the HTTP inbound queue");
  token->require_subcommand(1);
  cli::TokenNewArgs token_args;
  auto* token_new = token->add_subcommand(
      "new", "Create a token: prints it once, and the hash to put in the config's http.tokens");
  token_new->add_option("-n,--name", token_args.name, "Token name (becomes origin http:<name>)")
      ->required();
  token_new
      ->add_option("-k,--kinds", token_args.kinds, "Trigger kinds it may submit (default: all)")
      ->delimiter(',');
  token_new->callback([&] { action = [&] { return cli::cmd_token_new(g, token_args); }; });

  auto* jobs =
      app.add_subcommand("jobs", "Inspect and steer queued work (safe while the agent runs)");
  jobs->require_subcommand(1);
  cli::JobsListArgs list_args;
  auto* jobs_list = jobs->add_subcommand("list", "List jobs, newest first");
  jobs_list->add_option("-s,--state", list_args.state,
                        "pending | leased | done | dead | cancelled");
  jobs_list->add_option("-n,--limit", list_args.limit, "At most this many (default 50)")
      ->check(CLI::Range(1, 100000));
  jobs_list->callback([&] { action = [&] { return cli::cmd_jobs_list(g, list_args); }; });
  std::int64_t job_id = 0;
  auto* jobs_show = jobs->add_subcommand("show", "One job with its attempts and triggers");
  jobs_show->add_option("id", job_id, "Job id")->required();
  jobs_show->callback([&] { action = [&] { return cli::cmd_jobs_show(g, job_id); }; });
  auto* jobs_retry = jobs->add_subcommand("retry", "Queue a dead or cancelled job again, now");
  jobs_retry->add_option("id", job_id, "Job id")->required();
  jobs_retry->callback([&] { action = [&] { return cli::cmd_jobs_retry(g, job_id); }; });
  auto* jobs_cancel = jobs->add_subcommand("cancel", "Cancel a pending or dead job");
  jobs_cancel->add_option("id", job_id, "Job id")->required();
  jobs_cancel->callback([&] { action = [&] { return cli::cmd_jobs_cancel(g, job_id); }; });

  auto* triggers = app.add_subcommand("triggers", "Received triggers and their decisions");
  triggers->require_subcommand(1);
  std::size_t trigger_limit = 50;
  auto* triggers_list = triggers->add_subcommand("list", "List triggers, newest first");
  triggers_list->add_option("-n,--limit", trigger_limit, "At most this many (default 50)")
      ->check(CLI::Range(1, 100000));
  triggers_list->callback(
      [&] { action = [&] { return cli::cmd_triggers_list(g, trigger_limit); }; });
  std::string trigger_id;
  auto* triggers_show = triggers->add_subcommand("show", "One trigger with its decision trace");
  triggers_show->add_option("id", trigger_id, "Trigger id")->required();
  triggers_show->callback([&] { action = [&] { return cli::cmd_triggers_show(g, trigger_id); }; });

  auto* rel = app.add_subcommand("relationships", "Relationships in the simulated site");
  rel->require_subcommand(1);
  std::optional<std::int64_t> rel_machine;
  auto* rel_list = rel->add_subcommand("list", "List SMS_UserMachineRelationship rows");
  rel_list->add_option("-m,--machine", rel_machine, "Only this ResourceID");
  rel_list->callback([&] { action = [&] { return cli::cmd_relationships_list(g, rel_machine); }; });

#ifdef _WIN32
  if (argc <= 1) {
    // The SCM starts the service's image path; without arguments, be the service.
    g.config_path = config;
    return cli::cmd_service_main_only(g);
  }
#endif
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  g.config_path = config;
  return action ? action() : cli::kBadInput;
}

}  // namespace uda
