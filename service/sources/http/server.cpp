#include "sources/http/server.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <list>
#include <mutex>

namespace uda::http {

// Sessions register here so stop() can reach them; the server and every
// session hold it, so whichever goes last frees it.
struct Server::Shared {
  Shared(Handler& h, ServerLimits l, TlsContext* t) : handler(h), limits(l), tls(t) {}
  Handler& handler;
  const ServerLimits limits;
  TlsContext* tls;
  bool stopping = false;
  std::list<std::function<void()>> closers;  // one per open session: "close when idle"
  ServerStats stats;
};

namespace {

Response error_response(bhttp::status status, std::string_view code, std::string_view message) {
  Response res{status, 11};
  res.set(bhttp::field::content_type, "application/json");
  res.set(bhttp::field::cache_control, "no-store");
  res.body() = fmt::format(R"({{"error":{{"code":"{}","message":"{}"}}}})", code, message);
  res.keep_alive(false);
  return res;
}

template <class Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
 public:
  Session(std::shared_ptr<Server::Shared> shared, Stream stream, ClientInfo client)
      : shared_(std::move(shared)), stream_(std::move(stream)), client_(std::move(client)) {}

  ~Session() {
    if (registered_) shared_->closers.erase(closer_);
    --shared_->stats.connections_active;
  }

  void start() {
    ++shared_->stats.connections_active;
    std::weak_ptr<Session> weak = this->shared_from_this();
    closer_ = shared_->closers.insert(shared_->closers.end(), [weak] {
      if (auto self = weak.lock()) self->close_when_idle();
    });
    registered_ = true;
#if UDA_WITH_TLS
    if constexpr (kTls) {
      lowest().expires_after(shared_->limits.handshake_timeout);
      stream_.async_handshake(
          asio::ssl::stream_base::server,
          beast::bind_front_handler(&Session::on_handshake, this->shared_from_this()));
      return;
    }
#endif
    read();
  }

 private:
  static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;

  beast::tcp_stream& lowest() {
    return beast::get_lowest_layer(stream_);
  }

  void on_handshake(beast::error_code ec) {
    if (ec) {
      spdlog::debug("http: client={} TLS handshake failed: {}", client_.address, ec.message());
      return;
    }
    read();
  }

  void read() {
    if (shared_->stopping) return close();
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(shared_->limits.max_header));
    parser_->body_limit(shared_->limits.max_body);
    // The first request gets read_timeout; a kept-alive connection may also
    // sit idle before its next request starts.
    lowest().expires_after(requests_ == 0
                               ? shared_->limits.read_timeout
                               : shared_->limits.idle_timeout + shared_->limits.read_timeout);
    bhttp::async_read(stream_, buffer_, *parser_,
                      beast::bind_front_handler(&Session::on_read, this->shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t /*bytes*/) {
    if (ec == bhttp::error::end_of_stream || ec == asio::error::eof ||
        ec == asio::error::connection_reset) {
      return close();
    }
    if (ec == beast::error::timeout) {
      ++shared_->stats.timeouts;
      spdlog::debug("http: client={} request did not arrive within the time limit; closed",
                    client_.address);
      return;  // tcp_stream has closed the socket
    }
    if (ec == asio::error::operation_aborted) return;
    if (ec == bhttp::error::body_limit) {
      ++shared_->stats.bad_requests;
      return write(error_response(
          bhttp::status::payload_too_large, "body_too_large",
          fmt::format("the request body is larger than {} bytes", shared_->limits.max_body)));
    }
    if (ec == bhttp::error::header_limit) {
      ++shared_->stats.bad_requests;
      return write(error_response(
          bhttp::status::request_header_fields_too_large, "headers_too_large",
          fmt::format("the request headers are larger than {} bytes", shared_->limits.max_header)));
    }
    if (ec) {
      ++shared_->stats.bad_requests;
      spdlog::debug("http: client={} malformed request: {}", client_.address, ec.message());
      return write(error_response(bhttp::status::bad_request, "malformed_request",
                                  "the request is not valid HTTP/1.1"));
    }
    ++requests_;
    ++shared_->stats.requests;
    keep_alive_ = parser_->get().keep_alive();
    busy_ = true;
    // The handler may wait for a durable commit; the write has its own timeout.
    lowest().expires_never();
    auto self = this->shared_from_this();
    auto ex = lowest().get_executor();
    shared_->handler.handle(parser_->release(), client_, [self, ex](Response res) {
      asio::post(ex, [self, res = std::move(res)]() mutable { self->write(std::move(res)); });
    });
  }

  void write(Response res) {
    busy_ = true;
    if (!keep_alive_ || shared_->stopping || closing_) res.keep_alive(false);
    res.set(bhttp::field::server, "uda-agent");
    res.prepare_payload();
    response_ = std::make_shared<Response>(std::move(res));
    lowest().expires_after(shared_->limits.write_timeout);
    bhttp::async_write(stream_, *response_,
                       beast::bind_front_handler(&Session::on_write, this->shared_from_this(),
                                                 !response_->keep_alive()));
  }

  void on_write(bool close_after, beast::error_code ec, std::size_t /*bytes*/) {
    busy_ = false;
    response_.reset();
    if (ec) {
      spdlog::debug("http: client={} write failed: {}", client_.address, ec.message());
      return;
    }
    if (close_after || closing_) return close();
    read();
  }

  void close_when_idle() {
    closing_ = true;
    if (!busy_) {
      beast::error_code ec;
      lowest().socket().cancel(ec);
      close();
    }
  }

  void close() {
    if (closed_) return;
    closed_ = true;
    if constexpr (kTls) {
      lowest().expires_after(shared_->limits.write_timeout);
      stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) {
        beast::error_code ec;
        self->lowest().socket().close(ec);
      });
    } else {
      beast::error_code ec;
      lowest().socket().shutdown(tcp::socket::shutdown_send, ec);
      lowest().socket().close(ec);
    }
  }

