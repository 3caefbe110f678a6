#include "sources/http/client.hpp"

#include <fmt/format.h>

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <charconv>
#include <random>
#include <thread>

#include "core/asio.hpp"
#include "sources/http/tls_support.hpp"

#if UDA_WITH_TLS
#include <openssl/ssl.h>
#endif

namespace uda::http {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = boost::asio::ip::tcp;

Expected<Url> parse_url(std::string_view text) {
  const auto bad = [&] {
    return Error{
        fmt::format("'{}' is not a URL such as http://127.0.0.1:8700 or "
                    "https://sccm01.contoso.com:8700",
                    text)};
  };
  Url u;
  std::string_view rest;
  if (text.rfind("http://", 0) == 0) {
    rest = text.substr(7);
  } else if (text.rfind("https://", 0) == 0) {
    u.tls = true;
    rest = text.substr(8);
  } else {
    return bad();
  }
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  if (rest.empty() || rest.find('/') != std::string_view::npos) return bad();
  std::string_view host = rest;
  std::string_view port;
  if (rest.front() == '[') {
    const auto close = rest.find(']');
    if (close == std::string_view::npos) return bad();
    host = rest.substr(1, close - 1);
    if (close + 1 < rest.size()) {
      if (rest[close + 1] != ':') return bad();
      port = rest.substr(close + 2);
    }
  } else if (const auto colon = rest.rfind(':'); colon != std::string_view::npos) {
    host = rest.substr(0, colon);
    port = rest.substr(colon + 1);
  }
  if (host.empty()) return bad();
  u.host = std::string(host);
  u.port = u.tls ? 443 : 80;
  if (!port.empty()) {
    unsigned p = 0;
    auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
    if (ec != std::errc{} || ptr != port.data() + port.size() || p == 0 || p > 65535) {
      return bad();
    }
    u.port = static_cast<std::uint16_t>(p);
  }
  return u;
}

namespace {

struct Attempt {
  std::optional<ClientResponse> response;
  std::string error;      // when no response
  bool retryable = true;  // for errors: worth another try
};

// Runs the io_context until the pending operation completes (or its timeout).
void run(asio::io_context& ioc) {
  ioc.restart();
  ioc.run();
}

template <class Stream>
Attempt exchange(asio::io_context& ioc, Stream& stream, const ClientOptions& o,
                 bhttp::request<bhttp::string_body>& req) {
  Attempt a;
  beast::error_code ec;
  auto& lowest = beast::get_lowest_layer(stream);
  lowest.expires_after(o.attempt_timeout);
  bhttp::async_write(stream, req, [&](beast::error_code e, std::size_t) { ec = e; });
  run(ioc);
  if (ec) {
    a.error = fmt::format("sending the request failed: {}", ec.message());
    return a;
  }
  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(16 * 1024 * 1024);
  bhttp::async_read(stream, buffer, parser, [&](beast::error_code e, std::size_t) { ec = e; });
  run(ioc);
  if (ec) {
    a.error = fmt::format("reading the answer failed: {}", ec.message());
    return a;
  }
  ClientResponse r;
  r.status = static_cast<int>(parser.get().result_int());
  r.body = std::move(parser.get().body());
  a.response = std::move(r);
  return a;
}

Attempt attempt_once(const ClientOptions& o, std::string_view method, std::string_view target,
                     const std::string& body, const Headers& headers) {
  asio::io_context ioc;
  Attempt a;
  beast::error_code ec;
  tcp::resolver resolver(ioc);
  tcp::resolver::results_type endpoints;
  resolver.async_resolve(o.url.host, std::to_string(o.url.port),
                         [&](beast::error_code e, tcp::resolver::results_type r) {
                           ec = e;
                           endpoints = std::move(r);
                         });
  run(ioc);
  if (ec) {
    a.error = fmt::format("cannot resolve {}: {}", o.url.host, ec.message());
    return a;
  }

  bhttp::request<bhttp::string_body> req{bhttp::string_to_verb(std::string(method)),
                                         std::string(target), 11};
  req.set(bhttp::field::host, o.url.host);
  req.set(bhttp::field::user_agent, "uda-agent-submit");
  if (!o.token.empty()) req.set(bhttp::field::authorization, "Bearer " + o.token);
  for (const auto& [k, v] : headers) req.set(k, v);
  if (!body.empty()) {
    req.set(bhttp::field::content_type, "application/json");
    req.body() = body;
  }
  req.keep_alive(false);
  req.prepare_payload();

  if (!o.url.tls) {
    beast::tcp_stream stream(ioc);
    stream.expires_after(o.attempt_timeout);
    stream.async_connect(endpoints, [&](beast::error_code e, const tcp::endpoint&) { ec = e; });
    run(ioc);
    if (ec) {
      a.error = fmt::format("cannot connect to {}:{}: {}", o.url.host, o.url.port, ec.message());
      return a;
    }
    return exchange(ioc, stream, o, req);
  }

#if UDA_WITH_TLS
  asio::ssl::context ctx(asio::ssl::context::tls_client);
  ctx.set_verify_mode(asio::ssl::verify_peer);
  if (o.ca_file.empty()) {
    ctx.set_default_verify_paths(ec);
  } else {
    ctx.load_verify_file(o.ca_file.string(), ec);
  }
  if (ec) {
    a.error = fmt::format("cannot load the CA bundle {}: {}",
                          o.ca_file.empty() ? "(system)" : o.ca_file.string(), ec.message());
    a.retryable = false;
    return a;
  }
  ctx.set_verify_callback(asio::ssl::host_name_verification(o.url.host));
  beast::ssl_stream<beast::tcp_stream> stream(ioc, ctx);
  // SSL_set_tlsext_host_name() without its C cast: the SNI host name.
  if (SSL_ctrl(stream.native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
               static_cast<void*>(const_cast<char*>(o.url.host.c_str()))) != 1) {
    a.error = "cannot set the TLS server name";
    a.retryable = false;
    return a;
  }
  beast::get_lowest_layer(stream).expires_after(o.attempt_timeout);
  beast::get_lowest_layer(stream).async_connect(
      endpoints, [&](beast::error_code e, const tcp::endpoint&) { ec = e; });
  run(ioc);
  if (ec) {
    a.error = fmt::format("cannot connect to {}:{}: {}", o.url.host, o.url.port, ec.message());
    return a;
  }
  stream.async_handshake(asio::ssl::stream_base::client, [&](beast::error_code e) { ec = e; });
  run(ioc);
  if (ec) {
    a.error = fmt::format("TLS handshake with {} failed: {} (check the certificate and --ca-file)",
                          o.url.host, ec.message());
    a.retryable = false;
    return a;
  }
  return exchange(ioc, stream, o, req);
#else
  a.error = fmt::format("cannot reach https://{}:{}: {}", o.url.host, o.url.port, kNoTlsMessage);
  a.retryable = false;
  return a;
#endif
}

bool retry_status(int status) {
  return status == 429 || status == 502 || status == 503 || status == 504;
}

}  // namespace

Expected<ClientResponse> send_request(const ClientOptions& options, std::string_view method,
                                      std::string_view target, const std::string& body,
                                      const Headers& headers) {
  std::mt19937_64 rng{std::random_device{}()};
  const auto deadline = std::chrono::steady_clock::now() + options.total_wait;
  Millis ceiling{250};
  const Millis cap{5000};
  std::string last;
  for (int attempt = 1;; ++attempt) {
    auto a = attempt_once(options, method, target, body, headers);
    if (a.response) {
      a.response->attempts = attempt;
      if (!retry_status(a.response->status)) return std::move(*a.response);
      last = fmt::format("the agent answered {}", a.response->status);
    } else {
      if (!a.retryable) return Error{a.error};
      last = a.error;
    }
    // Full jitter: random(0, ceiling), the ceiling doubling up to cap.
    const Millis delay{std::uniform_int_distribution<std::int64_t>(0, ceiling.count())(rng)};
    ceiling = std::min(cap, ceiling * 2);
    if (std::chrono::steady_clock::now() + delay >= deadline) {
      return Error{fmt::format("no answer from {}://{}:{} after {} attempt(s) in {}: {}",
                               options.url.tls ? "https" : "http", options.url.host,
                               options.url.port, attempt, format_duration(options.total_wait),
                               last)};
    }
    std::this_thread::sleep_for(delay);
  }
}

}  // namespace uda::http
