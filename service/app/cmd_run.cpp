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
  if (cfg->provider.type == ProviderType::Simulated) {
    auto fixture = load_fixture(cfg->provider.simulated.fixture);
    if (!fixture) {
      report_error(fixture.error().message);
      return kBadInput;
    }
  }
  for (const auto& w : rules->warnings) fmt::print(stderr, "uda-agent: warning: {}\n", w);
  fmt::print("config {} is valid\n", g.config_path.string());
  fmt::print("  store:    {}\n", cfg->store.path.string());
  fmt::print("  rules:    {} ({} rules)\n", cfg->rules.path.string(), rules->rules.size());
  fmt::print("  provider: simulated (fixture {})\n", cfg->provider.simulated.fixture.string());
  if (cfg->http.enabled) {
    fmt::print("  http:     {} ({} token(s){}{})\n", cfg->http.local_url(), cfg->http.tokens.size(),
               cfg->http.allow_anonymous ? ", anonymous on loopback" : "",
               cfg->http.tls() ? ", TLS" : "");
  } else {
    fmt::print("  http:     off\n");
  }
  fmt::print("  spool:    {}\n", cfg->spool.enabled ? cfg->spool.dir.string() : std::string("off"));
  fmt::print("  dispatch: concurrency {}, max attempts {}, backoff {}..{}\n",
             cfg->dispatcher.concurrency, cfg->dispatcher.backoff.max_attempts,
             format_duration(cfg->dispatcher.backoff.base),
             format_duration(cfg->dispatcher.backoff.cap));
  return kOk;
}

}  // namespace uda::cli
