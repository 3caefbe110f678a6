#pragma once
// The platform boundary of the AdminService provider: one blocking HTTP
// exchange. The real one is libcurl (curl_transport.hpp); tests give a fake
// so the mapping from answers to ok | retry | fail is tested without a site.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace uda::adminservice {

struct HttpRequest {
  std::string method;  // "GET" | "POST"
  std::string url;     // absolute, query already encoded
  std::string body;    // JSON for POST
};

// What happened to the exchange when no complete answer came.
enum class TransportError {
  None,
  Resolve,      // the host name did not resolve (nothing was sent)
  Connect,      // no connection (nothing was sent)
  Tls,          // TLS handshake or certificate verification failed (nothing was sent)
  Timeout,      // no complete answer in time (the request may have been processed)
  Interrupted,  // the connection broke after the request was sent (may have been processed)
  TooLarge,     // the answer exceeded the size limit
  Other,
};

struct HttpResponse {
  TransportError error = TransportError::None;
  std::string error_text;  // for logs, when error != None
  int status = 0;          // HTTP status when error == None
  std::string body;
  std::string retry_after;  // Retry-After header value, if any
};

class HttpTransport {
 public:
  virtual ~HttpTransport() = default;
  // Blocking; called from the provider's worker threads, possibly at once.
  virtual HttpResponse send(const HttpRequest& request) = 0;
};

}  // namespace uda::adminservice
