#pragma once
// The HTTP(S) listener of the inbound queue, on the agent's io_context
// (Boost.Beast). It owns connections and their limits; what a request means
// is the Handler's business.
//
// Limits, all bounded: header and body size (431 / 413), the time a whole
// request may take to arrive (a slowloris client is cut off), the idle time
// between keep-alive requests, the time a TLS handshake and a response write
// may take, and the number of connections (beyond it: 503 and close).

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/asio.hpp"
#include "core/result.hpp"
#include "core/time.hpp"
#include "sources/http/server_limits.hpp"
#include "sources/http/tls_support.hpp"

namespace uda::http {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = boost::asio::ip::tcp;
using Request = bhttp::request<bhttp::string_body>;
using Response = bhttp::response<bhttp::string_body>;

struct ClientInfo {
  std::string address;  // remote IP address, e.g. "127.0.0.1"
  bool tls = false;
};

class Handler {
 public:
  using Respond = std::function<void(Response)>;
  virtual ~Handler() = default;
  // Answers `request`. `respond` must be called exactly once; any thread may
  // call it (the server moves the write onto its own executor), and it may
  // be called after handle() has returned (e.g. once a commit is durable).
  virtual void handle(Request request, const ClientInfo& client, Respond respond) = 0;
};

struct ServerStats {
  std::uint64_t connections_total = 0;
  std::uint64_t connections_refused = 0;  // over max_connections
  std::uint64_t requests = 0;
  std::uint64_t timeouts = 0;
  std::uint64_t bad_requests = 0;  // malformed, too large
  std::size_t connections_active = 0;
};

class Server {
 public:
  // `tls` (optional) must outlive the server.
  Server(asio::io_context& io, Handler& handler, ServerLimits limits, TlsContext* tls = nullptr);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and listens; port 0 picks a free port. Returns the bound endpoint.
  Expected<tcp::endpoint> listen(const std::string& address, std::uint16_t port);
  // Starts accepting (after listen()).
  void start();
  // Stops accepting and closes connections that are not in the middle of a
  // request; those close once their response is written.
  void stop();
  // Connections still open (after stop(): those finishing a response).
  [[nodiscard]] std::size_t open_connections() const;
  [[nodiscard]] ServerStats stats() const;

  struct Shared;  // state the sessions share with the server

 private:
  void accept();

  asio::io_context& io_;
  std::shared_ptr<Shared> shared_;
  tcp::acceptor acceptor_;
};

// Builds a TLS server context from PEM files (certificate chain and private
// key); TLS 1.2 or later only. Fails in a build without TLS.
Expected<std::unique_ptr<TlsContext>> make_tls_context(const std::string& cert_file,
                                                       const std::string& key_file);

}  // namespace uda::http
