#include "fake_adminservice/server.hpp"

#include <fmt/format.h>

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <chrono>
#include <list>
#include <optional>
#include <type_traits>

namespace uda::fake {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

class SessionBase {
 public:
  virtual ~SessionBase() = default;
  virtual void close() = 0;
};

struct FakeServer::State {
  State(asio::io_context& io, AdminServiceRoutes& r, HttpFaultInjector& f, FakeServerOptions o,
        Log l)
      : acceptor(io), routes(r), faults(f), options(std::move(o)), log(std::move(l)) {}

  tcp::acceptor acceptor;
  AdminServiceRoutes& routes;
  HttpFaultInjector& faults;
  FakeServerOptions options;
  Log log;
  bool stopping = false;
  std::uint64_t requests = 0;
  std::list<SessionBase*> sessions;
};

namespace {

using Request = bhttp::request<bhttp::string_body>;
using Response = bhttp::response<bhttp::string_body>;

std::string_view code_for(unsigned status) {
  switch (status) {
    case 500:
      return "InternalServerError";
    case 502:
      return "BadGateway";
    case 503:
      return "ServiceUnavailable";
    case 504:
      return "GatewayTimeout";
    case 429:
      return "TooManyRequests";
    default:
      return "Error";
  }
}

template <class Stream>
class Session final : public SessionBase {
 public:
  Session(std::shared_ptr<FakeServer::State> state, Stream stream, std::string client)
      : state_(std::move(state)),
        stream_(std::move(stream)),
        client_(std::move(client)),
        timer_(stream_.get_executor()) {
    registration_ = state_->sessions.insert(state_->sessions.end(), this);
  }
  ~Session() override { state_->sessions.erase(registration_); }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  void close() override {
    closed_ = true;
    timer_.cancel();
    lowest().close();
  }

  // The caller keeps the session alive until this ends (co_spawn's completion
  // handler holds it: the coroutine starts later than co_spawn returns).
  Awaitable<void> run() {
    beast::error_code ec;
    if constexpr (kTls) {
      lowest().expires_after(std::chrono::seconds(10));
      co_await stream_.async_handshake(asio::ssl::stream_base::server,
                                       asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        log(fmt::format("{} TLS handshake failed: {}", client_, ec.message()));
        co_return;
      }
    }
    beast::flat_buffer buffer;
    while (!closed_ && !state_->stopping) {
      bhttp::request_parser<bhttp::string_body> parser;
      parser.header_limit(16 * 1024);
      parser.body_limit(state_->options.max_body);
      lowest().expires_after(state_->options.read_timeout);
      co_await bhttp::async_read(stream_, buffer, parser,
                                 asio::redirect_error(asio::use_awaitable, ec));
      if (ec == bhttp::error::end_of_stream || ec == asio::error::eof ||
          ec == asio::error::connection_reset || ec == asio::error::operation_aborted ||
          ec == beast::error::timeout || closed_) {
        co_return;
      }
      if (ec) {
        const bool too_large = ec == bhttp::error::body_limit;
        auto bad = too_large ? odata_error(413, "PayloadTooLarge", "the body is too large")
                             : odata_error(400, "BadRequest", "malformed HTTP request");
        log(fmt::format("{} malformed request ({}) -> {}", client_, ec.message(), bad.status));
        co_await write(bad, false);
        co_return;
      }
      Request req = parser.release();
      lowest().expires_never();
      const bool keep_alive = req.keep_alive();
      const bool again = co_await serve(req, keep_alive);
      if (!again || !keep_alive) co_return;
    }
  }

 private:
  static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;

  beast::tcp_stream& lowest() { return beast::get_lowest_layer(stream_); }

  void log(const std::string& line) {
    if (state_->log) state_->log(line);
  }

  // Sleeps on the session's timer; false when the session was closed meanwhile.
  Awaitable<bool> sleep(Millis d) {
    if (d.count() <= 0) co_return !closed_;
    beast::error_code ec;
    timer_.expires_after(d);
    co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    co_return !closed_;
  }

  void reset() {
    beast::error_code ec;
    auto& sock = lowest().socket();
    sock.set_option(asio::socket_base::linger(true, 0), ec);
    sock.close(ec);
    closed_ = true;
  }

