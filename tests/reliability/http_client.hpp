#pragma once
// A minimal blocking HTTP/1.1 client over loopback for the reliability tests:
// one request per connection (Connection: close), bounded by a timeout, and
// an honest account of how a request failed (refused, reset, timed out), which
// is what a client sees when the agent is killed under it.

#include <chrono>
#include <string>
#include <utility>
#include <vector>

namespace uda::test {

enum class HttpError {
  None,     // a complete response arrived
  Refused,  // nothing listening (the agent is down or restarting)
  Reset,    // the connection broke before a complete response (e.g. kill -9)
  Timeout,  // no complete response within the timeout
  Other,    // bad URL, socket error
};

const char* to_string(HttpError e);

struct HttpReply {
  HttpError error = HttpError::Other;
  int status = 0;       // 0 unless a complete response arrived
  std::string headers;  // raw header block
  std::string body;
  // Case-insensitive header name; value compared exactly (trimmed).
  [[nodiscard]] bool has_header(const std::string& name, const std::string& value) const;
};

// `base_url` is "http://127.0.0.1:PORT" (as AgentHarness::http_url() gives it).
HttpReply http_request(const std::string& base_url, const std::string& method,
                       const std::string& path,
                       const std::vector<std::pair<std::string, std::string>>& headers,
                       const std::string& body, std::chrono::milliseconds timeout);

}  // namespace uda::test
