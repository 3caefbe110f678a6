// fake-adminservice: a stand-in for ConfigMgr's AdminService (REST on the SMS
// Provider) backed by a SimulatedSite state file, for tests of the agent's
// adminservice provider: real HTTP(S), real auth headers, real faults.
//
//   fake-adminservice --fixture tests/data/sites/small.yaml --state /tmp/site.db
//       --listen 127.0.0.1:0 --token secret [--tls-cert c.pem --tls-key k.pem]
//
// Once ready it prints exactly one line to stdout (flushed):
//   fake-adminservice listening on http://127.0.0.1:PORT
// and then one line per request to stderr. SIGTERM / SIGINT stop it cleanly
// (exit 0). Start-up errors: a message on stderr, exit 1 (2 for bad usage).

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <charconv>
#include <csignal>
#include <cstdio>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "core/asio.hpp"
#include "core/time.hpp"
#include "fake_adminservice/http_faults.hpp"
#include "fake_adminservice/routes.hpp"
#include "fake_adminservice/server.hpp"
#include "providers/simulated/options.hpp"
#include "providers/simulated/site.hpp"

namespace {

using namespace uda;

void log_line(std::string_view line) {
  fmt::print(stderr, "fake-adminservice: {}\n", line);
  std::fflush(stderr);
}

// "127.0.0.1:8443", "[::1]:0"
bool split_listen(const std::string& text, std::string& host, std::uint16_t& port) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0) return false;
  host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  const auto p = std::string_view(text).substr(colon + 1);
  auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), port);
  return !p.empty() && ec == std::errc{} && end == p.data() + p.size();
}

// "START_MS:DURATION_MS"
std::optional<OutageWindow> parse_outage(const std::string& text) {
  const auto colon = text.find(':');
  if (colon == std::string::npos) return std::nullopt;
  std::int64_t start = 0;
  std::int64_t duration = 0;
  const auto a = std::string_view(text).substr(0, colon);
  const auto b = std::string_view(text).substr(colon + 1);
  auto [pa, ea] = std::from_chars(a.data(), a.data() + a.size(), start);
  auto [pb, eb] = std::from_chars(b.data(), b.data() + b.size(), duration);
  if (a.empty() || b.empty() || ea != std::errc{} || eb != std::errc{} ||
      pa != a.data() + a.size() || pb != b.data() + b.size() || start < 0 || duration <= 0) {
    return std::nullopt;
  }
  return OutageWindow{Millis(start), Millis(duration)};
}

