#include "providers/adminservice/winhttp_transport.hpp"

#ifndef NOMINMAX
#define NOMINMAX
#endif
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <fmt/format.h>
#include <windows.h>
#include <winhttp.h>

#include <algorithm>
#include <string_view>

namespace uda::adminservice {

namespace {

std::wstring widen(std::string_view s) {
  if (s.empty()) return {};
  const int n = MultiByteToWideChar(CP_UTF8, 0, s.data(), static_cast<int>(s.size()), nullptr, 0);
  if (n <= 0) return {};
  std::wstring w(static_cast<std::size_t>(n), L'\0');
  MultiByteToWideChar(CP_UTF8, 0, s.data(), static_cast<int>(s.size()), w.data(), n);
  return w;
}

std::string narrow(std::wstring_view w) {
  if (w.empty()) return {};
  const int n = WideCharToMultiByte(CP_UTF8, 0, w.data(), static_cast<int>(w.size()), nullptr, 0,
                                    nullptr, nullptr);
  if (n <= 0) return {};
  std::string s(static_cast<std::size_t>(n), '\0');
  WideCharToMultiByte(CP_UTF8, 0, w.data(), static_cast<int>(w.size()), s.data(), n, nullptr,
                      nullptr);
  return s;
}

// Overwrites a secret's copy before it is freed.
void wipe(std::wstring& s) {
  if (!s.empty()) SecureZeroMemory(s.data(), s.size() * sizeof(wchar_t));
  s.clear();
}

struct InternetCloser {
  void operator()(void* h) const {
    if (h != nullptr) WinHttpCloseHandle(h);
  }
};
using Internet = std::unique_ptr<void, InternetCloser>;

// Names for the codes worth recognising in a log line (Wine's winhttp.dll has
// no message table, and Windows' texts do not name the code).
std::string_view code_name(DWORD code) {
  switch (code) {
    case ERROR_WINHTTP_TIMEOUT:
      return "timed out";
    case ERROR_WINHTTP_NAME_NOT_RESOLVED:
      return "name not resolved";
    case ERROR_WINHTTP_CANNOT_CONNECT:
      return "cannot connect";
    case ERROR_WINHTTP_CONNECTION_ERROR:
      return "connection reset or closed";
    case ERROR_WINHTTP_INVALID_SERVER_RESPONSE:
      return "invalid server response";
    case ERROR_WINHTTP_SECURE_FAILURE:
      return "TLS: certificate not trusted or handshake failed";
    case ERROR_WINHTTP_SECURE_INVALID_CA:
      return "TLS: certificate issued by an untrusted CA";
    case ERROR_WINHTTP_SECURE_CERT_CN_INVALID:
      return "TLS: certificate name does not match the host";
    case ERROR_WINHTTP_SECURE_CERT_DATE_INVALID:
      return "TLS: certificate expired or not yet valid";
    case ERROR_WINHTTP_SECURE_CHANNEL_ERROR:
      return "TLS: secure channel error";
    case ERROR_WINHTTP_SECURE_INVALID_CERT:
      return "TLS: invalid certificate";
    case ERROR_WINHTTP_SECURE_CERT_REVOKED:
      return "TLS: certificate revoked";
    case ERROR_WINHTTP_SECURE_CERT_REV_FAILED:
      return "TLS: revocation check failed";
    case ERROR_WINHTTP_SECURE_CERT_WRONG_USAGE:
      return "TLS: certificate not valid for server authentication";
    case ERROR_WINHTTP_CLIENT_AUTH_CERT_NEEDED:
      return "TLS: the server asks for a client certificate";
    case ERROR_WINHTTP_UNRECOGNIZED_SCHEME:
      return "unsupported URL scheme";
    case ERROR_WINHTTP_INVALID_URL:
      return "invalid URL";
    case ERROR_WINHTTP_HEADER_SIZE_OVERFLOW:
      return "answer headers too large";
    case WSAETIMEDOUT:
      return "timed out (socket)";
    case WSAECONNREFUSED:
      return "connection refused (socket)";
    case WSAECONNRESET:
      return "connection reset (socket)";
    case WSAECONNABORTED:
      return "connection aborted (socket)";
    default:
      return {};
  }
}

std::string error_text(std::string_view call, DWORD code) {
  const auto name = code_name(code);
  if (!name.empty()) return fmt::format("{}: {} (WinHTTP {})", call, name, code);
  wchar_t* buf = nullptr;
  HMODULE mod = GetModuleHandleW(L"winhttp.dll");
  const DWORD flags = FORMAT_MESSAGE_ALLOCATE_BUFFER | FORMAT_MESSAGE_FROM_SYSTEM |
                      FORMAT_MESSAGE_IGNORE_INSERTS |
                      (mod != nullptr ? FORMAT_MESSAGE_FROM_HMODULE : 0);
  const DWORD n = FormatMessageW(flags, mod, code, 0, reinterpret_cast<LPWSTR>(&buf), 0, nullptr);
  std::string text = n > 0 && buf != nullptr ? narrow(std::wstring_view(buf, n)) : std::string();
  if (buf != nullptr) LocalFree(buf);
  while (!text.empty() &&
         (text.back() == '\n' || text.back() == '\r' || text.back() == ' ' || text.back() == '.')) {
    text.pop_back();
  }
  if (text.empty()) text = "error";
  return fmt::format("{}: {} ({})", call, text, code);
}

// How far one exchange got, from WinHTTP's status callback.
struct Progress {
  bool connected = false;  // TCP (and, for https, TLS) established
  bool sending = false;    // the request is going out: it may reach the site
};

void CALLBACK on_status(HINTERNET /*h*/, DWORD_PTR context, DWORD status, LPVOID /*info*/,
                        DWORD /*len*/) {
  auto* p = reinterpret_cast<Progress*>(context);
  if (p == nullptr) return;
  if (status == WINHTTP_CALLBACK_STATUS_CONNECTED_TO_SERVER) p->connected = true;
  if (status == WINHTTP_CALLBACK_STATUS_SENDING_REQUEST ||
      status == WINHTTP_CALLBACK_STATUS_REQUEST_SENT) {
    p->sending = true;
  }
}

// The same classes as the libcurl transport: what the dispatcher needs to
// know is whether the request may have reached the site.
TransportError classify(DWORD code, const Progress& p) {
  switch (code) {
    case ERROR_WINHTTP_NAME_NOT_RESOLVED:
      return TransportError::Resolve;
    case ERROR_WINHTTP_CANNOT_CONNECT:
      return TransportError::Connect;
    case ERROR_WINHTTP_SECURE_FAILURE:
    case ERROR_WINHTTP_SECURE_INVALID_CA:
    case ERROR_WINHTTP_SECURE_CERT_CN_INVALID:
    case ERROR_WINHTTP_SECURE_CERT_DATE_INVALID:
    case ERROR_WINHTTP_SECURE_CHANNEL_ERROR:
    case ERROR_WINHTTP_SECURE_INVALID_CERT:
    case ERROR_WINHTTP_SECURE_CERT_REVOKED:
    case ERROR_WINHTTP_SECURE_CERT_REV_FAILED:
    case ERROR_WINHTTP_SECURE_CERT_WRONG_USAGE:
    case ERROR_WINHTTP_CLIENT_AUTH_CERT_NEEDED:
      return TransportError::Tls;
    // Wine's WinHTTP passes some socket errors through as they are.
    case ERROR_WINHTTP_TIMEOUT:
    case WSAETIMEDOUT:
      return p.sending ? TransportError::Timeout : TransportError::Connect;
    case WSAECONNREFUSED:
      return TransportError::Connect;
    case ERROR_WINHTTP_CONNECTION_ERROR:
    case ERROR_WINHTTP_INVALID_SERVER_RESPONSE:
    case WSAECONNRESET:
    case WSAECONNABORTED:
      return p.sending ? TransportError::Interrupted : TransportError::Connect;
    default:
      return TransportError::Other;
  }
}

// A failure while reading the answer: the request was processed or not.
TransportError read_error(DWORD code) {
  return code == ERROR_WINHTTP_TIMEOUT || code == WSAETIMEDOUT ? TransportError::Timeout
                                                               : TransportError::Interrupted;
}

// A header's value, or "" when the answer has none.
std::string header_value(HINTERNET req, const wchar_t* name) {
  DWORD len = 0;
  WinHttpQueryHeaders(req, WINHTTP_QUERY_CUSTOM, name, nullptr, &len, nullptr);
  if (GetLastError() != ERROR_INSUFFICIENT_BUFFER || len == 0) return {};
  std::wstring buf(len / sizeof(wchar_t) + 1, L'\0');
  if (!WinHttpQueryHeaders(req, WINHTTP_QUERY_CUSTOM, name, buf.data(), &len, nullptr)) return {};
  buf.resize(len / sizeof(wchar_t));
  return narrow(buf);
}

// The scheme to answer a 401 with: Negotiate (Kerberos, falling back to NTLM
// inside SPNEGO) or NTLM; never Basic or Digest.
DWORD pick_scheme(DWORD supported, bool prefer_ntlm) {
  const DWORD order[2] = {
      prefer_ntlm ? DWORD{WINHTTP_AUTH_SCHEME_NTLM} : DWORD{WINHTTP_AUTH_SCHEME_NEGOTIATE},
      prefer_ntlm ? DWORD{WINHTTP_AUTH_SCHEME_NEGOTIATE} : DWORD{WINHTTP_AUTH_SCHEME_NTLM}};
  for (const DWORD s : order) {
    if ((supported & s) != 0) return s;
  }
  return 0;
}

}  // namespace

WinHttpTransport::WinHttpTransport(Options options, std::unique_ptr<Credential> credential,
                                   void* session)
    : options_(std::move(options)),
      session_(session),
      receive_timeout_ms_(static_cast<std::uint32_t>(
          std::clamp<std::int64_t>(options_.timeout.count(), 1, 600'000))),
      credential_(std::move(credential)) {}

WinHttpTransport::~WinHttpTransport() {
  if (session_ != nullptr) WinHttpCloseHandle(session_);
}

Expected<std::unique_ptr<WinHttpTransport>> WinHttpTransport::create(const Options& options) {
  if (!options.ca_file.empty()) {
    return Error{fmt::format(
        "provider.adminservice.ca_file: not supported on Windows ({}). WinHTTP verifies the "
        "AdminService certificate against the Windows certificate store: import the CA into "
        "Local Computer > Trusted Root Certification Authorities (certutil -addstore Root "
        "<file>) and remove ca_file",
        options.ca_file.string())};
  }
  auto credential = Credential::load(options);
  if (!credential) return credential.error();
  HINTERNET session =
      WinHttpOpen(L"uda-agent", WINHTTP_ACCESS_TYPE_DEFAULT_PROXY, nullptr, nullptr, 0);
  if (session == nullptr) {
    return Error{"adminservice: " + error_text("WinHttpOpen", GetLastError())};
  }
  const int total = static_cast<int>(std::clamp<std::int64_t>(options.timeout.count(), 1, 600'000));
  const int connect = std::min(total, 15'000);
  if (!WinHttpSetTimeouts(session, connect, connect, total, total)) {
    const DWORD e = GetLastError();
    WinHttpCloseHandle(session);
    return Error{"adminservice: " + error_text("WinHttpSetTimeouts", e)};
  }
  return std::unique_ptr<WinHttpTransport>(
      new WinHttpTransport(options, std::move(*credential), session));
}

HttpResponse WinHttpTransport::send(const HttpRequest& request) {
  HttpResponse out;
  Progress progress;
  auto fail = [&](TransportError e, std::string text) {
    out.error = e;
    out.error_text = std::move(text);
    return out;
  };
  auto fail_call = [&](std::string_view call) {
    const DWORD e = GetLastError();
    return fail(classify(e, progress), error_text(call, e));
  };

  const std::wstring url = widen(request.url);
  URL_COMPONENTS uc{};
  uc.dwStructSize = sizeof(uc);
  uc.dwSchemeLength = static_cast<DWORD>(-1);
  uc.dwHostNameLength = static_cast<DWORD>(-1);
  uc.dwUrlPathLength = static_cast<DWORD>(-1);
  uc.dwExtraInfoLength = static_cast<DWORD>(-1);
  if (url.empty() || !WinHttpCrackUrl(url.c_str(), static_cast<DWORD>(url.size()), 0, &uc)) {
    return fail(TransportError::Other, error_text("WinHttpCrackUrl", GetLastError()));
  }
  const bool secure = uc.nScheme == INTERNET_SCHEME_HTTPS;
  if (!secure && uc.nScheme != INTERNET_SCHEME_HTTP) {
    return fail(TransportError::Other, "only http and https URLs are supported");
  }
  if (uc.lpszHostName == nullptr || uc.dwHostNameLength == 0) {
    return fail(TransportError::Other, "the URL has no host");
  }
  const std::wstring host(uc.lpszHostName, uc.dwHostNameLength);
  std::wstring object;
  if (uc.lpszUrlPath != nullptr) object.assign(uc.lpszUrlPath, uc.dwUrlPathLength);
  if (uc.lpszExtraInfo != nullptr) object.append(uc.lpszExtraInfo, uc.dwExtraInfoLength);
  if (object.empty()) object = L"/";

  Internet connection(WinHttpConnect(session_, host.c_str(), uc.nPort, 0));
  if (!connection) return fail_call("WinHttpConnect");
  const std::wstring method = widen(request.method);
  // The provider encodes the path and query itself: send them as they are.
  const DWORD open_flags = (secure ? WINHTTP_FLAG_SECURE : 0) | WINHTTP_FLAG_ESCAPE_DISABLE |
                           WINHTTP_FLAG_ESCAPE_DISABLE_QUERY;
  Internet req(WinHttpOpenRequest(connection.get(), method.c_str(), object.c_str(), nullptr,
                                  nullptr, nullptr, open_flags));
  if (!req) return fail_call("WinHttpOpenRequest");

  // The wait for the answer's headers has its own limit besides
  // WinHttpSetTimeouts' receive timeout (Windows: 90 s by default; Wine:
  // none); both are `timeout`.
  DWORD response_ms = receive_timeout_ms_;
  WinHttpSetOption(req.get(), WINHTTP_OPTION_RECEIVE_RESPONSE_TIMEOUT, &response_ms,
                   sizeof(response_ms));
  // No redirects (a redirected POST could land anywhere), no cookies.
  DWORD features = WINHTTP_DISABLE_REDIRECTS | WINHTTP_DISABLE_COOKIES;
  WinHttpSetOption(req.get(), WINHTTP_OPTION_DISABLE_FEATURE, &features, sizeof(features));
  if (secure && !options_.verify_tls) {
    DWORD flags = SECURITY_FLAG_IGNORE_UNKNOWN_CA | SECURITY_FLAG_IGNORE_CERT_DATE_INVALID |
                  SECURITY_FLAG_IGNORE_CERT_CN_INVALID | SECURITY_FLAG_IGNORE_CERT_WRONG_USAGE;
    if (!WinHttpSetOption(req.get(), WINHTTP_OPTION_SECURITY_FLAGS, &flags, sizeof(flags))) {
      return fail(TransportError::Other,
                  error_text("WinHttpSetOption(SECURITY_FLAGS)", GetLastError()));
    }
  }
  if (options_.auth == Auth::Negotiate) {
    // Allow the service's own logon credentials for any server (the URL is
    // configured by an administrator; the Internet zone is not a concern).
    DWORD policy = WINHTTP_AUTOLOGON_SECURITY_LEVEL_LOW;
    WinHttpSetOption(req.get(), WINHTTP_OPTION_AUTOLOGON_POLICY, &policy, sizeof(policy));
  }
  WinHttpSetStatusCallback(
      req.get(), on_status,
      WINHTTP_CALLBACK_FLAG_CONNECT_TO_SERVER | WINHTTP_CALLBACK_FLAG_SEND_REQUEST, 0);

  std::wstring secret;
  if (options_.auth != Auth::Negotiate) secret = widen(credential_->current());
  std::wstring headers = L"Accept: application/json\r\n";
  if (request.method == "POST") headers += L"Content-Type: application/json\r\n";
  if (options_.auth == Auth::Bearer) headers += L"Authorization: Bearer " + secret + L"\r\n";
  void* body = request.body.empty() ? nullptr : const_cast<char*>(request.body.data());
  const auto body_len = static_cast<DWORD>(request.body.size());

  DWORD status = 0;
  bool answered_challenge = false;
  for (;;) {
    BOOL ok = WinHttpSendRequest(req.get(), headers.c_str(), static_cast<DWORD>(headers.size()),
                                 body, body_len, body_len, reinterpret_cast<DWORD_PTR>(&progress));
    const char* call = "WinHttpSendRequest";
    if (ok) {
      ok = WinHttpReceiveResponse(req.get(), nullptr);
      call = "WinHttpReceiveResponse";
    }
    if (!ok) {
      const DWORD e = GetLastError();
      wipe(secret);
      wipe(headers);
      return fail(classify(e, progress), error_text(call, e));
    }
    DWORD len = sizeof(status);
    if (!WinHttpQueryHeaders(req.get(), WINHTTP_QUERY_STATUS_CODE | WINHTTP_QUERY_FLAG_NUMBER,
                             nullptr, &status, &len, nullptr)) {
      wipe(secret);
      wipe(headers);
      return fail(TransportError::Other, error_text("WinHttpQueryHeaders", GetLastError()));
    }
    // One challenge is answered (WinHTTP runs the Negotiate/NTLM legs on the
    // connection itself); a second 401 goes to the provider as it is.
    if (status != HTTP_STATUS_DENIED || options_.auth == Auth::Bearer || answered_challenge) {
      break;
    }
    DWORD supported = 0;
    DWORD first = 0;
    DWORD target = 0;
    if (!WinHttpQueryAuthSchemes(req.get(), &supported, &first, &target) ||
        target != WINHTTP_AUTH_TARGET_SERVER) {
      break;
    }
    const DWORD scheme = pick_scheme(supported, options_.auth == Auth::Ntlm);
    if (scheme == 0) break;  // e.g. only Basic or Bearer offered: the 401 stands
    const std::wstring user = widen(options_.username);
    const BOOL set = options_.auth == Auth::Ntlm
                         ? WinHttpSetCredentials(req.get(), WINHTTP_AUTH_TARGET_SERVER, scheme,
                                                 user.c_str(), secret.c_str(), nullptr)
                         : WinHttpSetCredentials(req.get(), WINHTTP_AUTH_TARGET_SERVER, scheme,
                                                 nullptr, nullptr, nullptr);
    if (!set) break;
    answered_challenge = true;
  }
  wipe(secret);
  wipe(headers);

  out.retry_after = header_value(req.get(), L"Retry-After");
  std::string answer;
  for (;;) {
    DWORD avail = 0;
    if (!WinHttpQueryDataAvailable(req.get(), &avail)) {
      const DWORD e = GetLastError();
      return fail(read_error(e), error_text("WinHttpQueryDataAvailable", e));
    }
    if (avail == 0) break;
    if (answer.size() + avail > kMaxBody) {
      return fail(TransportError::TooLarge, fmt::format("answer larger than {} bytes", kMaxBody));
    }
    const std::size_t old = answer.size();
    answer.resize(old + avail);
    DWORD got = 0;
    if (!WinHttpReadData(req.get(), answer.data() + old, avail, &got)) {
      const DWORD e = GetLastError();
      return fail(read_error(e), error_text("WinHttpReadData", e));
    }
    answer.resize(old + got);
    if (got == 0) break;
  }
  out.status = static_cast<int>(status);
  out.body = std::move(answer);
  return out;
}

}  // namespace uda::adminservice
