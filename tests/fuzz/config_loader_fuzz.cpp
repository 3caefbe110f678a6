// libFuzzer target: the agent's configuration file (config/agent_config.hpp,
// load_config_text), which `uda-agent check-config` and every start read.
//
// Properties: no crash, sanitizer report or exception on any bytes; every
// error starts with "<file>:" (the loader promises file:line:column); an
// accepted configuration keeps the promises the loader documents: paths are
// absolute (relative ones resolved against the config's folder), the
// dispatcher's call timeout is shorter than its lease, backoff cap >= base,
// the breaker's max_open_for >= open_for, a batch of any source fits into
// intake.max_queue, TLS files come in pairs, anonymous access only on a
// loopback address, and no Windows-only section on Linux.

#include <string>

#include "config/agent_config.hpp"
#include "fuzz_support.hpp"

namespace {

const std::string kName = "fuzz-agent.yaml";
const std::filesystem::path kBase = "/etc/uda-agent";

void check_path(const std::filesystem::path& p, std::string_view what) {
  uda::fuzz::check(p.empty() || p.is_absolute(), "a configured path is not absolute",
                   std::string(what) + ": " + p.string());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace uda;
  const std::string text(fuzz::as_text(data, size));
  auto cfg = load_config_text(text, kName, kBase);
  if (!cfg) {
    fuzz::check(fuzz::starts_with(cfg.error().message, kName + ":"),
                "a config error does not start with the file name", cfg.error().message);
    return 0;
  }
  const auto& c = *cfg;
  fuzz::check(!c.store.path.empty() && !c.rules.path.empty(), "store.path or rules.path is empty");
  check_path(c.store.path, "store.path");
  check_path(c.rules.path, "rules.path");
  check_path(c.logging.file, "logging.file");

  const auto& d = c.dispatcher;
  fuzz::check(d.concurrency >= 1 && d.concurrency <= 1024, "dispatcher.concurrency out of range");
  fuzz::check(d.call_timeout < d.lease, "dispatcher.call_timeout is not shorter than the lease");
  fuzz::check(d.backoff.base <= d.backoff.cap, "dispatcher.backoff: cap < base");
  fuzz::check(d.backoff.max_attempts >= 1, "dispatcher.max_attempts < 1");
  fuzz::check(d.breaker.open_for <= d.breaker.max_open_for,
              "dispatcher.circuit_breaker: max_open_for < open_for");

  const auto max_queue = static_cast<std::size_t>(c.intake.max_queue);
  fuzz::check(c.intake.max_queue >= 1 && c.intake.batch >= 1 && c.intake.commit_batch >= 1,
              "intake sizes below 1");

  switch (c.provider.type) {
    case ProviderType::Simulated:
      check_path(c.provider.simulated.fixture, "provider.simulated.fixture");
      check_path(c.provider.simulated.state_path, "provider.simulated.state_path");
      break;
    case ProviderType::AdminService: {
      const auto& a = c.provider.adminservice;
      fuzz::check(fuzz::starts_with(a.url, "https://") || fuzz::starts_with(a.url, "http://"),
                  "provider.adminservice.url is not http(s)://", a.url);
      check_path(a.password_file, "provider.adminservice.password_file");
      check_path(a.token_file, "provider.adminservice.token_file");
      check_path(a.ca_file, "provider.adminservice.ca_file");
      break;
    }
    case ProviderType::Wmi:
#ifndef _WIN32
      fuzz::fail("provider.type wmi was accepted outside Windows");
#endif
      break;
  }
  if (c.http.enabled) {
    fuzz::check(c.http.max_batch <= max_queue, "http.max_batch > intake.max_queue");
    fuzz::check(c.http.tls_cert.empty() == c.http.tls_key.empty(),
                "http.tls: cert and key do not come as a pair");
    check_path(c.http.tls_cert, "http.tls.cert");
    check_path(c.http.tls_key, "http.tls.key");
    if (c.http.allow_anonymous) {
      fuzz::check(http::is_loopback(c.http.address),
                  "http.allow_anonymous on an address that is not loopback", c.http.address);
    }
  }
  if (c.spool.enabled) {
    fuzz::check(c.spool.max_triggers_per_file <= max_queue,
                "spool.max_triggers_per_file > intake.max_queue");
    fuzz::check(!c.spool.dir.empty(), "spool.dir is empty");
    check_path(c.spool.dir, "spool.dir");
  }
  if (c.usage.enabled) {
    fuzz::check(c.usage.page_size <= max_queue, "usage.page_size > intake.max_queue");
    fuzz::check(c.usage.call_timeout == d.call_timeout,
                "usage.call_timeout is not dispatcher.call_timeout");
    check_path(c.usage.state_path, "usage.state_path");
  }
#ifndef _WIN32
  fuzz::check(!c.wmi_events.enabled, "wmi_events enabled outside Windows");
#endif
  return 0;
}
