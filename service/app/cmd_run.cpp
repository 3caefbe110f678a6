#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "app/agent.hpp"
#include "app/cli_support.hpp"
#include "app/commands.hpp"
#include "app/logging.hpp"
#include "providers/simulated/options.hpp"
#include "rules/rules_loader.hpp"

namespace uda::cli {

int cmd_run(const Global& g) {
  auto cfg = load_config_or_report(g);
  if (!cfg) return kBadInput;
  if (auto st = setup_logging(cfg->logging); !st) {
    report_error(st.error().message);
    return kBadInput;
  }
  spdlog::info("uda-agent {} starting with config {}", UDA_VERSION, g.config_path.string());
  Agent agent(std::move(*cfg));
  return agent.run();
}

int cmd_check_config(const Global& g) {
  auto cfg = load_config_or_report(g);
  if (!cfg) return kBadInput;
  auto rules = load_rules_file(cfg->rules.path);
  if (!rules) {
    report_error(rules.error().message);
    return kBadInput;
  }
  std::string provider_line = std::string(to_string(cfg->provider.type));
  if (cfg->provider.type == ProviderType::Simulated) {
    auto fixture = load_fixture(cfg->provider.simulated.fixture);
    if (!fixture) {
      report_error(fixture.error().message);
      return kBadInput;
    }
    provider_line += " (fixture " + cfg->provider.simulated.fixture.string() + ")";
  } else if (cfg->provider.type == ProviderType::AdminService) {
    const auto& a = cfg->provider.adminservice;
    // The secret must be readable by whoever runs the agent; its content is not shown.
    const auto& secret = a.auth == adminservice::Auth::Ntlm     ? a.password_file
                         : a.auth == adminservice::Auth::Bearer ? a.token_file
                                                                : std::filesystem::path();
    if (!secret.empty()) {
      if (auto s = adminservice::read_secret(secret); !s) {
        report_error(s.error().message);
        return kBadInput;
      }
    }
    provider_line += fmt::format(" ({}, auth {}{})", a.url, to_string(a.auth),
                                 a.verify_tls ? "" : ", TLS NOT verified");
  }
  for (const auto& w : rules->warnings) fmt::print(stderr, "uda-agent: warning: {}\n", w);
  fmt::print("config {} is valid\n", g.config_path.string());
  fmt::print("  store:    {}\n", cfg->store.path.string());
  fmt::print("  rules:    {} ({} rules)\n", cfg->rules.path.string(), rules->rules.size());
  fmt::print("  provider: {}\n", provider_line);
  if (cfg->http.enabled) {
    fmt::print("  http:     {} ({} token(s){}{})\n", cfg->http.local_url(), cfg->http.tokens.size(),
               cfg->http.allow_anonymous ? ", anonymous on loopback" : "",
               cfg->http.tls() ? ", TLS" : "");
  } else {
    fmt::print("  http:     off\n");
  }
  fmt::print("  spool:    {}\n", cfg->spool.enabled ? cfg->spool.dir.string() : std::string("off"));
  if (cfg->usage.enabled) {
    fmt::print(
        "  usage:    every {}, {} devices per query, at most {} queries/min, watermarks {}\n",
        format_duration(cfg->usage.interval), cfg->usage.page_size,
        cfg->usage.max_queries_per_minute, cfg->usage.state_path.string());
  } else {
    fmt::print("  usage:    off\n");
  }
  fmt::print("  dispatch: concurrency {}, max attempts {}, backoff {}..{}\n",
             cfg->dispatcher.concurrency, cfg->dispatcher.backoff.max_attempts,
             format_duration(cfg->dispatcher.backoff.base),
             format_duration(cfg->dispatcher.backoff.cap));
  return kOk;
}

}  // namespace uda::cli
