#include "config/agent_config.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "core/yaml_util.hpp"

namespace uda {
namespace {

using yaml::Doc;

std::filesystem::path resolve(const std::filesystem::path& base, const std::string& p) {
  std::filesystem::path path(p);
  if (path.is_relative()) path = base / path;
  return path.lexically_normal();
}

// Reads `key` of `map` into `out` with `read` when present; errors propagate.
#define UDA_READ(map, key, out, expr)       \
  if (const auto node = (map)[key]; node) { \
    auto value = (expr);                    \
    if (!value) return value.error();       \
    (out) = *value;                         \
  }

Status parse_store(const Doc& doc, const YAML::Node& n, const std::filesystem::path& base,
                   StoreConfig& out) {
  if (auto st = yaml::check_keys(
          doc, n, "store",
          {"path", "busy_timeout", "duplicate_window", "retention", "purge_interval"});
      !st) {
    return st;
  }
  if (const auto node = n["path"]; node) {
    auto s = yaml::as_string(doc, node, "store.path");
    if (!s) return s.error();
    if (s->empty()) return yaml::error_at(doc, node, "store.path", "must not be empty");
    out.path = resolve(base, *s);
  }
  UDA_READ(n, "busy_timeout", out.busy_timeout,
           yaml::as_duration(doc, node, "store.busy_timeout", Millis(0), Millis(600'000)));
  UDA_READ(n, "duplicate_window", out.duplicate_window,
           yaml::as_duration(doc, node, "store.duplicate_window", Millis(0),
                             Millis(365LL * 86'400'000)));
  UDA_READ(n, "retention", out.retention,
           yaml::as_duration(doc, node, "store.retention", Millis(3'600'000),
                             Millis(3650LL * 86'400'000)));
  UDA_READ(
      n, "purge_interval", out.purge_interval,
      yaml::as_duration(doc, node, "store.purge_interval", Millis(1000), Millis(7LL * 86'400'000)));
  return Status::Ok();
}

Status parse_dispatcher(const Doc& doc, const YAML::Node& n, DispatcherConfig& out) {
  if (auto st = yaml::check_keys(
          doc, n, "dispatcher",
          {"concurrency", "max_attempts", "backoff", "circuit_breaker", "lease", "call_timeout",
           "poll_interval", "shutdown_deadline", "verify_before_create"});
      !st) {
    return st;
  }
  UDA_READ(n, "concurrency", out.concurrency,
           yaml::as_int(doc, node, "dispatcher.concurrency", 1, 1024));
  UDA_READ(n, "max_attempts", out.backoff.max_attempts,
           yaml::as_int(doc, node, "dispatcher.max_attempts", 1, 1000));
  if (const auto b = n["backoff"]; b) {
    if (auto st = yaml::check_keys(doc, b, "dispatcher.backoff", {"base", "cap"}); !st) return st;
    UDA_READ(b, "base", out.backoff.base,
             yaml::as_duration(doc, node, "dispatcher.backoff.base", Millis(1), Millis(3'600'000)));
    UDA_READ(b, "cap", out.backoff.cap,
             yaml::as_duration(doc, node, "dispatcher.backoff.cap", Millis(1),
                               Millis(7LL * 86'400'000)));
    if (out.backoff.cap < out.backoff.base) {
      return yaml::error_at(
          doc, b, "dispatcher.backoff",
          fmt::format("cap ({}) must be >= base ({})", format_duration(out.backoff.cap),
                      format_duration(out.backoff.base)));
    }
  }
  if (const auto c = n["circuit_breaker"]; c) {
    if (auto st = yaml::check_keys(doc, c, "dispatcher.circuit_breaker",
                                   {"failure_threshold", "open_for", "max_open_for"});
        !st) {
      return st;
    }
    UDA_READ(c, "failure_threshold", out.breaker.failure_threshold,
             yaml::as_int(doc, node, "dispatcher.circuit_breaker.failure_threshold", 1, 10'000));
    UDA_READ(c, "open_for", out.breaker.open_for,
             yaml::as_duration(doc, node, "dispatcher.circuit_breaker.open_for", Millis(10),
                               Millis(86'400'000)));
    UDA_READ(c, "max_open_for", out.breaker.max_open_for,
             yaml::as_duration(doc, node, "dispatcher.circuit_breaker.max_open_for", Millis(10),
                               Millis(86'400'000)));
    if (out.breaker.max_open_for < out.breaker.open_for) {
      out.breaker.max_open_for = out.breaker.open_for;
    }
  }
  UDA_READ(n, "lease", out.lease,
           yaml::as_duration(doc, node, "dispatcher.lease", Millis(1000), Millis(86'400'000)));
  UDA_READ(n, "call_timeout", out.call_timeout,
           yaml::as_duration(doc, node, "dispatcher.call_timeout", Millis(100), Millis(3'600'000)));
  UDA_READ(n, "poll_interval", out.poll_interval,
           yaml::as_duration(doc, node, "dispatcher.poll_interval", Millis(10), Millis(600'000)));
  UDA_READ(
      n, "shutdown_deadline", out.shutdown_deadline,
      yaml::as_duration(doc, node, "dispatcher.shutdown_deadline", Millis(0), Millis(600'000)));
  UDA_READ(n, "verify_before_create", out.verify_before_create,
           yaml::as_bool(doc, node, "dispatcher.verify_before_create"));
  if (out.call_timeout >= out.lease) {
    return yaml::error_at(
        doc, n, "dispatcher",
        fmt::format("call_timeout ({}) must be shorter than lease ({}), or a "
                    "slow call could be claimed again while it runs",
                    format_duration(out.call_timeout), format_duration(out.lease)));
  }
  return Status::Ok();
}

Status parse_logging(const Doc& doc, const YAML::Node& n, const std::filesystem::path& base,
                     LoggingConfig& out) {
  if (auto st = yaml::check_keys(doc, n, "logging",
                                 {"level", "file", "max_size", "max_files", "console"});
      !st) {
    return st;
  }
  if (const auto node = n["level"]; node) {
    auto s = yaml::as_string(doc, node, "logging.level");
    if (!s) return s.error();
    static const std::array<std::string_view, 6> kLevels{"trace", "debug", "info",
                                                         "warn",  "error", "off"};
    if (std::find(kLevels.begin(), kLevels.end(), *s) == kLevels.end()) {
      return yaml::error_at(
          doc, node, "logging.level",
          fmt::format("'{}' is not one of trace, debug, info, warn, error, off", *s));
    }
    out.level = *s;
  }
  if (const auto node = n["file"]; node) {
    auto s = yaml::as_string(doc, node, "logging.file");
    if (!s) return s.error();
    out.file = s->empty() ? std::filesystem::path{} : resolve(base, *s);
  }
  UDA_READ(n, "max_size", out.max_size,
           yaml::as_size(doc, node, "logging.max_size", 64ULL * 1024, 1024ULL * 1024 * 1024));
  UDA_READ(n, "max_files", out.max_files, yaml::as_int(doc, node, "logging.max_files", 1, 100));
  UDA_READ(n, "console", out.console, yaml::as_bool(doc, node, "logging.console"));
  return Status::Ok();
}

}  // namespace

std::string_view to_string(ProviderType t) {
  switch (t) {
    case ProviderType::Simulated:
      return "simulated";
    case ProviderType::AdminService:
      return "adminservice";
    case ProviderType::Wmi:
      return "wmi";
  }
  return "?";
}

Expected<AgentConfig> load_config_text(const std::string& text, const std::string& name,
                                       const std::filesystem::path& base_dir) {
  auto root = yaml::load_single(text, name);
  if (!root) return root.error();
  const Doc doc{name};
  const YAML::Node& n = *root;
  if (!n.IsMap()) {
    return yaml::error_at(doc, n, "", "the config must be a map with store, rules, provider, ...");
  }
  if (auto st = yaml::check_keys(doc, n, "",
                                 {"store", "rules", "provider", "dispatcher", "intake", "http",
                                  "spool", "usage", "wmi_events", "logging"});
      !st) {
    return st.error();
  }
  AgentConfig cfg;
  cfg.source = name;
  cfg.store.path = resolve(base_dir, "uda-agent.db");
  cfg.rules.path = resolve(base_dir, "rules.yaml");

  if (const auto s = n["store"]; s) {
    if (auto st = parse_store(doc, s, base_dir, cfg.store); !st) return st.error();
  }
  if (const auto r = n["rules"]; r) {
    if (auto st = yaml::check_keys(doc, r, "rules", {"path"}); !st) return st.error();
    if (const auto node = r["path"]; node) {
      auto s = yaml::as_string(doc, node, "rules.path");
      if (!s) return s.error();
      if (s->empty()) return yaml::error_at(doc, node, "rules.path", "must not be empty");
      cfg.rules.path = resolve(base_dir, *s);
    }
  }
  const auto p = n["provider"];
  if (!p) {
    return yaml::error_at(doc, n, "provider",
                          "missing: add 'provider: {type: simulated, simulated: {...}}'");
  }
  if (auto st = yaml::check_keys(doc, p, "provider", {"type", "simulated", "adminservice", "wmi"});
      !st) {
    return st.error();
  }
  const auto type_node = p["type"];
  if (!type_node) {
    return yaml::error_at(doc, p, "provider.type",
                          "missing: set it to simulated, adminservice or wmi");
  }
  auto type = yaml::as_string(doc, type_node, "provider.type");
  if (!type) return type.error();
  // Only the selected provider's section is read; the others may stay in the
  // file (handy when switching) but must still be maps.
  if (*type == "simulated") {
    cfg.provider.type = ProviderType::Simulated;
    const auto sim = p["simulated"];
    if (!sim) {
      return yaml::error_at(doc, p, "provider.simulated",
                            "missing: the simulated site needs at least a fixture");
    }
    auto opts = parse_simulated_options(doc, sim, base_dir);
    if (!opts) return opts.error();
    cfg.provider.simulated = std::move(*opts);
  } else if (*type == "adminservice") {
    cfg.provider.type = ProviderType::AdminService;
    const auto as = p["adminservice"];
    if (!as) {
      return yaml::error_at(doc, p, "provider.adminservice",
                            "missing: give at least url (https://<SMS Provider>)");
    }
    auto opts = adminservice::parse_options(doc, as, base_dir);
    if (!opts) return opts.error();
    cfg.provider.adminservice = std::move(*opts);
  } else if (*type == "wmi") {
    // Validated everywhere (check-config on Linux can vet a Windows config),
    // used only where WMI exists.
    const auto w = p["wmi"];
    auto opts = w ? wmi::parse_options(doc, w) : Expected<wmi::Options>(wmi::Options{});
    if (!opts) return opts.error();
#ifdef _WIN32
    cfg.provider.type = ProviderType::Wmi;
    cfg.provider.wmi = std::move(*opts);
#else
    return yaml::error_at(doc, type_node, "provider.type",
                          "'wmi' needs the Windows build of uda-agent (WMI is a Windows API); on "
                          "Linux use adminservice");
#endif
  } else {
    return yaml::error_at(doc, type_node, "provider.type",
                          fmt::format("'{}' is not one of simulated, adminservice, wmi", *type));
  }
  if (const auto d = n["dispatcher"]; d) {
    if (auto st = parse_dispatcher(doc, d, cfg.dispatcher); !st) return st.error();
  }
  if (const auto i = n["intake"]; i) {
    if (auto st = yaml::check_keys(
            doc, i, "intake",
            {"poll_interval", "batch", "commit_batch", "max_queue", "commit_delay"});
        !st) {
      return st.error();
    }
    if (const auto node = i["commit_batch"]; node) {
      auto v = yaml::as_int(doc, node, "intake.commit_batch", 1, 100'000);
      if (!v) return v.error();
      cfg.intake.commit_batch = static_cast<int>(*v);
    }
    if (const auto node = i["max_queue"]; node) {
      auto v = yaml::as_int(doc, node, "intake.max_queue", 1, 10'000'000);
      if (!v) return v.error();
      cfg.intake.max_queue = static_cast<int>(*v);
    }
    if (const auto node = i["commit_delay"]; node) {
      auto v = yaml::as_duration(doc, node, "intake.commit_delay", Millis(0), Millis(1000));
      if (!v) return v.error();
      cfg.intake.commit_delay = *v;
    }
    if (const auto node = i["poll_interval"]; node) {
      auto v = yaml::as_duration(doc, node, "intake.poll_interval", Millis(10), Millis(600'000));
      if (!v) return v.error();
      cfg.intake.poll_interval = *v;
    }
    if (const auto node = i["batch"]; node) {
      auto v = yaml::as_int(doc, node, "intake.batch", 1, 10'000);
      if (!v) return v.error();
      cfg.intake.batch = static_cast<int>(*v);
    }
  }
  if (const auto h = n["http"]; h) {
    auto http = http::parse_http_options(doc, h, base_dir);
    if (!http) return http.error();
    cfg.http = std::move(*http);
  }
  if (const auto sp = n["spool"]; sp) {
    auto spool = parse_spool_options(doc, sp, base_dir);
    if (!spool) return spool.error();
    cfg.spool = std::move(*spool);
  }
  if (const auto w = n["wmi_events"]; w) {
    // Validated everywhere (check-config on Linux can vet a Windows config),
    // run only where WMI exists.
    auto events = parse_wmi_events_options(doc, w);
    if (!events) return events.error();
#ifdef _WIN32
    cfg.wmi_events = std::move(*events);
#else
    return yaml::error_at(doc, w, "wmi_events",
                          "the section is valid, but WMI event queries need the Windows build of "
                          "uda-agent running on or next to the SMS Provider; on Linux remove it "
                          "and use the usage poller (usage:), the HTTP API or the spool folder");
#endif
  }
  if (const auto u = n["usage"]; u) {
    auto usage = parse_usage_options(doc, u, base_dir);
    if (!usage) return usage.error();
    cfg.usage = std::move(*usage);
    cfg.usage.call_timeout = cfg.dispatcher.call_timeout;
    if (cfg.usage.state_path.empty()) {
      cfg.usage.state_path = default_usage_state_path(cfg.store.path);
    }
    if (cfg.usage.page_size > static_cast<std::size_t>(cfg.intake.max_queue)) {
      return yaml::error_at(doc, u, "usage.page_size",
                            fmt::format("{} is more than intake.max_queue ({}): such a page could "
                                        "never be committed; lower it or raise intake.max_queue",
                                        cfg.usage.page_size, cfg.intake.max_queue));
    }
  }
  if (cfg.http.enabled && cfg.http.max_batch > static_cast<std::size_t>(cfg.intake.max_queue)) {
    return yaml::error_at(doc, n["http"], "http.max_batch",
                          fmt::format("{} is more than intake.max_queue ({}): such a request could "
                                      "never be committed; lower it or raise intake.max_queue",
                                      cfg.http.max_batch, cfg.intake.max_queue));
  }
  if (cfg.spool.enabled &&
      cfg.spool.max_triggers_per_file > static_cast<std::size_t>(cfg.intake.max_queue)) {
    return yaml::error_at(doc, n["spool"], "spool.max_triggers_per_file",
                          fmt::format("{} is more than intake.max_queue ({}): such a file could "
                                      "never be committed; lower it or raise intake.max_queue",
                                      cfg.spool.max_triggers_per_file, cfg.intake.max_queue));
  }
  if (const auto l = n["logging"]; l) {
    if (auto st = parse_logging(doc, l, base_dir, cfg.logging); !st) return st.error();
  }
  return cfg;
}

Expected<AgentConfig> load_config(const std::filesystem::path& path) {
  auto text = yaml::read_document(path);
  if (!text) return text.error();
  std::error_code ec;
  auto abs = std::filesystem::absolute(path, ec);
  const auto base = (ec ? path : abs).parent_path();
  return load_config_text(*text, path.string(), base);
}

}  // namespace uda