int run(int argc, char** argv) {
  CLI::App app{"fake-adminservice: ConfigMgr AdminService routes over a simulated site (tests)",
               "fake-adminservice"};
  std::string fixture_path;
  std::string state_path;
  std::string listen = "127.0.0.1:0";
  std::string tls_cert;
  std::string tls_key;
  fake::Credentials creds;
  std::string basic;
  std::optional<std::uint64_t> seed;
  std::int64_t latency_ms = 0;
  std::int64_t timeout_sleep_ms = 60'000;
  std::uint32_t retry_after = 1;
  std::vector<std::string> outages;
  fake::HttpFaultOptions faults;
  fake::RouteOptions routes_options;

  app.add_option("--fixture", fixture_path, "site fixture (YAML) that seeds a new state")
      ->required()
      ->check(CLI::ExistingFile);
  app.add_option("--state", state_path,
                 "SimulatedSite state file (created and seeded when missing)")
      ->required();
  app.add_option("--listen", listen, "address:port to listen on (port 0 = any free port)")
      ->capture_default_str();
  auto* cert = app.add_option("--tls-cert", tls_cert, "PEM certificate chain (enables HTTPS)")
                   ->check(CLI::ExistingFile);
  auto* key = app.add_option("--tls-key", tls_key, "PEM private key")->check(CLI::ExistingFile);
  cert->needs(key);
  key->needs(cert);
  app.add_option("--token", creds.token, "Bearer token every request must carry")->required();
  app.add_option("--basic", basic, "user:pass also accepted as HTTP Basic");
  app.add_option("--seed", seed, "fault injection seed (default: random, logged)");
  app.add_option("--latency-ms", latency_ms, "delay before every answer")
      ->check(CLI::Range(0, 600'000));
  app.add_option("--error-rate-5xx", faults.error_5xx_rate, "share answered 500/502/503")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--rate-429", faults.rate_429, "share answered 429 with Retry-After")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--retry-after", retry_after, "Retry-After seconds of a 429")
      ->check(CLI::Range(0, 3600))
      ->capture_default_str();
  app.add_option("--timeout-rate", faults.timeout_rate,
                 "share that hangs for --timeout-sleep-ms, then 504 (nothing applied)")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--timeout-sleep-ms", timeout_sleep_ms, "how long a hang lasts")
      ->check(CLI::Range(1, 600'000))
      ->capture_default_str();
  app.add_option("--reset-rate", faults.reset_rate,
                 "share whose connection is closed without an answer (nothing applied)")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--ambiguous-rate", faults.ambiguous_rate,
                 "share that is applied, then answered 500 or reset")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--outage", outages,
                 "START_MS:DURATION_MS after start-up during which every request gets 503 "
                 "(repeatable)");
  app.add_option("--fail-user", routes_options.fail_users,
                 "DOMAIN\\user whose CreateRelationship is always 403 (repeatable)");
  app.add_option("--fail-machine", routes_options.fail_machines,
                 "ResourceID or name whose CreateRelationship is always 403 (repeatable)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);  // prints help or the error
    return code == 0 ? 0 : 2;
  }

  if (creds.token.empty()) {
    log_line("--token must not be empty");
    return 2;
  }
  if (!basic.empty()) {
    if (basic.find(':') == std::string::npos) {
      log_line("--basic takes user:pass");
      return 2;
    }
    creds.basic = basic;
  }
  std::string host;
  std::uint16_t port = 0;
  if (!split_listen(listen, host, port)) {
    log_line(fmt::format("--listen: '{}' is not address:port", listen));
    return 2;
  }
  for (const auto& o : outages) {
    auto w = parse_outage(o);
    if (!w) {
      log_line(fmt::format("--outage: '{}' is not START_MS:DURATION_MS", o));
      return 2;
    }
    faults.outages.push_back(*w);
  }
  faults.seed = seed;
  faults.latency = Millis(latency_ms);
  faults.timeout_sleep = Millis(timeout_sleep_ms);
  faults.retry_after_s = retry_after;
  if (auto st = fake::validate(faults); !st) {
    log_line(st.error().message);
    return 2;
  }

  auto fixture = load_fixture(fixture_path);
  if (!fixture) {
    log_line(fixture.error().message);
    return 1;
  }
  SystemTimeSource time;
  auto site = SimulatedSite::open(state_path, *fixture, time);
  if (!site) {
    log_line(site.error().message);
    return 1;
  }
  std::unique_ptr<asio::ssl::context> tls;
  if (!tls_cert.empty()) {
    auto ctx = fake::make_server_tls(tls_cert, tls_key);
    if (!ctx) {
      log_line(ctx.error().message);
      return 1;
    }
    tls = std::move(*ctx);
  }

  asio::io_context io;
  fake::AdminServiceRoutes routes(**site, routes_options);
  fake::HttpFaultInjector injector(faults, time);
  fake::FakeServerOptions server_options;
  server_options.credentials = creds;
  server_options.tls = tls.get();
  fake::FakeServer server(io, routes, injector, server_options, log_line);
  auto url = server.listen(host, port);
  if (!url) {
    log_line(url.error().message);
    return 1;
  }
  routes.set_base_url(*url);
  log_line(fmt::format("state {} (fixture {}), fault seed {}", state_path, fixture_path,
                       injector.seed()));

  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int sig) {
    if (ec) return;
    log_line(fmt::format("signal {}: stopping after {} requests", sig, server.requests()));
    server.stop();
  });
  server.start();
  fmt::print("fake-adminservice listening on {}\n", *url);
  std::fflush(stdout);
  io.run();
  log_line("stopped");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    fmt::print(stderr, "fake-adminservice: fatal: {}\n", e.what());
    return 1;
  }
}
