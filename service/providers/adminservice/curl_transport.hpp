#pragma once
// HttpTransport over libcurl: Negotiate (Kerberos via GSS-API, with the
// service account's credentials), NTLM (username + password) or a bearer
// token; TLS verified against the system CAs or a given bundle. One easy
// handle per worker thread keeps connections (and NTLM's connection-bound
// authentication) alive between calls.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>

#include "core/result.hpp"
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
  CurlTransport(Options options, std::string secret);
  // The token to send now (bearer: re-read when the file changed).
  std::string current_secret();
  struct Handles;
  Options options_;
  std::mutex secret_mu_;
  std::string secret_;  // password or token; never logged
  std::filesystem::file_time_type secret_mtime_{};
  std::uintmax_t secret_size_ = 0;
  std::unique_ptr<Handles> handles_;
};

}  // namespace uda::adminservice