  // Answers one request; false when the connection is gone afterwards.
  Awaitable<bool> serve(Request& req, bool keep_alive) {
    const auto n = ++state_->requests;
    const auto started = std::chrono::steady_clock::now();
    const auto decision = state_->faults.next();
    const auto method = std::string(req.method_string());
    const auto target = std::string(req.target());
    if (!co_await sleep(state_->faults.options().latency)) co_return false;

    std::optional<RouteResponse> answer;
    std::string note;
    bool hang_up = false;
    const auto route = [&] {
      RouteRequest rr;
      rr.method = method;
      rr.target = target;
      rr.body = req.body();
      rr.content_type = std::string(req[bhttp::field::content_type]);
      rr.request_id = fmt::format("fake-adminservice#{}", n);
      return state_->routes.handle(rr);
    };

    if (decision.kind == HttpFault::Outage) {
      answer = odata_error(503, "ServiceUnavailable", "simulated outage (--outage)");
    } else if (const auto auth = check_authorization(state_->options.credentials,
                                                     std::string(req[bhttp::field::authorization]));
               auth != AuthResult::Ok) {
      answer =
          odata_error(401, "Unauthorized",
                      auth == AuthResult::Missing ? "authentication required (Negotiate or Bearer)"
                                                  : "the credentials were not accepted");
      answer->headers.emplace_back("WWW-Authenticate", "Negotiate");
      answer->headers.emplace_back("WWW-Authenticate", "Bearer");
    } else {
      switch (decision.kind) {
        case HttpFault::ServerError:
          answer = odata_error(decision.status, code_for(decision.status),
                               "simulated server error (--error-rate-5xx)");
          break;
        case HttpFault::TooManyRequests:
          answer = odata_error(429, "TooManyRequests", "simulated throttling (--rate-429)");
          answer->headers.emplace_back("Retry-After",
                                       std::to_string(state_->faults.options().retry_after_s));
          break;
        case HttpFault::Timeout:
          if (!co_await sleep(state_->faults.options().timeout_sleep)) co_return false;
          answer = odata_error(504, "GatewayTimeout", "simulated hang (--timeout-rate)");
          break;
        case HttpFault::Reset:
          hang_up = true;
          break;
        case HttpFault::AmbiguousError:
        case HttpFault::AmbiguousReset: {
          const auto applied = route();
          note = fmt::format(" applied={}", applied.status);
          if (decision.kind == HttpFault::AmbiguousReset) {
            hang_up = true;
          } else {
            answer = odata_error(500, "InternalServerError",
                                 "simulated failure after the request ran (--ambiguous-rate)");
          }
          break;
        }
        case HttpFault::None:
        case HttpFault::Outage:
          answer = route();
          break;
      }
    }

    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::steady_clock::now() - started)
                        .count();
    log(fmt::format("#{} {} {} {} -> {} fault={}{} {}ms", n, client_, method, target,
                    hang_up ? std::string("reset") : std::to_string(answer->status),
                    to_string(decision.kind), note, ms));
    if (hang_up) {
      reset();
      co_return false;
    }
    co_return co_await write(*answer, keep_alive);
  }

  // Writes the answer; false when the connection is closed afterwards.
  Awaitable<bool> write(const RouteResponse& answer, bool keep_alive) {
    Response res;
    res.version(11);
    res.result(answer.status);
    res.set(bhttp::field::server, "fake-adminservice");
    res.set(bhttp::field::content_type, "application/json; odata.metadata=minimal; charset=utf-8");
    res.set("OData-Version", "4.0");
    for (const auto& [name, value] : answer.headers) res.insert(name, value);
    res.body() = answer.body;
    const bool keep = keep_alive && !state_->stopping && !closed_;
    res.keep_alive(keep);
    res.prepare_payload();
    beast::error_code ec;
    lowest().expires_after(state_->options.write_timeout);
    co_await bhttp::async_write(stream_, res, asio::redirect_error(asio::use_awaitable, ec));
    lowest().expires_never();
    if (ec || !keep) {
      co_await shutdown();
      co_return false;
    }
    co_return true;
  }

  Awaitable<void> shutdown() {
    beast::error_code ec;
    if constexpr (kTls) {
      lowest().expires_after(std::chrono::seconds(2));
      co_await stream_.async_shutdown(asio::redirect_error(asio::use_awaitable, ec));
    }
    lowest().socket().shutdown(tcp::socket::shutdown_send, ec);
    lowest().socket().close(ec);
  }

