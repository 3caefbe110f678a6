#pragma once
// HttpTransport over libcurl: Negotiate (Kerberos via GSS-API, with the
// service account's credentials), NTLM (username + password) or a bearer
// token; TLS verified against the system CAs or a given bundle. One easy
// handle per worker thread keeps connections (and NTLM's connection-bound
// authentication) alive between calls.

#include <memory>
#include <string>

#include "core/result.hpp"
#include "providers/adminservice/credential.hpp"
#include "providers/adminservice/http_transport.hpp"
#include "providers/adminservice/options.hpp"

namespace uda::adminservice {

class CurlTransport final : public HttpTransport {
 public:
  // Reads the password or token file now (an error names the file, never the
  // secret). A bearer token file is read again whenever it changes (size or
  // modification time), so a scheduled task that renews a CMG / Entra ID
  // token needs no agent restart; an unreadable new file keeps the old token.
  static Expected<std::unique_ptr<CurlTransport>> create(const Options& options);
  ~CurlTransport() override;

  HttpResponse send(const HttpRequest& request) override;

  static constexpr std::size_t kMaxBody = 32 * 1024 * 1024;

 private:
  CurlTransport(Options options, std::unique_ptr<Credential> credential);
  struct Handles;
  Options options_;
  std::unique_ptr<Credential> credential_;  // password or token; never logged
  std::unique_ptr<Handles> handles_;
};

}  // namespace uda::adminservice
