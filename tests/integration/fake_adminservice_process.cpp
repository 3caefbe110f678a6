#include "fake_adminservice_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace uda::test {

namespace fs = std::filesystem;

fs::path fake_adminservice_binary() {
  return FAKE_ADMINSERVICE_BIN;
}

namespace {

// Runs argv to completion with output to /dev/null; the exit code.
int run_quiet(std::vector<std::string> args) {
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int null_fd = ::open("/dev/null", O_WRONLY);
    ::dup2(null_fd, 1);
    ::dup2(null_fd, 2);
    ::execvp(argv[0], argv.data());
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

FakeAdminService::FakeAdminService(const fs::path& dir, const fs::path& fixture,
                                   const std::string& token, const std::vector<std::string>& extra)
    : dir_(dir) {
  fs::create_directories(dir_);
  if (run_quiet({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
                 "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout",
                 (dir_ / "key.pem").string(), "-out", (dir_ / "cert.pem").string()}) != 0) {
    throw std::runtime_error("openssl could not make a test certificate");
  }
  std::vector<std::string> args = {fake_adminservice_binary().string(),
                                   "--fixture",
                                   fixture.string(),
                                   "--state",
                                   state_path().string(),
                                   "--listen",
                                   "127.0.0.1:0",
                                   "--tls-cert",
                                   (dir_ / "cert.pem").string(),
                                   "--tls-key",
                                   (dir_ / "key.pem").string(),
                                   "--token",
                                   token};
  args.insert(args.end(), extra.begin(), extra.end());
  int out[2];
  if (::pipe(out) != 0) throw std::runtime_error("pipe failed");
  const int log_fd = ::open((dir_ / "fake.log").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_ = ::fork();
  if (pid_ == 0) {
    ::dup2(out[1], 1);
    ::dup2(log_fd, 2);
    ::close(out[0]);
    ::close(out[1]);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(out[1]);
  ::close(log_fd);
  // The first stdout line, within 15 s.
  std::string line;
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (std::chrono::steady_clock::now() < until && line.find('\n') == std::string::npos) {
    pollfd p{out[0], POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    char buf[256];
    const auto n = ::read(out[0], buf, sizeof(buf));
    if (n <= 0) break;
    line.append(buf, static_cast<std::size_t>(n));
  }
  ::close(out[0]);
  const std::string prefix = "fake-adminservice listening on ";
  const auto nl = line.find('\n');
  if (line.rfind(prefix, 0) == 0 && nl != std::string::npos) {
    url_ = line.substr(prefix.size(), nl - prefix.size());
  }
}

FakeAdminService::~FakeAdminService() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
}

std::string FakeAdminService::log() const {
  std::ifstream in(dir_ / "fake.log", std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

int FakeAdminService::stop() {
  if (pid_ <= 0) return -1;
  ::kill(pid_, SIGTERM);
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < until) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return -1;
}

}  // namespace uda::test
