#pragma once
// HttpTransport over WinHTTP (Windows builds; curl_transport.hpp is the
// Linux one, with the same classification of failures, body limit and
// token-file renewal).
//
//   negotiate  the service's own identity (virtual account, gMSA, computer
//              account): autologon policy LOW, and a 401 challenge for
//              Negotiate or NTLM is answered with WinHttpSetCredentials(NULL,
//              NULL), i.e. the process's logon credentials. No secret is read.
//   ntlm       username + the one-line password_file, answered to an NTLM
//              (or Negotiate) challenge.
//   bearer     "Authorization: Bearer <token_file>", the file re-read when it
//              changes (size or modification time).
//
// TLS is verified by Windows against the machine's certificate store
// (schannel). `ca_file` is refused on Windows (create() fails with a
// configuration error that says what to do instead): WinHTTP offers no way to
// check a server certificate against a private bundle before the request and
// its credentials are sent. Import the CA into Local Computer > Trusted Root
// Certification Authorities instead. `verify_tls: false` ignores an unknown
// CA, a wrong name, an expired date and a wrong usage (labs only).
//
// `timeout` bounds each phase (resolve, connect, send, each receive) rather
// than the whole exchange; resolve and connect get at most 15 s, as with curl.
// Redirects are not followed. One WinHTTP session is shared by all worker
// threads; it keeps connections (and NTLM's connection-bound authentication)
// alive between calls.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>

#include "core/result.hpp"
#include "providers/adminservice/credential.hpp"
#include "providers/adminservice/http_transport.hpp"
#include "providers/adminservice/options.hpp"

namespace uda::adminservice {

class WinHttpTransport final : public HttpTransport {
 public:
  // Reads the password or token file now (an error names the file, never the
  // secret) and opens the WinHTTP session.
  static Expected<std::unique_ptr<WinHttpTransport>> create(const Options& options);
  ~WinHttpTransport() override;
  WinHttpTransport(const WinHttpTransport&) = delete;
  WinHttpTransport& operator=(const WinHttpTransport&) = delete;

  HttpResponse send(const HttpRequest& request) override;

  static constexpr std::size_t kMaxBody = 32 * 1024 * 1024;
  // 401 challenges answered per exchange (Negotiate may need two legs).
  static constexpr int kMaxAuthRounds = 3;

 private:
  WinHttpTransport(Options options, std::unique_ptr<Credential> credential, void* session);

  Options options_;
  void* session_;  // HINTERNET; void* keeps <windows.h> out of this header
  std::uint32_t receive_timeout_ms_;
  std::unique_ptr<Credential> credential_;  // password or token; never logged
};

}  // namespace uda::adminservice
