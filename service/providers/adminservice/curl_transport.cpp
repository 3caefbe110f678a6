#include "providers/adminservice/curl_transport.hpp"

#include <curl/curl.h>
#include <fmt/format.h>

#include <map>
#include <mutex>
#include <thread>

#include "core/user_account.hpp"

namespace uda::adminservice {

namespace {

std::once_flag g_curl_init;

struct Exchange {
  std::string body;
  std::string retry_after;
  bool too_large = false;
};

std::size_t on_body(char* data, std::size_t size, std::size_t n, void* user) {
  auto* ex = static_cast<Exchange*>(user);
  const std::size_t len = size * n;
  if (ex->body.size() + len > CurlTransport::kMaxBody) {
    ex->too_large = true;
    return 0;  // aborts the transfer
  }
  ex->body.append(data, len);
  return len;
}

std::size_t on_header(char* data, std::size_t size, std::size_t n, void* user) {
  auto* ex = static_cast<Exchange*>(user);
  const std::string_view line(data, size * n);
  const auto colon = line.find(':');
  if (colon != std::string_view::npos && ascii_lower(line.substr(0, colon)) == "retry-after") {
    ex->retry_after = std::string(trim(line.substr(colon + 1)));
  }
  return size * n;
}

TransportError classify(CURLcode c, bool sent) {
  switch (c) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
      return TransportError::Resolve;
    case CURLE_COULDNT_CONNECT:
      return TransportError::Connect;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CACERT_BADFILE:
      return TransportError::Tls;
    case CURLE_OPERATION_TIMEDOUT:
      return sent ? TransportError::Timeout : TransportError::Connect;
    case CURLE_GOT_NOTHING:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_PARTIAL_FILE:
      return TransportError::Interrupted;
    default:
      return TransportError::Other;
  }
}

}  // namespace

// One easy handle per worker thread (keyed by thread id), created on first use.
struct CurlTransport::Handles {
  std::mutex mu;
  std::map<std::thread::id, CURL*> by_thread;
  ~Handles() {
    for (auto& [id, h] : by_thread) curl_easy_cleanup(h);
  }
  CURL* get() {
    std::lock_guard lock(mu);
    auto& h = by_thread[std::this_thread::get_id()];
    if (h == nullptr) h = curl_easy_init();
    return h;
  }
};

CurlTransport::CurlTransport(Options options, std::unique_ptr<Credential> credential)
    : options_(std::move(options)), credential_(std::move(credential)), handles_(new Handles) {}

CurlTransport::~CurlTransport() = default;

Expected<std::unique_ptr<CurlTransport>> CurlTransport::create(const Options& options) {
  std::call_once(g_curl_init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  auto credential = Credential::load(options);
  if (!credential) return credential.error();
  return std::unique_ptr<CurlTransport>(new CurlTransport(options, std::move(*credential)));
}

HttpResponse CurlTransport::send(const HttpRequest& request) {
  HttpResponse out;
  CURL* h = handles_->get();
  if (h == nullptr) {
    out.error = TransportError::Other;
    out.error_text = "libcurl could not create a handle";
    return out;
  }
  curl_easy_reset(h);
  Exchange ex;
  const std::string secret = credential_->current();
  curl_slist* headers = nullptr;
  headers = curl_slist_append(headers, "Accept: application/json");
  if (request.method == "POST") {
    headers = curl_slist_append(headers, "Content-Type: application/json");
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, request.body.c_str());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
  } else {
    curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
  }
  switch (options_.auth) {
    case Auth::Negotiate:
      // SPNEGO with the process's Kerberos credentials (ticket cache or keytab).
      curl_easy_setopt(h, CURLOPT_HTTPAUTH, CURLAUTH_NEGOTIATE);
      curl_easy_setopt(h, CURLOPT_USERPWD, ":");
      break;
    case Auth::Ntlm:
      curl_easy_setopt(h, CURLOPT_HTTPAUTH, CURLAUTH_NTLM);
      curl_easy_setopt(h, CURLOPT_USERNAME, options_.username.c_str());
      curl_easy_setopt(h, CURLOPT_PASSWORD, secret.c_str());
      break;
    case Auth::Bearer:
      curl_easy_setopt(h, CURLOPT_HTTPAUTH, CURLAUTH_BEARER);
      curl_easy_setopt(h, CURLOPT_XOAUTH2_BEARER, secret.c_str());
      break;
  }
  curl_easy_setopt(h, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout.count()));
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(std::min<std::int64_t>(options_.timeout.count(), 15'000)));
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, options_.verify_tls ? 1L : 0L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, options_.verify_tls ? 2L : 0L);
  if (!options_.ca_file.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, options_.ca_file.c_str());
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &ex);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &ex);
  curl_easy_setopt(h, CURLOPT_USERAGENT, "uda-agent");

  const CURLcode rc = curl_easy_perform(h);
  curl_slist_free_all(headers);
  if (rc != CURLE_OK) {
    curl_off_t uploaded = 0;
    curl_easy_getinfo(h, CURLINFO_SIZE_UPLOAD_T, &uploaded);
    curl_off_t connected = 0;
    curl_easy_getinfo(h, CURLINFO_CONNECT_TIME_T, &connected);
    const bool sent = uploaded > 0 || (request.method == "GET" && connected > 0);
    out.error = ex.too_large ? TransportError::TooLarge : classify(rc, sent);
    out.error_text = ex.too_large
                         ? fmt::format("answer larger than {} bytes", kMaxBody)
                         : fmt::format("{} ({})", curl_easy_strerror(rc), static_cast<int>(rc));
    return out;
  }
  long status = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  out.status = static_cast<int>(status);
  out.body = std::move(ex.body);
  out.retry_after = std::move(ex.retry_after);
  return out;
}

}  // namespace uda::adminservice