  std::shared_ptr<Server::Shared> shared_;
  Stream stream_;
  ClientInfo client_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::shared_ptr<Response> response_;
  std::list<std::function<void()>>::iterator closer_;
  bool registered_ = false;
  bool keep_alive_ = false;
  bool busy_ = false;
  bool closing_ = false;
  bool closed_ = false;
  std::uint64_t requests_ = 0;
};

// Over the connection limit: a short 503 (plain HTTP only) and close.
void refuse(tcp::socket socket, bool tls) {
  auto sock = std::make_shared<tcp::socket>(std::move(socket));
  if (tls) {
    beast::error_code ec;
    sock->close(ec);
    return;
  }
  constexpr std::string_view kBody =
      R"({"error":{"code":"too_many_connections","message":"too many open connections"}})";
  auto text = std::make_shared<std::string>(
      fmt::format("HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
                  "Retry-After: 1\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{}",
                  kBody.size(), kBody));
  asio::async_write(*sock, asio::buffer(*text), [sock, text](beast::error_code, std::size_t) {
    beast::error_code ec;
    sock->shutdown(tcp::socket::shutdown_send, ec);
    sock->close(ec);
  });
}

}  // namespace

Server::Server(asio::io_context& io, Handler& handler, ServerLimits limits, TlsContext* tls)
    : io_(io), shared_(std::make_shared<Shared>(handler, limits, tls)), acceptor_(io) {}

Server::~Server() {
  stop();
}

Expected<tcp::endpoint> Server::listen(const std::string& address, std::uint16_t port) {
  beast::error_code ec;
  const auto addr = asio::ip::make_address(address, ec);
  if (ec) return Error{fmt::format("http.listen: '{}' is not an IP address", address)};
  const tcp::endpoint ep{addr, port};
  acceptor_.open(ep.protocol(), ec);
  if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(ep, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return Error{
        fmt::format("http.listen: cannot listen on {}:{}: {} (is another program using "
                    "the port?)",
                    address, port, ec.message())};
  }
  return acceptor_.local_endpoint();
}

void Server::start() {
  accept();
}

void Server::accept() {
  acceptor_.async_accept(asio::make_strand(io_), [this](beast::error_code ec, tcp::socket socket) {
    if (ec) {
      if (ec != asio::error::operation_aborted) {
        spdlog::warn("http: accept failed: {}", ec.message());
        if (acceptor_.is_open()) accept();
      }
      return;
    }
    auto& s = *shared_;
    if (s.stopping) return;
    ++s.stats.connections_total;
    ClientInfo client;
    client.tls = s.tls != nullptr;
    beast::error_code aec;
    const auto remote = socket.remote_endpoint(aec);
    client.address = aec ? std::string("?") : remote.address().to_string();
    if (s.stats.connections_active >= s.limits.max_connections) {
      ++s.stats.connections_refused;
      spdlog::warn("http: client={} refused: {} connections open (http.max_connections)",
                   client.address, s.stats.connections_active);
      refuse(std::move(socket), client.tls);
#if UDA_WITH_TLS
    } else if (s.tls != nullptr) {
      using TlsStream = beast::ssl_stream<beast::tcp_stream>;
      std::make_shared<Session<TlsStream>>(shared_, TlsStream(std::move(socket), *s.tls),
                                           std::move(client))
          ->start();
#endif
    } else {
      std::make_shared<Session<beast::tcp_stream>>(shared_, beast::tcp_stream(std::move(socket)),
                                                   std::move(client))
          ->start();
    }
    accept();
  });
}

void Server::stop() {
  if (shared_->stopping) return;
  shared_->stopping = true;
  beast::error_code ec;
  acceptor_.close(ec);
  // Copy: a closer may end its session, which unregisters itself.
  auto closers =
      std::vector<std::function<void()>>(shared_->closers.begin(), shared_->closers.end());
  for (auto& c : closers) c();
}

std::size_t Server::open_connections() const {
  return shared_->stats.connections_active;
}

ServerStats Server::stats() const {
  return shared_->stats;
}

Expected<std::unique_ptr<TlsContext>> make_tls_context(const std::string& cert_file,
                                                       const std::string& key_file) {
#if UDA_WITH_TLS
  auto ctx = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
  beast::error_code ec;
  ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                       asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                       asio::ssl::context::no_tlsv1_1 | asio::ssl::context::single_dh_use,
                   ec);
  if (ec) return Error{fmt::format("http.tls: cannot set TLS options: {}", ec.message())};
  ctx->use_certificate_chain_file(cert_file, ec);
  if (ec) {
    return Error{
        fmt::format("http.tls.cert: cannot load the certificate chain from {}: {} (PEM "
                    "expected)",
                    cert_file, ec.message())};
  }
  ctx->use_private_key_file(key_file, asio::ssl::context::pem, ec);
  if (ec) {
    return Error{
        fmt::format("http.tls.key: cannot load the private key from {}: {} (PEM "
                    "expected, matching the certificate)",
                    key_file, ec.message())};
  }
  return ctx;
#else
  (void)cert_file;
  (void)key_file;
  return Error{fmt::format("http.tls: {}", kNoTlsMessage)};
#endif
}

}  // namespace uda::http
