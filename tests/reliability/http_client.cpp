#include "http_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>

namespace uda::test {
namespace {

using Clock = std::chrono::steady_clock;

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return {};
  const auto e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

class Socket {
 public:
  Socket() : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {}
  ~Socket() {
    if (fd_ >= 0) ::close(fd_);
  }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  int fd() const { return fd_; }

 private:
  int fd_;
};

// Waits for `events` on fd until the deadline; false on timeout.
bool wait_fd(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return false;
    pollfd p{fd, events, 0};
    const int rc = ::poll(&p, 1, static_cast<int>(left));
    if (rc > 0) return true;
    if (rc == 0) return false;
    if (errno != EINTR) return true;  // let the next call report the error
  }
}

}  // namespace

const char* to_string(HttpError e) {
  switch (e) {
    case HttpError::None:
      return "none";
    case HttpError::Refused:
      return "refused";
    case HttpError::Reset:
      return "reset";
    case HttpError::Timeout:
      return "timeout";
    case HttpError::Other:
      return "other";
  }
  return "?";
}

bool HttpReply::has_header(const std::string& name, const std::string& value) const {
  const std::string want = lower(name) + ":";
  std::size_t pos = 0;
  while (pos < headers.size()) {
    auto end = headers.find("\r\n", pos);
    if (end == std::string::npos) end = headers.size();
    const std::string line = headers.substr(pos, end - pos);
    if (lower(line).rfind(want, 0) == 0 && trim(line.substr(want.size())) == value) return true;
    pos = end + 2;
  }
  return false;
}

HttpReply http_request(const std::string& base_url, const std::string& method,
                       const std::string& path,
                       const std::vector<std::pair<std::string, std::string>>& headers,
                       const std::string& body, std::chrono::milliseconds timeout) {
  HttpReply r;
  const std::string prefix = "http://127.0.0.1:";
  if (base_url.rfind(prefix, 0) != 0) return r;
  const int port = std::atoi(base_url.c_str() + prefix.size());
  if (port <= 0 || port > 65535) return r;
  const auto deadline = Clock::now() + timeout;

  Socket s;
  if (s.fd() < 0) return r;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  ::inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  // Loopback connects complete (or are refused) at once; no need for non-blocking.
  if (::connect(s.fd(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    r.error = errno == ECONNREFUSED ? HttpError::Refused : HttpError::Other;
    return r;
  }

  std::string req = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                    "\r\nConnection: close\r\nContent-Length: " + std::to_string(body.size()) +
                    "\r\n";
  for (const auto& [k, v] : headers) req += k + ": " + v + "\r\n";
  req += "\r\n";
  req += body;

  std::size_t sent = 0;
  while (sent < req.size()) {
    if (!wait_fd(s.fd(), POLLOUT, deadline)) {
      r.error = HttpError::Timeout;
      return r;
    }
    const auto n = ::send(s.fd(), req.data() + sent, req.size() - sent, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      r.error = HttpError::Reset;
      return r;
    }
    sent += static_cast<std::size_t>(n);
  }

  std::string in;
  char buf[8192];
  for (;;) {
    if (!wait_fd(s.fd(), POLLIN, deadline)) {
      r.error = HttpError::Timeout;
      return r;
    }
    const auto n = ::recv(s.fd(), buf, sizeof(buf), 0);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      r.error = HttpError::Reset;
      return r;
    }
    if (n == 0) break;
    in.append(buf, static_cast<std::size_t>(n));
  }

  // A complete response: status line, headers, and the whole body when a
  // Content-Length is given (a cut-off body is a reset, not an answer).
  const auto head_end = in.find("\r\n\r\n");
  if (head_end == std::string::npos || in.rfind("HTTP/1.1 ", 0) != 0) {
    r.error = HttpError::Reset;
    return r;
  }
  r.headers = in.substr(0, head_end);
  r.body = in.substr(head_end + 4);
  const std::string lh = lower(r.headers);
  const auto cl = lh.find("\r\ncontent-length:");
  if (cl != std::string::npos) {
    const auto len = std::strtoull(lh.c_str() + cl + 17, nullptr, 10);
    if (r.body.size() < len) {
      r.error = HttpError::Reset;
      return r;
    }
  }
  r.status = std::atoi(in.c_str() + 9);
  r.error = HttpError::None;
  return r;
}

}  // namespace uda::test
