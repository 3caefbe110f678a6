#pragma once
// HttpTransport over libcurl: Negotiate (Kerberos via GSS-API, with the
// service account's credentials), NTLM (username + password) or a bearer
// token; TLS verified against the system CAs or a given bundle. One easy
// handle per worker thread keeps connections (and NTLM's connection-bound
// authentication) alive between calls.

#include <memory>
#include <string>

#include "core/result.hpp"
#include "providers/adminservice/http_transport.hpp"
#include "providers/adminservice/options.hpp"

namespace uda::adminservice {

class CurlTransport final : public HttpTransport {
 public:
  // Reads the password or token file now (an error names the file, never the secret).
  static Expected<std::unique_ptr<CurlTransport>> create(const Options& options);
  ~CurlTransport() override;

  HttpResponse send(const HttpRequest& request) override;

  static constexpr std::size_t kMaxBody = 32 * 1024 * 1024;

 private:
  CurlTransport(Options options, std::string secret);
  struct Handles;
  Options options_;
  std::string secret_;  // password or token; never logged
  std::unique_ptr<Handles> handles_;
};

}  // namespace uda::adminservice