  std::shared_ptr<FakeServer::State> state_;
  Stream stream_;
  std::string client_;
  asio::steady_timer timer_;
  std::list<SessionBase*>::iterator registration_;
  bool closed_ = false;
};

}  // namespace

FakeServer::FakeServer(asio::io_context& io, AdminServiceRoutes& routes, HttpFaultInjector& faults,
                       FakeServerOptions options, Log log)
    : io_(io),
      state_(std::make_shared<State>(io, routes, faults, std::move(options), std::move(log))) {}

FakeServer::~FakeServer() {
  stop();
}

Expected<std::string> FakeServer::listen(const std::string& address, std::uint16_t port) {
  beast::error_code ec;
  const auto addr = asio::ip::make_address(address, ec);
  if (ec) return Error{fmt::format("--listen: '{}' is not an IP address", address)};
  const tcp::endpoint ep{addr, port};
  auto& acceptor = state_->acceptor;
  acceptor.open(ep.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(ep, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return Error{fmt::format("cannot listen on {}:{}: {}", address, port, ec.message())};
  const auto bound = acceptor.local_endpoint(ec);
  if (ec) return Error{fmt::format("cannot read the bound address: {}", ec.message())};
  const auto host = bound.address().is_v6() ? "[" + bound.address().to_string() + "]"
                                            : bound.address().to_string();
  return fmt::format("{}://{}:{}", state_->options.tls != nullptr ? "https" : "http", host,
                     bound.port());
}

void FakeServer::start() {
  asio::co_spawn(io_, accept_loop(), asio::detached);
}

Awaitable<void> FakeServer::accept_loop() {
  auto state = state_;
  for (;;) {
    beast::error_code ec;
    tcp::socket socket =
        co_await state->acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (state->stopping) co_return;
    if (ec) {
      if (ec == asio::error::operation_aborted || !state->acceptor.is_open()) co_return;
      if (state->log) state->log(fmt::format("accept failed: {}", ec.message()));
      continue;
    }
    beast::error_code rec;
    const auto remote = socket.remote_endpoint(rec);
    std::string client = rec ? std::string("?") : remote.address().to_string();
    if (state->options.tls != nullptr) {
      using TlsStream = beast::ssl_stream<beast::tcp_stream>;
      auto s = std::make_shared<Session<TlsStream>>(
          state, TlsStream(beast::tcp_stream(std::move(socket)), *state->options.tls),
          std::move(client));
      asio::co_spawn(io_, s->run(), [s](const std::exception_ptr&) {});
    } else {
      auto s = std::make_shared<Session<beast::tcp_stream>>(
          state, beast::tcp_stream(std::move(socket)), std::move(client));
      asio::co_spawn(io_, s->run(), [s](const std::exception_ptr&) {});
    }
  }
}

void FakeServer::stop() {
  if (state_->stopping) return;
  state_->stopping = true;
  beast::error_code ec;
  state_->acceptor.close(ec);
  // Copy: closing does not end a session at once, but be safe against erasure.
  const std::vector<SessionBase*> open(state_->sessions.begin(), state_->sessions.end());
  for (auto* s : open) s->close();
}

std::uint64_t FakeServer::requests() const {
  return state_->requests;
}

Expected<std::unique_ptr<asio::ssl::context>> make_server_tls(const std::string& cert_file,
                                                              const std::string& key_file) {
  auto ctx = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
  beast::error_code ec;
  ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                       asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                       asio::ssl::context::no_tlsv1_1,
                   ec);
  if (ec) return Error{fmt::format("cannot set TLS options: {}", ec.message())};
  ctx->use_certificate_chain_file(cert_file, ec);
  if (ec) {
    return Error{fmt::format("--tls-cert: cannot load a PEM certificate chain from {}: {}",
                             cert_file, ec.message())};
  }
  ctx->use_private_key_file(key_file, asio::ssl::context::pem, ec);
  if (ec) {
    return Error{fmt::format("--tls-key: cannot load a PEM private key from {}: {}", key_file,
                             ec.message())};
  }
  return ctx;
}

}  // namespace uda::fake
