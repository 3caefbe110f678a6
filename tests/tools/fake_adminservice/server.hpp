#pragma once
// The fake AdminService's listener: plain HTTP or TLS (Boost.Beast), one
// coroutine per connection on a single io_context thread. For each request it
// draws a fault decision, waits the configured latency, checks the
// credentials, then answers through AdminServiceRoutes, or fails the way the
// decision says (5xx, 429, a hang, a reset, an applied-then-lost answer). One
// line per request goes to the log callback (stderr in the binary).
//
// Written for the fake rather than reusing the agent's http::Server, which
// always answers: a fake must also be able to hang up without a word.

#include <boost/asio/ssl.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "core/asio.hpp"
#include "core/result.hpp"
#include "core/time.hpp"
#include "fake_adminservice/auth.hpp"
#include "fake_adminservice/http_faults.hpp"
#include "fake_adminservice/routes.hpp"

namespace uda::fake {

struct FakeServerOptions {
  Credentials credentials;
  asio::ssl::context* tls = nullptr;  // must outlive the server; null = plain HTTP
  Millis read_timeout{30'000};        // a whole request, and the idle time before the next
  Millis write_timeout{10'000};
  std::uint64_t max_body = 1024 * 1024;
};

class FakeServer {
 public:
  using Log = std::function<void(std::string_view line)>;

  // `routes` and `faults` must outlive the server.
  FakeServer(asio::io_context& io, AdminServiceRoutes& routes, HttpFaultInjector& faults,
             FakeServerOptions options, Log log);
  ~FakeServer();
  FakeServer(const FakeServer&) = delete;
  FakeServer& operator=(const FakeServer&) = delete;

  // Binds and listens (port 0 picks a free port); returns "http(s)://address:port".
  Expected<std::string> listen(const std::string& address, std::uint16_t port);
  // Starts accepting (after listen()).
  void start();
  // Stops accepting and closes every connection, answered or not (a request
  // that is waiting out a fault is dropped). io_context::run() then returns.
  void stop();

  [[nodiscard]] std::uint64_t requests() const;

  struct State;  // shared with the sessions

 private:
  Awaitable<void> accept_loop();

  asio::io_context& io_;
  std::shared_ptr<State> state_;
};

// A TLS server context from PEM files (certificate chain, private key); TLS 1.2+.
Expected<std::unique_ptr<asio::ssl::context>> make_server_tls(const std::string& cert_file,
                                                              const std::string& key_file);

}  // namespace uda::fake
