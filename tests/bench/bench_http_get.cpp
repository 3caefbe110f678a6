#include "bench_http_get.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <cstdlib>
#include <sstream>
#include <stdexcept>

namespace uda::bench {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

std::string http_get(const std::string& base_url, const std::string& path) {
  const auto host_at = base_url.find("://") + 3;
  const auto colon = base_url.rfind(':');
  const std::string host = base_url.substr(host_at, colon - host_at);
  const auto port = static_cast<unsigned short>(std::stoi(base_url.substr(colon + 1)));
  asio::io_context io;
  tcp::socket socket(io);
  socket.connect({asio::ip::make_address(host), port});
  bhttp::request<bhttp::string_body> req{bhttp::verb::get, path, 11};
  req.set(bhttp::field::host, host);
  req.keep_alive(false);
  bhttp::write(socket, req);
  boost::beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(64 * 1024 * 1024);
  bhttp::read(socket, buffer, parser);
  boost::system::error_code ec;
  socket.shutdown(tcp::socket::shutdown_both, ec);
  if (parser.get().result_int() != 200) {
    throw std::runtime_error("GET " + path + ": HTTP " + std::to_string(parser.get().result_int()));
  }
  return parser.get().body();
}

double metric_sum(const std::string& text, const std::string& name) {
  double sum = 0;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(name, 0) != 0) continue;
    const char next = line.size() > name.size() ? line[name.size()] : '\0';
    if (next != '{' && next != ' ') continue;
    const auto space = line.rfind(' ');
    sum += std::strtod(line.c_str() + space + 1, nullptr);
  }
  return sum;
}

}  // namespace uda::bench
