#pragma once
// A small client for the agent's own HTTP API, used by `uda-agent submit`:
// one request at a time, every step under a timeout, TLS verified against the
// system CAs (or a given bundle) with the host name checked, and retries with
// full-jitter backoff while the agent is restarting or busy (connection
// refused, 429, 502, 503, 504) until a total wait is spent.

#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "core/result.hpp"
#include "core/time.hpp"

namespace uda::http {

struct Url {
  bool tls = false;
  std::string host;  // name or address, without brackets
  std::uint16_t port = 0;
};
// "http://127.0.0.1:8700", "https://sccm01.contoso.com:8700"; no path.
Expected<Url> parse_url(std::string_view text);

struct ClientOptions {
  Url url;
  std::string token;               // bearer token; empty = none (anonymous on loopback)
  std::filesystem::path ca_file;   // PEM bundle to verify the server; empty = system CAs
  Millis attempt_timeout{10'000};  // connect + send + receive, per attempt
  Millis total_wait{30'000};       // give up retrying after this
};

struct ClientResponse {
  int status = 0;
  std::string body;
  int attempts = 0;
};

using Headers = std::vector<std::pair<std::string, std::string>>;

// Sends `method target` with a JSON body (empty for GET). Retries as above;
// an answer that is not worth retrying (2xx, 400, 401, 403, 404, 413, 422 ...)
// is returned as it is. An error when no answer came within total_wait.
Expected<ClientResponse> send_request(const ClientOptions& options, std::string_view method,
                                      std::string_view target, const std::string& body,
                                      const Headers& headers = {});

}  // namespace uda::http
