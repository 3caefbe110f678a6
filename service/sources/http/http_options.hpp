#pragma once
// The `http:` section of the agent config: where the inbound queue listens,
// who may use it (named bearer tokens, stored as salted hashes) and its
// limits. Read strictly: unknown keys and wrong types are errors with
// file:line:column.
//
// http:
//   listen: 127.0.0.1:8700            # host:port; 0.0.0.0:8700 for task sequences on the network
//   tls: {cert: server.pem, key: server.key}   # PEM files; off when absent
//   allow_anonymous: false            # true only on a loopback address: no token needed
//   tokens:
//     - {name: osd-task-sequence, hash: 'sha256:<salt>:<digest>', kinds: [osd]}
//   max_batch: 1000                   # triggers per POST
//   max_body: 1MiB
//   max_header: 8KiB
//   read_timeout: 10s                 # a whole request must arrive within this
//   idle_timeout: 30s                 # keep-alive connections idle longer are closed
//   max_connections: 256
//   rate_limit: {per_second: 100, burst: 200}   # per client address; 0 = off

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "core/yaml_util.hpp"
#include "sources/http/server_limits.hpp"
#include "sources/http/token_auth.hpp"

namespace uda::http {

struct HttpOptions {
  bool enabled = false;  // the section is present
  std::string address = "127.0.0.1";
  std::uint16_t port = 8700;
  std::filesystem::path tls_cert;  // both set, or neither
  std::filesystem::path tls_key;
  bool allow_anonymous = false;
  std::vector<ApiToken> tokens;
  std::size_t max_batch = 1000;
  ServerLimits limits;
  double rate_per_second = 100;
  double rate_burst = 200;
  std::size_t rate_max_clients = 10'000;

  [[nodiscard]] bool tls() const { return !tls_cert.empty(); }
  // "http://127.0.0.1:8700" (the address clients use; 0.0.0.0 becomes 127.0.0.1)
  [[nodiscard]] std::string local_url() const;
};

Expected<HttpOptions> parse_http_options(const yaml::Doc& doc, const YAML::Node& node,
                                         const std::filesystem::path& base_dir);

// "127.0.0.1:8700", "[::1]:8700", ":8700" (all interfaces) -> address, port.
Expected<std::pair<std::string, std::uint16_t>> parse_listen(std::string_view text);
bool is_loopback(const std::string& address);

}  // namespace uda::http
